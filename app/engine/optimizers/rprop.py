"""Rprop: s ← clamp(s·(η₊ if g·g₋₁ > 0, η₋ if < 0, else 1), s_min, s_max), θ ← θ − sign(g)·s

Per-axis steps that grow while the gradient's sign holds and shrink when it flips; lr is the first
step.

Convention: torch Rprop (iRprop⁻: after a sign flip the update is skipped)

Rprop as torch ``Rprop`` (the iRprop⁻ variant): per axis, a step size s (starting at lr)
multiplied by η₊ while the gradient keeps its sign and by η₋ when it flips (that update is
then skipped and the gradient forgotten), clamped to [s_min, s_max]; θ ← θ − sign(g)·s.
Only the sign of the gradient is used; the schedule's lr only sets the first s. The effective
rate internals (``eff_lr_x``, ``eff_lr_y`` of ``include_state``) are the step sizes s.

optax's scale_by_rprop returns the previous step's sign·step size (its first update is 0): its
path is torch's one update late (checked: x_optax[t + 1] = x_torch[t]), so there is no optax
script.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..kernels import jit
from ..kernels.rules import NAN, sign
from ..params import ParamSpec
from .base import declare, lr_param

# ---------------------------------------------------------------------------------------------
# the compiled rule: the step loop runs it (`step`), the factory below on floats or NumPy rows


@jit
def rule(
    g: float,
    t: int,
    prev: float,
    step_size: float,
    theta: float,
    lr: float,
    etaminus: float,
    etaplus: float,
    step_min: float,
    step_max: float,
) -> tuple[float, float, float]:
    """torch ``Rprop``: each axis's step grows by η₊ while the gradient keeps its sign, shrinks by η₋
    (and skips that update) when it flips; the step is −sign(g)·step_size. step_size starts at lr."""
    if t == 0:
        step_size = lr
    p = g * prev
    if p > 0.0:
        factor = etaplus
    elif p < 0.0:
        factor = etaminus
    elif p == 0.0:
        factor = 1.0
    else:
        factor = p  # nan
    step_size = step_size * factor
    step_size = min(max(step_size, step_min), step_max) if not math.isnan(step_size) else step_size
    if factor == etaminus:
        g = 0.0
    return theta + -sign(g) * step_size, g, step_size


@jit
def step(
    g: float, t: int, a: float, b: float, c: float, theta: float, lr: float, h: Any, c1: float, c2: float, xp: Any
) -> tuple[float, float, float, float, float, float]:
    """One update of one coordinate as the loop takes it: (θ, a, b, c, moment, rate)."""
    theta, a, b = rule(g, t, a, b, theta, lr, h[0], h[1], h[2], h[3])
    return theta, a, b, c, NAN, b


LINES = """
g·g₋₁ ¦ g·g₋₁ (the sign held: > 0; flipped: < 0) ¦ prod
η ¦ η = η₊ if g·g₋₁ > 0, η₋ if < 0, else 1 ¦ factor
αᵢ ¦ sᵢ ← clamp(sᵢ·η, s_min, s_max)  (s starts at α) ¦ rate
Δθ ¦ Δθ = −sign(g)·sᵢ  (0 after a flip: g is forgotten) ¦ step
"""


def internals(c: dict[str, Any]) -> dict[str, Any]:
    p, prod = c["params"], c["g"] * c["before"].a
    factor = np.where(prod > 0, p["etaplus"], np.where(prod < 0, p["etaminus"], 1.0))
    return {"prod": prod, "factor": factor, "rate": c["after"].b}


TORCH = "torch.optim.Rprop([p], lr={lr}, etas=({etaminus}, {etaplus}), step_sizes=({step_size_min}, {step_size_max}))"


OPTAX_REFUSED = (
    "optax's rprop applies each step one update late (its first update is 0), so its path lags torch's "
    "Rprop by one step; use the PyTorch script"
)


SPEC = declare(
    __name__,
    (
        lr_param(0.01),
        ParamSpec(
            "etaminus",
            0.5,
            0.0,
            1.0,
            "η₋, factor when the gradient flips sign",
            min_exclusive=True,
            max_exclusive=True,
        ),
        ParamSpec("etaplus", 1.2, 1.0, 10.0, "η₊, factor while the sign holds", min_exclusive=True, slider_max=3.0),
        ParamSpec(
            "step_size_min",
            1e-6,
            0.0,
            100.0,
            "s_min, the smallest step",
            log_scale=True,
            slider_min=1e-8,
            slider_max=1.0,
        ),
        ParamSpec(
            "step_size_max",
            50.0,
            0.0,
            1e6,
            "s_max, the largest step",
            log_scale=True,
            min_exclusive=True,
            slider_min=1e-3,
            slider_max=100.0,
        ),
    ),
    color="#A52A2A",
    order=12,
)
