"""Curvature at a point: the exact Hessian's eigenvalues and eigen-directions, and lr bounds."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from ...curvature import NoCurvature, curvature
from .. import compute
from ..deps import INVALID
from ..schemas import Coord, SurfaceRequestBase
from ..service import invalid, resolve_surface
from ..strict import ORJSONResponse, StrictJSONRoute, dumps

router = APIRouter(prefix="/api/v1", tags=["curvature"], route_class=StrictJSONRoute)


class CurvatureRequest(SurfaceRequestBase):
    point: tuple[Coord, Coord] = Field(description="[x, y] where to take the Hessian.")


class HeavyBall(BaseModel):
    lr: float
    beta: float


class CurvaturePublic(BaseModel):
    point: list[float]
    hessian: list[list[float]]
    eigenvalues: list[float] = Field(description="λmin, λmax (ascending).")
    eigenvectors: list[list[float]] = Field(description="The unit eigen-directions of λmin and λmax.")
    gd_threshold: float | None = Field(
        description="2/λmax: GD diverges along the steepest direction above it (null if λmax ≤ 0)."
    )
    quadratic: bool = Field(description="The Hessian is the same everywhere (a quadratic surface).")
    condition_number: float | None = Field(description="κ = λmax/λmin on a positive-definite quadratic.")
    gd_optimal_lr: float | None = Field(description="2/(λmin + λmax) on a positive-definite quadratic.")
    heavy_ball: HeavyBall | None = Field(description="Polyak's optimal (α, β) on a positive-definite quadratic.")


def _answer(req: CurvatureRequest) -> bytes:
    surface = resolve_surface(req.surface)
    try:
        out: dict[str, Any] = curvature(surface, req.point)
    except NoCurvature as err:
        raise invalid(("point",) if "finite" in str(err) else ("surface",), str(err), None) from None
    return dumps(out)


@router.post(
    "/curvature",
    response_model=CurvaturePublic,
    response_class=ORJSONResponse,
    responses=INVALID,
    summary="The Hessian at a point: eigenvalues, eigen-directions, learning-rate bounds",
)
async def post_curvature(req: CurvatureRequest) -> ORJSONResponse:
    return ORJSONResponse(await compute.run_heavy(_answer, req, work=compute.VALIDATE_SECONDS))
