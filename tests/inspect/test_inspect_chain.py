"""The step inspector on a run with an optimizer chain: the active link's rule, its local step, the
whole run's lr, and the numbers of the drawn step."""

from __future__ import annotations

import math

import pytest

from app.api.schemas_analysis import InspectPublic

ROSEN = {"surface": "rosenbrock", "start": [-1.2, 1.0], "steps": 200}
ADAM = {"optimizer": "adam", "params": {"lr": 0.02}}
MOM = {"milestone": 100, "optimizer": "momentum", "params": {"lr": 0.0005, "variant": "classic"}}


def _close(a: float, b: float) -> bool:
    return a == pytest.approx(b, rel=1e-12, abs=1e-300)


def _lines(ins: dict) -> dict:
    return {line["symbol"]: (line["x"], line["y"]) for line in ins["lines"]}


def _traj(client, body: dict) -> dict:
    r = client.post("/api/v1/trajectories", json={**body, "include_state": True})
    assert r.status_code == 200, r.text
    return r.json()["runs"][0]


def _inspect(client, body: dict, t: int) -> dict:
    r = client.post("/api/v1/inspect", json={**body, "run": 0, "t": t})
    assert r.status_code == 200, r.text
    InspectPublic.model_validate_json(r.text, strict=True)  # the declared answer, `link` included
    return r.json()


def _is_the_drawn_step(ins: dict, traj: dict, t: int) -> None:
    """The inspector's update reproduces the trajectory's next point; its g, lr, moment are the run's."""
    st, lines = traj["state"], _lines(ins)
    assert ins["g"] == [st["gx"][t], st["gy"][t]] and ins["lr"] == traj["lr"][t]
    dx, dy = lines["Δθ"]
    assert _close(dx, traj["x"][t + 1] - traj["x"][t]) and _close(dy, traj["y"][t + 1] - traj["y"][t])
    if st["mx"] is not None and st["mx"][t] is not None:
        assert any(_close(v[0], st["mx"][t]) and _close(v[1], st["my"][t]) for v in lines.values()), lines


@pytest.mark.parametrize(
    "schedule",
    [None, {"name": "cosine", "params": {"t_max": 200}}],
    ids=["constant", "whole-run cosine"],
)
def test_across_the_milestone_adam_then_momentum(client, schedule) -> None:
    run: dict = {"optimizers": [ADAM, MOM]}
    if schedule:
        run["schedule"] = schedule
    body = {**ROSEN, "runs": [run]}
    traj = _traj(client, body)
    before, after = _inspect(client, body, 99), _inspect(client, body, 100)
    assert before["optimizer"] == "adam" and before["link"] == {"index": 0, "optimizer": "adam", "start": 0, "step": 99}
    assert {"m̂", "v̂"} <= set(_lines(before))
    assert after["optimizer"] == "momentum"
    assert after["link"] == {"index": 1, "optimizer": "momentum", "start": 100, "step": 0}
    assert "m̂" not in _lines(after)
    assert _lines(after)["v"] == _lines(after)["g"]  # fresh velocity: v = 0·β + g
    for t in (0, 99, 100, 101, 199):
        ins = before if t == 99 else after if t == 100 else _inspect(client, body, t)
        assert ins["t"] == t
        _is_the_drawn_step(ins, traj, t)
    if schedule:  # the lr is the run's cosine on the whole clock, with momentum's lr as its base
        assert after["lr"] == pytest.approx(0.0005 * 0.5 * (1 + math.cos(math.pi * 100 / 200)))


def test_adams_bias_correction_restarts_at_the_switch(client) -> None:
    """Adam → Adam: at the milestone m̂ = g and v̂ = g² again (the link's step 1), not the run's."""
    body = {**ROSEN, "steps": 60, "runs": [{"optimizers": [ADAM, {**ADAM, "milestone": 30}]}]}
    traj = _traj(client, body)
    ins = _inspect(client, body, 30)
    lines = _lines(ins)
    assert ins["link"]["step"] == 0 and ins["link"]["index"] == 1
    assert lines["m̂"] == pytest.approx(lines["g"], rel=1e-12)
    assert lines["v̂"] == pytest.approx((lines["g"][0] ** 2, lines["g"][1] ** 2), rel=1e-12)
    for t in (29, 30, 31, 45):
        _is_the_drawn_step(_inspect(client, body, t), traj, t)


@pytest.mark.parametrize(
    "surface, run_extra, milestone",
    [("himmelblau", {"noise_std": 0.3}, 17), ("logistic_regression", {"batch_size": 100}, 20)],
)
def test_the_clock_goes_on_noise_and_mini_batches(client, surface, run_extra, milestone) -> None:
    """The inspector replays the link on the gradients the run drew (noise, mini-batch of update t)."""
    sgd = {"milestone": milestone, "optimizer": "sgd", "params": {"lr": 0.01, "momentum": 0.9}}
    body = {"surface": surface, "steps": 40, "seed": 5, "runs": [{"optimizers": [ADAM, sgd], **run_extra}]}
    traj = _traj(client, body)
    assert traj["switches"] == [milestone]
    for t in (milestone - 1, milestone, milestone + 3):
        ins = _inspect(client, body, t)
        assert ins["link"]["index"] == int(t >= milestone)
        _is_the_drawn_step(ins, traj, t)


def test_a_closure_last_link(client) -> None:
    """Adam → L-BFGS: the L-BFGS lines of an update after the switch, its evaluations the answer's."""
    lbfgs = {"milestone": 5, "optimizer": "lbfgs", "params": {"max_iter": 3}}
    body = {**ROSEN, "steps": 9, "runs": [{"optimizers": [ADAM, lbfgs]}]}
    traj = _traj(client, body)
    for t in (4, 5, 7):
        ins = _inspect(client, body, t)
        lines = _lines(ins)
        assert _close(lines["Δθ"][0], traj["x"][t + 1] - traj["x"][t])
        if t >= 5:
            assert ins["link"] == {"index": 1, "optimizer": "lbfgs", "start": 5, "step": t - 5}
            assert lines["evals"] == (traj["evals"]["step"].count(t), None)


def test_a_run_without_a_chain_has_no_link(client) -> None:
    ins = _inspect(client, {**ROSEN, "runs": [ADAM]}, 3)
    assert "link" not in ins and ins["optimizer"] == "adam"
