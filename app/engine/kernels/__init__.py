"""The compiled engine: update rules, surfaces and one step loop, compiled by numba.

Every formula is a plain Python function of floats (hyperparameters as arguments, the math
backend ``xp`` as an argument, as everywhere in the engine). `jit` compiles it with numba
(``error_model='numpy'``: a division by zero gives inf/nan instead of raising; never
``fastmath``, so every operation rounds exactly as CPython's float arithmetic and libm do).
Without numba, or with ``NUMBA_DISABLE_JIT=1``, the same functions run as plain Python: the
reference the tests compare the compiled kernels with.

Compiled code is cached on disk (``NUMBA_CACHE_DIR``) in a directory named after a hash of the
engine's formula sources, so a stale cache is never used after an edit; ``python -m
app.engine.kernels.warmup`` fills it at install time (``make run``, the Docker build).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")

_ENGINE = Path(__file__).resolve().parent.parent
# the sources the compiled kernels are built from (numba's own cache only watches the file of
# each cached function, not the functions it calls)
# (the built-in surfaces' branches of the loop are generated from data/surfaces.toml's formulas by
# codegen.py through expression.py, and the dispatch over the optimizers' rules by
# kernels/dispatch.py from every optimizer module: their names too, adding one changes the dispatch)
_SOURCES = (
    "surfaces.py",
    "data/surfaces.toml",
    "expression.py",
    "codegen.py",
    "kernels/rules.py",
    "kernels/tape.py",
    "kernels/loop.py",
    "kernels/nbmath.py",
    "datasets.py",
    "kernels/data.py",
)
_SOURCE_GLOBS = ("kernels/dispatch.py", "optimizers/*.py")


def _source_hash() -> str:
    h = hashlib.sha256()
    names = [*_SOURCES, *(str(p.relative_to(_ENGINE)) for g in _SOURCE_GLOBS for p in sorted(_ENGINE.glob(g)))]
    for name in names:
        h.update(name.encode())
        with contextlib.suppress(OSError):
            h.update((_ENGINE / name).read_bytes())
    return h.hexdigest()[:16]


def cache_root() -> Path:
    """Where compiled kernels are kept: $OPTIVIZ_KERNEL_CACHE, else inside the venv / image."""
    env = os.environ.get("OPTIVIZ_KERNEL_CACHE")
    return Path(env) if env else Path(sys.prefix) / "var" / "optiviz-kernels"


def _writable(d: Path) -> bool:
    try:
        d.mkdir(parents=True, exist_ok=True)
    except OSError:
        return d.is_dir() and any(d.iterdir())  # read-only but filled (the image at run time)
    return os.access(d, os.W_OK) or any(d.iterdir())


def _set_cache_dir() -> Path:
    if "NUMBA_CACHE_DIR" in os.environ:
        return Path(os.environ["NUMBA_CACHE_DIR"])
    d = cache_root() / _source_hash()
    if not _writable(d):
        d = Path(tempfile.gettempdir()) / "optiviz-kernels" / _source_hash()
        d.mkdir(parents=True, exist_ok=True)
    os.environ["NUMBA_CACHE_DIR"] = str(d)
    return d


CACHE_DIR = _set_cache_dir()

_njit: Callable[..., Any] | None  # numba.njit; None without numba
try:  # numba reads NUMBA_CACHE_DIR at import
    from numba import njit as _njit

    COMPILED = os.environ.get("NUMBA_DISABLE_JIT", "0") in ("", "0")
except ImportError:  # pragma: no cover - numba is a dependency; plain Python still works
    _njit = None
    COMPILED = False


def jit(fn: Callable[P, R]) -> Callable[P, R]:
    """Compile a formula or loop with numba (no fastmath; numpy error model; cached; no GIL).

    The compiled function keeps the Python signature (numba's dispatcher takes the same
    arguments and returns the same values), so callers are type-checked against ``fn``."""
    if _njit is None:
        return fn
    compiled: Callable[P, R] = _njit(cache=True, error_model="numpy", nogil=True)(fn)
    return compiled


def jit_inline(fn: Callable[P, R]) -> Callable[P, R]:
    """`jit`, inlined into each caller at numba's level (constant arguments then fold branches)."""
    if _njit is None:
        return fn
    compiled: Callable[P, R] = _njit(cache=True, error_model="numpy", nogil=True, inline="always")(fn)
    return compiled


def python_of(fn: Callable[P, R]) -> Callable[P, R]:
    """The plain Python function a kernel was compiled from (itself when numba is off): for
    callers that pass NumPy arrays or objects numba's signature would not accept."""
    plain: Callable[P, R] = getattr(fn, "py_func", fn)
    return plain


def jit_generated(fn: Callable[P, R]) -> Callable[P, R]:
    """`jit` for code generated at import (app/engine/codegen.py), which numba cannot cache (no
    source file): compiled in each process where a kernel is compiled, and held in the machine
    code of the cached kernels that call it (their folder's hash covers what it is generated from)."""
    if _njit is None:
        return fn
    compiled: Callable[P, R] = _njit(cache=False, error_model="numpy", nogil=True)(fn)
    return compiled
