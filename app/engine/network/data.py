"""The network's data sets: 2D two-class problems generated from a seed (nothing downloaded).

Every data set is one generator function here, declared in `DATA_SETS` (its docstring begins with
its texts: ``Name: shape``, then a paragraph of description). A generator makes the ``samples``
clean points and their 0/1 labels from the seeded generator; `make_data` then adds Gaussian noise
of standard deviation ``noise`` to every coordinate, shuffles with the same generator and holds
out the first ``round(test_fraction · samples)`` of the shuffled points as the test set.

The formulas follow scikit-learn's ``make_moons`` and ``make_circles`` (scikit-learn is not a
dependency: the numbers differ from sklearn's, which draws in another order) and TensorFlow
Playground's spiral, xor and Gaussian sets.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..explained import Explained, english
from ..params import docstring, entry_texts

Generator = Callable[[int, np.random.Generator], tuple[np.ndarray, np.ndarray]]

english({"network.data.no_train": "data test_fraction {fraction} leaves no training sample"})


def _halves(n: int) -> tuple[int, int]:
    """Points of class 0 and class 1 (class 0 takes the smaller half, as sklearn's outer set)."""
    return n // 2, n - n // 2


def moons(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Moons: two interleaving half circles

    Class 0 on the upper half circle (cos t, sin t), class 1 on the lower one (1 − cos t,
    0.5 − sin t), t from 0 to π: no straight line separates them (scikit-learn's make_moons, the
    course's assignment data)."""
    n0, n1 = _halves(n)
    t0, t1 = np.linspace(0.0, math.pi, n0), np.linspace(0.0, math.pi, n1)
    x = np.concatenate([np.stack([np.cos(t0), np.sin(t0)], 1), np.stack([1.0 - np.cos(t1), 0.5 - np.sin(t1)], 1)])
    return x, np.concatenate([np.zeros(n0), np.ones(n1)])


def circles(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Circles: a circle inside a circle

    Class 0 on the unit circle, class 1 on a concentric circle of radius 0.5: the boundary must
    close around the inner class (scikit-learn's make_circles with factor 0.5)."""
    n0, n1 = _halves(n)
    t0 = np.linspace(0.0, 2.0 * math.pi, n0, endpoint=False)
    t1 = np.linspace(0.0, 2.0 * math.pi, n1, endpoint=False)
    x = np.concatenate([np.stack([np.cos(t0), np.sin(t0)], 1), 0.5 * np.stack([np.cos(t1), np.sin(t1)], 1)])
    return x, np.concatenate([np.zeros(n0), np.ones(n1)])


def spirals(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Spirals: two interleaved spirals

    Each class winds 1.5 turns outwards from the centre, r = s, angle = 3π·s (+ π for class 1),
    s from 0.05 to 1: the hardest set, it needs a deep or wide network (TensorFlow Playground's
    spiral)."""
    n0, n1 = _halves(n)
    parts = []
    for k, m in ((0, n0), (1, n1)):
        s = np.linspace(0.05, 1.0, m)
        angle = 3.0 * math.pi * s + k * math.pi
        parts.append(np.stack([s * np.cos(angle), s * np.sin(angle)], 1))
    return np.concatenate(parts), np.concatenate([np.zeros(n0), np.ones(n1)])


def xor(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """XOR: four quadrants, opposite ones alike

    Points uniform in the square [−1, 1]²; class 1 where x₁ and x₂ have opposite signs (x₁·x₂ < 0):
    one hidden layer of at least two units is needed (TensorFlow Playground's xor)."""
    x = rng.uniform(-1.0, 1.0, (n, 2))
    return x, (x[:, 0] * x[:, 1] < 0.0).astype(np.float64)


def gauss(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Gaussians: two Gaussian clouds

    Class 0 around (−1, −1), class 1 around (1, 1), each cloud of standard deviation 0.5 before the
    noise: nearly linearly separable, logistic regression does well (TensorFlow Playground's
    Gaussian set)."""
    n0, n1 = _halves(n)
    centres = np.concatenate([np.full((n0, 2), -1.0), np.full((n1, 2), 1.0)])
    return centres + 0.5 * rng.standard_normal((n, 2)), np.concatenate([np.zeros(n0), np.ones(n1)])


@dataclass(frozen=True)
class DataSetSpec:
    """A data set of the catalogue: its id, texts (from its generator's docstring) and generator."""

    id: str
    name: str
    shape: str
    description: str
    generate: Generator

    def public(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "shape": self.shape, "description": self.description}


def _declare(fn: Generator) -> DataSetSpec:
    texts, _ = entry_texts(docstring(fn))
    return DataSetSpec(fn.__name__, texts["name"], texts["formula"], texts["description"], fn)


DATA_SETS: dict[str, DataSetSpec] = {s.id: s for s in map(_declare, (moons, circles, spirals, xor, gauss))}


@dataclass(frozen=True)
class DataConfig:
    """Which data set and how many samples, how noisy, how many held out, and the seed."""

    name: str = "moons"
    samples: int = 300
    noise: float = 0.2
    test_fraction: float = 0.25
    seed: int = 3

    def __post_init__(self) -> None:
        if self.name not in DATA_SETS:
            raise ValueError(f"unknown data set {self.name!r}; valid: {', '.join(DATA_SETS)}")
        if isinstance(self.samples, bool) or not isinstance(self.samples, int) or self.samples < 2:
            raise ValueError(f"data samples must be a whole number >= 2, got {self.samples!r}")
        if not (math.isfinite(self.noise) and self.noise >= 0.0):
            raise ValueError(f"data noise must be a finite number >= 0, got {self.noise!r}")
        if not (0.0 <= self.test_fraction < 1.0):
            raise ValueError(f"data test_fraction must be in [0, 1), got {self.test_fraction!r}")
        if self.samples - self.n_test < 1:
            raise Explained("network.data.no_train", fraction=repr(self.test_fraction))

    @property
    def n_test(self) -> int:
        return round(self.test_fraction * self.samples)

    @property
    def n_train(self) -> int:
        return self.samples - self.n_test


@dataclass(frozen=True)
class Data:
    x_train: np.ndarray  # (n_train, 2) float64
    y_train: np.ndarray  # (n_train,) float64, 0.0 / 1.0
    x_test: np.ndarray  # (n_test, 2)
    y_test: np.ndarray  # (n_test,)


def make_data(cfg: DataConfig) -> Data:
    """The data set of ``cfg``: generated, noised, shuffled and split, all from ``cfg.seed``."""
    rng = np.random.default_rng(cfg.seed)
    x, y = DATA_SETS[cfg.name].generate(cfg.samples, rng)
    x = x + cfg.noise * rng.standard_normal(x.shape)
    order = rng.permutation(cfg.samples)
    test, train = order[: cfg.n_test], order[cfg.n_test :]
    return Data(
        np.ascontiguousarray(x[train]),
        np.ascontiguousarray(y[train]),
        np.ascontiguousarray(x[test]),
        np.ascontiguousarray(y[test]),
    )
