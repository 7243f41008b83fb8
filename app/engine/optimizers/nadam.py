"""NAdam: μₜ = β₁(1 − ½·0.96^(tψ)), θ ← θ − α(1−μₜ)/(1−Πμ)·g/d − αμₜ₊₁/(1−Πμₜ₊₁)·m/d, d = √v̂ + ε

Adam with Nesterov momentum: the step looks ahead with the next step's momentum.

Convention: torch NAdam (μ warms up with ψ; the paper and the course use μ = β₁)

NAdam as torch ``NAdam``: μₜ = β₁(1 − ½·0.96^(t·ψ)), m and v as Adam's,
θ ← θ − lr·(1 − μₜ)/(1 − Πμ)·g/d − lr·μₜ₊₁/(1 − Πμ·μₜ₊₁)·m/d, d = √(v/(1 − β₂ᵗ)) + ε.

Dozat's paper and the course's "Adam with Nesterov momentum" use a constant μ = β₁; torch
warms μ up with the momentum decay ψ (0.004), optax's nadam has no such schedule (no optax
script). Weight decay λ is L2 (added to g), or with ``decoupled_weight_decay`` AdamW-style
(θ ← θ·(1 − lr·λ) first).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..kernels import jit, rules
from ..kernels.rules import correction, decay, moments, nadam_mu
from ..params import ParamSpec
from .base import ADAM_ARGS, DECAY, MOMENTS, adam_decay_params, decay_values, declare, py

# ---------------------------------------------------------------------------------------------
# the compiled rule: the step loop runs it, the factory (`base.rule_factory`) on floats or NumPy rows


@jit
def step(
    g: float, t: int, a: float, b: float, c: float, theta: float, lr: float, h: Any, c1: float, c2: float, xp: Any
) -> tuple[float, float, float, float, float, float]:
    """torch ``NAdam`` (single-tensor path), one update of one coordinate as the loop takes it:
    (θ, a, b, c, moment, rate), the state (a, b, c) = (m, v, Πμ)."""
    beta1, beta2, eps, weight_decay, momentum_decay, decoupled = h[0], h[1], h[2], h[3], h[4], h[5]
    n = float(t + 1)
    bias_correction2 = correction(beta2, n)
    g, theta = decay(g, theta, lr, weight_decay, decoupled)
    mu, mu_next = nadam_mu(n, beta1, momentum_decay), nadam_mu(n + 1.0, beta1, momentum_decay)
    mu_product = c * mu
    m, v = moments(g, a, b, beta1, beta2)
    denom = xp.sqrt(v / bias_correction2) + eps
    mu_product_next = mu_product * mu_next
    theta = theta + -lr * (1.0 - mu) / (1.0 - mu_product) * g / denom
    theta = theta + (-lr * mu_next) / (1.0 - mu_product_next) * m / denom
    return theta, m, v, mu_product, m, lr / denom


@jit
def init(theta: float, h: Any) -> tuple[float, float, float]:
    return theta * 0.0, theta * 0.0, theta * 0.0 + 1.0  # (m, v, the product of the μ's)


_mu = py(rules.nadam_mu)


_correction = py(rules.correction)


LINES = (
    DECAY
    + """
μₜ ¦ μₜ = β₁(1 − ½·0.96^(tψ)) ¦ mu
μₜ₊₁ ¦ μₜ₊₁ = β₁(1 − ½·0.96^((t+1)ψ)) ¦ mu_next
Πμ ¦ Πμ ← Πμ·μₜ ¦ mu_product
"""
    + MOMENTS
    + """
v̂ ¦ v̂ = v/(1−β₂ᵗ) ¦ v_hat
αᵢ ¦ αᵢ = α/(√v̂ᵢ + ε) ¦ rate
Δθ ¦ Δθ = −αᵢ·((1−μₜ)/(1−Πμ)·g + μₜ₊₁/(1−Πμ·μₜ₊₁)·m) ¦ step
"""
)


def internals(c: dict[str, Any]) -> dict[str, Any]:
    p, s1, step = c["params"], c["after"], float(c["t"] + 1)
    mu, mu_next = _mu(step, p["beta1"], p["momentum_decay"]), _mu(step + 1.0, p["beta1"], p["momentum_decay"])
    v_hat = s1.b / _correction(p["beta2"], step)
    out = {**decay_values(c, p["weight_decay"], p["decoupled_weight_decay"]), "m": s1.a, "v": s1.b}
    return {
        **out,
        "mu": mu,
        "mu_next": mu_next,
        "mu_product": s1.c,
        "v_hat": v_hat,
        "rate": c["lr"] / (np.sqrt(v_hat) + p["eps"]),
    }


TORCH = (
    f"torch.optim.NAdam([p], {ADAM_ARGS}, weight_decay={{weight_decay}}, momentum_decay={{momentum_decay}}, "
    "decoupled_weight_decay={decoupled_weight_decay})"
)


OPTAX_REFUSED = (
    "optax's nadam is Dozat's form without torch's momentum-decay schedule μₜ = β₁(1 − ½·0.96^(t·ψ)); "
    "use the PyTorch script"
)


SPEC = declare(
    __name__,
    adam_decay_params(
        0.01,
        ParamSpec("momentum_decay", 0.004, 0.0, 1.0, "ψ, momentum decay (μ warms up to β₁)", slider_max=0.1),
        flag=" (NAdamW)",
    ),
    color="#AA0DFE",
    order=9,
    cycles_momentum=True,
)
