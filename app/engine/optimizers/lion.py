"""Lion: c ← (1−β₁)g + β₁m, θ ← θ − α·(sign(c) + λθ), m ← (1−β₂)g + β₂m

Signed momentum: every axis moves by exactly α each step, in the direction of an average of g and m.

Convention: optax lion (the paper's; torch.optim has none)

Lion as optax ``lion`` (Chen et al. 2023; torch.optim has none: the PyTorch script writes it
as a small class, ``app/export/templates/torch_lion.py``): c = (1 − β₁)g + β₁m,
θ ← θ − lr·(sign(c) + λθ), then m ← (1 − β₂)g + β₂m. Every axis moves by exactly lr (plus the
decay) each step: only the sign of the interpolated momentum is used. The moment internals
(mx, my) are c, the quantity whose sign is taken.
"""

from __future__ import annotations

from typing import Any

from ..kernels import jit, rules
from ..kernels.rules import NAN, lion_interp, sign
from .base import beta_param, declare, lr_param, py, wd_param

# ---------------------------------------------------------------------------------------------
# the compiled rule: the step loop runs it (`step`), the factory below on floats or NumPy rows


@jit
def rule(
    g: float, m: float, theta: float, lr: float, beta1: float, beta2: float, weight_decay: float
) -> tuple[float, float, float]:
    """optax ``lion``: c = (1 − β₁)g + β₁m, θ ← θ − lr·(sign(c) + λθ), m ← (1 − β₂)g + β₂m.
    Returns (θ, m, c)."""
    c = lion_interp(g, m, beta1)
    m = (1.0 - beta2) * g + beta2 * m
    return theta + -lr * (sign(c) + weight_decay * theta), m, c


@jit
def step(
    g: float, t: int, a: float, b: float, c: float, theta: float, lr: float, h: Any, c1: float, c2: float, xp: Any
) -> tuple[float, float, float, float, float, float]:
    """One update of one coordinate as the loop takes it: (θ, a, b, c, moment, rate)."""
    theta, a, interp = rule(g, a, theta, lr, h[0], h[1], h[2])
    return theta, a, b, c, interp, NAN


_interp = py(rules.lion_interp)


LINES = """
c ¦ c = (1−β₁)g + β₁m ¦ interp
Δθ ¦ Δθ = −α·(sign(c) + λθ) ¦ step
m ¦ m ← (1−β₂)g + β₂m ¦ m
"""


def internals(c: dict[str, Any]) -> dict[str, Any]:
    return {"interp": _interp(c["g"], c["before"].a, c["params"]["beta1"]), "m": c["after"].a}


TORCH = "Lion([p], lr={lr}, betas=({beta1}, {beta2}), weight_decay={weight_decay})"
TORCH_TEMPLATE = "torch_lion"
OPTAX = "optax.lion(lr, b1={beta1}, b2={beta2}, weight_decay={weight_decay})"


SPEC = declare(
    __name__,
    (
        lr_param(0.01),
        beta_param("beta1", 0.9, "β₁, weight of the momentum in the step's direction"),
        beta_param("beta2", 0.99, "β₂, decay of the momentum"),
        wd_param(1e-3, "λ, decoupled weight decay (scaled by α)"),
    ),
    color="#BB33BB",
    order=14,
    cycles_momentum=True,
)
