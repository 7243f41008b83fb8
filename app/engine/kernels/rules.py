"""The pieces the optimizers' rules compose, written once, and the loop's kinds of rule.

Each optimizer's update rule is in its own module (`app.engine.optimizers`), a plain function of
floats that takes the gradient ``g``, the state, the parameter ``theta``, the learning rate ``lr``
and the hyperparameters and returns the new parameter, the new state and the update's internals.
What several rules share is here, as optax composes transformations: weight decay (L2 or
decoupled, `decay`), the bias corrections (`correction`, `corrections`), torch's ``lerp`` and
``sign``; and the internals the inspector shows (NAdam's μₜ, RAdam's ρₜ and r, Lion's
interpolation), so the inspector reads the rules' own formulas. Also gradient clipping and the
Polyak step size, which the loop computes from both coordinates.

The same functions run compiled, inside the step loop (`app.engine.kernels.loop`, dispatched by
`app.engine.kernels.dispatch`), with ``xp`` = `nbmath`, and as plain Python on floats (``xp =
SCALAR``) or NumPy rows (``xp = ARRAY``) through the optimizers' factories. Each rule follows
torch.optim's order of operations, so trajectories agree with PyTorch to float64 round-off.
Powers ``β**t`` take ``float(t)``: exactly what Python does with an int exponent (and what keeps
numba from replacing ``pow`` by repeated multiplication).
"""

from __future__ import annotations

import math
from typing import Any

from . import jit

NAN = math.nan

HYPER = 6  # hyperparameter slots per run

# the names the step loop gives the two rules whose kind it treats apart (their c1, c2 are its own)
_SHORT = {"SFREE": "schedule_free_adamw", "POLYAK": "polyak_sgd"}


def __getattr__(name: str) -> int:
    """The kind of rule of an optimizer, by its module's name in capitals (``rules.ADAM``): derived
    from the registry (`app.engine.optimizers.KINDS`, `OptimizerSpec.rule`), declared nowhere. The
    hyperparameters of a kind are its factory's arguments, in order (`OptimizerSpec.hyper`)."""
    if name.startswith("_") or not name.isupper():  # the import system's questions (__path__, …)
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from ..optimizers import OPTIMIZERS

    spec = OPTIMIZERS.get(_SHORT.get(name, name.lower()))
    if spec is None or spec.kernel is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = spec.rule  # kept: the next look-up is a plain attribute (the runners test it per step)
    return spec.rule


@jit
def clip(gx: Any, gy: Any, clip_value: float, clip_norm: float, xp: Any) -> tuple[Any, Any]:
    """Gradient clipping as torch's ``clip_grad_value_`` then ``clip_grad_norm_`` (0: off).

    By value: each component clamped to [−c, c]. By norm: g ← g·min(1, c/(‖g‖ + 10⁻⁶)) (torch
    always multiplies, by exactly 1 when ‖g‖ is small enough; a nan norm gives a nan gradient).
    """
    if clip_value > 0.0:
        gx = xp.minimum(xp.maximum(gx, -clip_value), clip_value)
        gy = xp.minimum(xp.maximum(gy, -clip_value), clip_value)
    if clip_norm > 0.0:
        coef = xp.minimum(clip_norm / (xp.sqrt(gx * gx + gy * gy) + 1e-6), 1.0)
        gx, gy = gx * coef, gy * coef
    return gx, gy


# --- the pieces the rules compose (as optax composes transformations), each written once


@jit
def correction(beta: Any, step: float) -> Any:
    """The bias correction of an average with decay β after ``step`` updates: 1 − βᵗ."""
    return 1.0 - beta**step


@jit
def corrections(t: int, beta1: Any, beta2: Any) -> tuple[Any, Any]:
    """Adam's bias corrections after t updates: (1 − β₁ᵗ, √(1 − β₂ᵗ))."""
    return correction(beta1, float(t)), correction(beta2, float(t)) ** 0.5


@jit
def decay(g: Any, theta: Any, lr: Any, weight_decay: Any, decoupled: Any) -> tuple[Any, Any]:
    """torch's weight decay λ, before the rule: (g, θ) with either the L2 term added to the
    gradient, g + λθ (λ = 0: g untouched), or ``decoupled`` (AdamW), θ·(1 − lr·λ) (λ = 0: θ·1, the
    same bits, and no branch: the lanes vectorize)."""
    if decoupled != 0.0:
        return g, theta * (1.0 - lr * weight_decay)
    if weight_decay != 0.0:
        g = g + weight_decay * theta
    return g, theta


@jit
def moments(g: Any, m: Any, v: Any, beta1: Any, beta2: Any) -> tuple[Any, Any]:
    """The Adam family's moments as torch updates them: m ← lerp(m, g, 1 − β₁), v ← β₂v + (1 − β₂)g²."""
    return lerp(m, g, 1.0 - beta1), v * beta2 + (1.0 - beta2) * g * g


@jit
def accumulate(g: Any, s: Any, theta: Any, lr: Any, keep: Any, weight: Any, eps: Any, xp: Any) -> tuple[Any, Any, Any]:
    """A squared-gradient accumulator s ← keep·s + weight·g² (AdaGrad's sum: 1, 1; RMSprop's average:
    β, 1 − β) and its step: (θ − lr·g/(√s + ε), s, the per-axis rate lr/(√s + ε))."""
    s = s * keep + weight * g * g
    denom = xp.sqrt(s) + eps
    return theta - lr * g / denom, s, lr / denom


@jit
def lerp(a: float, b: float, w: float) -> float:
    """torch's ``lerp`` (a + w·(b − a), or b − (b − a)·(1 − w) when |w| ≥ 0.5)."""
    if abs(w) < 0.5:
        return a + w * (b - a)
    return b - (b - a) * (1.0 - w)


@jit
def sign(x: float) -> float:
    """torch.sign / jnp.sign: ±1, and 0 and nan kept."""
    return 1.0 if x > 0.0 else (-1.0 if x < 0.0 else x)


# --- the rules


@jit
def nadam_mu(step: Any, beta1: Any, momentum_decay: Any) -> Any:
    """NAdam's momentum of update ``step``: μₜ = β₁(1 − ½·0.96^(tψ))."""
    return beta1 * (1.0 - 0.5 * (0.96 ** (step * momentum_decay)))


@jit
def radam_rho(beta2: Any, step: Any, bias_correction2: Any) -> tuple[Any, Any]:
    """RAdam's (ρ∞, ρₜ): ρ∞ = 2/(1 − β₂) − 1, ρₜ = ρ∞ − 2tβ₂ᵗ/(1 − β₂ᵗ)."""
    rho_inf = 2.0 / (1.0 - beta2) - 1.0
    return rho_inf, rho_inf - 2.0 * step * (beta2**step) / bias_correction2


@jit
def radam_rect(rho_t: Any, rho_inf: Any) -> Any:
    """RAdam's rectification r = √((ρₜ−4)(ρₜ−2)ρ∞/((ρ∞−4)(ρ∞−2)ρₜ))."""
    return ((rho_t - 4.0) * (rho_t - 2.0) * rho_inf / ((rho_inf - 4.0) * (rho_inf - 2.0) * rho_t)) ** 0.5


@jit
def lion_interp(g: Any, m: Any, beta1: Any) -> Any:
    """Lion's interpolation c = (1 − β₁)g + β₁m, whose sign is the step."""
    return (1.0 - beta1) * g + beta1 * m


@jit
def polyak_rate(
    f: float, gx: float, gy: float, lr: float, max_lr: float, eps: float, plus: float, f_min: float
) -> float:
    """optax ``polyak_sgd``'s step size γ = min((f − f*)/(‖s·g‖² + ε), γ_max), s = the schedule's
    lr (optax's ``scaling``; note optax takes the norm of the already scaled update −s·g); the
    update is θ + γ·(−s·g), its effective rate s·γ. ``plus``: the sps+ variant, (f − f*)₊.
    γ = 0 where ‖s·g‖² + ε ≤ the float64 epsilon."""
    ux, uy = -lr * gx, -lr * gy
    n2 = ux * ux + uy * uy
    gap = f - f_min
    if plus != 0.0 and gap < 0.0:
        gap = 0.0
    if n2 + eps <= 2.220446049250313e-16:
        return 0.0
    step = gap / (n2 + eps)
    if not step <= max_lr:  # jnp.minimum (nan kept)
        step = max_lr if step == step else step
    return step
