"""One deadline per computation, checked inside the engine's step loops.

The API sets it (`bind`) in the context that runs a request's computation; the loops read it
once per call (`current`) and compare ``time.monotonic()`` against it every few steps, so a
computation stops within a fraction of a second of its limit whatever a step costs. Without a
deadline (the CLI, tests, benchmarks) nothing is checked.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from ..settings import get_settings

_DEADLINE: ContextVar[float | None] = ContextVar("optiviz_deadline", default=None)


def admit_factor() -> float:
    """Work estimated at more than this many times the time left is refused at once
    (``OPTIVIZ_ADMIT_FACTOR``, 2 by default)."""
    return get_settings().admit_factor


class DeadlineExceeded(Exception):
    """The computation ran past its deadline, or would (``estimate``: its estimated seconds)."""

    def __init__(self, estimate: float | None = None) -> None:
        super().__init__()
        self.estimate = estimate


def bind(deadline: float | None) -> None:
    """Set the deadline of the current context (a copied context per computation)."""
    _DEADLINE.set(deadline)


def current() -> float | None:
    return _DEADLINE.get()


def check(deadline: float | None = None) -> None:
    """Raise `DeadlineExceeded` if the deadline (default: the context's) has passed."""
    d = _DEADLINE.get() if deadline is None else deadline
    if d is not None and time.monotonic() > d:
        raise DeadlineExceeded


def admit(estimate: float) -> None:
    """Refuse (`DeadlineExceeded` with the estimate) work that cannot finish in the time left."""
    d = _DEADLINE.get()
    if d is not None and estimate > admit_factor() * max(d - time.monotonic(), 0.0):
        raise DeadlineExceeded(estimate)


@contextmanager
def within(seconds: float) -> Iterator[None]:
    """Run the block under a deadline ``seconds`` from now (this context's), then none; the block
    ends quietly at the deadline (background work such as a warm-up: what is done stays done)."""
    bind(time.monotonic() + seconds)
    try:
        yield
    except DeadlineExceeded:
        pass
    finally:
        bind(None)
