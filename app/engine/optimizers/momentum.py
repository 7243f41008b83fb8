"""Momentum: ewa: v ← βv + (1−β)g, θ ← θ − α·v   |   classic: v ← βv + g, θ ← θ − α·v

Gradient descent with an exponentially weighted average of gradients.

Convention: ewa: course notes (torch has no such form); classic: torch SGD(momentum=β)

Momentum, in the two forms found in courses and libraries.

- ``variant="ewa"`` (the course's form): v ← βv + (1−β)g, θ ← θ − lr·v, v₀ = 0; with
  ``bias_correction``, θ ← θ − lr·v/(1−βᵗ). The velocity is an average of gradients, so the
  step has the size of lr·g. torch has no such form: the export writes it as a small
  ``torch.optim.Optimizer`` (``app/export/templates/torch_ewa_momentum.py``); optax: ``ema``.
- ``variant="classic"`` (torch ``SGD(momentum=β)``, dampening 0): v ← βv + g, θ ← θ − lr·v.
  The velocity is a sum, about 1/(1−β) times larger at steady state: the same lr takes
  steps 1/(1−β) times longer than the ewa form (α versus α/(1−β)). torch sets v₁ = g, which
  is what βv₀ + g gives with v₀ = 0.
"""

from __future__ import annotations

from typing import Any

from ..kernels import jit, rules
from ..kernels.rules import NAN, corrections
from ..params import ParamSpec
from .base import Optimizer, VelocityState, beta_param, declare, lr_param, py, zeros

# ---------------------------------------------------------------------------------------------
# the compiled rule: the step loop runs it (`step`), the factory below on floats or NumPy rows


@jit
def rule(
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
def step(
    g: float, t: int, a: float, b: float, c: float, theta: float, lr: float, h: Any, c1: float, c2: float, xp: Any
) -> tuple[float, float, float, float, float, float]:
    """One update of one coordinate as the loop takes it: (θ, a, b, c, moment, rate)."""
    theta, _, a = rule(g, t, a, theta, lr, h[0], h[1] == 0.0, h[2], c1)  # variant 0: ewa
    return theta, a, b, c, a, NAN


@jit
def bias(t: int, h: Any) -> tuple[float, float]:
    k = corrections(t + 1, h[0], 0.0)
    return k[0], k[1]


_momentum, _corrections = py(rule), py(rules.corrections)


def factory(xp: Any, beta: Any, variant: str, bias_correction: bool) -> Optimizer:
    ewa = variant == "ewa"

    def init(theta: Any) -> VelocityState:
        return VelocityState(0, zeros(theta))

    def update(g: Any, state: VelocityState, theta: Any, lr: Any) -> tuple[Any, VelocityState]:
        c1 = _corrections(state.t + 1, beta, 0.0)[0] if ewa and bias_correction else 1.0
        theta, t, v = _momentum(g, state.t, state.v, theta, lr, beta, ewa, bias_correction, c1)
        return theta, VelocityState(t, v)

    return Optimizer(init, update)


LINES = """
v ¦ v ← βv + {gterm} ¦ v
v̂ ¦ v̂ = v/(1−βᵗ) ¦ v_hat
Δθ ¦ Δθ = −α·{stepped} ¦ step
"""


def internals(c: dict[str, Any]) -> dict[str, Any]:
    p, v = c["params"], c["after"].v
    if p["variant"] == "classic":
        return {"v": v, "gterm": "g", "stepped": "v"}
    if p["bias_correction"]:
        return {"v": v, "gterm": "(1−β)g", "v_hat": v / _corrections(c["t"] + 1, p["beta"], 0.0)[0], "stepped": "v̂"}
    return {"v": v, "gterm": "(1−β)g", "stepped": "v"}


def torch(p: dict[str, Any]) -> tuple[str, str | None]:
    if p["variant"] == "classic":
        return f"torch.optim.SGD([p], lr={p['lr']!r}, momentum={p['beta']!r})", None
    return (
        f"EWAMomentum([p], lr={p['lr']!r}, momentum={p['beta']!r}, bias_correction={bool(p['bias_correction'])!r})",
        "torch_ewa_momentum",
    )


def optax(p: dict[str, Any]) -> str:
    if p["variant"] == "classic":
        return f"optax.sgd(lr, momentum={p['beta']!r})"
    ema = f"optax.ema({p['beta']!r}, debias={bool(p['bias_correction'])!r})"
    return f"optax.chain({ema}, optax.scale_by_learning_rate(lr))"


SPEC = declare(
    __name__,
    (
        lr_param(0.01),
        beta_param("beta", 0.9, "β, decay of the velocity average"),
        ParamSpec(
            "variant",
            "ewa",
            description="ewa: the course's average of gradients; classic: torch SGD's sum",
            kind="choice",
            choices=("ewa", "classic"),
        ),
        ParamSpec(
            "bias_correction",
            False,
            description="ewa only: divide v by 1 − βᵗ",
            kind="bool",
        ),
    ),
    inline=True,
    color="#E69F00",
    order=1,
    cycles_momentum=True,
)
