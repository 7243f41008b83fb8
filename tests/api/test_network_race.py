"""POST /api/v1/networks/tune and /networks/race: the fair race on a network. Every figure is checked
against runs trained again one by one through POST /api/v1/networks (the user's own request), not
against the tuning's batched grid: the best lr, the seeds' median and spread, the edge extension,
ties, and the race body; bad and costly bodies are 422s that name the field and the limit."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

from app.api.schemas_network_race import NETWORK_MAX_TUNE_UPDATES
from app.lessons.tuning import LR_BOUNDS

DATA = {"name": "moons", "samples": 120, "noise": 0.2, "test_fraction": 0.25, "seed": 3}  # 90 train samples
MODEL = {"hidden": [4], "activation": "tanh", "init": "xavier", "seed": 3}
SMALL_PLANE = {"kind": "pca", "n": 2}


def tune(client, body: dict[str, Any], path: str = "/api/v1/networks/tune") -> dict[str, Any]:
    r = client.post(path, json=body)
    assert r.status_code == 200, r.text[:500]
    out: dict[str, Any] = r.json()
    return out


def trained(client, run: dict[str, Any], lr: float, seed: int = 0, epochs: int = 15) -> dict[str, Any]:
    """One run at ``lr`` trained alone, as a user would: POST /api/v1/networks."""
    body = {
        "data": DATA,
        "model": MODEL,
        "epochs": epochs,
        "seed": seed,
        "runs": [{**run, "params": {**run.get("params", {}), "lr": lr}}],
        "plane": SMALL_PLANE,
    }
    r = client.post("/api/v1/networks", json=body)
    assert r.status_code == 200, r.text[:500]
    out: dict[str, Any] = r.json()["runs"][0]
    return out


def final(run: dict[str, Any]) -> float:
    v = run["train_loss"][-1]
    return math.inf if run["status"] == "diverged" or v is None else float(v)


def test_tuned_lr_is_the_best_of_the_grid_recomputed_one_run_at_a_time(client) -> None:
    run = {"optimizer": "momentum", "params": {"beta": 0.8}}
    body = {"data": DATA, "model": MODEL, "epochs": 15, "runs": [run], "lr_min": 1e-3, "lr_max": 3.0, "n": 5}
    r = tune(client, {**body, "extend": False})
    assert r["objective"] == "final_loss" and r["noisy"] is False and r["seeds"] == [0]
    c = r["curves"][0]
    assert c["lrs"] == pytest.approx(np.geomspace(1e-3, 3.0, 5).tolist(), rel=1e-12)
    alone = [final(trained(client, run, lr)) for lr in c["lrs"]]
    assert [math.inf if v is None else v for v in c["final_loss"]] == pytest.approx(alone, rel=1e-9)
    assert c["best_index"] == int(np.argmin(alone)) and c["best_lr"] == c["lrs"][c["best_index"]]
    assert "spread" not in c and c["seeds"] == [0]
    # the answer's body is the user's body with the tuned lr, its other hyperparameters kept
    tuned = r["request"]["runs"][0]
    assert tuned["params"]["beta"] == 0.8 and tuned["params"]["lr"] == c["best_lr"] and r["request"]["epochs"] == 15
    raced = client.post("/api/v1/networks", json={**r["request"], "plane": SMALL_PLANE}).json()["runs"][0]
    assert raced["train_loss"][-1] == pytest.approx(c["final_loss"][c["best_index"]], rel=1e-9)
    # epochs to a train-loss tolerance, by the same runs: the first epoch at or below it
    tol = sorted(alone)[len(alone) // 2] + 1e-9
    e = tune(client, {**body, "extend": False, "objective": "epochs_to_tolerance", "tolerance": tol})
    ce = e["curves"][0]
    expected = []
    for lr in ce["lrs"]:
        losses = trained(client, run, lr)["train_loss"]
        expected.append(next((i for i, v in enumerate(losses) if v is not None and v <= tol), None))
    assert ce["epochs_to_tolerance"] == expected and e["tolerance"] == tol
    for x, sc, loss in zip(expected, ce["score"], ce["final_loss"], strict=True):  # never reached: after, by loss
        assert sc == (x if x is not None else pytest.approx(15 + 1 + loss, rel=1e-12))
    reached = [(x, i) for i, x in enumerate(expected) if x is not None]
    assert reached and ce["best_index"] == min(reached)[1]  # the fewest epochs; the lowest lr among equals


def test_noisy_runs_are_judged_by_the_median_over_seeds_with_their_spread(client) -> None:
    run = {"optimizer": "adam", "batch_size": 16}
    body = {"data": DATA, "model": MODEL, "epochs": 15, "seed": 4, "runs": [run], "n": 4, "seeds": 3}
    r = tune(client, {**body, "lr_min": 1e-3, "lr_max": 0.3, "extend": False})
    c = r["curves"][0]
    assert r["noisy"] is True and r["seeds"] == c["seeds"] == [4, 5, 6]
    for i, lr in enumerate(c["lrs"]):
        per_seed = [final(trained(client, run, lr, seed=s)) for s in (4, 5, 6)]
        assert c["final_loss"][i] == pytest.approx(float(np.median(per_seed)), rel=1e-9)
        assert c["spread"][i] == pytest.approx([min(per_seed), max(per_seed)], rel=1e-9)
    assert c["best_index"] == int(np.argmin(c["final_loss"])) and c["best_spread"] == c["spread"][c["best_index"]]
    lo, hi = c["best_spread"]
    assert lo < hi  # the seeds differ: the batch order matters
    # the body races with the request's seed (the first): its loss is one of the seeds' own
    raced = client.post("/api/v1/networks", json={**r["request"], "plane": SMALL_PLANE}).json()["runs"][0]
    assert lo <= raced["train_loss"][-1] <= hi and r["request"]["seed"] == 4
    # a full-batch run beside it is deterministic: one seed
    both = tune(client, {**body, "runs": [run, {"optimizer": "gd"}], "lr_min": 1e-3, "lr_max": 0.3, "extend": False})
    assert [c["seeds"] for c in both["curves"]] == [[4, 5, 6], [4]] and "spread" not in both["curves"][1]


def test_a_best_lr_at_the_edge_is_flagged_and_the_grid_extended_once(client) -> None:
    run = {"optimizer": "gd"}
    body = {"data": DATA, "model": MODEL, "epochs": 15, "runs": [run], "lr_min": 1e-4, "lr_max": 1e-3, "n": 4}
    flagged = tune(client, {**body, "extend": False})
    c = flagged["curves"][0]
    assert c["at_edge"] == "high" and c["extended"] is None and c["best_index"] == 3 and len(c["lrs"]) == 4
    assert flagged["at_edge"] == [{"run": 0, "optimizer": "gd", "at_edge": "high", "best_lr": c["best_lr"]}]
    extended = tune(client, body)
    e = extended["curves"][0]
    ratio = c["lrs"][1] / c["lrs"][0]
    assert e["extended"] == "high" and e["lrs"][:4] == c["lrs"] and len(e["lrs"]) == 6
    assert e["lrs"][4:] == pytest.approx([1e-3 * ratio, 1e-3 * ratio**2], rel=1e-12)
    assert e["final_loss"][:4] == c["final_loss"]  # the first grid is not run again differently
    assert e["final_loss"][4:] == pytest.approx([final(trained(client, run, lr)) for lr in e["lrs"][4:]], rel=1e-9)
    assert e["best_lr"] > c["best_lr"] and e["best_index"] == int(np.argmin(e["final_loss"]))
    # at the lowest edge, the extension stops at the catalogue's smallest lr
    low = tune(
        client, {**body, "lr_min": LR_BOUNDS[0], "lr_max": 2e-6, "objective": "epochs_to_tolerance", "tolerance": 10}
    )
    assert low["curves"][0]["lrs"][0] == pytest.approx(LR_BOUNDS[0]) and low["curves"][0]["extended"] is None


def test_ties_go_to_the_lowest_lr(client) -> None:
    # every rate is at the tolerance at the init (epoch 0): all tie, the first (lowest) lr wins
    body = {"data": DATA, "model": MODEL, "epochs": 5, "runs": [{"optimizer": "adam"}], "n": 5, "extend": False}
    r = tune(client, {**body, "objective": "epochs_to_tolerance", "tolerance": 100.0})
    c = r["curves"][0]
    assert c["epochs_to_tolerance"] == [0] * 5 and c["best_index"] == 0 and c["at_edge"] == "low"


def test_race_tunes_each_optimizer_then_gives_the_race_body(client) -> None:
    body = {
        "data": DATA,
        "model": MODEL,
        "epochs": 15,
        "optimizers": ["gd", "momentum", "adam"],
        "params": {"momentum": {"beta": 0.5, "lr": 123.0}},
        "lr_min": 1e-3,
        "lr_max": 3.0,
        "n": 5,
    }
    r = tune(client, body, "/api/v1/networks/race")
    assert [c["optimizer"] for c in r["curves"]] == body["optimizers"] and [c["run"] for c in r["curves"]] == [0, 1, 2]
    runs = r["request"]["runs"]
    assert runs[1]["params"]["beta"] == 0.5 and runs[1]["params"]["lr"] == r["curves"][1]["best_lr"]  # lr: tuned
    assert runs[2]["label"] == f"Adam (tuned α={r['curves'][2]['best_lr']:.3g})"
    assert all(c["score"] == c["final_loss"] for c in r["curves"])
    best = [c["final_loss"][c["best_index"]] for c in r["curves"]]
    assert r["ranking"] == sorted(range(3), key=lambda i: best[i]) and sorted(r["ranking"]) == [0, 1, 2]
    raced = client.post("/api/v1/networks", json={**r["request"], "plane": SMALL_PLANE})
    assert raced.status_code == 200
    for c, run in zip(r["curves"], raced.json()["runs"], strict=True):
        assert run["train_loss"][-1] == pytest.approx(c["final_loss"][c["best_index"]], rel=1e-9)
        assert run["train_loss"][-1] == pytest.approx(
            final(trained(client, {"optimizer": c["optimizer"], "params": runs[c["run"]]["params"]}, c["best_lr"])),
            rel=1e-9,
        )


def test_the_limit_is_served_and_named(client) -> None:
    limits = client.get("/api/v1/limits").json()
    assert limits["network_max_tune_updates"] == NETWORK_MAX_TUNE_UPDATES and limits["network_max_tune_lrs"] >= 2
    body = {"data": {"samples": 1000}, "epochs": 2000, "runs": [{"optimizer": "adam", "batch_size": 8}], "n": 10}
    r = client.post("/api/v1/networks/tune", json=body)
    assert r.status_code == 422 and f"{NETWORK_MAX_TUNE_UPDATES:,}" in r.text
    assert r.json()["detail"][0]["loc"] == ["body", "n"]


def test_costly_work_is_refused_before_any_of_it(client) -> None:
    # under the updates limit, but the estimate (wide layers, many samples, full batch) is far over the timeout
    body = {
        "data": {"samples": 5000},
        "model": {"hidden": [40, 40]},
        "epochs": 5000,
        "runs": [{"optimizer": "adam"}],
        "n": 100,
        "extend": False,
    }
    r = client.post("/api/v1/networks/tune", json=body)
    assert r.status_code == 422 and "would take longer" in r.text


@pytest.mark.parametrize(
    ("path", "body", "loc", "words"),
    [
        ("tune", {"runs": [{"optimizer": "gd"}], "lr_min": 1.0, "lr_max": 0.1}, ["body"], "lr_min"),
        ("tune", {"runs": [{"optimizer": "gd"}], "objective": "steps"}, ["body", "objective"], "epochs_to_tolerance"),
        ("tune", {"runs": [{"optimizer": "gd"}], "seeds": 33}, ["body", "seeds"], "32"),
        ("tune", {"runs": [{"optimizer": "gd"}], "n": 1}, ["body", "n"], "2"),
        ("tune", {"runs": [{"optimizer": "gd"}], "tune": True}, ["body", "tune"], "xtra"),
        ("tune", {"runs": [{"optimizer": "lbfgs"}]}, ["body", "runs", 0, "optimizer"], "lbfgs"),
        ("tune", {"runs": [{"optimizer": "gd", "batch_size": 10_000}]}, ["body", "runs", 0, "batch_size"], "225"),
        ("tune", {"runs": []}, ["body", "runs"], "1"),
        ("race", {"optimizers": ["lbfgs"]}, ["body", "optimizers", 0], "lbfgs"),
        ("race", {"optimizers": ["adam"], "params": {"gd": {}}}, ["body", "params", "gd"], "adam"),
        ("race", {"optimizers": ["adam"], "params": {"adam": {"beta1": 2}}}, ["body", "params", "adam"], "beta1"),
        ("race", {"optimizers": ["adam"], "batch_size": 10_000}, ["body", "batch_size"], "225"),
        ("race", {"optimizers": ["nope"]}, ["body", "optimizers", 0], "adam"),
        ("race", {"optimizers": ["adam"], "plane": {"run": 3}}, ["body"], "plane.run = 3"),
    ],
)
def test_bad_bodies_are_422s_that_name_the_field(
    client, path: str, body: dict[str, Any], loc: list[Any], words: str
) -> None:
    r = client.post(f"/api/v1/networks/{path}", json=body)
    assert r.status_code == 422, r.text[:300]
    detail = r.json()["detail"][0]
    assert detail["loc"][: len(loc)] == loc and words in detail["msg"], detail
