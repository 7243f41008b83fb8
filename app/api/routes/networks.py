"""Networks: a small network trained with several optimizers, every path on one plane, as JSON or as
a live event stream; another plane of the same runs; the catalogue the page builds its controls from.

Each handler parses, calls `app.api.service_networks` under the request's deadline (the estimate is
admitted before any work) and answers its ``…Public`` model as orjson bytes."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.sse import EventSourceResponse, ServerSentEvent

from ...engine.network import NetworkProblem
from ...engine.network.planes import PlaneConfig
from ...i18n import text
from .. import compute
from .. import service_networks as networks
from ..deps import INVALID, Lang
from ..lifecycle import SHUTTING_DOWN
from ..schemas_networks import NetworkCataloguePublic, NetworkPlaneAnswerPublic, NetworkRequest, NetworksPublic
from ..strict import ORJSONResponse, StrictJSONRoute, dumps
from .answers import json_answer, post_answer
from .limits import limits

router = APIRouter(prefix="/api/v1", tags=["networks"], route_class=StrictJSONRoute)

Built = tuple[NetworkProblem, PlaneConfig]


async def built_from(req: NetworkRequest) -> Built:
    """The validated body as the engine's problem and plane; cross-field errors are 422s before any work."""
    return await compute.run_heavy(networks.build_network_problem, req, work=0.0)  # the data set: light


BuiltDep = Annotated[Built, Depends(built_from)]


async def admitted(built: BuiltDep) -> Built:
    """A stream's body, its whole estimate admitted before the first event (else a plain 422)."""
    problem, plane = built
    compute.admit(networks.work(problem, plane, networks.training_key(problem) in networks.TRAININGS))
    return built


async def _answer(answer: Callable[..., Any], built: Built) -> ORJSONResponse:
    """The JSON answer of a trained body on its plane: its work (less when the runs are cached) and
    its bytes reserved before computing."""
    problem, plane = built
    trained = networks.training_key(problem) in networks.TRAININGS
    return await json_answer(
        answer,
        problem,
        plane,
        work=networks.work(problem, plane, trained),
        nbytes=networks.answer_bytes(problem, plane),
    )


@post_answer(router, "/networks", NetworksPublic, "Train a small network with several optimizers")
async def post_networks(built: BuiltDep) -> ORJSONResponse:
    """Every run from the same init to the end, the data, and every path on one shared plane with its
    fidelity (each path's captured share, its distance from the plane, the plane's loss against the
    true loss at each recorded point). The same body gives the same bytes."""
    return await _answer(networks.network_answer, built)


@post_answer(router, "/networks/plane", NetworkPlaneAnswerPublic, "The same runs on another plane")
async def post_network_plane(built: BuiltDep) -> ORJSONResponse:
    """The body of POST /api/v1/networks with another `plane`: only the plane and each run's path on
    it. The trained runs come from this worker's cache of recent trainings (keyed by the body
    without its plane) when it has them (`cached`: true), else they are trained again."""
    return await _answer(networks.plane_answer, built)


def _event(name: str, data: object) -> ServerSentEvent:
    return ServerSentEvent(event=name, raw_data=dumps(data).decode())


def _progress(epoch: int, epochs: int, phase: str, fraction: float) -> ServerSentEvent:
    return _event("progress", {"epoch": epoch, "epochs": epochs, "phase": phase, "fraction": fraction})


PROGRESS_SECONDS = 0.2  # the plane's progress is sent at most this often


class _Stopped(Exception):
    """The client went away: the plane's computation ends at its next progress report."""


@router.post(
    "/networks/stream",
    response_class=EventSourceResponse,
    responses=INVALID,
    summary="Train a small network, streamed as server-sent events",
)
async def stream_networks(built: Annotated[Built, Depends(admitted)]) -> AsyncIterator[ServerSentEvent]:
    """``meta`` (the resolved request, P, the layout, the data, the init), ``progress`` ({"epoch",
    "epochs", "phase": "train" | "plane", "fraction"}), one ``epochs`` slice per run as each chunk of
    epochs is trained ({"run", "from", the new per-epoch and per-update values, the new path points
    with their parameters}), then ``plane`` (the plane and each run's path on it), then ``done``
    (each run's status, updates and final parameters); ``error`` if the computation fails or runs
    out of time. Joining them gives exactly the answer of POST /api/v1/networks."""
    problem, plane = built
    epochs = problem.epochs
    made: list[networks.NetworkStream] = []
    events: list[ServerSentEvent] = []  # encoded in the worker thread too: a large slice is no loop work

    def start() -> None:
        made.append(networks.NetworkStream(problem, plane))
        events.append(_event("meta", made[0].meta()))

    def compute_chunk() -> None:
        events.extend(_event("epochs", ev) for ev in made[0].next_events())

    reports: list[float] = []  # the plane's progress, reported from its worker thread
    stop = threading.Event()  # set when the client has gone: the plane stops at its next report

    def progress(fraction: float) -> None:
        if stop.is_set():
            raise _Stopped
        reports.append(fraction)

    def compute_plane() -> None:
        events.append(_event("plane", made[0].plane(progress)))

    try:
        if not await compute.run_chunk(start, light=True):
            yield _event("error", {"detail": compute.timeout_error().detail})
            return
        stream = made[0]
        yield events.pop()
        while not stream.finished:
            if SHUTTING_DOWN.is_set():
                yield _event("error", {"detail": text("error.shutting_down")})
                return
            if not await compute.run_chunk(compute_chunk, work=stream.chunk_work):
                yield _event("error", {"detail": compute.timeout_error().detail})
                return
            for ev in events:
                yield ev
            events.clear()
            yield _progress(stream.training.epoch, epochs, "train", stream.fraction)
        work = networks.work(problem, plane, trained=True)
        task = asyncio.ensure_future(compute.run_chunk(compute_plane, work=work))
        task.add_done_callback(_retrieved)
        sent = 0.0
        try:
            while not task.done():
                await asyncio.wait({task}, timeout=PROGRESS_SECONDS)
                latest = max(reports, default=sent)
                reports.clear()
                if latest > sent:
                    sent = latest
                    yield _progress(epochs, epochs, "plane", sent)
        finally:
            stop.set()
        if not task.result():
            yield _event("error", {"detail": compute.timeout_error().detail})
            return
        if sent < 1.0:
            yield _progress(epochs, epochs, "plane", 1.0)
        yield events.pop()
    except Exception:
        yield _event("error", {"detail": text("error.failed")})
        return
    yield _event("done", stream.done_event())


def _retrieved(task: asyncio.Future[bool]) -> None:
    if not task.cancelled():
        task.exception()  # a stopped computation's exception is expected: not "never retrieved"


@router.get("/networks/catalogue", response_model=NetworkCataloguePublic, summary="Data sets, planes and limits")
def network_catalogue(lang: Lang) -> dict[str, Any]:
    """The data sets, activations, inits and planes (texts in `?lang=` or `Accept-Language`), the network
    limits (as GET /api/v1/limits serves them) and a ready body: what the network page builds its
    controls from."""
    served = limits().model_dump()
    return networks.catalogue(lang, {k: v for k, v in served.items() if k.startswith("network_")})
