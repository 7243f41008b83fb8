"""Optimizer chains on networks through the API (POST /api/v1/networks and its stream): the resolved
`optimizers` and the `switches` of each run, the mini-batches unchanged by a switch, the path still
drawn on the plane, and a clear 422 (en and zh) for every bad chain."""

from __future__ import annotations

import math
from typing import Any

import pytest

from tests.api.test_networks_stream import _cold, _join, _stream
from tests.conftest import networks_answer, strict_loads

ADAM = {"optimizer": "adam", "params": {"lr": 0.01}}
MOM = {"milestone": 40, "optimizer": "sgd", "params": {"lr": 0.05, "momentum": 0.9}}
# 225 train samples, mini-batches of 64: 4 updates an epoch, 30 epochs: updates 0..119
BODY: dict[str, Any] = {
    "data": {"name": "moons", "samples": 300, "noise": 0.2, "test_fraction": 0.25, "seed": 3},
    "model": {"hidden": [5, 2], "activation": "relu", "init": "he", "seed": 3},
    "epochs": 30,
    "points": 200,  # every update recorded
    "runs": [
        {"optimizers": [ADAM, MOM], "batch_size": 64, "schedule": {"name": "cosine", "params": {"t_max": 120}}},
        {**ADAM, "batch_size": 64, "schedule": {"name": "cosine", "params": {"t_max": 120}}},
    ],
    "plane": {"kind": "pca", "n": 11},
}


def _body(*runs: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {**BODY, **fields, "runs": list(runs)}


@pytest.fixture(scope="module")
def answer(client) -> dict[str, Any]:
    return networks_answer(client, BODY)


def test_a_chained_run_says_where_its_links_switch(answer) -> None:
    chained, plain = answer["runs"]
    assert chained["optimizer"] == "adam" and chained["params"]["beta2"] == 0.999
    assert [link.get("milestone") for link in chained["optimizers"]] == [None, 40]
    assert chained["optimizers"][1]["optimizer"] == "sgd"
    assert chained["optimizers"][1]["params"]["momentum"] == 0.9 and chained["optimizers"][1]["params"]["lr"] == 0.05
    assert chained["switches"] == [40] and chained["steps_taken"] == 120 and chained["status"] == "max_steps"
    assert "optimizers" not in plain and "switches" not in plain


def test_the_schedule_runs_on_the_whole_run_s_clock_with_each_link_s_base(answer) -> None:
    chained, plain = answer["runs"]
    for t in (0, 17, 39):  # Adam's lr, the cosine at t
        assert chained["lr"][t] == plain["lr"][t]
    for t in (40, 77, 119):  # SGD's base 0.05, the same cosine at t (not restarted)
        assert chained["lr"][t] == pytest.approx(plain["lr"][t] * 5, rel=1e-12)
    assert chained["lr"][40] < 0.05 * 0.8  # well into the cosine


def test_the_mini_batches_do_not_change_at_a_switch(answer) -> None:
    """Up to the milestone the chained run is the plain Adam run, bit for bit; then it differs."""
    chained, plain = answer["runs"]
    assert chained["batch_loss"][:41] == plain["batch_loss"][:41]  # update 40's batch, at the same point
    assert chained["batch_loss"][41] != plain["batch_loss"][41]
    assert chained["path"]["params"][40] == plain["path"]["params"][40]  # every update recorded


def test_the_plane_draws_the_chained_path(answer) -> None:
    chained = answer["runs"][0]
    path = chained["path"]
    assert path["step"][0] == 0 and path["step"][-1] == 120
    assert len(path["a"]) == len(path["b"]) == len(path["step"]) == len(path["params"])
    assert all(math.isfinite(v) for v in path["a"] + path["b"])
    assert len({(round(a, 9), round(b, 9)) for a, b in zip(path["a"], path["b"], strict=True)}) > 10


def test_the_resolved_run_sent_back_is_the_same_run(client, answer) -> None:
    run = answer["runs"][0]
    again = {k: run[k] for k in ("optimizer", "params", "optimizers", "batch_size", "schedule")}
    r = client.post("/api/v1/networks", json=_body(again))
    assert r.status_code == 200, r.text[:300]
    assert strict_loads(r.text)["runs"][0]["final"] == run["final"]


def test_the_stream_carries_the_chain_in_meta_and_the_switches_in_done(client, answer) -> None:
    _cold()
    events = _stream(client, BODY)
    meta, done = events[0][1], events[-1][1]
    assert meta["request"]["runs"][0]["optimizers"] == answer["runs"][0]["optimizers"]
    assert "optimizers" not in meta["request"]["runs"][1]
    assert done["runs"][0]["switches"] == [40] and "switches" not in done["runs"][1]
    rebuilt, _ = _join(events)
    for run, whole in zip(rebuilt, answer["runs"], strict=True):
        assert run == whole


def test_a_milestone_may_fall_inside_an_epoch_and_a_matrix_optimizer_may_follow(client) -> None:
    run = {"optimizers": [ADAM, {"milestone": 41, "optimizer": "muon"}, {**MOM, "milestone": 99}], "batch_size": 64}
    r = client.post("/api/v1/networks", json=_body(run))
    assert r.status_code == 200, r.text[:300]
    out = strict_loads(r.text)["runs"][0]
    assert out["switches"] == [41, 99] and [link["optimizer"] for link in out["optimizers"]] == ["adam", "muon", "sgd"]


BAD = [
    ("at_the_end", [ADAM, {**MOM, "milestone": 120}], "between 1 and its last update 119 (30 epochs × 4 updates"),
    ("past_the_end", [ADAM, {**MOM, "milestone": 5000}], "milestone 5000"),
    ("zero", [ADAM, {**MOM, "milestone": 0}], "milestone"),
    ("order", [ADAM, {**MOM, "milestone": 80}, {**MOM, "milestone": 60}], "strictly increasing"),
    ("repeated", [ADAM, MOM, MOM], "strictly increasing"),
    ("first_milestone", [{**ADAM, "milestone": 3}, MOM], "takes no milestone"),
    ("no_milestone", [ADAM, {"optimizer": "gd"}], "needs a milestone"),
    ("closure_middle", [ADAM, {"milestone": 50, "optimizer": "lbfgs"}, {**MOM, "milestone": 60}], "in the middle"),
    ("closure_last", [ADAM, {"milestone": 50, "optimizer": "lbfgs"}], "does not train a network here"),
    ("hessian", [ADAM, {"milestone": 50, "optimizer": "newton"}], "newton"),
    ("unknown", [ADAM, {**MOM, "optimizer": "adamm"}], "adamw"),
    ("unknown_param", [ADAM, {**MOM, "params": {"lrr": 0.1}}], "lrr"),
    ("swats", [ADAM, {"rule": "swats", "optimizer": "sgd", "params": {"momentum": 0.9}}], "runs on the surfaces only"),
]


@pytest.mark.parametrize("links,needle", [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_chains_are_a_clear_422(client, links: list[dict[str, Any]], needle: str) -> None:
    for path in ("/api/v1/networks", "/api/v1/networks/stream"):
        r = client.post(path, json=_body({"optimizers": links, "batch_size": 64}))
        assert r.status_code == 422, (path, r.text[:300])
        detail = r.json()["detail"]
        assert any("runs" in e["loc"] for e in detail), detail
        assert needle in r.text, r.text


@pytest.mark.parametrize(
    "schedule,needle",
    [
        ({"name": "reduce_on_plateau"}, "reads the loss"),
        (
            {"name": "one_cycle", "params": {"max_lr": 0.1, "total_steps": 120, "cycle_momentum": True}},
            "cycle_momentum",
        ),
    ],
)
def test_schedules_that_cannot_follow_a_chain_are_a_422(client, schedule: dict[str, Any], needle: str) -> None:
    r = client.post("/api/v1/networks", json=_body({"optimizers": [ADAM, MOM], "batch_size": 64, "schedule": schedule}))
    assert r.status_code == 422 and needle in r.text, r.text[:300]


def test_the_422_names_the_link_and_is_in_chinese_too(client) -> None:
    body = _body({"optimizers": [ADAM, {**MOM, "milestone": 500}], "batch_size": 64})
    r = client.post("/api/v1/networks?lang=zh", json=body)
    assert r.status_code == 422
    detail = r.json()["detail"][0]
    assert detail["loc"] == ["body", "runs", 0, "optimizers", 1, "milestone"]
    assert "不在第 0 个运行的范围内" in detail["msg"] and "30 轮 × 每轮 4 次更新" in detail["msg"]
    body = _body({"optimizers": [ADAM, {"milestone": 50, "optimizer": "lbfgs"}], "batch_size": 64})
    r = client.post("/api/v1/networks", json=body)
    assert r.json()["detail"][0]["loc"] == ["body", "runs", 0, "optimizers", 1, "optimizer"]


def test_another_plane_of_a_chained_training_comes_from_the_cache(client, answer) -> None:
    """The line plane through the chained run's init and end: its path drawn, no retraining."""
    r = client.post("/api/v1/networks/plane", json={**BODY, "plane": {"kind": "line", "run": 0, "n": 7}})
    assert r.status_code == 200, r.text[:300]
    out = strict_loads(r.text)
    assert out["cached"] is True
    path = out["runs"][0]["path"]
    assert len(path["a"]) == len(answer["runs"][0]["path"]["step"]) and all(math.isfinite(v) for v in path["a"])
    assert path["a"][0] == pytest.approx(0.0, abs=1e-12) and abs(path["a"][-1]) > 0.1
