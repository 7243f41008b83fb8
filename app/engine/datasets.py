"""Dataset surfaces: the loss of a one-feature model over real mini-batches.

The parameters are (w, b), so the landscape is the course's W/b picture. The data are generated
once from a fixed seed, so every request sees the same data set; the request's ``seed`` drives
the mini-batch order. Per run, ``batch_size`` m is batch gradient descent, 1 is stochastic, and
anything between is mini-batch: each epoch reshuffles, and an epoch is ⌈m / batch_size⌉
updates (the last batch of an epoch may be smaller).

Formulas: ``loss(w, b)`` on all the data and ``batch(w, b, idx)`` on the samples ``idx`` are
written once here and used by the runner, the grid and the tests.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from .surfaces import Surface, default_runs

DATA_SEED = 20171  # fixed: the data set is part of the surface, not of the request


@dataclass(frozen=True)
class Data:
    x: np.ndarray  # the raw, unnormalized feature
    y: np.ndarray  # targets (regression) or 0/1 labels (classification)

    @property
    def m(self) -> int:
        return int(self.x.shape[0])


def _linear_data(m: int = 1000) -> Data:
    rng = np.random.default_rng(DATA_SEED)
    x = rng.uniform(0.0, 10.0, m)  # e.g. hours studied: raw scale, mean 5, so W and b are coupled
    y = 3.0 * x + 5.0 + rng.normal(0.0, 2.0, m)
    return Data(x, y)


def _logistic_data(m: int = 1000) -> Data:
    rng = np.random.default_rng(DATA_SEED + 1)
    x = rng.uniform(0.0, 10.0, m)
    p = 1.0 / (1.0 + np.exp(-1.5 * (x - 5.0)))
    y = (rng.uniform(0.0, 1.0, m) < p).astype(float)  # noisy labels: a finite minimum
    return Data(x, y)


# --- the formulas, written once: plain arithmetic of floats or NumPy arrays, which the compiled
# dataset loop (`app.engine.kernels.data`) compiles as they are (``xp``: the math backend, NumPy
# here, `app.engine.kernels.nbmath` there). Per sample of z = w·x + b: the cost term (and what the
# residual reuses), then the residual ∂(cost term)/∂z, which a pass for the loss alone skips.

LINEAR, LOGISTIC = 0, 1  # a model's kind in the compiled loop


def linear_cost(z: Any, y: Any, xp: Any) -> tuple[Any, Any]:
    """Mean squared error, per sample of z = w·x + b: (cost term (ŷ − y)², residual ŷ − y)."""
    r = z - y
    return r * r, r


def linear_residual(z: Any, kept: Any, y: Any, xp: Any) -> Any:
    """The residual ŷ − y (``kept``: `linear_cost`'s second value, the residual itself)."""
    return kept


def logistic_cost(z: Any, y: Any, xp: Any) -> tuple[Any, Any]:
    """Cross-entropy, per sample: (log(1 + e^z) − y·z, and log(1 + e^z) kept for the residual),
    finite for any finite z."""
    softplus = xp.logaddexp(0.0, z)
    return softplus - y * z, softplus


def logistic_residual(z: Any, kept: Any, y: Any, xp: Any) -> Any:
    """σ(z) − y, from ``kept`` = log(1 + e^z) (`logistic_cost`)."""
    return xp.exp(z - kept) - y


def finish(scale: float, cost_mean: Any, gw_mean: Any, gb_mean: Any, w: Any, l2: float) -> tuple[Any, Any, Any]:
    """(cost, ∂J/∂w, ∂J/∂b) from the batch means of the cost terms, residual·x and residual, with
    the L2 penalty (λ/2)·w²."""
    return scale * cost_mean + 0.5 * l2 * (w * w), gw_mean + l2 * w, gb_mean


def moment_loss(w: Any, b: Any, mm: Any, l2: float) -> Any:
    """Linear regression's full-data cost from the data's moments mm = (x̄, x²̄, ȳ, xy̅, y²̅), O(1) per point."""
    return (
        0.5 * (w * w * mm[1] + 2.0 * w * b * mm[0] + b * b - 2.0 * w * mm[3] - 2.0 * b * mm[2] + mm[4])
        + 0.5 * l2 * w * w
    )


def moment_grad(w: Any, b: Any, mm: Any, l2: float) -> tuple[Any, Any]:
    """Its full-data gradient from the moments (see `moment_loss`)."""
    return w * mm[1] + b * mm[0] - mm[3] + l2 * w, w * mm[0] + b - mm[2]


class _Model:
    """A model's loss over its data: ``batch(w, b, idx)`` on the samples idx (NumPy's means)."""

    kind: int
    scale: float  # the cost is scale × the mean of the cost terms

    def __init__(self, data: Data, l2: float = 0.0) -> None:
        self.data = data
        self.l2 = l2

    @staticmethod
    def cost_terms(z: Any, y: Any, xp: Any) -> tuple[Any, Any]:
        raise NotImplementedError

    @staticmethod
    def residuals(z: Any, kept: Any, y: Any, xp: Any) -> Any:
        raise NotImplementedError

    def batch(self, w: Any, b: Any, idx: np.ndarray | None) -> tuple[Any, Any, Any]:
        """(cost, ∂J/∂w, ∂J/∂b) on the samples idx (None: all, in stored order).

        w and b are floats or arrays of shape (rows, 1) that broadcast against the batch.
        """
        x = self.data.x if idx is None else self.data.x[idx]
        y = self.data.y if idx is None else self.data.y[idx]
        z = w * x + b
        c, kept = self.cost_terms(z, y, np)
        r = self.residuals(z, kept, y, np)
        return finish(
            self.scale, np.mean(c, axis=-1), np.mean(r * x, axis=-1), np.mean(r, axis=-1), _squeeze(w), self.l2
        )


class LinearRegression(_Model):
    """Mean squared error of ŷ = w·x + b: J = 1/(2m)·Σ(ŷ − y)² + (λ/2)·w²."""

    kind, scale = LINEAR, 0.5
    cost_terms, residuals = staticmethod(linear_cost), staticmethod(linear_residual)

    def __init__(self, data: Data, l2: float = 0.0) -> None:
        super().__init__(data, l2)
        x, y = data.x, data.y
        # moments for the full loss on a grid of (w, b) in O(1) per point
        self.moments = np.array([x.mean(), (x * x).mean(), y.mean(), (x * y).mean(), (y * y).mean()])
        self._mx, self._mxx = self.moments[0], self.moments[1]  # the lessons' Hessian reads them

    def loss(self, w: Any, b: Any, xp: Any = None) -> Any:
        """Full-data cost for any shape of w, b (from the moments; equal to batch(..., None)[0])."""
        return moment_loss(w, b, self.moments, self.l2)

    def grad(self, w: Any, b: Any, xp: Any = None) -> tuple[Any, Any]:
        return moment_grad(w, b, self.moments, self.l2)


class LogisticRegression(_Model):
    """Cross-entropy of p = σ(w·x + b): J = −1/m·Σ[y·log p + (1 − y)·log(1 − p)] + (λ/2)·w²."""

    kind, scale = LOGISTIC, 1.0
    cost_terms, residuals = staticmethod(logistic_cost), staticmethod(logistic_residual)

    def loss(self, w: Any, b: Any, xp: Any = None) -> Any:
        if isinstance(w, float) and isinstance(b, float):  # one point
            return float(self.batch(w, b, None)[0])
        w_arr, b_arr = np.broadcast_arrays(np.asarray(w, dtype=float), np.asarray(b, dtype=float))
        flat_w, flat_b = w_arr.reshape(-1), b_arr.reshape(-1)
        out = np.empty(flat_w.shape[0])
        chunk = max(1, 2_000_000 // self.data.m)
        for i in range(0, flat_w.shape[0], chunk):
            cw, cb = flat_w[i : i + chunk, None], flat_b[i : i + chunk, None]
            out[i : i + chunk] = self.batch(cw, cb, None)[0]
        shaped = out.reshape(w_arr.shape)
        return float(shaped) if shaped.ndim == 0 else shaped

    def grad(self, w: Any, b: Any, xp: Any = None) -> tuple[Any, Any]:
        if np.ndim(w) == 0 and np.ndim(b) == 0:
            _, gw, gb = self.batch(w, b, None)
            return float(gw), float(gb)
        w_arr, b_arr = np.broadcast_arrays(np.asarray(w, dtype=float), np.asarray(b, dtype=float))
        _, gw, gb = self.batch(w_arr[..., None], b_arr[..., None], None)
        return gw, gb


def _squeeze(a: Any) -> Any:
    return a[..., 0] if isinstance(a, np.ndarray) and a.ndim >= 1 and a.shape[-1] == 1 else a


Model = LinearRegression | LogisticRegression  # a dataset surface's loss over its data

SAFE_REACH = 1e150  # |w·x + b − y| below this: its square, its softplus and their means are finite


def finite_within(model: Model, bound: float) -> bool:
    """True when the loss, its gradient and every mini-batch's are finite wherever |w|, |b| <= bound
    (the runs' sane region): the residual w·x + b − y is at most bound·(max|x| + 1) + max|y|, far
    from overflow, so runs in lockstep need not check the loss at every step (only the bound)."""
    x, y = model.data.x, model.data.y
    reach = bound * (float(np.abs(x).max()) + 1.0) + float(np.abs(y).max())
    return reach < SAFE_REACH and math.isfinite(0.5 * model.l2 * bound * bound)


@dataclass(frozen=True, kw_only=True)
class DatasetSurface(Surface):
    """A surface whose loss is a model's over a data set (``isinstance`` tells the callers)."""

    model: Model

    def epoch_updates(self, batch_size: int) -> int:
        return math.ceil(self.model.data.m / batch_size)


def _surface(
    model: Model,
    minimum: np.ndarray,
    texts: tuple[str, str, str, str],
    view: tuple[tuple[float, float], tuple[float, float], tuple[float, float]],
    runs: tuple[tuple[Any, ...], ...],
    dataset: tuple[str, str, str],
) -> DatasetSurface:
    """The surface of a model's loss: ``texts`` its id, name, description and formula; ``view``
    its x and y ranges and default start; ``minimum`` the full-data minimum (w, b); ``dataset``
    what the catalogue says of the data, the model and the loss."""
    data, shape, loss = dataset
    sid, name, description, formula = texts
    x_range, y_range, start = view
    w, b = float(minimum[0]), float(minimum[1])
    bound = 1e4 * max(max(abs(v) for v in (*x_range, *y_range)), 1.0)  # `Surface.bound`, checked below
    surface = DatasetSurface(
        sid,
        name,
        description,
        formula,
        x_range,
        y_range,
        ((round(w, 6), round(b, 6)),),
        start,
        model.loss,
        model.grad,
        kind="dataset",
        model=model,
        f_min=float(model.loss(w, b)),  # the full-data minimum
        default_runs=default_runs(*runs),
        extra={
            "dataset": {"description": data, "m": model.data.m, "model": shape, "loss": loss, "parameters": ["w", "b"]}
        },
        finite_in_bound=finite_within(model, bound),
    )
    assert surface.bound == bound
    return surface


def _dataset_surfaces() -> tuple[DatasetSurface, ...]:
    lin = LinearRegression(_linear_data())
    log = LogisticRegression(_logistic_data())
    mm = lin.moments
    lin_min = np.linalg.solve(np.array([[mm[1], mm[0]], [mm[0], 1.0]]), np.array([mm[3], mm[2]]))
    log_min = _newton_minimum(log, np.array([1.0, -5.0]))
    return (
        _surface(
            lin,
            lin_min,
            (
                "linear_regression",
                "Linear regression (mini-batches)",
                "Mean squared error of a line fit to 1,000 samples of one raw, unnormalized feature: an "
                "elongated bowl in (w, b); compare batch (m), mini-batch and stochastic (1) updates.",
                "J(w, b) = 1/(2m)·Σ(w·xᵢ + b − yᵢ)²",
            ),
            ((-1.0, 7.0), (-6.0, 16.0), (0.0, -4.0)),
            (
                ("gd", 0.03),
                ("gd", 0.01, {"batch_size": 32}),
                ("gd", 0.003, {"batch_size": 1}),
                ("adam", 0.3, {"batch_size": 32}),
            ),
            (
                "1,000 samples: x uniform on [0, 10] (raw, not normalized), y = 3x + 5 + Gaussian noise (σ = 2); "
                "fixed seed",
                "ŷ = w·x + b",
                "mean squared error / 2",
            ),
        ),
        _surface(
            log,
            log_min,
            (
                "logistic_regression",
                "Logistic regression (mini-batches)",
                "Cross-entropy of a one-feature logistic classifier on 1,000 noisy labels: a curved valley "
                "in (w, b), flat on one side; mini-batches make the path noisy.",
                "J(w, b) = −1/m·Σ[yᵢ·log σ(w·xᵢ + b) + (1 − yᵢ)·log(1 − σ(w·xᵢ + b))]",
            ),
            ((-1.0, 4.0), (-16.0, 4.0), (0.0, 2.0)),
            (
                ("gd", 1.0),
                ("gd", 1.0, {"batch_size": 32}),
                ("gd", 0.3, {"batch_size": 1}),
                ("adam", 0.3, {"batch_size": 32}),
            ),
            (
                "1,000 samples: x uniform on [0, 10], label 1 with probability σ(1.5·(x − 5)); fixed seed",
                "p = σ(w·x + b)",
                "mean cross-entropy",
            ),
        ),
    )


def _newton_minimum(model: LogisticRegression, start: np.ndarray) -> np.ndarray:
    p = start.astype(float)
    x = model.data.x
    for _ in range(50):
        z = p[0] * x + p[1]
        s = 1.0 / (1.0 + np.exp(-z))
        gw, gb = model.grad(p[0], p[1])
        h = s * (1.0 - s)
        hess = np.array([[np.mean(h * x * x), np.mean(h * x)], [np.mean(h * x), np.mean(h)]])
        p = p - np.linalg.solve(hess, np.array([gw, gb]))
    return p


DATASETS: tuple[DatasetSurface, ...] = _dataset_surfaces()


def has_moments(model: Model) -> bool:
    """True when the full-data loss and gradient cost O(1) per point (no pass over the samples)."""
    return isinstance(model, LinearRegression)
