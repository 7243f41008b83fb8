"""Built-in analytic surfaces: each one row of app/engine/data/surfaces.toml, its formula one string.

A surface's ``value(x, y, xp)`` and ``grad(x, y, xp) -> (∂f/∂x, ∂f/∂y)`` take floats (``xp =
SCALAR``) or NumPy arrays (``xp = ARRAY``). A built-in surface's are derived from its formula
(`builtin`): the same operations as the typed formula of the same text (squares as ``a * a``, so
floats and arrays give the same bits), written out as straight-line code (app/engine/codegen.py).
Adding one is its row in the table plus its catalogue texts (en, zh).
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import codegen
from .backend import SCALAR
from .expression import Program, derivative, lower, parse_expression, typeset

Fn = Callable[[Any, Any, Any], Any]
GradFn = Callable[[Any, Any, Any], tuple[Any, Any]]


@dataclass(frozen=True)
class Surface:
    """A 2D loss surface: what the catalogue shows and what the engine evaluates."""

    id: str
    name: str
    description: str  # one line: what it teaches
    formula: str  # display form
    x_range: tuple[float, float]
    y_range: tuple[float, float]
    minima: tuple[tuple[float, float], ...]
    default_start: tuple[float, float]
    value: Fn
    grad: GradFn
    kind: str = "analytic"
    log_contours: bool = False  # wide range of values: contour levels log-spaced
    # the value is finite wherever |x|, |y| <= bound (true of every built-in formula here)
    finite_in_bound: bool = True
    extra: dict[str, Any] = field(default_factory=dict)
    # the runs the studio opens this surface with: learning rates chosen by measurement (300 steps
    # from default_start) so that the description holds; tests/engine/test_surfaces.py checks it
    default_runs: tuple[dict[str, Any], ...] = ()
    # the minimum value f* (the Polyak step size needs it); None: unbounded below, or not known in
    # closed form (the dataset surfaces). Every built-in surface with minima has it (`builtin`: the
    # value at its first minimum unless stated; tests/engine/test_surfaces.py checks it).
    f_min: float | None = None
    # the formula in the formula language (built-in surfaces): its value, gradient, Hessian and
    # exported code are derived from it
    expression: str | None = None

    def public(self) -> dict[str, Any]:
        out = {
            "id": self.id,
            "name": self.name,
            "kind": self.kind,
            "description": self.description,
            "formula": self.formula,
            "x_range": list(self.x_range),
            "y_range": list(self.y_range),
            "minima": [list(m) for m in self.minima],
            "default_start": list(self.default_start),
            "log_contours": self.log_contours,
            "f_min": self.f_min,
        }
        out["default_runs"] = [_copy(r) for r in self.default_runs]  # the caller's own
        out.update(self.extra)
        return out

    @property
    def bound(self) -> float:
        """Coordinates beyond this are 'far outside any sane bound': the run has diverged."""
        extent = max(abs(v) for v in (*self.x_range, *self.y_range))
        return 1e4 * max(extent, 1.0)


def _copy(value: Any) -> Any:
    """A deep copy of JSON-like values (dicts, lists, tuples of numbers and strings): what
    ``copy.deepcopy`` gives them, without its bookkeeping (a small answer's surface is copied each time)."""
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    if isinstance(value, tuple):
        return tuple(_copy(v) for v in value)
    return value


def default_runs(*runs: tuple[Any, ...]) -> tuple[dict[str, Any], ...]:
    """``("gd", 0.1)`` or ``("gd", 0.1, {"batch_size": 32})`` → the run objects of a trajectories request."""
    out = []
    for optimizer, lr, *extra in runs:
        run: dict[str, Any] = {"optimizer": optimizer, "params": {"lr": lr}}
        if extra:
            run.update(extra[0])
        out.append(run)
    return tuple(out)


# --- the built-in surfaces: each one row of the table, its formula one string -------------------------

STUDIO = ("gd", "momentum", "rmsprop", "adam")  # the runs the studio opens a built-in surface with


def builtin(
    id: str,
    name: str,
    description: str,
    formula: str,
    x_range: tuple[float, float],
    y_range: tuple[float, float],
    minima: tuple[tuple[float, float], ...],
    start: tuple[float, float],
    lrs: tuple[float, ...] = (),
    f_min: float | None = None,
    **fields: Any,
) -> Surface:
    """A built-in surface from its formula (the formula language of typed formulas): the value and
    the gradient are derived from it (`builtin_programs`, then straight-line code,
    app/engine/codegen.py), and so are the Hessian (app/engine/hessian.py), the exported scripts'
    f, the compiled loop's branch (app/engine/kernels/loop.py) and the catalogue's display text
    (`typeset`); ``lrs``, the learning rates of the studio's runs (`STUDIO`, in that order);
    ``f_min``, stated where the minima are given rounded, else the value at the first minimum
    (None without one)."""
    tree = parse_expression(formula).tree
    value_program, grad_program = builtin_programs(formula)
    value = codegen.python_function(value_program, f"{id}_value")
    if f_min is None and minima:
        f_min = float(value(*minima[0], SCALAR))
    return Surface(
        id,
        name,
        description,
        typeset(tree),
        x_range,
        y_range,
        minima,
        start,
        value,
        codegen.python_function(grad_program, f"{id}_grad"),
        expression=formula,
        default_runs=default_runs(*zip(STUDIO, lrs, strict=False)),
        f_min=f_min,
        **fields,
    )


def builtin_programs(text: str) -> tuple[Program, Program]:
    """The straight-line programs of a built-in formula's value and gradient (∂f/∂x, ∂f/∂y sharing
    their common parts). The gradient takes the subgradient 0 at the tip of a cone (Ackley's
    √(…) at the origin: `derivative`'s ``subgradient``), where a typed formula's diverges."""
    tree = parse_expression(text).tree
    dx, dy = (codegen.simplify(derivative(tree, v, subgradient=True)) for v in "xy")
    return lower((tree,)), lower((dx, dy))


def _tupled(value: Any) -> Any:
    """A table row's value with its lists as tuples (ranges, minima, start, lrs)."""
    return tuple(_tupled(v) for v in value) if isinstance(value, list) else value


TABLE = Path(__file__).with_name("data") / "surfaces.toml"  # the one place a built-in surface is declared
with TABLE.open("rb") as _table:
    ANALYTIC: tuple[Surface, ...] = tuple(
        builtin(**{k: _tupled(v) for k, v in row.items()}) for row in tomllib.load(_table)["surface"]
    )
