"""Compile the engine's kernels into the on-disk cache: ``python -m app.engine.kernels.warmup``.

Run once at install time (``make run``, the Docker build), so a fresh server loads compiled
machine code instead of compiling on its first request. Every entry point is called once with the
argument types the runner uses, so each is compiled exactly once (one specialization each).
"""

from __future__ import annotations

import shutil
import sys
import time
from pathlib import Path


def warm() -> dict[str, float]:
    t0 = time.perf_counter()
    import numpy as np

    from ...api.schemas import TrajectoryRequest
    from ...api.service import build_problem
    from ..runner import LockstepRuns, ScalarRun
    from . import CACHE_DIR, COMPILED, loop

    t1 = time.perf_counter()
    bodies = [
        {
            "surface": "rosenbrock",
            "steps": 20,
            "include_state": True,
            "runs": [{"optimizer": "adam", "noise_std": 0.1}],
        },
        {
            "surface": {"expression": "x^2 + 10*y^2", "x_range": [-3, 3], "y_range": [-3, 3]},
            "steps": 20,
            "runs": [{"optimizer": "gd"}],
        },
        {"surface": "linear_regression", "steps": 5, "runs": [{"optimizer": "rmsprop", "batch_size": 10}]},
    ]
    for body in bodies:
        problem = build_problem(TrajectoryRequest.model_validate(body))
        run = ScalarRun(problem, problem.runs[0])
        run.advance(problem.steps)
        if body["surface"] != "linear_regression":
            lrs = {"lr": np.geomspace(1e-3, 0.1, 40)}
            rows = LockstepRuns(problem, problem.runs[0], np.tile(problem.start, (40, 1)), lrs)
            rows.advance(problem.steps)
    t2 = time.perf_counter()
    _drop_stale(Path(CACHE_DIR))
    specializations = len(getattr(loop.steps, "signatures", ()))  # none with numba off
    return {
        "import_s": t1 - t0,
        "compile_or_load_s": t2 - t1,
        "specializations": specializations,
        "compiled": COMPILED,
        "cache": str(CACHE_DIR),
    }  # type: ignore[dict-item]


def _drop_stale(current: Path) -> None:
    """Remove the caches of earlier versions of the kernels (folders named by other hashes)."""
    from . import cache_root

    root = cache_root()
    if current.parent != root:
        return
    for old in root.iterdir():
        if old.is_dir() and old != current:
            shutil.rmtree(old, ignore_errors=True)


if __name__ == "__main__":
    info = warm()
    print(
        f"optiviz kernels: {'compiled' if info['compiled'] else 'plain Python'} in {info['compile_or_load_s']:.1f} s "
        f"(imports {info['import_s']:.1f} s), {info['specializations']} specialization(s) of the step loop, "
        f"cache {info['cache']}",
        file=sys.stderr,
    )
