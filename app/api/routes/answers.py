"""What the computing routes share, written once: a request's surface resolved off the event loop
when it is a typed formula, and the JSON answer computed and encoded in a worker thread, in the
lane its estimate (`app.engine.cost`) gives it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter
from starlette.types import Receive, Scope, Send

from ...engine.surfaces import Surface
from .. import compute
from ..deps import INVALID
from ..schemas import CustomSurfaceRequest
from ..service import resolve_surface
from ..strict import ORJSONResponse, dumps


def parse_work(surface: str | CustomSurfaceRequest) -> float:
    """The estimate for resolving a request's surface: a built-in's is a look-up (inline); a typed
    formula is parsed and proven finite in a worker thread (0.0: the light lane)."""
    return compute.VALIDATE_SECONDS if isinstance(surface, str) else 0.0


async def surface_of(surface: str | CustomSurfaceRequest) -> Surface:
    """The request's surface; a formula parsed once (cached by text), never on the event loop."""
    return await compute.run_heavy(resolve_surface, surface, work=parse_work(surface))


def _encoded(fn: Callable[..., Any], *args: Any) -> bytes:
    return dumps(fn(*args))


async def json_answer(fn: Callable[..., Any], *args: Any, work: float | None, nbytes: int = 0) -> ORJSONResponse:
    """fn(*args) as JSON, computed and encoded off the event loop unless ``work`` (its estimated
    seconds) is below a thread hop; ``nbytes``: its estimated size, held in the worker's budget of
    answer bytes (`compute.answers`) until it has been sent."""
    if not nbytes:
        return ORJSONResponse(await compute.run_heavy(_encoded, fn, *args, work=work))
    budget = compute.answers()
    await budget.reserve(nbytes)
    try:
        body = await compute.run_heavy(_encoded, fn, *args, work=work)
    except BaseException:
        budget.release(nbytes)
        raise
    return _Held(body, lambda: budget.release(nbytes))


class _Held(ORJSONResponse):
    """An answer whose bytes are released from the budget once sent, or once its client is gone."""

    def __init__(self, body: bytes, release: Callable[[], None]) -> None:
        super().__init__(body)
        self._release = release

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            self._release()


def post_answer(router: APIRouter, path: str, model: type, summary: str) -> Callable[[Any], Any]:
    """``@router.post`` of a route that answers ``model`` as orjson bytes, 422 when its body is invalid."""
    return router.post(path, response_model=model, response_class=ORJSONResponse, responses=INVALID, summary=summary)
