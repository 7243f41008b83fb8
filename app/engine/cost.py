"""What a computation will cost, in estimated CPU seconds, before it runs.

The API uses it to admit (refuse at once what cannot finish within the time limit), to queue
(cheap work never waits behind heavy work) and to size the light lane. The figures were measured
on one core of the project's 2-core machine (``make bench`` measures the engine itself) and are
kept on the safe side; only their order of magnitude matters.

- An update of one run on a built-in analytic surface, compiled (app.engine.kernels): 40–150 ns
  (Adam, Ackley the slowest); a row of a sweep in lanes: 5–30 ns.
- A typed formula: its value and gradient are straight-line programs (`Expression.ops`
  operations) run by the compiled tape interpreter: ~5–10 ns each for one run, 1–3 ns per row in
  lanes.
- Dataset surfaces step in the compiled dataset loop (app/engine/kernels/data.py), a pass over the
  mini-batch's samples per update: logistic regression ~15–25 ns per sample (libm's exp, log1p,
  exp), linear regression ~3 ns; a run that records every point also passes over all the samples
  for its loss (linear regression: O(1) from its moments), rows only where the tolerance asks for
  the full gradient. L-BFGS on a dataset and the gradient-noise answer still use NumPy's passes.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from .datasets import DatasetSurface, has_moments
from .feedback import SPECULATE
from .problem import Problem, RunConfig, legs
from .surfaces import Surface

SCALAR_STEP = 2.5e-7  # s: one update of one run, built-in analytic surface (compiled)
FORMULA_OP = 1.5e-8  # s: one operation of a formula's tape, one run
LOCKSTEP_STEP = 2e-5  # s: fixed cost of one lockstep step of NumPy calls (dataset surfaces)
ROW_STEP = 3e-8  # s: one row of one step in lanes, built-in analytic surface
ROW_OP = 4e-9  # s: one formula operation for one row in lanes
SAMPLE = 4.5e-8  # s: one sample of a dataset surface in NumPy on floats (logistic)
MOMENTS_STEP = 1.5e-5  # s: one NumPy update on a dataset surface with O(1) moments (linear), floats
# the compiled dataset loop (measured beside the analytic surfaces by bench/datasets.py, rounded up)
DATA_STEP = 3e-7  # s: one update of one run or row besides its samples (the rule, the record)
DATA_SAMPLE = 2.5e-8  # s: one sample of logistic regression in a pass (the gradient's terms included)
DATA_LINEAR_SAMPLE = 4e-9  # s: one sample of linear regression (no transcendental function)
# closure optimizers (app.engine.closure, plain Python; measured on the 2-core machine, rounded up)
FEEDBACK_CALL = 2e-5  # s: one call of the compiled loop per update (rows reading their loss): 3 µs + the rows measured
PLATEAU_STEP = 1e-6  # s: an update of a single run reading its loss (speculative slices): 0.75 µs measured
# a rate change inside a speculative slice (app.engine.feedback) throws the rest of the slice away:
# its updates (SPECULATE at least) are run again, and the slice's fixed work (its state saved, its
# losses read) is done again; measured 23 µs + the updates (patience 0, factor 0.999: every update)
PLATEAU_SLICE = 3e-5  # s
# answers: orjson writes a float in at most 24 bytes ("-1.2345678901234567e-308,"); encoding takes
# 1.4 ns of CPU per byte written (measured: 67 KB and 27 MB answers), per estimated byte (1.2–1.7×
# the real size) rounded up
FLOAT_BYTES = 24
ENCODE_BYTE = 2e-9  # s per byte of answer
SURFACE_BYTES = 4096  # the surface's description in an answer
CLOSURE_EVAL = 6e-6  # s: one closure evaluation beyond the surface's own cost (noise, clipping, the record)
LBFGS_ITER = 6e-6  # s: one L-BFGS inner iteration's fixed work (direction, step length, checks)
LBFGS_PAIR = 6e-7  # s: one stored (s, y) pair of the two-loop recursion, per inner iteration
NEWTON_STEP = 4e-5  # s: one damped Newton step (a 2×2 solve or the eigen fallback; the exact Hessian: HESSIAN_EVAL)
# symbolic work on a formula (app.engine.hessian, plain Python), by the size of its tree: ``parts``
# (nodes of the parsed formula) and ``operations`` (of its value and gradient, `Expression.ops`);
# measured on 299-character formulas inside every limit (x^y^2/…/x^y^2: 269 parts, 450 operations,
# 0.12 s to differentiate twice, 190 µs per Hessian) and on random ones, rounded up
HESSIAN_DERIVE = 3e-6  # s per part × operation: the Hessian's three trees, differentiated and compiled (≤ 2.4e-6)
HESSIAN_FIXED = 1e-3  # s: the tree walked and three programs compiled, whatever the size (0.5 ms for x^2 + 10*y^2)
HESSIAN_EVAL = 7e-7  # s per operation: the exact Hessian at one point (its program run three times; ≤ 6.4e-7)
CURVATURE_FIXED = (
    1e-3  # s: a curvature answer's eigen-decomposition, checks and quadratic test (0.8 ms measured): off the loop
)
# the most loss evaluations one trajectories request may make (its bound: steps × (max_eval + 1) per
# L-BFGS run), so that its answer (every evaluation is in it) stays the size of the largest others
MAX_EVALUATIONS = 500_000


def lbfgs_max_eval(max_iter: int, max_eval: int) -> int:
    """torch's default: ``max_eval=None`` means ``max_iter * 5 // 4`` (here: 0 means None)."""
    return max_eval if max_eval > 0 else max_iter * 5 // 4


def evaluations_bound(params: dict[str, Any]) -> int:
    """The most closure calls one L-BFGS ``step`` makes (`app.engine.closure`): ``max_eval``, +1
    (the line search's first trial is made even when no evaluation is left)."""
    return lbfgs_max_eval(int(params["max_iter"]), int(params["max_eval"])) + 1


def formula_ops(surface: Surface) -> int | None:
    """Operations per value + gradient of a typed formula (None for other surfaces)."""
    expr = getattr(surface.value, "__self__", None)
    ops = getattr(expr, "ops", None)
    return int(ops) if isinstance(ops, int) else None


def formula_size(surface: Surface) -> tuple[int, int] | None:
    """(parts, operations) of the surface's formula: a typed formula's as parsed; a built-in's from
    its text (about a part per two characters, an operation per character); None: no formula."""
    expr = getattr(surface.value, "__self__", None)
    ops, nodes = getattr(expr, "ops", None), getattr(expr, "nodes", None)
    if isinstance(ops, int) and isinstance(nodes, int):
        return nodes, ops
    text = None if isinstance(surface, DatasetSurface) else surface.expression
    return (len(text) // 2 + 1, len(text)) if text else None


def symbolic(surface: Surface) -> float:
    """Seconds to differentiate the surface's formula twice (its exact Hessian), by its tree's size
    (0 without a formula: dataset surfaces take differences of the gradient)."""
    size = formula_size(surface)
    return HESSIAN_FIXED + HESSIAN_DERIVE * size[0] * size[1] if size else 0.0


def hessian_eval(surface: Surface) -> float:
    """Seconds for the exact Hessian at one point (0 without a formula)."""
    size = formula_size(surface)
    return HESSIAN_EVAL * size[1] if size else 0.0


def curvature(surface: Surface) -> float:
    """Seconds for a curvature answer: the Hessian derived, then taken at the point and at three
    more (the quadratic test), and decomposed."""
    return symbolic(surface) + 4 * hessian_eval(surface) + CURVATURE_FIXED


def gradient_noise(surface: Surface) -> float:
    """Seconds for a gradient-noise answer: the per-sample gradients (one NumPy pass over the
    samples) and their covariance."""
    m = surface.model.data.m if isinstance(surface, DatasetSurface) else 0
    return CURVATURE_FIXED + LOCKSTEP_STEP + 2 * SAMPLE * m


def data_step(surface: DatasetSurface, batch_size: int | None, full_pass: bool) -> float:
    """Seconds per update of one run or row in the compiled dataset loop: its mini-batch, and
    (``full_pass``) a pass over every sample (a recording run's loss; the full gradient that a
    tolerance tests), which linear regression takes from its moments instead."""
    m: int = surface.model.data.m
    moments = has_moments(surface.model)
    samples = min(batch_size or m, m) + (m if full_pass and not moments else 0)
    return DATA_STEP + (DATA_LINEAR_SAMPLE if moments else DATA_SAMPLE) * samples


def numpy_data_step(surface: DatasetSurface, batch_size: int | None = None) -> float:
    """Seconds per NumPy evaluation of a dataset's mini-batch loss and gradient on floats (L-BFGS's
    closure on a dataset, app.engine.closure)."""
    m: int = surface.model.data.m
    return MOMENTS_STEP + SAMPLE * (batch_size or m) if has_moments(surface.model) else SAMPLE * m


def scalar_step(surface: Surface, batch_size: int | None = None) -> float:
    """Seconds per update of one run recording every point."""
    if isinstance(surface, DatasetSurface):
        return data_step(surface, batch_size, True)
    ops = formula_ops(surface)
    return SCALAR_STEP + (FORMULA_OP * ops if ops is not None else 0.0)


def row_step(surface: Surface, batch_size: int | None = None, tolerance: float = 0.0) -> float:
    """Seconds per row of one lockstep step."""
    if isinstance(surface, DatasetSurface):
        return data_step(surface, batch_size, tolerance > 0.0)
    ops = formula_ops(surface)
    return ROW_STEP + (ROW_OP * ops if ops is not None else 0.0)


def closure_step(surface: Surface, run: RunConfig, steps: int) -> float:
    """Seconds per update of a closure optimizer (L-BFGS, damped Newton), an upper bound: every
    step makes its largest number of evaluations (L-BFGS: max_eval + 1 closure calls, max_iter
    inner iterations over a full history)."""
    # a dataset closure is one NumPy pass over the batch, with its calls' overhead (measured: ~2× an update)
    evaluation = (
        numpy_data_step(surface, run.batch_size) * 2 if isinstance(surface, DatasetSurface) else scalar_step(surface)
    ) + CLOSURE_EVAL
    p = run.params
    if run.optimizer.id == "lbfgs":
        iters = int(p["max_iter"])
        pairs = min(int(p["history_size"]), iters * steps)
        return evaluations_bound(p) * evaluation + iters * (LBFGS_ITER + pairs * LBFGS_PAIR)
    # central differences of the gradient, or the exact Hessian's program
    hessian = 4 * evaluation if isinstance(surface, DatasetSurface) else hessian_eval(surface)
    return NEWTON_STEP + evaluation + hessian


def plateau_changes(run: RunConfig, steps: int) -> int:
    """The most times a ReduceLROnPlateau rate can change in ``steps`` updates: once in every
    patience + cooldown + 1 updates at the most, and only while lr·factorᵏ stays above min_lr and
    lowers the rate by more than eps (torch's rule, app.engine.schedules.Plateau)."""
    p = run.schedule_params
    by_time = steps // (int(p["patience"]) + int(p["cooldown"]) + 1) + 1
    factor, lr = float(p["factor"]), float(run.params["lr"])
    floor = max(float(p["min_lr"]), float(p["eps"]) / (1.0 - factor), 5e-324)
    by_rate = math.ceil(math.log(floor / lr) / math.log(factor)) + 1 if lr > floor else 0
    return min(by_time, by_rate)


def feedback(surface: Surface, run: RunConfig, steps: int) -> float:
    """Seconds added to a single run by a schedule that reads its loss: each update's loss read,
    and each rate change's speculative slice thrown away and run again (compiled runs)."""
    if not run.schedule.reads_loss:
        return 0.0
    if isinstance(surface, DatasetSurface):  # no speculation (an update is costly): a call per update at most
        return steps * (PLATEAU_STEP + FEEDBACK_CALL)
    p = run.schedule_params
    rerun = min(max(SPECULATE, int(p["patience"]) + int(p["cooldown"]) + 1), steps)
    change = rerun * scalar_step(surface, run.batch_size) + PLATEAU_SLICE
    return steps * PLATEAU_STEP + plateau_changes(run, steps) * change


def answer_bytes(problem: Problem) -> int:
    """Bytes of a trajectories answer, an upper bound: every recorded float of every update of every
    run (x, y, loss, lr, grad_norm; the mini-batch loss on dataset surfaces; a cycled momentum;
    include_state's six), an L-BFGS run's evaluations (four values each), and the surface."""
    dataset = isinstance(problem.surface, DatasetSurface)
    floats = 0
    for whole in problem.runs:
        for r, t0, t1 in legs(whole, problem.steps):
            per_update = 5 + dataset + bool(r.schedule_params.get("cycle_momentum")) + 6 * problem.include_state
            if r.optimizer.id == "lbfgs":
                per_update += 4 * evaluations_bound(r.params)
            floats += (t1 - t0) * per_update
    return SURFACE_BYTES + FLOAT_BYTES * floats


def run_work(problem: Problem, whole: RunConfig) -> float:
    """Seconds for the updates of one run of a problem (each leg of its optimizer chain by its own
    optimizer's cost), on floats, not encoded."""
    return sum(
        (t1 - t0)
        * (
            closure_step(problem.surface, r, t1 - t0)
            if r.optimizer.driver == "closure"
            else scalar_step(problem.surface, r.batch_size) + feedback(problem.surface, r, t1 - t0) / (t1 - t0)
        )
        * ((2 if problem.include_state else 1) + (2 if whole.swats else 0))  # SWATS: + its Adam run with state
        for r, t0, t1 in legs(whole, problem.steps)
    )


def derive_hessian(problem: Problem, runs: Iterable[RunConfig]) -> float:
    """Seconds to differentiate the formula twice, once, if any link of ``runs`` is a Newton method."""
    hessian = any(r.optimizer.hessian for whole in runs for r, _, _ in legs(whole, problem.steps))
    return symbolic(problem.surface) if hessian else 0.0


def trajectories(problem: Problem) -> float:
    """Seconds for every run of a problem (`app.engine.runner.Problem`) on floats (and a Newton
    run's formula differentiated twice, once), its answer encoded."""
    work = sum(run_work(problem, whole) for whole in problem.runs)
    return work + derive_hessian(problem, problem.runs) + ENCODE_BYTE * answer_bytes(problem)


# a sweep of optimizer chains (app.lessons.sweeps): cells with the same milestones step as lockstep
# rows, leg by leg (ChainRows: a group's legs, each its link's rows); with a closure optimizer last,
# cell by cell through the chain runner (ChainJob: each a single run's updates, plus its runners
# made, its record sliced away as it goes). Measured in CPU seconds on the 2-core machine under
# load by bench/sweep_chain.py, which compares these estimates with whole sweeps of several shapes
CHAIN_CELL = 1e-4  # s: a cell run alone: its config, its legs planned and joined, its end kept (0.13 ms, 2 links)
LEG_START = 2e-5  # s: one leg's runner made for a cell run alone (its rates, its noise draws, its compiled state)
ROWS_LEG = 1e-4  # s: one leg's lockstep rows made for a group of cells (0.1–0.12 ms measured)
ROWS_STEP = 2e-7  # s: a lockstep step of a group's leg besides its rows (few rows: ~0.2 µs measured)


def chain_cell(problem: Problem, run: RunConfig) -> float:
    """Seconds for one cell of a sweep of optimizer chains run alone: the single run of its problem
    (no answer encoded: only the cell's end is kept)."""
    return CHAIN_CELL + LEG_START * (len(run.switches) + 1) + run_work(problem, run)


def chain_rows(problem: Problem, run: RunConfig, rows: int) -> float:
    """Seconds for ``rows`` cells of a sweep of optimizer chains with the same milestones, stepped
    together leg by leg, an upper bound: every row runs every leg."""
    return sum(
        ROWS_LEG + (t1 - t0) * ROWS_STEP + lockstep(problem.surface, rows, t1 - t0, r.batch_size, r, problem.tolerance)
        for r, t0, t1 in legs(run, problem.steps)
    )


def lockstep(
    surface: Surface,
    rows: int,
    steps: int,
    batch_size: int | None = None,
    run: RunConfig | None = None,
    tolerance: float = 0.0,
) -> float:
    """Seconds for ``rows`` rows stepping together ``steps`` times (``run``: its schedule may read the
    rows, one call of the loop per update; ``tolerance``: a dataset's rows test the full gradient)."""
    fixed = FEEDBACK_CALL if run is not None and run.schedule.reads_loss else 0.0
    return steps * (fixed + rows * row_step(surface, batch_size, tolerance))


def describe(seconds: float) -> str:
    return f"{seconds:.2g} s" if seconds < 10 else f"{seconds:,.0f} s"
