"""Exponentially weighted averages: vₜ = βvₜ₋₁ + (1−β)θₜ with v₀ = 0, and the bias-corrected
vₜ/(1−βᵗ). The effective window is about 1/(1−β) values."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

DATA = Path(__file__).parent / "data" / "seattle_temp_max.json"


@lru_cache
def seattle() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(DATA.read_text())
    return data


def ewa(series: np.ndarray, beta: float) -> tuple[np.ndarray, np.ndarray]:
    """(v, corrected) for t = 1..n, exactly the recurrence of the course."""
    v = np.empty_like(series)
    acc = 0.0
    for i, theta in enumerate(series.tolist()):
        acc = beta * acc + (1.0 - beta) * theta
        v[i] = acc
    t = np.arange(1, series.shape[0] + 1)
    return v, v / (1.0 - beta**t)


def averages(series: list[float] | None, betas: list[float], bias_correction: bool) -> dict[str, Any]:
    data = seattle() if series is None else None
    values = np.asarray(data["temp_max"] if data else series, dtype=float)
    out: dict[str, Any] = {"series": values.tolist()}
    if data:
        out["dates"] = data["dates"]
        out["source"] = data["source"]
        out["unit"] = data["variable"]
    out["bias_correction"] = bias_correction
    out["averages"] = []
    for beta in betas:
        v, corrected = ewa(values, beta)
        out["averages"].append(
            {"beta": beta, "window": 1.0 / (1.0 - beta), "values": v.tolist(), "corrected": corrected.tolist()}
        )
    return out
