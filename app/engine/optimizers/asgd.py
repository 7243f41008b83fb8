"""ASGD as torch ``ASGD``: θ ← θ·(1 − λη) − η·g, η ← lr/(1 + λ·lr·t)^α (η₀ = lr); the average
ā ← ā + μ(θ − ā), μ = 1/max(1, t − t₀) (so ā = θ until step t₀, the plain average of the
iterates after it). torch's ASGD returns θ, not the average; the averaged iterate is drawn as
well (the moment internals mx/my of ``include_state`` hold it). optax has no averaged SGD."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..kernels import rules
from ..params import ParamSpec
from .base import Line, Optimizer, OptimizerSpec, by_rule, l2_lines, lr_param, wd_param


def asgd(xp: Any, lambd: Any, alpha: Any, t0: Any, weight_decay: Any) -> Optimizer:
    return by_rule(rules.ASGD, xp, lambd, alpha, t0, weight_decay)


def lines(c: dict[str, Any]) -> list[Line]:
    p, s0, s1, lr = c["params"], c["before"], c["after"], c["lr"]
    out: list[Line] = []
    l2_lines(c, out, p["weight_decay"])
    gname = "g′" if p["weight_decay"] else "g"
    eta = lr * np.ones(2) if c["t"] == 0 else s0.a
    return [
        *out,
        ("η", "η (this update's rate; η₀ = α)", eta),
        ("Δθ", f"θ ← θ·(1 − λη) − η·{gname}", c["step"]),
        ("ā", "ā ← ā + μ·(θ − ā)  (ā = θ while μ = 1)", s1.b),
        ("η′", "η ← α/(1 + λαt)^a", s1.a),
        ("μ", "μ ← 1/max(1, t − t₀)", s1.c),
    ]


SPEC = OptimizerSpec(
    "asgd",
    "ASGD",
    "θ ← θ(1 − λη) − ηg, η ← α₀/(1 + λα₀t)^a, ā ← ā + (θ − ā)/max(1, t − t₀)",
    (
        lr_param(0.01),
        ParamSpec("lambd", 1e-4, 0.0, 1.0, "λ, decay term", log_scale=True, slider_min=1e-6, slider_max=1.0),
        ParamSpec("alpha", 0.75, 0.0, 10.0, "a, power of the η decay", slider_max=2.0),
        ParamSpec("t0", 1e6, 0.0, 1e9, "t₀, the step where averaging starts", slider_max=20_000.0),
        wd_param(0.0, "λ_wd, L2 weight decay (added to the gradient)"),
    ),
    "SGD with a decaying rate that also keeps the running average of its iterates (Polyak averaging).",
    factory=asgd,
    rule=rules.ASGD,
    convention="torch ASGD (the average ā is returned as the moment internals mx, my)",
    color="#E6007E",
    moment="iterate",
    order=13,
    lines=lines,
    torch=lambda p: (
        f"torch.optim.ASGD([p], lr={p['lr']!r}, lambd={p['lambd']!r}, alpha={p['alpha']!r}, t0={p['t0']!r}, "
        f"weight_decay={p['weight_decay']!r})",
        None,
    ),
    optax_refused="optax has no averaged SGD (ASGD); use the PyTorch script",
)
