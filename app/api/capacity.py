"""What one worker gives its clients at most: requests in progress, and bytes held for slow readers.

Both are enforced by the app itself, so plain ``uvicorn app.main:app`` keeps them too (what
``optiviz serve`` adds on top is in `app.api.protocol`: a cap on open connections that closes
the longest-idle ones first, time limits on request heads, and aborting a dropped client's socket).

- `RequestLimit`: at most ``OPTIVIZ_MAX_REQUESTS`` requests in progress per worker; beyond, a 503
  at once. Only requests count: an idle or kept-alive connection holds no capacity (uvicorn's
  ``limit_concurrency`` counts connections, so 300 idle sockets made every request a 503).
- `SlowReaders`: an answer goes out in pieces of `CHUNK` bytes, so a socket's buffer holds at most
  one piece beyond the server's high-water mark; a client that makes the server wait must read at
  least ``OPTIVIZ_MIN_READ_RATE`` bytes/s after a grace of ``OPTIVIZ_WRITE_TIMEOUT`` seconds, or it
  is dropped (its socket aborted, its computation stopped); and the bytes that waiting answers
  hold, per worker, stay within ``OPTIVIZ_SEND_BUFFER_BYTES``: past it, the answer closest to its
  own cut-off is dropped first (one answer alone is never dropped for the budget: its size is
  bounded by the request limits).
"""

from __future__ import annotations

import logging
import os
import time
from collections import deque
from typing import Any

import anyio
import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .middleware import Eager, gone

log = logging.getLogger("optiviz")

# The memory one worker stays under (tested: tests/deploy/test_capacity.py; docs/deploy.md): the
# loaded engine (~250 MB), two maximal answers built at once (~190 MB each, OPTIVIZ_MAX_CONCURRENT
# = 2), the send budget (OPTIVIZ_SEND_BUFFER_BYTES, 64 MB) and the caches (16 MB each). Past it,
# `SlowReaders` keeps a single waiting answer, whatever its budget.
WORKER_MEMORY_BYTES = 768 * 1024 * 1024
_PAGE = os.sysconf("SC_PAGE_SIZE")


def resident_bytes() -> int:
    """This process's resident memory (Linux), 0 where /proc does not tell it."""
    try:
        with open("/proc/self/statm", "rb") as f:
            return int(f.read().split()[1]) * _PAGE
    except (OSError, ValueError, IndexError):
        return 0


CHUNK = 64 * 1024  # bytes per write to a socket (asyncio's own high-water mark is 64 KiB too)
ABORT = "optiviz.abort"  # scope["extensions"][ABORT]["abort"](): abort the socket (app.api.protocol sets it)


class RequestLimit:
    """503 (with ``retry-after``) for a request beyond ``max_requests`` in progress in this worker."""

    def __init__(self, app: ASGIApp, max_requests: int) -> None:
        self.app = app
        self.max_requests = max_requests
        self.active = 0
        body = orjson.dumps({"detail": "the server is busy: send the request again in a moment"})
        self._headers = [
            (b"content-type", b"application/json"),
            (b"content-length", b"%d" % len(body)),
            (b"retry-after", b"1"),
        ]
        self._body = body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if self.active >= self.max_requests:
            await send({"type": "http.response.start", "status": 503, "headers": list(self._headers)})
            await send({"type": "http.response.body", "body": self._body})
            return
        self.active += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.active -= 1


class _Reader:
    """One answer whose client made the server wait: what it holds, and when it is cut off."""

    __slots__ = ("behind", "dropped", "held", "passed", "waiting")

    def __init__(self) -> None:
        self.held = 0  # bytes of the message being written, not yet passed on
        self.behind = 0.0  # since when every write waited on the client (0: it keeps up)
        self.passed: deque[tuple[float, int]] = deque()  # (when, bytes) passed on after a wait, last window
        self.waiting: anyio.CancelScope | None = None
        self.dropped = ""  # why it was dropped, once it is

    def cutoff(self, window: float, min_bytes: float) -> float:
        """When (monotonic seconds) this client will have read less than ``min_bytes`` in the last
        ``window`` seconds, if it reads nothing more; never before ``window`` seconds behind.
        (Counted over a window, not since the start: what the kernel's buffers take at first is
        no credit for a client that then stops reading.)"""
        earliest = self.behind + window
        total = sum(n for _, n in self.passed)
        for when, n in self.passed:  # oldest first: each ages out of the window in turn
            if total < min_bytes:
                break
            total -= n
            earliest = max(earliest, when + window)
        return earliest


class SlowReaders:
    """A minimum read rate, a send budget per worker, and answers written in pieces.
    A client that goes away in the middle of an answer is logged as one line, never a traceback."""

    def __init__(self, app: ASGIApp, write_timeout: float, min_rate: int, budget: int) -> None:
        self.app = app
        self.grace = write_timeout
        self.min_rate = min_rate
        self.min_bytes = min_rate * write_timeout  # what a client must read in any window of `grace` seconds
        self.budget = budget
        self.held = 0  # bytes held by the answers in `holders`, together
        self.holders: set[_Reader] = set()

    def _hold(self, reader: _Reader, held: int) -> None:
        """``reader`` now holds ``held`` bytes; past the budget, drop the answers closest to their cut-off."""
        if reader.dropped and held:
            return
        self.held += held - reader.held
        reader.held = held
        if held:
            self.holders.add(reader)
        else:
            self.holders.discard(reader)
        if len(self.holders) < 2:
            return
        budget = self.budget if resident_bytes() <= WORKER_MEMORY_BYTES else 0
        for victim in sorted(self.holders, key=lambda r: r.cutoff(self.grace, self.min_bytes)):
            if self.held <= budget or len(self.holders) < 2:
                return
            victim.dropped = (
                f"the worker's send budget of {self.budget} bytes was full"
                if budget
                else f"the worker's memory passed {WORKER_MEMORY_BYTES} bytes"
            )
            self.held -= victim.held
            victim.held = 0
            self.holders.discard(victim)
            if victim.waiting is not None:
                victim.waiting.cancel()

    async def _write(self, reader: _Reader, send: Send, message: Message, held: int) -> None:
        """Send one message; if the client makes the server wait, until its cut-off."""
        if reader.dropped:
            raise TimeoutError(reader.dropped)
        pending = Eager(send(message))
        if pending.done:  # the client keeps up
            reader.behind = 0.0
            reader.passed.clear()
            return
        now = time.monotonic()
        if not reader.behind:
            reader.behind = now
        while reader.passed and reader.passed[0][0] < now - self.grace:
            reader.passed.popleft()
        self._hold(reader, held)
        with anyio.CancelScope() as scope:
            if reader.dropped:
                scope.cancel()
            scope.deadline = anyio.current_time() + max(reader.cutoff(self.grace, self.min_bytes) - now, 0.0)
            reader.waiting = scope
            try:
                await pending.finish()
            finally:
                reader.waiting = None
        if scope.cancelled_caught:
            if not reader.dropped:
                reader.dropped = f"the client read less than {self.min_rate} bytes/s for {self.grace:g} s"
            raise TimeoutError(reader.dropped)
        reader.passed.append((time.monotonic(), len(message.get("body", b""))))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        reader = _Reader()
        started = False

        async def paced_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            body = message.get("body", b"") if message["type"] == "http.response.body" else b""
            more = message.get("more_body", False)
            try:
                if len(body) <= CHUNK:
                    await self._write(reader, send, message, len(body))
                    return
                for i in range(0, len(body), CHUNK):
                    piece = {"type": "http.response.body", "body": body[i : i + CHUNK], "more_body": more}
                    if i + CHUNK < len(body):
                        piece["more_body"] = True
                    await self._write(reader, send, piece, len(body) - i)
            finally:
                self._hold(reader, 0)

        try:
            await self.app(scope, receive, paced_send)
        except Exception as exc:
            if not started or not (reader.dropped or gone(exc)):
                raise
            why = reader.dropped or "the client went away"
            log.warning("dropped the answer to %s %s: %s", scope.get("method"), scope.get("path"), why)
            extensions: dict[str, Any] = scope.get("extensions") or {}
            abort = extensions.get(ABORT)
            if reader.dropped and abort is not None:
                abort["abort"]()  # not close(): that would keep what the socket holds until the client reads it
        finally:
            self._hold(reader, 0)
