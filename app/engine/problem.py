"""A problem: one surface, a start, a number of steps and the runs to make there, fully resolved.

What the runner (`app.engine.runner`), the closure optimizers (`app.engine.closure`) and the cost
estimates (`app.engine.cost`) all read; it imports none of them.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from .optimizers import OptimizerSpec
from .schedules import Link, ScheduleSpec
from .surfaces import Surface


@dataclass(frozen=True)
class Switch:
    """A later link of an optimizer chain: from update ``milestone`` on, ``optimizer`` with ``params``."""

    milestone: int
    optimizer: OptimizerSpec
    params: dict[str, Any]


@dataclass(frozen=True)
class Swats:
    """The second link of a two-link chain whose switch step and SGD rate SWATS picks (Keskar &
    Socher 2017; `app.engine.switching.swats_point`): ``optimizer`` (SGD) with ``params`` (no lr:
    SWATS sets it), its criterion's ε ``tolerance``."""

    optimizer: OptimizerSpec
    params: dict[str, Any]
    tolerance: float


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
    # an optimizer chain: from each switch's milestone on, its optimizer from the reached point,
    # fresh state (`legs`, app.engine.switching); the schedule runs on the whole run's clock
    switches: tuple[Switch, ...] = ()
    # a chain's second link by SWATS's rule, not yet placed (`app.engine.switching.swats_chain`
    # turns it into a switch at the step its criterion picks)
    swats: Swats | None = None
    # updates made before this run began: a leg of a chain takes the whole run's schedule, noise
    # draws and mini-batches from there on (0: a run of its own)
    clock: int = 0

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


def legs(run: RunConfig, steps: int) -> list[tuple[RunConfig, int, int]]:
    """The parts of a run of ``steps`` updates: each link of its optimizer chain as a run of its
    own (no switches; ``clock`` its first update) over updates t0..t1-1; a run without a chain is
    one leg, itself. A SWATS chain not yet placed: its first link over the whole run (what the
    answer holds; the run's cost counts it twice, `app.engine.cost.trajectories`)."""
    if run.swats is not None:
        return [(replace(run, swats=None), 0, steps)]
    if not run.switches:
        return [(run, 0, steps)]
    starts = [0, *(s.milestone for s in run.switches)]
    links = [(run.optimizer, run.params), *((s.optimizer, s.params) for s in run.switches)]
    ends = [*starts[1:], steps]
    return [
        (replace(run, optimizer=o, params=p, switches=(), clock=t0), t0, t1)
        for (o, p), t0, t1 in zip(links, starts, ends, strict=True)
    ]
