"""Adafactor: u = g/√V̂,  V̂ = R·C/mean(R),  θ ← θ − ρₜ·max(ε₂, RMS(θ))·u/max(1, RMS(u)/d)

Adam's second moment stored as one row (R) and one column (C) average of g² per weight matrix, with a
step relative to the weights' size and clipped in RMS: memory O(out + in) instead of O(out·in).

Convention: torch Adafactor (2.13: beta2_decay, eps = (eps1, eps2), d, weight_decay; maximize off);
networks only: a weight matrix is factored, a bias keeps its full second moment

Adafactor (Shazeer & Stern 2018) as torch ``Adafactor`` (torch 2.13, ``_single_tensor_adafactor``),
per tensor of the network (`base.tensors`), t counted from 1: the rate ŵ = t^beta2_decay (−0.8:
1 at t = 1, the average then forgets more slowly), ρₜ = min(lr, 1/√t) and the step size
α = max(ε₂, ‖θ‖/√n)·ρₜ, from the weights before their decay θ ← θ·(1 − lr·λ). A weight (out, in):
its row factor R (out, 1) ← lerp(R, mean over the row of g², ŵ), its column factor C (1, in) the
same over the columns, V̂ = R·C / max(mean(R), ε₁); a bias: V ← lerp(V, g², ŵ), V̂ = V. Then
u = g/√max(V̂, ε₁²) and θ ← θ − α/max(1, ‖u‖/(√n·d))·u. torch's ``eps1=None`` is the dtype's
machine epsilon: the default ε₁ here is float64's (2.22e-16). As torch's, no first moment (the
paper's optional β₁). The schedule's lr is the lr above (ρₜ takes it). optax's ``adafactor``
factors only dimensions of at least 128 (``min_dim_size_to_factor``: none of a small network's),
adds ε = 1e-30 to g² instead of clamping and computes its decay in float32: no optax script.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import numpy as np

from ..params import ParamSpec
from .base import (
    CALL,
    Layout,
    Optimizer,
    declare,
    eps_param,
    flat,
    lr_param,
    norm,
    tensors,
    wd_param,
    weights_and_biases,
)


class AdafactorState(NamedTuple):
    t: int  # updates done so far
    row: tuple[Any, ...]  # per tensor: a weight's row factor R (…, out, 1), a bias' second moment V (…, out)
    col: tuple[Any, ...]  # per tensor: a weight's column factor C (…, 1, in), None for a bias


def _lerp(a: Any, b: Any, w: float) -> Any:
    return a + w * (b - a)


def factory(xp: Any, layout: Layout, beta2_decay: Any, eps1: Any, eps2: Any, d: Any, weight_decay: Any) -> Optimizer:
    del xp  # NumPy: the network's tensors

    def init(theta: Any) -> AdafactorState:
        tensors(theta, layout)  # a vector of the layout's size, or a loud error
        lead = theta.shape[:-1]
        row = tuple(np.zeros((*lead, s[0], 1) if len(s) == 2 else (*lead, *s)) for _, s in layout)
        col = tuple(np.zeros((*lead, 1, s[1])) if len(s) == 2 else None for _, s in layout)
        return AdafactorState(0, row, col)

    def update(g: Any, state: AdafactorState, theta: Any, lr: Any) -> tuple[Any, AdafactorState]:
        t = state.t + 1
        rate = float(t) ** beta2_decay  # 1 − β₂ₜ
        rho = np.minimum(lr, 1.0 / float(t) ** 0.5)
        new, rows, cols = [], [], []
        each = zip(layout, tensors(theta, layout), tensors(g, layout), state.row, state.col, strict=True)
        for (_, shape), p, gk, r, c in each:
            root_n = math.sqrt(math.prod(shape))
            alpha = np.maximum(eps2, norm(p, len(shape)) / root_n) * rho
            if weight_decay:
                p = p * (1.0 - lr * weight_decay)
            if len(shape) == 2:
                g2 = gk * gk
                r = _lerp(r, np.add.reduce(g2, axis=-1, keepdims=True) / shape[1], rate)
                c = _lerp(c, np.add.reduce(g2, axis=-2, keepdims=True) / shape[0], rate)
                estimate = (r @ c) / np.maximum(np.add.reduce(r, axis=-2, keepdims=True) / shape[0], eps1)
            else:
                r = _lerp(r, gk * gk, rate)
                estimate = r
            u = gk * (1.0 / np.sqrt(np.maximum(estimate, eps1 * eps1)))
            clip = np.maximum(1.0, norm(u, len(shape)) / (root_n * d))
            new.append(p - alpha / clip * u)
            rows.append(r)
            cols.append(c)
        return flat(new, layout), AdafactorState(t, tuple(rows), tuple(cols))

    return Optimizer(init, update)


def cost(layout: Layout, params: dict[str, Any]) -> float:
    """Seconds per update: about 35 NumPy calls per weight matrix, 15 per bias (measured)."""
    weights, biases = weights_and_biases(layout)
    return CALL * (5 + 35 * weights + 15 * biases)


LINES = """
ŵ ¦ ŵ = t^β₂ᵈ (the averages' rate) ¦ rate
u ¦ u = g/√max(V̂, ε₁²),  V̂ = R·C/mean(R) per weight matrix ¦ u
Δθ ¦ Δθ = −ρₜ·max(ε₂, RMS(θ))·u/max(1, RMS(u)/d) − αλθ ¦ step
"""

TORCH_REFUSED = (
    "Adafactor factors the second moment of a network's weight matrices: it runs on networks, not on a "
    "2D surface's two coordinates (the network export writes torch.optim.Adafactor)"
)
OPTAX_REFUSED = (
    "optax's adafactor factors only dimensions of at least 128, adds its ε to g² and computes its decay in "
    "float32: it is not torch's Adafactor, which this one follows; use the PyTorch script"
)


def torch_network(p: dict[str, Any]) -> tuple[str, str | None]:
    """On a network: the torch form over the list of its tensors ``params`` (app/export/network.py)."""
    return (
        f"torch.optim.Adafactor(params, lr={p['lr']!r}, beta2_decay={p['beta2_decay']!r}, "
        f"eps=({p['eps1']!r}, {p['eps2']!r}), d={p['d']!r}, weight_decay={p['weight_decay']!r}, foreach=False)",
        None,
    )


SPEC = declare(
    __name__,
    (
        lr_param(0.01),
        ParamSpec(
            "beta2_decay",
            -0.8,
            -1.0,
            0.0,
            "the second moment's rate is t to this power (−0.8: 1 at t = 1, then slower)",
            slider_min=-1.0,
            slider_max=0.0,
        ),
        ParamSpec(
            "eps1",
            float(np.finfo(np.float64).eps),
            0.0,
            1.0,
            "ε₁, the floor of the second moment's estimate (torch's None: float64's machine epsilon)",
            log_scale=True,
            slider_min=1e-30,
            slider_max=1e-3,
        ),
        eps_param(1e-3, "eps2", "ε₂, the floor of RMS(θ) in the step size (a tensor at 0 still moves)", 1e-8),
        ParamSpec("d", 1.0, 1.0, 100.0, "d, the clipping threshold of the update's RMS", slider_max=10.0),
        wd_param(0.0, "λ, weight decay (decoupled: θ·(1 − αλ))"),
    ),
    color="#0055FF",
    order=19,
)
