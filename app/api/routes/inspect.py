"""The step inspector: one update of one run with each line of its rule filled in."""

from __future__ import annotations

import dataclasses
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field, StrictInt

from ...engine import cost
from ...engine.runner import Problem
from ...inspect import InspectError, inspect_step
from .. import compute
from ..deps import INVALID
from ..schemas import MAX_STEPS, TrajectoryRequest
from ..service import build_problem, invalid, trajectories
from ..strict import ORJSONResponse, StrictJSONRoute, dumps

router = APIRouter(prefix="/api/v1", tags=["inspect"], route_class=StrictJSONRoute)


class InspectRequest(TrajectoryRequest):
    """A trajectories request, and which update of which run to inspect."""

    run: StrictInt = Field(0, ge=0, description="Index of the run in `runs`.")
    t: StrictInt = Field(0, ge=0, le=MAX_STEPS, description="The update (from point t to t + 1).")


class InspectLine(BaseModel):
    symbol: str
    formula: str
    x: float | None
    y: float | None


class InspectPublic(BaseModel):
    run: int
    t: int
    optimizer: str
    label: str
    theta: list[float]
    lr: float
    g: list[float]
    known: bool = Field(description="False: no inspector for this optimizer yet (g, lr and the step only).")
    note: str | None
    lines: list[InspectLine]


def _problem(req: InspectRequest) -> Problem:
    problem = build_problem(TrajectoryRequest.model_validate(req.model_dump(exclude={"run", "t"})))
    if req.run >= len(problem.runs):
        raise invalid(("run",), f"run must be between 0 and {len(problem.runs) - 1}", req.run)
    # the run alone: its noise draws and mini-batch order do not depend on the other runs
    return dataclasses.replace(problem, runs=(problem.runs[req.run],), include_state=True)


def _answer(one: Problem, req: InspectRequest) -> bytes:
    answer: dict[str, Any] = trajectories(one)
    try:
        return dumps(inspect_step(one, answer, 0, req.t) | {"run": req.run})
    except InspectError as err:
        raise invalid(("t",), str(err), req.t) from None


@router.post(
    "/inspect",
    response_model=InspectPublic,
    response_class=ORJSONResponse,
    responses=INVALID,
    summary="One update of one run, each line of its rule with its numbers",
)
async def post_inspect(req: InspectRequest) -> ORJSONResponse:
    one = await compute.run_heavy(
        _problem, req, work=compute.VALIDATE_SECONDS if not isinstance(req.surface, str) else 0.0
    )
    return ORJSONResponse(await compute.run_heavy(_answer, one, req, work=cost.trajectories(one)))
