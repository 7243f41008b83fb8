"""The network's loss and hand-written gradients: finite differences, torch autograd, batching."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from app.engine.network import DataConfig, ModelConfig, Network, make_data

GOLDEN = Path(__file__).resolve().parents[2] / "golden" / "torch_network_golden.json"


def _central_differences(net: Network, theta: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    h = 1e-6
    out = np.empty_like(theta)
    for i in range(theta.size):
        e = np.zeros_like(theta)
        e[i] = h
        out[i] = (net.loss(theta + e, x, y) - net.loss(theta - e, x, y)) / (2 * h)
    return out


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid"])
@pytest.mark.parametrize("hidden", [(), (4,), (5, 3)])
def test_gradient_matches_central_differences(activation: str, hidden: tuple[int, ...]) -> None:
    d = make_data(DataConfig(samples=60, seed=2))
    net = Network(ModelConfig(hidden=hidden, activation=activation, seed=1))
    theta = net.init() + 0.1 * np.random.default_rng(0).standard_normal(net.size)  # biases off 0
    loss, grad = net.loss_grad(theta, d.x_train, d.y_train)
    assert loss == pytest.approx(net.loss(theta, d.x_train, d.y_train), rel=1e-14)
    fd = _central_differences(net, theta, d.x_train, d.y_train)
    assert np.abs(grad - fd).max() < 1e-8 * max(1.0, np.abs(fd).max())


def test_batched_runs_equal_single_runs_and_chunks() -> None:
    d = make_data(DataConfig(samples=100))
    net = Network(ModelConfig(hidden=(6, 4), activation="tanh"))
    thetas = net.init() + 0.3 * np.random.default_rng(1).standard_normal((7, net.size))
    losses, grads = net.loss_grads(thetas, d.x_train, d.y_train)
    for k in range(7):
        lk, gk = net.loss_grad(thetas[k], d.x_train, d.y_train)
        assert losses[k] == pytest.approx(lk, rel=1e-13)
        assert np.allclose(grads[k], gk, rtol=1e-12, atol=1e-15)
    assert np.allclose(net.losses(thetas, d.x_train, d.y_train), losses, rtol=1e-13)
    small = Network(ModelConfig(hidden=(6, 4), activation="tanh"))
    small.chunk = lambda n: 2  # type: ignore[method-assign]  # 7 vectors in chunks of 2
    l2, g2 = small.loss_grads(thetas, d.x_train, d.y_train)
    assert np.array_equal(l2, losses) and np.array_equal(g2, grads)


def test_layout_and_init_follow_torch_and_the_seed() -> None:
    net = Network(ModelConfig(hidden=(5, 2), init="he", seed=3))
    assert [(layer.name, layer.shape) for layer in net.layout] == [
        ("W1", (5, 2)),
        ("b1", (5,)),
        ("W2", (2, 5)),
        ("b2", (2,)),
        ("W3", (1, 2)),
        ("b3", (1,)),
    ]
    assert net.size == 10 + 5 + 10 + 2 + 2 + 1
    theta = net.init()
    assert np.array_equal(theta, net.init())
    _, b1, _, b2, _, b3 = net.unflatten(theta)
    assert not b1.any() and not b2.any() and not b3.any()
    big = Network(ModelConfig(hidden=(400,), init="he", seed=0)).unflatten(
        Network(ModelConfig(hidden=(400,), seed=0)).init()
    )
    assert big[2].std() == pytest.approx(np.sqrt(2 / 400), rel=0.1)  # He: √(2/fan_in)
    xav = Network(ModelConfig(hidden=(400,), init="xavier", seed=0))
    assert xav.unflatten(xav.init())[2].std() == pytest.approx(np.sqrt(2 / 401), rel=0.1)
    assert not np.array_equal(theta, Network(ModelConfig(hidden=(5, 2), seed=4)).init())


def test_logistic_regression_and_accuracy() -> None:
    net = Network(ModelConfig(hidden=()))
    assert net.size == 3
    x = np.array([[1.0, 0.0], [-1.0, 0.0], [2.0, 1.0]])
    y = np.array([1.0, 0.0, 0.0])
    theta = np.array([3.0, 0.0, 0.0])  # z = 3·x₁
    p = net.prob(theta, x)
    assert np.allclose(p, 1 / (1 + np.exp(-3 * x[:, 0])))
    assert net.accuracy(theta, x, y) == pytest.approx(2 / 3)
    expected = np.mean(np.log1p(np.exp(3 * x[:, 0])) - y * 3 * x[:, 0])
    assert net.loss(theta, x, y) == pytest.approx(expected, rel=1e-14)


def test_loss_is_stable_at_large_logits() -> None:
    net = Network(ModelConfig(hidden=()))
    x, y = np.array([[1.0, 0.0]]), np.array([0.0])
    loss, grad = net.loss_grad(np.array([1000.0, 0.0, 0.0]), x, y)
    assert loss == pytest.approx(1000.0) and np.isfinite(grad).all()


def test_bad_model_configs_are_refused_by_name() -> None:
    with pytest.raises(ValueError, match="activation"):
        ModelConfig(activation="gelu")
    with pytest.raises(ValueError, match="init"):
        ModelConfig(init="orthogonal")
    with pytest.raises(ValueError, match=r"hidden widths.*\[5, 0\]"):
        ModelConfig(hidden=(5, 0))


@pytest.mark.skipif(not GOLDEN.exists(), reason="golden data not generated yet")
def test_gradients_match_torch_autograd() -> None:
    golden = json.loads(GOLDEN.read_text())
    for case in golden["gradients"]:
        net = Network(ModelConfig(hidden=tuple(case["hidden"]), activation=case["activation"]))
        x, y = np.array(case["x"]), np.array(case["y"])
        loss, grad = net.loss_grad(np.array(case["theta"]), x, y)
        assert loss == pytest.approx(case["loss"], rel=1e-12)
        assert np.allclose(grad, case["grad"], rtol=1e-10, atol=1e-14)
