"""Schedule-Free AdamW: y = β₁x + (1−β₁)z: z ← z − α·(g/(√ν̂ + ε) + λy), x ← (1−cₜ)x + cₜz, cₜ = α_maxᵖ/Σα_maxᵖ

No schedule needed: the gradient is taken between the running average x and the AdamW sequence z; x
(thin) and z (dashed) are drawn with the path y.

Convention: optax contrib.schedule_free_adamw (the average x is returned as the moment internals mx,
my; z = (y − β₁x)/(1 − β₁)); torch.optim has none

Schedule-Free AdamW as optax ``contrib.schedule_free_adamw`` (Defazio et al. 2024), float64.

Three sequences: the gradient is taken at y (the parameters, the drawn path); z takes the
AdamW step without momentum, z ← z − α·(g/(√ν̂ + ε) + λy), ν ← β₂ν + (1−β₂)g²; x is the
weighted average of the z's, x ← (1 − cₜ)x + cₜz with cₜ = wₜ/Σw, wₜ = (max lr so far)ᵖ (p = 2);
y ← β₁x + (1−β₁)z interpolates between them (β₁ replaces momentum). x is the point to evaluate
(the moment internals mx, my hold it); z = (y − β₁x)/(1 − β₁). Like optax, x is recomputed
from y and z each update, x = (y − (1−β₁)z)/β₁, and λ decays y (where the gradient is taken).

The lr of each update is the studio's schedule (Schedule-Free is meant to run with a constant
rate after a warm-up: use constant with ``warmup_steps``); the largest lr so far includes the
current update's. With a constant rate this is exactly ``schedule_free_adamw(lr)``; with a
schedule it is optax's ``schedule_free`` whose wrapper reads the schedule one count earlier
(its step count starts at 1; the base optimizer's at 0). optax's own ``warmup_steps``
(lr·t/W, so its first update has lr 0) is not this warm-up, torch's lr·(t+1)/W.

Where the PyTorch ``schedulefree`` package (AdamWScheduleFree) differs: it folds Adam's bias
correction √(1−β₂ᵗ) into lr (and so into the weights wₜ and lr_max), has its own built-in
warm-up, an extra (t+1)ʳ factor in the weights (r = 0 by default), and keeps y in the model
between its train and evaluation modes. The paper writes cₜ₊₁ = 1/(t+1) (uniform weights).
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import numpy as np

from ..kernels import jit, rules
from ..kernels.rules import NAN, correction
from ..params import ParamSpec
from .base import (
    ADAM_ARGS,
    Optimizer,
    beta_param,
    declare,
    eps_param,
    lr_param,
    py,
    wd_param,
    zeros,
)

# ---------------------------------------------------------------------------------------------
# the compiled rule: the step loop runs it (`step`), the factory below on floats or NumPy rows


@jit
def rule(
    g: float,
    t: int,
    z: float,
    nu: float,
    wsum: float,
    y: float,
    lr: float,
    lr_max: float,
    weight: float,
    beta1: float,
    beta2: float,
    eps: float,
    weight_decay: float,
    power: float,
) -> tuple[float, float, float, float, float, float]:
    """optax ``contrib.schedule_free_adamw`` (its operations in its order), one coordinate.

    θ is y, the point where the gradient is taken; the state is z (the base AdamW-without-momentum
    sequence), ν and the weight sum W (shared by the coordinates: each keeps its own copy).
    ``lr_max``: the largest lr so far, this update's included; ``weight``: lr_maxᵖ where the caller
    keeps it (the loop computes it once per lane when lr_max changes), nan: computed here.
    Returns (y, z, ν, W, x, rate): x the averaged iterate after the update, rate = lr/(√ν̂ + ε) (the
    per-axis rate of z's step).
    """
    if weight != weight:
        weight = lr_max**power
    total = wsum + weight
    if weight != weight or total != total:
        ck = NAN
    elif total == 0.0 or (math.isinf(weight) and math.isinf(total)):
        ck = 0.0  # jnp.nan_to_num(0/0 or inf/inf, nan=0)
    else:
        ck = weight / total
    nu = (1.0 - beta2) * (g * g) + beta2 * nu
    nu_hat = nu / correction(beta2, float(t + 1))
    scaling = 1.0 / (math.sqrt(nu_hat) + eps)
    u = scaling * g
    if weight_decay != 0.0:
        u = u + weight_decay * y
    u = -lr * u
    z_new = z + u
    prev_x = (y - (1.0 - beta1) * z) / beta1
    x = (1.0 - ck) * prev_x + ck * z_new
    y_new = beta1 * x + (1.0 - beta1) * z_new
    return y + (y_new - y), z_new, nu, total, x, lr * scaling


@jit
def step(
    g: float, t: int, a: float, b: float, c: float, theta: float, lr: float, h: Any, c1: float, c2: float, xp: Any
) -> tuple[float, float, float, float, float, float]:
    """One update of one coordinate as the loop takes it: (θ, a, b, c, moment, rate)."""
    lr_max = max(c1, lr)
    theta, a, b, c, x, rate = rule(
        g, t, a, b, c, theta, lr, lr_max, c2 if lr_max == c1 else NAN, h[0], h[1], h[2], h[3], h[4]
    )
    return theta, a, b, c, x, rate


@jit
def init(theta: float, h: Any) -> tuple[float, float, float]:
    return theta, theta * 0.0, theta * 0.0  # (z, ν, W): z starts at θ


@jit
def bias(t: int, h: Any) -> tuple[float, float]:
    return 0.0, NAN  # c1: the largest lr so far, c2 its weight (the loop keeps them; 0, nan: this lr's)


_sfree = py(rule)


class ScheduleFreeState(NamedTuple):
    t: int  # updates done so far
    z: Any  # the base sequence (AdamW without momentum)
    nu: Any  # second moment
    wsum: Any  # sum of the averaging weights lr_maxᵖ
    lr_max: Any  # the largest lr so far


def factory(xp: Any, beta1: Any, beta2: Any, eps: Any, weight_decay: Any, weight_lr_power: Any) -> Optimizer:
    def one(
        g: float, t: int, z: float, nu: float, wsum: float, y: float, lr: float, lr_max: float, *hyper: float
    ) -> tuple[float, float, float, float]:
        """The rule on one coordinate's floats; ``hyper``: β₁, β₂, ε, λ and the power p."""
        h = [float(v) for v in hyper]
        state = (float(g), int(t), float(z), float(nu), float(wsum), float(y), float(lr), float(lr_max))
        y, z, nu, wsum, _, _ = _sfree(*state, float(lr_max) ** h[-1], *h)  # weight: lr_maxᵖ
        return y, z, nu, wsum

    step = np.vectorize(one, otypes=[float, float, float, float]) if xp.name == "array" else one

    def init(theta: Any) -> ScheduleFreeState:
        return ScheduleFreeState(0, theta + 0.0, zeros(theta), zeros(theta), zeros(theta))

    def update(g: Any, state: ScheduleFreeState, theta: Any, lr: Any) -> tuple[Any, ScheduleFreeState]:
        lr_max = xp.maximum(state.lr_max, lr)
        y, z, nu, wsum = step(
            g,
            state.t,
            state.z,
            state.nu,
            state.wsum,
            theta,
            lr,
            lr_max,
            beta1,
            beta2,
            eps,
            weight_decay,
            weight_lr_power,
        )
        return y, ScheduleFreeState(state.t + 1, z, nu, wsum, lr_max)

    return Optimizer(init, update)


_correction = py(rules.correction)


LINES = """
x ¦ x = (y − (1−β₁)z)/β₁  (the average, before) ¦ x0
ν ¦ ν ← β₂ν + (1−β₂)g² ¦ nu
ν̂ ¦ ν̂ = ν/(1−β₂ᵗ) ¦ nu_hat
αᵢ ¦ αᵢ = α/(√ν̂ᵢ + ε) ¦ rate
z ¦ z ← z − αᵢ·g − αλy ¦ z
α_max ¦ α_max ← max(α_max, α) ¦ lr_max
cₜ ¦ cₜ = α_maxᵖ/Σα_maxᵖ ¦ ck
x′ ¦ x ← (1−cₜ)x + cₜz ¦ x1
y ¦ y ← β₁x + (1−β₁)z  (where the next gradient is taken) ¦ y
Δθ ¦ Δθ = Δy ¦ step
"""


def internals(c: dict[str, Any]) -> dict[str, Any]:
    p, s0, s1, lr, y = c["params"], c["before"], c["after"], c["lr"], c["theta"]
    b1 = p["beta1"]
    nu_hat = s1.nu / _correction(p["beta2"], float(c["t"] + 1))
    weight = s1.lr_max ** p["weight_lr_power"]
    total = s0.wsum + weight
    ck = np.where(total == 0.0, 0.0, weight / np.where(total == 0.0, 1.0, total))  # 0/0 (lr 0): 0, as optax
    x0 = (y - (1.0 - b1) * s0.z) / b1
    rate = lr * (1.0 / (np.sqrt(nu_hat) + p["eps"]))
    return {
        "x0": x0,
        "nu": s1.nu,
        "nu_hat": nu_hat,
        "rate": rate,
        "z": s1.z,
        "lr_max": s1.lr_max,
        "ck": ck,
        "x1": (1.0 - ck) * x0 + ck * s1.z,
        "y": y + c["step"],
    }


TORCH = f"ScheduleFreeAdamW([p], {ADAM_ARGS}, weight_decay={{weight_decay}}, weight_lr_power={{weight_lr_power}})"
TORCH_TEMPLATE = "torch_schedule_free"
OPTAX = (
    "optax.contrib.schedule_free(optax.chain(optax.scale_by_rms(decay={beta2}, eps={eps}, eps_in_sqrt=False, "
    "bias_correction=True), optax.add_decayed_weights({weight_decay}), optax.scale_by_learning_rate(lr)), "
    "learning_rate=lr, b1={beta1}, weight_lr_power={weight_lr_power})"
)


SPEC = declare(
    __name__,
    (
        lr_param(0.0025),
        ParamSpec(
            "beta1",
            0.9,
            0.0,
            1.0,
            "β₁, interpolation between the average x and z (replaces momentum)",
            min_exclusive=True,
            max_exclusive=True,
            slider_min=0.01,
            slider_max=0.999,
        ),
        beta_param("beta2", 0.999, "β₂, decay of the second-moment average"),
        eps_param(1e-8),
        wd_param(0.0, "λ, weight decay (at y, scaled by α)"),
        ParamSpec("weight_lr_power", 2.0, 0.0, 10.0, "p, the averaging weights are α_maxᵖ", slider_max=4.0),
    ),
    color="#1B7F79",
    moment="iterate",
    interpolation="beta1",
    order=17,
)
