"""The network lessons' claims: measured on their own runs (the answer of POST /api/v1/networks),
worded with those numbers, and able to fail on another engine answer."""

from __future__ import annotations

import copy
import math
import re

import pytest

from app.lessons.claims import CLAIMS, fmt
from app.lessons.scenarios import BY_ID, LESSONS

NETWORK = [lesson for lesson in LESSONS if lesson.kind == "network"]


def lesson_body(client, lesson_id: str, lang: str = "en") -> dict:
    return next(s for s in client.get("/api/v1/scenarios", params={"lang": lang}).json() if s["id"] == lesson_id)


@pytest.fixture(scope="module")
def answers(client) -> dict[str, dict]:
    """Each network lesson's own answer, from the public API."""
    out = {}
    for lesson in NETWORK:
        if lesson.seeds:  # measured over its seeds: tests/lessons/test_seeded_claims.py
            continue
        r = client.post("/api/v1/networks", json=lesson_body(client, lesson.id)["request"])
        assert r.status_code == 200, r.text
        out[lesson.id] = r.json()
    return out


def test_there_are_four_network_lessons():
    assert [lesson.id for lesson in NETWORK] == [
        "network-assignment",
        "network-lr-decay",
        "network-adam-momentum",
        "network-switch-when",
    ]


def test_the_assignment_is_the_courses_setup():
    req = BY_ID["network-assignment"].render("en")["request"]
    assert req["data"] == {"name": "moons", "samples": 300, "noise": 0.2, "test_fraction": 0.25, "seed": 3}
    assert req["model"] == {"hidden": [5, 2], "activation": "relu", "init": "he", "seed": 3}
    assert [r["optimizer"] for r in req["runs"]] == ["gd", "momentum", "adam"]
    assert all(r["batch_size"] == 64 and r["params"]["lr"] == 0.0007 for r in req["runs"])
    assert req["runs"][1]["params"]["beta"] == 0.9
    assert req["plane"] == {"kind": "pca", "n": 41} and req["epochs"] < 10_000  # fewer than the course: see the text
    assert "800" in BY_ID["network-assignment"].render("en")["explanation"]


def test_assignment_figures_are_its_own_runs(client, answers):
    ans = answers["network-assignment"]
    f = lesson_body(client, "network-assignment")["claim"]["figures"]
    gd, mom, adam = ans["runs"]
    assert f["epochs"] == len(adam["train_accuracy"]) - 1 == ans["request"]["epochs"]
    assert f["updates"] == adam["steps_taken"] == f["epochs"] * math.ceil(225 / 64)
    for name, run in (("gd", gd), ("momentum", mom), ("adam", adam)):
        assert f[f"{name}_train"] == pytest.approx(100 * run["train_accuracy"][-1], rel=1e-12)
        assert f[f"{name}_test"] == pytest.approx(100 * run["test_accuracy"][-1], rel=1e-12)
        assert f[f"{name}_loss"] == pytest.approx(run["train_loss"][-1], rel=1e-12)
    caught = f["adam_caught_up"]
    assert adam["train_accuracy"][caught] >= gd["train_accuracy"][-1] > adam["train_accuracy"][caught - 1]
    # the point, in the lesson's own numbers: Adam far ahead at the small rate, momentum no faster than GD
    assert f["adam_train"] - max(f["gd_train"], f["momentum_train"]) >= 5
    assert abs(f["momentum_train"] - f["gd_train"]) <= 1
    assert f["adam_loss"] < f["gd_loss"] / 2


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_assignment_text_states_its_own_sizes(client, answers, lang):
    """The explanation's numbers are the answer's: the parameters P, the epochs, the course's 10,000."""
    text = lesson_body(client, "network-assignment", lang)["explanation"]
    ans = answers["network-assignment"]
    said = {int(n) for n in re.findall(r"(?<![\d.,])\d+(?![\d.,]\d)", text)}
    assert ans["parameters"] in said and ans["request"]["epochs"] in said and "10,000" in text
    assert "0.0007" in text and "64" in text and "300" in text


def test_decay_figures_are_its_own_runs(client, answers):
    ans = answers["network-lr-decay"]
    f = lesson_body(client, "network-lr-decay")["claim"]["figures"]
    tails = [r["train_loss"][-(f["epochs"] // 5) :] for r in ans["runs"]]
    means = [sum(t) / len(t) for t in tails]
    assert len(tails[0]) == 40 and f["epochs"] == 200
    assert f["constant_loss"] == pytest.approx(means[0], rel=1e-12)
    assert f["late_loss"] == pytest.approx(means[-1], rel=1e-12)
    assert f["early_loss_min"] == pytest.approx(min(means[1:-1]), rel=1e-12)
    assert f["early_loss_max"] == pytest.approx(max(means[1:-1]), rel=1e-12)
    assert f["constant_accuracy"] == pytest.approx(100 * ans["runs"][0]["train_accuracy"][-1], rel=1e-12)
    # the decayed rates really decayed from the start; the late one only at epoch 150 (15 updates an epoch)
    lrs = [r["lr"] for r in ans["runs"]]
    assert lrs[0][0] == lrs[0][-1] == 0.1
    assert all(lr[-1] < 0.01 for lr in lrs[1:-1])
    assert lrs[-1][150 * 15 - 1] == 0.1 and lrs[-1][150 * 15] == pytest.approx(0.01)
    # the toy's lesson fails: the early decays end at more than twice the constant rate's loss
    assert f["early_loss_min"] > 2 * f["constant_loss"] and f["early_spread_max"] < f["constant_spread"] / 10


def variant(lesson_id: str, change) -> dict:
    body = copy.deepcopy(BY_ID[lesson_id].render("en")["request"])
    change(body)
    return body


def test_assignment_claim_fails_when_adam_is_not_ahead(client):
    """Another engine answer (Adam's run replaced by plain GD) and the claim no longer holds."""

    def gd_for_adam(body):
        body["runs"][2] = {**body["runs"][0], "label": "GD again"}

    ans = client.post("/api/v1/networks", json=variant("network-assignment", gd_for_adam)).json()
    out = CLAIMS["network-assignment"](ans, BY_ID["network-assignment"])
    assert out["holds"] is False and out["figures"]["adam_train"] == out["figures"]["gd_train"]


def test_decay_claim_fails_where_the_toy_lesson_holds(client):
    """At α = 0.2 the constant rate is unstable and the decays beat it (the toy's lesson holds
    again): this lesson's claim, that they stall above it, is then false."""

    def faster(body):
        for run in body["runs"]:
            run["params"]["lr"] = 0.2

    ans = client.post("/api/v1/networks", json=variant("network-lr-decay", faster)).json()
    out = CLAIMS["network-lr-decay"](ans, BY_ID["network-lr-decay"])
    assert out["holds"] is False
    assert out["figures"]["early_loss_min"] < out["figures"]["constant_loss"]


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("lesson", NETWORK, ids=lambda lesson: lesson.id)
def test_claim_words_state_every_figure(client, lesson, lang):
    c = client.get(f"/api/v1/scenarios/{lesson.id}/claim", params={"lang": lang}).json()
    assert c["holds"] is True
    for k, v in c["figures"].items():
        assert fmt(v) in c["text"], (k, v, c["text"])


def test_the_assignment_is_cheap_enough_to_open_first():
    """The engine's cost estimate of the whole request (training and the 41 × 41 plane) is within
    the 2 s the default network lesson has to show its first landscape (the estimate is
    conservative: measured, 0.7–0.9 s of CPU; tools/lesson_scan_networks.py timing)."""
    from app.api.schemas_networks import NetworkRequest
    from app.api.service_networks import build_network_problem, work

    problem, plane = build_network_problem(
        NetworkRequest.model_validate(BY_ID["network-assignment"].render("en")["request"])
    )
    assert plane.n == 41 and work(problem, plane) < 2.0
