"""Schemas of the networks' fair race (``…Request`` in, ``…Public`` out): "tune α" for the runs of a
network body, and the race of several optimizers each at its tuned rate.

The grid, the seeds and the edge take exactly the fields of the surfaces' race (`RaceRequest`:
``lr_min``, ``lr_max``, ``n``, ``seeds``, ``extend``, their bounds and defaults); the network and its
runs exactly those of POST /api/v1/networks (`NetworkRequest`). The work limit is a named constant
here, served by GET /api/v1/limits (``network_max_tune_updates``).
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, model_validator

from ..i18n import text as t
from ..lessons.network_race import OBJECTIVES
from .schemas import Number, OptimizerId, RunStatus, StrictModel
from .schemas_lessons import Edge, RaceRequest
from .schemas_networks import NETWORK_EXAMPLE, DataRequest, ModelRequest, NetworkRequest, PlaneRequest

# updates made while tuning, summed over every rate, seed and run (the grid's extension counted):
# about half a minute of training on the reference machine, and the per-update records of one
# grid's training held at once stay under 64 MB
NETWORK_MAX_TUNE_UPDATES = 1_000_000


def _same(model: type[BaseModel], name: str, **changes: Any) -> Any:
    """A copy of another request's field: its bounds (written once there), its default and description
    unless ``changes`` gives others."""
    field = copy.copy(model.model_fields[name])
    for key, value in changes.items():
        setattr(field, key, value)
    return field


if TYPE_CHECKING:
    Objective = str
else:
    Objective = Literal[OBJECTIVES]


class TuningFields(StrictModel):
    """How each learning rate is tuned: a log grid, an objective, seeds for noisy runs."""

    objective: Objective = Field(
        "final_loss",
        description="final_loss: the train loss after the last epoch; epochs_to_tolerance: the first epoch "
        "whose train loss is at most `tolerance` (runs that never reach it rank after, by final loss).",
    )
    tolerance: Number = _same(
        RaceRequest,
        "tolerance",
        default=0.1,
        description="The train loss (mean binary cross-entropy) to reach: epochs_to_tolerance.",
    )
    lr_min: Number = _same(RaceRequest, "lr_min")
    lr_max: Number = _same(RaceRequest, "lr_max")
    n: StrictInt = _same(RaceRequest, "n")
    seeds: StrictInt = _same(
        RaceRequest,
        "seeds",
        description="Noisy runs (batch_size below the train set): each lr is trained with this many seeds of the "
        "batch order (seed, seed + 1, …) and judged by the median; the spread is reported. Full-batch runs are "
        "deterministic: one seed.",
    )
    extend: bool = _same(RaceRequest, "extend")

    @model_validator(mode="after")
    def _range(self) -> TuningFields:
        if self.lr_min >= self.lr_max:
            raise ValueError(t("error.lr_range_values", lr_min=f"{self.lr_min:g}", lr_max=f"{self.lr_max:g}"))
        return self


TUNE_EXAMPLE: dict[str, Any] = {
    **{k: v for k, v in NETWORK_EXAMPLE.items() if k != "epochs"},
    "epochs": 200,
    "n": 13,
    "seeds": 3,
}


class NetworkTuneRequest(NetworkRequest, TuningFields):
    """A POST /api/v1/networks body and how to tune: each run's lr is tuned, all else kept."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, json_schema_extra={"examples": [TUNE_EXAMPLE]})


RACE_EXAMPLE: dict[str, Any] = {
    "data": NETWORK_EXAMPLE["data"],
    "model": NETWORK_EXAMPLE["model"],
    "epochs": 200,
    "optimizers": ["gd", "momentum", "adam"],
    "batch_size": 64,
    "n": 13,
    "seeds": 3,
}


class NetworkRaceRequest(TuningFields):
    """Tune each optimizer's learning rate on this network, then race the tuned ones."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, json_schema_extra={"examples": [RACE_EXAMPLE]})

    data: DataRequest = Field(default_factory=DataRequest)
    model: ModelRequest = Field(default_factory=ModelRequest)
    epochs: StrictInt = _same(NetworkRequest, "epochs")
    seed: StrictInt = _same(NetworkRequest, "seed")
    optimizers: list[OptimizerId] = Field(["gd", "momentum", "rmsprop", "adam"], min_length=1, max_length=16)
    batch_size: StrictInt | None = Field(None, ge=1, description="Samples per update (default: the whole train set).")
    params: dict[str, dict[str, Any]] = _same(RaceRequest, "params")
    plane: PlaneRequest = Field(default_factory=PlaneRequest, description="The plane of the race body.")


# --- responses ---------------------------------------------------------------------------------------


class NetworkTuneCurvePublic(BaseModel):
    run: int = Field(description="The run's index in the request's runs (the race: in `optimizers`).")
    label: str
    optimizer: str
    lrs: list[float]
    final_loss: list[float | None] = Field(description="The train loss after the last epoch (median over seeds).")
    epochs_to_tolerance: list[int | None] = Field(description="First seed: the first epoch at or below tolerance.")
    steps_taken: list[int] = Field(description="First seed: the updates made.")
    status: list[RunStatus]
    train_accuracy: list[float | None] = Field(description="First seed: the final train accuracy.")
    test_loss: list[float | None] = Field(description="First seed: the final test loss.")
    best_lr: float
    best_index: int
    at_edge: Edge | None
    extended: Edge | None = Field(description="The side the grid was extended on, once, if any.")
    seeds: list[int]
    spread: list[list[float] | None] | None = Field(None, description="Noisy runs: [lowest, highest] final loss.")
    best_spread: list[float] | None = None
    score: list[float | None] = Field(
        description="The median objective of each lr over the seeds (the final train loss, or the epochs to "
        "tolerance, then epochs + 1 + final loss for a run that never reaches it); null: diverged. Lower is better."
    )


class NetworkTuneEdgePublic(BaseModel):
    run: int
    optimizer: str
    at_edge: Edge
    best_lr: float


class NetworkRacePublic(BaseModel):
    objective: Objective
    tolerance: float
    seeds: list[int] = Field(description="The seeds of the noisy runs (the full-batch ones use the first).")
    noisy: bool
    curves: list[NetworkTuneCurvePublic]
    request: dict[str, Any] = Field(description="A POST /api/v1/networks body: every run at its tuned lr.")
    at_edge: list[NetworkTuneEdgePublic]
    ranking: list[int] = Field(
        description="The runs (indices into `curves`) from the best to the worst by their best lr's median "
        "objective (`score[best_index]`); equal scores in the request's order, diverged ones last."
    )
