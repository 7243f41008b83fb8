"""Compile the engine's kernels into the on-disk cache: ``python -m app.engine.kernels.warmup``.

Run once at install time (``make run``, the Docker build), so a fresh server loads compiled
machine code instead of compiling on its first request. Every entry point is called once with the
argument types the runner uses, so each is compiled exactly once (one specialization each).
"""

from __future__ import annotations

import shutil
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..runner import Problem


def _problems() -> list[tuple[Problem, bool]]:
    """The problems whose runs compile every entry point once, built from engine objects alone
    (the registry and the request schema sit above the engine): Adam with noise and internals on
    a built-in surface, GD on a typed formula (the tape interpreter), RMSprop and Schedule-Free
    (whose update takes one more argument) on mini-batches (the dataset loop, app/engine/kernels/
    data.py); each with whether its rows are stepped in lockstep too."""
    from dataclasses import replace

    from ..datasets import DATASETS
    from ..expression import finite_in_box, parse_expression
    from ..optimizers import OPTIMIZERS
    from ..runner import Problem, RunConfig
    from ..schedules import SCHEDULES
    from ..surfaces import ANALYTIC

    analytic = {s.id: s for s in ANALYTIC}
    constant = SCHEDULES["constant"]

    def run(optimizer: str, **fields: Any) -> tuple[RunConfig, ...]:
        spec = OPTIMIZERS[optimizer]
        params = spec.resolve({}, "optimizer")
        return (RunConfig(spec, params, constant, {}, label=spec.name, **fields),)

    bowl = analytic["elongated_bowl"]
    expr = parse_expression("x^2 + 10*y^2")
    formula = replace(
        bowl,
        id="custom",
        kind="custom",
        formula=expr.display,
        value=expr.value,
        grad=expr.grad,
        x_range=(-3.0, 3.0),
        y_range=(-3.0, 3.0),
        finite_in_bound=False,
    )
    formula = replace(formula, finite_in_bound=finite_in_box(expr.tree, formula.bound))
    rosenbrock = analytic["rosenbrock"]
    data = next(s for s in DATASETS if s.id == "linear_regression")
    return [
        (Problem(rosenbrock, rosenbrock.default_start, 20, 0.0, 0, run("adam", noise_std=0.1), True), True),
        (Problem(formula, (1.5, 1.5), 20, 0.0, 0, run("gd")), True),
        (Problem(data, data.default_start, 5, 0.0, 0, run("rmsprop", batch_size=10)), True),
        (Problem(data, data.default_start, 5, 1e-6, 0, run("schedule_free_adamw", batch_size=10)), True),
    ]


def _network() -> None:
    """A small network trained one epoch by NAdam (its rule over the whole vector,
    `loop.update_each`) and Adam: the network's compiled passes (app/engine/network/kernels.py:
    the activation is an argument, so one network compiles every one of them)."""
    from ..network import DataConfig, ModelConfig, NetworkProblem, train
    from ..optimizers import OPTIMIZERS
    from ..runner import RunConfig
    from ..schedules import SCHEDULES

    runs = tuple(
        RunConfig(OPTIMIZERS[o], OPTIMIZERS[o].resolve({}, "optimizer"), SCHEDULES["constant"], {}, batch_size=8)
        for o in ("nadam", "adam")
    )
    train(NetworkProblem(DataConfig(samples=20), ModelConfig(hidden=(3, 2)), 1, 0, runs))


def warm() -> dict[str, Any]:
    t0 = time.perf_counter()
    import numpy as np

    from ..runner import LockstepRuns, ScalarRun
    from . import CACHE_DIR, COMPILED, loop

    t1 = time.perf_counter()
    for problem, rows in _problems():
        ScalarRun(problem, problem.runs[0]).advance(problem.steps)
        if rows:
            lrs = {"lr": np.geomspace(1e-3, 0.1, 40)}
            lockstep = LockstepRuns(problem, problem.runs[0], np.tile(problem.start, (40, 1)), lrs)
            lockstep.advance(problem.steps)
    _network()
    t2 = time.perf_counter()
    _drop_stale(Path(CACHE_DIR))
    return {
        "import_s": t1 - t0,
        "compile_or_load_s": t2 - t1,
        "specializations": len(getattr(loop.steps, "signatures", ())),
        "compiled": COMPILED,
        "cache": str(CACHE_DIR),
    }


def _drop_stale(current: Path) -> None:
    """Remove the caches of earlier versions of the kernels (folders named by other hashes)."""
    from . import cache_root

    root = cache_root()
    if current.parent != root:
        return
    for old in root.iterdir():
        if old.is_dir() and old != current:
            shutil.rmtree(old, ignore_errors=True)


if __name__ == "__main__":
    info = warm()
    print(
        f"optiviz kernels: {'compiled' if info['compiled'] else 'plain Python'} in {info['compile_or_load_s']:.1f} s "
        f"(imports {info['import_s']:.1f} s), {info['specializations']} specialization(s) of the step loop, "
        f"cache {info['cache']}",
        file=sys.stderr,
    )
