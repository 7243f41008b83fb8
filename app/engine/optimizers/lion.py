"""Lion as optax ``lion`` (Chen et al. 2023; torch.optim has none: the PyTorch script writes it
as a small class, ``app/export/templates/torch_lion.py``): c = (1 − β₁)g + β₁m,
θ ← θ − lr·(sign(c) + λθ), then m ← (1 − β₂)g + β₂m. Every axis moves by exactly lr (plus the
decay) each step: only the sign of the interpolated momentum is used. The moment internals
(mx, my) are c, the quantity whose sign is taken."""

from __future__ import annotations

from typing import Any

from ..kernels import rules
from .base import Line, Optimizer, OptimizerSpec, beta_param, betas, by_rule, lr_param, py, wd_param

_interp = py(rules.lion_interp)


def lion(xp: Any, beta1: Any, beta2: Any, weight_decay: Any) -> Optimizer:
    return by_rule(rules.LION, xp, beta1, beta2, weight_decay)


def lines(c: dict[str, Any]) -> list[Line]:
    p, s0, s1 = c["params"], c["before"], c["after"]
    return [
        ("c", "c = (1−β₁)g + β₁m", _interp(c["g"], s0.a, p["beta1"])),
        ("Δθ", "Δθ = −α·(sign(c) + λθ)", c["step"]),
        ("m", "m ← (1−β₂)g + β₂m", s1.a),
    ]


SPEC = OptimizerSpec(
    "lion",
    "Lion",
    "c ← (1−β₁)g + β₁m, θ ← θ − α·(sign(c) + λθ), m ← (1−β₂)g + β₂m",
    (
        lr_param(0.01),
        beta_param("beta1", 0.9, "β₁, weight of the momentum in the step's direction"),
        beta_param("beta2", 0.99, "β₂, decay of the momentum"),
        wd_param(1e-3, "λ, decoupled weight decay (scaled by α)"),
    ),
    "Signed momentum: every axis moves by exactly α each step, in the direction of an average of g and m.",
    factory=lion,
    rule=rules.LION,
    convention="optax lion (the paper's; torch.optim has none)",
    color="#BB33BB",
    order=14,
    cycles_momentum=True,
    lines=lines,
    torch=lambda p: (
        f"Lion([p], lr={p['lr']!r}, betas={betas(p)}, weight_decay={p['weight_decay']!r})",
        "torch_lion",
    ),
    optax=lambda p: f"optax.lion(lr, b1={p['beta1']!r}, b2={p['beta2']!r}, weight_decay={p['weight_decay']!r})",
)
