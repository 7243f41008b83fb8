"""Heavy work off the event loop: a bounded pool of computations with a time limit each."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

import anyio
from fastapi import HTTPException

from app.api.service import ComputeTimeout
from app.settings import get_settings

T = TypeVar("T")

_limiter: anyio.CapacityLimiter | None = None


def limiter() -> anyio.CapacityLimiter:
    global _limiter
    if _limiter is None:
        _limiter = anyio.CapacityLimiter(get_settings().max_concurrent)
    return _limiter


def deadline() -> float:
    return time.monotonic() + get_settings().request_timeout


def timeout_error() -> HTTPException:
    limit = get_settings().request_timeout
    return HTTPException(
        status_code=422,
        detail=f"the computation took longer than the server's limit of {limit:g} s: "
        "ask for fewer steps, runs or grid points",
    )


LIGHT_WORK = 50_000  # optimizer-steps: a few tens of milliseconds at most


async def run_heavy(fn: Callable[..., T], *args: Any, work: int | None = None) -> T:
    """Run fn(*args) in a worker thread, at most ``max_concurrent`` heavy ones at once.

    Work known to be light (``work`` optimizer-steps under LIGHT_WORK) skips the queue, so small
    requests are not kept waiting behind heavy ones.
    """
    lane = None if work is not None and work <= LIGHT_WORK else limiter()
    try:
        return await anyio.to_thread.run_sync(fn, *args, limiter=lane)
    except ComputeTimeout:
        raise timeout_error() from None
