"""Gradient noise on dataset surfaces: covariance of mini-batch gradients at a point."""

from __future__ import annotations

from fastapi import APIRouter

from .. import compute
from .. import service_analysis as analysis
from ..deps import INVALID
from ..schemas_analysis import GradientNoisePublic, GradientNoiseRequest
from ..strict import ORJSONResponse, StrictJSONRoute, dumps

router = APIRouter(prefix="/api/v1", tags=["gradient noise"], route_class=StrictJSONRoute)


def _answer(req: GradientNoiseRequest) -> bytes:
    return dumps(analysis.gradient_noise_at(req))


@router.post(
    "/gradient_noise",
    response_model=GradientNoisePublic,
    response_class=ORJSONResponse,
    responses=INVALID,
    summary="Covariance of mini-batch gradients at a point (dataset surfaces)",
)
async def post_gradient_noise(req: GradientNoiseRequest) -> ORJSONResponse:
    return ORJSONResponse(await compute.run_heavy(_answer, req, work=compute.VALIDATE_SECONDS))
