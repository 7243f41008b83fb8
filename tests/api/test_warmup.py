"""The install-time warm-up compiles every kernel entry point that requests use, from engine
objects alone: after it, a fresh process answering requests through the API's service compiles
nothing more (one specialization each, loaded from the cache)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = """
import json, numpy as np
from app.engine.kernels import COMPILED, data, loop, tape
from app.engine.kernels.warmup import warm

def specializations():
    out = {}
    for module in (loop, tape, data):
        for name, fn in vars(module).items():
            if hasattr(fn, "signatures"):
                out[f"{module.__name__}.{name}"] = len(fn.signatures)
    return out

warm()
warmed = specializations()
from app.api.schemas import TrajectoryRequest
from app.api.schemas_lessons import SweepRequest
from app.api.service import build_problem, trajectories
from app.api.service_lessons import basins, race, sweep
from app.api.schemas_lessons import BasinRequest, RaceRequest
for body in (
    {"surface": "rosenbrock", "steps": 30, "include_state": True, "runs": [{"optimizer": "adam", "noise_std": 0.1}]},
    {"surface": "beale", "steps": 30, "runs": [{"optimizer": "nadam", "clip_norm": 1.0}, {"optimizer": "gd"}]},
    {"surface": {"expression": "sin(x) + y^2", "x_range": [-3, 3], "y_range": [-2, 2]}, "steps": 30,
     "runs": [{"optimizer": "momentum"}]},
    {"surface": "logistic_regression", "steps": 10, "runs": [{"optimizer": "rmsprop", "batch_size": 32}]},
    {"surface": "linear_regression", "steps": 10,
     "runs": [{"optimizer": "schedule_free_adamw", "batch_size": 32}, {"optimizer": "polyak_sgd", "batch_size": 8}]},
):
    trajectories(build_problem(TrajectoryRequest.model_validate(body)))
sweep(SweepRequest.model_validate({"surface": "himmelblau", "optimizer": "adam", "steps": 30,
    "x_param": {"name": "lr", "values": [0.01, 0.1]}, "y_param": {"name": "beta1", "values": [0.5, 0.9]}}))
basins(BasinRequest.model_validate({"surface": {"expression": "x^2 + y^2"}, "optimizer": "gd", "steps": 20, "n": 3}))
race(RaceRequest.model_validate({"surface": "booth", "steps": 20, "n": 3}))
print(json.dumps({"compiled": COMPILED, "warmed": warmed, "after": specializations()}))
"""


def test_requests_after_the_warmup_compile_nothing_more() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], cwd=ROOT, env=env, capture_output=True, text=True, timeout=900, check=True
    )
    out = json.loads(done.stdout.strip().splitlines()[-1])
    if not out["compiled"]:
        pytest.skip("kernels run as plain Python (NUMBA_DISABLE_JIT): nothing is compiled")
    assert out["warmed"] and all(n <= 1 for n in out["warmed"].values()), out["warmed"]
    assert out["after"] == out["warmed"]
