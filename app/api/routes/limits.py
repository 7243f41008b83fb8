"""The limits the server enforces, for clients (the studio's controls read them here, never hard-code
them), and the studio's permalink keys (its URL scheme, written once in app/permalink.py)."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from ...engine.closure import MAX_EVALUATIONS
from ...engine.expression import MAX_DEPTH, MAX_NODES, MAX_OPS, MAX_TOWER
from ...engine.params import ParamSpec
from ...permalink import RUN_KEYS, STATE_KEYS
from ...settings import get_settings
from ..schemas import MAX_CHAIN, MAX_COORD, MAX_EXPRESSION, MAX_GRID, MAX_LABEL, MAX_RUNS, MAX_STEPS
from ..schemas_lessons import MAX_CELLS_PER_AXIS, MAX_SERIES, MAX_SWEEP_WORK
from ..schemas_network_race import NETWORK_MAX_TUNE_UPDATES
from ..schemas_networks import (
    NETWORK_MAX_DEPTH,
    NETWORK_MAX_EPOCHS,
    NETWORK_MAX_GRID,
    NETWORK_MAX_NOISE,
    NETWORK_MAX_PARAMETERS,
    NETWORK_MAX_POINTS,
    NETWORK_MAX_SAMPLES,
    NETWORK_MAX_TEST_FRACTION,
    NETWORK_MAX_UPDATES,
    NETWORK_MAX_WIDTH,
    NETWORK_MIN_SAMPLES,
)

router = APIRouter(prefix="/api/v1", tags=["catalogue"])


class LimitsPublic(BaseModel):
    """Each limit once: the constant the server enforces is its field's default (the deployment's
    body size and timeout come from the settings)."""

    model_config = ConfigDict(validate_default=True, json_schema_serialization_defaults_required=True)

    max_runs: int = MAX_RUNS
    max_steps: int = MAX_STEPS
    max_warmup_steps: int = MAX_STEPS
    max_chain_length: int = Field(MAX_CHAIN, description="SequentialLR: the most links in a run schedule's chain")
    max_optimizer_links: int = Field(
        MAX_CHAIN, description="Optimizer chains: the most links in a run's `optimizers` (its first optimizer included)"
    )
    max_list_items: int = Field(
        ParamSpec.max_items, description="The most values a list hyperparameter (e.g. milestones) may hold"
    )
    max_grid: int = MAX_GRID
    max_expression_length: int = MAX_EXPRESSION
    max_label_length: int = MAX_LABEL
    max_coordinate: float = MAX_COORD
    max_body_bytes: int
    max_answer_bytes: int = Field(
        description="The most bytes of JSON answers a worker holds at once (estimated before computing, an upper "
        "bound): a trajectories or inspect answer estimated over it is refused (422); streams are not held whole"
    )
    request_timeout: float
    max_sweep_values_per_axis: int = MAX_CELLS_PER_AXIS
    max_sweep_work: int = MAX_SWEEP_WORK
    max_series: int = MAX_SERIES
    max_formula_parts: int = MAX_NODES
    max_formula_nesting: int = MAX_DEPTH
    max_formula_operations: int = MAX_OPS
    max_formula_power_tower: int = MAX_TOWER
    max_evaluations: int = Field(
        MAX_EVALUATIONS,
        description="L-BFGS: the most loss evaluations one trajectories request may make, "
        "counted as steps × (max_eval + 1) per L-BFGS run (its answer holds every one)",
    )
    network_min_samples: int = NETWORK_MIN_SAMPLES
    network_max_samples: int = Field(NETWORK_MAX_SAMPLES, description="Networks: data points, train and test")
    network_max_noise: float = NETWORK_MAX_NOISE
    network_max_test_fraction: float = NETWORK_MAX_TEST_FRACTION
    network_max_width: int = Field(NETWORK_MAX_WIDTH, description="Networks: neurons per hidden layer")
    network_max_depth: int = Field(NETWORK_MAX_DEPTH, description="Networks: hidden layers")
    network_max_parameters: int = Field(NETWORK_MAX_PARAMETERS, description="Networks: parameters P in all")
    network_max_epochs: int = NETWORK_MAX_EPOCHS
    network_max_updates: int = Field(
        NETWORK_MAX_UPDATES, description="Networks: epochs × updates per epoch, summed over the runs"
    )
    network_max_grid: int = Field(NETWORK_MAX_GRID, description="Networks: the plane's grid points per axis")
    network_max_points: int = Field(NETWORK_MAX_POINTS, description="Networks: recorded path points per run")
    network_max_tune_updates: int = Field(
        NETWORK_MAX_TUNE_UPDATES,
        description="Networks' tune and race: updates in all, epochs × ⌈train / batch_size⌉ for every lr of the "
        "grid (its extension counted), every seed of a mini-batch run, summed over the runs",
    )
    network_max_tune_lrs: int = Field(MAX_CELLS_PER_AXIS, description="Networks' tune and race: lrs of the grid (n)")


@router.get("/limits", response_model=LimitsPublic, summary="The server's limits")
def limits() -> LimitsPublic:
    """Runs per request, steps per run, grid size, formula length, … as this server enforces them."""
    s = get_settings()
    return LimitsPublic(
        max_body_bytes=s.max_body_bytes, max_answer_bytes=s.max_answer_bytes, request_timeout=s.request_timeout
    )


class PermalinkPublic(BaseModel):
    state: dict[str, str] = Field(description="The studio's state → its key in the URL hash")
    run: dict[str, str] = Field(description="A run's field → its key in the run's JSON object (the hash's runs)")


@router.get("/permalink", response_model=PermalinkPublic, summary="The studio's URL hash keys")
def permalink() -> PermalinkPublic:
    """The keys of the studio's permalinks (``#s=rosenbrock&n=300&r=[…]``), as the studio reads and writes them."""
    return PermalinkPublic(state=STATE_KEYS, run=RUN_KEYS)
