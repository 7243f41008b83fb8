"""A lean path for small trajectory requests: the same answer, without the framework's per-request work.

``POST /api/v1/trajectories`` on a built-in surface, whose computation is estimated under
`compute.INLINE_SECONDS` (the studio's every edit, a lesson's runs), is answered here: the body is
parsed and checked exactly as the route does it (orjson, the field-count limit, the SAME pydantic
model ``TrajectoryRequest``, `service.build_problem`), the answer is the route's own function
(`routes.trajectories.answer`, the same bytes), and its headers and gzip are those the route and
``QGZipMiddleware`` give (same order, same compressor settings: the same bytes on the wire).

Anything else goes to the app unchanged: other paths and methods, other content types, typed
formulas (parsed off the event loop), heavier work (queued in the usual lanes), and every error
(a body that does not parse or validate, a cross-field error, a client gone): the app is given the
body messages already read, so it answers exactly as it would have, 422s included. What is
skipped is only the cost of the framework's layers for this one route (request and dependency
objects, routing, exception and gzip responders: about half of a small request's time, measured
with ``make bench``). It sits inside the project's own middleware (security headers, the request's
deadline, body size and time limits, the write timeout), which apply to it as to every request.

Answers are remembered (`Answers`): the engine is deterministic (the same request, seed
included, gives the same bytes), so a body seen before is answered from memory, gzipped or not,
without parsing or computing it again — what a class opening the same lesson or the studio's
default state sends thirty times over. The memory is bounded in bytes
(``OPTIVIZ_ANSWER_CACHE_BYTES``, 0 = off), least recently used first out; only answers the lean
path computed are kept (never an error, never queued work).

The OpenAPI document is the route's (app/api/routes/trajectories.py), unchanged.
"""

from __future__ import annotations

import weakref
import zlib
from collections import OrderedDict
from dataclasses import dataclass

import anyio.to_thread
import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..engine import cost
from ..engine import deadline as engine_deadline
from . import compute
from .encoding import accepts_gzip
from .routes.trajectories import answer  # the route's own function
from .schemas import TrajectoryRequest
from .service import build_problem
from .strict import oversized

PATH = "/api/v1/trajectories"
ENABLED = True  # tests compare the answers with the lean path off


@dataclass(slots=True)
class Remembered:
    """One answer: its JSON bytes, and its gzip bytes once a client asked for them."""

    body: bytes
    gz: bytes | None = None


class Answers:
    """Request bodies → their answers (`Remembered`), at most ``limit`` bytes
    of keys and answers together, least recently used dropped first. Used on the event loop only."""

    ENTRY_SHARE = 8  # an answer larger than limit / 8 is not kept

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.size = 0
        self._items: OrderedDict[bytes, Remembered] = OrderedDict()

    def __len__(self) -> int:
        return len(self._items)

    def get(self, key: bytes) -> Remembered | None:
        entry = self._items.get(key)
        if entry is not None:
            self._items.move_to_end(key)
        return entry

    def put(self, key: bytes, body: bytes) -> Remembered:
        entry = Remembered(body)
        if self.limit > 0 and len(key) + len(body) <= self.limit // self.ENTRY_SHARE and key not in self._items:
            self._items[key] = entry
            self.size += len(key) + len(body)
            self._trim()
        return entry

    def add_gzip(self, key: bytes, entry: Remembered, gz: bytes) -> None:
        entry.gz = gz
        if self._items.get(key) is entry:
            self.size += len(gz)
            self._trim()

    def _trim(self) -> None:
        while self.size > self.limit and self._items:
            key, old = self._items.popitem(last=False)
            self.size -= len(key) + len(old.body) + (len(old.gz) if old.gz is not None else 0)

    def clear(self) -> None:
        self._items.clear()
        self.size = 0


_ALL: weakref.WeakSet[Answers] = weakref.WeakSet()  # every app's memory (tests empty them)


def clear_answers() -> None:
    """Forget every remembered answer (each app has its own memory: its settings are its own)."""
    for answers in list(_ALL):
        answers.clear()


def _route_path(scope: Scope) -> str:
    """The path the app routes on: without the prefix a proxy serves it under (``root_path``),
    as Starlette's router strips it."""
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    if root and path.startswith(root) and path[len(root) : len(root) + 1] == "/":
        return path[len(root) :]
    return path


def _json_type(value: bytes) -> bool:
    """``application/json``, with or without parameters (what the route parses as JSON too)."""
    media = value.split(b";", 1)[0].strip().lower()
    return media == b"application/json"


class FastTrajectories:
    """Pure ASGI: small trajectory requests answered directly, everything else passed on."""

    def __init__(self, app: ASGIApp, gzip_min_bytes: int, gzip_level: int, cache_bytes: int = 0) -> None:
        self.app = app
        self.answers = Answers(cache_bytes)
        _ALL.add(self.answers)
        self.gzip_min_bytes = gzip_min_bytes
        self.gzip_level = gzip_level
        self.gzip_thread_bytes = 128 * 1024  # GZipMiddleware's thread_minimum_size (its default)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not (ENABLED and scope["type"] == "http" and scope["method"] == "POST" and _route_path(scope) == PATH):
            await self.app(scope, receive, send)
            return
        content_type = accept = None
        for name, value in scope["headers"]:
            if name == b"content-type" and content_type is None:
                content_type = value
            elif name == b"accept-encoding" and accept is None:
                accept = value
        if content_type is None or not _json_type(content_type):
            await self.app(scope, receive, send)
            return
        read: list[Message] = []  # handed to the app if it answers instead
        chunks = []
        while True:
            message = await receive()
            read.append(message)
            if message["type"] != "http.request":
                await self.app(scope, _replay(read, receive), send)
                return
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        raw = b"".join(chunks)
        entry = self.answers.get(raw)
        if entry is None:
            body = await self._answer(raw)
            if body is None:
                await self.app(scope, _replay(read, receive), send)
                return
            entry = self.answers.put(raw, body)
        body = entry.body
        headers = [(b"content-length", b"%d" % len(body)), (b"content-type", b"application/json")]
        if len(body) >= self.gzip_min_bytes:  # as GZipMiddleware: vary, then the encoding, the new length
            headers.append((b"vary", b"Accept-Encoding"))
            if accept is not None and accepts_gzip(accept.decode("latin-1")):
                gz = entry.gz
                if gz is None:
                    if len(body) >= self.gzip_thread_bytes:
                        gz = await anyio.to_thread.run_sync(self._gzip, body)  # anyio's default threads
                    else:
                        gz = self._gzip(body)
                    self.answers.add_gzip(raw, entry, gz)
                body = gz
                headers[0] = (b"content-length", b"%d" % len(body))
                headers.append((b"content-encoding", b"gzip"))
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    def _gzip(self, body: bytes) -> bytes:
        compressor = zlib.compressobj(self.gzip_level, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
        return compressor.compress(body) + compressor.flush()

    async def _answer(self, raw: bytes) -> bytes | None:
        """The route's answer to a valid small request on a built-in surface; None: the app answers."""
        try:
            data = orjson.loads(raw)
            if oversized(data) is not None:
                return None
            req = TrajectoryRequest.model_validate(data)
            if not isinstance(req.surface, str):  # a typed formula: parsed off the event loop
                return None
            # on the event loop, as `compute.run_heavy` runs such work, under the request's deadline
            # (this request's task has its own context: the binding ends with it)
            engine_deadline.bind(compute.deadline())
            problem = build_problem(req)
            work = cost.trajectories(problem)
            if not 0.0 < work <= compute.INLINE_SECONDS:  # queued work: the route's lanes
                return None
            return answer(problem)
        except Exception:
            return None


def _replay(read: list[Message], receive: Receive) -> Receive:
    """receive() that first gives back the messages already read."""
    pending = list(read)

    async def replay() -> Message:
        if pending:
            return pending.pop(0)
        return await receive()

    return replay
