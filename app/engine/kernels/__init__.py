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
from typing import Any

_ENGINE = Path(__file__).resolve().parent.parent
# the sources the compiled kernels are built from (numba's own cache only watches the file of
# each cached function, not the functions it calls)
# and the generated dispatch over the optimizers' rules, compiled into the cached loop); every
# optimizer module (its name too: adding one renumbers nothing, but changes the dispatch)
_SOURCES = ("surfaces.py", "kernels/rules.py", "kernels/tape.py", "kernels/loop.py", "kernels/nbmath.py")
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

try:  # numba reads NUMBA_CACHE_DIR at import
    import numba

    COMPILED = os.environ.get("NUMBA_DISABLE_JIT", "0") in ("", "0")
except ImportError:  # pragma: no cover - numba is a dependency; plain Python still works
    numba = None
    COMPILED = False


def jit(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Compile a formula or loop with numba (no fastmath; numpy error model; cached; no GIL)."""
    if numba is None:
        return fn
    return numba.njit(cache=True, error_model="numpy", nogil=True)(fn)


def jit_inline(fn: Callable[..., Any]) -> Callable[..., Any]:
    """`jit`, inlined into each caller at numba's level (constant arguments then fold branches)."""
    if numba is None:
        return fn
    return numba.njit(cache=True, error_model="numpy", nogil=True, inline="always")(fn)


def jit_uncached(fn: Callable[..., Any]) -> Callable[..., Any]:
    """`jit` without the disk cache: for functions compiled from generated text (no source file),
    e.g. `app.engine.kernels.dispatch`; the cached kernels that call them keep their code."""
    if numba is None:
        return fn
    return numba.njit(cache=False, error_model="numpy", nogil=True)(fn)
