"""Trajectories: the whole answer as JSON, or the same values as a live event stream."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.sse import EventSourceResponse, ServerSentEvent

from ...engine import cost
from ...engine.runner import Problem
from ...i18n import text
from .. import compute
from ..deps import INVALID
from ..lifecycle import SHUTTING_DOWN
from ..schemas import TrajectoriesPublic, TrajectoryRequest
from ..service import MAX_CHUNK, TrajectoryStream, build_problem, resolved, trajectories
from ..strict import ORJSONResponse, StrictJSONRoute, dumps
from .answers import json_answer, parse_work, post_answer

router = APIRouter(prefix="/api/v1", tags=["trajectories"], route_class=StrictJSONRoute)


async def problem_from(req: TrajectoryRequest) -> Problem:
    """The validated body as an engine problem; cross-field errors are 422s before any work."""
    return await compute.run_heavy(build_problem, req, work=parse_work(req.surface))  # validation only: never queued


ProblemDep = Annotated[Problem, Depends(problem_from)]


def runs(problem: Problem) -> dict[str, Any]:
    """The JSON answer (under the request's deadline, bound by run_heavy)."""
    return trajectories(problem, arrays=True)


def answer(problem: Problem) -> bytes:
    """The JSON answer's bytes (the lean path, app/api/fast.py, answers with this function)."""
    return dumps(runs(problem))


@post_answer(router, "/trajectories", TrajectoriesPublic, "Run optimizers on a surface")
async def post_trajectories(problem: ProblemDep) -> ORJSONResponse:
    """Every run from the same start, to the end; arrays as described in the contract."""
    work, nbytes = cost.trajectories(problem), cost.answer_bytes(problem)
    return await json_answer(runs, problem, work=work, nbytes=nbytes)


def _event(name: str, data: object) -> ServerSentEvent:
    return ServerSentEvent(event=name, raw_data=dumps(data).decode())


@router.post(
    "/trajectories/stream",
    response_class=EventSourceResponse,
    responses=INVALID,
    summary="Stream trajectories as server-sent events",
)
async def stream_trajectories(problem: ProblemDep) -> AsyncIterator[ServerSentEvent]:
    """``meta``, then ``points`` slices as each chunk is computed, then ``done`` (or ``error``).

    Computed incrementally: each chunk runs in a worker thread when the previous one has been
    sent, so a client that leaves stops the work.
    """
    yield _event("meta", resolved(problem))
    stream = TrajectoryStream(problem, trim=True)
    total = cost.trajectories(problem)
    light = total <= compute.LIGHT_SECONDS
    chunk = total * min(1.0, MAX_CHUNK / problem.steps)  # a chunk's work: its place in the queue
    events: list[ServerSentEvent] = []  # encoded in the worker thread too: a large slice is no loop work

    def compute_chunk() -> None:
        events.extend(_event("points", ev) for ev in stream.next_events())

    try:
        while not stream.finished:
            if SHUTTING_DOWN.is_set():
                yield _event("error", {"detail": text("error.shutting_down")})
                return
            if not await compute.run_chunk(compute_chunk, light=light, work=chunk):
                yield _event("error", {"detail": compute.timeout_error().detail})
                return
            for ev in events:
                yield ev
            events.clear()
    except Exception:
        yield _event("error", {"detail": text("error.failed")})
        return
    yield _event("done", stream.done_event())
