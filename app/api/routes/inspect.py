"""The step inspector: one update of one run with each line of its rule filled in."""

from __future__ import annotations

from fastapi import APIRouter

from ...engine import cost
from .. import compute
from .. import service_analysis as analysis
from ..schemas_analysis import InspectPublic, InspectRequest
from ..strict import ORJSONResponse, StrictJSONRoute
from .answers import json_answer, parse_work, post_answer

router = APIRouter(prefix="/api/v1", tags=["inspect"], route_class=StrictJSONRoute)


@post_answer(router, "/inspect", InspectPublic, "One update of one run, each line of its rule with its numbers")
async def post_inspect(req: InspectRequest) -> ORJSONResponse:
    one = await compute.run_heavy(analysis.inspect_problem, req, work=parse_work(req.surface))
    return await json_answer(analysis.inspect, one, req, work=cost.trajectories(one), nbytes=cost.answer_bytes(one))
