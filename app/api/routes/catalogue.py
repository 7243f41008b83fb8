"""The catalogue: what the engine offers, with every parameter's default and range."""

from typing import Any

from fastapi import APIRouter

from app.api.schemas import OptimizerPublic, SchedulePublic, SurfacePublic
from app.registry import OPTIMIZERS, SCHEDULES, SURFACES

router = APIRouter(prefix="/api/v1", tags=["catalogue"])

_SURFACES = [s.public() for s in SURFACES.values()]
_OPTIMIZERS = [o.public() for o in OPTIMIZERS.values()]
_SCHEDULES = [s.public() for s in SCHEDULES.values()]


@router.get("/surfaces", response_model=list[SurfacePublic], summary="Built-in surfaces")
def surfaces() -> list[dict[str, Any]]:
    return _SURFACES


@router.get("/optimizers", response_model=list[OptimizerPublic], summary="Optimizers")
def optimizers() -> list[dict[str, Any]]:
    return _OPTIMIZERS


@router.get("/schedules", response_model=list[SchedulePublic], summary="Learning-rate schedules")
def schedules() -> list[dict[str, Any]]:
    return _SCHEDULES
