"""Gradient descent: θ ← θ − lr·g  (torch SGD without momentum; optax sgd)."""

from __future__ import annotations

from typing import Any

from ..kernels import rules
from .base import EMPTY, EmptyState, Line, Optimizer, OptimizerSpec, lr_param, py

_gd = py(rules.gd)


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
    convention="torch SGD(momentum=0)",
    color="#0072B2",
    order=0,
    lines=lines,
    torch=lambda p: (f"torch.optim.SGD([p], lr={p['lr']!r})", None),
    optax=lambda p: "optax.sgd(lr)",
)
