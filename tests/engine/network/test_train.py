"""Training the network: torch.optim's per-epoch losses, mini-batches, records, divergence, cost."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from app.engine import deadline
from app.engine.network import DataConfig, ModelConfig, NetworkProblem, Training, answer_bytes, estimate, train
from app.engine.network.train import record_steps
from app.engine.optimizers import OPTIMIZERS
from app.engine.problem import RunConfig
from app.engine.schedules import SCHEDULES

GOLDEN = Path(__file__).resolve().parents[2] / "golden" / "torch_network_golden.json"


def run_config(run: dict[str, Any]) -> RunConfig:
    spec = OPTIMIZERS[run["optimizer"]]
    sched = run.get("schedule") or {"name": "constant"}
    sspec = SCHEDULES[sched["name"]]
    return RunConfig(
        optimizer=spec,
        params=spec.resolve(run.get("params"), "optimizer"),
        schedule=sspec,
        schedule_params=sspec.resolve(sched.get("params"), "schedule"),
        warmup_steps=sched.get("warmup_steps", 0),
        per=sched.get("per", "step"),
        batch_size=run.get("batch_size"),
        clip_value=run.get("clip_value", 0.0),
        clip_norm=run.get("clip_norm", 0.0),
        label=run.get("label", ""),
    )


def problem(runs: list[dict[str, Any]], epochs: int = 10, points: int = 200, **over: Any) -> NetworkProblem:
    return NetworkProblem(
        data=over.get("data", DataConfig()),
        model=over.get("model", ModelConfig()),
        epochs=epochs,
        seed=over.get("seed", 0),
        runs=tuple(run_config(r) for r in runs),
        points=points,
    )


def _golden_cases() -> list[dict[str, Any]]:
    return json.loads(GOLDEN.read_text())["training"]


def golden_problem(case: dict[str, Any], run: RunConfig, **fields: Any) -> NetworkProblem:
    """A golden case's training (its data, model, epochs and batch seed) of one run."""
    m = case["model"]
    return NetworkProblem(
        data=DataConfig(**case["data"]),
        model=ModelConfig(hidden=tuple(m["hidden"]), activation=m["activation"], init=m["init"], seed=m["seed"]),
        epochs=case["epochs"],
        seed=case["seed"],
        runs=(run,),
        **fields,
    )


@pytest.mark.parametrize("case", _golden_cases(), ids=lambda c: f"{c['run']['optimizer']}-{c['run'].get('batch_size')}")
def test_per_epoch_losses_match_torch(case: dict[str, Any]) -> None:
    p = golden_problem(case, run_config(case["run"]))
    t = train(p)
    assert np.array_equal(t.init, case["init"])
    r, want = t.results[0], case["expected"]
    assert r.status == "max_steps"
    for key in ("train_loss", "test_loss", "batch_loss", "lr"):
        got = getattr(r, key)
        assert len(got) == len(want[key]), key
        np.testing.assert_allclose(got, want[key], rtol=1e-9, atol=0, err_msg=key)
    assert want["train_loss"][-1] < 0.9 * want["train_loss"][0]  # the case trains: a real comparison


def test_runs_with_one_batch_size_share_the_order_and_equal_single_runs() -> None:
    runs = [
        {"optimizer": "adam", "params": {"lr": 0.01}, "batch_size": 64},
        {"optimizer": "gd", "params": {"lr": 0.1}, "batch_size": 32},
        {"optimizer": "rmsprop", "params": {"lr": 0.01}, "batch_size": 64},
        {"optimizer": "nesterov", "params": {"lr": 0.05}},
    ]
    together = train(problem(runs, epochs=5))
    for i, run in enumerate(runs):
        alone = train(problem([run], epochs=5)).results[0]
        r = together.results[i]
        assert r.train_loss == alone.train_loss and r.batch_loss == alone.batch_loss
        assert np.array_equal(r.final, alone.final)
    per_epoch = [4, 8, 4, 1]  # ⌈225 / 64⌉, ⌈225 / 32⌉, full batch
    for r, k in zip(together.results, per_epoch, strict=True):
        assert r.steps_taken == 5 * k and len(r.batch_loss) == len(r.lr) == 5 * k
        assert len(r.train_loss) == len(r.test_loss) == len(r.train_accuracy) == len(r.test_accuracy) == 6
        assert r.steps[0] == 0 and r.steps[-1] == r.steps_taken
        assert r.thetas.shape == (len(r.steps), together.net.size)
        assert np.array_equal(r.thetas[0], together.init) and np.array_equal(r.thetas[-1], r.final)
    # the full train loss at the recorded final parameters is the last epoch's
    d = together.data
    r = together.results[0]
    assert together.net.loss(r.final, d.x_train, d.y_train) == pytest.approx(r.train_loss[-1], rel=1e-12)
    assert together.net.accuracy(r.final, d.x_test, d.y_test) == pytest.approx(r.test_accuracy[-1])


def test_every_element_wise_optimizer_trains_on_the_network() -> None:
    ids = [o.id for o in OPTIMIZERS.values() if o.driver == "loop" and not o.hessian]
    assert {"adam", "sgd", "rprop", "schedule_free_adamw", "polyak_sgd", "lion"} <= set(ids)
    params = {"polyak_sgd": {"max_learning_rate": 100.0}}
    runs = [{"optimizer": i, "params": params.get(i, {"lr": 0.01}), "batch_size": 64} for i in ids]
    t = train(problem(runs, epochs=3))
    for r in t.results:
        assert r.status == "max_steps", r.optimizer
        assert all(v is not None for v in r.train_loss), r.optimizer
        assert not np.array_equal(r.final, t.init), r.optimizer
    polyak = t.results[ids.index("polyak_sgd")]
    assert len(set(polyak.lr)) > 1  # the step size from each mini-batch's loss


def test_closure_optimizers_are_refused_by_name() -> None:
    with pytest.raises(ValueError, match="'lbfgs' cannot train a network"):
        problem([{"optimizer": "lbfgs"}])
    with pytest.raises(ValueError, match=r"'newton'.*Hessian"):
        problem([{"optimizer": "newton"}])


def test_divergence_keeps_the_finite_prefix() -> None:
    # features of size 1e60: the weights' products overflow within an epoch
    huge = DataConfig(noise=1e60)
    t = train(
        problem(
            [{"optimizer": "gd", "params": {"lr": 1.0}, "batch_size": 16}],
            epochs=40,
            model=ModelConfig(hidden=(4,)),
            data=huge,
        )
    )
    bad = t.results[0]
    assert bad.status == "diverged" and 0 < bad.steps_taken < 15  # within the first epoch
    assert len(bad.batch_loss) == len(bad.lr) == bad.steps_taken
    assert all(np.isfinite(v) for v in bad.batch_loss) and np.isfinite(bad.final).all()
    assert bad.steps == [0, bad.steps_taken] and np.array_equal(bad.thetas[-1], bad.final)
    assert len(bad.train_loss) == 1  # the epoch never ended


def test_adam_without_eps_on_a_dead_unit_diverges_at_once() -> None:
    # ReLU units dead on every sample from θ₀: their gradient is exactly 0, and 0/(√0 + 0) is nan (torch too)
    runs = [{"optimizer": "adam", "params": {"lr": 0.01, "eps": 0.0}}, {"optimizer": "adam", "params": {"lr": 0.01}}]
    t = train(problem(runs, epochs=3))
    bad, good = t.results
    assert bad.status == "diverged" and bad.steps_taken == 0 and bad.steps == [0] and bad.batch_loss == []
    assert np.array_equal(bad.final, t.init) and len(bad.train_loss) == 1
    assert good.status == "max_steps" and good.steps_taken == 3


def test_advance_streams_the_same_numbers() -> None:
    runs = [{"optimizer": "adam", "params": {"lr": 0.01}, "batch_size": 64}]
    whole = train(problem(runs, epochs=6))
    parts = Training(problem(runs, epochs=6))
    assert len(parts.results[0].train_loss) == 1 and parts.results[0].status == "running"
    for n in (2, 1, 5):
        parts.advance(n)
    assert parts.done and parts.epoch == 6
    a, b = whole.results[0], parts.results[0]
    assert a.train_loss == b.train_loss and a.batch_loss == b.batch_loss and a.steps == b.steps
    assert np.array_equal(a.thetas, b.thetas)


def test_plateau_and_cycled_momentum_and_epoch_schedules() -> None:
    runs = [
        {
            "optimizer": "gd",
            "params": {"lr": 1.0},
            "batch_size": 64,
            "schedule": {"name": "reduce_on_plateau", "params": {"patience": 0, "factor": 0.5, "threshold": 0.5}},
        },
        {
            "optimizer": "sgd",
            "params": {"lr": 0.1},
            "batch_size": 64,
            "schedule": {"name": "one_cycle", "params": {"total_steps": 40, "cycle_momentum": True}},
        },
        {
            "optimizer": "adam",
            "params": {"lr": 0.01},
            "batch_size": 64,
            "schedule": {"name": "step", "params": {"step_size": 2, "gamma": 0.1}, "per": "epoch"},
        },
    ]
    t = train(problem(runs, epochs=10))
    plateau, cycled, stepped = t.results
    assert plateau.lr[0] == 1.0 and plateau.lr[-1] < 1.0  # the loss never falls by half an epoch
    assert len(set(plateau.lr[:4])) == 1  # constant within an epoch
    assert cycled.status == "max_steps" and max(cycled.lr) == pytest.approx(0.1)
    assert stepped.lr[:8] == [0.01] * 8 and stepped.lr[8] == pytest.approx(0.001)


def test_record_steps() -> None:
    assert record_steps(3, 4, 200).tolist() == list(range(13))
    few = record_steps(1000, 4, 200)
    assert len(few) <= 200 and few[0] == 0 and few[-1] == 4000 and (few % 4 == 0).all()
    mid = record_steps(50, 10, 200)
    assert len(mid) <= 200 and few[0] == 0 and mid[-1] == 500
    assert set(range(0, 501, 10)) <= set(mid.tolist())  # every epoch end


def test_recorded_points_are_bounded() -> None:
    runs = [{"optimizer": "gd", "params": {"lr": 0.1}, "batch_size": 8}]
    t = train(problem(runs, epochs=30, points=20))
    r = t.results[0]
    assert len(r.steps) <= 20 and r.steps[0] == 0 and r.steps[-1] == r.steps_taken == 30 * 29


def test_estimate_and_answer_bytes_grow_with_the_work_and_the_deadline_stops_training() -> None:
    small = problem([{"optimizer": "adam", "batch_size": 64}], epochs=10)
    big = problem([{"optimizer": "adam", "batch_size": 8}] * 8, epochs=1000, model=ModelConfig(hidden=(64, 64)))
    assert 0 < estimate(small) < 0.5 < estimate(big)
    assert answer_bytes(small) < answer_bytes(big)
    t = train(small)
    assert 0.1 * estimate(small) < _seconds(lambda: train(small)) < 20 * estimate(small)
    r = t.results[0]
    floats = 4 * len(r.train_loss) + 2 * len(r.lr) + r.thetas.size + r.final.size
    assert answer_bytes(small) > 8 * floats
    deadline.bind(time.monotonic() + 0.05)
    try:
        with pytest.raises(deadline.DeadlineExceeded):
            train(big)
    finally:
        deadline.bind(None)


def _seconds(fn: Any) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def test_element_rules_on_a_vector_equal_the_rule_per_element() -> None:
    """`base.by_rule` runs a whole vector in one compiled call (`loop.update_each`): the same bits
    as the rule applied element by element (its path for rows with their own lr)."""
    from app.engine.backend import ARRAY

    rng = np.random.default_rng(0)
    theta0, grads = rng.standard_normal(50), rng.standard_normal((6, 50))
    for spec in OPTIMIZERS.values():
        if spec.driver != "loop" or spec.hessian:
            continue
        params = spec.resolve({"f_min": 0.0} if spec.id == "polyak_sgd" else {}, "optimizer")
        opt = spec.build(ARRAY, params)
        a, b = theta0.copy(), theta0.copy()
        sa, sb = opt.init(a), opt.init(b)
        for g in grads:
            a, sa = opt.update(g, sa, a, 0.01)
            b, sb = opt.update(g, sb, b, np.array([0.01]))  # an lr per row: element by element
        assert np.array_equal(a, b), spec.id


def test_no_epochs_and_no_test_set() -> None:
    runs = [{"optimizer": "adam", "batch_size": 64}, {"optimizer": "gd"}]
    t = train(problem(runs, epochs=0, data=DataConfig(test_fraction=0.0)))
    for r in t.results:
        assert r.status == "max_steps" and r.steps_taken == 0 and r.steps == [0]
        assert len(r.train_loss) == 1 and r.test_loss == [None] and r.test_accuracy == [None]
        assert np.array_equal(r.final, t.init) and r.thetas.shape == (1, t.net.size)
    t = train(problem(runs, epochs=2, data=DataConfig(test_fraction=0.0)))
    assert all(r.test_loss == [None] * 3 and r.status == "max_steps" for r in t.results)
