"""AdaDelta as torch ``Adadelta`` (optax ``adadelta``).

s ← ρs + (1−ρ)g²; Δ ← √(d + ε)/√(s + ε)·g; d ← ρd + (1−ρ)Δ²; θ ← θ − lr·Δ (lr = 1 in the
paper, which has no learning rate at all).
"""

from __future__ import annotations

from typing import Any, NamedTuple

from ..backend import ARRAY
from ..kernels import rules
from .base import Line, Optimizer, OptimizerSpec, beta_param, eps_param, lr_param, py, zeros

_adadelta = py(rules.adadelta)


class AdadeltaState(NamedTuple):
    s: Any  # E[g^2]
    d: Any  # E[dx^2]


def adadelta(xp: Any, rho: Any, eps: Any) -> Optimizer:
    def init(theta: Any) -> AdadeltaState:
        return AdadeltaState(zeros(theta), zeros(theta))

    def update(g: Any, state: AdadeltaState, theta: Any, lr: Any) -> tuple[Any, AdadeltaState]:
        theta, s, d, _ = _adadelta(g, state.s, state.d, theta, lr, rho, eps, xp)
        return theta, AdadeltaState(s, d)

    return Optimizer(init, update)


def lines(c: dict[str, Any]) -> list[Line]:
    p, s0 = c["params"], c["before"]
    _, s, d, rate = _adadelta(c["g"], s0.s, s0.d, c["theta"], c["lr"], p["rho"], p["eps"], ARRAY)
    return [
        ("s", "s ← ρs + (1−ρ)g²", s),
        ("αᵢ", "αᵢ = α·√(dᵢ + ε)/√(sᵢ + ε)", rate),
        ("Δθ", "Δθ = −αᵢ·gᵢ", c["step"]),
        ("d", "d ← ρd + (1−ρ)(Δθ/α)²", d),
    ]


SPEC = OptimizerSpec(
    "adadelta",
    "AdaDelta",
    "s ← ρs + (1−ρ)g², Δ ← √(d+ε)/√(s+ε)·g, d ← ρd + (1−ρ)Δ², θ ← θ − α·Δ",
    (lr_param(1.0), beta_param("rho", 0.9, "ρ, decay of both averages"), eps_param(1e-6)),
    "RMSprop whose step size comes from a moving average of past steps.",
    factory=adadelta,
    rule=rules.ADADELTA,
    convention="torch Adadelta",
    color="#8C6D00",
    order=5,
    lines=lines,
    torch=lambda p: (f"torch.optim.Adadelta([p], lr={p['lr']!r}, rho={p['rho']!r}, eps={p['eps']!r})", None),
    optax=lambda p: f"optax.adadelta(lr, rho={p['rho']!r}, eps={p['eps']!r})",
)
