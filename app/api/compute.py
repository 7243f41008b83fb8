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


async def run_heavy(fn: Callable[..., T], *args: Any) -> T:
    """Run fn(*args) in a worker thread, at most ``max_concurrent`` at once."""
    try:
        return await anyio.to_thread.run_sync(fn, *args, limiter=limiter())
    except ComputeTimeout:
        raise timeout_error() from None
