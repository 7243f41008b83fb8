"""The matrix optimizers (driver "matrix": Adafactor, Muon + AdamW, LAMB) against their references,
and how the rest of the app treats them (networks only).

The golden steps come from tools/make_golden_matrix.py (torch 2.13's Adafactor and Muon + AdamW,
optax's lamb; float64): K = 20 updates on a 2→5→2→1 layout from one parameter vector, on a loss
whose gradient depends on where the optimizer went, with a rate per update. The engine's own
factory (`spec.build(ARRAY, params, layout=...)`) takes the same steps to 1e-10 relative.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from app.engine.backend import ARRAY
from app.engine.optimizers import base, muon
from app.registry import OPTIMIZERS

GOLDEN = json.loads((Path(__file__).parent.parent / "golden/torch_matrix_golden.json").read_text(encoding="utf-8"))
LAYOUT = tuple((name, tuple(shape)) for name, shape in GOLDEN["layout"])
MATRIX = tuple(o for o, spec in OPTIMIZERS.items() if spec.driver == "matrix")
A, C, Q = np.array(GOLDEN["a"]), np.array(GOLDEN["c"]), GOLDEN["quartic"]


def grad(theta: np.ndarray) -> np.ndarray:
    """The golden loss's gradient: A(θ − c) + q(θ − c)³."""
    d = theta - C
    return d @ A.T + Q * d**3


def steps(oid: str, params: dict, lrs: list[float], theta0: np.ndarray, layout=LAYOUT) -> np.ndarray:
    """The parameter vectors of len(lrs) updates (θ₀ first), as a network's training loop takes them."""
    spec = OPTIMIZERS[oid]
    opt = spec.build(ARRAY, spec.resolve(params, "optimizer"), layout=layout)
    theta, state, out = theta0, opt.init(theta0), [theta0]
    for lr in lrs:
        theta, state = opt.update(grad(theta), state, theta, lr)
        out.append(theta)
    return np.array(out)


def test_the_matrix_optimizers_are_the_three_and_the_golden_covers_each() -> None:
    assert set(MATRIX) == {"adafactor", "muon", "lamb"}
    assert {c["optimizer"] for c in GOLDEN["cases"]} == set(MATRIX)


@pytest.mark.parametrize("case", GOLDEN["cases"], ids=[f"{c['optimizer']}-{c['name']}" for c in GOLDEN["cases"]])
def test_golden_steps_against_torch_and_optax(case: dict) -> None:
    spec = OPTIMIZERS[case["optimizer"]]
    assert set(case["params"]) == {p.name for p in spec.params}, "every hyperparameter given, by its name here"
    got = steps(case["optimizer"], case["params"], case["lr"], np.array(GOLDEN["theta0"]))
    want = np.array(case["thetas"])
    assert got.shape == want.shape == (21, 30)
    moved = np.max(np.abs(want[-1] - want[0]))
    assert moved > 0.05, "the case moves the parameters (it can fail)"
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-10 * np.max(np.abs(want)))


def test_the_default_case_is_the_catalogues_defaults() -> None:
    """The first case of each optimizer is torch's / optax's defaults, as the catalogue states them
    (Muon's rate the documentation's 0.02, its AdamW part AdamW's defaults)."""
    for oid in MATRIX:
        case = next(c for c in GOLDEN["cases"] if c["optimizer"] == oid and c["name"] == "defaults")
        assert OPTIMIZERS[oid].resolve({}, "optimizer") == case["params"]


def test_torch_muon_as_shipped_runs_newton_schulz_in_bfloat16() -> None:
    """torch's Newton–Schulz casts to bfloat16: the shipped Muon differs from the float64 rule (the
    golden's) by about bfloat16's precision; the engine matches the float64 one to 1e-10 above."""
    for case in (c for c in GOLDEN["cases"] if c["optimizer"] == "muon"):
        assert 1e-5 < case["bf16_max_rel"] < 1e-2


def test_the_layout_may_be_the_networks_layers_and_leading_dims_are_runs() -> None:
    """``layout=`` takes `app.engine.network.Layer`-like objects (name, shape) as well as pairs; a
    (K, P) array steps K runs at once, each as it would alone."""
    layers = tuple(SimpleNamespace(name=n, shape=s) for n, s in LAYOUT)
    theta0 = np.array(GOLDEN["theta0"])
    rng = np.random.default_rng(0)
    starts = np.stack([theta0, theta0 + rng.normal(0, 0.3, theta0.size), np.zeros_like(theta0)])
    lrs = [0.05] * 6
    for oid in MATRIX:
        one = steps(oid, {}, lrs, theta0)
        np.testing.assert_array_equal(steps(oid, {}, lrs, theta0, layout=layers), one)
        many = steps(oid, {}, lrs, starts)
        for k in range(len(starts)):
            np.testing.assert_allclose(many[:, k], steps(oid, {}, lrs, starts[k]), rtol=1e-13, atol=1e-15)


def test_a_matrix_optimizer_needs_the_layout_and_says_so() -> None:
    for oid in MATRIX:
        spec = OPTIMIZERS[oid]
        with pytest.raises(TypeError, match=rf"{spec.name}.*layout="):
            spec.build(ARRAY, spec.resolve({}, "optimizer"))
        opt = spec.build(ARRAY, spec.resolve({}, "optimizer"), layout=LAYOUT)
        with pytest.raises(ValueError, match="29 values for a layout of 30"):
            opt.init(np.zeros(29))
    with pytest.raises(ValueError, match="'T' has shape"):
        base.layout_of([("T", (2, 2, 2))])
    # an element-wise optimizer ignores the layout: the same rule on the whole vector
    adam = OPTIMIZERS["adam"]
    p = adam.resolve({}, "optimizer")
    a, b = adam.build(ARRAY, p), adam.build(ARRAY, p, layout=LAYOUT)
    th = np.array(GOLDEN["theta0"])
    assert np.array_equal(a.update(grad(th), a.init(th), th, 0.1)[0], b.update(grad(th), b.init(th), th, 0.1)[0])


def test_lamb_steps_each_tensor_by_lr_times_its_norm() -> None:
    """The trust ratio: each tensor's step is lr·‖θ‖ (a tensor at 0 takes ratio 1: it moves by
    lr·‖u‖, Adam's first step ±1 per coordinate)."""
    theta0 = np.array(GOLDEN["theta0"])
    lr = 0.01
    th1 = steps("lamb", {}, [lr], theta0)[1]
    for (name, shape), before, after in zip(
        LAYOUT, base.tensors(theta0, LAYOUT), base.tensors(th1, LAYOUT), strict=True
    ):
        size = np.linalg.norm(after - before)
        if np.any(before):
            assert size == pytest.approx(lr * np.linalg.norm(before), rel=1e-12), name
        else:  # biases start at 0: u = m̂/(√v̂ + ε) = sign(g)·(1 − tiny) on the first step
            assert size == pytest.approx(lr * np.sqrt(np.prod(shape)), rel=1e-5), name


def test_adafactor_factors_a_rank_one_square_exactly() -> None:
    """At t = 1 (rate 1) the factored estimate R·C/mean(R) of g² is g² itself when g² has rank one
    (g = u·vᵀ): the update is then g/|g| = ±1 per coordinate, Adam's first step."""
    layout = (("W", (3, 4)),)
    u, v = np.array([1.0, -2.0, 0.5]), np.array([0.3, 1.0, -4.0, 2.0])
    g = np.outer(u, v).ravel()
    spec = OPTIMIZERS["adafactor"]
    opt = spec.build(ARRAY, spec.resolve({"eps2": 1e-3}, "optimizer"), layout=layout)
    theta = np.zeros(12)
    new, _ = opt.update(g, opt.init(theta), theta, 0.5)
    # α = max(ε₂, RMS(0))·min(lr, 1/√1) = 1e-3·0.5; RMS(u) = 1 ≤ d: no clipping
    np.testing.assert_allclose(new, -0.5e-3 * np.sign(g), rtol=1e-12)


def test_muon_orthogonalizes_the_update() -> None:
    """Newton–Schulz (torch's five quintic steps) maps a matrix to about U·Vᵀ: its singular values
    land near 1 (torch's comment: roughly 0.5 to 1.5), whatever the matrix's scale or shape."""
    rng = np.random.default_rng(1)
    for shape in ((5, 2), (2, 5), (16, 16), (16, 3), (1, 2)):
        k = min(shape)
        u, _ = np.linalg.qr(rng.normal(size=(shape[0], k)))
        v, _ = np.linalg.qr(rng.normal(size=(shape[1], k)))
        m = (u * np.geomspace(100.0, 3.0, k)) @ v.T  # singular values 100 … 3
        s = np.linalg.svd(muon.orthogonalize(m, 5, 1e-7), compute_uv=False)
        assert s.min() > 0.5 and s.max() < 1.5, (shape, s)


def test_muon_gives_the_biases_adamw_at_the_scheduled_rate() -> None:
    """The biases take torch AdamW at adamw_lr·lrₜ/lr: the same steps as the adamw module's rule
    on the bias coordinates alone, the weights untouched by it."""
    theta0 = np.array(GOLDEN["theta0"])
    params = {"lr": 0.02, "adamw_lr": 0.005, "adamw_weight_decay": 0.0}
    lrs = [0.02, 0.01, 0.004]
    got = steps("muon", params, lrs, theta0)
    bias = np.concatenate([np.ones(int(np.prod(s))) * (len(s) == 1) for _, s in LAYOUT]).astype(bool)
    adamw = OPTIMIZERS["adamw"]
    opt = adamw.build(ARRAY, adamw.resolve({"weight_decay": 0.0}, "optimizer"))
    theta, state = theta0, opt.init(theta0[bias])
    for t, lr in enumerate(lrs):
        b, state = opt.update(grad(theta)[bias], state, theta[bias], lr * 0.005 / 0.02)
        theta = got[t + 1]
        np.testing.assert_allclose(theta[bias], b, rtol=1e-13)


def test_the_catalogue_says_networks_only(client) -> None:
    body = {o["id"]: o for o in client.get("/api/v1/optimizers").json()}
    for oid, o in body.items():
        assert o["networks_only"] == (oid in MATRIX)
        assert (o["driver"] == "matrix") == (oid in MATRIX)


# the lessons' lockstep endpoints on a surface: the same refusal, where the optimizer is named
LOCKSTEP = {
    "/api/v1/sweeps": {
        "x_param": {"name": "lr", "min": 0.001, "max": 0.1, "n": 3, "scale": "log"},
        "y_param": {"name": "eps", "min": 1e-8, "max": 1e-3, "n": 3, "scale": "log"},
    },
    "/api/v1/basins": {"n": 4},
    "/api/v1/race": {"optimizers": ["adam"]},
}


@pytest.mark.parametrize("path", list(LOCKSTEP))
def test_the_lessons_refuse_a_matrix_optimizer_by_name(client, path: str) -> None:
    for oid in MATRIX:
        body = {"surface": "rosenbrock", "steps": 5, **LOCKSTEP[path]}
        if path == "/api/v1/race":
            body["optimizers"] = ["adam", oid]
        else:
            body["optimizer"] = oid
        r = client.post(path, json=body)
        assert r.status_code == 422, r.text
        detail = r.json()["detail"][0]
        assert OPTIMIZERS[oid].name in detail["msg"] and "network" in detail["msg"], detail
        assert detail["loc"][-1] in ("optimizer", 1), detail


@pytest.mark.parametrize("path", ["/api/v1/trajectories", "/api/v1/trajectories/stream", "/api/v1/export"])
def test_a_surface_refuses_a_matrix_optimizer_by_name(client, path: str) -> None:
    for oid in MATRIX:
        body = {"surface": "rosenbrock", "steps": 5, "runs": [{"optimizer": "adam"}, {"optimizer": oid}]}
        r = client.post(path, json=body)
        assert r.status_code == 422, r.text
        detail = r.json()["detail"]
        assert detail[0]["loc"][-3:] == ["runs", 1, "optimizer"]
        assert OPTIMIZERS[oid].name in detail[0]["msg"] and "network" in detail[0]["msg"]


@pytest.mark.parametrize("case", GOLDEN["training"], ids=[c["run"]["optimizer"] for c in GOLDEN["training"]])
def test_training_the_course_network_matches_torch_per_epoch(case: dict) -> None:
    """The network's training loop (app.engine.network: ``build(ARRAY, params, layout=net.layout)``)
    against torch's Adafactor, Muon + AdamW and optax's LAMB on torch's gradients: the course's
    network on moons, mini-batches of 64; every epoch's train and test loss and every batch loss."""
    from app.engine.network import DataConfig, ModelConfig, NetworkProblem, train
    from app.engine.problem import RunConfig
    from app.engine.schedules import SCHEDULES

    spec, m, run = OPTIMIZERS[case["run"]["optimizer"]], case["model"], case["run"]
    config = RunConfig(
        optimizer=spec,
        params=spec.resolve(run["params"], "optimizer"),
        schedule=SCHEDULES["constant"],
        schedule_params=SCHEDULES["constant"].resolve({}, "schedule"),
        batch_size=run["batch_size"],
    )
    model = ModelConfig(hidden=tuple(m["hidden"]), activation=m["activation"], init=m["init"], seed=m["seed"])
    problem = NetworkProblem(DataConfig(**case["data"]), model, case["epochs"], case["seed"], (config,))
    result = train(problem).results[0]
    want = case["expected"]
    assert result.status == "max_steps"
    for key in ("train_loss", "test_loss", "batch_loss"):
        got = getattr(result, key)
        assert len(got) == len(want[key]), key
        np.testing.assert_allclose(got, want[key], rtol=1e-10, atol=0, err_msg=key)
    assert want["train_loss"][-1] < 0.7 * want["train_loss"][0]  # the case trains: a real comparison


def test_the_cost_model_counts_each_matrix_optimizers_update() -> None:
    """The network's estimate adds each matrix optimizer's own cost per update (its module's model:
    NumPy calls per tensor), which follows the layout and Muon's Newton–Schulz steps, and is of the
    order of the measured time (best of three, a loose bound: the machine is shared)."""
    import time

    from app.engine.network import DataConfig, ModelConfig, Network, NetworkProblem, estimate
    from app.engine.problem import RunConfig
    from app.engine.schedules import SCHEDULES

    net = Network(ModelConfig(hidden=(16, 16)))
    constant = SCHEDULES["constant"]

    def problem(oid: str, params: dict | None = None) -> NetworkProblem:
        spec = OPTIMIZERS[oid]
        run = RunConfig(spec, spec.resolve(params, "optimizer"), constant, {}, batch_size=64)
        return NetworkProblem(DataConfig(), net.cfg, 20, 0, (run,))

    updates = 20 * 4  # 225 training samples in batches of 64
    # the matrix optimizers share the rest of the estimate (data, passes, the driver's element term):
    # two of them differ by exactly their own costs per update
    first = MATRIX[0]
    base = estimate(problem(first)) - updates * OPTIMIZERS[first].update_seconds(
        net.layout, OPTIMIZERS[first].resolve({}, "optimizer")
    )
    for oid in MATRIX:
        spec = OPTIMIZERS[oid]
        p = spec.resolve({}, "optimizer")
        per_update = spec.update_seconds(net.layout, p)
        assert per_update > 0 and OPTIMIZERS["adam"].update_seconds(net.layout, {}) == 0.0
        assert estimate(problem(oid)) == pytest.approx(base + updates * per_update, rel=1e-9)
        assert spec.update_seconds(net.layout[:2], p) < per_update  # fewer tensors, less
        opt = spec.build(ARRAY, p, layout=net.layout)
        theta = net.init()
        state, g = opt.init(theta), np.full(net.size, 0.01)
        best = math.inf
        for _ in range(3):
            start = time.perf_counter()
            for _ in range(50):
                theta, state = opt.update(g, state, theta, 0.001)
            best = min(best, (time.perf_counter() - start) / 50)
        assert 0.05 < best / per_update < 20, (oid, best, per_update)
    muon = OPTIMIZERS["muon"]
    assert muon.update_seconds(net.layout, {"ns_steps": 10}) > muon.update_seconds(net.layout, {"ns_steps": 5})
