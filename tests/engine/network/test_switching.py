"""Optimizer chains on the network (`app.engine.network.train`): torch's golden chained trainings
(a new torch.optim optimizer on the same parameters at each milestone, the run's scheduler advanced
to it) to 1e-9, the state reset, the clock going on (GD → GD is GD), and the cost counted per link."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from app.engine.network import DataConfig, ModelConfig, NetworkProblem, Training, answer_bytes, estimate, train
from app.engine.optimizers import OPTIMIZERS
from app.engine.problem import RunConfig, Switch
from tests.engine.network.test_train import golden_problem, problem, run_config

GOLDEN = Path(__file__).resolve().parents[2] / "golden" / "torch_network_golden.json"


def chained(run: dict[str, Any]) -> RunConfig:
    """A run of a request with `optimizers`: the first link's run, then each later link's switch."""
    first, *later = run["optimizers"]
    cfg = run_config({**run, **first})
    switches = [
        Switch(
            link["milestone"],
            OPTIMIZERS[link["optimizer"]],
            OPTIMIZERS[link["optimizer"]].resolve(link["params"], "optimizer"),
        )
        for link in later
    ]
    return replace(cfg, switches=tuple(switches))


def _golden_chains() -> list[dict[str, Any]]:
    chains: list[dict[str, Any]] = json.loads(GOLDEN.read_text())["chains"]
    return chains


def _name(case: dict[str, Any]) -> str:
    return "-".join(link["optimizer"] for link in case["run"]["optimizers"]) + f"-{case['run']['batch_size']}"


@pytest.mark.parametrize("case", _golden_chains(), ids=_name)
def test_chained_trainings_match_torch(case: dict[str, Any]) -> None:
    p = golden_problem(case, chained(case["run"]), points=1000)  # every update recorded
    t = train(p)
    assert np.array_equal(t.init, case["init"])
    r, want = t.results[0], case["expected"]
    milestones = [link["milestone"] for link in case["run"]["optimizers"][1:]]
    assert r.status == "max_steps" and r.switches == milestones
    for key in ("train_loss", "test_loss", "batch_loss", "lr"):
        got = getattr(r, key)
        assert len(got) == len(want[key]), key
        np.testing.assert_allclose(got, want[key], rtol=1e-9, atol=0, err_msg=key)
    assert r.steps == list(range(r.steps_taken + 1))
    np.testing.assert_allclose(r.thetas[milestones], want["switch_params"], rtol=0, atol=1e-9)
    np.testing.assert_allclose(r.final, want["final"], rtol=0, atol=1e-9)
    assert want["train_loss"][-1] < 0.9 * want["train_loss"][0]  # the case trains: a real comparison


ADAM = {"optimizer": "adam", "params": {"lr": 0.01}}
SCHED = {"name": "cosine", "params": {"t_max": 40, "eta_min": 0.001}}


def test_adam_then_adam_starts_its_state_again() -> None:
    """The same Adam from update 18 on is not the plain Adam run: its first step there is a fresh
    Adam's first, ±lr on every parameter whose gradient is not ~0 (m̂/√v̂ = g/|g|)."""
    chain = {"optimizers": [ADAM, {**ADAM, "milestone": 18}], "batch_size": 64}
    t = train(
        NetworkProblem(DataConfig(), ModelConfig(), 10, 0, (chained(chain), run_config({**ADAM, "batch_size": 64})))
    )
    a, plain = t.results
    assert a.switches == [18] and plain.switches == []
    assert a.batch_loss[:19] == plain.batch_loss[:19] and np.array_equal(a.thetas[18], plain.thetas[18])
    assert a.batch_loss[19] != plain.batch_loss[19]
    step = np.abs(a.thetas[19] - a.thetas[18])
    moved = step > 1e-6
    assert moved.sum() > 0.5 * step.size
    np.testing.assert_allclose(step[moved], 0.01, rtol=1e-3)  # a fresh Adam's first step
    assert not np.allclose(np.abs(plain.thetas[19] - plain.thetas[18])[moved], 0.01, rtol=1e-3)


def test_gd_then_gd_is_gd_bit_for_bit() -> None:
    """The clock goes on across a switch: the schedule's lr and the mini-batch of each update are the
    plain run's (a milestone inside an epoch too)."""
    gd = {"optimizer": "gd", "params": {"lr": 0.2}}
    plain = {**gd, "batch_size": 32, "schedule": SCHED}
    chain = {"optimizers": [gd, {**gd, "milestone": 13}, {**gd, "milestone": 40}], "batch_size": 32, "schedule": SCHED}
    t = train(NetworkProblem(DataConfig(), ModelConfig(), 8, 0, (chained(chain), run_config(plain))))
    a, b = t.results
    assert a.switches == [13, 40]
    assert a.lr == b.lr and a.batch_loss == b.batch_loss and a.train_loss == b.train_loss
    assert np.array_equal(a.final, b.final) and np.array_equal(a.thetas, b.thetas)


def test_each_link_s_lr_is_the_schedule_s_base() -> None:
    cosine = {"name": "cosine", "params": {"t_max": 40}}  # η_min 0: each lr the base times one factor
    chain = {"optimizers": [ADAM, {"milestone": 20, "optimizer": "gd", "params": {"lr": 0.3}}], "schedule": cosine}
    r = train(
        NetworkProblem(DataConfig(), ModelConfig(), 40, 0, (chained(chain), run_config({**ADAM, "schedule": cosine})))
    )
    a, adam = r.results
    assert a.lr[:20] == adam.lr[:20]
    np.testing.assert_allclose(a.lr[20:], np.array(adam.lr[20:]) * 30, rtol=1e-12)


def test_the_stream_crosses_a_milestone_as_the_whole_run() -> None:
    chain = {"optimizers": [ADAM, {"milestone": 10, "optimizer": "sgd", "params": {"lr": 0.05}}], "batch_size": 64}
    p = problem([], epochs=6)
    p = replace(p, runs=(chained(chain),))
    whole = train(p).results[0]
    parts = Training(p)
    for n in (2, 1, 3):  # the milestone (update 10) inside the second chunk's epoch 2
        parts.advance(n)
    r = parts.results[0]
    assert r.switches == whole.switches == [10]
    assert r.batch_loss == whole.batch_loss and np.array_equal(r.thetas, whole.thetas)


def test_a_run_that_diverges_before_the_milestone_never_switches() -> None:
    gd = {"optimizer": "gd", "params": {"lr": 1.0}}
    chain = {"optimizers": [gd, {**ADAM, "milestone": 30}], "batch_size": 16}
    huge = DataConfig(noise=1e60)  # the weights' products overflow within an epoch
    p = NetworkProblem(huge, ModelConfig(hidden=(4,)), 40, 0, (chained(chain),))
    bad = train(p).results[0]
    assert bad.status == "diverged" and bad.steps_taken < 15 and bad.switches == []


def test_the_engine_refuses_a_bad_chain() -> None:
    base = {"batch_size": 64}
    with pytest.raises(ValueError, match="'lbfgs' cannot train a network"):
        NetworkProblem(
            DataConfig(),
            ModelConfig(),
            5,
            0,
            (chained({**base, "optimizers": [ADAM, {"milestone": 3, "optimizer": "lbfgs", "params": {}}]}),),
        )
    for milestones in ([20], [0], [5, 5], [8, 4]):  # 5 epochs × 4 updates: 1..19
        links = [ADAM, *({**ADAM, "milestone": m} for m in milestones)]
        with pytest.raises(ValueError, match=r"milestones must increase strictly within updates 1\.\.19"):
            NetworkProblem(DataConfig(), ModelConfig(), 5, 0, (chained({**base, "optimizers": links}),))


def test_the_cost_counts_each_link() -> None:
    """A link of a costly rule (Schedule-Free AdamW: NumPy element by element) costs its updates."""
    slow = {"optimizer": "schedule_free_adamw", "params": {"lr": 0.01}}
    model = ModelConfig(hidden=(32, 32))
    runs = {
        "adam": run_config({**ADAM, "batch_size": 8}),
        "late": chained({"optimizers": [ADAM, {**slow, "milestone": 2700}], "batch_size": 8}),
        "early": chained({"optimizers": [ADAM, {**slow, "milestone": 10}], "batch_size": 8}),
        "slow": run_config({**slow, "batch_size": 8}),
    }
    seconds = {k: estimate(NetworkProblem(DataConfig(), model, 100, 0, (r,))) for k, r in runs.items()}
    assert seconds["adam"] < seconds["late"] < seconds["early"] < seconds["slow"]  # 2,900 updates in all
    sizes = {k: answer_bytes(NetworkProblem(DataConfig(), model, 100, 0, (r,))) for k, r in runs.items()}
    assert sizes["adam"] == sizes["slow"] < sizes["late"] == sizes["early"]
