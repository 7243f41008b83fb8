"""uvicorn's HTTP protocol with a time limit on request heads.

uvicorn closes idle kept-alive connections (``timeout_keep_alive``) but waits forever for a new
connection's first request, or for headers that arrive a byte at a time (slowloris): each such
connection holds a socket and a slot of ``limit_concurrency``. Here a request's line and headers
must arrive within ``OPTIVIZ_HEADER_TIMEOUT`` seconds of the connection (or of the request's first byte)
and be at most ``MAX_HEAD_BYTES`` long (431). Bodies have their own limits in
`app.api.middleware.BodySizeLimit` (size and time).
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from ..settings import get_settings
from .middleware import CSP

MAX_HEAD_BYTES = 16 * 1024


class GuardedHttpToolsProtocol(HttpToolsProtocol):
    max_head_bytes = MAX_HEAD_BYTES

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.header_timeout = get_settings().header_timeout
        self._head_timer: asyncio.TimerHandle | None = None
        self._head_bytes = 0

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
        self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._head_bytes = 0
        self._arm()

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
        if not self._refused():
            super().on_headers_complete()

    def on_body(self, body: bytes) -> None:
        if not self._refused():
            super().on_body(body)

    def on_message_complete(self) -> None:
        if not self._refused():
            super().on_message_complete()
