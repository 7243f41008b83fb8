"""ASGD: θ ← θ(1 − λη) − ηg, η ← α₀/(1 + λα₀t)^a, ā ← ā + (θ − ā)/max(1, t − t₀)

SGD with a decaying rate that also keeps the running average of its iterates (Polyak averaging).

Convention: torch ASGD (the average ā is returned as the moment internals mx, my)

ASGD as torch ``ASGD``: θ ← θ·(1 − λη) − η·g, η ← lr/(1 + λ·lr·t)^α (η₀ = lr); the average
ā ← ā + μ(θ − ā), μ = 1/max(1, t − t₀) (so ā = θ until step t₀, the plain average of the
iterates after it). torch's ASGD returns θ, not the average; the averaged iterate is drawn as
well (the moment internals mx/my of ``include_state`` hold it). optax has no averaged SGD.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..kernels import jit
from ..kernels.rules import NAN, decay
from ..params import ParamSpec
from .base import L2, decay_values, declare, lr_param, wd_param

# ---------------------------------------------------------------------------------------------
# the compiled rule: the step loop runs it (`step`), the factory below on floats or NumPy rows


@jit
def rule(
    g: float,
    t: int,
    eta: float,
    ax: float,
    mu: float,
    theta: float,
    lr: float,
    lambd: float,
    alpha: float,
    t0: float,
    weight_decay: float,
) -> tuple[float, float, float, float]:
    """torch ``ASGD``: θ ← θ·(1 − λη) − η·g; the average ax of the iterates from step t₀ on;
    η ← lr/(1 + λ·lr·t)^α, μ ← 1/max(1, t − t₀). η starts at lr, μ at 1."""
    if t == 0:
        eta = lr
    step = float(t + 1)
    g, theta = decay(g, theta, lr, weight_decay, 0.0)
    theta = theta * (1.0 - lambd * eta)
    theta = theta + -eta * g
    ax = ax + (theta - ax) * mu if mu != 1.0 else theta
    eta = lr / ((1.0 + lambd * lr * step) ** alpha)
    mu = 1.0 / max(1.0, step - t0)
    return theta, eta, ax, mu


@jit
def step(
    g: float, t: int, a: float, b: float, c: float, theta: float, lr: float, h: Any, c1: float, c2: float, xp: Any
) -> tuple[float, float, float, float, float, float]:
    """One update of one coordinate as the loop takes it: (θ, a, b, c, moment, rate)."""
    theta, a, b, c = rule(g, t, a, b, c, theta, lr, h[0], h[1], h[2], h[3])
    return theta, a, b, c, b, NAN


@jit
def init(theta: float, h: Any) -> tuple[float, float, float]:
    return theta * 0.0, theta * 0.0, theta * 0.0 + 1.0  # (η, ax, μ): η is set to the first update's lr


LINES = (
    L2
    + """
η ¦ η (this update's rate; η₀ = α) ¦ eta
Δθ ¦ θ ← θ·(1 − λη) − η·{gname} ¦ step
ā ¦ ā ← ā + μ·(θ − ā)  (ā = θ while μ = 1) ¦ average
η′ ¦ η ← α/(1 + λαt)^a ¦ eta_next
μ ¦ μ ← 1/max(1, t − t₀) ¦ mu
"""
)


def internals(c: dict[str, Any]) -> dict[str, Any]:
    s1 = c["after"]
    eta = c["lr"] * np.ones(2) if c["t"] == 0 else c["before"].a
    return {**decay_values(c, c["params"]["weight_decay"]), "eta": eta, "average": s1.b, "eta_next": s1.a, "mu": s1.c}


TORCH = "torch.optim.ASGD([p], lr={lr}, lambd={lambd}, alpha={alpha}, t0={t0}, weight_decay={weight_decay})"


OPTAX_REFUSED = "optax has no averaged SGD (ASGD); use the PyTorch script"


SPEC = declare(
    __name__,
    (
        lr_param(0.01),
        ParamSpec("lambd", 1e-4, 0.0, 1.0, "λ, decay term", log_scale=True, slider_min=1e-6, slider_max=1.0),
        ParamSpec("alpha", 0.75, 0.0, 10.0, "a, power of the η decay", slider_max=2.0),
        ParamSpec("t0", 1e6, 0.0, 1e9, "t₀, the step where averaging starts", slider_max=20_000.0),
        wd_param(0.0, "λ_wd, L2 weight decay (added to the gradient)"),
    ),
    color="#E6007E",
    moment="iterate",
    order=13,
)
