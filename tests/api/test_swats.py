"""SWATS through the API: a chain's second link with `rule: "swats"`, the answer's `swats` and
`switches`, the resolved run sent back, the stream, the inspector, and a clear 422 (en + zh) for
every misplaced or over-specified SWATS link."""

from __future__ import annotations

import pytest

from app.api.schemas import TrajectoriesPublic
from app.api.schemas_analysis import InspectPublic
from tests.conftest import parse_sse, strict_loads

ADAM = {"optimizer": "adam", "params": {"lr": 0.005}}
SWATS = {"rule": "swats", "optimizer": "sgd", "tolerance": 1e-7}
HIMMEL = {"surface": "himmelblau", "start": [-0.3, -0.9], "steps": 1100}
K = 1015  # where SWATS switches here (tests/engine/test_swats.py checks it against a reference)


def _body(*links: dict, **run) -> dict:
    return {**HIMMEL, "runs": [{"optimizers": list(links), **run}]}


def test_the_answer_says_where_swats_switched_and_sending_it_back_reproduces_it(client) -> None:
    r = client.post("/api/v1/trajectories", json=_body(ADAM, SWATS))
    assert r.status_code == 200, r.text
    TrajectoriesPublic.model_validate_json(r.text, strict=True)
    run = strict_loads(r.text)["runs"][0]
    assert run["swats"]["step"] == K and run["switches"] == [K] and run["swats"]["lr"] > 0
    link = run["optimizers"][1]
    assert link == {
        "rule": "swats",
        "optimizer": "sgd",
        "params": {"momentum": 0.9, "dampening": 0.0, "nesterov": False, "weight_decay": 0.0},
        "tolerance": 1e-7,
    }
    assert run["label"].endswith("(SWATS)")
    assert run["lr"][K - 1] == 0.005 and run["lr"][K] == pytest.approx(0.1 * run["swats"]["lr"], rel=1e-12)
    again = {k: run[k] for k in ("label", "optimizer", "params", "optimizers")}
    r2 = strict_loads(client.post("/api/v1/trajectories", json={**HIMMEL, "runs": [again]}).text)["runs"][0]
    assert r2["x"] == run["x"] and r2["swats"] == run["swats"] and r2["optimizers"] == run["optimizers"]


def test_the_stream_carries_it_in_meta_and_done(client) -> None:
    body = _body({"optimizer": "adamw", "params": {"lr": 0.005, "weight_decay": 0.0}}, SWATS)
    whole = strict_loads(client.post("/api/v1/trajectories", json=body).text)["runs"][0]
    events = parse_sse(client.post("/api/v1/trajectories/stream", json=body).text)
    assert events[0][1]["runs"][0]["optimizers"] == whole["optimizers"]
    done = events[-1][1]["runs"][0]
    assert done["swats"] == whole["swats"] and done["switches"] == whole["switches"] == [whole["swats"]["step"]]
    xs = [x for name, data in events if name == "points" for x in data["x"]]
    assert xs == whole["x"]


def test_the_inspector_shows_adam_then_swats_sgd(client) -> None:
    body = _body(ADAM, SWATS)
    traj = strict_loads(client.post("/api/v1/trajectories", json={**body, "include_state": True}).text)["runs"][0]
    for t, link in ((K - 1, {"index": 0, "optimizer": "adam", "start": 0, "step": K - 1}), (K, None)):
        r = client.post("/api/v1/inspect", json={**body, "run": 0, "t": t})
        assert r.status_code == 200, r.text
        InspectPublic.model_validate_json(r.text, strict=True)
        ins = r.json()
        assert ins["link"] == (link or {"index": 1, "optimizer": "sgd", "start": K, "step": 0})
        step = next(line for line in ins["lines"] if line["symbol"] == "Δθ")
        assert step["x"] == pytest.approx(traj["x"][t + 1] - traj["x"][t], rel=1e-12)
        assert ins["lr"] == traj["lr"][t]


def test_no_switch_when_the_criterion_never_fires(client) -> None:
    body = {"surface": "round_bowl", "steps": 300, "runs": [{"optimizers": [{"optimizer": "adam"}, SWATS]}]}
    body["runs"][0]["optimizers"][0]["params"] = {"lr": 0.1}
    run = strict_loads(client.post("/api/v1/trajectories", json=body).text)["runs"][0]
    assert run["swats"] == {"step": None, "lr": None} and run["switches"] == []


BAD = [
    ("lr", [ADAM, {**SWATS, "params": {"lr": 0.01}}], "takes no lr"),
    ("milestone", [ADAM, {**SWATS, "milestone": 50}], "takes no milestone"),
    ("not sgd", [ADAM, {**SWATS, "optimizer": "momentum"}], "switches to 'sgd'"),
    ("dampening", [ADAM, {**SWATS, "params": {"dampening": 0.5}}], "dampening 0"),
    ("after momentum", [{"optimizer": "momentum"}, SWATS], "after 'adam' or 'adamw'"),
    ("third link", [ADAM, SWATS, {"milestone": 1050, "optimizer": "gd"}], "second and last link"),
    ("first link", [{**SWATS, "tolerance": None}, ADAM], "second and last link"),
    ("tolerance alone", [ADAM, {"milestone": 50, "optimizer": "sgd", "tolerance": 1e-6}], "only with"),
    ("unknown rule", [ADAM, {**SWATS, "rule": "auto"}], "swats"),
]


@pytest.mark.parametrize(("links", "needle"), [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_a_misplaced_swats_link_is_a_422(client, links: list, needle: str) -> None:
    r = client.post("/api/v1/trajectories", json=_body(*links))
    assert r.status_code == 422 and needle in r.text, r.text
    assert client.post("/api/v1/trajectories/stream", json=_body(*links)).status_code == 422


def test_mini_batches_are_a_422_located_at_the_rule(client) -> None:
    body = {"surface": "logistic_regression", "steps": 100, "runs": [{"optimizers": [ADAM, SWATS], "batch_size": 50}]}
    r = client.post("/api/v1/trajectories", json=body)
    assert r.status_code == 422 and "epoch's first update" in r.text
    assert r.json()["detail"][0]["loc"] == ["body", "runs", 0, "optimizers", 1, "rule"]
    del body["runs"][0]["batch_size"]  # full batches: one update an epoch, any update will do
    assert client.post("/api/v1/trajectories", json=body).status_code == 200


def test_the_422_is_in_chinese_too(client) -> None:
    r = client.post("/api/v1/trajectories?lang=zh", json=_body(ADAM, {**SWATS, "params": {"lr": 0.01}}))
    assert r.status_code == 422 and "SWATS 环没有 lr" in r.text


def test_export_never_writes_a_swats_run_as_plain_adam(client) -> None:
    """Export as code either refuses a SWATS chain or writes the switch at its step k."""
    r = client.post("/api/v1/export", json=_body(ADAM, SWATS))
    if r.status_code == 422:
        assert "optimizers" in r.text
    else:
        assert r.status_code == 200 and str(K) in r.json()["torch"] and "SGD" in r.json()["torch"]
