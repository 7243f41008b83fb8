"""Adam: m ← β₁m + (1−β₁)g, v ← β₂v + (1−β₂)g², θ ← θ − α·m̂/(√v̂ + ε), m̂ = m/(1−β₁ᵗ), v̂ = v/(1−β₂ᵗ)

Momentum and RMSprop together, with bias correction.

Convention: torch Adam

Adam as torch ``Adam`` (optax ``adam``).

m ← m + (1−β₁)(g − m)  (torch's lerp, = β₁m + (1−β₁)g); v ← β₂v + (1−β₂)g²;
θ ← θ − lr/(1−β₁ᵗ) · m / (√v/√(1−β₂ᵗ) + ε).
With ``amsgrad`` the running maximum of v replaces v in the denominator (optax's amsgrad takes
the maximum of the corrected v̂: no optax script then).
Without ``bias_correction`` (the course's "first steps are too small" demonstration):
θ ← θ − lr·m/(√v + ε); torch and optax always correct, so the PyTorch script writes it as a
small class (``app/export/templates/torch_adam_no_bias.py``).
With ``weight_decay`` (the ``adamw`` module) the weights decay first, θ ← θ·(1 − lr·λ).
"""

from __future__ import annotations

from typing import Any, NamedTuple

from ..backend import ARRAY
from ..kernels import jit, rules
from ..kernels.rules import corrections, decay
from .base import MOMENTS, NotExportable, Optimizer, adam_args, adam_params, decay_values, declare, py, zeros

# ---------------------------------------------------------------------------------------------
# the compiled rule: the step loop runs it (`step`), the factory below on floats or NumPy rows


@jit
def rule(
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
def step(
    g: float, t: int, a: float, b: float, c: float, theta: float, lr: float, h: Any, c1: float, c2: float, xp: Any
) -> tuple[float, float, float, float, float, float]:
    """One update of one coordinate as the loop takes it: (θ, a, b, c, moment, rate)."""
    theta, _, a, b, c, rate = rule(g, t, a, b, c, theta, lr, h[0], h[1], h[2], h[3], h[4], h[5], c1, c2, xp)
    return theta, a, b, c, a, rate


@jit
def bias(t: int, h: Any) -> tuple[float, float]:
    k = corrections(t + 1, h[0], h[1])
    return k[0], k[1]


_adam, _corrections = py(rule), py(rules.corrections)


class AdamState(NamedTuple):
    t: int
    m: Any  # first moment
    v: Any  # second moment
    vmax: Any  # running max of v (amsgrad), else 0


def factory(
    xp: Any,
    beta1: Any,
    beta2: Any,
    eps: Any,
    bias_correction: bool,
    amsgrad: bool,
    weight_decay: Any = 0.0,
) -> Optimizer:
    def init(theta: Any) -> AdamState:
        zero = zeros(theta)
        return AdamState(0, zero, zero, zero)

    def update(g: Any, state: AdamState, theta: Any, lr: Any) -> tuple[Any, AdamState]:
        c1, c2 = _corrections(state.t + 1, beta1, beta2) if bias_correction else (1.0, 1.0)
        theta, t, m, v, vmax, _ = _adam(
            g,
            state.t,
            state.m,
            state.v,
            state.vmax,
            theta,
            lr,
            beta1,
            beta2,
            eps,
            bias_correction,
            amsgrad,
            weight_decay,
            c1,
            c2,
            xp,
        )
        return theta, AdamState(t, m, v, vmax)

    return Optimizer(init, update)


LINES = (
    """
θ ¦ θ ← θ·(1 − αλ) ¦ theta_decayed
"""
    + MOMENTS
    + """
v_max ¦ v_max ← max(v_max, v) ¦ vmax
m̂ ¦ m̂ = m/(1−β₁ᵗ) ¦ m_hat
v̂ ¦ v̂ = {second}/(1−β₂ᵗ) ¦ v_hat
αᵢ ¦ αᵢ = α/((1−β₁ᵗ)(√v̂ᵢ + ε)) ¦ rate_hat
Δθ ¦ Δθ = −α·m̂/(√v̂ + ε) = −αᵢ·mᵢ ¦ step_hat
αᵢ ¦ αᵢ = α/(√vᵢ + ε) ¦ rate
Δθ ¦ Δθ = −αᵢ·mᵢ ¦ step_raw
"""
)


def internals(c: dict[str, Any]) -> dict[str, Any]:
    """Adam's values (AdamW's too: its decay first), the rule's own."""
    p, s0, lr = c["params"], c["before"], c["lr"]
    wd, amsgrad = p.get("weight_decay", 0.0), p["amsgrad"]
    c1, c2 = _corrections(c["t"] + 1, p["beta1"], p["beta2"])
    args = (c["g"], s0.t, s0.m, s0.v, s0.vmax, c["theta"], lr, p["beta1"], p["beta2"], p["eps"])
    _, _, m, v, vmax, rate = _adam(*args, p["bias_correction"], amsgrad, wd, c1, c2, ARRAY)
    out = {**decay_values(c, wd, True), "m": m, "v": v, "vmax": vmax if amsgrad else None}
    if not p["bias_correction"]:
        return {**out, "rate": rate, "step_raw": c["step"]}
    v_hat = (vmax if amsgrad else v) / (c2 * c2)
    hats = {"m_hat": m / c1, "v_hat": v_hat, "second": "v_max" if amsgrad else "v"}
    return {**out, **hats, "rate_hat": rate, "step_hat": c["step"]}


def torch(p: dict[str, Any], wd: float | None = None) -> tuple[str, str | None]:
    """torch Adam, or AdamW with ``wd`` (the class without bias correction: a template)."""
    if not p["bias_correction"]:
        return (
            f"AdamNoBiasCorrection([p], {adam_args(p)}, amsgrad={bool(p['amsgrad'])!r}, weight_decay={(wd or 0.0)!r})",
            "torch_adam_no_bias",
        )
    cls = "Adam" if wd is None else "AdamW"
    extra = "" if wd is None else f", weight_decay={wd!r}"
    return (
        f"torch.optim.{cls}([p], {adam_args(p)}, amsgrad={bool(p['amsgrad'])!r}{extra})",
        None,
    )


def optax(p: dict[str, Any], wd: float | None = None) -> str:
    if p["amsgrad"] or not p["bias_correction"]:
        raise NotExportable(
            "optax has no Adam without bias correction, and its amsgrad takes the maximum of the "
            "corrected v (torch: of the raw v); use the PyTorch script"
        )
    if wd is None:
        return f"optax.adam(lr, b1={p['beta1']!r}, b2={p['beta2']!r}, eps={p['eps']!r})"
    return f"optax.adamw(lr, b1={p['beta1']!r}, b2={p['beta2']!r}, eps={p['eps']!r}, weight_decay={wd!r})"


SPEC = declare(
    __name__,
    adam_params(0.01),
    inline=True,
    color="#D55E00",
    order=6,
    cycles_momentum=True,
)
