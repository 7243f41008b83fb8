"""The one registry: every optimizer, schedule and built-in surface the app knows.

It feeds the request schema (valid ids), the catalogue endpoints (which the front end turns
into controls) and the parametrized tests. Nothing lists them a second time.
"""

from __future__ import annotations

import json
import math
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


# Every run its own colour (the studio, the lessons, the Python package's figures: one rule, written in
# static/js/colors.js and optiviz/_colors.py, these its data): the first run of an optimizer keeps the
# optimizer's colour; a further run takes the first of `spare` at least `far` (ΔE*ab, CIE 1976) from
# every colour already drawn; the k-th run of one optimizer the k-th of `dashes`.
def _hsl(h: float, s: float, light: float) -> str:
    """#rrggbb of a hue h (degrees) at saturation s and lightness `light` (CSS hsl(), rounded as JS)."""
    a = s * min(light, 1 - light)

    def channel(n: int) -> str:
        k = (n + h / 30) % 12
        return f"{math.floor(255 * (light - a * max(-1, min(k - 3, 9 - k, 1))) + 0.5):02X}"

    return "#" + "".join(channel(n) for n in (0, 8, 4))


# Distinct colours readable on the grey contour and on white (contrast with white ≥ 2.2, as the
# optimizers' are), tried in this order; past them (many runs) hues every 20° at two lightnesses.
_SPARE = ["#E41A1C", "#33A02C", "#984EA3", "#FF7F00", "#A65628", "#17BECF", "#F781BF", "#1F78B4", "#6A3D9A",
          "#8C564B", "#D62728", "#4DAF4A"]  # fmt: skip
RUN_COLORS: dict[str, Any] = {
    "spare": [*_SPARE, *(_hsl(20 * i, 0.75, light) for light in (0.3, 0.38) for i in range(18))],
    "far": 35.0,  # ΔE*ab from which two colours are told apart at a glance (vermilion–red is 30)
    "dashes": ["solid", "dash", "dot", "dashdot"],
}


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
    "RUN_COLORS",
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
