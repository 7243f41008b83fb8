"""Gradient clipping (run fields ``clip_value``, ``clip_norm``): torch's clip_grad_value_ then
clip_grad_norm_, after the noise and before the update, in every way the engine runs.

Conformance with torch itself is in the golden cases (tests/golden, ``clip_*``); here: the
reported gradient is the clipped one, the convergence test reads the true one, lanes and the
dataset path equal single runs, the compiled loop equals plain Python, and the API's checks.
"""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import orjson
import pytest

from app.api.schemas import TrajectoryRequest
from app.api.service import build_problem, trajectories
from app.engine.runner import LockstepRuns, ScalarRun
from tests.engine.test_kernels import REFERENCE


def _answer(body: dict) -> dict:
    return trajectories(build_problem(TrajectoryRequest.model_validate(body)))


def test_grad_norm_and_state_report_the_clipped_gradient() -> None:
    body = {
        "surface": "rosenbrock",
        "start": [-1.2, 1.0],
        "steps": 60,
        "include_state": True,
        "seed": 3,
        "runs": [
            {"optimizer": "sgd", "params": {"lr": 0.002}, "clip_norm": 5.0, "noise_std": 1.0},
            {"optimizer": "adam", "clip_value": 0.5},
            {"optimizer": "adam"},
        ],
    }
    by_norm, by_value, free = _answer(body)["runs"]
    assert by_norm["clip_norm"] == 5.0 and "clip_value" not in by_norm
    assert by_value["clip_value"] == 0.5 and "clip_norm" not in by_value
    assert "clip_value" not in free and "clip_norm" not in free  # unclipped answers are unchanged
    assert max(by_norm["grad_norm"]) <= 5.0 and by_norm["grad_norm"][0] == pytest.approx(5.0, rel=1e-6)
    gx, gy = np.array(by_norm["state"]["gx"]), np.array(by_norm["state"]["gy"])
    np.testing.assert_allclose(np.hypot(gx, gy), by_norm["grad_norm"], rtol=1e-15)
    assert np.abs(by_value["state"]["gx"]).max() <= 0.5 and np.abs(by_value["state"]["gy"]).max() <= 0.5
    assert max(free["grad_norm"]) > 100  # what was clipped


def test_convergence_is_tested_on_the_true_gradient() -> None:
    """A clipped norm far below the tolerance does not stop the run: the true gradient does."""
    body = {
        "surface": "elongated_bowl",
        "start": [-9, 3],
        "steps": 3000,
        "tolerance": 1e-3,
        "runs": [{"optimizer": "gd", "params": {"lr": 0.5}, "clip_norm": 1e-4}],
    }
    run = _answer(body)["runs"][0]
    assert run["steps_taken"] > 100 and max(run["grad_norm"]) <= 1e-4


@pytest.mark.parametrize("clip", [{"clip_norm": 2.0}, {"clip_value": 1.0}, {"clip_value": 3.0, "clip_norm": 2.0}])
def test_lanes_equal_single_runs_with_clipping(clip: dict) -> None:
    lrs = [0.001, 0.01, 0.05, 0.3]
    base = {"surface": "rosenbrock", "steps": 150, "tolerance": 1e-4, "seed": 4}
    problem = build_problem(
        TrajectoryRequest.model_validate(dict(base, runs=[{"optimizer": "nadam", "noise_std": 0.05, **clip}]))
    )
    rows = LockstepRuns(problem, problem.runs[0], np.tile(problem.start, (len(lrs), 1)), {"lr": lrs})
    rows.advance(problem.steps + 1)
    for i, lr in enumerate(lrs):
        one = build_problem(
            TrajectoryRequest.model_validate(
                dict(base, runs=[{"optimizer": "nadam", "noise_std": 0.05, "params": {"lr": lr}, **clip}])
            )
        )
        run = ScalarRun(one, one.runs[0])
        run.advance(one.steps)
        assert (rows.result.status[i], rows.result.steps_taken[i]) == (run.traj.status, run.traj.steps_taken)
        assert (rows.result.x[i], rows.result.y[i]) == (run.traj.x[-1], run.traj.y[-1])


def test_dataset_surfaces_clip_too() -> None:
    lrs = [0.05, 0.2]
    base = {"surface": "linear_regression", "steps": 40, "seed": 1}
    clip = {"batch_size": 10, "clip_norm": 0.5, "clip_value": 0.4}
    problem = build_problem(TrajectoryRequest.model_validate(dict(base, runs=[{"optimizer": "momentum", **clip}])))
    rows = LockstepRuns(problem, problem.runs[0], np.tile(problem.start, (len(lrs), 1)), {"lr": lrs})
    rows.advance(problem.steps)
    for i, lr in enumerate(lrs):
        run = _answer(dict(base, include_state=True, runs=[{"optimizer": "momentum", "params": {"lr": lr}, **clip}]))[
            "runs"
        ][0]
        assert max(run["grad_norm"]) <= 0.5 and np.abs(run["state"]["gx"]).max() <= 0.4
        np.testing.assert_allclose([rows.result.x[i], rows.result.y[i]], [run["x"][-1], run["y"][-1]], rtol=1e-12)
    unclipped = _answer(dict(base, runs=[{"optimizer": "momentum", "batch_size": 10}]))["runs"][0]
    assert max(unclipped["grad_norm"]) > 0.5


def test_compiled_clipping_is_the_plain_python_reference_bit_for_bit() -> None:
    bodies = [
        {
            "surface": "ackley",
            "steps": 40,
            "include_state": True,
            "seed": 2,
            "runs": [
                {"optimizer": "rmsprop", "noise_std": 0.5, "clip_value": 0.3},
                {"optimizer": "sgd", "clip_norm": 0.2, "clip_value": 0.15},
            ],
        }
    ]
    arg = orjson.dumps(bodies).decode()
    out = {}
    for jit in ("0", "1"):
        env = {**os.environ, "NUMBA_DISABLE_JIT": jit}
        out[jit] = subprocess.run(
            [sys.executable, "-c", REFERENCE, arg], env=env, capture_output=True, check=True
        ).stdout
    assert out["0"] == out["1"]


@pytest.mark.parametrize("field", ["clip_value", "clip_norm"])
@pytest.mark.parametrize("value", [0, -1.0, "1", True])
def test_bad_clipping_is_refused(client, field: str, value) -> None:
    r = client.post(
        "/api/v1/trajectories", json={"surface": "rosenbrock", "steps": 5, "runs": [{"optimizer": "gd", field: value}]}
    )
    assert r.status_code == 422 and field in r.text
