"""A fair race on a surface: tune each optimizer's learning rate on a log grid (all rates as rows of
one lockstep computation per optimizer), by a stated objective, then race the tuned ones.

- The tolerance used while tuning is the request's, and the same tolerance goes into the race
  request, so the studio runs exactly what was tuned.
- The grid, the seeds' median and spread, the edge and its extension: `app.lessons.tuning`, shared
  with the networks' race (`app.lessons.network_race`).
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

import numpy as np

from ..engine.runner import CONVERGED, DIVERGED, LockstepRuns, Problem, RunConfig
from .tuning import Scores, tune_grid


def _scores(problem: Problem, run: RunConfig, lrs: np.ndarray, objective: str) -> Scores:
    rows = LockstepRuns(problem, run, np.tile(problem.start, (lrs.size, 1)), {"lr": lrs})
    rows.advance(problem.steps + 1)
    r = rows.result
    loss = [None if s == DIVERGED or not math.isfinite(v) else float(v) for v, s in zip(r.loss, r.status, strict=True)]
    if objective == "final_loss":
        scores = [v if v is not None else math.inf for v in loss]
    else:  # steps to tolerance: unconverged runs rank after every converged one, by final loss
        scores = [
            float(t) if s == CONVERGED else problem.steps + 1 + (v if v is not None else math.inf)
            for t, s, v in zip(r.steps_taken.tolist(), r.status, loss, strict=True)
        ]
    return Scores(scores, loss, {"steps_taken": r.steps_taken.tolist(), "status": r.status.tolist()})


def is_noisy(problem: Problem, run: RunConfig) -> bool:
    m = getattr(getattr(problem.surface, "model", None), "data", None)
    return run.noise_std > 0 or (m is not None and run.batch_size is not None and run.batch_size < m.m)


def tune(
    problem: Problem,
    run: RunConfig,
    lrs: np.ndarray,
    objective: str,
    seeds: list[int] | None = None,
    extend: bool = False,
) -> dict[str, Any]:
    """One optimizer's curve over the grid ``lrs`` (with ``seeds``: the problem's seed by default)."""
    seeds = seeds or [problem.seed]

    def measure(rates: np.ndarray, seed: int) -> Scores:
        return _scores(replace(problem, seed=seed), run, rates, objective)

    return {"optimizer": run.optimizer.id, **tune_grid(measure, lrs, seeds, extend)}
