"""RAdam: ρₜ = ρ∞ − 2tβ₂ᵗ/(1−β₂ᵗ); ρₜ > 5: θ ← θ − α·m̂·r·√(1−β₂ᵗ)/(√v + ε), else θ ← θ − α·m̂

Adam whose adaptive rate is switched on (and rectified) only once its variance is defined.

Convention: torch RAdam (momentum SGD while ρₜ ≤ 5; ε added to √v before the bias correction)

RAdam as torch ``RAdam``: m, v as Adam's; ρ∞ = 2/(1 − β₂) − 1, ρₜ = ρ∞ − 2tβ₂ᵗ/(1 − β₂ᵗ).

While ρₜ ≤ 5 (the first steps: the variance of the adaptive rate is not yet defined) the
update is momentum SGD, θ ← θ − lr·m̂; after that the rectified Adam step
θ ← θ − lr·m̂·r·√(1 − β₂ᵗ)/(√v + ε), r = √((ρₜ−4)(ρₜ−2)ρ∞/((ρ∞−4)(ρ∞−2)ρₜ)). The switch is
torch's (ρₜ > 5; the paper says 4). Note ε is added to √v before the bias correction (Adam
adds it after); optax's radam adds it to the corrected √v̂ and switches at ρₜ ≥ 5 (no optax
script). Weight decay: L2, or decoupled.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..kernels import jit, rules
from ..kernels.rules import correction, decay, moments, radam_rect, radam_rho
from .base import ADAM_ARGS, DECAY, MOMENTS, adam_decay_params, decay_values, declare, py

# ---------------------------------------------------------------------------------------------
# the compiled rule: the step loop runs it, the factory (`base.rule_factory`) on floats or NumPy rows


@jit
def step(
    g: float, t: int, a: float, b: float, c: float, theta: float, lr: float, h: Any, c1: float, c2: float, xp: Any
) -> tuple[float, float, float, float, float, float]:
    """torch ``RAdam``, one update of one coordinate as the loop takes it: (θ, a, b, c, moment,
    rate), the state (a, b) = (m, v): the rectified adaptive step once ρₜ > 5, plain momentum SGD
    before."""
    beta1, beta2, eps, weight_decay, decoupled = h[0], h[1], h[2], h[3], h[4]
    n = float(t + 1)
    g, theta = decay(g, theta, lr, weight_decay, decoupled)
    m, v = moments(g, a, b, beta1, beta2)
    bias_correction1 = correction(beta1, n)
    bias_correction2 = correction(beta2, n)
    m_hat = m / bias_correction1
    rho_inf, rho_t = radam_rho(beta2, n, bias_correction2)
    if rho_t > 5.0:
        adaptive = 1.0 / (xp.sqrt(v) + eps) * (bias_correction2**0.5)  # torch: scalar / t = t.reciprocal() * scalar
        rect = radam_rect(rho_t, rho_inf)
        theta = theta - m_hat * lr * adaptive * rect
        rate = lr * adaptive * rect / bias_correction1
    else:
        theta = theta - m_hat * lr
        rate = lr / bias_correction1
    return theta, m, v, c, m, rate


_rho, _rect, _correction = py(rules.radam_rho), py(rules.radam_rect), py(rules.correction)


LINES = (
    DECAY
    + MOMENTS
    + """
m̂ ¦ m̂ = m/(1−β₁ᵗ) ¦ m_hat
ρₜ ¦ ρₜ = ρ∞ − 2tβ₂ᵗ/(1−β₂ᵗ), ρ∞ = 2/(1−β₂) − 1 ¦ rho
r ¦ r = √((ρₜ−4)(ρₜ−2)ρ∞/((ρ∞−4)(ρ∞−2)ρₜ)) ¦ rect
αᵢ ¦ αᵢ = α·r·√(1−β₂ᵗ)/((√vᵢ + ε)(1−β₁ᵗ)) ¦ rate_rect
Δθ ¦ Δθ = −α·m̂·r·√(1−β₂ᵗ)/(√v + ε) = −αᵢ·mᵢ ¦ step_rect
αᵢ ¦ ρₜ ≤ 5: αᵢ = α/(1−β₁ᵗ) (momentum SGD) ¦ rate_sgd
Δθ ¦ Δθ = −α·m̂ ¦ step_sgd
"""
)


def internals(c: dict[str, Any]) -> dict[str, Any]:
    p, s1, lr, step = c["params"], c["after"], c["lr"], float(c["t"] + 1)
    bc1, bc2 = _correction(p["beta1"], step), _correction(p["beta2"], step)
    rho_inf, rho = _rho(p["beta2"], step, bc2)
    out = {**decay_values(c, p["weight_decay"], p["decoupled_weight_decay"]), "m": s1.a, "v": s1.b}
    out.update(m_hat=s1.a / bc1, rho=rho)
    if rho > 5.0:
        adaptive = 1.0 / (np.sqrt(s1.b) + p["eps"]) * (bc2**0.5)
        rect = _rect(rho, rho_inf)
        return {**out, "rect": rect, "rate_rect": lr * adaptive * rect / bc1, "step_rect": c["step"]}
    return {**out, "rate_sgd": lr / bc1 * np.ones(2), "step_sgd": c["step"]}


TORCH = (
    f"torch.optim.RAdam([p], {ADAM_ARGS}, weight_decay={{weight_decay}}, "
    "decoupled_weight_decay={decoupled_weight_decay})"
)


OPTAX_REFUSED = (
    "optax's radam adds ε to the bias-corrected √v̂ and rectifies from ρₜ ≥ 5 (torch: ε to the raw √v, "
    "ρₜ > 5); use the PyTorch script"
)


SPEC = declare(
    __name__,
    adam_decay_params(0.01),
    color="#882255",
    order=10,
    cycles_momentum=True,
)
