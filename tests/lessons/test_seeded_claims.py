"""The network lesson measured over seeds (Adam, momentum): its claim's figures are means and spreads
of its own runs, each seed trained as POST /api/v1/networks trains it, and the claim can fail."""

from __future__ import annotations

import copy

import numpy as np
import pytest

from app.api.service_lessons import seeds_answer
from app.lessons.claims import CLAIMS
from app.lessons.scenarios import BY_ID, SWITCH_EARLY, SWITCH_EPOCH, SWITCH_WHEN, seeded

LESSON = BY_ID["network-adam-momentum"]


@pytest.fixture(scope="module")
def seeds(client) -> dict:
    r = client.get(f"/api/v1/scenarios/{LESSON.id}/seeds")
    assert r.status_code == 200, r.text
    return r.json()


@pytest.fixture(scope="module")
def figures(client) -> dict:
    return client.get(f"/api/v1/scenarios/{LESSON.id}/claim").json()["figures"]


def test_the_lesson_varies_init_and_batch_order_together():
    req = LESSON.render("en")["request"]
    assert LESSON.seeds == (0, 1, 2, 3, 4)
    assert req["seed"] == req["model"]["seed"] == LESSON.seeds[0]  # the page trains the first seed
    assert seeded(req, 0) == req
    three = seeded(req, 3)
    assert three["seed"] == three["model"]["seed"] == 3 and three["data"] == req["data"]
    adam, momentum, switch = req["runs"]
    assert (adam["optimizer"], momentum["optimizer"]) == ("adam", "momentum")
    # Adam → momentum: Adam's link with Adam's params, then momentum's with momentum's at the end of epoch 20
    first, then = switch["optimizers"]
    assert first == {"optimizer": "adam", "params": adam["params"]} and "milestone" not in first
    assert then == {"milestone": SWITCH_EPOCH * 19, "optimizer": "momentum", "params": momentum["params"]}
    assert switch["batch_size"] == adam["batch_size"] == momentum["batch_size"] == 32  # ⌈600 / 32⌉ = 19 an epoch


@pytest.mark.parametrize("k", [0, 4])
def test_each_seed_is_the_network_endpoints_own_training(client, seeds, k):
    body = seeded(LESSON.render("en")["request"], LESSON.seeds[k])
    ans = client.post("/api/v1/networks", json=body).json()
    for i, run in enumerate(ans["runs"]):
        assert seeds["runs"][i]["train_loss"]["seeds"][k] == run["train_loss"]
        assert seeds["runs"][i]["test_accuracy"]["seeds"][k] == run["test_accuracy"]
        assert seeds["runs"][i]["status"][k] == run["status"]


def test_figures_are_means_and_spreads_of_the_seeds(seeds, figures):
    adam, mom = (
        {s: np.asarray(r[s]["seeds"], dtype=float) for s in ("train_loss", "test_accuracy")} for r in seeds["runs"][:2]
    )
    n, epochs = len(LESSON.seeds), seeds["epochs"]
    assert figures["seeds"] == n and figures["epochs"] == epochs and figures["early"] == SWITCH_EARLY
    for name, run in (("adam", adam), ("momentum", mom)):
        early, test = run["train_loss"][:, SWITCH_EARLY], 100 * run["test_accuracy"][:, epochs]
        assert figures[f"{name}_early"] == pytest.approx(early.mean(), rel=1e-12)
        assert figures[f"{name}_early_sd"] == pytest.approx(early.std(), rel=1e-9)
        assert figures[f"{name}_loss"] == pytest.approx(run["train_loss"][:, epochs].mean(), rel=1e-12)
        assert figures[f"{name}_test"] == pytest.approx(test.mean(), rel=1e-12)
        assert (figures[f"{name}_test_lo"], figures[f"{name}_test_hi"]) == (test.min(), test.max())
    wins = int(np.sum(adam["train_loss"][:, SWITCH_EARLY] < mom["train_loss"][:, SWITCH_EARLY]))
    assert figures["adam_early_wins"] == wins == n  # Adam lower at the early epoch in every seed
    gap = 100 * (mom["test_accuracy"][:, epochs].mean() - adam["test_accuracy"][:, epochs].mean())
    assert figures["test_gap"] == pytest.approx(gap, abs=1e-9)
    assert abs(gap) < figures["test_spread"]  # within the seeds' spread: neither ends better
    assert figures["best_test"] == pytest.approx(100 * max(np.nanmax(r["test_accuracy"]) for r in (adam, mom)))


def test_the_claim_fails_when_momentum_is_the_fast_one():
    """Another answer (the runs swapped: 'Adam' is momentum) and 'Adam leads early' is false."""
    body = copy.deepcopy(LESSON.seeds_body())
    runs = body["request"]["runs"]
    runs[0], runs[1] = runs[1], runs[0]
    out = CLAIMS[LESSON.id](seeds_answer(body["request"], body["seeds"]), LESSON)
    assert out["holds"] is False and out["figures"]["adam_early_wins"] == 0
    assert out["figures"]["same_until"] == 0  # the switched run is no longer the first run's copy


def test_the_claim_fails_when_one_run_ends_clearly_better(seeds):
    """Momentum's final test accuracy raised by more than the seeds' spread: 'neither ends better' is false."""
    ans = copy.deepcopy(seeds)
    ans["runs"][1]["test_accuracy"]["seeds"] = [
        [*s[:-1], s[-1] + 0.05] for s in ans["runs"][1]["test_accuracy"]["seeds"]
    ]
    out = CLAIMS[LESSON.id](ans, LESSON)
    assert out["holds"] is False and out["figures"]["test_gap"] > out["figures"]["test_spread"]


def test_the_switched_run_is_adam_until_the_switch_then_not(seeds, figures):
    """Every seed switched at the milestone; before it the switched run IS Adam (the same init and
    batches, the same rule), after it not: momentum from the reached parameters."""
    adam, _, switch = seeds["runs"]
    at = SWITCH_EPOCH * 19
    assert switch["switches"] == [[at]] * len(LESSON.seeds) and figures["switch_update"] == at
    assert figures["same_until"] == figures["switch_epoch"] == SWITCH_EPOCH
    for a, s in zip(adam["train_loss"]["seeds"], switch["train_loss"]["seeds"], strict=True):
        assert a[: SWITCH_EPOCH + 1] == s[: SWITCH_EPOCH + 1] and a[SWITCH_EPOCH + 1] != s[SWITCH_EPOCH + 1]
    test = 100 * np.asarray(switch["test_accuracy"]["seeds"], dtype=float)[:, -1]
    assert figures["switch_test"] == pytest.approx(test.mean(), rel=1e-12)
    assert (figures["switch_test_lo"], figures["switch_test_hi"]) == (test.min(), test.max())
    adam_test = 100 * np.asarray(adam["test_accuracy"]["seeds"], dtype=float)[:, -1]
    assert figures["switch_test_wins"] == int(np.sum(test > adam_test))
    assert abs(figures["switch_test"] - figures["adam_test"]) < figures["test_spread"]
    assert abs(figures["switch_test"] - figures["momentum_test"]) < figures["test_spread"]


def test_the_claim_fails_when_the_switch_is_not_reached(seeds):
    """Another answer in which one seed did not switch: the claim's 'every seed switched' is false."""
    ans = copy.deepcopy(seeds)
    ans["runs"][2]["switches"][3] = []
    assert CLAIMS[LESSON.id](ans, LESSON)["holds"] is False


WHEN = BY_ID["network-switch-when"]


@pytest.fixture(scope="module")
def when(client) -> tuple[dict, dict]:
    """The switch-epoch lesson's seeds answer and its claim's figures."""
    r = client.get(f"/api/v1/scenarios/{WHEN.id}/seeds")
    assert r.status_code == 200, r.text
    return r.json(), client.get(f"/api/v1/scenarios/{WHEN.id}/claim").json()["figures"]


def test_the_switch_epochs_are_the_only_difference():
    req = WHEN.render("en")["request"]
    first = BY_ID[LESSON.id].render("en")["request"]
    assert {k: v for k, v in req.items() if k != "runs"} == {k: v for k, v in first.items() if k != "runs"}
    switched = first["runs"][2]
    for run, epoch in zip(req["runs"], SWITCH_WHEN, strict=True):
        assert run["optimizers"][0] == switched["optimizers"][0]
        assert run["optimizers"][1] == {**switched["optimizers"][1], "milestone": epoch * 19}
    assert WHEN.by_switch and WHEN.seeds == LESSON.seeds


def test_switch_when_figures_are_its_seeds_final_values(when):
    ans, f = when
    test = 100 * np.asarray([r["test_accuracy"]["seeds"] for r in ans["runs"]], dtype=float)[:, :, -1]
    loss = np.asarray([r["train_loss"]["seeds"] for r in ans["runs"]], dtype=float)[:, :, -1]
    assert (f["first_switch"], f["last_switch"], f["switches"]) == (SWITCH_WHEN[0], SWITCH_WHEN[-1], len(SWITCH_WHEN))
    assert f["test_min"] == pytest.approx(test.mean(axis=1).min(), rel=1e-12)
    assert f["test_max"] == pytest.approx(test.mean(axis=1).max(), rel=1e-12)
    assert f["test_spread"] == pytest.approx(np.ptp(test, axis=1).max(), rel=1e-12)
    assert f["test_max"] - f["test_min"] < f["test_spread"]  # the claim: within the seeds' spread
    assert f["loss_first"] == pytest.approx(loss[0].mean(), rel=1e-12)
    assert f["loss_last"] == pytest.approx(loss[-1].mean(), rel=1e-12)
    assert f["later_lower"] == int(np.sum(loss[-1] < loss[0])) == len(WHEN.seeds)
    assert [r["switches"] for r in ans["runs"]] == [[[e * 19]] * len(WHEN.seeds) for e in SWITCH_WHEN]


def test_switch_when_claim_fails_when_one_switch_point_ends_clearly_better(when):
    ans = copy.deepcopy(when[0])
    ans["runs"][3]["test_accuracy"]["seeds"] = [
        [*s[:-1], s[-1] + 0.05] for s in ans["runs"][3]["test_accuracy"]["seeds"]
    ]
    out = CLAIMS[WHEN.id](ans, WHEN)
    assert out["holds"] is False and out["figures"]["test_max"] - out["figures"]["test_min"] > 4
