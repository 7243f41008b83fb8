"""Gradient descent: θ ← θ − α·g

Plain (mini-batch or stochastic) gradient descent.

Convention: torch SGD(momentum=0)

Gradient descent: θ ← θ − lr·g  (torch SGD without momentum; optax sgd).
"""

from __future__ import annotations

from typing import Any

from ..kernels import jit
from ..kernels.rules import NAN
from .base import EMPTY, EmptyState, Optimizer, declare, lr_param, py

# ---------------------------------------------------------------------------------------------
# the compiled rule: the step loop runs it (`step`), the factory below on floats or NumPy rows


@jit
def rule(g: Any, theta: Any, lr: Any) -> Any:
    return theta - lr * g


@jit
def step(
    g: float, t: int, a: float, b: float, c: float, theta: float, lr: float, h: Any, c1: float, c2: float, xp: Any
) -> tuple[float, float, float, float, float, float]:
    """One update of one coordinate as the loop takes it: (θ, a, b, c, moment, rate)."""
    return rule(g, theta, lr), a, b, c, NAN, NAN


_gd = py(rule)


def factory(xp: Any) -> Optimizer:
    """θ ← θ − lr·g."""

    def init(theta: Any) -> EmptyState:
        return EMPTY

    def update(g: Any, state: EmptyState, theta: Any, lr: Any) -> tuple[Any, EmptyState]:
        return _gd(g, theta, lr), state

    return Optimizer(init, update)


LINES = """
Δθ ¦ Δθ = −α·g ¦ step
"""


TORCH = "torch.optim.SGD([p], lr={lr})"
OPTAX = "optax.sgd(lr)"


SPEC = declare(
    __name__,
    (lr_param(0.01),),
    inline=True,
    color="#0072B2",
    order=0,
)
