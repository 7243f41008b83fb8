"""A fair race: tune each optimizer's learning rate on a log grid (all rates as rows of one
lockstep computation per optimizer), by a stated objective, then race the tuned ones.

- The tolerance used while tuning is the request's, and the same tolerance goes into the race
  request, so the studio runs exactly what was tuned.
- A best rate at the edge of the grid is flagged (``at_edge: "low" | "high"``); with ``extend``
  the grid is first extended once on that side by half its length.
- Noisy runs (mini-batches, gradient noise) are judged by the median over several seeds; the
  spread (lowest and highest score over the seeds) is reported.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import replace
from typing import Any

import numpy as np

from ..engine.runner import CONVERGED, DIVERGED, LockstepRuns, Problem, RunConfig

LR_BOUNDS = (1e-6, 100.0)  # the catalogue's lr range


def _scores(
    problem: Problem, run: RunConfig, lrs: np.ndarray, objective: str
) -> tuple[list[float], list[float | None], list[int], list[str]]:
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
    return scores, loss, r.steps_taken.tolist(), r.status.tolist()


def is_noisy(problem: Problem, run: RunConfig) -> bool:
    m = getattr(getattr(problem.surface, "model", None), "data", None)
    return run.noise_std > 0 or (m is not None and run.batch_size is not None and run.batch_size < m.m)


def _evaluate(problem: Problem, run: RunConfig, lrs: np.ndarray, objective: str, seeds: list[int]) -> dict[str, Any]:
    per_seed = [_scores(replace(problem, seed=s), run, lrs, objective) for s in seeds]
    scores = np.array([p[0] for p in per_seed], dtype=float)  # (seeds, lrs)
    losses = np.array([[math.nan if v is None else v for v in p[1]] for p in per_seed], dtype=float)
    out: dict[str, Any] = {"score": np.median(scores, axis=0)}
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-diverged columns
        if len(seeds) == 1:
            out["final_loss"] = per_seed[0][1]
        else:
            med = np.nanmedian(np.where(np.isnan(losses), np.inf, losses), axis=0)
            out["final_loss"] = [None if not math.isfinite(v) else float(v) for v in med]
            lo, hi = np.nanmin(losses, axis=0), np.nanmax(losses, axis=0)
            out["spread"] = [
                None if not (math.isfinite(a) and math.isfinite(b)) else [float(a), float(b)]
                for a, b in zip(lo, hi, strict=True)
            ]
    out["steps_taken"] = per_seed[0][2]
    out["status"] = per_seed[0][3]
    return out


def _edge(best: int, n: int) -> str | None:
    return "low" if best == 0 else "high" if best == n - 1 else None


def tune(
    problem: Problem,
    run: RunConfig,
    lrs: np.ndarray,
    objective: str,
    seeds: list[int] | None = None,
    extend: bool = False,
) -> dict[str, Any]:
    seeds = seeds or [problem.seed]
    ev = _evaluate(problem, run, lrs, objective, seeds)
    best = int(np.argmin(ev["score"]))
    extended = None
    edge = _edge(best, lrs.size)
    if extend and edge is not None and lrs.size >= 2:
        ratio = lrs[1] / lrs[0]
        k = max(1, lrs.size // 2)
        if edge == "low":
            more = lrs[0] / ratio ** np.arange(k, 0, -1)
            more = more[more >= LR_BOUNDS[0]]
        else:
            more = lrs[-1] * ratio ** np.arange(1, k + 1)
            more = more[more <= LR_BOUNDS[1]]
        if more.size:
            extra = _evaluate(problem, run, more, objective, seeds)
            first = edge == "low"
            lrs = np.concatenate([more, lrs] if first else [lrs, more])
            for key in ("final_loss", "steps_taken", "status", "spread"):
                if key in ev:
                    ev[key] = (list(extra[key]) + list(ev[key])) if first else (list(ev[key]) + list(extra[key]))
            ev["score"] = np.concatenate([extra["score"], ev["score"]] if first else [ev["score"], extra["score"]])
            best = int(np.argmin(ev["score"]))
            extended = edge
            edge = _edge(best, lrs.size)
    out = {
        "optimizer": run.optimizer.id,
        "lrs": lrs.tolist(),
        "final_loss": ev["final_loss"],
        "steps_taken": ev["steps_taken"],
        "status": ev["status"],
        "best_lr": float(lrs[best]),
        "best_index": best,
        "at_edge": edge,
        "extended": extended,
        "seeds": seeds,
    }
    if "spread" in ev:
        out["spread"] = ev["spread"]
        out["best_spread"] = ev["spread"][best]
    return out
