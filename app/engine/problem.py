"""A problem: one surface, a start, a number of steps and the runs to make there, fully resolved.

What the runner (`app.engine.runner`), the closure optimizers (`app.engine.closure`) and the cost
estimates (`app.engine.cost`) all read; it imports none of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .optimizers import OptimizerSpec
from .schedules import Link, ScheduleSpec
from .surfaces import Surface


@dataclass(frozen=True)
class RunConfig:
    """One run, fully resolved: every parameter filled and validated."""

    optimizer: OptimizerSpec
    params: dict[str, Any]
    schedule: ScheduleSpec
    schedule_params: dict[str, Any]
    warmup_steps: int = 0
    per: str = "step"  # or "epoch" (dataset surfaces)
    batch_size: int | None = None  # dataset surfaces
    noise_std: float = 0.0  # analytic surfaces
    label: str = ""
    clip_value: float = 0.0  # gradient clipping (torch clip_grad_value_ / clip_grad_norm_), 0 = off
    clip_norm: float = 0.0
    chain: tuple[Link, ...] = ()  # torch SequentialLR: further schedules from their milestones on

    @property
    def clip(self) -> tuple[float, float]:
        return self.clip_value, self.clip_norm


@dataclass(frozen=True)
class Problem:
    surface: Surface
    start: tuple[float, float]
    steps: int
    tolerance: float
    seed: int
    runs: tuple[RunConfig, ...]
    include_state: bool = False  # record each update's gradient, moment and effective lr
