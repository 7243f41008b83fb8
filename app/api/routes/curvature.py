"""Curvature at a point: the exact Hessian's eigenvalues and eigen-directions, and lr bounds."""

from __future__ import annotations

from fastapi import APIRouter

from ...engine import cost
from .. import service_analysis as analysis
from ..schemas_analysis import CurvaturePublic, CurvatureRequest
from ..strict import ORJSONResponse, StrictJSONRoute
from .answers import json_answer, post_answer, surface_of

router = APIRouter(prefix="/api/v1", tags=["curvature"], route_class=StrictJSONRoute)


@post_answer(
    router, "/curvature", CurvaturePublic, "The Hessian at a point: eigenvalues, eigen-directions, learning-rate bounds"
)
async def post_curvature(req: CurvatureRequest) -> ORJSONResponse:
    """Differentiating a formula twice is costed by its size (`cost.curvature`): a long formula's
    Hessian queues as heavy work, never on the event loop."""
    surface = await surface_of(req.surface)
    return await json_answer(analysis.curvature_at, surface, req.point, work=cost.curvature(surface))
