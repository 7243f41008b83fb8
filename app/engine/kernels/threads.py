"""Rows stepped by several threads at once, when the machine has cores to spare.

The compiled loop releases the GIL, and rows are independent: a large block of rows (a sweep, a
basin map, a race) can be cut into parts stepped side by side, each part writing its own rows, so
the answer is the same bits with one thread or many. Helper threads come from one pool for the
process, ``OPTIVIZ_ENGINE_THREADS`` − 1 of them (default: the cores this process may use, within a
container's CPU quota, shared among the server's worker processes); a part
takes a helper only when one is idle at that moment, so under load (the server's other heavy
computations busy on the cores) a computation simply runs alone in its own thread, as before.
"""

from __future__ import annotations

import math
import os
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

from ...settings import get_settings
from .. import deadline as _deadline

# work(a, b, deadline, halt): rows a..b-1, within the deadline, stopping early once halt is set
RowWork = Callable[[int, int, float | None, threading.Event | None], None]

MIN_SECONDS = 0.002  # below this much estimated work, one thread (a helper's start costs ~50 µs)


def usable_cores(cpu_max: str = "/sys/fs/cgroup/cpu.max") -> int:
    """The cores this process may use: its CPU affinity, within a container's CPU quota (cgroup
    v2 ``cpu.max``, e.g. ``docker run --cpus 2`` on a 64-core host: 2, not 64)."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cores = os.cpu_count() or 1
    try:
        with open(cpu_max) as f:
            quota, period = f.read().split()[:2]
        if quota != "max":
            cores = min(cores, max(1, math.ceil(int(quota) / int(period))))
    except (OSError, ValueError):
        pass
    return cores


def _threads() -> int:
    """OPTIVIZ_ENGINE_THREADS, or the usable cores shared among the server's worker processes."""
    settings = get_settings()
    if settings.engine_threads:
        return settings.engine_threads
    return max(1, usable_cores() // settings.workers)


THREADS = _threads()
_idle = threading.Semaphore(THREADS - 1)  # helpers free right now
_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def _executor() -> ThreadPoolExecutor:
    """The helpers' pool, THREADS − 1 threads (made again if THREADS was changed: tests, benchmarks)."""
    global _pool
    with _pool_lock:
        if _pool is None or _pool._max_workers != max(1, THREADS - 1):
            _pool = ThreadPoolExecutor(max(1, THREADS - 1), thread_name_prefix="optiviz-rows")
        return _pool


def run_rows(rows: int, block: int, seconds: float, work: RowWork) -> None:
    """``work(a, b, deadline, halt)`` over rows 0..rows-1: at once when the work (estimated at
    ``seconds``) is small or no helper is idle, else cut into contiguous parts of whole blocks, the
    first stepped in this thread, the others by the helpers idle now. Every part has ended when
    this returns; the first error of any part is raised (``halt`` is set for the others, which stop
    at their next slice)."""
    d = _deadline.current()  # the helpers' threads do not share this context: the deadline is passed
    blocks = -(-rows // block)
    n = 1
    if THREADS > 1 and seconds >= MIN_SECONDS:
        while n < min(THREADS, blocks) and _idle.acquire(blocking=False):
            n += 1
    if n == 1:
        work(0, rows, d, None)
        return
    per = -(-blocks // n) * block  # rows per part, whole blocks
    ranges = [(a, min(rows, a + per)) for a in range(0, rows, per)]
    for _ in range(n - len(ranges)):  # fewer parts than helpers reserved
        _idle.release()
    halt = threading.Event()
    futures: list[Future[None]] = []
    try:
        for a, b in ranges[1:]:
            futures.append(_executor().submit(_guarded, work, a, b, d, halt))
        _guarded(work, ranges[0][0], ranges[0][1], d, halt)
    finally:
        error = None
        for f in futures:
            try:
                f.result()
            except BaseException as e:
                error = error or e
        for _ in ranges[1:]:
            _idle.release()
    if error is not None:
        raise error


def _guarded(work: RowWork, a: int, b: int, d: float | None, halt: threading.Event) -> None:
    try:
        work(a, b, d, halt)
    except BaseException:
        halt.set()
        raise


_BLAS_SET = ("scipy_openblas_set_num_threads64_", "openblas_set_num_threads64_", "openblas_set_num_threads")
_BLAS_GET = ("scipy_openblas_get_num_threads64_", "openblas_get_num_threads64_", "openblas_get_num_threads")


def pin_blas(n: int = 1) -> list[int]:
    """Set OpenBLAS's threads to ``n`` in this process (already loaded by NumPy) and, through
    ``OPENBLAS_NUM_THREADS`` unless it is set, in the processes it starts (the server's workers),
    as threadpoolctl does (not a dependency). Returns the threads each OpenBLAS found now uses.

    Why one: the network's products are small (64-wide layers, 1,000 samples), and OpenBLAS's
    second thread cost 10–15× more CPU under load than it saved; the engine shares its own work
    among the cores (`run_rows`), so BLAS threads would only oversubscribe them. An explicit
    ``OPENBLAS_NUM_THREADS`` wins (the environment's choice is left alone)."""
    import ctypes

    if "OPENBLAS_NUM_THREADS" in os.environ:
        return []
    os.environ["OPENBLAS_NUM_THREADS"] = str(n)
    try:
        with open("/proc/self/maps") as f:
            paths = sorted({line.split()[-1] for line in f if "openblas" in line.lower() and "/" in line})
    except OSError:  # not Linux: the environment variable alone (for processes started later)
        return []
    found = []
    for path in paths:
        lib = ctypes.CDLL(path)
        setter = next((getattr(lib, s) for s in _BLAS_SET if hasattr(lib, s)), None)
        getter = next((getattr(lib, s) for s in _BLAS_GET if hasattr(lib, s)), None)
        if setter is not None and getter is not None:
            setter(n)
            found.append(int(getter()))
    return found
