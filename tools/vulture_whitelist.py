"""What only frameworks, tests and users call: names vulture cannot see used (``make gates``).

Route handlers, exception handlers and pydantic validators are known by their decorators
(``ignore_decorators`` in pyproject.toml's [tool.vulture]); what is left is listed here, each
``_.name`` counting as a use of that name anywhere. Anything else vulture reports is dead code:
remove it, do not list it here.
"""

from __future__ import annotations

from types import SimpleNamespace

_ = SimpleNamespace()

# a dunder name, which vulture does not report itself
__used__ = (
    # --- fields of the …Public response models: FastAPI documents and pydantic serialises them
    _.eigenvalues,
    _.eigenvectors,
    _.gd_threshold,
    _.condition_number,
    _.gd_optimal_lr,
    _.heavy_ball,
    _.curl,
    _.operations,
    _.covariance,
    _.batch_covariance,
    _.axes,
    _.known,
    _.note,
    _.slider_scale,
    _.window,
    _.dates,
    _.unit,
    _.x_values,
    _.y_values,
    _.final_loss,
    _.steps_by_batch_size,
    _.best_lr,
    _.best_index,
    _.at_edge,
    _.spread,
    _.best_spread,
    _.holds,
    _.figures,
    # GET /api/v1/limits (LimitsPublic)
    _.max_warmup_steps,
    _.max_label_length,
    _.max_coordinate,
    _.max_sweep_values_per_axis,
    _.max_sweep_work,
    _.max_series,
    _.max_formula_parts,
    _.max_formula_nesting,
    _.max_formula_operations,
    _.max_formula_power_tower,
    _.max_evaluations,
    _.max_chain_length,
    _.max_optimizer_links,
    _.max_list_items,
    _.contour,  # GridPublic: the contour rule the studio and optiviz's figure draw with
    # --- fields of request models (pydantic reads them from the body)
    _.x_param,
    _.y_param,
    # --- dataclass fields that only order (app/api/compute.py's queue)
    _.seq,
    # --- the test suite's hooks and the tools' entry points
    _.clear_answers,  # tests/api/test_fast_path.py: each app's remembered answers
    _.iter_stream,  # tests: a trajectory stream as a plain iterator
    _.measure_all,  # tools/lesson_claims.py
    _.write_store,
    _.compile_node,  # tests/engine/test_interval.py: one node's compiled value
    _.reruns,  # tests/engine/test_feedback.py: slices a plateau put back and re-ran
    _.RULE_LINES,  # tests: the inspector's lines, derived from every optimizer's module
    # --- an optimizer module's names that base.declare reads from its namespace
    _.TORCH,
    _.TORCH_TEMPLATE,
    _.OPTAX,
    _.__signature__,  # a derived factory's signature (base.rule_factory), read by inspect.signature
    _.__getattr__,  # kernels.rules: the kinds of rule, derived from the registry (rules.ADAM, ...)
    # --- imported for its effect: glibc's heap thresholds for the lockstep path (app/engine/tuning.py)
    _.tuning,
    _.TUNED,
    # --- the Python API (optiviz): what notebooks call
    _.to_json,
    _.to_records,
    _.__module__,
    # --- the network engine's interface (issue 19): the API, the planes and the tests call them
    _.loss_grad,
    _.accuracy,
    _.results,
)
