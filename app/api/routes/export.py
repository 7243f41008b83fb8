"""Export as code: the studio's request as a PyTorch script (and optax, curl) that reproduces it."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request

from ...export import export
from .. import compute
from ..deps import INVALID
from ..schemas_analysis import ExportPublic
from ..service import refuse_switches
from ..strict import ORJSONResponse, StrictJSONRoute
from .trajectories import ProblemDep

router = APIRouter(prefix="/api/v1", tags=["export"], route_class=StrictJSONRoute)


@router.post(
    "/export",
    response_model=ExportPublic,
    response_class=ORJSONResponse,
    responses=INVALID,
    summary="The trajectories request as code (PyTorch, optax, curl)",
)
async def post_export(problem: ProblemDep, request: Request) -> ORJSONResponse:
    """Takes the body of ``POST /api/v1/trajectories``; running the ``torch`` script reproduces its
    answer's paths to float64 round-off (`--json` prints the arrays)."""
    refuse_switches((bool(r.switches) or r.swats is not None for r in problem.runs), "error.switch.export")
    req: dict[str, Any] = json.loads(await request.body())  # valid: ProblemDep has checked it
    req.pop("include_state", None)
    url = str(request.url_for("post_trajectories"))
    return ORJSONResponse(await compute.run_heavy(export, problem, req, url, work=0.0))
