"""Each optimizer's update rule, written once as a plain function of floats.

A rule takes the gradient ``g``, the state (floats), the parameter ``theta``, the learning rate
``lr`` and the hyperparameters as arguments, and returns the new parameter, the new state and
the update's internals (the moment after the update, the per-axis effective learning rate), so
no formula is written twice. The same functions run

- compiled, inside the step loop (`app.engine.kernels.loop`), with ``xp`` = `nbmath`;
- as plain Python on floats (``xp = SCALAR``) or NumPy rows (``xp = ARRAY``), through the
  factories of `app.engine.optimizers` (the API the tests and the dataset path use).

Each rule follows torch.optim's order of operations, so trajectories agree with PyTorch to
float64 round-off. Powers ``β**t`` take ``float(t)``: exactly what Python does with an int
exponent (and what keeps numba from replacing ``pow`` by repeated multiplication).
"""

from __future__ import annotations

import math
from typing import Any

from . import jit

NAN = math.nan

# the kind of rule of each optimizer (`OptimizerSpec.rule`); the hyperparameters of a kind are
# its factory's arguments, in order (see `app.engine.optimizers.OptimizerSpec.hyper`)
GD, MOMENTUM, NESTEROV, ADAGRAD, RMSPROP, ADADELTA, ADAM, SGD, NADAM, RADAM, ADAMAX, RPROP, ASGD, LION = range(14)
SFREE, POLYAK = 14, 15  # Schedule-Free AdamW, Polyak step size (optax)
HYPER = 6  # hyperparameter slots per run


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


@jit
def gd(g: Any, theta: Any, lr: Any) -> Any:
    return theta - lr * g


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
def momentum(
    g: Any, t: int, v: Any, theta: Any, lr: Any, beta: Any, ewa: Any, bias_correction: Any, c1: Any
) -> tuple[Any, int, Any]:
    """``c1``: 1 − βᵗ after this update (`corrections`)."""
    t = t + 1
    if ewa:
        v = beta * v + (1.0 - beta) * g
        step = v / c1 if bias_correction else v
    else:
        v = v * beta + g
        step = v
    return theta - lr * step, t, v


@jit
def nesterov(g: Any, v: Any, theta: Any, lr: Any, beta: Any) -> tuple[Any, Any]:
    v = v * beta + g
    return theta - lr * (g + beta * v), v


@jit
def adagrad(g: Any, s: Any, theta: Any, lr: Any, eps: Any, xp: Any) -> tuple[Any, Any, Any]:
    s = s + g * g
    denom = xp.sqrt(s) + eps
    return theta - lr * g / denom, s, lr / denom


@jit
def rmsprop(g: Any, s: Any, theta: Any, lr: Any, beta: Any, eps: Any, xp: Any) -> tuple[Any, Any, Any]:
    s = s * beta + (1.0 - beta) * g * g
    denom = xp.sqrt(s) + eps
    return theta - lr * g / denom, s, lr / denom


@jit
def adadelta(g: Any, s: Any, d: Any, theta: Any, lr: Any, rho: Any, eps: Any, xp: Any) -> tuple[Any, Any, Any, Any]:
    s = s * rho + (1.0 - rho) * g * g
    num, den = xp.sqrt(d + eps), xp.sqrt(s + eps)
    delta = num / den * g
    rate = lr * num / den
    d = d * rho + (1.0 - rho) * delta * delta
    return theta - lr * delta, s, d, rate


@jit
def adam(
    g: Any,
    t: int,
    m: Any,
    v: Any,
    vmax: Any,
    theta: Any,
    lr: Any,
    beta1: Any,
    beta2: Any,
    eps: Any,
    bias_correction: Any,
    amsgrad: Any,
    weight_decay: Any,
    c1: Any,
    c2: Any,
    xp: Any,
) -> tuple[Any, int, Any, Any, Any, Any]:
    """``c1, c2``: the bias corrections after this update (`corrections`)."""
    t = t + 1
    g, theta = decay(g, theta, lr, weight_decay, 1.0)  # AdamW's decoupled decay
    m = m + (1.0 - beta1) * (g - m)  # torch's lerp
    v = v * beta2 + (1.0 - beta2) * g * g
    if amsgrad:
        vmax = xp.maximum(vmax, v)
        second = vmax
    else:
        second = v
    if bias_correction:
        step_size = lr / c1
        denom = xp.sqrt(second) / c2 + eps
    else:
        step_size = lr
        denom = xp.sqrt(second) + eps
    return theta - step_size * m / denom, t, m, v, vmax, step_size / denom


@jit
def sgd(
    g: float,
    t: int,
    buf: float,
    theta: float,
    lr: float,
    momentum: float,
    dampening: float,
    nesterov: float,
    weight_decay: float,
) -> tuple[float, float]:
    """torch ``SGD``: the buffer starts as the first gradient (undamped), then v ← βv + (1 − d)g."""
    g, theta = decay(g, theta, lr, weight_decay, 0.0)
    if momentum != 0.0:
        buf = g if t == 0 else buf * momentum + (1.0 - dampening) * g
        g = g + momentum * buf if nesterov != 0.0 else buf
    return theta - lr * g, buf


@jit
def nadam_mu(step: Any, beta1: Any, momentum_decay: Any) -> Any:
    """NAdam's momentum of update ``step``: μₜ = β₁(1 − ½·0.96^(tψ))."""
    return beta1 * (1.0 - 0.5 * (0.96 ** (step * momentum_decay)))


@jit
def nadam(
    g: float,
    t: int,
    m: float,
    v: float,
    mu_product: float,
    theta: float,
    lr: float,
    beta1: float,
    beta2: float,
    eps: float,
    weight_decay: float,
    momentum_decay: float,
    decoupled: float,
    xp: Any,
) -> tuple[float, float, float, float, float]:
    """torch ``NAdam`` (single-tensor path): (θ, m, v, Πμ, effective rate)."""
    step = float(t + 1)
    bias_correction2 = correction(beta2, step)
    g, theta = decay(g, theta, lr, weight_decay, decoupled)
    mu, mu_next = nadam_mu(step, beta1, momentum_decay), nadam_mu(step + 1.0, beta1, momentum_decay)
    mu_product = mu_product * mu
    m = lerp(m, g, 1.0 - beta1)
    v = v * beta2 + (1.0 - beta2) * g * g
    denom = xp.sqrt(v / bias_correction2) + eps
    mu_product_next = mu_product * mu_next
    theta = theta + -lr * (1.0 - mu) / (1.0 - mu_product) * g / denom
    theta = theta + (-lr * mu_next) / (1.0 - mu_product_next) * m / denom
    return theta, m, v, mu_product, lr / denom


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
def radam(
    g: float,
    t: int,
    m: float,
    v: float,
    theta: float,
    lr: float,
    beta1: float,
    beta2: float,
    eps: float,
    weight_decay: float,
    decoupled: float,
    xp: Any,
) -> tuple[float, float, float, float]:
    """torch ``RAdam``: the rectified adaptive step once ρₜ > 5, plain momentum SGD before."""
    step = float(t + 1)
    g, theta = decay(g, theta, lr, weight_decay, decoupled)
    m = lerp(m, g, 1.0 - beta1)
    v = v * beta2 + (1.0 - beta2) * g * g
    bias_correction1 = correction(beta1, step)
    bias_correction2 = correction(beta2, step)
    m_hat = m / bias_correction1
    rho_inf, rho_t = radam_rho(beta2, step, bias_correction2)
    if rho_t > 5.0:
        adaptive = 1.0 / (xp.sqrt(v) + eps) * (bias_correction2**0.5)  # torch: scalar / t = t.reciprocal() * scalar
        rect = radam_rect(rho_t, rho_inf)
        theta = theta - m_hat * lr * adaptive * rect
        rate = lr * adaptive * rect / bias_correction1
    else:
        theta = theta - m_hat * lr
        rate = lr / bias_correction1
    return theta, m, v, rate


@jit
def adamax(
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
def rprop(
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
def asgd(
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
def lion_interp(g: Any, m: Any, beta1: Any) -> Any:
    """Lion's interpolation c = (1 − β₁)g + β₁m, whose sign is the step."""
    return (1.0 - beta1) * g + beta1 * m


@jit
def lion(
    g: float, m: float, theta: float, lr: float, beta1: float, beta2: float, weight_decay: float
) -> tuple[float, float, float]:
    """optax ``lion``: c = (1 − β₁)g + β₁m, θ ← θ − lr·(sign(c) + λθ), m ← (1 − β₂)g + β₂m.
    Returns (θ, m, c)."""
    c = lion_interp(g, m, beta1)
    m = (1.0 - beta2) * g + beta2 * m
    return theta + -lr * (sign(c) + weight_decay * theta), m, c


@jit
def sfree(
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


@jit
def init(kind: int, theta: float, h: Any) -> tuple[float, float, float]:
    """The state (a, b, c) of one coordinate before the first update."""
    if kind == ADAGRAD:
        return theta * 0.0 + h[1], 0.0, 0.0
    if kind == NADAM:  # (m, v, the product of the μ's)
        return theta * 0.0, theta * 0.0, theta * 0.0 + 1.0
    if kind == ASGD:  # (η, ax, μ): η is set to the first update's lr
        return theta * 0.0, theta * 0.0, theta * 0.0 + 1.0
    if kind == SFREE:  # (z, ν, W): z starts at θ
        return theta, theta * 0.0, theta * 0.0
    return theta * 0.0, theta * 0.0, theta * 0.0


@jit
def bias(kind: int, t: int, h: Any) -> tuple[float, float]:
    """The bias corrections an update after t updates uses (1 where there are none)."""
    if kind == ADAM:
        c = corrections(t + 1, h[0], h[1])
        return c[0], c[1]
    if kind == MOMENTUM:
        c = corrections(t + 1, h[0], 0.0)
        return c[0], c[1]
    if kind == SFREE:  # c1: the largest lr so far, c2 its weight (the loop keeps them; 0, nan: this lr's)
        return 0.0, NAN
    return 1.0, 1.0


@jit
def update(
    kind: int,
    g: float,
    t: int,
    a: float,
    b: float,
    c: float,
    theta: float,
    lr: float,
    h: Any,
    c1: float,
    c2: float,
    xp: Any,
) -> tuple[float, float, float, float, float, float]:
    """One update of one coordinate, any optimizer: (θ, a, b, c, moment, rate) after it.

    ``t`` is the number of updates done before; ``h`` the hyperparameters (`HYPER` floats);
    ``c1, c2`` = ``bias(kind, t, h)`` (shared by the coordinates, or read from a table; for
    Schedule-Free c1 is the largest lr so far, for Polyak the step size γ: the loop computes
    both, see `app.engine.kernels.loop.steps` and `polyak_rate`); moment
    and rate are nan where the method has no such quantity (rate is then simply lr).
    """
    if kind == ADAM:
        theta, _, a, b, c, rate = adam(g, t, a, b, c, theta, lr, h[0], h[1], h[2], h[3], h[4], h[5], c1, c2, xp)
        return theta, a, b, c, a, rate
    if kind == GD:
        return gd(g, theta, lr), a, b, c, NAN, NAN
    if kind == MOMENTUM:
        theta, _, a = momentum(g, t, a, theta, lr, h[0], h[1] == 0.0, h[2], c1)  # variant 0: ewa
        return theta, a, b, c, a, NAN
    if kind == NESTEROV:
        theta, a = nesterov(g, a, theta, lr, h[0])
        return theta, a, b, c, a, NAN
    if kind == ADAGRAD:
        theta, a, rate = adagrad(g, a, theta, lr, h[0], xp)
        return theta, a, b, c, NAN, rate
    if kind == RMSPROP:
        theta, a, rate = rmsprop(g, a, theta, lr, h[0], h[1], xp)
        return theta, a, b, c, NAN, rate
    if kind == ADADELTA:
        theta, a, b, rate = adadelta(g, a, b, theta, lr, h[0], h[1], xp)
        return theta, a, b, c, NAN, rate
    if kind == SGD:
        theta, a = sgd(g, t, a, theta, lr, h[0], h[1], h[2], h[3])
        return theta, a, b, c, a if h[0] != 0.0 else NAN, NAN
    if kind == NADAM:
        theta, a, b, c, rate = nadam(g, t, a, b, c, theta, lr, h[0], h[1], h[2], h[3], h[4], h[5], xp)
        return theta, a, b, c, a, rate
    if kind == RADAM:
        theta, a, b, rate = radam(g, t, a, b, theta, lr, h[0], h[1], h[2], h[3], h[4], xp)
        return theta, a, b, c, a, rate
    if kind == ADAMAX:
        theta, a, b, rate = adamax(g, t, a, b, theta, lr, h[0], h[1], h[2], h[3])
        return theta, a, b, c, a, rate
    if kind == RPROP:
        theta, a, b = rprop(g, t, a, b, theta, lr, h[0], h[1], h[2], h[3])
        return theta, a, b, c, NAN, b
    if kind == LION:
        theta, a, interp = lion(g, a, theta, lr, h[0], h[1], h[2])
        return theta, a, b, c, interp, NAN
    if kind == SFREE:
        lr_max = max(c1, lr)
        theta, a, b, c, x, rate = sfree(
            g, t, a, b, c, theta, lr, lr_max, c2 if lr_max == c1 else NAN, h[0], h[1], h[2], h[3], h[4]
        )
        return theta, a, b, c, x, rate
    if kind == POLYAK:  # c1: the step size γ (`polyak_rate`); optax's order of operations
        return theta + c1 * (-lr * g), a, b, c, NAN, lr * c1
    theta, a, b, c = asgd(g, t, a, b, c, theta, lr, h[0], h[1], h[2], h[3])  # ASGD
    return theta, a, b, c, b, NAN
