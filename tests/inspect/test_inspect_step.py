"""The step inspector's numbers are the trajectory answer's (include_state), for every optimizer."""

from __future__ import annotations

import pytest

from app.inspect import RULE_LINES
from app.registry import OPTIMIZER_IDS, OPTIMIZERS, SURFACES

DATASET = next(s.id for s in SURFACES.values() if s.kind == "dataset")
CASES = [
    ("rosenbrock", {}, {}),
    ("himmelblau", {"noise_std": 0.3}, {}),
    (DATASET, {"batch_size": 16}, {}),
]
VARIANTS = {  # non-default flags of the built-in optimizers, each with its own rule lines
    "momentum": [{"variant": "classic"}, {"bias_correction": True}],
    "adam": [{"amsgrad": True}, {"bias_correction": False}],
    "adamw": [{"amsgrad": True, "bias_correction": False}],
    "sgd": [{"nesterov": True, "weight_decay": 0.1}, {"momentum": 0.0}, {"dampening": 0.5}],
    "nadam": [{"weight_decay": 0.1, "decoupled_weight_decay": True}, {"weight_decay": 0.1}],
    "radam": [{"beta2": 0.5}, {"weight_decay": 0.1, "decoupled_weight_decay": True}],
    "adamax": [{"weight_decay": 0.1}],
    "rprop": [{"etaplus": 2.0, "step_size_max": 0.1}],
    "asgd": [{"lambd": 0.1, "t0": 5.0, "weight_decay": 0.1}],
    "lion": [{"weight_decay": 0.0, "beta1": 0.5}],
    "schedule_free_adamw": [{"beta1": 0.5, "weight_decay": 0.1, "weight_lr_power": 1.0}],
    "polyak_sgd": [{"variant": "sps+", "max_learning_rate": 0.05, "eps": 1e-3}],
}


def test_every_optimizer_has_rule_lines() -> None:
    """A newly registered optimizer fails here until the inspector can show its rule."""
    assert set(RULE_LINES) == set(OPTIMIZER_IDS)


def _close(a: float, b: float) -> bool:
    return a == pytest.approx(b, rel=1e-12, abs=1e-300)


def _cases():
    for oid in OPTIMIZER_IDS:
        if OPTIMIZERS[oid].driver == "matrix":  # networks only: a surface refuses it (test_matrix_optimizers.py)
            continue
        for extra in [{}, *VARIANTS.get(oid, [])]:
            for surface, run_extra, _ in CASES:
                yield pytest.param(oid, extra, surface, run_extra, id=f"{oid}-{extra}-{surface}-{run_extra}")


@pytest.mark.parametrize(("oid", "params", "surface", "run_extra"), list(_cases()))
def test_inspector_numbers_are_include_state(client, oid, params, surface, run_extra) -> None:
    steps = 40
    run = {"optimizer": oid, "params": params, **run_extra}
    body = {"surface": surface, "steps": steps, "seed": 5, "runs": [{"optimizer": "gd"}, run]}
    traj = client.post("/api/v1/trajectories", json={**body, "include_state": True}).json()["runs"][1]
    for t in (0, 1, min(17, traj["steps_taken"] - 1), traj["steps_taken"] - 1):
        got = client.post("/api/v1/inspect", json={**body, "run": 1, "t": t})
        assert got.status_code == 200, got.text
        ins = got.json()
        st = traj["state"]
        assert ins["g"] == [st["gx"][t], st["gy"][t]]
        assert ins["lr"] == traj["lr"][t]
        lines = {line["symbol"]: (line["x"], line["y"]) for line in ins["lines"]}
        step = lines["Δθ"]
        assert _close(step[0], traj["x"][t + 1] - traj["x"][t]) and _close(step[1], traj["y"][t + 1] - traj["y"][t])
        if oid not in RULE_LINES:
            assert ins["known"] is False and "no inspector" in ins["note"]
            continue
        assert ins["known"] is True
        assert lines["g"] == (st["gx"][t], st["gy"][t])
        if st.get("mx") is not None:  # the velocity / first moment is one of the lines
            assert any(_close(v[0], st["mx"][t]) and _close(v[1], st["my"][t]) for v in lines.values()), lines
        if st.get("eff_lr_x") is not None:  # the per-axis rate is the line αᵢ
            assert _close(lines["αᵢ"][0], st["eff_lr_x"][t]) and _close(lines["αᵢ"][1], st["eff_lr_y"][t])


def test_adam_lines_hand_checked(client) -> None:
    """The first Adam update: m = (1−β₁)g, v = (1−β₂)g², m̂ = g, v̂ = g², step = −α·g/(|g| + ε)."""
    body = {
        "surface": "round_bowl",
        "start": [3.0, -2.0],
        "steps": 5,
        "runs": [{"optimizer": "adam", "params": {"lr": 0.1}}],
        "run": 0,
        "t": 0,
    }
    lines = {
        line["symbol"]: (line["x"], line["y"]) for line in client.post("/api/v1/inspect", json=body).json()["lines"]
    }
    assert lines["g"] == (3.0, -2.0)
    assert lines["m"] == pytest.approx((0.3, -0.2))
    assert lines["v"] == pytest.approx((0.009, 0.004))
    assert lines["m̂"] == pytest.approx((3.0, -2.0))
    assert lines["v̂"] == pytest.approx((9.0, 4.0))
    assert lines["Δθ"] == pytest.approx((-0.1, 0.1), rel=1e-7)


def test_inspector_bad_indices_are_422(client) -> None:
    body = {"surface": "round_bowl", "steps": 5, "runs": [{"optimizer": "gd"}]}
    assert client.post("/api/v1/inspect", json={**body, "run": 1, "t": 0}).status_code == 422
    r = client.post("/api/v1/inspect", json={**body, "run": 0, "t": 5})
    assert r.status_code == 422 and "t must be between 0 and 4" in r.text


@pytest.mark.parametrize("oid", ["adam", "sgd", "nadam", "momentum"])
@pytest.mark.parametrize("surface, run_extra", [("rosenbrock", {}), (DATASET, {"batch_size": 16})])
def test_inspector_follows_a_cycled_momentum(client, oid, surface, run_extra) -> None:
    """OneCycleLR(cycle_momentum): the inspector replays each update with that update's β / β₁."""
    params = {"variant": "classic"} if oid == "momentum" else {}
    params["lr"] = 0.0005 if oid in ("sgd", "momentum") else 0.05
    run = {
        "optimizer": oid,
        "params": params,
        **run_extra,
        "schedule": {"name": "one_cycle", "params": {"total_steps": 40, "cycle_momentum": True}},
    }
    body = {"surface": surface, "steps": 40, "seed": 5, "runs": [run]}
    traj = client.post("/api/v1/trajectories", json={**body, "include_state": True}).json()["runs"][0]
    assert traj["status"] == "max_steps" and len(set(traj["momentum"])) > 10
    for t in (0, 11, 39):
        ins = client.post("/api/v1/inspect", json={**body, "run": 0, "t": t}).json()
        lines = {line["symbol"]: (line["x"], line["y"]) for line in ins["lines"]}
        st = traj["state"]
        assert _close(lines["Δθ"][0], traj["x"][t + 1] - traj["x"][t])
        if oid in RULE_LINES:
            assert any(_close(v[0], st["mx"][t]) and _close(v[1], st["my"][t]) for v in lines.values()), lines


def test_polyak_and_schedule_free_lines_hand_checked(client) -> None:
    """Polyak on ½‖θ‖² from (2, −1): f − f* = 2.5, ‖g‖² = 5, γ = ½, Δθ = −θ/2. Schedule-Free's
    first update: c₁ = 1, so x = z and y = x; z takes Adam's first step, −α·sign(g)."""
    body = {
        "surface": "round_bowl",
        "start": [2.0, -1.0],
        "steps": 3,
        "run": 0,
        "t": 0,
        "runs": [{"optimizer": "polyak_sgd"}],
    }
    lines = {
        line["symbol"]: (line["x"], line["y"]) for line in client.post("/api/v1/inspect", json=body).json()["lines"]
    }
    assert lines["f − f*"] == (2.5, 2.5) and lines["‖sg‖²"] == (5.0, 5.0) and lines["γ"] == (0.5, 0.5)
    assert lines["Δθ"] == (-1.0, 0.5)
    body["runs"] = [{"optimizer": "schedule_free_adamw", "params": {"lr": 0.1}}]
    lines = {
        line["symbol"]: (line["x"], line["y"]) for line in client.post("/api/v1/inspect", json=body).json()["lines"]
    }
    assert lines["cₜ"] == (1.0, 1.0)
    assert lines["z"] == pytest.approx((1.9, -0.9), rel=1e-6)
    assert lines["x′"] == lines["z"] and lines["y"] == pytest.approx(lines["z"])
