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
(`MEMORY_FLOATS`), with the deadline checked between chunks.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .. import deadline as _deadline

ACTIVATIONS = ("relu", "tanh", "sigmoid")
INITS = ("he", "xavier")

MEMORY_FLOATS = 1 << 22  # the most float64 values a chunk's activations hold (32 MiB)


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


def _sigmoid(z: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):  # exp(−z) = inf far left: 1/inf = 0, the right value
        out: np.ndarray = 1.0 / (1.0 + np.exp(-z))
    return out


# hidden activations: a = f(z), and f'(z) from z and a
_ACT: dict[str, Callable[[np.ndarray], np.ndarray]] = {"relu": lambda z: np.maximum(z, 0.0), "tanh": np.tanh}
_ACT["sigmoid"] = _sigmoid


def _derivative(name: str, z: np.ndarray, a: np.ndarray) -> np.ndarray:
    if name == "relu":
        return (z > 0.0).astype(np.float64)  # torch: 0 at z = 0
    out: np.ndarray = 1.0 - a * a if name == "tanh" else a * (1.0 - a)
    return out


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
        offsets = np.cumsum([0] + [layer.size for layer in layout])
        self._slices = [(int(a), int(b)) for a, b in itertools.pairwise(offsets)]

    @property
    def mults(self) -> int:
        """Multiply-adds of one sample's forward pass, activations counted (the cost model's unit)."""
        return sum(a * b for a, b in itertools.pairwise(self.widths)) + sum(self.widths)

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
        return self._forward(thetas, x)[0][-1][..., 0]

    def prob(self, theta: np.ndarray, x: np.ndarray) -> np.ndarray:
        """P(y = 1 | x) (n,) under θ."""
        return _sigmoid(self.logits(np.asarray(theta, dtype=np.float64)[None, :], x)[0])

    def accuracy(self, theta: np.ndarray, x: np.ndarray, y: np.ndarray) -> float:
        """The share of samples classified right (p > 0.5 means class 1); nan for no samples."""
        return float(self.accuracies(np.asarray(theta, dtype=np.float64)[None, :], x, y)[0])

    # --- K parameter vectors at once -----------------------------------------------------------

    def chunk(self, n: int) -> int:
        """How many parameter vectors one chunk holds on n samples (memory bound)."""
        return max(1, MEMORY_FLOATS // max(1, n * (sum(self.widths) + 1)))

    def losses(self, thetas: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """The mean BCE (K,) of K parameter vectors (K, P), in chunks (deadline-checked)."""
        thetas = np.asarray(thetas, dtype=np.float64)
        out = np.empty(thetas.shape[0])
        step = self.chunk(x.shape[0])
        for k in range(0, thetas.shape[0], step):
            _deadline.check()
            z = self.logits(thetas[k : k + step], x)
            out[k : k + step] = _bce(z, y)
        return out

    def accuracies(self, thetas: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """The accuracy (K,) of K parameter vectors (K, P), in chunks; nan for no samples."""
        thetas = np.asarray(thetas, dtype=np.float64)
        out = np.full(thetas.shape[0], math.nan)
        if x.shape[0] == 0:
            return out
        step = self.chunk(x.shape[0])
        for k in range(0, thetas.shape[0], step):
            _deadline.check()
            z = self.logits(thetas[k : k + step], x)
            out[k : k + step] = ((z > 0.0) == (y > 0.5)).mean(axis=-1)
        return out

    def loss_grads(self, thetas: np.ndarray, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The losses (K,) and gradients (K, P) of K parameter vectors on one batch (x, y)."""
        thetas = np.asarray(thetas, dtype=np.float64)
        K = thetas.shape[0]
        losses, grads = np.empty(K), np.empty((K, self.size))
        step = self.chunk(x.shape[0])
        for k in range(0, K, step):
            _deadline.check()
            losses[k : k + step] = self._backward(thetas[k : k + step], x, y, grads[k : k + step])
        return losses, grads

    # --- the passes ------------------------------------------------------------------------------

    def _forward(self, thetas: np.ndarray, x: np.ndarray) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """Pre-activations z_l (K, n, out) of every layer and the hidden activations a_l."""
        tensors = self.unflatten(thetas)
        act = _ACT[self.cfg.activation]
        zs: list[np.ndarray] = []
        acts: list[np.ndarray] = []
        a: np.ndarray = x  # (n, in), shared by the K vectors on the first layer
        layers = len(tensors) // 2
        for i in range(layers):
            w, b = tensors[2 * i], tensors[2 * i + 1]
            z = np.matmul(a, w.swapaxes(-1, -2))
            z += b[:, None, :]
            zs.append(z)
            if i < layers - 1:
                a = act(z)
                acts.append(a)
        return zs, acts

    def _backward(self, thetas: np.ndarray, x: np.ndarray, y: np.ndarray, out: np.ndarray) -> np.ndarray:
        """Backpropagation: the losses (K,), the gradients written into ``out`` (K, P)."""
        zs, acts = self._forward(thetas, x)
        n = x.shape[0]
        z = zs[-1][..., 0]  # (K, n)
        loss = _bce(z, y)
        tensors = self.unflatten(thetas)
        grads = self.unflatten(out)
        dz = ((_sigmoid(z) - y) / n)[..., None]  # ∂loss/∂z of the output layer (K, n, 1)
        for i in range(len(tensors) // 2 - 1, -1, -1):
            prev = acts[i - 1] if i > 0 else x
            grads[2 * i][...] = np.matmul(dz.swapaxes(-1, -2), prev)
            grads[2 * i + 1][...] = dz.sum(axis=-2)
            if i > 0:
                da = np.matmul(dz, tensors[2 * i])
                dz = da * _derivative(self.cfg.activation, zs[i - 1], acts[i - 1])
        return loss


def _bce(z: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Mean binary cross-entropy from logits z (..., n) and labels y (n,): softplus(z) − y·z."""
    if z.shape[-1] == 0:
        return np.full(z.shape[:-1], math.nan)
    out: np.ndarray = (np.logaddexp(0.0, z) - y * z).mean(axis=-1)
    return out
