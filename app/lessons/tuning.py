"""Tuning a learning rate on a log grid, whatever is trained: the part of the fair race that does not
know the problem (a point on a surface, `app.lessons.race`; a network, `app.lessons.network_race`).

- ``measure(lrs, seed)`` runs every rate of the grid with one seed and scores each (lower is better,
  ``inf`` for a diverged run); the best rate is the lowest median score over the seeds, the first
  (lowest rate) among equal scores.
- Noisy runs (mini-batches, gradient noise) are run with several seeds and judged by the median;
  the spread (lowest and highest final loss over the seeds) is reported for each rate.
- A best rate at the edge of the grid is flagged (``at_edge: "low" | "high"``); with ``extend`` the
  grid is first extended once on that side by half its length, within `LR_BOUNDS`.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

LR_BOUNDS = (1e-6, 100.0)  # the catalogue's lr range


@dataclass
class Scores:
    """One seed's measure of every rate of a grid."""

    score: list[float]  # lower is better; inf: diverged
    loss: list[float | None]  # the final loss; None: diverged
    first: dict[str, list[Any]] = field(default_factory=dict)  # reported as measured with the first seed


Measure = Callable[[np.ndarray, int], Scores]


def evaluate(measure: Measure, lrs: np.ndarray, seeds: list[int]) -> dict[str, Any]:
    """Every rate with every seed: the median score, the median final loss (a diverged seed counts
    as +inf) and, with several seeds, the spread [lowest, highest] of the finite final losses."""
    per_seed = [measure(lrs, s) for s in seeds]
    scores = np.array([p.score for p in per_seed], dtype=float)  # (seeds, lrs)
    losses = np.array([[math.nan if v is None else v for v in p.loss] for p in per_seed], dtype=float)
    out: dict[str, Any] = {"score": np.median(scores, axis=0)}
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-diverged columns
        if len(seeds) == 1:
            out["final_loss"] = per_seed[0].loss
        else:
            med = np.nanmedian(np.where(np.isnan(losses), np.inf, losses), axis=0)
            out["final_loss"] = [None if not math.isfinite(v) else float(v) for v in med]
            lo, hi = np.nanmin(losses, axis=0), np.nanmax(losses, axis=0)
            out["spread"] = [
                None if not (math.isfinite(a) and math.isfinite(b)) else [float(a), float(b)]
                for a, b in zip(lo, hi, strict=True)
            ]
    out.update(per_seed[0].first)
    return out


def _edge(best: int, n: int) -> str | None:
    return "low" if best == 0 else "high" if best == n - 1 else None


def extension(lrs: np.ndarray, edge: str) -> np.ndarray:
    """The rates that extend a log grid once on ``edge``: half its length more, within `LR_BOUNDS`."""
    ratio = lrs[1] / lrs[0]
    k = max(1, lrs.size // 2)
    if edge == "low":
        more: np.ndarray = lrs[0] / ratio ** np.arange(k, 0, -1)
        return more[more >= LR_BOUNDS[0]]
    more = lrs[-1] * ratio ** np.arange(1, k + 1)
    return more[more <= LR_BOUNDS[1]]


def tune_grid(
    measure: Measure, lrs: np.ndarray, seeds: list[int], extend: bool = False, score: bool = False
) -> dict[str, Any]:
    """The grid's curve and its best rate: ``lrs``, ``final_loss``, the measure's first-seed values,
    ``best_lr``, ``best_index``, ``at_edge``, ``extended``, ``seeds`` (and ``spread``, ``best_spread``
    with several seeds; with ``score``, the median score of each rate, null where infinite)."""
    ev = evaluate(measure, lrs, seeds)
    best = int(np.argmin(ev["score"]))
    extended = None
    edge = _edge(best, lrs.size)
    if extend and edge is not None and lrs.size >= 2:
        more = extension(lrs, edge)
        if more.size:
            extra = evaluate(measure, more, seeds)
            first = edge == "low"
            lrs = np.concatenate([more, lrs] if first else [lrs, more])
            for key in ev:
                if key != "score":
                    ev[key] = (list(extra[key]) + list(ev[key])) if first else (list(ev[key]) + list(extra[key]))
            ev["score"] = np.concatenate([extra["score"], ev["score"]] if first else [ev["score"], extra["score"]])
            best = int(np.argmin(ev["score"]))
            extended = edge
            edge = _edge(best, lrs.size)
    spread = ev.pop("spread", None)
    scores = ev.pop("score")
    out = {
        "lrs": lrs.tolist(),
        **ev,
        "best_lr": float(lrs[best]),
        "best_index": best,
        "at_edge": edge,
        "extended": extended,
        "seeds": seeds,
    }
    if spread is not None:
        out["spread"] = spread
        out["best_spread"] = spread[best]
    if score:
        out["score"] = [float(v) if math.isfinite(v) else None for v in scores]
    return out
