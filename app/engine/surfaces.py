"""Built-in analytic surfaces: each one declaration, its formula one string.

A surface's ``value(x, y, xp)`` and ``grad(x, y, xp) -> (∂f/∂x, ∂f/∂y)`` take floats (``xp =
SCALAR``) or NumPy arrays (``xp = ARRAY``). A built-in surface's are derived from its formula
(`builtin`): the same operations as the typed formula of the same text (squares as ``a * a``, so
floats and arrays give the same bits), written out as straight-line code (app/engine/codegen.py).
Adding one is its declaration in `ANALYTIC` plus its catalogue texts (en, zh).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from . import codegen
from .backend import SCALAR
from .expression import Program, derivative, lower, parse_expression

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


# --- the built-in surfaces: each one declaration, its formula one string ------------------------------

STUDIO = ("gd", "momentum", "rmsprop", "adam")  # the runs the studio opens a built-in surface with


def builtin(
    id: str,
    name: str,
    description: str,
    expression: str,
    display: str,
    x_range: tuple[float, float],
    y_range: tuple[float, float],
    minima: tuple[tuple[float, float], ...],
    default_start: tuple[float, float],
    lrs: tuple[float, ...] = (),
    f_min: float | None = None,
    **fields: Any,
) -> Surface:
    """A built-in surface from its formula (the formula language of typed formulas): the value and
    the gradient are derived from it (`builtin_programs`, then straight-line code,
    app/engine/codegen.py), and so are the Hessian (app/engine/hessian.py), the exported scripts'
    f and the compiled loop's branch (app/engine/kernels/loop.py). ``display`` is the catalogue's
    typeset text of the same formula (tests/engine/test_surfaces.py checks they agree); ``lrs``,
    the learning rates of the studio's runs (`STUDIO`, in that order); ``f_min``, stated where the
    minima are given rounded, else the value at the first minimum (None without one)."""
    value_program, grad_program = builtin_programs(expression)
    value = codegen.python_function(value_program, f"{id}_value")
    if f_min is None and minima:
        f_min = float(value(*minima[0], SCALAR))
    return Surface(
        id,
        name,
        description,
        display,
        x_range,
        y_range,
        minima,
        default_start,
        value,
        codegen.python_function(grad_program, f"{id}_grad"),
        expression=expression,
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


ANALYTIC: tuple[Surface, ...] = (
    builtin(
        "elongated_bowl",
        "Elongated bowl",
        "An ill-conditioned quadratic: GD zig-zags across the steep axis and crawls along the flat one; "
        "momentum damps the zig-zag, RMSprop and Adam rescale each axis.",
        "0.1*x^2 + 2*y^2",
        "0.1·x² + 2·y²",
        (-10.0, 10.0),
        (-5.0, 5.0),
        ((0.0, 0.0),),
        (-9.0, 3.0),
        lrs=(0.49, 0.49, 0.1, 0.3),
    ),
    builtin(
        "round_bowl",
        "Round bowl",
        "A perfectly conditioned quadratic: every method heads straight for the minimum; the baseline "
        "against which the elongated bowl shows why conditioning matters.",
        "0.5*(x^2 + y^2)",
        "(x² + y²)/2",
        (-5.0, 5.0),
        (-5.0, 5.0),
        ((0.0, 0.0),),
        (-4.0, 3.0),
        lrs=(0.1, 0.1, 0.03, 0.1),
    ),
    builtin(
        "saddle",
        "Saddle",
        "A strict saddle at the origin with two minima beside it: GD started near the stable direction "
        "slides into the saddle and stalls; momentum and the adaptive methods escape.",
        "0.25*x^4 - 0.5*x^2 + 0.5*y^2",
        "x⁴/4 − x²/2 + y²/2",
        (-2.0, 2.0),
        (-2.0, 2.0),
        ((-1.0, 0.0), (1.0, 0.0)),
        (0.001, 1.8),
        lrs=(0.01, 0.05, 0.01, 0.03),
    ),
    builtin(
        "plateau",
        "Plateau",
        "A wide plateau of near-zero gradient around a single well: GD crawls across it, while "
        "RMSprop and Adam divide by the tiny gradient's size and keep their pace.",
        "1 - exp(-0.5*(x^2 + y^2))",
        "1 − exp(−(x² + y²)/2)",
        (-6.0, 6.0),
        (-6.0, 6.0),
        ((0.0, 0.0),),
        (4.0, 3.0),
        lrs=(0.3, 0.3, 0.03, 0.1),
    ),
    builtin(
        "rosenbrock",
        "Rosenbrock",
        "A curved, narrow valley: reaching the valley is easy, following it to the minimum at (1, 1) is slow.",
        "(1 - x)^2 + 100*(y - x^2)^2",
        "(1 − x)² + 100·(y − x²)²",
        (-2.0, 2.0),
        (-1.0, 3.0),
        ((1.0, 1.0),),
        (-1.2, 1.0),
        lrs=(0.002, 0.005, 0.01, 0.3),
        log_contours=True,
    ),
    builtin(
        "himmelblau",
        "Himmelblau",
        "Four equal minima: started near the central peak, different optimizers end in different basins.",
        "(x^2 + y - 11)^2 + (x + y^2 - 7)^2",
        "(x² + y − 11)² + (x + y² − 7)²",
        (-5.0, 5.0),
        (-5.0, 5.0),
        ((3.0, 2.0), (-2.805118, 3.131312), (-3.779310, -3.283186), (3.584428, -1.848126)),
        (-0.3, -0.9),
        lrs=(0.01, 0.01, 0.03, 0.03),
        log_contours=True,
    ),
    builtin(
        "beale",
        "Beale",
        "Flat ridges and steep walls with a minimum at (3, 0.5) at the end of a narrow channel: the "
        "gradient's size changes by orders of magnitude along the way.",
        "(1.5 - x + x*y)^2 + (2.25 - x + x*y^2)^2 + (2.625 - x + x*y^3)^2",
        "(1.5 − x + xy)² + (2.25 − x + xy²)² + (2.625 − x + xy³)²",
        (-4.5, 4.5),
        (-4.5, 4.5),
        ((3.0, 0.5),),
        (1.0, 1.5),
        lrs=(0.01, 0.01, 0.01, 0.1),
        log_contours=True,
    ),
    builtin(
        "rastrigin",
        "Rastrigin",
        "A bowl covered in regularly spaced local minima: most runs get stuck in the nearest one; "
        "momentum can roll over a few.",
        "20 + x^2 - 10*cos(2*pi*x) + y^2 - 10*cos(2*pi*y)",
        "20 + x² − 10·cos(2πx) + y² − 10·cos(2πy)",
        (-5.12, 5.12),
        (-5.12, 5.12),
        ((0.0, 0.0),),
        (-2.7, 2.3),
        lrs=(0.003, 0.1, 0.01, 0.03),
    ),
    builtin(
        "ackley",
        "Ackley",
        "A nearly flat, rippled outer region around a deep central funnel: a plateau with traps.",
        "-20*exp(-0.2*sqrt(0.5*(x^2 + y^2))) - exp(0.5*(cos(2*pi*x) + cos(2*pi*y))) + e + 20",
        "−20·exp(−0.2·√((x² + y²)/2)) − exp((cos 2πx + cos 2πy)/2) + e + 20",
        (-5.0, 5.0),
        (-5.0, 5.0),
        ((0.0, 0.0),),
        (-3.2, 2.6),
        lrs=(0.03, 0.1, 0.3, 0.3),
    ),
    builtin(
        "booth",
        "Booth",
        "A tilted, moderately elongated quadratic bowl with its minimum at (1, 3).",
        "(x + 2*y - 7)^2 + (2*x + y - 5)^2",
        "(x + 2y − 7)² + (2x + y − 5)²",
        (-10.0, 10.0),
        (-10.0, 10.0),
        ((1.0, 3.0),),
        (-8.0, -6.0),
        lrs=(0.01, 0.01, 0.1, 0.3),
        log_contours=True,
    ),
    builtin(
        "six_hump_camel",
        "Six-hump camel",
        "Two global and four local minima: where a run ends depends on its start and its momentum.",
        "(4 - 2.1*x^2 + x^4/3)*x^2 + x*y + (-4 + 4*y^2)*y^2",
        "(4 − 2.1x² + x⁴/3)·x² + xy + (4y² − 4)·y²",
        (-2.0, 2.0),
        (-1.2, 1.2),
        ((0.0898, -0.7126), (-0.0898, 0.7126)),
        (-1.6, -0.9),
        lrs=(0.1, 0.1, 0.1, 0.3),
        f_min=-1.031628453489877,  # the minima above are rounded
    ),
    builtin(
        "monkey_saddle",
        "Monkey saddle",
        "A degenerate saddle (zero curvature in every direction) with no minimum: runs that leave it "
        "fall away without bound and are marked diverged.",
        "x^3 - 3*x*y^2",
        "x³ − 3xy²",
        (-2.0, 2.0),
        (-2.0, 2.0),
        (),
        (0.6, 0.3),
        lrs=(0.001, 0.001, 0.003, 0.003),
    ),
    builtin(
        "matyas",
        "Matyas",
        "A quadratic bowl whose long axis runs diagonally: per-axis methods like RMSprop cannot align with it.",
        "0.26*(x^2 + y^2) - 0.48*x*y",
        "0.26·(x² + y²) − 0.48·xy",
        (-10.0, 10.0),
        (-10.0, 10.0),
        ((0.0, 0.0),),
        (-8.0, 6.0),
        lrs=(0.3, 0.3, 0.03, 0.3),
    ),
)
