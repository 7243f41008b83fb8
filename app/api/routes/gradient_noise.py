"""Gradient noise on dataset surfaces: covariance of mini-batch gradients at a point."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field, StrictInt

from ...gradient_noise import NoGradientNoise, gradient_noise
from .. import compute
from ..deps import INVALID
from ..schemas import Coord, SurfaceRequestBase
from ..service import invalid, resolve_surface
from ..strict import ORJSONResponse, StrictJSONRoute, dumps

router = APIRouter(prefix="/api/v1", tags=["gradient noise"], route_class=StrictJSONRoute)


class GradientNoiseRequest(SurfaceRequestBase):
    point: tuple[Coord, Coord] = Field(description="[w, b] where to take the per-sample gradients.")
    batch_size: StrictInt = Field(1, ge=1, description="B: the mini-batch covariance is Σ/B·(m − B)/(m − 1).")


class Axis(BaseModel):
    length: float
    direction: list[float]


class GradientNoisePublic(BaseModel):
    point: list[float]
    samples: int
    batch_size: int
    mean: list[float] = Field(description="The full-batch gradient (mean of the per-sample gradients).")
    covariance: list[list[float]] = Field(description="Σ: covariance of the per-sample gradients (1/m).")
    batch_covariance: list[list[float]] = Field(description="Covariance of a mini-batch gradient.")
    axes: list[Axis] = Field(description="The 1σ ellipse of the mini-batch gradient.")


def _answer(req: GradientNoiseRequest) -> bytes:
    try:
        return dumps(gradient_noise(resolve_surface(req.surface), req.point, req.batch_size))
    except NoGradientNoise as err:
        raise invalid(("surface",), str(err), None) from None


@router.post(
    "/gradient_noise",
    response_model=GradientNoisePublic,
    response_class=ORJSONResponse,
    responses=INVALID,
    summary="Covariance of mini-batch gradients at a point (dataset surfaces)",
)
async def post_gradient_noise(req: GradientNoiseRequest) -> ORJSONResponse:
    return ORJSONResponse(await compute.run_heavy(_answer, req, work=compute.VALIDATE_SECONDS))
