"""The network: a multilayer perceptron for 2D two-class data, its loss and its gradient.

The model is torch's ``nn.Sequential(nn.Linear(2, h₁), act, …, nn.Linear(h_L, 1))`` with a sigmoid
on the output: hidden widths ``hidden`` (empty: logistic regression), ``relu``, ``tanh`` or
``sigmoid`` hidden activations. Its parameters are one vector θ of P numbers, the tensors in the
order torch's ``parameters()`` yields them (W1 [out, in], b1 [out], W2, b2, …), each flattened
row-major and concatenated (`Network.layout`).

Loss: the mean binary cross-entropy over the samples, computed from the output's logit z as
softplus(z) − y·z, torch's ``BCEWithLogitsLoss`` value; torch's ``Sigmoid`` then ``BCELoss`` gives
the same up to its clamping of log p at −100.

Init (``init``): weights normal with standard deviation √(2/fan_in) (``he``, torch's
``kaiming_normal_(nonlinearity="relu")``, the course's "He initialization") or
√(2/(fan_in + fan_out)) (``xavier``, torch's ``xavier_normal_``), biases 0, drawn from
``numpy.random.default_rng(seed)`` layer by layer, W1 first (row-major). torch's default init
differs: ``nn.Linear`` draws weights and biases uniform in ±1/√fan_in (Kaiming uniform with
a = √5); the export therefore copies the vector into the torch model, it does not re-draw it.

Gradients are hand-written backpropagation, vectorized over the samples and over K parameter
vectors at once (`Network.loss_grads`: K runs' gradients on one batch, the training's speed path;
`Network.losses`: K vectors' losses, the plane's grid), in chunks of K so that memory stays bounded
(`MEMORY_FLOATS`) and a chunk's layers stay in the caches (`CACHE_FLOATS`), with the deadline
checked between chunks, and the chunks shared among the engine's idle threads when the work is large
enough (`Network._chunks`: the same bits with one thread or many). The hidden layers' products are
NumPy's batched matmul (BLAS, the weights transposed contiguous); the first layer (2 inputs) and the
element-wise passes that would each read and write a whole layer are compiled and fused
(app/engine/network/kernels.py: the first layer's product with its bias, the hidden bias with the
ReLU, the output's ∂loss/∂z, the activation's derivative with the bias's gradient); tanh, exp and
log1p stay NumPy's vectorized ufuncs (faster than compiled code here), and the products BLAS's.
"""

from __future__ import annotations

import itertools
import math
import threading
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .. import deadline as _deadline
from ..kernels import threads
from . import kernels as _k

ACTIVATIONS = ("relu", "tanh", "sigmoid")
INITS = ("he", "xavier")

MEMORY_FLOATS = 1 << 22  # the most float64 values a chunk's activations hold (32 MiB)
# the most values one layer's activations of a chunk hold (2 MiB): a chunk's arrays then stay in
# the cores' caches (measured: a 51 × 51 grid of 2→16→16→1 on 1,000 samples in chunks of 16
# vectors took half the time of chunks of 116)
CACHE_FLOATS = 1 << 18

# The passes' cost model, fitted to measurements on the reference machine (2 cores shared, NumPy
# with one BLAS thread; 56 shapes from 2→2→1 to 2→128→128→1, 64 and 1,000 samples, 1 and 8 runs:
# within a factor 2): a batched gradient call (`Network.loss_grads`) on b samples of k vectors
# costs GRAD_CALL + b·k·(GRAD_UNIT·units + GRAD_MAC·macs) (units: the hidden and output units,
# macs: the weights), a forward pass (`Network.losses`, `evaluate`) EVAL_CALL + b·k·(EVAL_UNIT·units
# + EVAL_MAC·macs) (`Network.seconds`; fitted before the compiled first layer, which made the
# passes faster: an upper bound).
GRAD_CALL, GRAD_UNIT, GRAD_MAC = 90e-6, 3.9e-9, 0.16e-9
EVAL_CALL, EVAL_UNIT, EVAL_MAC = 47e-6, 1.9e-9, 0.045e-9


@dataclass(frozen=True)
class ModelConfig:
    """The network's shape, hidden activation, init and the init's seed."""

    hidden: tuple[int, ...] = (5, 2)
    activation: str = "relu"
    init: str = "he"
    seed: int = 3

    def __post_init__(self) -> None:
        if any(isinstance(h, bool) or not isinstance(h, int) or h < 1 for h in self.hidden):
            raise ValueError(f"model hidden widths must be whole numbers >= 1, got {list(self.hidden)!r}")
        if self.activation not in ACTIVATIONS:
            raise ValueError(f"model activation must be one of {', '.join(ACTIVATIONS)}, got {self.activation!r}")
        if self.init not in INITS:
            raise ValueError(f"model init must be one of {', '.join(INITS)}, got {self.init!r}")


@dataclass(frozen=True)
class Layer:
    name: str  # "W1", "b1", "W2", "b2", ... (torch nn.Sequential of nn.Linear order)
    shape: tuple[int, ...]  # weight (out, in), bias (out,)

    @property
    def size(self) -> int:
        return math.prod(self.shape)


def _sigmoid(z: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """1/(1 + e^(−z)), into ``out`` if given (may be z itself)."""
    with np.errstate(over="ignore"):  # e^(−z) = inf far left: 1/inf = 0, the right value
        r: np.ndarray = np.negative(z, out=out)
        np.exp(r, out=r)
        r += 1.0
        np.reciprocal(r, out=r)
    return r


def _activate(kind: int, z: np.ndarray, b: np.ndarray | None) -> np.ndarray:
    """The hidden activation of z + b in place (b None: z holds the bias already): the bias one
    compiled pass, the ReLU inline; tanh and the sigmoid NumPy's vectorized ufuncs (see kernels)."""
    if b is not None:
        _k.add_bias(kind, z, np.ascontiguousarray(b))
    if kind == _k.RELU:
        return z
    if kind == _k.TANH:
        np.tanh(z, out=z)
        return z
    return _sigmoid(z, out=z)


class Network:
    """The MLP of ``cfg`` on ``inputs`` features, its parameters one flat vector (see the module)."""

    def __init__(self, cfg: ModelConfig, inputs: int = 2) -> None:
        self.cfg = cfg
        self.inputs = inputs
        widths = (inputs, *cfg.hidden, 1)
        self.widths = widths
        layout: list[Layer] = []
        for i, (fan_in, fan_out) in enumerate(itertools.pairwise(widths), start=1):
            layout += [Layer(f"W{i}", (fan_out, fan_in)), Layer(f"b{i}", (fan_out,))]
        self.layout: tuple[Layer, ...] = tuple(layout)
        self.size = sum(layer.size for layer in layout)
        self._kind = ACTIVATIONS.index(cfg.activation)  # the compiled passes' activation number
        offsets = np.cumsum([0] + [layer.size for layer in layout])
        self._slices = [(int(a), int(b)) for a, b in itertools.pairwise(offsets)]

    @property
    def mults(self) -> int:
        """Multiply-adds of one sample's forward pass, activations counted (the cost model's unit)."""
        return sum(a * b for a, b in itertools.pairwise(self.widths)) + sum(self.widths)

    def seconds(self, samples: int, runs: int, grad: bool = False) -> float:
        """The estimated seconds of one batched pass over ``samples`` samples of ``runs`` vectors,
        forward (``grad`` False) or with the gradients (the cost model above)."""
        units, macs = sum(self.widths[1:]), self.mults - sum(self.widths)
        call, unit, mac = (GRAD_CALL, GRAD_UNIT, GRAD_MAC) if grad else (EVAL_CALL, EVAL_UNIT, EVAL_MAC)
        return call + samples * runs * (unit * units + mac * macs)

    def init(self) -> np.ndarray:
        """The initial parameters (P,): weights normal (He or Xavier std), biases 0, from cfg.seed."""
        rng = np.random.default_rng(self.cfg.seed)
        theta = np.zeros(self.size)
        for layer, (a, b) in zip(self.layout, self._slices, strict=True):
            if len(layer.shape) == 2:
                fan_out, fan_in = layer.shape
                std = math.sqrt(2.0 / fan_in) if self.cfg.init == "he" else math.sqrt(2.0 / (fan_in + fan_out))
                theta[a:b] = std * rng.standard_normal(layer.size)
        return theta

    def unflatten(self, theta: np.ndarray) -> list[np.ndarray]:
        """The tensors of θ (..., P) in layout order, each (..., *shape), views where θ allows."""
        lead = theta.shape[:-1]
        return [
            theta[..., a:b].reshape(*lead, *layer.shape)
            for layer, (a, b) in zip(self.layout, self._slices, strict=True)
        ]

    # --- one parameter vector ------------------------------------------------------------------

    def loss_grad(self, theta: np.ndarray, x: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
        """The mean BCE of θ on (x, y) and its gradient (P,)."""
        loss, grad = self.loss_grads(np.asarray(theta, dtype=np.float64)[None, :], x, y)
        return float(loss[0]), grad[0]

    def loss(self, theta: np.ndarray, x: np.ndarray, y: np.ndarray) -> float:
        return float(self.losses(np.asarray(theta, dtype=np.float64)[None, :], x, y)[0])

    def logits(self, thetas: np.ndarray, x: np.ndarray) -> np.ndarray:
        """The output logits z (K, n) of K parameter vectors (K, P) on x (n, inputs)."""
        return self._forward(thetas, x)[1]

    def prob(self, theta: np.ndarray, x: np.ndarray) -> np.ndarray:
        """P(y = 1 | x) (n,) under θ."""
        return _sigmoid(self.logits(np.asarray(theta, dtype=np.float64)[None, :], x)[0])

    def accuracy(self, theta: np.ndarray, x: np.ndarray, y: np.ndarray) -> float:
        """The share of samples classified right (p > 0.5 means class 1); nan for no samples."""
        return float(self.accuracies(np.asarray(theta, dtype=np.float64)[None, :], x, y)[0])

    # --- K parameter vectors at once -----------------------------------------------------------

    def chunk(self, n: int) -> int:
        """How many parameter vectors one chunk holds on n samples (bounded memory, cached layers)."""
        n = max(1, n)
        return max(1, min(MEMORY_FLOATS // (n * (sum(self.widths) + 1)), CACHE_FLOATS // (n * max(self.widths))))

    def losses(self, thetas: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """The mean BCE (K,) of K parameter vectors (K, P), in chunks (deadline-checked)."""
        thetas = np.asarray(thetas, dtype=np.float64)
        out = np.empty(thetas.shape[0])

        def part(a: int, b: int) -> None:
            out[a:b] = _bce(self.logits(thetas[a:b], x), y)

        self._chunks(thetas.shape[0], x.shape[0], False, part)
        return out

    def accuracies(self, thetas: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """The accuracy (K,) of K parameter vectors (K, P), in chunks; nan for no samples."""
        return self.evaluate(thetas, x, y)[1]

    def loss_grads(self, thetas: np.ndarray, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The losses (K,) and gradients (K, P) of K parameter vectors on one batch (x, y)."""
        losses, grads, _ = self.loss_grads_accuracy(thetas, x, y)
        return losses, grads

    def loss_grads_accuracy(
        self, thetas: np.ndarray, x: np.ndarray, y: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """`loss_grads` and the accuracies (K,) from the same forward pass."""
        thetas = np.asarray(thetas, dtype=np.float64)
        K = thetas.shape[0]
        losses, grads, accs = np.empty(K), np.empty((K, self.size)), np.empty(K)

        def part(a: int, b: int) -> None:
            losses[a:b], accs[a:b] = self._backward(thetas[a:b], x, y, grads[a:b])

        self._chunks(K, x.shape[0], True, part)
        return losses, grads, accs

    # --- the passes ------------------------------------------------------------------------------

    def evaluate(self, thetas: np.ndarray, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The losses and accuracies (K,) of K parameter vectors, from one forward pass (chunked)."""
        thetas = np.asarray(thetas, dtype=np.float64)
        if x.shape[0] == 0:  # no samples (no test split): nan, without a pass over nothing
            return np.full(thetas.shape[0], math.nan), np.full(thetas.shape[0], math.nan)
        losses, accs = np.empty(thetas.shape[0]), np.empty(thetas.shape[0])

        def part(a: int, b: int) -> None:
            z = self.logits(thetas[a:b], x)
            losses[a:b], accs[a:b] = _bce(z, y), _accuracy(z, y)

        self._chunks(thetas.shape[0], x.shape[0], False, part)
        return losses, accs

    def _chunks(self, K: int, n: int, grad: bool, part: Callable[[int, int], None]) -> None:
        """``part(a, b)`` over K vectors in chunks of `chunk` (bounded memory), deadline-checked,
        and shared among the engine's idle threads when the work is large enough
        (`threads.run_rows`: NumPy's products and ufuncs and the compiled passes release the GIL;
        each part writes its own rows, and a vector's result does not depend on its chunk, so the
        answer is the same bits with one thread or many)."""
        step = self.chunk(n)

        def work(a: int, b: int, d: float | None, halt: threading.Event | None) -> None:
            for k in range(a, b, step):
                _deadline.check(d)
                if halt is not None and halt.is_set():
                    return
                part(k, min(b, k + step))

        threads.run_rows(K, 1, K * (self.seconds(n, 1, grad) - (GRAD_CALL if grad else EVAL_CALL)), work)

    def _forward(self, thetas: np.ndarray, x: np.ndarray) -> tuple[list[np.ndarray], np.ndarray, list[np.ndarray]]:
        """The hidden activations a_l (K, n, width) of every layer, the output logits (K, n) and
        the parameters' tensors."""
        tensors = self.unflatten(thetas)
        acts: list[np.ndarray] = []
        a: np.ndarray = x  # (n, in), shared by the K vectors on the first layer
        layers = len(tensors) // 2
        kind = self._kind
        for i in range(layers - 1):
            w, b = np.ascontiguousarray(tensors[2 * i]), np.ascontiguousarray(tensors[2 * i + 1])
            if i == 0:  # the first layer's product over few inputs, with its bias: one compiled pass
                a = np.empty((thetas.shape[0], x.shape[0], w.shape[1]))
                _k.first_layer(kind, np.ascontiguousarray(x, dtype=np.float64), w, b, a)
                a = _activate(kind, a, None)
            else:  # BLAS, the weights transposed once (contiguous: faster than a transposed view)
                a = _activate(kind, np.matmul(a, np.ascontiguousarray(w.swapaxes(-1, -2))), b)
            acts.append(a)
        w, b = tensors[-2], tensors[-1]  # the output layer: one unit
        z = np.matmul(a, w[:, 0, :, None])[..., 0] if layers > 1 else np.matmul(w[:, 0, :], a.T)
        z += b
        return acts, z, tensors

    def _backward(
        self, thetas: np.ndarray, x: np.ndarray, y: np.ndarray, out: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Backpropagation: the losses and accuracies (K,), the gradients written into ``out`` (K, P)."""
        acts, z, tensors = self._forward(thetas, x)
        n, kind = x.shape[0], self._kind
        e = np.exp(-np.abs(z))
        loss = (_bce(z, y, e), _accuracy(z, y))
        grads = self.unflatten(out)
        dz = np.empty_like(z)  # ∂loss/∂z of the output layer (K, n): (σ(z) − y)/n
        _k.output_dz(z, e, np.ascontiguousarray(y, dtype=np.float64), 1.0 / n, dz)
        layers = len(tensors) // 2
        prev = acts[-1] if acts else x
        grads[-2][:, 0, :] = np.matmul(dz[:, None, :], prev)[:, 0, :] if acts else dz @ x
        grads[-1][:, 0] = dz.sum(axis=-1)
        if not acts:
            return loss
        K, width = acts[-1].shape[0], acts[-1].shape[2]
        da, db = np.empty_like(acts[-1]), np.empty((K, width))
        _k.output_back(kind, dz, np.ascontiguousarray(tensors[-2][:, 0, :]), acts[-1], da, db)
        for i in range(layers - 2, -1, -1):  # da: ∂loss/∂z of hidden layer i (K, n, out)
            grads[2 * i + 1][...] = db
            grads[2 * i][...] = np.matmul(da.swapaxes(-1, -2), acts[i - 1] if i > 0 else x)
            if i > 0:
                da = np.matmul(da, tensors[2 * i])
                db = np.empty((K, da.shape[2]))
                _k.hidden_back(kind, da, acts[i - 1], db)
        return loss


def _accuracy(z: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The share of samples whose class the logits z (..., n) get right (z > 0: class 1)."""
    if z.shape[-1] == 0:
        return np.full(z.shape[:-1], math.nan)
    out: np.ndarray = np.count_nonzero((z > 0.0) == (y > 0.5), axis=-1) / z.shape[-1]
    return out


def _bce(z: np.ndarray, y: np.ndarray, e: np.ndarray | None = None) -> np.ndarray:
    """Mean binary cross-entropy from logits z (..., n) and labels y (n,): softplus(z) − y·z, with
    softplus(z) = max(z, 0) + log1p(e), e = exp(−|z|) (given: the backward pass's)."""
    if z.shape[-1] == 0:
        return np.full(z.shape[:-1], math.nan)
    terms = np.log1p(np.exp(-np.abs(z)) if e is None else e)
    terms += np.maximum(z, 0.0)
    terms -= y * z
    out: np.ndarray = terms.sum(axis=-1) / z.shape[-1]
    return out
