"""The step inspector: one update of one run with each line of its rule filled in."""

from __future__ import annotations

from fastapi import APIRouter

from ...engine import cost
from ...engine.runner import Problem
from .. import compute
from .. import service_analysis as analysis
from ..deps import INVALID
from ..schemas_analysis import InspectPublic, InspectRequest
from ..strict import ORJSONResponse, StrictJSONRoute, dumps

router = APIRouter(prefix="/api/v1", tags=["inspect"], route_class=StrictJSONRoute)


def _answer(one: Problem, req: InspectRequest) -> bytes:
    return dumps(analysis.inspect(one, req))


@router.post(
    "/inspect",
    response_model=InspectPublic,
    response_class=ORJSONResponse,
    responses=INVALID,
    summary="One update of one run, each line of its rule with its numbers",
)
async def post_inspect(req: InspectRequest) -> ORJSONResponse:
    one = await compute.run_heavy(
        analysis.inspect_problem, req, work=compute.VALIDATE_SECONDS if not isinstance(req.surface, str) else 0.0
    )
    return ORJSONResponse(await compute.run_heavy(_answer, one, req, work=cost.trajectories(one)))
