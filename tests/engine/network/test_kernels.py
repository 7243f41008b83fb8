"""The network's compiled passes (app/engine/network/kernels.py) and how they are run: against
plain NumPy, chunk- and thread-independent, compiled once, and OpenBLAS pinned by the server."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

from app.engine.kernels import threads
from app.engine.network import DataConfig, ModelConfig, Network, make_data
from app.engine.network import kernels as K
from app.engine.network.model import ACTIVATIONS

RNG = np.random.default_rng(7)
ROOT = Path(__file__).resolve().parents[3]  # this tree's app, whatever is installed


def _numpy_forward(net: Network, theta: np.ndarray, x: np.ndarray) -> np.ndarray:
    """The logits (n,) of one vector, layer by layer in plain NumPy (libm's tanh via NumPy)."""
    f = {"relu": lambda z: np.maximum(z, 0.0), "tanh": np.tanh, "sigmoid": lambda z: 1.0 / (1.0 + np.exp(-z))}
    tensors = net.unflatten(theta)
    a = x
    for i in range(0, len(tensors) - 2, 2):
        a = f[net.cfg.activation](a @ tensors[i].T + tensors[i + 1])
    out: np.ndarray = (a @ tensors[-2].T + tensors[-1])[:, 0]
    return out


@pytest.mark.parametrize("kind", [K.RELU, K.TANH, 2])
def test_first_layer_is_the_product_and_bias(kind: int) -> None:
    x, w, b = RNG.standard_normal((50, 2)), RNG.standard_normal((3, 7, 2)), RNG.standard_normal((3, 7))
    z = np.empty((3, 50, 7))
    K.first_layer(kind, x, w, b, z)
    want = np.matmul(x, w.swapaxes(-1, -2)) + b[:, None, :]
    if kind == K.RELU:
        want = np.maximum(want, 0.0)  # the others' activation is the caller's NumPy pass
    np.testing.assert_allclose(z, want, rtol=1e-14, atol=1e-15)


@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("hidden", [(), (5,), (16, 16), (4, 3, 2)])
def test_logits_match_plain_numpy(activation: str, hidden: tuple[int, ...]) -> None:
    net = Network(ModelConfig(hidden=hidden, activation=activation))
    x = RNG.standard_normal((40, 2))
    thetas = net.init() + 0.5 * RNG.standard_normal((5, net.size))
    got = net.logits(thetas, x)
    for k in range(5):
        np.testing.assert_allclose(got[k], _numpy_forward(net, thetas[k], x), rtol=1e-12, atol=1e-13)


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_each_vector_gets_the_same_bits_alone_or_in_any_chunk(activation: str) -> None:
    """A vector's loss and gradient do not depend on the vectors computed beside it (what lets
    the passes be cut into chunks and shared among threads)."""
    net = Network(ModelConfig(hidden=(16, 8), activation=activation))
    d = make_data(DataConfig(samples=200))
    thetas = net.init() + 0.3 * RNG.standard_normal((7, net.size))
    losses, grads = net.loss_grads(thetas, d.x_train, d.y_train)
    for k in (0, 3, 6):
        one, g = net.loss_grad(thetas[k], d.x_train, d.y_train)
        assert one == losses[k]
        assert np.array_equal(g, grads[k])
        assert net.loss(thetas[k], d.x_train, d.y_train) == net.losses(thetas, d.x_train, d.y_train)[k]


def test_threads_give_the_same_bits(monkeypatch: pytest.MonkeyPatch) -> None:
    """The grid's losses and a batch's gradients of many vectors, one thread against two (the
    second one taken whenever the work is large enough)."""
    net = Network(ModelConfig(hidden=(16, 16), activation="tanh"))
    d = make_data(DataConfig(samples=1000))
    thetas = net.init() + 0.1 * RNG.standard_normal((300, net.size))
    parts: list[int] = []
    run_rows = threads.run_rows

    def counted(rows: int, block: int, seconds: float, work: threads.RowWork) -> None:
        def w(a: int, b: int, dl: float | None, halt: threading.Event | None) -> None:
            parts.append(b - a)
            work(a, b, dl, halt)

        run_rows(rows, block, seconds, w)

    monkeypatch.setattr(threads, "run_rows", counted)
    monkeypatch.setattr(threads, "THREADS", 1)
    one = net.losses(thetas, d.x_train, d.y_train), net.loss_grads(thetas, d.x_train, d.y_train)
    assert parts == [300, 300]
    monkeypatch.setattr(threads, "THREADS", 2)
    monkeypatch.setattr(threads, "_idle", threading.Semaphore(1))
    parts.clear()
    two = net.losses(thetas, d.x_train, d.y_train), net.loss_grads(thetas, d.x_train, d.y_train)
    assert sorted(parts) == [150, 150, 150, 150]
    assert np.array_equal(one[0], two[0])
    assert np.array_equal(one[1][0], two[1][0]) and np.array_equal(one[1][1], two[1][1])


def test_every_activation_and_depth_compiles_each_pass_once() -> None:
    """The activation is an argument and every array is passed contiguous: the install's
    warm-up (one small ReLU network) compiles what every network uses."""
    d = make_data(DataConfig(samples=30))
    for activation in ACTIVATIONS:
        for hidden in ((3,), (4, 2), (3, 3, 3)):
            net = Network(ModelConfig(hidden=hidden, activation=activation))
            net.loss_grads(np.stack([net.init()] * 2), d.x_train[:7], d.y_train[:7])
            net.losses(np.stack([net.init()] * 3), d.x_test, d.y_test)
    for kernel in (K.first_layer, K.add_bias, K.output_dz, K.hidden_back, K.output_back):
        assert len(getattr(kernel, "signatures", [None])) == 1, kernel


def test_the_server_pins_openblas_to_one_thread() -> None:
    """`threads.pin_blas` (called by `optiviz serve`): OpenBLAS, loaded by NumPy with every core,
    then runs on one, and the processes it starts inherit OPENBLAS_NUM_THREADS=1; an explicit
    setting is left alone."""
    code = (
        "import os, numpy; from app.engine.kernels import threads; "
        "print(threads.pin_blas(), os.environ.get('OPENBLAS_NUM_THREADS'))"
    )
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"} | {"PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout
    assert out.split() == ["[1]", "1"]
    out = subprocess.run(
        [sys.executable, "-c", code],
        env=env | {"OPENBLAS_NUM_THREADS": "2"},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert out.split() == ["[]", "2"]


def test_no_samples_give_nan_without_a_pass() -> None:
    """A data set without a test split: its loss and accuracy are nan (no pass is made)."""
    net = Network(ModelConfig(hidden=(4,), activation="tanh"))
    d = make_data(DataConfig(samples=40, test_fraction=0.0))
    assert d.x_test.shape[0] == 0
    losses, accs = net.evaluate(np.stack([net.init()] * 3), d.x_test, d.y_test)
    assert np.isnan(losses).all() and np.isnan(accs).all() and losses.shape == accs.shape == (3,)
    assert np.isnan(net.losses(np.stack([net.init()] * 2), d.x_test, d.y_test)).all()
