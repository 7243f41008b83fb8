"""Graceful shutdown: on SIGTERM, in-flight requests finish and open streams end with an event.

uvicorn stops accepting connections on SIGTERM and waits for open ones. A stream could run for
a long time, so the handler also raises a flag that the stream loop checks between chunks: it
then sends a final ``error`` event ("the server is shutting down") and closes.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI

SHUTTING_DOWN = threading.Event()


def _chain(sig: int) -> None:
    previous = signal.getsignal(sig)

    def handler(signum: int, frame: Any) -> None:
        SHUTTING_DOWN.set()
        if callable(previous):
            previous(signum, frame)
        elif previous == signal.SIG_DFL:
            raise SystemExit(128 + signum)

    signal.signal(sig, handler)


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    SHUTTING_DOWN.clear()
    if threading.current_thread() is threading.main_thread():  # not under a test client's thread
        for sig in (signal.SIGTERM, signal.SIGINT):
            _chain(sig)
    yield
