"""LAMB: u = m̂/(√v̂ + ε) + λθ,  θ ← θ − α·(‖θ‖/‖u‖)·u  per tensor

Adam's direction, rescaled per layer: each tensor steps by α times its own norm (the trust ratio),
whatever the gradients' scale.

Convention: optax lamb (torch.optim has none; eps_root 0, no mask); networks only: the trust
ratio is per tensor of the network

LAMB (You et al. 2020) as optax ``lamb``: ``chain(scale_by_adam(b1, b2, eps), add_decayed_weights
(weight_decay), scale_by_trust_ratio(), scale_by_learning_rate(lr))`` per tensor of the network
(`base.tensors`). Adam's bias-corrected direction m̂/(√v̂ + ε) (m ← (1−β₁)g + β₁m, v ← (1−β₂)g² +
β₂v, the `app.engine.optimizers.adam` rule with θ = 0 and α = 1), plus λθ; each tensor's update
u is scaled by the trust ratio ‖θ‖/‖u‖ (1 where either norm is 0, optax's rule), then
θ ← θ − lr·ratio·u. optax's default ε is 1e-6 (torch Adam's 1e-8). The paper clips ‖θ‖ by a
function φ; optax (and here) takes it as it is. torch.optim has no LAMB: the PyTorch script of a
network writes it as a small class.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from . import adam
from .base import CALL, Layout, Optimizer, adam_params, declare, eps_param, flat, norm, tensors, wd_param


class LambState(NamedTuple):
    adam: Any  # Adam's moments over the whole vector (adam.AdamState)


def factory(xp: Any, layout: Layout, beta1: Any, beta2: Any, eps: Any, weight_decay: Any) -> Optimizer:
    direction = adam.factory(xp, beta1, beta2, eps, True, False)

    def init(theta: Any) -> LambState:
        tensors(theta, layout)  # a vector of the layout's size, or a loud error
        return LambState(direction.init(theta))

    def update(g: Any, state: LambState, theta: Any, lr: Any) -> tuple[Any, LambState]:
        minus_u, moments = direction.update(g, state.adam, np.zeros_like(theta), 1.0)  # −m̂/(√v̂ + ε)
        u = weight_decay * theta - minus_u
        new = []
        for (_, shape), p, uk in zip(layout, tensors(theta, layout), tensors(u, layout), strict=True):
            p_norm, u_norm = norm(p, len(shape)), norm(uk, len(shape))
            zero = (p_norm == 0.0) | (u_norm == 0.0)
            ratio = np.where(zero, 1.0, p_norm / np.where(zero, 1.0, u_norm))
            new.append(p + -lr * (uk * ratio))
        return flat(new, layout), LambState(moments)

    return Optimizer(init, update)


def cost(layout: Layout, params: dict[str, Any]) -> float:
    """Seconds per update: Adam's direction (about 20 NumPy calls) and 15 calls per tensor (measured)."""
    return CALL * (20 + 15 * len(layout))


LINES = """
u ¦ u = m̂/(√v̂ + ε) + λθ ¦ u
r ¦ r = ‖θ‖/‖u‖  (each tensor) ¦ ratio
Δθ ¦ Δθ = −α·r·u ¦ step
"""

TORCH_REFUSED = (
    "LAMB scales each tensor of a network by its trust ratio ‖θ‖/‖u‖: it runs on networks, not on a 2D "
    "surface's two coordinates (torch.optim has no LAMB; the network export writes it as a small class)"
)
OPTAX_REFUSED = (
    "LAMB's trust ratio is per tensor of a network: it runs on networks, not on a 2D surface's two "
    "coordinates (the network export writes optax.lamb)"
)


def torch_network(p: dict[str, Any]) -> tuple[str, str | None]:
    """On a network: the torch form over the list of its tensors ``params`` (app/export/network.py)."""
    return (
        f"LAMB(params, lr={p['lr']!r}, betas=({p['beta1']!r}, {p['beta2']!r}), eps={p['eps']!r}, "
        f"weight_decay={p['weight_decay']!r})",
        "torch_lamb",
    )


SPEC = declare(
    __name__,
    (
        *adam_params(0.01)[:3],
        eps_param(1e-6),
        wd_param(0.0, "λ, weight decay added to the update before the trust ratio"),
    ),
    color="#EE9977",
    order=21,
)
