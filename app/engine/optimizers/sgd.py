"""SGD (torch, every flag): g ← g + λθ, v ← βv + (1−d)g (v₁ = g), θ ← θ − α·(nesterov ? g + βv : v)

torch.optim.SGD with its momentum, dampening, nesterov and weight-decay flags.

Convention: torch SGD(momentum=β, dampening=d, nesterov, weight_decay=λ); the first update takes v₁
= g undamped

torch ``SGD`` with every flag: g ← g + λθ; v ← g at the first update, then
v ← βv + (1 − d)·g; the step is g + βv (nesterov) or v; θ ← θ − lr·step.

Where torch and the course differ: torch's buffer is a *sum* (1 − d = 1 by default), the
course's an average (the ``momentum`` entry's ewa form); with dampening d = β torch's buffer
is the course's average except at the first update, which torch takes undamped (v₁ = g, not
(1 − β)g). torch refuses nesterov with dampening ≠ 0 or β = 0; here the formula just runs.
optax: ``add_decayed_weights`` then ``trace``, which has no dampening (no optax script then).
"""

from __future__ import annotations

from typing import Any

from ..kernels import jit
from ..kernels.rules import NAN, decay
from ..params import ParamSpec
from .base import L2, NotExportable, decay_values, declare, lr_param, wd_param

# ---------------------------------------------------------------------------------------------
# the compiled rule: the step loop runs it (`step`), the factory below on floats or NumPy rows


@jit
def rule(
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
def step(
    g: float, t: int, a: float, b: float, c: float, theta: float, lr: float, h: Any, c1: float, c2: float, xp: Any
) -> tuple[float, float, float, float, float, float]:
    """One update of one coordinate as the loop takes it: (θ, a, b, c, moment, rate)."""
    theta, a = rule(g, t, a, theta, lr, h[0], h[1], h[2], h[3])
    return theta, a, b, c, a if h[0] != 0.0 else NAN, NAN


LINES = (
    L2
    + """
v ¦ v = {gname} (the first update: undamped) ¦ v_first
v ¦ v ← βv + (1−d)·{gname} ¦ v
Δθ ¦ Δθ = −α·{gname} ¦ step_plain
Δθ ¦ Δθ = −α·({gname} + βv) ¦ step_nesterov
Δθ ¦ Δθ = −α·v ¦ step_v
"""
)


def internals(c: dict[str, Any]) -> dict[str, Any]:
    p = c["params"]
    out = decay_values(c, p["weight_decay"])
    if p["momentum"] == 0.0:
        return {**out, "step_plain": c["step"]}
    out["v_first" if c["t"] == 0 else "v"] = c["after"].a
    return {**out, ("step_nesterov" if p["nesterov"] else "step_v"): c["step"]}


def optax(p: dict[str, Any]) -> str:
    """torch SGD: g + wd·θ, then buf ← μ·buf + g (the first buf is g), nesterov g + μ·buf: optax's
    add_decayed_weights and trace. torch's dampening (buf ← μ·buf + (1 − d)·g after the first,
    undamped step) optax's trace has not."""
    if p["dampening"]:
        raise NotExportable(
            "optax's trace has no dampening (torch: buf <- momentum*buf + (1 - dampening)*g after "
            "an undamped first step); use the PyTorch script or dampening 0"
        )
    return (
        f"optax.chain(optax.add_decayed_weights({p['weight_decay']!r}), optax.trace(decay={p['momentum']!r}, "
        f"nesterov={bool(p['nesterov'])!r}), optax.scale_by_learning_rate(lr))"
    )


TORCH = (
    "torch.optim.SGD([p], lr={lr}, momentum={momentum}, dampening={dampening}, nesterov={nesterov}, "
    "weight_decay={weight_decay})"
)


SPEC = declare(
    __name__,
    (
        lr_param(0.01),
        ParamSpec("momentum", 0.9, 0.0, 1.0, "β, momentum (0: plain SGD)", max_exclusive=True, slider_max=0.999),
        ParamSpec("dampening", 0.0, 0.0, 1.0, "d, dampening: the gradient enters v with weight 1 − d"),
        ParamSpec("nesterov", False, description="Nesterov: step along g + βv instead of v", kind="bool"),
        wd_param(0.0, "λ, L2 weight decay (added to the gradient)"),
    ),
    color="#332288",
    order=8,
    cycles_momentum=True,
)
