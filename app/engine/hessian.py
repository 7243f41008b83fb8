"""The exact Hessian of a surface with a formula: its tree differentiated twice, symbolically.

Built-in surfaces (their formula, app/engine/data/surfaces.toml) and typed formulas (the text the user
typed) have one; dataset surfaces have none (`NoCurvature`: damped Newton takes central differences
of the mini-batch gradient there, app/engine/closure.py). Used by damped Newton and by the
curvature answers (app/curvature.py).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from .datasets import DatasetSurface
from .expression import ZERO, Bin, Call, Neg, Node, compile_nodes, derivative, display, parse_expression
from .surfaces import Surface

Compiled = Callable[[Any, Any, Any], Any]


class NoCurvature(ValueError):
    """The surface has no formula to differentiate, or its curvature is not finite there (or does
    not exist: a kink). ``field``: the request's part to blame, ``surface`` or ``point``."""

    def __init__(self, message: str, field: str = "surface") -> None:
        super().__init__(message)
        self.field = field


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


def _kink_args(n: Node, out: dict[str, Node]) -> None:
    if isinstance(n, Call):
        if n.fn == "abs":
            out.setdefault(display(n), n.a)
        _kink_args(n.a, out)
    elif isinstance(n, Neg):
        _kink_args(n.a, out)
    elif isinstance(n, Bin):
        _kink_args(n.a, out)
        _kink_args(n.b, out)


@functools.lru_cache(maxsize=64)
def kinks(text: str) -> tuple[tuple[str, Compiled], ...]:
    """Each ``abs(u)`` of a formula (its display) with u(x, y, xp): where u = 0 the gradient has a
    kink and the Hessian does not exist (the second derivative's rule, sign' = 0, holds off it)."""
    found: dict[str, Node] = {}
    _kink_args(parse_expression(text).tree, found)
    found = {k: u for k, u in found.items() if derivative(u, "x") != ZERO or derivative(u, "y") != ZERO}
    return tuple(zip(found, compile_nodes(tuple(found.values())), strict=True))
