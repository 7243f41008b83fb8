"""uvicorn's HTTP protocol with a time limit on request heads, a cap on open connections, and
sockets that can be aborted (what ``optiviz serve`` adds to what the app enforces itself).

uvicorn closes idle kept-alive connections (``timeout_keep_alive``) but waits forever for a new
connection's first request, or for headers that arrive a byte at a time (slowloris). Here a
request's line and headers must arrive within ``OPTIVIZ_HEADER_TIMEOUT`` seconds of the connection
(or of the request's first byte) and be at most ``MAX_HEAD_BYTES`` long (431). Bodies have their
own limits in `app.api.middleware.BodySizeLimit` (size and time).

Open connections per worker stay within ``OPTIVIZ_MAX_CONNECTIONS`` (and the process's open-file
limit, `connection_cap`): a connection beyond closes the longest-idle ones (no request in progress),
or itself when none is idle. They are not uvicorn's ``limit_concurrency``, which counts idle
connections against requests; requests in progress have their own limit in the app
(`app.api.capacity.RequestLimit`).

Each request's scope carries ``extensions["optiviz.abort"]["abort"]``: the app's slow-reader guard
(`app.api.capacity.SlowReaders`) aborts a dropped client's socket with it, discarding what its
buffer holds (``close()`` would keep it until the client reads it, perhaps never).
"""

from __future__ import annotations

import asyncio
import contextlib
import resource
import socket
import struct
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from ..settings import get_settings
from .capacity import ABORT
from .middleware import CSP

MAX_HEAD_BYTES = 16 * 1024
SPARE_FILES = 64  # open files kept for the rest of the process (kernel cache, logs, the listening socket)


def connection_cap(wanted: int) -> int:
    """Open connections one process may keep: ``wanted``, within its open-file limit, whose soft
    value is first raised to the hard one (a container's default soft limit may be 1,024)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and (hard == resource.RLIM_INFINITY or soft < hard):
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
            soft = hard
        except (ValueError, OSError):
            pass
    if soft == resource.RLIM_INFINITY:
        return wanted
    return max(1, min(wanted, soft - SPARE_FILES))


class GuardedHttpToolsProtocol(HttpToolsProtocol):
    max_head_bytes = MAX_HEAD_BYTES
    max_connections: int | None = None  # connection_cap(OPTIVIZ_MAX_CONNECTIONS), once per process

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        settings = get_settings()
        self.header_timeout = settings.header_timeout
        if GuardedHttpToolsProtocol.max_connections is None:
            GuardedHttpToolsProtocol.max_connections = connection_cap(settings.max_connections)
        self._head_timer: asyncio.TimerHandle | None = None
        self._head_bytes = 0
        self._in_head = False
        self._idle_since = 0.0

    def _idle(self) -> bool:
        """No request in progress: none begun, or the last one answered."""
        return not self._in_head and (self.cycle is None or self.cycle.response_complete) and not self.pipeline

    def _shed(self) -> None:
        """Beyond the cap: close the longest-idle connections, else this new one."""
        cap = self.max_connections or 0
        if len(self.connections) <= cap:
            return
        # those already closing leave the set a moment later: not counted, not closed again
        others = [c for c in self.connections if c is not self and not c.transport.is_closing()]
        excess = len(others) + 1 - cap
        if excess <= 0:
            return
        idle = sorted(
            (c for c in others if isinstance(c, GuardedHttpToolsProtocol) and c._idle()), key=lambda c: c._idle_since
        )
        for conn in idle[:excess]:
            conn.transport.close()
        if len(idle) < excess:
            self.transport.close()

    def _abort(self) -> None:
        """Drop the connection at once, with what the process and the kernel still hold for it:
        a linger of 0 makes the close a reset (RST), not a FIN queued behind megabytes unsent."""
        if self.transport is None:
            return
        sock = self.transport.get_extra_info("socket")
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.transport.abort()

    def _arm(self) -> None:
        self._disarm()
        self._head_timer = self.loop.call_later(self.header_timeout, self._head_expired)

    def _disarm(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_expired(self) -> None:
        self._head_timer = None
        if not self.transport.is_closing():
            self.transport.close()  # as nginx does: no answer to a request that never arrived

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._idle_since = self.loop.time()
        self._arm()
        self._shed()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self.scope["extensions"] = {ABORT: {"abort": self._abort}}  # an ASGI extension: a dict
        self._head_bytes = 0
        self._in_head = True
        self._arm()

    def on_response_complete(self) -> None:
        self._idle_since = self.loop.time()
        super().on_response_complete()

    def _count(self, n: int) -> None:
        self._head_bytes += n
        if self._head_bytes > self.max_head_bytes and not self.transport.is_closing():
            self._disarm()
            msg = b"request line and headers too large"
            self.transport.write(
                b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-type: text/plain\r\n"
                b"content-security-policy: %s\r\nx-content-type-options: nosniff\r\n"
                b"content-length: %d\r\nconnection: close\r\n\r\n%s" % (CSP.encode(), len(msg), msg)
            )
            self.transport.close()

    def _refused(self) -> bool:
        return self._head_bytes > self.max_head_bytes

    def on_url(self, url: bytes) -> None:
        self._count(len(url))
        if not self._refused():
            super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._count(len(name) + len(value) + 4)
        if not self._refused():
            super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self._disarm()
        self._in_head = False
        if not self._refused():
            super().on_headers_complete()

    def on_body(self, body: bytes) -> None:
        if not self._refused():
            super().on_body(body)

    def on_message_complete(self) -> None:
        if not self._refused():
            super().on_message_complete()
