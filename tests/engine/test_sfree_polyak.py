"""Schedule-Free AdamW's three sequences and the Polyak step size's f*, as a user of the API sees them
(the trajectories themselves are compared with optax in tests/engine/test_golden.py)."""

from __future__ import annotations

import numpy as np
import pytest

from app.registry import SURFACES


def _post(client, body: dict):
    return client.post("/api/v1/trajectories", json=body)


def test_schedule_free_returns_x_and_y_is_between_x_and_z(client) -> None:
    """mx, my hold the average x; y = β₁x + (1 − β₁)z, so z = (y − β₁x)/(1 − β₁) lies beyond y."""
    b1 = 0.8
    body = {
        "surface": "rosenbrock",
        "start": [-1.2, 1.0],
        "steps": 200,
        "include_state": True,
        "runs": [{"optimizer": "schedule_free_adamw", "params": {"lr": 0.05, "beta1": b1}}],
    }
    run = _post(client, body).json()["runs"][0]
    st = run["state"]
    x = np.array([st["mx"], st["my"]])
    y = np.array([run["x"][1:], run["y"][1:]])
    z = (y - b1 * x) / (1 - b1)
    # the first update: z₁ = θ₀ − lr·sign(g)·(1 − ε-ish) (Adam's first step), x₁ = z₁ (c₁ = 1), y₁ = x₁
    assert x[:, 0] == pytest.approx(y[:, 0], rel=1e-12)
    assert z[:, 0] == pytest.approx([-1.2 + 0.05, 1.0 + 0.05], rel=1e-6)
    # x is an average of the z's: it moves less than z from one update to the next
    assert np.abs(np.diff(x, axis=1)).sum() < np.abs(np.diff(z, axis=1)).sum()


def test_schedule_free_keeps_the_largest_lr_for_its_weights(client) -> None:
    """With a decaying schedule cₜ = lr_maxᵖ/Σ: the weights stay at the peak's, so x keeps averaging
    uniformly (cₜ = 1/t) while the lr falls; a constant rate gives the same cₜ."""
    common = {"surface": "elongated_bowl", "start": [-9, 3], "steps": 60, "include_state": True}
    decay = _post(
        client,
        {
            **common,
            "runs": [
                {
                    "optimizer": "schedule_free_adamw",
                    "params": {"lr": 0.5},
                    "schedule": {"name": "exponential", "params": {"gamma": 0.9}},
                }
            ],
        },
    )
    run = decay.json()["runs"][0]
    assert run["lr"][0] == 0.5 and run["lr"][-1] < 0.01
    st = run["state"]
    # z moves by about lr per step (Adam-like), x averages: x_t = mean(z_1..z_t)
    x = np.array(st["mx"])
    y = np.array(run["x"][1:])
    z = (y - 0.9 * x) / 0.1
    assert x == pytest.approx(np.cumsum(z) / np.arange(1, z.size + 1), rel=1e-9, abs=1e-9)


def test_polyak_takes_f_star_from_the_surface_and_draws_its_effective_rate(client) -> None:
    """On the round bowl f = ½‖θ‖², f* = 0: γ = f/‖g‖² = ½, one step halves θ; the lr drawn is s·γ."""
    body = {
        "surface": "round_bowl",
        "start": [2.0, -1.0],
        "steps": 3,
        "include_state": True,
        "runs": [{"optimizer": "polyak_sgd", "params": {"lr": 1.0}}],
    }
    run = _post(client, body).json()["runs"][0]
    assert run["x"][:3] == pytest.approx([2.0, 1.0, 0.5]) and run["y"][:3] == pytest.approx([-1.0, -0.5, -0.25])
    assert run["lr"] == pytest.approx([0.5, 0.5, 0.5])
    assert run["state"]["eff_lr_x"] == run["lr"] and run["state"]["mx"] is None
    # f* given: the gap is f − f*; γ_max caps the step
    run = _post(
        client, {**body, "runs": [{"optimizer": "polyak_sgd", "params": {"f_min": -2.5, "max_learning_rate": 0.8}}]}
    ).json()["runs"][0]
    assert run["lr"][0] == pytest.approx(0.8)  # (2.5 + 2.5)/5 = 1 → capped at 0.8
    # scaling s (the schedule's lr): optax divides by ‖s·g‖², so the rate is s·γ(s) = 1/(2s)
    run = _post(client, {**body, "runs": [{"optimizer": "polyak_sgd", "params": {"lr": 0.5}}]}).json()["runs"][0]
    assert run["lr"][0] == pytest.approx(0.5 * min(2.5 / (0.25 * 5.0), 1.0))


def test_polyak_sps_plus_stops_below_f_star(client) -> None:
    body = {
        "surface": "round_bowl",
        "start": [1.0, 1.0],
        "steps": 4,
        "runs": [
            {"optimizer": "polyak_sgd", "params": {"f_min": 5.0, "variant": "sps+"}},
            {"optimizer": "polyak_sgd", "params": {"f_min": 5.0, "variant": "sps"}},
        ],
    }
    plus, sps = _post(client, body).json()["runs"]
    assert plus["lr"] == [0.0] * 4 and plus["x"][-1] == 1.0
    assert sps["lr"][0] < 0 and sps["x"][1] > 1.0  # a negative gap: the step climbs


def test_polyak_needs_f_star_on_typed_formulas_and_unbounded_surfaces(client) -> None:
    custom = {"expression": "(x - 1)^2 + y^2 + 3", "x_range": [-3, 3], "y_range": [-3, 3]}
    r = _post(client, {"surface": custom, "steps": 5, "runs": [{"optimizer": "polyak_sgd"}]})
    assert r.status_code == 422 and "f_min" in r.text and "typed formula" in r.text
    ok = _post(
        client,
        {
            "surface": custom,
            "start": [2.0, 1.0],
            "steps": 5,
            "runs": [{"optimizer": "polyak_sgd", "params": {"f_min": 3.0}}],
        },
    )
    assert ok.status_code == 200
    assert ok.json()["runs"][0]["x"][1] == pytest.approx(1.5)  # γ = (f − 3)/‖g‖² = 2/8: x ← 2 − ¼·2
    r = _post(client, {"surface": "monkey_saddle", "steps": 5, "runs": [{"optimizer": "polyak_sgd"}]})
    assert r.status_code == 422 and "unbounded below" in r.text


@pytest.mark.parametrize("sid", [s.id for s in SURFACES.values() if s.kind == "dataset"])
def test_polyak_on_mini_batches_uses_the_batch_loss_and_the_full_data_minimum(client, sid) -> None:
    """f* of a dataset surface is its full-data minimum loss; each update's γ comes from the
    mini-batch loss and gradient (lockstep rows agree with the single run)."""
    body = {
        "surface": sid,
        "steps": 30,
        "seed": 3,
        "include_state": True,
        "runs": [{"optimizer": "polyak_sgd", "params": {"lr": 0.5, "variant": "sps+"}, "batch_size": 32}],
    }
    run = _post(client, body).json()["runs"][0]
    assert run["status"] == "max_steps"
    assert all(lr >= 0 for lr in run["lr"]) and len(set(run["lr"])) > 5
    assert run["loss"][-1] < run["loss"][0]
    f_star = SURFACES[sid].f_min
    assert min(run["loss"]) >= f_star - 1e-12


@pytest.mark.parametrize("oid", ["schedule_free_adamw", "polyak_sgd"])
@pytest.mark.parametrize("surface", ["logistic_regression", "himmelblau"])
def test_rows_in_lockstep_are_the_single_runs(oid, surface) -> None:
    """Sweeps, basins and races step rows together (compiled lanes on analytic surfaces, NumPy rows on
    datasets): each row is the single run with its lr (datasets: to float64 round-off), with a
    decaying schedule (Schedule-Free's largest lr so far) and Polyak's per-row effective rate."""
    from app.api.schemas import TrajectoryRequest
    from app.api.service import build_problem
    from app.engine.runner import LockstepRuns, ScalarRun

    def problem(lr=None):
        run = {"optimizer": oid, "schedule": {"name": "exponential", "params": {"gamma": 0.97}, "warmup_steps": 5}}
        if lr is not None:
            run["params"] = {"lr": lr}
        if surface == "logistic_regression":
            run["batch_size"] = 16
        return build_problem(
            TrajectoryRequest.model_validate(
                {"surface": surface, "steps": 60, "seed": 1, "start": [0.5, 1.0], "runs": [run]}
            )
        )

    lrs = [0.01, 0.1, 0.5]
    p = problem()
    rows = LockstepRuns(p, p.runs[0], np.tile(p.start, (len(lrs), 1)), {"lr": np.array(lrs)})
    rows.advance(p.steps + 1)
    for i, lr in enumerate(lrs):
        one = problem(lr)
        run = ScalarRun(one, one.runs[0])
        run.advance(one.steps)
        assert rows.result.status[i] == run.traj.status
        assert (rows.result.x[i], rows.result.y[i]) == pytest.approx(
            (run.traj.x[-1], run.traj.y[-1]), rel=1e-12, abs=1e-300
        )
