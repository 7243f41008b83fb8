"""Muon: B ← μB + (1−μ)g,  O = NSₖ(g + μ(B − g)),  θ ← θ·(1 − αλ) − α·s·O;  AdamW on the biases

Momentum, orthogonalized: each weight matrix steps along its momentum with every singular value
set near 1 (Newton–Schulz), so that every direction of the matrix moves alike; biases take AdamW.

Convention: torch Muon (2.13) on the 2D weights, in float64 (torch runs Newton–Schulz in bfloat16)
and torch AdamW on the rest, as torch's documentation recommends; networks only

Muon (Jordan et al. 2024) as torch ``Muon`` (torch 2.13, ``_single_tensor_muon``) on every weight
matrix (out, in) of the network: B ← lerp(B, g, 1 − μ) (= μB + (1 − μ)g), the update
U = lerp(g, B, μ) with ``nesterov`` (else B), O = NSₖ(U): X = U/max(‖U‖_F, ε) (transposed
when out > in), then k times A = XXᵀ, X ← aX + (bA + cA²)X with torch's (a, b, c) =
(3.4445, −4.7750, 2.0315); then θ ← θ·(1 − lr·λ) − lr·s·O, s = √max(1, out/in) (``original``,
Keller Jordan's) or 0.2·√max(out, in) (``match_rms_adamw``, Moonshot's). torch casts the
Newton–Schulz iteration to bfloat16 (a GPU's speed); here it runs in float64, which is torch's
code without that cast (the golden test runs torch's own function so patched; torch as shipped
differs by bfloat16's ~3 significant digits). torch's Muon refuses tensors that are not 2D: its
documentation trains the others (here the biases) with AdamW, a second optimizer: torch
``AdamW`` (`app.engine.optimizers.adam`'s rule) with its own rate ``adamw_lr``, betas, ε and
decoupled weight decay. A schedule scales both rates alike: the AdamW part's rate at an update
is adamw_lr·lrₜ/lr (torch: one scheduler per optimizer with the same factor). The defaults are
torch's but lr = 0.02 (torch's documentation example and Keller Jordan's; torch's default 1e-3);
the AdamW part takes torch AdamW's (lr 1e-3, betas (0.9, 0.999), ε 1e-8, λ 0.01). optax's
``contrib.muon`` divides its momentum by 1 − μᵗ (a bias correction torch's has not): no optax
script.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import numpy as np

from ..params import ParamSpec
from . import adam
from .base import (
    CALL,
    Layout,
    Optimizer,
    beta_param,
    declare,
    eps_param,
    flat,
    lr_param,
    norm,
    tensors,
    wd_param,
    weights_and_biases,
)

# torch's Newton–Schulz coefficients (a, b, c) (Keller Jordan's, torch.optim._muon)
NS = (3.4445, -4.7750, 2.0315)
ADJUST = ("original", "match_rms_adamw")


def orthogonalize(u: Any, steps: int, eps: float) -> Any:
    """torch's ``_zeropower_via_newtonschulz`` in float64 on matrices (…, out, in): ≈ U·Vᵀ of the
    SVD, its singular values pushed into about [0.7, 1.2] by ``steps`` quintic iterations."""
    a, b, c = NS
    tall = u.shape[-2] > u.shape[-1]
    x = np.swapaxes(u, -1, -2) if tall else u
    x = x / np.maximum(norm(x, 2), eps)
    for _ in range(steps):
        gram = x @ np.swapaxes(x, -1, -2)
        x = a * x + (b * gram + c * (gram @ gram)) @ x
    return np.swapaxes(x, -1, -2) if tall else x


def scale(shape: tuple[int, ...], adjust_lr_fn: str) -> float:
    """torch's ``_adjust_lr``: the rate's factor for a weight (out, in)."""
    out, inp = shape
    return math.sqrt(max(1.0, out / inp)) if adjust_lr_fn == "original" else 0.2 * math.sqrt(max(out, inp))


class MuonState(NamedTuple):
    t: int  # updates done so far
    buf: tuple[Any, ...]  # the momentum buffer B of each weight matrix (…, out, in)
    rest: Any  # the AdamW part's state over the other tensors (adam.AdamState)


def factory(
    xp: Any,
    layout: Layout,
    lr: Any,
    momentum: Any,
    nesterov: bool,
    ns_steps: int,
    eps: Any,
    adjust_lr_fn: str,
    weight_decay: Any,
    adamw_lr: Any,
    adamw_beta1: Any,
    adamw_beta2: Any,
    adamw_eps: Any,
    adamw_weight_decay: Any,
) -> Optimizer:
    """``lr``: the schedule's base, to scale the AdamW part's rate alike."""
    if ns_steps >= 100:
        raise ValueError(f"Muon's ns_steps must be less than 100, got {ns_steps}")
    matrix = [len(shape) == 2 for _, shape in layout]
    rest_layout = tuple(item for item, m in zip(layout, matrix, strict=True) if not m)
    adamw = adam.factory(xp, adamw_beta1, adamw_beta2, adamw_eps, True, False, adamw_weight_decay)

    def rest_of(parts: list[Any]) -> Any:
        return flat([p for p, m in zip(parts, matrix, strict=True) if not m], rest_layout) if rest_layout else None

    def init(theta: Any) -> MuonState:
        parts = tensors(theta, layout)
        rest = rest_of(parts)
        buf = tuple(np.zeros_like(p) for p, m in zip(parts, matrix, strict=True) if m)
        return MuonState(0, buf, adamw.init(rest) if rest is not None else None)

    def update(g: Any, state: MuonState, theta: Any, lr_t: Any) -> tuple[Any, MuonState]:
        parts, grads = tensors(theta, layout), tensors(g, layout)
        new, bufs = list(parts), []
        weights = [i for i, m in enumerate(matrix) if m]
        for i, buf in zip(weights, state.buf, strict=True):
            gk = grads[i]
            buf = buf + (1.0 - momentum) * (gk - buf)
            u = gk + momentum * (buf - gk) if nesterov else buf
            o = orthogonalize(u, ns_steps, eps)
            new[i] = parts[i] * (1.0 - lr_t * weight_decay) - lr_t * scale(layout[i][1], adjust_lr_fn) * o
            bufs.append(buf)
        rest = state.rest
        if rest_layout:
            moved, rest = adamw.update(rest_of(grads), rest, rest_of(parts), lr_t * adamw_lr / lr)
            for i, p in zip((i for i, m in enumerate(matrix) if not m), tensors(moved, rest_layout), strict=True):
                new[i] = p
        return flat(new, layout), MuonState(state.t + 1, tuple(bufs), rest)

    return Optimizer(init, update)


def cost(layout: Layout, params: dict[str, Any]) -> float:
    """Seconds per update: about 12 NumPy calls per weight matrix and 12 per Newton–Schulz step
    (three small matrix products and their sums), AdamW on the biases (about 25; measured)."""
    weights, biases = weights_and_biases(layout)
    return CALL * (10 + weights * (12 + 12 * int(params["ns_steps"])) + (25 if biases else 0))


LINES = """
B ¦ B ← μB + (1−μ)g  (each weight matrix) ¦ buf
O ¦ O = NSₖ(g + μ(B − g))  (singular values ≈ 1) ¦ ortho
Δθ ¦ Δθ = −α·s·O − αλθ (weights);  AdamW (biases) ¦ step
"""

TORCH_REFUSED = (
    "Muon orthogonalizes a network's weight matrices (torch.optim.Muon refuses tensors that are not 2D): it runs "
    "on networks, not on a 2D surface's two coordinates (the network export writes Muon with AdamW)"
)
OPTAX_REFUSED = (
    "optax's contrib.muon divides its momentum by 1 − μᵗ (a bias correction): it is not torch's Muon with AdamW, "
    "which this one follows; use the PyTorch script"
)


def torch_network(p: dict[str, Any]) -> tuple[str, str | None]:
    """On a network: the torch form over the list of its tensors ``params`` (app/export/network.py)."""
    return (
        f"muon_with_adamw(params, lr={p['lr']!r}, adamw_lr={p['adamw_lr']!r}, "
        f"adamw_betas=({p['adamw_beta1']!r}, {p['adamw_beta2']!r}), adamw_eps={p['adamw_eps']!r}, "
        f"adamw_weight_decay={p['adamw_weight_decay']!r}, weight_decay={p['weight_decay']!r}, "
        f"momentum={p['momentum']!r}, nesterov={bool(p['nesterov'])!r}, eps={p['eps']!r}, "
        f"ns_steps={p['ns_steps']!r}, adjust_lr_fn={p['adjust_lr_fn']!r})",
        "torch_muon",
    )


SPEC = declare(
    __name__,
    (
        lr_param(0.02),
        beta_param("momentum", 0.95, "μ, the momentum of each weight matrix"),
        ParamSpec("nesterov", True, description="step along g + μ(B − g) (Nesterov), else along B", kind="bool"),
        ParamSpec("ns_steps", 5, 1, 99, "k, Newton–Schulz iterations", kind="int", slider_max=10),
        eps_param(1e-7, "eps", "ε, the floor of ‖U‖ before Newton–Schulz"),
        ParamSpec(
            "adjust_lr_fn",
            "original",
            description="the rate's factor s per matrix: original √max(1, out/in); match_rms_adamw 0.2·√max(out, in)",
            kind="choice",
            choices=ADJUST,
        ),
        wd_param(0.1, "λ, the weights' decoupled weight decay (θ·(1 − αλ))"),
        ParamSpec(
            "adamw_lr",
            1e-3,
            1e-6,
            100.0,
            "the biases' AdamW learning rate (the schedule scales it as α)",
            log_scale=True,
            slider_min=1e-4,
            slider_max=10.0,
        ),
        beta_param("adamw_beta1", 0.9, "the biases' AdamW β₁"),
        beta_param("adamw_beta2", 0.999, "the biases' AdamW β₂"),
        eps_param(1e-8, "adamw_eps", "the biases' AdamW ε"),
        ParamSpec("adamw_weight_decay", 0.01, 0.0, 10.0, "the biases' AdamW decoupled weight decay λ", slider_max=1.0),
    ),
    color="#00BB00",
    order=20,
)
