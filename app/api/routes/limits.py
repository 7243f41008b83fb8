"""The limits the server enforces, for clients (the studio's controls read them here, never hard-code
them), and the studio's permalink keys (its URL scheme, written once in app/permalink.py)."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field

from ...engine.closure import MAX_EVALUATIONS
from ...engine.expression import MAX_DEPTH, MAX_NODES, MAX_OPS, MAX_TOWER
from ...engine.params import ParamSpec
from ...permalink import RUN_KEYS, STATE_KEYS
from ...settings import get_settings
from ..schemas import MAX_CHAIN, MAX_COORD, MAX_EXPRESSION, MAX_GRID, MAX_LABEL, MAX_RUNS, MAX_STEPS
from ..schemas_lessons import MAX_CELLS_PER_AXIS, MAX_SERIES, MAX_SWEEP_WORK

router = APIRouter(prefix="/api/v1", tags=["catalogue"])


class LimitsPublic(BaseModel):
    max_runs: int
    max_steps: int
    max_warmup_steps: int
    max_chain_length: int = Field(description="SequentialLR: the most links in a run schedule's chain")
    max_list_items: int = Field(description="The most values a list hyperparameter (e.g. milestones) may hold")
    max_grid: int
    max_expression_length: int
    max_label_length: int
    max_coordinate: float
    max_body_bytes: int
    max_answer_bytes: int = Field(
        description="The most bytes of JSON answers a worker holds at once (estimated before computing, an upper "
        "bound): a trajectories or inspect answer estimated over it is refused (422); streams are not held whole"
    )
    request_timeout: float
    max_sweep_values_per_axis: int
    max_sweep_work: int
    max_series: int
    max_formula_parts: int
    max_formula_nesting: int
    max_formula_operations: int
    max_formula_power_tower: int
    max_evaluations: int = Field(
        description="L-BFGS: the most loss evaluations one trajectories request may make, "
        "counted as steps × (max_eval + 1) per L-BFGS run (its answer holds every one)"
    )


@router.get("/limits", response_model=LimitsPublic, summary="The server's limits")
def limits() -> LimitsPublic:
    """Runs per request, steps per run, grid size, formula length, … as this server enforces them."""
    s = get_settings()
    return LimitsPublic(
        max_runs=MAX_RUNS,
        max_steps=MAX_STEPS,
        max_warmup_steps=MAX_STEPS,
        max_chain_length=MAX_CHAIN,
        max_list_items=ParamSpec.max_items,
        max_grid=MAX_GRID,
        max_expression_length=MAX_EXPRESSION,
        max_label_length=MAX_LABEL,
        max_coordinate=MAX_COORD,
        max_body_bytes=s.max_body_bytes,
        max_answer_bytes=s.max_answer_bytes,
        request_timeout=s.request_timeout,
        max_sweep_values_per_axis=MAX_CELLS_PER_AXIS,
        max_sweep_work=MAX_SWEEP_WORK,
        max_series=MAX_SERIES,
        max_formula_parts=MAX_NODES,
        max_formula_nesting=MAX_DEPTH,
        max_formula_operations=MAX_OPS,
        max_formula_power_tower=MAX_TOWER,
        max_evaluations=MAX_EVALUATIONS,
    )


class PermalinkPublic(BaseModel):
    state: dict[str, str] = Field(description="The studio's state → its key in the URL hash")
    run: dict[str, str] = Field(description="A run's field → its key in the run's JSON object (the hash's runs)")


@router.get("/permalink", response_model=PermalinkPublic, summary="The studio's URL hash keys")
def permalink() -> PermalinkPublic:
    """The keys of the studio's permalinks (``#s=rosenbrock&n=300&r=[…]``), as the studio reads and writes them."""
    return PermalinkPublic(state=STATE_KEYS, run=RUN_KEYS)
