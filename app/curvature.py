"""Curvature at a point: the exact Hessian, its eigenvalues and eigen-directions, and what they
mean for the learning rate (GD is stable for lr < 2/λmax; on a quadratic, the best GD rate is
2/(λmin + λmax) and the best heavy-ball pair is α = 4/(√λmax + √λmin)², β = ((√κ − 1)/(√κ + 1))²).

The Hessian is differentiated symbolically from the surface's formula (`app.engine.hessian`: the
expression module's own `derivative`, twice): typed formulas and the built-in surfaces alike.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .engine.backend import SCALAR
from .engine.hessian import NoCurvature, formula_of, hessian_functions, kinks
from .engine.surfaces import Surface
from .i18n import text

__all__ = ["NoCurvature", "curvature", "hessian"]


def hessian(surface: Surface, x: float, y: float) -> np.ndarray:
    fxx, fxy, fyy = hessian_functions(formula_of(surface))
    with np.errstate(all="ignore"):
        try:
            a, b, c = (float(f(x, y, SCALAR)) for f in (fxx, fxy, fyy))
        except (ValueError, ZeroDivisionError, OverflowError):
            a = b = c = math.nan
    return np.array([[a, b], [b, c]])


def _finite(v: float) -> float | None:
    return float(v) if math.isfinite(v) else None


def curvature(surface: Surface, point: tuple[float, float]) -> dict[str, Any]:
    x, y = float(point[0]), float(point[1])
    try:
        value = float(surface.value(x, y, SCALAR))
    except (ValueError, ZeroDivisionError, OverflowError):
        value = math.nan
    if not math.isfinite(value):
        raise NoCurvature(text("error.curvature.surface", point=[x, y]), "point")
    for kink, u in kinks(formula_of(surface)):
        if float(u(x, y, SCALAR)) == 0.0:
            raise NoCurvature(text("studio.curv.kink", point=[x, y], kink=kink), "point")
    h = hessian(surface, x, y)
    if not np.isfinite(h).all():
        raise NoCurvature(text("error.curvature.hessian", point=[x, y]), "point")
    lam, vec = np.linalg.eigh(h)  # ascending; columns are the unit eigenvectors
    lmin, lmax = float(lam[0]), float(lam[1])
    # a quadratic has the same Hessian everywhere: compare with a few other points of the range
    rng = np.random.default_rng(0)
    others = [
        hessian(surface, float(rng.uniform(*surface.x_range)), float(rng.uniform(*surface.y_range))) for _ in range(3)
    ]
    scale = max(float(np.max(np.abs(h))), 1e-300)
    quadratic = all(np.isfinite(o).all() and float(np.max(np.abs(o - h))) <= 1e-12 * scale for o in others)
    out: dict[str, Any] = {
        "point": [x, y],
        "hessian": h.tolist(),
        "eigenvalues": [lmin, lmax],
        "eigenvectors": [vec[:, 0].tolist(), vec[:, 1].tolist()],
        "gd_threshold": _finite(2.0 / lmax) if lmax > 0 else None,
        "quadratic": quadratic,
        "condition_number": None,
        "gd_optimal_lr": None,
        "heavy_ball": None,
    }
    if quadratic and lmin > 0:
        kappa = lmax / lmin
        rk = math.sqrt(kappa)
        out["condition_number"] = kappa
        out["gd_optimal_lr"] = 2.0 / (lmin + lmax)
        out["heavy_ball"] = {
            "lr": 4.0 / (math.sqrt(lmax) + math.sqrt(lmin)) ** 2,
            "beta": ((rk - 1.0) / (rk + 1.0)) ** 2,
        }
    return out
