"""The one registry: every optimizer, schedule and built-in surface the app knows.

It feeds the request schema (valid ids), the catalogue endpoints (which the front end turns
into controls) and the parametrized tests. Nothing lists them a second time.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .engine.datasets import DATASETS
from .engine.optimizers import OPTIMIZERS, OptimizerSpec
from .engine.schedules import SCHEDULES, ScheduleSpec
from .engine.surfaces import ANALYTIC, STUDIO, Surface, default_runs

SURFACES: dict[str, Surface] = {s.id: s for s in (*ANALYTIC, *DATASETS)}

OPTIMIZER_IDS: tuple[str, ...] = tuple(OPTIMIZERS)
SCHEDULE_IDS: tuple[str, ...] = tuple(SCHEDULES)
SURFACE_IDS: tuple[str, ...] = tuple(SURFACES)

# The lr the studio suggests for each optimizer on each built-in surface ({surface: {optimizer: lr}}),
# measured by tools/suggested_lr.py (the fair race's tuning, over `steps` steps from the default start)
SUGGESTED_LR_FILE = Path(__file__).parent / "engine" / "data" / "suggested_lr.json"
SUGGESTED_LR: dict[str, dict[str, float]] = (
    json.loads(SUGGESTED_LR_FILE.read_text(encoding="utf-8"))["surfaces"] if SUGGESTED_LR_FILE.exists() else {}
)


# The formula the studio's "Custom formula…" opens on; its runs (the studio's four optimizers) and its
# suggested rates are measured with the built-in surfaces' (tools/suggested_lr.py, the data's "custom")
CUSTOM_DEFAULT: dict[str, Any] = {"expression": "x^2 + 10*y^2", "x_range": [-3.0, 3.0], "y_range": [-3.0, 3.0]}
CUSTOM_SUGGESTED_LR: dict[str, float] = (
    json.loads(SUGGESTED_LR_FILE.read_text(encoding="utf-8")).get("custom", {}) if SUGGESTED_LR_FILE.exists() else {}
)


def custom_public() -> dict[str, Any]:
    """The surface "Custom formula…" opens on: its formula, ranges, runs (`STUDIO`'s optimizers at their
    suggested rates) and suggested rates."""
    runs = default_runs(*((o, CUSTOM_SUGGESTED_LR[o]) for o in STUDIO if o in CUSTOM_SUGGESTED_LR))
    return {**CUSTOM_DEFAULT, "default_runs": [dict(r) for r in runs], "suggested_lr": dict(CUSTOM_SUGGESTED_LR)}


def surface_public(surface: Surface) -> dict[str, Any]:
    """A built-in surface as the catalogue lists it: its own fields and its suggested learning rates."""
    return {**surface.public(), "suggested_lr": dict(SUGGESTED_LR.get(surface.id, {}))}


__all__ = [
    "CUSTOM_DEFAULT",
    "OPTIMIZERS",
    "OPTIMIZER_IDS",
    "SCHEDULES",
    "SCHEDULE_IDS",
    "SUGGESTED_LR",
    "SUGGESTED_LR_FILE",
    "SURFACES",
    "SURFACE_IDS",
    "OptimizerSpec",
    "ScheduleSpec",
    "Surface",
    "custom_public",
    "surface_public",
]
