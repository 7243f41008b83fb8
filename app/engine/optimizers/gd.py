"""Gradient descent: θ ← θ − lr·g  (torch SGD without momentum; optax sgd)."""

from __future__ import annotations

from typing import Any

from ..kernels import jit
from ..kernels.rules import NAN
from .base import EMPTY, EmptyState, Kernel, Line, Optimizer, OptimizerSpec, lr_param, py

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


def gd(xp: Any) -> Optimizer:
    """θ ← θ − lr·g."""

    def init(theta: Any) -> EmptyState:
        return EMPTY

    def update(g: Any, state: EmptyState, theta: Any, lr: Any) -> tuple[Any, EmptyState]:
        return _gd(g, theta, lr), state

    return Optimizer(init, update)


def lines(c: dict[str, Any]) -> list[Line]:
    return [("Δθ", "Δθ = −α·g", c["step"])]


SPEC = OptimizerSpec(
    "gd",
    "Gradient descent",
    "θ ← θ − α·g",
    (lr_param(0.01),),
    "Plain (mini-batch or stochastic) gradient descent.",
    factory=gd,
    kernel=Kernel(step=step, inline=True),
    convention="torch SGD(momentum=0)",
    color="#0072B2",
    order=0,
    lines=lines,
    torch=lambda p: (f"torch.optim.SGD([p], lr={p['lr']!r})", None),
    optax=lambda p: "optax.sgd(lr)",
)
