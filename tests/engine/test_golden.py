"""Conformance with PyTorch: trajectories equal torch.optim's to 1e-9 relative.

The fixtures come from tools/make_golden.py (torch.optim + torch.optim.lr_scheduler, float64)
and, for the optimizers torch has not, tools/make_golden_optax.py (optax, float64); this test needs
neither.
"""

import json
from pathlib import Path

import numpy as np
import pytest

from app.api.schemas import TrajectoryRequest
from app.api.service import build_problem, trajectories
from app.registry import OPTIMIZER_IDS, OPTIMIZERS, SCHEDULES

GOLDEN = json.loads((Path(__file__).parent.parent / "golden/torch_golden.json").read_text())
# optimizers torch.optim does not have: the same cases made with optax (tools/make_golden_optax.py)
OPTAX = json.loads((Path(__file__).parent.parent / "golden/optax_golden.json").read_text())
# the schedules that read the run (ReduceLROnPlateau, momentum cycling, SequentialLR chains):
# tools/make_golden_schedules.py
SCHEDULED = json.loads((Path(__file__).parent.parent / "golden/torch_schedules_golden.json").read_text())
CASES = GOLDEN["cases"] + OPTAX["cases"] + SCHEDULED["cases"]
NOT_IN_TORCH_SCHEDULES = {"constant"}  # constant needs no scheduler


def _answer(request: dict) -> dict:
    return trajectories(build_problem(TrajectoryRequest.model_validate(request)))["runs"][0]


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_matches_torch(case: dict) -> None:
    averaged = "ax" in case["expected"]  # ASGD: its averaged iterate too (include_state's mx, my)
    run = _answer(dict(case["request"], include_state=True) if averaged else case["request"])
    exp = case["expected"]
    if averaged:
        for key, internal in (("ax", "mx"), ("ay", "my")):
            np.testing.assert_allclose(run["state"][internal], exp[key], rtol=1e-9, atol=1e-12, err_msg=key)
    assert run["status"] == "max_steps"
    assert run["steps_taken"] == case["request"]["steps"]
    assert ("momentum" in run) == ("momentum" in exp)
    for key in ("x", "y", "loss", "lr", "grad_norm", "momentum"):
        if key not in exp:
            continue
        got, want = np.array(run[key]), np.array(exp[key])
        assert got.shape == want.shape, key
        scale = np.max(np.abs(want))
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12 * max(scale, 1.0), err_msg=key)
    if "evals" in exp:  # L-BFGS: every closure evaluation of every step(closure) call, in order
        assert run["evals"]["step"] == exp["evals"]["step"]
        for key in ("x", "y", "loss"):
            got, want = np.array(run["evals"][key], dtype=float), np.array(exp["evals"][key])
            np.testing.assert_allclose(
                got, want, rtol=1e-9, atol=1e-12 * max(np.max(np.abs(want)), 1.0), err_msg=f"evals.{key}"
            )


def test_golden_covers_every_optimizer_and_torch_schedule() -> None:
    optimizers = {c["request"]["runs"][0]["optimizer"] for c in CASES}
    # the matrix optimizers train networks only: their golden steps are tests/engine/test_matrix_optimizers.py's
    assert optimizers == {o for o in OPTIMIZER_IDS if OPTIMIZERS[o].driver != "matrix"}
    schedules = {c["request"]["runs"][0].get("schedule", {}).get("name") for c in CASES} - {None}
    assert schedules == set(SCHEDULES) - NOT_IN_TORCH_SCHEDULES
    assert any(c["request"]["runs"][0].get("schedule", {}).get("warmup_steps") for c in CASES)
    assert any(c["request"]["runs"][0]["params"].get("amsgrad") for c in CASES)
