"""Export as code: the studio's request as a PyTorch script (and optax, curl) that reproduces it."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from fastapi import APIRouter, Request

from ...engine import cost
from ...export import export
from .. import compute
from ..deps import INVALID
from ..schemas_analysis import ExportPublic
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
    answer's paths to float64 round-off (`--json` prints the arrays). An optimizer chain is exported
    too: each script creates the next optimizer at its milestone with a fresh state (a SWATS chain
    placed first: its Adam link is run to find the switch); a script that cannot reproduce a run is
    null, ``notes`` saying why (the other is still written)."""
    req: dict[str, Any] = json.loads(await request.body())  # valid: ProblemDep has checked it
    req.pop("include_state", None)
    url = str(request.url_for("post_trajectories"))
    swats = tuple(r for r in problem.runs if r.swats is not None)  # placed by running their Adam link
    work = cost.trajectories(replace(problem, runs=swats)) if swats else 0.0
    return ORJSONResponse(await compute.run_heavy(export, problem, req, url, work=work))
