"""Each optimizer's update rule, written once as a plain function of floats.

A rule takes the gradient ``g``, the state (floats), the parameter ``theta``, the learning rate
``lr`` and the hyperparameters as arguments, and returns the new parameter, the new state and
the update's internals (the moment after the update, the per-axis effective learning rate), so
no formula is written twice. The same functions run

- compiled, inside the step loop (`app.engine.kernels.loop`), with ``xp`` = `nbmath`;
- as plain Python on floats (``xp = SCALAR``) or NumPy rows (``xp = ARRAY``), through the
  factories of `app.engine.optimizers` (the API the tests and the dataset path use).

Each rule follows torch.optim's order of operations, so trajectories agree with PyTorch to
float64 round-off. Powers ``β**t`` take ``float(t)``: exactly what Python does with an int
exponent (and what keeps numba from replacing ``pow`` by repeated multiplication).
"""

from __future__ import annotations

import math
from typing import Any

from app.engine.kernels import jit

NAN = math.nan

# the kind of rule of each optimizer (`OptimizerSpec.rule`); the hyperparameters of a kind are
# its factory's arguments, in order (see `app.engine.optimizers.OptimizerSpec.hyper`)
GD, MOMENTUM, NESTEROV, ADAGRAD, RMSPROP, ADADELTA, ADAM = range(7)
HYPER = 6  # hyperparameter slots per run


@jit
def gd(g: Any, theta: Any, lr: Any) -> Any:
    return theta - lr * g


@jit
def corrections(t: int, beta1: Any, beta2: Any) -> tuple[Any, Any]:
    """The bias corrections after t updates: (1 − β₁ᵗ, √(1 − β₂ᵗ))."""
    return 1.0 - beta1 ** float(t), (1.0 - beta2 ** float(t)) ** 0.5


@jit
def momentum(
    g: Any, t: int, v: Any, theta: Any, lr: Any, beta: Any, ewa: Any, bias_correction: Any, c1: Any
) -> tuple[Any, int, Any]:
    """``c1``: 1 − βᵗ after this update (`corrections`)."""
    t = t + 1
    if ewa:
        v = beta * v + (1.0 - beta) * g
        step = v / c1 if bias_correction else v
    else:
        v = v * beta + g
        step = v
    return theta - lr * step, t, v


@jit
def nesterov(g: Any, v: Any, theta: Any, lr: Any, beta: Any) -> tuple[Any, Any]:
    v = v * beta + g
    return theta - lr * (g + beta * v), v


@jit
def adagrad(g: Any, s: Any, theta: Any, lr: Any, eps: Any, xp: Any) -> tuple[Any, Any, Any]:
    s = s + g * g
    denom = xp.sqrt(s) + eps
    return theta - lr * g / denom, s, lr / denom


@jit
def rmsprop(g: Any, s: Any, theta: Any, lr: Any, beta: Any, eps: Any, xp: Any) -> tuple[Any, Any, Any]:
    s = s * beta + (1.0 - beta) * g * g
    denom = xp.sqrt(s) + eps
    return theta - lr * g / denom, s, lr / denom


@jit
def adadelta(g: Any, s: Any, d: Any, theta: Any, lr: Any, rho: Any, eps: Any, xp: Any) -> tuple[Any, Any, Any, Any]:
    s = s * rho + (1.0 - rho) * g * g
    num, den = xp.sqrt(d + eps), xp.sqrt(s + eps)
    delta = num / den * g
    rate = lr * num / den
    d = d * rho + (1.0 - rho) * delta * delta
    return theta - lr * delta, s, d, rate


@jit
def adam(
    g: Any, t: int, m: Any, v: Any, vmax: Any, theta: Any, lr: Any,
    beta1: Any, beta2: Any, eps: Any, bias_correction: Any, amsgrad: Any, weight_decay: Any, c1: Any, c2: Any, xp: Any,
) -> tuple[Any, int, Any, Any, Any, Any]:
    """``c1, c2``: the bias corrections after this update (`corrections`)."""
    t = t + 1
    theta = theta * (1.0 - lr * weight_decay)  # AdamW's decoupled decay (λ = 0: θ·1, the same bits)
    m = m + (1.0 - beta1) * (g - m)  # torch's lerp
    v = v * beta2 + (1.0 - beta2) * g * g
    if amsgrad:
        vmax = xp.maximum(vmax, v)
        second = vmax
    else:
        second = v
    if bias_correction:
        step_size = lr / c1
        denom = xp.sqrt(second) / c2 + eps
    else:
        step_size = lr
        denom = xp.sqrt(second) + eps
    return theta - step_size * m / denom, t, m, v, vmax, step_size / denom


@jit
def init(kind: int, theta: float, h: Any) -> tuple[float, float, float]:
    """The state (a, b, c) of one coordinate before the first update."""
    if kind == ADAGRAD:
        return theta * 0.0 + h[1], 0.0, 0.0
    return theta * 0.0, theta * 0.0, theta * 0.0


@jit
def bias(kind: int, t: int, h: Any) -> tuple[float, float]:
    """The bias corrections an update after t updates uses (1 where there are none)."""
    if kind == ADAM:
        return corrections(t + 1, h[0], h[1])
    if kind == MOMENTUM:
        return corrections(t + 1, h[0], 0.0)
    return 1.0, 1.0


@jit
def update(
    kind: int, g: float, t: int, a: float, b: float, c: float, theta: float, lr: float, h: Any,
    c1: float, c2: float, xp: Any,
) -> tuple[float, float, float, float, float, float]:
    """One update of one coordinate, any optimizer: (θ, a, b, c, moment, rate) after it.

    ``t`` is the number of updates done before; ``h`` the hyperparameters (`HYPER` floats);
    ``c1, c2`` = ``bias(kind, t, h)`` (shared by the coordinates, or read from a table); moment
    and rate are nan where the method has no such quantity (rate is then simply lr).
    """
    if kind == ADAM:
        theta, _, a, b, c, rate = adam(g, t, a, b, c, theta, lr, h[0], h[1], h[2], h[3], h[4], h[5], c1, c2, xp)
        return theta, a, b, c, a, rate
    if kind == GD:
        return gd(g, theta, lr), a, b, c, NAN, NAN
    if kind == MOMENTUM:
        theta, _, a = momentum(g, t, a, theta, lr, h[0], h[1] == 0.0, h[2], c1)  # variant 0: ewa
        return theta, a, b, c, a, NAN
    if kind == NESTEROV:
        theta, a = nesterov(g, a, theta, lr, h[0])
        return theta, a, b, c, a, NAN
    if kind == ADAGRAD:
        theta, a, rate = adagrad(g, a, theta, lr, h[0], xp)
        return theta, a, b, c, NAN, rate
    if kind == RMSPROP:
        theta, a, rate = rmsprop(g, a, theta, lr, h[0], h[1], xp)
        return theta, a, b, c, NAN, rate
    theta, a, b, rate = adadelta(g, a, b, theta, lr, h[0], h[1], xp)  # ADADELTA
    return theta, a, b, c, NAN, rate
