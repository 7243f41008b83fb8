"""The exact Hessian of a surface with a formula: its tree differentiated twice, symbolically.

Built-in surfaces (their formula, app/engine/surfaces.py) and typed formulas (the text the user
typed) have one; dataset surfaces have none (`NoCurvature`: damped Newton takes central differences
of the mini-batch gradient there, app/engine/closure.py). Used by damped Newton and by the
curvature answers (app/curvature.py).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from .datasets import DatasetSurface
from .expression import compile_nodes, derivative, parse_expression
from .surfaces import Surface

Compiled = Callable[[Any, Any, Any], Any]


class NoCurvature(ValueError):
    """The surface has no formula to differentiate, or its curvature is not finite there."""


def formula_of(surface: Surface) -> str:
    """The surface's formula in the formula language; `NoCurvature` when it has none."""
    if isinstance(surface, DatasetSurface):
        raise NoCurvature("the curvature of dataset surfaces is not computed yet")
    if surface.expression is not None:
        return surface.expression
    if surface.id == "custom":
        return str(surface.extra.get("expression") or surface.formula)
    raise NoCurvature(f"no formula for the surface {surface.id!r} to differentiate")


@functools.lru_cache(maxsize=64)
def hessian_functions(text: str) -> tuple[Compiled, Compiled, Compiled]:
    """(h_xx, h_xy, h_yy) of a formula, each f(x, y, xp) on floats or arrays."""
    tree = parse_expression(text).tree
    dx, dy = derivative(tree, "x"), derivative(tree, "y")
    hxx, hxy, hyy = compile_nodes((derivative(dx, "x"), derivative(dx, "y"), derivative(dy, "y")))
    return hxx, hxy, hyy
