"""Graceful shutdown: on SIGTERM, in-flight requests finish and open streams end with an event.
Start-up also warms the default network lesson and the sweep lessons in background threads
(`warm_networks`, `warm_sweeps`).

uvicorn stops accepting connections on SIGTERM and waits for open ones. A stream could run for
a long time, so the handler also raises a flag that the stream loop checks between chunks: it
then sends a final ``error`` event ("the server is shutting down") and closes.
"""

from __future__ import annotations

import gc
import signal
import sys
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI

from ..i18n import LANGS
from ..lessons.scenarios import BY_ID
from ..settings import get_settings
from . import service_lessons, service_networks

SHUTTING_DOWN = threading.Event()
# the network lesson the networks page opens on (network_state.js's DEFAULT_LESSON)
WARM_LESSON = "network-assignment"


def _chain(sig: int) -> None:
    previous = signal.getsignal(sig)

    def handler(signum: int, frame: Any) -> None:
        SHUTTING_DOWN.set()
        if callable(previous):
            previous(signum, frame)
        elif previous == signal.SIG_DFL:
            raise SystemExit(128 + signum)

    signal.signal(sig, handler)


# Computations run in worker threads that hold the GIL between switches. When the event loop wants
# it (a health check, a small request), it waits up to one switch interval per busy thread: 1 ms
# instead of Python's 5 ms keeps answers quick while heavy work runs, at no cost when uncontended.
SWITCH_INTERVAL = 0.001


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    SHUTTING_DOWN.clear()
    sys.setswitchinterval(SWITCH_INTERVAL)
    # what start-up made (modules, the registry, compiled kernels) lives as long as the process: out
    # of the collector's reach, a full collection, which holds the GIL from start to end, no longer
    # walks it. One was triggered by a long formula's Hessian (its trees allocated in a worker
    # thread) and stopped the event loop for 131 ms (0.3–0.8 s on a loaded machine); now ≤ 25 ms
    gc.freeze()
    if threading.current_thread() is threading.main_thread():  # not under a test client's thread
        for sig in (signal.SIGTERM, signal.SIGINT):
            _chain(sig)
    warm = [warm_networks(), warm_sweeps()] if get_settings().warm_up else []
    try:
        yield
    finally:
        WARM_STOP.set()
        for thread in warm:
            thread.join(1.0)


WARM_STOP = threading.Event()


def warm_networks() -> threading.Thread:
    """Train the default network lesson (its request in every language: its runs' labels differ)
    into the trained-runs cache, in a daemon thread: readiness is not delayed, the thread stops when
    the server does (`WARM_STOP`), and its work is bounded (`service_networks.warm_up`, within the time
    one request may take). The networks page then draws its first landscape without waiting for the
    training (bench/network_browser.py)."""
    WARM_STOP.clear()
    bodies = [BY_ID[WARM_LESSON].render(lang)["request"] for lang in LANGS]
    seconds = min(service_networks.WARM_UP_SECONDS, get_settings().request_timeout)
    thread = threading.Thread(
        target=service_networks.warm_up,
        args=(bodies, WARM_STOP, seconds),
        name="optiviz-warm-networks",
        daemon=True,
    )
    thread.start()
    return thread


def warm_sweeps() -> threading.Thread:
    """Compute the sweep lessons' answers (the batch-size lesson's) into this worker's memory of
    sweep answers (`service_lessons.SWEEPS`), in a daemon thread, as `warm_networks` does: readiness
    and health are not delayed, the thread stops with the server (`WARM_STOP`), its work is bounded
    (`service_lessons.warm_up`). A class opening the lesson is then answered at once."""
    seconds = min(service_lessons.WARM_UP_SECONDS, get_settings().request_timeout)
    thread = threading.Thread(
        target=service_lessons.warm_up, args=(WARM_STOP, seconds), name="optiviz-warm-sweeps", daemon=True
    )
    thread.start()
    return thread
