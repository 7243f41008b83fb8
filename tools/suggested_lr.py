"""Measures the learning rate the studio suggests for each optimizer on each built-in surface, and
writes them to app/engine/data/suggested_lr.json (the catalogue serves them: each surface's
``suggested_lr``; the studio gives a run that rate when its optimizer is switched or it is added).

For every built-in surface × every optimizer that runs on surfaces (the registry's, networks-only
ones left out), the fair race's tuning (`app.lessons.tuning.tune_grid`) measures the final loss of
each rate of a log grid (the catalogue's whole lr range, 5 rates a decade, each of two significant
digits), from the surface's default start, over the studio's default steps, with the optimizer's
other defaults, full batch, no noise, no early stop: element-wise optimizers as rows of one lockstep
computation (`app.lessons.race.tune`), closure ones (L-BFGS, damped Newton) one trajectory per rate.

The suggestion is not the edge of stability that the lowest final loss often is (a rate one notch
below divergence, zig-zagging, or a weight decay's collapse to 0): of the rates that close all but
10⁻⁴ of the gap from the start's loss to the best final loss, the one nearest the optimizer's own
default lr (its default when that does it: L-BFGS's 1, Rprop's 0.01) (`pick`). The studio's default
custom formula (`app.registry.CUSTOM_DEFAULT`) is measured the same way (the data's ``custom``). An
optimizer that cannot run on a surface with its defaults (the Polyak step size where f* is
unknown), or diverges at every rate (L-BFGS on the unbounded monkey saddle), has none there.

Run once after a surface or an optimizer is added (the test tests/engine/test_suggested_lr.py says
which are missing): ``python -m tools.suggested_lr`` (a few minutes; ``--jobs N`` runs surfaces in
N processes).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from app.api.schemas import TrajectoryRequest
from app.api.service import InvalidRequest, build_problem
from app.engine.backend import SCALAR
from app.engine.closure import ClosureRun
from app.engine.runner import DIVERGED
from app.lessons.race import tune
from app.lessons.tuning import LR_BOUNDS, Scores, tune_grid
from app.registry import CUSTOM_DEFAULT, OPTIMIZERS, SUGGESTED_LR_FILE, SURFACES

STEPS = 300  # the studio's default steps (static/js/state.js); the data file records it
# the log grid: 5 rates a decade over the catalogue's whole lr range, each rounded to two significant
# digits before it is measured (on a chaotic surface 3.98 and 4.0 end far apart: the rate suggested
# is the rate measured)
GRID = np.array(sorted({float(f"{v:.2g}") for v in np.geomspace(*LR_BOUNDS, 41)}))
GAP = 1e-4  # the share of the gap (start's loss − best final loss) the suggested rate may leave


def surface_optimizers() -> list[str]:
    """Every optimizer that runs on a 2D surface."""
    return [o.id for o in OPTIMIZERS.values() if not o.networks_only]


def _closure_measure(problem: Any, run: Any) -> Any:
    """The fair race's measure (final loss; inf when diverged) for a closure optimizer: one run per rate."""

    def measure(lrs: np.ndarray, seed: int) -> Scores:
        losses: list[float | None] = []
        for lr in lrs:
            one = ClosureRun(replace(problem, seed=seed), replace(run, params={**run.params, "lr": float(lr)}))
            one.advance(problem.steps)
            final = one.traj.loss[-1] if one.traj.loss else math.nan
            ok = one.status != DIVERGED and math.isfinite(final)
            losses.append(float(final) if ok else None)
        return Scores([v if v is not None else math.inf for v in losses], losses)

    return measure


def pick(lrs: list[float], final_loss: list[float | None], start_loss: float, default: float) -> float | None:
    """Of the rates whose final loss is within `GAP` of the way from the start's loss to the best (the
    best itself when no rate improves on the start), the nearest to ``default`` on a log scale; None
    when every rate diverges."""
    finite = [v for v in final_loss if v is not None]
    if not finite:
        return None
    best = min(finite)
    enough = best + GAP * max(start_loss - best, 0.0)
    good = [lr for lr, v in zip(lrs, final_loss, strict=True) if v is not None and v <= enough]
    return min(good, key=lambda lr: abs(math.log(lr / default)))


def suggested_lr(surface: Any, optimizer: str) -> float | None:
    """The suggested rate of ``optimizer`` on ``surface`` (an id, or a custom surface's request
    object); None where it cannot run with its defaults, or diverges at every rate (the studio then
    gives it its default lr)."""
    body = {"surface": surface, "steps": STEPS, "tolerance": 0.0, "seed": 0, "runs": [{"optimizer": optimizer}]}
    try:
        problem = build_problem(TrajectoryRequest.model_validate(body))
    except InvalidRequest:
        return None
    run = problem.runs[0]
    if run.optimizer.driver == "closure":
        curve = tune_grid(_closure_measure(problem, run), GRID, [problem.seed])
    else:
        curve = tune(problem, run, GRID, "final_loss")
    start_loss = float(problem.surface.value(*problem.start, SCALAR))
    default = float(run.optimizer.spec("lr").default)  # type: ignore[union-attr]
    return pick(curve["lrs"], curve["final_loss"], start_loss, default)


def measure_surface(surface: Any) -> dict[str, float]:
    out = {o: lr for o in surface_optimizers() if (lr := suggested_lr(surface, o)) is not None}
    print(f"{surface}: {out}", file=sys.stderr, flush=True)
    return out


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--jobs", type=int, default=1, help="processes (surfaces measured in parallel)")
    ap.add_argument("--out", type=Path, default=SUGGESTED_LR_FILE)
    args = ap.parse_args(argv)
    todo: list[Any] = [*SURFACES, CUSTOM_DEFAULT]
    if args.jobs > 1:
        with ProcessPoolExecutor(args.jobs) as pool:
            measured = list(pool.map(measure_surface, todo))
    else:
        measured = list(map(measure_surface, todo))
    data = {
        "about": "The studio's suggested lr per built-in surface and optimizer, and for the default custom formula "
        "(app.registry.CUSTOM_DEFAULT): measured by tools/suggested_lr.py over `steps` steps from the default start.",
        "steps": STEPS,
        "surfaces": dict(zip(SURFACES, measured[:-1], strict=True)),
        "custom": measured[-1],
    }
    args.out.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
