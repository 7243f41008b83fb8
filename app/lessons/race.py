"""A fair race: tune each optimizer's learning rate on a log grid (all rates as rows of one
lockstep computation per optimizer), by a stated objective, then race the tuned ones."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from app.engine.runner import CONVERGED, DIVERGED, LockstepRuns, Problem, RunConfig


def tune(problem: Problem, run: RunConfig, lrs: np.ndarray, objective: str) -> dict[str, Any]:
    rows = LockstepRuns(problem, run, np.tile(problem.start, (lrs.size, 1)), {"lr": lrs})
    rows.advance(problem.steps + 1)
    r = rows.result
    loss = [None if s == DIVERGED or not math.isfinite(v) else float(v) for v, s in zip(r.loss, r.status, strict=True)]
    if objective == "final_loss":
        scores = [v if v is not None else math.inf for v in loss]
    else:  # steps to tolerance: unconverged runs rank after every converged one, by final loss
        scores = [float(t) if s == CONVERGED else problem.steps + 1 + (v if v is not None else math.inf)
                  for t, s, v in zip(r.steps_taken.tolist(), r.status, loss, strict=True)]
    best = int(np.argmin(scores))
    return {
        "optimizer": run.optimizer.id,
        "lrs": lrs.tolist(),
        "final_loss": loss,
        "steps_taken": r.steps_taken.tolist(),
        "status": r.status.tolist(),
        "best_lr": float(lrs[best]),
        "best_index": best,
    }
