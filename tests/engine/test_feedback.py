"""Schedules that read the run: ReduceLROnPlateau (the loss), OneCycleLR's momentum, chains.

Golden trajectories against torch are in tests/engine/test_golden.py (torch_schedules_golden.json);
here: the scheduler by hand, the rule of when it is stepped (updates, epochs), the speculative
driver against one update per call, many rows against single runs, and the errors.
"""

import numpy as np
import pytest

from app.engine import feedback
from app.engine.schedules import Plateau, learning_rates, one_cycle_momentum
from app.registry import SCHEDULES


def _traj(client, surface, run, steps=300, **extra):
    body = {"surface": surface, "steps": steps, "runs": [run], **extra}
    r = client.post("/api/v1/trajectories", json=body)
    assert r.status_code == 200, r.text
    return r.json()["runs"][0]


def _plateau(**p):
    spec = SCHEDULES["reduce_on_plateau"]
    return spec.resolve(p, "schedule")


def test_plateau_by_hand() -> None:
    """patience 2, factor 0.5, rel threshold 0.1: better means below 0.9·best."""
    p = Plateau(1.0, 1, **_plateau(patience=2, factor=0.5, threshold=0.1))
    losses = [10.0, 9.5, 9.4, 9.3, 8.0, 7.9, 7.8, 7.7, 7.6]
    # 10 best; 9.5, 9.4 bad (not below 9); 9.3 third bad → halve; 8 best; 7.9, 7.8 bad, 7.7 → halve
    want = [1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.5, 0.25, 0.25]
    got = []
    for f in losses:
        p.step1(f)
        got.append(float(p.lr[0]))
    assert got == want


def test_plateau_cooldown_min_lr_eps_and_abs() -> None:
    p = Plateau(
        1.0, 1, **_plateau(patience=0, factor=0.1, threshold=0.5, threshold_mode="abs", cooldown=2, min_lr=0.05)
    )
    seen = []
    for f in [5.0, 5.0, 5.0, 5.0, 5.0, 5.0, 5.0, 5.0]:
        p.step1(f)
        seen.append(float(p.lr[0]))
    # first loss is the best; then a bad one reduces at once (patience 0), two steps of cooldown
    assert seen == [1.0, 0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.05]
    q = Plateau(1.0, 1, **_plateau(patience=0, factor=0.99, eps=0.05))
    for f in [1.0, 2.0, 2.0]:
        q.step1(f)
    assert float(q.lr[0]) == 1.0  # a cut by 0.01 is below eps: skipped, as torch does


def test_plateau_rows_equal_one_row() -> None:
    rng = np.random.default_rng(4)
    losses = np.cumsum(rng.normal(-0.01, 0.05, (200, 5)), axis=0)
    params = _plateau(patience=3, factor=0.5, cooldown=2, threshold=1e-3)
    start = [0.1, 0.2, 0.3, 0.4, 0.5]
    many = Plateau(np.array(start), 5, **params)
    ones = [Plateau(lr, 1, **params) for lr in start]
    for row in losses:
        many.step(row)
        for i, one in enumerate(ones):
            one.step1(float(row[i]))
    np.testing.assert_array_equal(many.lr, [float(o.lr[0]) for o in ones])


def test_speculation_gives_the_same_bits_as_one_update_per_call(client, monkeypatch) -> None:
    run = {
        "optimizer": "adam",
        "params": {"lr": 0.3},
        "schedule": {"name": "reduce_on_plateau", "params": {"patience": 3, "factor": 0.5, "threshold": 1e-3}},
    }
    fast = _traj(client, "himmelblau", run, start=[-0.3, -0.9])
    monkeypatch.setattr(feedback, "SPECULATE", 1)
    slow = _traj(client, "himmelblau", run, start=[-0.3, -0.9])
    assert fast == slow
    assert len(set(fast["lr"])) > 5  # it did reduce, several times


@pytest.mark.parametrize(
    "run",
    [
        {
            "optimizer": "gd",
            "params": {"lr": 2.0},
            "schedule": {"name": "reduce_on_plateau", "params": {"patience": 5, "factor": 0.5}},
        },
        {
            "optimizer": "adam",
            "params": {"lr": 0.2},
            "schedule": {"name": "one_cycle", "params": {"total_steps": 300, "cycle_momentum": True}},
        },
    ],
)
def test_stream_equals_the_json_answer(client, run) -> None:
    """Streamed in chunks (the studio), the run is the one the JSON answer gives."""
    from app.api.schemas import TrajectoryRequest
    from app.api.service import build_problem, iter_stream

    body = {"surface": "plateau", "start": [3.0, 2.5], "steps": 300, "include_state": True, "runs": [run]}
    whole = client.post("/api/v1/trajectories", json=body).json()["runs"][0]
    got: dict[str, list] = {k: [] for k in ("x", "y", "loss", "lr", "grad_norm", "momentum")}
    mx: list[float] = []
    for event, data in iter_stream(build_problem(TrajectoryRequest.model_validate(body))):
        if event == "points":
            for k in got:
                got[k].extend(data.get(k, []))
            mx.extend(data["state"]["mx"] or [])
    for k, v in got.items():
        assert v == whole.get(k, []), k
    assert mx == (whole["state"]["mx"] or [])
    assert len(set(got["lr"])) > 3


def test_plateau_on_a_dataset_steps_once_per_epoch(client) -> None:
    """per='epoch': the rate changes only at epoch boundaries, as a scheduler fed the full loss at
    the end of each epoch says."""
    m, b = 1000, 100  # 10 updates per epoch
    run = {
        "optimizer": "gd",
        "params": {"lr": 0.02},
        "batch_size": b,
        "schedule": {
            "name": "reduce_on_plateau",
            "per": "epoch",
            "params": {"patience": 0, "factor": 0.5, "threshold": 0.1},
        },
    }
    r = _traj(client, "linear_regression", run, steps=300, seed=2)
    lr = np.array(r["lr"])
    changes = np.nonzero(np.diff(lr))[0] + 1
    assert changes.size >= 2 and (changes % (m // b) == 0).all()
    p = Plateau(0.02, 1, **_plateau(patience=0, factor=0.5, threshold=0.1))
    want = []
    for t in range(len(lr)):
        want.append(float(p.lr[0]))
        if (t + 1) % 10 == 0:
            p.step1(r["loss"][t + 1])
    assert r["lr"] == want


def test_plateau_per_step_on_a_dataset(client) -> None:
    run = {
        "optimizer": "adam",
        "params": {"lr": 0.5},
        "batch_size": 50,
        "schedule": {"name": "reduce_on_plateau", "params": {"patience": 4, "factor": 0.5}},
    }
    r = _traj(client, "logistic_regression", run, steps=200, seed=1)
    p = Plateau(0.5, 1, **_plateau(patience=4, factor=0.5))
    want = []
    for t in range(len(r["lr"])):
        want.append(float(p.lr[0]))
        p.step1(r["loss"][t + 1])
    assert r["lr"] == want and len(set(want)) > 2


@pytest.mark.parametrize(
    "surface, optimizer, schedule",
    [
        (
            "himmelblau",
            "adam",
            {"name": "reduce_on_plateau", "params": {"patience": 3, "factor": 0.5, "threshold": 1e-3}},
        ),
        ("rosenbrock", "adam", {"name": "one_cycle", "params": {"total_steps": 200, "cycle_momentum": True}}),
        (
            "linear_regression",
            "adam",
            {"name": "reduce_on_plateau", "per": "epoch", "params": {"patience": 1, "factor": 0.5, "threshold": 0.05}},
        ),
        ("linear_regression", "sgd", {"name": "one_cycle", "params": {"total_steps": 200, "cycle_momentum": True}}),
    ],
)
def test_sweep_cells_equal_single_runs(client, surface, optimizer, schedule) -> None:
    """Many rows (compiled lanes; NumPy rows on datasets) read their own losses and momenta."""
    dataset = surface.endswith("regression")
    lrs = [0.01, 0.05, 0.2] if not dataset else [0.001, 0.01, 0.03]
    body = {
        "surface": surface,
        "steps": 200,
        "optimizer": optimizer,
        "params": {},
        "schedule": schedule,
        "x_param": {"name": "lr", "values": lrs},
        "y_param": {"name": "eps", "values": [1e-8, 1e-6]},
    }
    if optimizer == "sgd":
        body["y_param"] = {"name": "weight_decay", "values": [0.0, 0.01]}
    if dataset:
        body["batch_size"] = 100
    r = client.post("/api/v1/sweeps", json=body)
    assert r.status_code == 200, r.text
    r = r.json()
    yname = body["y_param"]["name"]
    for j, yv in enumerate(body["y_param"]["values"]):
        for i, lr in enumerate(lrs):
            run = {"optimizer": optimizer, "params": {"lr": lr, yname: yv}, "schedule": schedule}
            if dataset:
                run["batch_size"] = 100
            one = _traj(client, surface, run, steps=200)
            assert (r["status"][j][i], r["steps_taken"][j][i]) == (one["status"], one["steps_taken"])
            if one["status"] != "diverged":
                assert r["final_loss"][j][i] == pytest.approx(one["loss"][-1], rel=1e-9)


def test_momentum_is_drawn_and_follows_the_cycle(client) -> None:
    run = {
        "optimizer": "adam",
        "params": {"lr": 0.05},
        "schedule": {"name": "one_cycle", "warmup_steps": 20, "params": {"total_steps": 180, "cycle_momentum": True}},
    }
    r = _traj(client, "rosenbrock", run, steps=200, start=[-1.2, 1.0])
    mom = np.array(r["momentum"])
    assert mom.shape == (200,)
    assert (mom[:21] == 0.95).all()  # the warm-up: the cycle's first value
    want = one_cycle_momentum(np.arange(180), 180, 0.3, "cos", False, 0.85, 0.95)
    np.testing.assert_array_equal(mom[20:], want)
    assert mom.min() == pytest.approx(0.85)
    plain = _traj(client, "rosenbrock", {**run, "schedule": {"name": "one_cycle", "params": {"total_steps": 200}}})
    assert "momentum" not in plain


def test_chain_rates_piecewise() -> None:
    from app.engine.schedules import Link

    lin, cos = SCHEDULES["linear"], SCHEDULES["cosine"]
    lp = lin.resolve({"start_factor": 0.1, "end_factor": 1.0, "total_iters": 10}, "s")
    cp = cos.resolve({"t_max": 20, "eta_min": 0.0}, "s")
    t = np.arange(40)
    got = learning_rates(lin, lp, 1.0, t, 0, (Link(10, cos, cp),))
    np.testing.assert_allclose(got[:10], 0.1 + 0.9 * t[:10] / 10, rtol=1e-15)
    np.testing.assert_allclose(got[10:], learning_rates(cos, cp, 1.0, t[10:] - 10), rtol=1e-15)


@pytest.mark.parametrize(
    "schedule, optimizer, where",
    [
        ({"name": "reduce_on_plateau", "chain": [{"milestone": 5, "name": "cosine"}]}, "adam", "chained"),
        ({"name": "linear", "chain": [{"milestone": 5, "name": "reduce_on_plateau"}]}, "adam", "chained"),
        ({"name": "linear", "warmup_steps": 5, "chain": [{"milestone": 5, "name": "cosine"}]}, "adam", "warmup_steps"),
        (
            {"name": "linear", "chain": [{"milestone": 9, "name": "cosine"}, {"milestone": 5, "name": "step"}]},
            "adam",
            "increase",
        ),
        ({"name": "reduce_on_plateau", "warmup_steps": 5}, "adam", "warm-up"),
        ({"name": "one_cycle", "params": {"cycle_momentum": True}}, "gd", "momentum"),
        ({"name": "one_cycle", "params": {"cycle_momentum": True}}, "rmsprop", "momentum"),
        (
            {"name": "linear", "chain": [{"milestone": 5, "name": "one_cycle", "params": {"cycle_momentum": True}}]},
            "adam",
            "cycle_momentum",
        ),
    ],
)
def test_errors(client, schedule, optimizer, where) -> None:
    body = {
        "surface": "rosenbrock",
        "steps": 10,
        "runs": [{"optimizer": optimizer, "params": {}, "schedule": schedule}],
    }
    r = client.post("/api/v1/trajectories", json=body)
    assert r.status_code == 422
    assert where in r.text


def test_chain_is_echoed_only_when_set(client) -> None:
    body = {
        "surface": "rosenbrock",
        "steps": 10,
        "runs": [
            {
                "optimizer": "adam",
                "params": {},
                "schedule": {"name": "linear", "chain": [{"milestone": 5, "name": "cosine", "params": {"t_max": 5}}]},
            }
        ],
    }
    run = client.post("/api/v1/trajectories", json=body).json()["runs"][0]
    assert run["schedule"]["chain"] == [{"milestone": 5, "name": "cosine", "params": {"t_max": 5, "eta_min": 0.0}}]
    body["runs"][0]["schedule"] = {"name": "linear"}
    assert "chain" not in client.post("/api/v1/trajectories", json=body).json()["runs"][0]["schedule"]
