"""A network lesson over several seeds: each run's per-epoch curves summarized across the seeds.

The lesson's request is trained once per seed (`scenarios.seeded`: the model's init and the batch
order seeded together), each by the network service; `summary` turns those answers (one per seed,
the runs of POST /api/v1/networks) into one answer: per run and per series (train loss, test
accuracy), the values of every seed, their mean, their standard deviation (population, ddof 0) and
the band the page draws, from the lowest to the highest seed (``band: "min-max"``). A run that
diverged in a seed has no value there from that epoch on: the figures of an epoch are over the seeds
that have one (``n``), and null where none has.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

SERIES = ("train_loss", "test_accuracy")
BAND = "min-max"  # the band drawn around each mean: the lowest to the highest seed
# what each run's summary repeats from the runs' answers (the first seed's: the same for every seed)
RUN_FIELDS = ("label", "optimizer", "params", "optimizers")


def _matrix(series: list[list[float | None]], length: int) -> np.ndarray:
    """The seeds' series as rows, NaN where a seed has no value (diverged, or null)."""
    out = np.full((len(series), length), np.nan)
    for i, s in enumerate(series):
        row = [math.nan if v is None else float(v) for v in s[:length]]
        out[i, : len(row)] = row
    return out


def _listed(v: np.ndarray) -> list[float | None]:
    return [float(x) if math.isfinite(x) else None for x in v]


def band(series: list[list[float | None]], length: int) -> dict[str, Any]:
    """Per epoch: ``mean``, ``sd``, ``lo``, ``hi`` over the seeds that have a value, ``n`` of them,
    and ``seeds``: every seed's values (null where it has none)."""
    a = _matrix(series, length)
    ok = np.isfinite(a)
    n = ok.sum(axis=0)
    filled = np.where(ok, a, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = filled.sum(axis=0) / n
        sd = np.sqrt((np.where(ok, a - mean, 0.0) ** 2).sum(axis=0) / n)
    lo = np.where(n > 0, np.where(ok, a, np.inf).min(axis=0), np.nan)
    hi = np.where(n > 0, np.where(ok, a, -np.inf).max(axis=0), np.nan)
    return {
        "mean": _listed(mean),
        "sd": _listed(sd),
        "lo": _listed(lo),
        "hi": _listed(hi),
        "n": [int(k) for k in n],
        "seeds": [_listed(row) for row in a],
    }


def summary(answers: list[list[dict[str, Any]]], seeds: list[int], epochs: int) -> dict[str, Any]:
    """One answer for the seeds: ``answers[k]`` are the runs trained with ``seeds[k]``."""
    runs = []
    for i, first in enumerate(answers[0]):
        per_seed = [a[i] for a in answers]
        run: dict[str, Any] = {k: first[k] for k in RUN_FIELDS if k in first}
        run["status"] = [r["status"] for r in per_seed]
        if "switches" in first:
            run["switches"] = [r["switches"] for r in per_seed]
        for name in SERIES:
            run[name] = band([r[name] for r in per_seed], epochs + 1)
        runs.append(run)
    return {"seeds": list(seeds), "band": BAND, "epochs": epochs, "runs": runs}
