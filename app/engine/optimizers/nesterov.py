"""Nesterov momentum as torch ``SGD(momentum=β, nesterov=True)`` (optax ``sgd(nesterov=True)``).

v ← βv + g, θ ← θ − lr·(g + βv). (This is the "look-ahead" form rewritten at the current
point; the course's v ← βv + (1−β)g form differs by the factor 1/(1−β) in the step.)
"""

from __future__ import annotations

from typing import Any

from ..kernels import jit, rules
from ..kernels.rules import NAN
from .base import Kernel, Line, Optimizer, OptimizerSpec, VelocityState, beta_param, lr_param, py, zeros

# ---------------------------------------------------------------------------------------------
# the compiled rule: the step loop runs it (`step`), the factory below on floats or NumPy rows


@jit
def rule(g: Any, v: Any, theta: Any, lr: Any, beta: Any) -> tuple[Any, Any]:
    v = v * beta + g
    return theta - lr * (g + beta * v), v


@jit
def step(
    g: float, t: int, a: float, b: float, c: float, theta: float, lr: float, h: Any, c1: float, c2: float, xp: Any
) -> tuple[float, float, float, float, float, float]:
    """One update of one coordinate as the loop takes it: (θ, a, b, c, moment, rate)."""
    theta, a = rule(g, a, theta, lr, h[0])
    return theta, a, b, c, a, NAN


_nesterov = py(rule)


def nesterov(xp: Any, beta: Any) -> Optimizer:
    def init(theta: Any) -> VelocityState:
        return VelocityState(0, zeros(theta))

    def update(g: Any, state: VelocityState, theta: Any, lr: Any) -> tuple[Any, VelocityState]:
        theta, v = _nesterov(g, state.v, theta, lr, beta)
        return theta, VelocityState(state.t + 1, v)

    return Optimizer(init, update)


def lines(c: dict[str, Any]) -> list[Line]:
    return [("v", "v ← βv + g", c["after"].v), ("Δθ", "Δθ = −α·(g + βv)", c["step"])]


SPEC = OptimizerSpec(
    "nesterov",
    "Nesterov momentum",
    "v ← βv + g, θ ← θ − α·(g + βv)",
    (lr_param(0.01), beta_param("beta", 0.9, "β, momentum")),
    "Momentum that looks ahead along the velocity before correcting.",
    factory=nesterov,
    kernel=Kernel(step=step, inline=True),
    rule=rules.NESTEROV,
    convention="torch SGD(momentum=β, nesterov=True)",
    color="#56B4E9",
    order=2,
    cycles_momentum=True,
    lines=lines,
    torch=lambda p: (f"torch.optim.SGD([p], lr={p['lr']!r}, momentum={p['beta']!r}, nesterov=True)", None),
    optax=lambda p: f"optax.sgd(lr, momentum={p['beta']!r}, nesterov=True)",
)
