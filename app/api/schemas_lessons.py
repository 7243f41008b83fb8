"""Schemas of the lessons' endpoints (``…Request`` in, ``…Public`` out): sweeps, basins, EWA,
schedule previews, the fair race and the claims."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, field_validator, model_validator

from ..i18n import text as t
from ..registry import OPTIMIZERS
from ..settings import get_settings
from .schemas import (
    MAX_CHAIN,
    Coord,
    Number,
    OptimizerId,
    OptimizerLinkRequest,
    RunStatus,
    ScheduleRequest,
    StrictModel,
    SurfaceField,
    SurfaceRequestBase,
    SwatsPublic,
    _chain_or_optimizer,
    first_link,
    first_link_params,
)

MAX_CELLS_PER_AXIS = 200
MAX_SWEEP_WORK = 50_000_000  # cells × steps: about a second of lockstep work on an analytic surface
MAX_SERIES = 10_000
MAX_SERIES_VALUE = 1e300  # |value| of a series: the averages and their bias correction stay finite


class AxisRequest(StrictModel):
    """One axis of a sweep: `values`, or `min`, `max`, `n` and `scale`."""

    name: str = Field(
        description="An optimizer hyperparameter (float), 'lr', or 'batch_size' (dataset surfaces); with an "
        "optimizer chain (`optimizers`) also 'milestone' (link 1's switch update), 'optimizers.<j>.milestone' "
        "or 'optimizers.<j>.<hyperparameter>' (link j's, e.g. 'optimizers.1.lr')."
    )
    values: list[Number] | None = Field(None, min_length=1, max_length=MAX_CELLS_PER_AXIS)
    min: Number | None = None
    max: Number | None = None
    n: StrictInt | None = Field(None, ge=1, le=MAX_CELLS_PER_AXIS)
    scale: Literal["linear", "log"] = "linear"

    @model_validator(mode="after")
    def _shape(self) -> AxisRequest:
        if self.values is None:
            if self.min is None or self.max is None or self.n is None:
                raise ValueError(t("error.axis.shape"))
            if self.min > self.max:
                raise ValueError(t("error.axis.order"))
            if self.scale == "log" and self.min <= 0:
                raise ValueError(t("error.axis.log"))
        return self


class LessonRunFields(StrictModel):
    optimizer: OptimizerId
    params: dict[str, Any] = Field(default_factory=dict)
    schedule: ScheduleRequest | None = None
    batch_size: StrictInt | None = Field(None, ge=1)
    noise_std: Number = Field(0.0, ge=0.0, le=1e6)
    steps: StrictInt = Field(500, ge=1, le=get_settings().max_steps)
    tolerance: Number = Field(0.0, ge=0.0, le=1e6)
    seed: StrictInt = Field(0, ge=0, le=2**32 - 1)


class SweepRequest(SurfaceRequestBase, LessonRunFields):
    """One optimizer (or an optimizer chain) on one surface over a grid of two hyperparameters; every
    cell a full run."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, json_schema_extra=_chain_or_optimizer)

    start: tuple[Coord, Coord] | None = None
    optimizers: list[OptimizerLinkRequest] | None = Field(
        None,
        min_length=1,
        max_length=MAX_CHAIN,
        description="An optimizer chain, the links of a run's `optimizers` (POST /api/v1/trajectories): then an "
        "axis may be `milestone` (link 1's switch update), `optimizers.<j>.milestone` or `optimizers.<j>.<param>` "
        "(a hyperparameter of link j); a plain name (`lr`) is link 0's. A swept milestone may be omitted in its "
        "link. Every cell is the single run of POST /api/v1/trajectories with the chain and the cell's values; "
        "its milestones whole, within (0, steps), strictly increasing (else a 422 naming the cell's axis "
        "values) and on epoch boundaries on dataset surfaces. A closure optimizer (L-BFGS, Newton) may be the "
        "last link. Replaces `optimizer` and `params` (which, if given, must be the first link's). The answer "
        "adds `switches`.",
    )
    x_param: AxisRequest
    y_param: AxisRequest
    epochs: StrictInt | None = Field(
        None,
        ge=1,
        le=1000,
        description="Dataset surfaces: every cell runs this many epochs (epochs·⌈m / batch size⌉ updates, so "
        "cells of different batch sizes see the same number of samples) instead of `steps` updates.",
    )

    @model_validator(mode="before")
    @classmethod
    def _first_link(cls, data: Any) -> Any:
        return first_link(data)

    @model_validator(mode="after")
    def _chain(self) -> SweepRequest:
        """`optimizer` and `params`, if given, those of the chain's first link (the run's rule)."""
        if self.optimizers is not None:
            params = OPTIMIZERS[self.optimizer].resolve(self.params, "optimizer")
            given = "params" in self.model_fields_set
            self.params = first_link_params(self.optimizer, params, given, self.optimizers[0])
        return self


class BasinRequest(SurfaceRequestBase, LessonRunFields):
    """One optimizer started from every point of an n × n grid over the surface's display ranges."""

    n: StrictInt = Field(40, ge=2, le=MAX_CELLS_PER_AXIS)


class EwaRequest(StrictModel):
    series: list[Number] | None = Field(
        None,
        min_length=1,
        max_length=MAX_SERIES,
        description="Your own series; default: Seattle's daily maximum temperature.",
    )
    betas: list[Number] = Field([0.5, 0.9, 0.98], min_length=1, max_length=8)
    bias_correction: StrictBool = True

    @field_validator("series")
    @classmethod
    def _values(cls, v: list[float] | None) -> list[float] | None:
        bad = next((i for i, x in enumerate(v or ()) if abs(x) > MAX_SERIES_VALUE), None)
        if v is not None and bad is not None:
            raise ValueError(t("error.series", index=bad, value=f"{v[bad]:g}", limit=f"{MAX_SERIES_VALUE:g}"))
        return v

    @model_validator(mode="after")
    def _betas(self) -> EwaRequest:
        for b in self.betas:
            if not 0.0 <= b < 1.0:
                raise ValueError(t("error.betas", value=b))
        return self


class RaceRequest(SurfaceRequestBase):
    """Tune each optimizer's learning rate on a log grid, then race the tuned ones."""

    optimizers: list[OptimizerId] = Field(["gd", "momentum", "rmsprop", "adam"], min_length=1, max_length=16)
    start: tuple[Coord, Coord] | None = None
    steps: StrictInt = Field(500, ge=1, le=get_settings().max_steps)
    tolerance: Number = Field(1e-6, ge=0.0, le=1e6)
    seed: StrictInt = Field(0, ge=0, le=2**32 - 1)
    objective: Literal["final_loss", "steps_to_tolerance"] = "final_loss"
    lr_min: Number = Field(1e-4, gt=0.0, le=100.0)
    lr_max: Number = Field(1.0, gt=0.0, le=100.0)
    n: StrictInt = Field(25, ge=2, le=MAX_CELLS_PER_AXIS)
    batch_size: StrictInt | None = Field(None, ge=1, description="Dataset surfaces: samples per update (default m).")
    noise_std: Number = Field(0.0, ge=0.0, le=1e6, description="Analytic surfaces: gradient noise.")
    seeds: StrictInt = Field(
        5,
        ge=1,
        le=32,
        description="Noisy runs (mini-batches or noise_std > 0): each lr is run with this many seeds "
        "(seed, seed + 1, …) and judged by the median; the spread is reported.",
    )
    extend: StrictBool = Field(
        True, description="When the best lr is at the edge of the grid, extend the grid once on that side."
    )
    params: dict[str, dict[str, Any]] = Field(
        default_factory=dict,
        description="Fixed hyperparameters per optimizer id (all but lr, which is tuned), e.g. "
        '{"momentum": {"beta": 0.5}}: the tuning runs exactly what the race (or the studio) then runs.',
    )

    @model_validator(mode="after")
    def _range(self) -> RaceRequest:
        if self.lr_min >= self.lr_max:
            raise ValueError(t("error.lr_range"))
        return self


class SchedulePreviewRequest(StrictModel):
    schedule: ScheduleRequest
    lr: Number = Field(0.1, gt=0.0, le=100.0)
    steps: StrictInt = Field(500, ge=1, le=get_settings().max_steps)


# --- responses (the routes send them encoded with orjson; tests/api/test_public_models.py checks
# that the bytes are exactly these models) -----------------------------------------------------------


class EwaAveragePublic(BaseModel):
    beta: float
    window: float = Field(description="1/(1 − β): about how many values the average spans.")
    values: list[float] = Field(description="vₜ for t = 1..n (v₀ = 0).")
    corrected: list[float] = Field(description="The bias-corrected vₜ/(1 − βᵗ).")


class EwaPublic(BaseModel):
    series: list[float]
    dates: list[str] | None = Field(None, description="The default series only: its days.")
    source: str | None = Field(None, description="The default series only: where it comes from.")
    unit: str | None = Field(None, description="The default series only: what it measures.")
    bias_correction: bool
    averages: list[EwaAveragePublic]


class SchedulePreviewPublic(BaseModel):
    t: list[int]
    lr: list[float]


class SweepPublic(BaseModel):
    x_values: list[float]
    y_values: list[float]
    final_loss: list[list[float | None]] = Field(description="[j][i] for y_values[j], x_values[i]; null: diverged.")
    steps_taken: list[list[int]]
    status: list[list[RunStatus]]
    epochs: int | None = None
    steps_by_batch_size: dict[str, int] | None = Field(None, description="With `epochs`: each batch size's updates.")
    switches: list[list[list[int]]] | None = Field(
        None,
        description="A sweep of an optimizer chain: [j][i] the updates at which a later link took over in that "
        "cell (a cell that stopped before a milestone lists fewer), as the single run's `switches`.",
    )
    swats: list[list[SwatsPublic]] | None = Field(
        None, description="A sweep of a SWATS chain: [j][i] the step and rate SWATS found in that cell (its run's)."
    )


class BasinsPublic(BaseModel):
    x: list[float]
    y: list[float]
    minimum: list[list[int]] = Field(description="[j][i]: the index into `minima` reached from (x[i], y[j]), or −1.")
    steps_taken: list[list[int]]
    status: list[list[RunStatus]]
    minima: list[list[float]]


Edge = Literal["low", "high"]


class RaceCurvePublic(BaseModel):
    optimizer: str
    lrs: list[float]
    final_loss: list[float | None]
    steps_taken: list[int]
    status: list[RunStatus]
    best_lr: float
    best_index: int
    at_edge: Edge | None
    extended: Edge | None = Field(description="The side the grid was extended on, once, if any.")
    seeds: list[int]
    spread: list[list[float] | None] | None = Field(None, description="Noisy runs: [lowest, highest] final loss.")
    best_spread: list[float] | None = None


class RaceEdgePublic(BaseModel):
    optimizer: str
    at_edge: Edge
    best_lr: float


class RacePublic(BaseModel):
    objective: Literal["final_loss", "steps_to_tolerance"]
    tolerance: float
    seeds: list[int]
    noisy: bool
    curves: list[RaceCurvePublic]
    request: dict[str, Any] = Field(description="The race of the tuned rates: a POST /api/v1/trajectories body.")
    at_edge: list[RaceEdgePublic]


class ClaimPublic(BaseModel):
    key: str = Field(description="The claim's key in the message catalogue.")
    holds: bool
    figures: dict[str, Any] = Field(description="The figures measured on the lesson's own answer.")
    text: str = Field(description="The claim in words, with its figures.")


class SeedBandPublic(BaseModel):
    """One series of one run over the seeds, per epoch (index 0: the init); null where no seed has a
    value (every seed diverged)."""

    mean: list[float | None]
    sd: list[float | None] = Field(description="Standard deviation over the seeds (population, ddof 0).")
    lo: list[float | None] = Field(description="The lowest seed's value: the band's lower edge.")
    hi: list[float | None] = Field(description="The highest seed's value: the band's upper edge.")
    n: list[int] = Field(description="How many seeds have a value (a diverged seed has none from then on).")
    seeds: list[list[float | None]] = Field(description="Every seed's values, in the order of `seeds`.")


class SeedRunPublic(BaseModel):
    label: str
    optimizer: str
    params: dict[str, Any]
    optimizers: list[dict[str, Any]] | None = Field(None, description="The run's optimizer chain, if it has one.")
    switches: list[list[int]] | None = Field(None, description="Per seed, the updates at which a later link took over.")
    status: list[str] = Field(description="Per seed, as a network run's `status`.")
    train_loss: SeedBandPublic
    test_accuracy: SeedBandPublic


class SeedsPublic(BaseModel):
    seeds: list[int] = Field(description="Each seeds the model's init and the batch order of one training.")
    band: Literal["min-max"] = Field(description="What the band around each mean spans: lowest to highest seed.")
    epochs: int
    runs: list[SeedRunPublic]


__all__ = [
    "AxisRequest",
    "BasinRequest",
    "BasinsPublic",
    "ClaimPublic",
    "EwaPublic",
    "EwaRequest",
    "RacePublic",
    "RaceRequest",
    "SchedulePreviewPublic",
    "SchedulePreviewRequest",
    "SeedBandPublic",
    "SeedRunPublic",
    "SeedsPublic",
    "SurfaceField",
    "SweepPublic",
    "SweepRequest",
]
