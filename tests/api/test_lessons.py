"""The lessons' API: scenarios that show their point, EWA by hand, sweeps and basins = single runs."""

import re

import numpy as np
import pytest

from app.lessons.scenarios import LESSONS
from tests.conftest import parse_sse


def test_scenarios_are_valid_requests_with_claims(client):
    body = client.get("/api/v1/scenarios").json()
    assert len(body) == len(LESSONS) >= 14 and len({s["id"] for s in body}) == len(body)
    for s in body:
        assert s["title"] and s["explanation"].count(". ") >= 1 and s["formulas"]
        assert s["claim"]["holds"] is True and s["claim"]["figures"] and s["claim"]["text"]
        path = {"sweep": "/api/v1/sweeps", "ewa": "/api/v1/ewa"}.get(s["kind"], "/api/v1/trajectories")
        if s["kind"] not in ("sweep", "network"):  # checked in tests/lessons and tests/api/test_network_lessons.py
            assert client.post(path, json=s["request"]).status_code == 200, s["id"]
        if "compare" in s:
            assert client.post(path, json=s["compare"]).status_code == 200, s["id"]


def test_scenarios_in_chinese_keep_ids_numbers_and_requests(client):
    en = client.get("/api/v1/scenarios").json()
    zh = client.get("/api/v1/scenarios", params={"lang": "zh"}).json()
    assert client.get("/api/v1/scenarios", headers={"accept-language": "zh-CN,zh;q=0.9"}).json() == zh
    cjk = re.compile(r"[\u4e00-\u9fff]")
    for e, z in zip(en, zh, strict=True):
        assert e["id"] == z["id"] and e["formulas"] == z["formulas"] and e["claim"]["figures"] == z["claim"]["figures"]
        assert cjk.search(z["title"]) and cjk.search(z["explanation"]) and cjk.search(z["claim"]["text"])
        assert not cjk.search(e["title"] + e["explanation"] + e["claim"]["text"])
        strip = lambda r: {**r, "runs": [{k: v for k, v in run.items() if k != "label"} for run in r.get("runs", [])]}  # noqa: E731
        assert strip(e["request"]) == strip(z["request"])


def test_claim_endpoint(client):
    r = client.get("/api/v1/scenarios/momentum-bowl/claim")
    assert r.status_code == 200 and r.json()["holds"] is True
    f = r.json()["figures"]
    assert f["momentum_steps"] < f["gd_steps"] and f["gap"] < 1e-9
    assert f"{f['momentum_steps']}" in r.json()["text"] and f"{f['gd_steps']}" in r.json()["text"]
    bad = client.get("/api/v1/scenarios/nope/claim")
    assert bad.status_code == 422 and "momentum-bowl" in bad.text


def test_ewa_by_hand(client):
    series = [10.0, 20.0, 30.0]
    body = client.post("/api/v1/ewa", json={"series": series, "betas": [0.9], "bias_correction": True}).json()
    avg = body["averages"][0]
    v1, v2, v3 = 1.0, 0.9 * 1.0 + 2.0, 0.9 * 2.9 + 3.0
    assert avg["values"] == pytest.approx([v1, v2, v3])
    assert avg["corrected"] == pytest.approx([v1 / 0.1, v2 / 0.19, v3 / 0.271])
    assert avg["window"] == pytest.approx(10.0)
    default = client.post("/api/v1/ewa", json={}).json()
    assert len(default["series"]) == len(default["dates"]) == 730 and [a["beta"] for a in default["averages"]] == [
        0.5,
        0.9,
        0.98,
    ]
    assert default["averages"][2]["values"][0] < default["series"][0] / 10  # uncorrected starts far too low
    assert client.post("/api/v1/ewa", json={"betas": [1.0]}).status_code == 422
    assert client.post("/api/v1/ewa", json={"series": []}).status_code == 422


SWEEP = {
    "surface": "rosenbrock",
    "start": [-1.5, 2.0],
    "steps": 400,
    "tolerance": 1e-5,
    "seed": 0,
    "optimizer": "adam",
    "params": {"beta2": 0.999},
    "x_param": {"name": "lr", "min": 1e-3, "max": 1.0, "n": 12, "scale": "log"},
    "y_param": {"name": "beta1", "values": [0.0, 0.5, 0.9]},
}


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
    body = {
        "surface": "linear_regression",
        "steps": 120,
        "seed": 3,
        "optimizer": "gd",
        "params": {},
        "x_param": {"name": "lr", "values": [0.001, 0.01, 0.05]},
        "y_param": {"name": "batch_size", "values": [1, 16, 1000]},
    }
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


@pytest.mark.parametrize(
    "bad",
    [
        {"x_param": {"name": "amsgrad", "values": [0, 1]}},
        {"x_param": {"name": "nope", "values": [1]}},
        {"x_param": {"name": "lr", "min": 1e-3}},
        {"x_param": {"name": "lr", "values": [-1.0]}},
        {"x_param": {"name": "batch_size", "values": [4]}},
        {"y_param": {"name": "lr", "values": [0.1]}},
        {
            "x_param": {"name": "lr", "min": 1e-4, "max": 1, "n": 200},
            "y_param": {"name": "beta1", "min": 0, "max": 0.9, "n": 200},
            "steps": 20000,
        },
    ],
)
def test_sweep_errors(client, bad):
    r = client.post("/api/v1/sweeps", json={**SWEEP, **bad})
    assert r.status_code == 422


def test_basins(client):
    body = {
        "surface": "himmelblau",
        "optimizer": "gd",
        "params": {"lr": 0.01},
        "steps": 2000,
        "tolerance": 1e-6,
        "n": 21,
    }
    r = client.post("/api/v1/basins", json=body).json()
    assert len(r["x"]) == 21 and len(r["minimum"]) == 21 and len(r["minima"]) == 4
    found = {v for row in r["minimum"] for v in row}
    assert {0, 1, 2, 3} <= found
    # a start next to minimum 0 (3, 2) ends there; the cell equals the single run
    i, j = int(np.argmin(np.abs(np.array(r["x"]) - 3))), int(np.argmin(np.abs(np.array(r["y"]) - 2)))
    assert r["minimum"][j][i] == 0
    one = client.post(
        "/api/v1/trajectories",
        json={
            "surface": "himmelblau",
            "start": [r["x"][i], r["y"][j]],
            "steps": 2000,
            "tolerance": 1e-6,
            "runs": [{"optimizer": "gd", "params": {"lr": 0.01}}],
        },
    ).json()["runs"][0]
    assert one["steps_taken"] == r["steps_taken"][j][i]


def test_schedule_preview(client):
    r = client.post(
        "/api/v1/schedules/preview",
        json={
            "schedule": {"name": "step", "params": {"step_size": 2, "gamma": 0.5}, "warmup_steps": 2},
            "lr": 1.0,
            "steps": 6,
        },
    ).json()
    assert r["lr"] == [0.5, 1.0, 1.0, 1.0, 0.5, 0.5]


def test_fair_race_tunes_then_races(client):
    body = {"surface": "rosenbrock", "optimizers": ["gd", "adam"], "steps": 300, "n": 12, "lr_min": 1e-4, "lr_max": 0.5}
    r = client.post("/api/v1/race", json=body).json()
    assert [c["optimizer"] for c in r["curves"]] == ["gd", "adam"]
    for c in r["curves"]:
        finite = [(v, lr) for v, lr in zip(c["final_loss"], c["lrs"], strict=True) if v is not None]
        assert min(finite)[1] == pytest.approx(c["best_lr"])
        one = client.post(
            "/api/v1/trajectories",
            json={
                "surface": "rosenbrock",
                "steps": 300,
                "tolerance": 1e-6,
                "runs": [{"optimizer": c["optimizer"], "params": {"lr": c["best_lr"]}}],
            },
        ).json()
        assert one["runs"][0]["loss"][-1] == pytest.approx(min(finite)[0], rel=1e-9)
    raced = client.post("/api/v1/trajectories", json=r["request"])
    assert raced.status_code == 200 and len(raced.json()["runs"]) == 2
    assert client.post("/api/v1/race", json={**body, "lr_min": 1.0, "lr_max": 0.1}).status_code == 422


def test_race_tunes_with_the_requests_tolerance_and_passes_it_on(client):
    base = {"surface": "elongated_bowl", "optimizers": ["gd"], "steps": 300, "n": 10, "lr_min": 1e-3, "lr_max": 0.45}
    loose = client.post("/api/v1/race", json={**base, "tolerance": 1e-2}).json()
    none = client.post("/api/v1/race", json={**base, "tolerance": 0}).json()
    assert loose["tolerance"] == 1e-2 and loose["request"]["tolerance"] == 1e-2 and none["request"]["tolerance"] == 0
    # the tuned race is the tuning's own run: same final loss at the chosen lr
    for r in (loose, none):
        c = r["curves"][0]
        raced = client.post("/api/v1/trajectories", json=r["request"]).json()["runs"][0]
        assert raced["loss"][-1] == pytest.approx(c["final_loss"][c["best_index"]], rel=1e-9)
    assert loose["curves"][0]["steps_taken"] != none["curves"][0]["steps_taken"]


def test_race_flags_and_extends_the_edge_of_the_grid(client):
    body = {
        "surface": "elongated_bowl",
        "optimizers": ["gd", "adam"],
        "steps": 100,
        "n": 6,
        "lr_min": 1e-4,
        "lr_max": 1e-2,
        "tolerance": 0,
    }
    flagged = client.post("/api/v1/race", json={**body, "extend": False}).json()
    assert [c["at_edge"] for c in flagged["curves"]] == ["high", "high"]
    assert {e["optimizer"] for e in flagged["at_edge"]} == {"gd", "adam"}
    extended = client.post("/api/v1/race", json=body).json()
    for c in extended["curves"]:
        assert c["extended"] == "high" and len(c["lrs"]) == 9 and c["lrs"][-1] > 1e-2
        assert c["best_lr"] > 1e-2
    inside = client.post("/api/v1/race", json={**body, "optimizers": ["gd"], "lr_max": 1.0, "n": 15}).json()
    assert (
        inside["curves"][0]["at_edge"] is None and inside["curves"][0]["extended"] is None and inside["at_edge"] == []
    )


def test_race_on_noisy_runs_uses_several_seeds(client):
    body = {
        "surface": "linear_regression",
        "optimizers": ["gd"],
        "steps": 150,
        "n": 5,
        "lr_min": 1e-3,
        "lr_max": 0.05,
        "batch_size": 16,
        "seeds": 3,
        "tolerance": 0,
    }
    r = client.post("/api/v1/race", json=body).json()
    c = r["curves"][0]
    assert r["noisy"] is True and r["seeds"] == [0, 1, 2] and len(c["spread"]) == len(c["lrs"])
    lo, hi = c["best_spread"]
    assert lo <= c["final_loss"][c["best_index"]] <= hi and lo < hi
    assert r["request"]["runs"][0]["batch_size"] == 16
    quiet = client.post("/api/v1/race", json={**body, "batch_size": None}).json()
    assert quiet["noisy"] is False and quiet["seeds"] == [0] and "spread" not in quiet["curves"][0]


def test_sweep_by_epochs_gives_every_batch_size_the_same_samples(client):
    body = {
        "surface": "logistic_regression",
        "epochs": 2,
        "seed": 0,
        "optimizer": "gd",
        "params": {},
        "x_param": {"name": "lr", "values": [0.05, 0.5]},
        "y_param": {"name": "batch_size", "values": [10, 100]},
    }
    r = client.post("/api/v1/sweeps", json=body).json()
    assert r["steps_by_batch_size"] == {"10": 200, "100": 20} and r["epochs"] == 2
    assert r["steps_taken"] == [[200, 200], [20, 20]]
    one = single(client, {**body, "steps": 20, "batch_size": 100}, lr=0.5)
    assert r["final_loss"][1][1] == pytest.approx(one["loss"][-1], rel=1e-9)
    bad = client.post("/api/v1/sweeps", json={**SWEEP, "epochs": 2})
    assert bad.status_code == 422 and "epochs" in str(bad.json())


def test_race_tunes_with_fixed_hyperparameters(client):
    body = {
        "surface": "elongated_bowl",
        "optimizers": ["momentum"],
        "steps": 100,
        "n": 8,
        "lr_min": 0.05,
        "lr_max": 3.0,
        "tolerance": 0,
        "params": {"momentum": {"beta": 0.5, "lr": 123}},
    }
    r = client.post("/api/v1/race", json=body).json()
    run = r["request"]["runs"][0]
    assert run["params"]["beta"] == 0.5 and run["params"]["lr"] == r["curves"][0]["best_lr"]
    raced = client.post("/api/v1/trajectories", json=r["request"]).json()["runs"][0]
    c = r["curves"][0]
    assert raced["loss"][-1] == pytest.approx(c["final_loss"][c["best_index"]], rel=1e-9)
    assert client.post("/api/v1/race", json={**body, "params": {"adam": {}}}).status_code == 422
    assert client.post("/api/v1/race", json={**body, "params": {"momentum": {"beta": 2}}}).status_code == 422
    assert client.post("/api/v1/race", json={**body, "params": {"momentum": {"nope": 1}}}).status_code == 422
