"""Pure ASGI middleware: body-size limit and security headers (streams pass through untouched)."""

from __future__ import annotations

import contextlib
import logging
import time
import types
from pathlib import Path
from typing import Any

import anyio
import orjson
from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..i18n import text

log = logging.getLogger("optiviz")
_NO_TIMER = contextlib.nullcontext()

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'self'; frame-ancestors 'none'; "
    "form-action 'self'"
)
# /docs (Swagger UI, served locally) starts itself with an inline script
DOCS_CSP = CSP.replace("script-src 'self'", "script-src 'self' 'unsafe-inline'")


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        csp = DOCS_CSP if path.endswith("/docs") else CSP

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers += [
                    (b"content-security-policy", csp.encode()),
                    (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"no-referrer"),
                    (b"x-frame-options", b"DENY"),
                    (b"cross-origin-opener-policy", b"same-origin"),
                ]
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


class BodySizeLimit:
    """413 for a body over the limit, whether it declares its length or streams it; 408 for a body
    that does not arrive within ``timeout`` seconds (or stalls for ``GAP`` seconds)."""

    GAP = 10.0

    def __init__(self, app: ASGIApp, max_bytes: int, timeout: float = 30.0) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.timeout = timeout

    def _timed(self, receive: Receive, send: Send, state: dict[str, bool]) -> Receive:
        """receive() with a time limit while the body is still arriving: past it a 408 goes out
        (once, with ``connection: close``) and the app is told the client is gone."""
        start = time.monotonic()

        async def timed_receive() -> Message:
            if state["body_done"] or state["slow"]:
                return await receive() if not state["slow"] else {"type": "http.disconnect"}
            left = min(self.timeout - (time.monotonic() - start), self.GAP)
            pending = Eager(receive())  # a body already here: no timer to set
            with anyio.move_on_after(max(left, 0.0)) if not pending.done else _NO_TIMER:
                message: Message = pending.value if pending.done else await pending.finish()
                if message["type"] != "http.request" or not message.get("more_body", False):
                    state["body_done"] = True
                return message
            state["slow"] = True
            log.warning("dropped a request whose body did not arrive in time")
            if not state["started"]:
                body = orjson.dumps({"detail": text("error.body_timeout")})
                await send(
                    {
                        "type": "http.response.start",
                        "status": 408,
                        "headers": [
                            (b"content-type", b"application/json"),
                            (b"connection", b"close"),
                            (b"content-length", str(len(body)).encode()),
                        ],
                    }
                )
                await send({"type": "http.response.body", "body": body})
            return {"type": "http.disconnect"}

        return timed_receive

    async def _reject(self, send: Send) -> None:
        body = orjson.dumps({"detail": text("error.body_too_large", limit=self.max_bytes)})
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
            }
        )
        await send({"type": "http.response.body", "body": body})

    DRAIN_LIMIT = 32 * 1024 * 1024

    async def _drain(self, receive: Receive, declared: int) -> None:
        """Read (and drop) a moderately oversized body, so the client gets to read our 413
        instead of a broken pipe; a huge one is not worth reading."""
        if declared > self.DRAIN_LIMIT:
            return
        while True:
            message = await receive()
            if message["type"] != "http.request" or not message.get("more_body", False):
                return

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        state = {"body_done": False, "slow": False, "started": False}
        receive = self._timed(receive, send, state)
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    too_big = int(value) > self.max_bytes
                except ValueError:
                    too_big = False
                if too_big:
                    await self._drain(receive, int(value))
                    if not state["slow"]:
                        await self._reject(send)
                    return
        received = 0
        started = rejected = False

        async def limited_receive() -> Message:
            # past the limit: answer 413 here (an exception would reach FastAPI's body parsing, which
            # turns any error into a 400), then tell the app the client is gone
            nonlocal received, rejected
            if rejected or state["slow"]:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    rejected = True
                    more = message.get("more_body", False)
                    while more and received <= self.DRAIN_LIMIT:  # so the client gets to read the 413
                        message = await receive()
                        received += len(message.get("body", b""))
                        more = message["type"] == "http.request" and message.get("more_body", False)
                    if not started:
                        await self._reject(send)
                    return {"type": "http.disconnect"}
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if rejected or state["slow"]:  # the 413 or 408 is the answer: drop the app's own
                return
            if message["type"] == "http.response.start":
                started = state["started"] = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except Exception:
            if not (rejected or state["slow"]):
                raise


class Eager:
    """A coroutine run at once up to its first wait. A receive() or send() that completes without
    waiting (the body has arrived, the socket takes the answer: the usual case) needs no timer;
    one that waits is awaited to its end (`finish`) under the caller's time limit. Setting a timer
    (an anyio cancel scope) costs more than a small request's body and answer otherwise."""

    __slots__ = ("coro", "done", "first", "value")

    def __init__(self, coro: Any) -> None:
        self.coro, self.done, self.first = coro, False, None
        self.value: Any = None  # what the coroutine returned, once done
        try:
            self.first = coro.send(None)
        except StopIteration as stop:
            self.done, self.value = True, stop.value

    @types.coroutine
    def finish(self) -> Any:
        """The rest of the coroutine (it waited): what it waits on goes to the event loop, and
        what the loop sends or throws (a cancellation) goes back to it."""
        coro, out = self.coro, self.first
        while True:
            try:
                back = yield out
            except GeneratorExit:
                coro.close()
                raise
            except BaseException as exc:
                try:
                    out = coro.throw(exc)
                except StopIteration as stop:
                    return stop.value
            else:
                try:
                    out = coro.send(back)
                except StopIteration as stop:
                    return stop.value


class WhitelistStatic(StaticFiles):
    """Static files limited to the given file ``names`` (at the top of the directory) or
    ``suffixes``: a package directory's other files (stock pages, source maps, data) are 404."""

    def __init__(self, directory: str | Path, names: set[str] | None = None, suffixes: tuple[str, ...] = ()) -> None:
        super().__init__(directory=directory)
        self.names = frozenset(names or ())
        self.suffixes = suffixes

    async def get_response(self, path: str, scope: Scope) -> Response:
        allowed = path in self.names if self.names else path.endswith(self.suffixes)
        if not allowed:
            raise HTTPException(status_code=404)
        return await super().get_response(path, scope)


_GONE = (OSError, anyio.BrokenResourceError, anyio.ClosedResourceError, TimeoutError)


def gone(exc: BaseException) -> bool:
    """A connection error (possibly inside an exception group): the client is gone."""
    if isinstance(exc, BaseExceptionGroup):
        return all(gone(e) for e in exc.exceptions)
    return isinstance(exc, _GONE)


class _OneLine(logging.Filter):
    """uvicorn's own line for an answer we dropped on purpose says the same again: keep ours."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "returned without completing response" not in record.getMessage()


logging.getLogger("uvicorn.error").addFilter(_OneLine())
