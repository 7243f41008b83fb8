"""Curvature at a point: the exact Hessian's eigenvalues and eigen-directions, and lr bounds."""

from __future__ import annotations

from fastapi import APIRouter

from .. import compute
from .. import service_analysis as analysis
from ..deps import INVALID
from ..schemas_analysis import CurvaturePublic, CurvatureRequest
from ..strict import ORJSONResponse, StrictJSONRoute, dumps

router = APIRouter(prefix="/api/v1", tags=["curvature"], route_class=StrictJSONRoute)


def _answer(req: CurvatureRequest) -> bytes:
    return dumps(analysis.curvature_at(req))


@router.post(
    "/curvature",
    response_model=CurvaturePublic,
    response_class=ORJSONResponse,
    responses=INVALID,
    summary="The Hessian at a point: eigenvalues, eigen-directions, learning-rate bounds",
)
async def post_curvature(req: CurvatureRequest) -> ORJSONResponse:
    return ORJSONResponse(await compute.run_heavy(_answer, req, work=compute.VALIDATE_SECONDS))
