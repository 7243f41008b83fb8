"""Adamax: m ← β₁m + (1−β₁)g, u ← max(β₂u, |g| + ε), θ ← θ − α/(1−β₁ᵗ)·m/u

Adam with the infinity norm: a running maximum of |g| instead of an average of g².

Convention: torch Adamax (ε inside the max; the paper has none)

Adamax as torch ``Adamax``: m ← β₁m + (1−β₁)g, u ← max(β₂u, |g| + ε),
θ ← θ − lr/(1 − β₁ᵗ)·m/u. (The paper's u ← max(β₂u, |g|) has no ε; torch adds it inside the
max, so u ≥ ε.) optax: ``add_decayed_weights`` (torch's L2 term) then ``adamax``.
"""

from __future__ import annotations

import math
from typing import Any

from ..kernels import jit, rules
from ..kernels.rules import correction, decay, lerp
from .base import ADAM_ARGS, L2, adam_params, decay_values, declare, py, wd_param

# ---------------------------------------------------------------------------------------------
# the compiled rule: the step loop runs it, the factory (`base.rule_factory`) on floats or NumPy rows


@jit
def step(
    g: float, t: int, a: float, b: float, c: float, theta: float, lr: float, h: Any, c1: float, c2: float, xp: Any
) -> tuple[float, float, float, float, float, float]:
    """torch ``Adamax``, one update of one coordinate as the loop takes it: (θ, a, b, c, moment,
    rate), the state (a, b) = (m, u): u ← max(β₂u, |g| + ε), θ ← θ − lr/(1 − β₁ᵗ)·m/u."""
    beta1, beta2, eps, weight_decay = h[0], h[1], h[2], h[3]
    g, theta = decay(g, theta, lr, weight_decay, 0.0)
    m = lerp(a, g, 1.0 - beta1)
    decayed, fresh = b * beta2, abs(g) + eps
    u = fresh if (fresh > decayed or math.isnan(fresh)) else decayed  # torch.maximum (nan wins)
    clr = lr / correction(beta1, float(t + 1))
    return theta + -clr * m / u, m, u, c, m, clr / u


_correction = py(rules.correction)


LINES = (
    L2
    + """
m ¦ m ← β₁m + (1−β₁)·{gname} ¦ m
u ¦ u ← max(β₂u, |{gname}| + ε) ¦ u
αᵢ ¦ αᵢ = α/((1−β₁ᵗ)·uᵢ) ¦ rate
Δθ ¦ Δθ = −αᵢ·mᵢ ¦ step
"""
)


def internals(c: dict[str, Any]) -> dict[str, Any]:
    p, s1 = c["params"], c["after"]
    clr = c["lr"] / _correction(p["beta1"], float(c["t"] + 1))
    return {**decay_values(c, p["weight_decay"]), "m": s1.a, "u": s1.b, "rate": clr / s1.b}


TORCH = f"torch.optim.Adamax([p], {ADAM_ARGS}, weight_decay={{weight_decay}})"
OPTAX = "optax.chain(optax.add_decayed_weights({weight_decay}), optax.adamax(lr, b1={beta1}, b2={beta2}, eps={eps}))"


SPEC = declare(
    __name__,
    (*adam_params(0.02)[:4], wd_param(0.0, "λ, L2 weight decay (added to the gradient)")),
    color="#3D6B00",
    order=11,
    cycles_momentum=True,
)
