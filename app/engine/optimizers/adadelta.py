"""AdaDelta: s ← ρs + (1−ρ)g², Δ ← √(d+ε)/√(s+ε)·g, d ← ρd + (1−ρ)Δ², θ ← θ − α·Δ

RMSprop whose step size comes from a moving average of past steps.

Convention: torch Adadelta

AdaDelta as torch ``Adadelta`` (optax ``adadelta``).

s ← ρs + (1−ρ)g²; Δ ← √(d + ε)/√(s + ε)·g; d ← ρd + (1−ρ)Δ²; θ ← θ − lr·Δ (lr = 1 in the
paper, which has no learning rate at all).
"""

from __future__ import annotations

from typing import Any, NamedTuple

from ..backend import ARRAY
from ..kernels import jit
from ..kernels.rules import NAN
from .base import Optimizer, declare, py, rms_params, zeros

# ---------------------------------------------------------------------------------------------
# the compiled rule: the step loop runs it (`step`), the factory below on floats or NumPy rows


@jit
def rule(g: Any, s: Any, d: Any, theta: Any, lr: Any, rho: Any, eps: Any, xp: Any) -> tuple[Any, Any, Any, Any]:
    s = s * rho + (1.0 - rho) * g * g
    num, den = xp.sqrt(d + eps), xp.sqrt(s + eps)
    delta = num / den * g
    rate = lr * num / den
    d = d * rho + (1.0 - rho) * delta * delta
    return theta - lr * delta, s, d, rate


@jit
def step(
    g: float, t: int, a: float, b: float, c: float, theta: float, lr: float, h: Any, c1: float, c2: float, xp: Any
) -> tuple[float, float, float, float, float, float]:
    """One update of one coordinate as the loop takes it: (θ, a, b, c, moment, rate)."""
    theta, a, b, rate = rule(g, a, b, theta, lr, h[0], h[1], xp)
    return theta, a, b, c, NAN, rate


_adadelta = py(rule)


class AdadeltaState(NamedTuple):
    s: Any  # E[g^2]
    d: Any  # E[dx^2]


def factory(xp: Any, rho: Any, eps: Any) -> Optimizer:
    def init(theta: Any) -> AdadeltaState:
        return AdadeltaState(zeros(theta), zeros(theta))

    def update(g: Any, state: AdadeltaState, theta: Any, lr: Any) -> tuple[Any, AdadeltaState]:
        theta, s, d, _ = _adadelta(g, state.s, state.d, theta, lr, rho, eps, xp)
        return theta, AdadeltaState(s, d)

    return Optimizer(init, update)


LINES = """
s ¦ s ← ρs + (1−ρ)g² ¦ s
αᵢ ¦ αᵢ = α·√(dᵢ + ε)/√(sᵢ + ε) ¦ rate
Δθ ¦ Δθ = −αᵢ·gᵢ ¦ step
d ¦ d ← ρd + (1−ρ)(Δθ/α)² ¦ d
"""


def internals(c: dict[str, Any]) -> dict[str, Any]:
    p, s0 = c["params"], c["before"]
    _, s, d, rate = _adadelta(c["g"], s0.s, s0.d, c["theta"], c["lr"], p["rho"], p["eps"], ARRAY)
    return {"s": s, "d": d, "rate": rate}


TORCH = "torch.optim.Adadelta([p], lr={lr}, rho={rho}, eps={eps})"
OPTAX = "optax.adadelta(lr, rho={rho}, eps={eps})"


SPEC = declare(
    __name__, rms_params(1.0, "rho", "ρ, decay of both averages", 1e-6), inline=True, color="#8C6D00", order=5
)
