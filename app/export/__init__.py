"""Export as code: a studio state as a self-contained PyTorch (or optax) script.

The scripts reproduce what the API draws: the same surface formula (the checked formula tree is
translated, never the user's text), the same start, steps, tolerance, schedules (warm-up as
torch's ``SequentialLR(LinearLR, …)``) and the same seeded gradient noise (the script draws it
with NumPy exactly as the engine does). Every piece of user text (labels) reaches the script as a
``json.dumps`` literal.

What is known about each optimizer in torch/optax is written once, in its own module
(`app.engine.optimizers.<id>`: ``SPEC.torch``, ``SPEC.optax`` or the reasons there are none); the
tables ``TORCH_OPTIMIZERS`` and ``OPTAX_OPTIMIZERS`` below are read from the registry. Each
schedule's counterparts are declared beside its function (`app.engine.schedules`), and where a
library lacks one the script copies the engine's own source. The scripts' loops and the classes
torch lacks are real Python files, ``app/export/templates/*.py``. An optimizer without a mapping is
not guessed: the export says so in ``notes`` and the script is ``null``.

Dataset surfaces (both scripts): the script makes the same data and mini-batch order (the
engine's own generator function and ``BatchOrder``, copied into it) and steps each scheduler after
every update or after each epoch's last one (``per``); ReduceLROnPlateau gets the full-data loss
at the new point, as in the engine (`app.engine.feedback`). L-BFGS and damped Newton take every
closure call of an update on that update's mini-batch (Newton's Hessian there: the engine's central
differences of the mini-batch gradient).

Optimizer chains (a run's ``optimizers``, `app.engine.switching`): each run of a script is a list of
links, (its first update, its optimizer, its schedule). At a later link's milestone the PyTorch
script creates a NEW torch.optim optimizer on the same tensor (fresh state) and the run's scheduler
for it, stepped to the run's clock (`take_over`: the whole-run schedule with the link's lr as its
base); the optax script takes a fresh ``opt.init(p)`` of the link's transformation, its schedule a
function of the run's step from the link's lr. The noise draw and the mini-batch of update t are
the run's, across switches. Each link's optimizer is written by the same per-optimizer code as a
plain run's; a link a library cannot reproduce makes that script null, its note naming the link.

Optimizers torch.optim has not (the course's EWA momentum, Adam without bias correction, damped
Newton, optax's Lion, Schedule-Free AdamW and Polyak step size) are small ``torch.optim.Optimizer``
classes copied into the script when used, with the engine's formulas in its order of operations:
real Python files in ``app/export/templates/`` (linted and type-checked), named by the optimizer's
module.
"""

from __future__ import annotations

import ast
import inspect
import json
import math
import textwrap
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from functools import cache
from importlib import resources
from typing import Any, TypeVar

from ..engine import schedules
from ..engine.datasets import DatasetSurface
from ..engine.expression import Bin, Call, Const, Neg, Node, Var, parse_expression
from ..engine.feedback import momentum_name
from ..engine.hessian import NoCurvature, formula_of
from ..engine.optimizers import OPTIMIZERS, NotExportable
from ..engine.optimizers.base import OptaxFn, TorchFn
from ..engine.problem import legs as chain_legs
from ..engine.runner import BatchOrder, Problem, RunConfig, updates_per_epoch
from ..engine.schedules import COPY, SCHEDULES, Counterpart, ScheduleSpec
from ..engine.switching import swats_chain

_FN = {  # formula function → (torch, jax.numpy)
    "sin": ("torch.sin", "jnp.sin"),
    "cos": ("torch.cos", "jnp.cos"),
    "tan": ("torch.tan", "jnp.tan"),
    "exp": ("torch.exp", "jnp.exp"),
    "log": ("torch.log", "jnp.log"),
    "sqrt": ("torch.sqrt", "jnp.sqrt"),
    "abs": ("torch.abs", "jnp.abs"),
    "tanh": ("torch.tanh", "jnp.tanh"),
    "sinh": ("torch.sinh", "jnp.sinh"),
    "cosh": ("torch.cosh", "jnp.cosh"),
    "atan": ("torch.atan", "jnp.arctan"),
}
_PREC = {"+": 1, "-": 1, "*": 2, "/": 2, "neg": 3, "^": 4}


def _has_var(n: Node) -> bool:
    if isinstance(n, Var):
        return True
    if isinstance(n, Const):
        return False
    if isinstance(n, Neg):
        return _has_var(n.a)
    if isinstance(n, Call):
        return _has_var(n.a)
    assert isinstance(n, Bin)
    return _has_var(n.a) or _has_var(n.b)


def python_source(n: Node, lib: int, parent: int = 0, right: bool = False) -> str:
    """The checked formula tree as Python source over tensors x, y (lib 0: torch, 1: jax.numpy).

    Only the tree's own node kinds are written: numbers as ``repr(float)``, the two variables,
    the operators and the allowed functions. Nothing of the user's text is copied.
    """
    if isinstance(n, Const):
        if not math.isfinite(n.value):
            raise NotExportable("the formula has a constant part that is not a finite number")
        text = repr(float(n.value))
        return f"({text})" if n.value < 0 and parent else text
    if isinstance(n, Var):
        if n.name not in ("x", "y"):
            raise NotExportable(f"unknown variable {n.name!r}")
        return n.name
    if isinstance(n, Call):
        inner = python_source(n.a, lib)
        if not _has_var(n.a):  # a constant argument: plain math (the torch functions take tensors)
            fn = "math.atan" if n.fn == "atan" else ("abs" if n.fn == "abs" else f"math.{n.fn}")
            return f"{fn}({inner})"
        return f"{_FN[n.fn][lib]}({inner})"
    if isinstance(n, Neg):
        text = "-" + python_source(n.a, lib, _PREC["neg"])
        return f"({text})" if parent >= _PREC["neg"] else text
    assert isinstance(n, Bin)
    op = "**" if n.op == "^" else n.op
    prec = _PREC[n.op]
    if n.op == "^":  # right-associative
        left, rightside = python_source(n.a, lib, prec + 1), python_source(n.b, lib, prec, True)
    else:
        left, rightside = python_source(n.a, lib, prec), python_source(n.b, lib, prec + 1, True)
    text = f"{left} {op} {rightside}"
    return f"({text})" if prec < parent or (prec == parent and right) else text


def surface_tree(problem: Problem) -> Node:
    s = problem.surface
    if isinstance(s, DatasetSurface):
        raise NotExportable("a dataset surface has no formula in x, y: the scripts write its data and loss instead")
    try:
        text = formula_of(s)  # the surface's own formula (built-in or typed)
    except NoCurvature:
        raise NotExportable(f"no formula for the surface {s.id!r} to export") from None
    return parse_expression(text).tree


# --- optimizers --------------------------------------------------------------------------------
# Each optimizer's module (app.engine.optimizers.<id>) declares its torch optimizer over the
# parameter tensor ``p`` and its optax transformation over the schedule ``lr`` (or why there is
# none); the classes torch lacks are template files (app/export/templates/), copied into the
# script when used. The tables below are read from the registry.

_MARK = "# --- the script ---\n"


@cache
def template(name: str) -> str:
    """The part of app/export/templates/<name>.py the scripts copy: what follows its marker line
    (the lines above it only make the file check: imports, and what the script defines around it)."""
    text = resources.files(__name__).joinpath("templates", f"{name}.py").read_text(encoding="utf-8")
    return text.split(_MARK, 1)[1].strip("\n")


# the template of the closure optimizers (L-BFGS, damped Newton): it also switches the script's loop
CLOSURE_TEMPLATE = "torch_closure"


TORCH_OPTIMIZERS: dict[str, TorchFn] = {oid: s.torch for oid, s in OPTIMIZERS.items() if s.torch is not None}
# registered optimizers the PyTorch script cannot reproduce, with the reason (none today)
TORCH_REFUSED: dict[str, str] = {oid: s.torch_refused for oid, s in OPTIMIZERS.items() if s.torch_refused}


_Fn = TypeVar("_Fn")
_Out = TypeVar("_Out")


def _all_legs(problem: Problem) -> list[RunConfig]:
    """Every run's optimizer, and every link of the runs' optimizer chains, as runs of their own."""
    return [leg for run in problem.runs for leg, _, _ in chain_legs(run, problem.steps)]


def _link(
    leg: RunConfig,
    library: str,
    made: dict[str, Callable[[dict[str, Any]], _Out]],
    refused: dict[str, str],
    params: dict[str, Any],
) -> _Out:
    """The library's form of a run's optimizer, or of one link of its chain, with these ``params``
    (a refusal of a later link names it)."""
    try:
        return _counterpart(library, made, refused, leg.optimizer.id)(params)
    except NotExportable as err:
        if not leg.clock:
            raise
        raise NotExportable(f"the optimizer chain's link from update {leg.clock}: {err}") from None


def _counterpart(library: str, made: dict[str, _Fn], refused: dict[str, str], oid: str) -> _Fn:
    """The library's form of the optimizer (``made``), or NotExportable with the reason it has none."""
    if oid in made:
        return made[oid]
    raise NotExportable(
        f"no {library} script for {oid!r}: {refused[oid]}"
        if oid in refused
        else f"no {library} counterpart for the optimizer {oid!r} in the exporter yet"
    )


# --- schedules ---------------------------------------------------------------------------------
# Derived from each schedule's declaration (`app.engine.schedules`): its torch.optim.lr_scheduler
# or optax counterpart and their arguments, or COPY, where the script copies the engine's own
# source of the schedule (`_engine_source`) and calls it. No schedule is restated here.


def _call(name: str, args: Mapping[str, Any], first: str = "") -> str:
    """``name(first, k=v, ...)`` with every value written as its repr."""
    return f"{name}({', '.join([*([first] if first else []), *(f'{k}={v!r}' for k, v in args.items())])})"


def _torch_one(spec: ScheduleSpec, params: dict[str, Any], lr: float) -> str | None:
    """One scheduler over ``opt`` (None: none, the optimizer's constant rate)."""
    if isinstance(spec.torch, Counterpart):
        return _call(f"L.{spec.torch.name}", spec.torch.arguments(params, lr), "opt")
    if spec.torch is None:
        return None
    assert spec.fn is not None  # COPY: LambdaLR multiplies the run's lr by the engine's function at base 1
    return f"L.LambdaLR(opt, lambda t: float({_call(spec.fn.__name__, params, 'np.asarray(t), 1.0')}))"


def _links(run: RunConfig) -> list[tuple[ScheduleSpec, dict[str, Any]]]:
    """The run's schedule and the links chained after it."""
    return [(run.schedule, run.schedule_params), *((c.spec, c.params) for c in run.chain)]


def _engine_copies(run: RunConfig, lib: str) -> list[Any]:
    """The engine's schedule functions (or rule classes) the run's script for ``lib`` calls."""
    out: list[Any] = [spec.rule or spec.fn for spec, _ in _links(run) if getattr(spec, lib) == COPY]
    if lib == "optax":
        out += [schedules.sequential] if run.chain else []
        out += [schedules.warm_up] if run.warmup_steps else []
        if run.schedule.cycles_momentum(run.schedule_params):
            out.append(run.schedule.momentum)
    return out


def _engine_source(objs: list[Any]) -> list[str]:
    """The engine's own source of these functions and classes of `app.engine.schedules`, and of the
    module's functions they use, each once, callees first, without their decorators."""
    done: dict[str, list[str]] = {}

    def visit(obj: Any) -> None:
        if obj.__name__ in done:
            return
        done[obj.__name__] = []  # (its own name inside it is no callee)
        tree = ast.parse(textwrap.dedent(inspect.getsource(obj)))
        definition = tree.body[0]
        assert isinstance(definition, ast.FunctionDef | ast.ClassDef)
        for node in ast.walk(ast.Module(body=definition.body, type_ignores=[])):  # not its declaration
            dep = getattr(schedules, node.id, None) if isinstance(node, ast.Name) else None
            if (inspect.isfunction(dep) or inspect.isclass(dep)) and dep.__module__ == schedules.__name__:
                visit(dep)
        lines = inspect.getsource(obj).splitlines()
        if any(obj in (spec.fn, spec.rule) for spec in SCHEDULES.values()):
            _drop_texts(lines, definition)
        del done[obj.__name__]  # after its callees
        done[obj.__name__] = [*lines[definition.lineno - 1 :], "", ""]  # from its def/class line

    for obj in objs:
        visit(obj)
    return [line for lines in done.values() for line in lines]


def _drop_texts(lines: list[str], definition: ast.FunctionDef | ast.ClassDef) -> None:
    """Takes out of a declared schedule's source the catalogue's texts its docstring begins with
    (`entry_texts`: its first two paragraphs; the scripts copy neither them nor its decorator)."""
    doc = definition.body[0]
    assert isinstance(doc, ast.Expr) and doc.end_lineno is not None
    first, end = doc.lineno - 1, doc.end_lineno
    blanks = [i for i in range(first, end) if not lines[i].strip()]
    if len(blanks) < 2:  # the docstring is the texts alone
        del lines[first:end]
        return
    indent = lines[first][: len(lines[first]) - len(lines[first].lstrip())]
    lines[first : blanks[1] + 2] = [f'{indent}"""{lines[blanks[1] + 1].lstrip()}']


def _updates(problem: Problem, run: RunConfig) -> int:
    """Updates per step of a schedule (an epoch's when it counts epochs)."""
    return updates_per_epoch(problem.surface, run) if run.per == "epoch" else 1


_ONE_CYCLE = "OneCycleLR"  # torch's class that raises past its total_steps (the studio holds its last rate)


def _torch_scheduler(run: RunConfig, problem: Problem | None = None) -> str:
    """The scheduler expression over ``opt`` for a run of the studio's ``problem``."""
    return torch_scheduler(run, None if problem is None else math.ceil(problem.steps / _updates(problem, run)))


def torch_scheduler(run: RunConfig, schedule_steps: int | None) -> str:
    """The scheduler expression over ``opt``, for a run whose scheduler steps ``schedule_steps``
    times (None: unknown). A OneCycleLR that would run past its total_steps (torch raises there;
    the studio holds the last rate and momentum) is the script's ``OneCycleLRHeld``."""
    out = _torch_scheduler_links(run)
    held = False
    starts = [0, *(c.milestone for c in run.chain)]
    for (spec, p), begin, end in zip(_links(run), starts, [*starts[1:], None], strict=True):
        if schedule_steps is None or not (isinstance(spec.torch, Counterpart) and spec.torch.name == _ONE_CYCLE):
            continue
        span = (end if end is not None else schedule_steps) - begin
        if begin == 0:
            span -= run.warmup_steps  # the cycle starts after the warm-up
        held = held or span > p["total_steps"]
    return out.replace(f"L.{_ONE_CYCLE}(", f"{_ONE_CYCLE}Held(") if held else out


def _torch_scheduler_links(run: RunConfig) -> str:
    lr = run.params["lr"]
    identity = "L.ConstantLR(opt, factor=1.0, total_iters=0)"
    if run.chain:
        subs = [_torch_one(spec, p, lr) or identity for spec, p in _links(run)]
        milestones = [c.milestone for c in run.chain]
        return f"L.SequentialLR(opt, [{', '.join(subs)}], milestones={milestones!r})"
    main = _torch_one(run.schedule, run.schedule_params, lr)
    w = run.warmup_steps
    if not w:
        return main or "None"
    warm = f"L.LinearLR(opt, start_factor={1.0 / w!r}, end_factor=1.0, total_iters={w - 1})"
    out = f"L.SequentialLR(opt, [{warm}, {main or identity}], milestones=[{w}])"
    if run.schedule.initial_lr is not None:  # it writes its start rate into the group: the warm-up's first
        out = f"starting_at({out}, {lr!r} * {1.0 / w!r})"
    return out


def _optax_piece(spec: ScheduleSpec, params: dict[str, Any], base: float) -> str:
    """The optax script's schedule as a function of a NumPy step count, from the rate ``base``: the
    optax counterpart (on a float64 count), or the engine's function."""
    if isinstance(spec.optax, Counterpart):
        return f"f64({_call('optax.' + spec.optax.name, spec.optax.arguments(params, base))})"
    assert spec.fn is not None
    return _call("partial", params, f"{spec.fn.__name__}, base={base!r}")


def _optax_schedule(run: RunConfig) -> str:
    """The run's lr schedule in the optax script: the engine's `sequential` over a chain (with the rate
    each link starts from, `link_rates`), its `warm_up` around a warm-up, else the schedule."""
    lr = run.params["lr"]
    if run.chain:
        links = _links(run)
        starts = [0, *(c.milestone for c in run.chain)]
        pieces = [
            f"({m!r}, {_optax_piece(spec, p, base)})"
            for m, (spec, p), base in zip(starts, links, schedules.link_rates(links, lr), strict=True)
        ]
        return f"partial(sequential, links=[{', '.join(pieces)}])"
    main = _optax_piece(run.schedule, run.schedule_params, lr)
    w = run.warmup_steps
    return f"partial(warm_up, base={lr!r}, warmup_steps={w!r}, after={main})" if w else main


# --- dataset surfaces ---------------------------------------------------------------------------
# The script makes the same data (the engine's own generator function, copied by inspect, with the
# fixed data seed), draws the same mini-batches (the engine's BatchOrder class, copied the same
# way, seeded with the request's seed) and writes each model's loss in torch; a checksum of the
# data guards against a NumPy whose generator would differ.

DATASET_LOSSES: dict[str, str] = {  # the batch cost of each dataset surface's model, over tensors x, y
    "linear_regression": "0.5 * torch.mean((w * x + b - y) ** 2)",
    "logistic_regression": "torch.mean(torch.logaddexp(torch.zeros_like(x), w * x + b) - y * (w * x + b))",
}
DATASET_RESIDUALS: dict[str, str] = {  # the cost's derivative in the model's output, in NumPy (as app.engine.datasets)
    "linear_regression": "w * x + b - y",
    "logistic_regression": "np.exp(w * x + b - np.logaddexp(0.0, w * x + b)) - y",
}
_DATASET_MAKERS = {"linear_regression": "_linear_data", "logistic_regression": "_logistic_data"}


def _dataset_source(problem: Problem, newton: bool = False, lib: str = "torch") -> list[str]:
    """The data, the batch order and the loss of a dataset surface, as script lines: the engine's
    own generator and `BatchOrder` copied by inspect, a checksum of the data, the loss over torch
    tensors (``lib="torch"``) or JAX arrays (``lib="jnp"``, the optax script)."""
    import inspect

    from ..engine import datasets

    s = problem.surface
    assert isinstance(s, DatasetSurface)
    if s.id not in DATASET_LOSSES or s.model.l2:
        what = "torch" if lib == "torch" else "optax"
        raise NotExportable(f"no {what} loss for the dataset surface {s.id!r} in the exporter yet")
    maker = _DATASET_MAKERS[s.id]
    data = s.model.data
    arrays = "torch.from_numpy" if lib == "torch" else "jnp.asarray"
    return [
        f"DATA_SEED = {datasets.DATA_SEED!r}  # fixed: the data set is part of the surface",
        'Data = collections.namedtuple("Data", "x y")',
        "",
        "",
        *inspect.getsource(getattr(datasets, maker)).strip("\n").splitlines(),
        "",
        "",
        f"_data = {maker}()",
        f"assert abs(float(_data.x.sum()) - {float(data.x.sum())!r}) < 1e-9 and "
        f'abs(float(_data.y.sum()) - {float(data.y.sum())!r}) < 1e-9, "this NumPy draws other data"',
        f"X, Y = {arrays}(_data.x), {arrays}(_data.y)",
        "M = X.shape[0]",
        "",
        "",
        "def LOSS(w, b, x, y):",
        f"    # {json.dumps(s.formula, ensure_ascii=True)}",
        f"    return {DATASET_LOSSES[s.id] if lib == 'torch' else DATASET_LOSSES[s.id].replace('torch.', 'jnp.')}",
        "",
        "",
        *(
            [
                "def RESIDUAL(w, b, x, y):",
                "    # dJ/dw = mean(RESIDUAL*x), dJ/db = mean(RESIDUAL) (NumPy, for damped Newton's Hessian)",
                f"    return {DATASET_RESIDUALS[s.id]}",
                "",
                "",
            ]
            if newton
            else []
        ),
        *inspect.getsource(BatchOrder).strip("\n").splitlines(),
        "",
    ]


def _constants(problem: Problem, dataset: bool) -> list[str]:
    """The scripts' constants: the start, the steps, the stopping rule, the seed, the bound."""
    return [
        f"START = [{problem.start[0]!r}, {problem.start[1]!r}]",
        f"STEPS = {problem.steps!r}",
        f"TOLERANCE = {float(problem.tolerance)!r}  # stop when the true gradient's norm is below this (0: never)",
        f"SEED = {problem.seed!r}  # seeds the " + ("mini-batch order" if dataset else "gradient noise"),
        f"BOUND = {problem.surface.bound!r}  # leaving |x|, |y| <= BOUND counts as diverged",
    ]


def _formula(problem: Problem, tree: Node, lib: int) -> list[str]:
    """The surface as the scripts' ``f(x, y)`` over torch tensors (lib 0) or JAX arrays (lib 1)."""
    return [
        "def f(x, y):",
        f"    # {json.dumps(problem.surface.formula, ensure_ascii=True)}",
        f"    return {python_source(tree, lib)}",
    ]


def _script_head(library: str, needs: str, dataset: bool) -> list[str]:
    """An exported script's docstring and the standard-library imports every script takes."""
    return [
        f'"""optiviz export: the studio\'s runs with {library}.',
        "",
        "Run: python this_file.py        (prints each run's end point; --json prints every array)",
        f"Needs: {needs}.",
        '"""',
        "",
        "from __future__ import annotations",
        "",
        *(["import collections"] if dataset else []),
        "import json",
        "import math",
        "import sys",
    ]


def _script_tail(run_lines: list[str]) -> list[str]:
    """An exported script's table of runs and its main (after the comment that names the columns)."""
    return ["RUNS = [", *run_lines, "]", "", template("main"), ""]


def torch_script(problem: Problem, comments: Sequence[str] = ()) -> str:
    """The PyTorch script of the problem's runs (``comments``: a line or more above each run's spec)."""
    dataset = isinstance(problem.surface, DatasetSurface)
    tree = None if dataset else surface_tree(problem)
    helpers: dict[str, str] = {}
    copies: list[Any] = []  # the engine's schedule functions the scripts calls
    run_lines = []
    for run, comment in zip(problem.runs, comments or [""] * len(problem.runs), strict=True):
        links = []
        for leg, first, _ in chain_legs(run, problem.steps):  # one leg: a plain run
            ctor, helper = _link(leg, "PyTorch", TORCH_OPTIMIZERS, TORCH_REFUSED, leg.params)
            if helper:
                helpers[helper] = template(helper)
            sched = _torch_scheduler(leg, problem)  # the run's schedule, this link's lr its base
            if f"{_ONE_CYCLE}Held(" in sched:
                helpers["one_cycle_held"] = template("one_cycle_held")
            links.append(f"({first!r}, lambda p: {ctor}, lambda opt: {sched})")
        copies += _engine_copies(run, "torch")
        clip = ", ".join(f"{v!r}" if v else "None" for v in run.clip)
        head = f"{run.batch_size!r}, {run.per == 'epoch'!r}" if dataset else f"{float(run.noise_std)!r}"
        joined = ",\n      ".join(links)
        run_lines.append(f"{comment}    ({run.label!r},\n     [{joined}],\n     {head}, {clip}),")
    if helpers:  # the script's own optimizer classes: the base of their step first
        helpers = {"base": template("torch_rule"), **helpers}
    lines = [
        *_script_head("torch.optim (float64)", "torch, numpy", dataset),
        "import warnings",
        "",
        "import numpy as np",
        "import torch",
        "from torch.optim import lr_scheduler as L",
        "",
        "torch.set_default_dtype(torch.float64)",
        "",
        *_constants(problem, dataset),
        "",
        "",
        *(
            _dataset_source(problem, any(leg.optimizer.hessian for leg in _all_legs(problem)))[:-1]
            if tree is None
            else _formula(problem, tree, 0)
        ),
        "",
        "",
        *[line for k, h in helpers.items() if k != CLOSURE_TEMPLATE for line in (*h.strip("\n").splitlines(), "", "")],
        *_engine_source(copies),
        template("torch_schedulers"),
        "",
        "",
        template("torch_switch"),
        "",
        "",
        template("torch_dataset_loop" if dataset else "torch_loop"),
        "",
        "",
        *(
            [
                *template(CLOSURE_TEMPLATE).strip("\n").splitlines(),
                "",
                "",
                template("torch_dataset_closure_run" if dataset else "torch_closure_run"),
                "",
                "",
            ]
            if CLOSURE_TEMPLATE in helpers
            else []
        ),
        "# (label, [(from update, optimizer, its scheduler), ...: a chain's next optimizer from its update on],\n"
        + (
            "#  batch size, scheduler per epoch, clip by value, clip by norm)"
            if dataset
            else "#  gradient noise std, clip by value, clip by norm)"
        ),
        *_script_tail(run_lines),
    ]
    return "\n".join(lines)


def swats_placed(problem: Problem) -> tuple[Problem, list[str]]:
    """The problem with each SWATS chain placed (`app.engine.switching.swats_chain`: its Adam link
    run, the paper's criterion read off its steps) as the concrete chain the scripts write, and for
    each run the comment the scripts put above it (empty for the other runs)."""
    runs, comments = [], []
    for run in problem.runs:
        if run.swats is None:
            runs.append(run)
            comments.append("")
            continue
        concrete, found = swats_chain(problem, run)
        runs.append(concrete)
        said = "    # SWATS (Keskar & Socher 2017): the switch point and the SGD rate by the paper's criterion"
        if found["step"] is None:
            comments.append(f"{said}, which\n    # never fired on this run: the run is its Adam link alone\n")
            continue
        mu = run.swats.params[momentum_name(run.swats.optimizer)]  # SGD's momentum: its rule's first hyperparameter
        comments.append(
            f"{said}, computed\n    # by optiviz on the Adam link's steps: the switch after update {found['step']!r}, "
            f"rate Λ = {found['lr']!r};\n    # the chain is Adam, then SGD(momentum={mu!r}, dampening=0, "
            f"lr=(1 - {mu!r}) * Λ) from update {found['step']!r}\n"
        )
    return replace(problem, runs=tuple(runs)), comments


def export(problem: Problem, request_body: dict[str, Any], url: str) -> dict[str, Any]:
    """``{"torch": script | None, "optax": script | None, "curl": command, "notes": {...}}``."""
    notes: dict[str, str] = {}
    out: dict[str, Any] = {}
    problem, comments = swats_placed(problem)
    try:
        out["torch"] = torch_script(problem, comments)
    except NotExportable as err:
        out["torch"], notes["torch"] = None, str(err)
    try:
        out["optax"] = optax_script(problem, comments)
    except NotExportable as err:
        out["optax"], notes["optax"] = None, str(err)
    body = json.dumps(request_body, ensure_ascii=False, separators=(",", ":")).replace("'", "'\\''")
    out["curl"] = f"curl -s '{url}' -H 'content-type: application/json' -d '{body}'"
    out["notes"] = notes
    return out


# --- optax --------------------------------------------------------------------------------------
# Each entry: params → the optax transformation over the rate ``lr`` (and ``mom``, where a one-cycle
# schedule cycles the momentum), or NotExportable where optax's formula differs from torch's
# (checked by the round trip). The script wraps it in ``optax.inject_hyperparams`` and sets each
# update's lr (and momentum) on the host: schedules are plain float64 functions of the step count
# in the engine's closed forms (optax's own linear and exponential schedules compute in float32
# and drift by ~1e-8), ReduceLROnPlateau is torch's rule fed with the loss after each update (or
# epoch), as the engine does.


OPTAX_OPTIMIZERS: dict[str, OptaxFn] = {oid: s.optax for oid, s in OPTIMIZERS.items() if s.optax is not None}
# optimizers optax has no exact counterpart of: why there is no optax script (the PyTorch one reproduces them)
OPTAX_REFUSED: dict[str, str] = {oid: s.optax_refused for oid, s in OPTIMIZERS.items() if s.optax_refused}
# the lr drawn where it is not the schedule's (Polyak's effective rate s·γ): the script's function of it
_OPTAX_RATES: dict[str, OptaxFn] = {oid: s.optax_rate for oid, s in OPTIMIZERS.items() if s.optax_rate is not None}


class _Name(str):
    """A name written into the script as itself (the injected momentum ``mom``), not as a literal."""

    def __repr__(self) -> str:
        return str(self)


def _optax_run_line(problem: Problem, run: RunConfig, dataset: bool) -> str:
    from ..engine import feedback

    momentum = "None"
    cycle = run.schedule.momentum
    cycled = cycle is not None and run.schedule.cycles_momentum(run.schedule_params)
    if cycled:  # (a plain run: a chain refuses a cycled momentum)
        assert cycle is not None
        w = run.warmup_steps
        at = f"np.asarray(max(int(t) - {w!r}, 0))"  # the cycle starts after the warm-up
        momentum = f"lambda t: float({_call(cycle.__name__, run.schedule_params, at)})"
    rule = run.schedule.rule
    plateau = "None"
    if rule is not None:  # the engine's rule (one row), fed with the losses by the loop (a plain run)
        plateau = f"lambda: {_call(rule.__name__, run.schedule_params, repr(run.params['lr']) + ', 1')}"
    links = []
    for leg, first, _ in chain_legs(run, problem.steps):  # one leg: a plain run
        params = dict(leg.params)
        if cycled:
            params[feedback.momentum_name(leg.optimizer)] = _Name("mom")
        ctor = _link(leg, "optax", OPTAX_OPTIMIZERS, OPTAX_REFUSED, params)
        if cycled and "mom" not in ctor:
            raise NotExportable(f"no momentum to cycle in the optax form of {leg.optimizer.id!r}")
        schedule = "None" if rule is not None else _optax_schedule(leg)  # the run's, this link's lr its base
        rate = _OPTAX_RATES.get(leg.optimizer.id)
        rate_text = rate(leg.params) if rate else "None"
        args = "lr, mom" if cycled else "lr"
        links.append(f"({first!r}, lambda {args}: {ctor},\n       {schedule}, {rate_text})")
    clip = "None" if run.clip == (0.0, 0.0) else f"({(run.clip[0] or None)!r}, {(run.clip[1] or None)!r})"
    head = f"{run.batch_size!r}, {run.per == 'epoch'!r}" if dataset else f"{float(run.noise_std)!r}"
    joined = ",\n      ".join(links)
    return f"    ({run.label!r},\n     [{joined}],\n     {head}, {momentum}, {plateau}, {clip}),"


def _optax_templates(problem: Problem) -> list[str]:
    """The template files the optax script's runs need (their rate functions), each once."""
    names = (leg.optimizer.optax_rate_template for leg in _all_legs(problem) if leg.optimizer.id in _OPTAX_RATES)
    return list(dict.fromkeys(n for n in names if n))


def optax_script(problem: Problem, comments: Sequence[str] = ()) -> str:
    """The optax script of the problem's runs (``comments``: a line or more above each run's spec)."""
    dataset = isinstance(problem.surface, DatasetSurface)
    tree = None if dataset else surface_tree(problem)
    run_lines = [
        comment + _optax_run_line(problem, run, dataset)
        for run, comment in zip(problem.runs, comments or [""] * len(problem.runs), strict=True)
    ]
    clip = any(run.clip != (0.0, 0.0) for run in problem.runs)
    lines = [
        *_script_head("optax (JAX, float64)", "jax, optax, numpy", dataset),
        "from functools import partial",
        "",
        "import jax",
        "",
        'jax.config.update("jax_enable_x64", True)',
        "import jax.numpy as jnp  # noqa: E402",
        "import numpy as np  # noqa: E402",
        "import optax  # noqa: E402",
        "",
        *_constants(problem, dataset),
        "",
        "",
        *(
            _dataset_source(problem, lib="jnp")[:-1]
            if tree is None
            else [
                *_formula(problem, tree, 1),
                "",
                "",
                "value_and_grad = jax.jit(jax.value_and_grad(lambda p: f(p[0], p[1])))",
            ]
        ),
        "",
        "",
        "def f64(schedule):",
        '    """The schedule on a float64 step count (JAX would divide an int32 one in float32)."""',
        "    return lambda t: schedule(jnp.asarray(t, jnp.float64))",
        "",
        "",
        *_engine_source([obj for run in problem.runs for obj in _engine_copies(run, "optax")]),
        *([template("optax_clip"), "", ""] if clip else ["clipping = None", "", ""]),
        template("optax_common"),
        "",
        "",
        template("optax_dataset_loop" if dataset else "optax_loop"),
        "",
        "",
        *[line for name in _optax_templates(problem) for line in (template(name).strip("\n"), "", "")],
        (
            "# (label, [(from update, optimizer over the rate lr [and momentum mom], lr schedule, the lr drawn),\n"
            "#          ...: a chain's next optimizer from its update on, a fresh opt.init(p)],\n#  "
            + ("batch size, schedule per epoch, " if dataset else "gradient noise std, ")
            + "momentum schedule, plateau, (clip by value, clip by norm))"
        ),
        *_script_tail(run_lines),
    ]
    return "\n".join(lines)
