"""Which answers are gzipped: only for a client whose ``Accept-Encoding`` accepts gzip with a
q-value above 0 (RFC 9110 §12.5.3): ``gzip;q=0`` or ``*;q=0`` refuse it, ``*`` accepts it."""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.middleware.gzip import GZipMiddleware, GZipResponder, IdentityResponder
from starlette.types import Receive, Scope, Send

GZIP_NAMES = ("gzip", "x-gzip")  # x-gzip: the same coding (RFC 9110 §8.4.1.3)


def accepts_gzip(accept_encoding: str | None) -> bool:
    """Whether an ``Accept-Encoding`` value accepts gzip: its q-value if it names gzip, else that of ``*``."""
    if not accept_encoding:
        return False
    named: float | None = None
    star: float | None = None
    for item in accept_encoding.split(","):
        coding, *params = (part.strip() for part in item.split(";"))
        q = 1.0
        for param in params:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0  # a malformed q-value accepts nothing
        coding = coding.lower()
        if coding in GZIP_NAMES:
            named = q if named is None else max(named, q)
        elif coding == "*":
            star = q
    chosen = named if named is not None else star
    return chosen is not None and chosen > 0


class QGZipMiddleware(GZipMiddleware):
    """Starlette's GZipMiddleware (same compressor, same headers), choosing gzip by `accepts_gzip`:
    Starlette's own looks for the letters ``gzip`` and so compresses for ``gzip;q=0`` too."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        responder: GZipResponder | IdentityResponder
        if accepts_gzip(Headers(scope=scope).get("accept-encoding")):
            responder = GZipResponder(
                self.app,
                self.minimum_size,
                compresslevel=self.compresslevel,
                thread_minimum_size=self.thread_minimum_size,
                exclude_content_types=self.exclude_content_types,
            )
        else:
            responder = IdentityResponder(self.app, self.minimum_size, exclude_content_types=self.exclude_content_types)
        await responder(scope, receive, send)
