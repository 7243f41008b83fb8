"""Nesterov momentum: v ← βv + g, θ ← θ − α·(g + βv)

Momentum that looks ahead along the velocity before correcting.

Convention: torch SGD(momentum=β, nesterov=True)

Nesterov momentum as torch ``SGD(momentum=β, nesterov=True)`` (optax ``sgd(nesterov=True)``).

v ← βv + g, θ ← θ − lr·(g + βv). (This is the "look-ahead" form rewritten at the current
point; the course's v ← βv + (1−β)g form differs by the factor 1/(1−β) in the step.)
"""

from __future__ import annotations

from typing import Any

from ..kernels import jit
from ..kernels.rules import NAN
from .base import Optimizer, VelocityState, beta_param, declare, lr_param, py, zeros

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


def factory(xp: Any, beta: Any) -> Optimizer:
    def init(theta: Any) -> VelocityState:
        return VelocityState(0, zeros(theta))

    def update(g: Any, state: VelocityState, theta: Any, lr: Any) -> tuple[Any, VelocityState]:
        theta, v = _nesterov(g, state.v, theta, lr, beta)
        return theta, VelocityState(state.t + 1, v)

    return Optimizer(init, update)


LINES = """
v ¦ v ← βv + g ¦ v
Δθ ¦ Δθ = −α·(g + βv) ¦ step
"""


def internals(c: dict[str, Any]) -> dict[str, Any]:
    return {"v": c["after"].v}


TORCH = "torch.optim.SGD([p], lr={lr}, momentum={beta}, nesterov=True)"
OPTAX = "optax.sgd(lr, momentum={beta}, nesterov=True)"


SPEC = declare(
    __name__,
    (lr_param(0.01), beta_param("beta", 0.9, "β, momentum")),
    inline=True,
    color="#56B4E9",
    order=2,
    cycles_momentum=True,
)
