"""Adamax as torch ``Adamax``: m ← β₁m + (1−β₁)g, u ← max(β₂u, |g| + ε),
θ ← θ − lr/(1 − β₁ᵗ)·m/u. (The paper's u ← max(β₂u, |g|) has no ε; torch adds it inside the
max, so u ≥ ε.) optax: ``add_decayed_weights`` (torch's L2 term) then ``adamax``."""

from __future__ import annotations

import math
from typing import Any

from ..kernels import jit, rules
from ..kernels.rules import correction, decay, lerp
from .base import Kernel, Line, Optimizer, OptimizerSpec, adam_args, adam_params, by_rule, l2_lines, py, wd_param

# ---------------------------------------------------------------------------------------------
# the compiled rule: the step loop runs it (`step`), the factory below on floats or NumPy rows


@jit
def rule(
    g: float,
    t: int,
    m: float,
    u: float,
    theta: float,
    lr: float,
    beta1: float,
    beta2: float,
    eps: float,
    weight_decay: float,
) -> tuple[float, float, float, float]:
    """torch ``Adamax``: u ← max(β₂u, |g| + ε), θ ← θ − lr/(1 − β₁ᵗ)·m/u."""
    g, theta = decay(g, theta, lr, weight_decay, 0.0)
    m = lerp(m, g, 1.0 - beta1)
    decayed, fresh = u * beta2, abs(g) + eps
    u = fresh if (fresh > decayed or math.isnan(fresh)) else decayed  # torch.maximum (nan wins)
    clr = lr / correction(beta1, float(t + 1))
    return theta + -clr * m / u, m, u, clr / u


@jit
def step(
    g: float, t: int, a: float, b: float, c: float, theta: float, lr: float, h: Any, c1: float, c2: float, xp: Any
) -> tuple[float, float, float, float, float, float]:
    """One update of one coordinate as the loop takes it: (θ, a, b, c, moment, rate)."""
    theta, a, b, rate = rule(g, t, a, b, theta, lr, h[0], h[1], h[2], h[3])
    return theta, a, b, c, a, rate


_correction = py(rules.correction)


def adamax(xp: Any, beta1: Any, beta2: Any, eps: Any, weight_decay: Any) -> Optimizer:
    return by_rule(rules.ADAMAX, xp, beta1, beta2, eps, weight_decay)


def lines(c: dict[str, Any]) -> list[Line]:
    p, s1, lr, step = c["params"], c["after"], c["lr"], float(c["t"] + 1)
    out: list[Line] = []
    l2_lines(c, out, p["weight_decay"])
    gname = "g′" if p["weight_decay"] else "g"
    clr = lr / _correction(p["beta1"], step)
    return [
        *out,
        ("m", f"m ← β₁m + (1−β₁)·{gname}", s1.a),
        ("u", f"u ← max(β₂u, |{gname}| + ε)", s1.b),
        ("αᵢ", "αᵢ = α/((1−β₁ᵗ)·uᵢ)", clr / s1.b),
        ("Δθ", "Δθ = −αᵢ·mᵢ", c["step"]),
    ]


SPEC = OptimizerSpec(
    "adamax",
    "Adamax",
    "m ← β₁m + (1−β₁)g, u ← max(β₂u, |g| + ε), θ ← θ − α/(1−β₁ᵗ)·m/u",
    (*adam_params(0.02)[:4], wd_param(0.0, "λ, L2 weight decay (added to the gradient)")),
    "Adam with the infinity norm: a running maximum of |g| instead of an average of g².",
    factory=adamax,
    kernel=Kernel(step=step),
    rule=rules.ADAMAX,
    convention="torch Adamax (ε inside the max; the paper has none)",
    color="#3D6B00",
    order=11,
    cycles_momentum=True,
    lines=lines,
    torch=lambda p: (
        f"torch.optim.Adamax([p], {adam_args(p)}, weight_decay={p['weight_decay']!r})",
        None,
    ),
    # torch Adamax: u = max(β₂u, |g| + ε), θ ← θ − lr/(1 − β₁ᵗ)·m/u: optax's scale_by_adamax; weight
    # decay is torch's L2 term added to the gradient first
    optax=lambda p: (
        f"optax.chain(optax.add_decayed_weights({p['weight_decay']!r}), optax.adamax(lr, b1={p['beta1']!r}, "
        f"b2={p['beta2']!r}, eps={p['eps']!r}))"
    ),
)
