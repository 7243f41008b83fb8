"""Gradient noise on dataset surfaces: covariance of mini-batch gradients at a point."""

from __future__ import annotations

from fastapi import APIRouter

from ...engine import cost
from .. import service_analysis as analysis
from ..schemas_analysis import GradientNoisePublic, GradientNoiseRequest
from ..strict import ORJSONResponse, StrictJSONRoute
from .answers import json_answer, post_answer, surface_of

router = APIRouter(prefix="/api/v1", tags=["gradient noise"], route_class=StrictJSONRoute)


@post_answer(
    router, "/gradient_noise", GradientNoisePublic, "Covariance of mini-batch gradients at a point (dataset surfaces)"
)
async def post_gradient_noise(req: GradientNoiseRequest) -> ORJSONResponse:
    surface = await surface_of(req.surface)
    work = cost.gradient_noise(surface)
    return await json_answer(analysis.gradient_noise_at, surface, req.point, req.batch_size, work=work)
