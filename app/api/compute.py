"""Heavy work off the event loop: lanes by estimated cost, one deadline per request.

- Every request gets a deadline when it arrives (`RequestDeadline` middleware): queueing counts
  against it, and the computation carries it into its worker thread (`app.engine.deadline`),
  where the engine's step loops check it. A computation past its deadline stops its CPU work and
  the request is answered 422 within a fraction of a second of the limit.
- Every computation comes with its estimated cost in CPU seconds (`app.engine.cost`). Work that
  cannot finish within the time left is refused at once (422). Cheap work (under
  `LIGHT_SECONDS`) runs in the light lane and never waits behind heavy work; the rest queues for
  one of ``max_concurrent`` heavy slots (as long as its deadline allows), cheapest first: a
  stream's next chunk or a modest request is not kept waiting behind a minute-long sweep.
- The event loop itself only computes work estimated under `INLINE_SECONDS` (a tiny request costs
  less than the hop to a worker thread and back); health checks and static files answer whatever
  runs.
"""

from __future__ import annotations

import contextvars
import heapq
import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import anyio
from fastapi import HTTPException
from starlette.types import ASGIApp, Receive, Scope, Send

from ..engine import deadline as engine_deadline
from ..engine.cost import describe
from ..engine.deadline import DeadlineExceeded, admit_factor
from ..i18n import text
from ..settings import get_settings

T = TypeVar("T")

LIGHT_SECONDS = 0.02  # estimated CPU seconds under which work takes the light lane
INLINE_SECONDS = 0.001  # under this, computing on the event loop costs less than a thread hop (~0.3 ms)
VALIDATE_SECONDS = 1e-5  # checking a request on a built-in surface (no formula to parse): inline
LIGHT_THREADS = 4  # light work running at once (each a few ms)

_REQUEST_DEADLINE: contextvars.ContextVar[float | None] = contextvars.ContextVar("request_deadline", default=None)
_made: dict[str, Any] = {}  # this worker's lanes and budgets, each made on first use


def _once(name: str, make: Callable[[], T]) -> T:
    made = _made.get(name)
    if made is None:
        made = _made[name] = make()
    return made


def _limiter(name: str, tokens: int) -> anyio.CapacityLimiter:
    return _once(name, lambda: anyio.CapacityLimiter(tokens))


UNKNOWN_WORK = 1.0  # s: the queueing priority of work that comes without an estimate


@dataclass(order=True)
class _Waiter:
    """A computation waiting for a slot, ordered by estimated work, then arrival."""

    work: float
    seq: int
    event: anyio.Event | None = field(compare=False)  # None: it gave up (skipped when popped)
    granted: bool = field(default=False, compare=False)


class CostQueue:
    """``slots`` computations at once; waiting ones are let in cheapest estimated work first
    (first come, first served among equals). A waiter that gives up (its deadline, a client
    that left) leaves the queue."""

    def __init__(self, slots: int) -> None:
        self.slots = slots
        self.running = 0
        self._waiting: list[_Waiter] = []  # a heap
        self._seq = itertools.count()

    @property
    def waiting(self) -> int:
        return sum(1 for e in self._waiting if e.event is not None)

    async def acquire(self, work: float | None) -> None:
        if self.running < self.slots and not self.waiting:
            self.running += 1
            return
        event = anyio.Event()
        entry = _Waiter(UNKNOWN_WORK if work is None else work, next(self._seq), event)
        heapq.heappush(self._waiting, entry)
        try:
            await event.wait()
        except BaseException:
            if entry.granted:  # let in just as it gave up: pass the slot on
                self.release()
            entry.event = None  # skipped when popped
            raise

    def release(self) -> None:
        while self._waiting:
            entry = heapq.heappop(self._waiting)
            if entry.event is not None:
                entry.granted = True
                entry.event.set()
                return
        self.running -= 1


def queue() -> CostQueue:
    """The heavy lane: ``max_concurrent`` computations at once, cheapest first."""
    return _once("queue", lambda: CostQueue(get_settings().max_concurrent))


def _threads() -> anyio.CapacityLimiter:
    # the worker threads of heavy computations, each holding a slot of the `queue()`
    return _limiter("threads", get_settings().max_concurrent)


class RequestDeadline:
    """Pure ASGI middleware: the request's deadline starts when it arrives."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            _REQUEST_DEADLINE.set(time.monotonic() + get_settings().request_timeout)
        await self.app(scope, receive, send)


def deadline() -> float:
    """This request's deadline (monotonic seconds)."""
    d = _REQUEST_DEADLINE.get()
    return d if d is not None else time.monotonic() + get_settings().request_timeout


def timeout_error(estimate: float | None = None) -> HTTPException:
    limit = f"{get_settings().request_timeout:g}"
    if estimate is not None:
        return HTTPException(422, text("error.timeout.estimate", limit=limit, estimate=describe(estimate)))
    return HTTPException(422, text("error.timeout", limit=limit))


def admit(work: float | None) -> None:
    """422 now for work estimated to take much longer than the time left."""
    if work is not None and work > admit_factor() * max(deadline() - time.monotonic(), 0.0):
        raise timeout_error(work)


def _bound(fn: Callable[..., T], due: float) -> Callable[..., T]:
    ctx = contextvars.copy_context()  # to_thread does not carry the caller's context: take it along
    ctx.run(engine_deadline.bind, due)

    def call(*args: Any) -> T:
        return ctx.run(fn, *args)

    return call


async def run_heavy(fn: Callable[..., T], *args: Any, work: float | None = None) -> T:
    """Run fn(*args) in a worker thread under this request's deadline.

    ``work`` is the estimated cost in CPU seconds (`app.engine.cost`); unknown (None) is heavy.
    Light work skips the queue; heavy work waits for a slot, but never past its deadline.
    """
    admit(work)
    due = deadline()
    call = _bound(fn, due)
    try:
        if work is not None and 0.0 < work <= INLINE_SECONDS:  # 0.0: unknown but light (may parse a formula)
            return call(*args)
        if work is not None and work <= LIGHT_SECONDS:
            return await anyio.to_thread.run_sync(call, *args, limiter=_limiter("light", LIGHT_THREADS))
        heavy = queue()
        with anyio.move_on_after(max(due - time.monotonic(), 0.0)):
            await heavy.acquire(work)
            try:
                return await anyio.to_thread.run_sync(call, *args, limiter=_threads())
            finally:
                heavy.release()
        raise DeadlineExceeded  # still queued at the deadline
    except DeadlineExceeded as err:
        raise timeout_error(err.estimate) from None


class AnswerBytes:
    """The bytes of JSON answers a worker holds at once (computed, encoded, being sent), bounded by
    ``OPTIVIZ_MAX_ANSWER_BYTES``: an answer estimated over the bound is refused (422); one that fits
    waits for room, as long as its deadline allows."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.held = 0
        self._freed = anyio.Event()

    async def reserve(self, nbytes: int) -> None:
        if nbytes > self.limit:
            raise HTTPException(
                status_code=422,
                detail=text("error.answer_bytes", size=f"{nbytes / 1e6:,.0f}", limit=f"{self.limit / 1e6:,.0f}"),
            )
        with anyio.move_on_after(max(deadline() - time.monotonic(), 0.0)):
            while self.held + nbytes > self.limit:
                await self._freed.wait()
            self.held += nbytes
            return
        raise timeout_error()

    def release(self, nbytes: int) -> None:
        self.held -= nbytes
        self._freed.set()
        self._freed = anyio.Event()


def answers() -> AnswerBytes:
    """This worker's budget of answer bytes."""
    return _once("answers", lambda: AnswerBytes(get_settings().max_answer_bytes))


async def run_chunk(fn: Callable[..., Any], *args: Any, light: bool = False, work: float | None = None) -> bool:
    """One chunk of a stream under the request's deadline (``work``: its estimated seconds, for
    its place in the queue); False if the deadline passed (the stream then ends with an ``error``
    event, see `timeout_error`)."""
    due = deadline()
    call = _bound(fn, due)
    try:
        if light:
            await anyio.to_thread.run_sync(call, *args, limiter=_limiter("light", LIGHT_THREADS))
            return True
        heavy = queue()
        with anyio.move_on_after(max(due - time.monotonic(), 0.0)):
            await heavy.acquire(work)
            try:
                await anyio.to_thread.run_sync(call, *args, limiter=_threads())
            finally:
                heavy.release()
            return True
    except DeadlineExceeded:
        pass
    return False
