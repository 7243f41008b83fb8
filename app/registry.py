"""The one registry: every optimizer, schedule and built-in surface the app knows.

It feeds the request schema (valid ids), the catalogue endpoints (which the front end turns
into controls) and the parametrized tests. Nothing lists them a second time.
"""

from __future__ import annotations

from .engine.datasets import DATASETS
from .engine.optimizers import OPTIMIZERS, OptimizerSpec
from .engine.schedules import SCHEDULES, ScheduleSpec
from .engine.surfaces import ANALYTIC, Surface

SURFACES: dict[str, Surface] = {s.id: s for s in (*ANALYTIC, *DATASETS)}

OPTIMIZER_IDS: tuple[str, ...] = tuple(OPTIMIZERS)
SCHEDULE_IDS: tuple[str, ...] = tuple(SCHEDULES)
SURFACE_IDS: tuple[str, ...] = tuple(SURFACES)

__all__ = [
    "OPTIMIZERS",
    "OPTIMIZER_IDS",
    "SCHEDULES",
    "SCHEDULE_IDS",
    "SURFACES",
    "SURFACE_IDS",
    "OptimizerSpec",
    "ScheduleSpec",
    "Surface",
]
