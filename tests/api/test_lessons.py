"""The lessons' API: scenarios that show their point, EWA by hand, sweeps and basins = single runs."""

import math

import numpy as np
import pytest

from app.lessons.scenarios import SCENARIOS
from tests.conftest import parse_sse


def run_scenario(client, sid):
    sc = next(s for s in SCENARIOS if s["id"] == sid)
    r = client.post("/api/v1/trajectories", json=sc["request"])
    assert r.status_code == 200
    return {run["label"]: run for run in r.json()["runs"]}


def test_catalogue_has_nine_valid_scenarios(client):
    body = client.get("/api/v1/scenarios").json()
    assert len(body) == 9 and len({s["id"] for s in body}) == 9
    for s in body:
        assert s["title"] and 2 <= s["explanation"].count(". ") + 1 and s["formulas"]
        path = "/api/v1/sweeps" if s["kind"] == "sweep" else "/api/v1/trajectories"
        assert client.post(path, json=s["request"]).status_code == 200, s["id"]


def test_batch_vs_minibatch_shows_noise(client):
    runs = run_scenario(client, "batch-vs-minibatch")
    noise = {k: np.std(np.array(r["batch_loss"]) - np.array(r["loss"][:-1])) for k, r in runs.items()}
    assert noise["batch (m = 1000)"] < 1e-9 < noise["mini-batch 64"] < noise["stochastic (1)"]


def test_momentum_damps_the_zigzag(client):
    runs = run_scenario(client, "momentum-bowl")
    flips = {k: int(np.sum(np.diff(np.sign(r["y"][:40])) != 0)) for k, r in runs.items()}
    assert flips["GD α=0.45"] > 2 * flips["momentum (ewa) α=0.45"]
    assert flips["GD α=0.45"] > 2 * flips["momentum (classic) α=0.045"]


def test_adam_bias_correction_changes_first_steps(client):
    runs = run_scenario(client, "rmsprop-adam")
    a, b = runs["Adam"], runs["Adam without bias correction"]
    assert abs(a["x"][1] - a["x"][0]) == pytest.approx(0.3, rel=1e-3)  # m̂/√v̂ = ±1 at t = 1
    assert abs(b["x"][1] - b["x"][0]) == pytest.approx(0.3 * 0.1 / math.sqrt(0.001), rel=1e-3)


def test_decay_settles_where_constant_wanders(client):
    runs = run_scenario(client, "lr-decay")
    tail = lambda r: np.std(r["x"][-300:])  # noqa: E731
    assert tail(runs["1/(1 + 0.5·epoch)"]) < tail(runs["constant"]) / 2
    assert tail(runs["0.95^epoch"]) < tail(runs["constant"])


def test_gd_stalls_at_the_saddle_and_adaptive_methods_escape(client):
    runs = run_scenario(client, "saddle-plateau")
    assert abs(runs["GD"]["x"][-1]) < 0.05  # still next to the saddle
    for k in ("RMSprop", "Adam", "momentum"):
        assert abs(runs[k]["x"][-1]) > 0.9, k  # at a minimum (±1, 0)


def test_adagrad_slows_down(client):
    runs = run_scenario(client, "adagrad-dies")
    assert runs["RMSprop"]["loss"][-1] < runs["AdaGrad"]["loss"][-1]


def test_ewa_by_hand(client):
    series = [10.0, 20.0, 30.0]
    body = client.post("/api/v1/ewa", json={"series": series, "betas": [0.9], "bias_correction": True}).json()
    avg = body["averages"][0]
    v1, v2, v3 = 1.0, 0.9 * 1.0 + 2.0, 0.9 * 2.9 + 3.0
    assert avg["values"] == pytest.approx([v1, v2, v3])
    assert avg["corrected"] == pytest.approx([v1 / 0.1, v2 / 0.19, v3 / 0.271])
    assert avg["window"] == pytest.approx(10.0)
    default = client.post("/api/v1/ewa", json={}).json()
    assert len(default["series"]) == len(default["dates"]) == 730 and [a["beta"] for a in default["averages"]] == [0.5, 0.9, 0.98]
    assert default["averages"][2]["values"][0] < default["series"][0] / 10  # uncorrected starts far too low
    assert client.post("/api/v1/ewa", json={"betas": [1.0]}).status_code == 422
    assert client.post("/api/v1/ewa", json={"series": []}).status_code == 422


SWEEP = {"surface": "rosenbrock", "start": [-1.5, 2.0], "steps": 400, "tolerance": 1e-5, "seed": 0, "optimizer": "adam",
         "params": {"beta2": 0.999}, "x_param": {"name": "lr", "min": 1e-3, "max": 1.0, "n": 12, "scale": "log"},
         "y_param": {"name": "beta1", "values": [0.0, 0.5, 0.9]}}


def single(client, body, **params):
    req = {k: body[k] for k in ("surface", "start", "steps", "tolerance", "seed") if k in body}
    run = {"optimizer": body["optimizer"], "params": {**body["params"], **params}}
    for k in ("batch_size", "noise_std", "schedule"):
        if k in body:
            run[k] = body[k]
    req["runs"] = [run]
    return client.post("/api/v1/trajectories", json=req).json()["runs"][0]


def test_sweep_cells_equal_single_runs(client):
    r = client.post("/api/v1/sweeps", json=SWEEP).json()
    assert len(r["final_loss"]) == 3 and len(r["final_loss"][0]) == 12
    assert r["x_values"][0] == pytest.approx(1e-3) and r["x_values"][-1] == pytest.approx(1.0)
    for j, i in [(0, 0), (1, 5), (2, 7), (2, 11), (0, 11)]:
        one = single(client, SWEEP, lr=r["x_values"][i], beta1=r["y_values"][j])
        assert r["status"][j][i] == one["status"] and r["steps_taken"][j][i] == one["steps_taken"]
        if one["status"] == "diverged":
            assert r["final_loss"][j][i] is None
        else:
            assert r["final_loss"][j][i] == pytest.approx(one["loss"][-1], rel=1e-9)


def test_batch_size_sweep_equals_single_runs(client):
    body = {"surface": "linear_regression", "steps": 120, "seed": 3, "optimizer": "gd", "params": {},
            "x_param": {"name": "lr", "values": [0.001, 0.01, 0.05]}, "y_param": {"name": "batch_size", "values": [1, 16, 1000]}}
    r = client.post("/api/v1/sweeps", json=body).json()
    for j, b in enumerate([1, 16, 1000]):
        for i, lr in enumerate([0.001, 0.01, 0.05]):
            one = single(client, {**body, "batch_size": b}, lr=lr)
            assert (r["status"][j][i], r["steps_taken"][j][i]) == (one["status"], one["steps_taken"])
            if one["status"] == "diverged":
                assert r["final_loss"][j][i] is None
            else:
                assert r["final_loss"][j][i] == pytest.approx(one["loss"][-1], rel=1e-9)


def test_sweep_stream_reports_progress_then_result(client):
    events = parse_sse(client.post("/api/v1/sweeps/stream", json=SWEEP).text)
    names = [e for e, _ in events]
    assert names[-1] == "result" and names.count("progress") >= 2
    progress = [d["done"] for e, d in events if e == "progress"]
    assert progress == sorted(progress) and progress[-1] == 1.0
    assert events[-1][1] == client.post("/api/v1/sweeps", json=SWEEP).json()


@pytest.mark.parametrize("bad", [
    {"x_param": {"name": "amsgrad", "values": [0, 1]}},
    {"x_param": {"name": "nope", "values": [1]}},
    {"x_param": {"name": "lr", "min": 1e-3}},
    {"x_param": {"name": "lr", "values": [-1.0]}},
    {"x_param": {"name": "batch_size", "values": [4]}},
    {"y_param": {"name": "lr", "values": [0.1]}},
    {"x_param": {"name": "lr", "min": 1e-4, "max": 1, "n": 200}, "y_param": {"name": "beta1", "min": 0, "max": 0.9, "n": 200},
     "steps": 20000},
])
def test_sweep_errors(client, bad):
    r = client.post("/api/v1/sweeps", json={**SWEEP, **bad})
    assert r.status_code == 422


def test_basins(client):
    body = {"surface": "himmelblau", "optimizer": "gd", "params": {"lr": 0.01}, "steps": 2000, "tolerance": 1e-6, "n": 21}
    r = client.post("/api/v1/basins", json=body).json()
    assert len(r["x"]) == 21 and len(r["minimum"]) == 21 and len(r["minima"]) == 4
    found = {v for row in r["minimum"] for v in row}
    assert {0, 1, 2, 3} <= found
    # a start next to minimum 0 (3, 2) ends there; the cell equals the single run
    i, j = int(np.argmin(np.abs(np.array(r["x"]) - 3))), int(np.argmin(np.abs(np.array(r["y"]) - 2)))
    assert r["minimum"][j][i] == 0
    one = client.post("/api/v1/trajectories", json={"surface": "himmelblau", "start": [r["x"][i], r["y"][j]],
                                                    "steps": 2000, "tolerance": 1e-6,
                                                    "runs": [{"optimizer": "gd", "params": {"lr": 0.01}}]}).json()["runs"][0]
    assert one["steps_taken"] == r["steps_taken"][j][i]


def test_schedule_preview(client):
    r = client.post("/api/v1/schedules/preview", json={"schedule": {"name": "step", "params": {"step_size": 2, "gamma": 0.5},
                                                                    "warmup_steps": 2}, "lr": 1.0, "steps": 6}).json()
    assert r["lr"] == [0.5, 1.0, 1.0, 1.0, 0.5, 0.5]


def test_fair_race_tunes_then_races(client):
    body = {"surface": "rosenbrock", "optimizers": ["gd", "adam"], "steps": 300, "n": 12, "lr_min": 1e-4, "lr_max": 0.5}
    r = client.post("/api/v1/race", json=body).json()
    assert [c["optimizer"] for c in r["curves"]] == ["gd", "adam"]
    for c in r["curves"]:
        finite = [(v, lr) for v, lr in zip(c["final_loss"], c["lrs"]) if v is not None]
        assert min(finite)[1] == pytest.approx(c["best_lr"])
        one = client.post("/api/v1/trajectories", json={"surface": "rosenbrock", "steps": 300, "tolerance": 1e-6,
                                                        "runs": [{"optimizer": c["optimizer"], "params": {"lr": c["best_lr"]}}]}).json()
        assert one["runs"][0]["loss"][-1] == pytest.approx(min(finite)[0], rel=1e-9)
    raced = client.post("/api/v1/trajectories", json=r["request"])
    assert raced.status_code == 200 and len(raced.json()["runs"]) == 2
    assert client.post("/api/v1/race", json={**body, "lr_min": 1.0, "lr_max": 0.1}).status_code == 422
