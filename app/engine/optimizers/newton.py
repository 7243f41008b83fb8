"""Damped Newton: θ ← θ − α·(H + λI)⁻¹g;  H + λI ⊁ 0: H = VMVᵀ → V|M|Vᵀ

Newton's method with the exact Hessian: one step to the minimum of a quadratic (α = 1, λ = 0); the
damping λ shortens steps where the curvature is small.

Convention: no torch.optim class; the export uses torch.autograd.functional.hessian. Saddle-free
fallback: where H + λI is not positive definite, H's eigenvalues are replaced by their absolute
values; include_state: mx, my = (H + λI)⁻¹g

Damped Newton with the exact 2D Hessian: θ ← θ − lr·(H + λI)⁻¹g (Levenberg's damping λ).
Where H + λI is not positive definite the eigenvalues of H are replaced by their absolute
values (saddle-free Newton), so the step never goes uphill; see
`app.engine.closure.newton_direction`. Runs in its own driver (`app.engine.closure`). Neither
torch.optim nor optax has a Newton method: the PyTorch script writes it as a small class with
``torch.autograd.functional.hessian`` (``app/export/templates/torch_closure.py``).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..params import ParamSpec
from .base import Optimizer, declare, lr_param


def factory(xp: Any, damping: Any) -> Optimizer:
    raise TypeError("damped Newton is not element-wise: it runs in app.engine.closure (ClosureRun)")


LINES = """
H₁ ¦ H = ∇²f(θ):  (∂²f/∂x², ∂²f/∂x∂y) ¦ h1
H₂ ¦ (∂²f/∂y∂x, ∂²f/∂y²) ¦ h2
μ ¦ μ = eig(H) ¦ mu
d ¦ {d_formula} ¦ direction
Δθ ¦ Δθ = −α·d ¦ step
"""


def internals(c: dict[str, Any]) -> dict[str, Any]:
    """``info``: the step's `closure.StepInfo` (its Hessian, direction and fallback)."""
    info = c["info"]
    a, b, cc = info.hessian
    mus = np.linalg.eigvalsh(np.array([[a, b], [b, cc]])) if np.isfinite([a, b, cc]).all() else (math.nan, math.nan)
    d_formula = "d = V(|M| + λI)⁻¹Vᵀg,  H + λI ⊁ 0  (H = VMVᵀ)" if info.fallback else "d = (H + λI)⁻¹g"
    return {
        "h1": (a, b),
        "h2": (b, cc),
        "mu": (float(mus[0]), float(mus[1])),
        "d_formula": d_formula,
        "direction": info.direction,
    }


TORCH = "DampedNewton([p], lr={lr}, damping={damping})"
TORCH_TEMPLATE = "torch_closure"


OPTAX_REFUSED = "optax has no Newton method (the exact Hessian); use the PyTorch script"


SPEC = declare(
    __name__,
    (
        lr_param(1.0),
        ParamSpec("damping", 0.0, 0.0, 1e6, "λ, Levenberg damping added to the Hessian's diagonal", slider_max=10.0),
    ),
    color="#6E6E6E",  # grey: apart from every hue (ΔE ≥ 20, tested)
    hessian=True,
    order=16,
)
