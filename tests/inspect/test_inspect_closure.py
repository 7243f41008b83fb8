"""The step inspector for L-BFGS and damped Newton: its numbers are the trajectory answer's."""

from __future__ import annotations

import pytest


def _lines(ins: dict) -> dict:
    return {line["symbol"]: (line["x"], line["y"]) for line in ins["lines"]}


def test_lbfgs_lines_count_the_answers_evaluations(client) -> None:
    body = {
        "surface": "rosenbrock",
        "start": [-1.2, 1.0],
        "steps": 8,
        "runs": [{"optimizer": "lbfgs", "params": {"max_iter": 3}}],
    }
    traj = client.post("/api/v1/trajectories", json={**body, "include_state": True}).json()["runs"][0]
    for t in range(traj["steps_taken"]):
        ins = client.post("/api/v1/inspect", json={**body, "run": 0, "t": t}).json()
        lines = _lines(ins)
        assert ins["known"] is True
        assert lines["evals"] == (traj["evals"]["step"].count(t), None)
        assert 1 <= lines["k"][0] <= 3
        assert lines["H̃g"] == (traj["state"]["mx"][t], traj["state"]["my"][t])
        assert lines["d"] == (-traj["state"]["mx"][t], -traj["state"]["my"][t])
        assert lines["Δθ"][0] == pytest.approx(traj["x"][t + 1] - traj["x"][t], rel=1e-12, abs=1e-300)
        if lines["k"][0] == 1:  # one inner iteration: the step is t·d
            assert lines["Δθ"][0] == pytest.approx(lines["t"][0] * lines["d"][0], rel=1e-12, abs=1e-15)


def test_newton_lines_hold_the_hessian_and_say_when_the_fallback_is_used(client) -> None:
    body = {
        "surface": "saddle",
        "start": [0.3, 1.8],
        "steps": 3,
        "runs": [{"optimizer": "newton", "params": {"lr": 0.5}}],
    }
    ins = client.post("/api/v1/inspect", json={**body, "run": 0, "t": 0}).json()
    lines = _lines(ins)
    curv = client.post("/api/v1/curvature", json={"surface": "saddle", "point": [0.3, 1.8]}).json()
    assert [*lines["H₁"], *lines["H₂"]] == pytest.approx([*curv["hessian"][0], *curv["hessian"][1]], rel=1e-12)
    assert list(lines["μ"]) == pytest.approx(curv["eigenvalues"], rel=1e-12)
    formula = next(line["formula"] for line in ins["lines"] if line["symbol"] == "d")
    assert "|M|" in formula and "⊁ 0" in formula  # −0.73 < 0: H is not positive definite, |eigenvalues| used
    plain = client.post(
        "/api/v1/inspect",
        json={**body, "runs": [{"optimizer": "newton", "params": {"damping": 1.0}}], "run": 0, "t": 0},
    ).json()
    assert next(line["formula"] for line in plain["lines"] if line["symbol"] == "d") == "d = (H + λI)⁻¹g"
