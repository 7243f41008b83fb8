"""Built-in analytic surfaces: each formula and its exact gradient written once.

``value(x, y, xp)`` and ``grad(x, y, xp) -> (∂f/∂x, ∂f/∂y)`` take floats (``xp = SCALAR``) or NumPy
arrays (``xp = ARRAY``). Squares are written ``a * a`` rather than ``a ** 2`` so that floats and
arrays give the same bits.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

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
    # closed form (the dataset surfaces). Every built-in surface with minima states it
    # (tests/engine/test_surfaces.py checks it against the value at the minima).
    f_min: float | None = None

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


# --- the course's three ------------------------------------------------------------------------


def _bowl(x: Any, y: Any, xp: Any) -> Any:
    return 0.1 * x * x + 2.0 * y * y


def _bowl_grad(x: Any, y: Any, xp: Any) -> tuple[Any, Any]:
    return 0.2 * x, 4.0 * y


def _round(x: Any, y: Any, xp: Any) -> Any:
    return 0.5 * (x * x + y * y)


def _round_grad(x: Any, y: Any, xp: Any) -> tuple[Any, Any]:
    return 1.0 * x, 1.0 * y


def _saddle(x: Any, y: Any, xp: Any) -> Any:
    x2 = x * x
    return 0.25 * x2 * x2 - 0.5 * x2 + 0.5 * y * y


def _saddle_grad(x: Any, y: Any, xp: Any) -> tuple[Any, Any]:
    return x * x * x - x, 1.0 * y


def _plateau(x: Any, y: Any, xp: Any) -> Any:
    return 1.0 - xp.exp(-0.5 * (x * x + y * y))


def _plateau_grad(x: Any, y: Any, xp: Any) -> tuple[Any, Any]:
    e = xp.exp(-0.5 * (x * x + y * y))
    return x * e, y * e


# --- classics ------------------------------------------------------------------------------------


def _rosenbrock(x: Any, y: Any, xp: Any) -> Any:
    a = 1.0 - x
    b = y - x * x
    return a * a + 100.0 * b * b


def _rosenbrock_grad(x: Any, y: Any, xp: Any) -> tuple[Any, Any]:
    b = y - x * x
    # the order of torch autograd on (1 − x)**2 + 100*(y − x**2)**2, so the bits match
    return -2.0 * (1.0 - x) - 400.0 * b * x, 200.0 * b


def _himmelblau(x: Any, y: Any, xp: Any) -> Any:
    a = x * x + y - 11.0
    b = x + y * y - 7.0
    return a * a + b * b


def _himmelblau_grad(x: Any, y: Any, xp: Any) -> tuple[Any, Any]:
    a = x * x + y - 11.0
    b = x + y * y - 7.0
    return 4.0 * x * a + 2.0 * b, 2.0 * a + 4.0 * y * b


def _beale(x: Any, y: Any, xp: Any) -> Any:
    a = 1.5 - x + x * y
    b = 2.25 - x + x * y * y
    c = 2.625 - x + x * y * y * y
    return a * a + b * b + c * c


def _beale_grad(x: Any, y: Any, xp: Any) -> tuple[Any, Any]:
    y2 = y * y
    y3 = y2 * y
    a = 1.5 - x + x * y
    b = 2.25 - x + x * y2
    c = 2.625 - x + x * y3
    gx = 2.0 * a * (y - 1.0) + 2.0 * b * (y2 - 1.0) + 2.0 * c * (y3 - 1.0)
    gy = 2.0 * a * x + 4.0 * b * x * y + 6.0 * c * x * y2
    return gx, gy


_TAU = 2.0 * math.pi


def _rastrigin(x: Any, y: Any, xp: Any) -> Any:
    return 20.0 + x * x - 10.0 * xp.cos(_TAU * x) + y * y - 10.0 * xp.cos(_TAU * y)


def _rastrigin_grad(x: Any, y: Any, xp: Any) -> tuple[Any, Any]:
    return 2.0 * x + 10.0 * _TAU * xp.sin(_TAU * x), 2.0 * y + 10.0 * _TAU * xp.sin(_TAU * y)


def _ackley(x: Any, y: Any, xp: Any) -> Any:
    r = xp.sqrt(0.5 * (x * x + y * y))
    return -20.0 * xp.exp(-0.2 * r) - xp.exp(0.5 * (xp.cos(_TAU * x) + xp.cos(_TAU * y))) + math.e + 20.0


def _ackley_grad(x: Any, y: Any, xp: Any) -> tuple[Any, Any]:
    r = xp.sqrt(0.5 * (x * x + y * y))
    safe_r = r + (r == 0.0)  # the cone's tip: the gradient of the radial term is 0 there
    radial = 2.0 * xp.exp(-0.2 * r) / safe_r  # d/dx of -20 exp(-0.2 r) = radial * x
    wave = math.pi * xp.exp(0.5 * (xp.cos(_TAU * x) + xp.cos(_TAU * y)))
    return radial * x + wave * xp.sin(_TAU * x), radial * y + wave * xp.sin(_TAU * y)


def _booth(x: Any, y: Any, xp: Any) -> Any:
    a = x + 2.0 * y - 7.0
    b = 2.0 * x + y - 5.0
    return a * a + b * b


def _booth_grad(x: Any, y: Any, xp: Any) -> tuple[Any, Any]:
    a = x + 2.0 * y - 7.0
    b = 2.0 * x + y - 5.0
    return 2.0 * a + 4.0 * b, 4.0 * a + 2.0 * b


def _camel(x: Any, y: Any, xp: Any) -> Any:
    x2 = x * x
    y2 = y * y
    return (4.0 - 2.1 * x2 + x2 * x2 / 3.0) * x2 + x * y + (-4.0 + 4.0 * y2) * y2


def _camel_grad(x: Any, y: Any, xp: Any) -> tuple[Any, Any]:
    x2 = x * x
    return 8.0 * x - 8.4 * x2 * x + 2.0 * x2 * x2 * x + y, x - 8.0 * y + 16.0 * y * y * y


def _monkey(x: Any, y: Any, xp: Any) -> Any:
    return x * x * x - 3.0 * x * y * y


def _monkey_grad(x: Any, y: Any, xp: Any) -> tuple[Any, Any]:
    return 3.0 * x * x - 3.0 * y * y, -6.0 * x * y


def _matyas(x: Any, y: Any, xp: Any) -> Any:
    return 0.26 * (x * x + y * y) - 0.48 * x * y


def _matyas_grad(x: Any, y: Any, xp: Any) -> tuple[Any, Any]:
    return 0.52 * x - 0.48 * y, 0.52 * y - 0.48 * x


ANALYTIC: tuple[Surface, ...] = (
    Surface(
        "elongated_bowl",
        "Elongated bowl",
        "An ill-conditioned quadratic: GD zig-zags across the steep axis and crawls along the flat one; "
        "momentum damps the zig-zag, RMSprop and Adam rescale each axis.",
        "0.1·x² + 2·y²",
        (-10.0, 10.0),
        (-5.0, 5.0),
        ((0.0, 0.0),),
        (-9.0, 3.0),
        _bowl,
        _bowl_grad,
        default_runs=default_runs(("gd", 0.49), ("momentum", 0.49), ("rmsprop", 0.1), ("adam", 0.3)),
        f_min=0.0,
    ),
    Surface(
        "round_bowl",
        "Round bowl",
        "A perfectly conditioned quadratic: every method heads straight for the minimum; the baseline "
        "against which the elongated bowl shows why conditioning matters.",
        "(x² + y²)/2",
        (-5.0, 5.0),
        (-5.0, 5.0),
        ((0.0, 0.0),),
        (-4.0, 3.0),
        _round,
        _round_grad,
        default_runs=default_runs(("gd", 0.1), ("momentum", 0.1), ("rmsprop", 0.03), ("adam", 0.1)),
        f_min=0.0,
    ),
    Surface(
        "saddle",
        "Saddle",
        "A strict saddle at the origin with two minima beside it: GD started near the stable direction "
        "slides into the saddle and stalls; momentum and the adaptive methods escape.",
        "x⁴/4 − x²/2 + y²/2",
        (-2.0, 2.0),
        (-2.0, 2.0),
        ((-1.0, 0.0), (1.0, 0.0)),
        (0.001, 1.8),
        _saddle,
        _saddle_grad,
        default_runs=default_runs(("gd", 0.01), ("momentum", 0.05), ("rmsprop", 0.01), ("adam", 0.03)),
        f_min=-0.25,
    ),
    Surface(
        "plateau",
        "Plateau",
        "A wide plateau of near-zero gradient around a single well: GD crawls across it, while "
        "RMSprop and Adam divide by the tiny gradient's size and keep their pace.",
        "1 − exp(−(x² + y²)/2)",
        (-6.0, 6.0),
        (-6.0, 6.0),
        ((0.0, 0.0),),
        (4.0, 3.0),
        _plateau,
        _plateau_grad,
        default_runs=default_runs(("gd", 0.3), ("momentum", 0.3), ("rmsprop", 0.03), ("adam", 0.1)),
        f_min=0.0,
    ),
    Surface(
        "rosenbrock",
        "Rosenbrock",
        "A curved, narrow valley: reaching the valley is easy, following it to the minimum at (1, 1) is slow.",
        "(1 − x)² + 100·(y − x²)²",
        (-2.0, 2.0),
        (-1.0, 3.0),
        ((1.0, 1.0),),
        (-1.2, 1.0),
        _rosenbrock,
        _rosenbrock_grad,
        default_runs=default_runs(("gd", 0.002), ("momentum", 0.005), ("rmsprop", 0.01), ("adam", 0.3)),
        f_min=0.0,
        log_contours=True,
    ),
    Surface(
        "himmelblau",
        "Himmelblau",
        "Four equal minima: started near the central peak, different optimizers end in different basins.",
        "(x² + y − 11)² + (x + y² − 7)²",
        (-5.0, 5.0),
        (-5.0, 5.0),
        ((3.0, 2.0), (-2.805118, 3.131312), (-3.779310, -3.283186), (3.584428, -1.848126)),
        (-0.3, -0.9),
        _himmelblau,
        _himmelblau_grad,
        default_runs=default_runs(("gd", 0.01), ("momentum", 0.01), ("rmsprop", 0.03), ("adam", 0.03)),
        f_min=0.0,
        log_contours=True,
    ),
    Surface(
        "beale",
        "Beale",
        "Flat ridges and steep walls with a minimum at (3, 0.5) at the end of a narrow channel: the "
        "gradient's size changes by orders of magnitude along the way.",
        "(1.5 − x + xy)² + (2.25 − x + xy²)² + (2.625 − x + xy³)²",
        (-4.5, 4.5),
        (-4.5, 4.5),
        ((3.0, 0.5),),
        (1.0, 1.5),
        _beale,
        _beale_grad,
        default_runs=default_runs(("gd", 0.01), ("momentum", 0.01), ("rmsprop", 0.01), ("adam", 0.1)),
        f_min=0.0,
        log_contours=True,
    ),
    Surface(
        "rastrigin",
        "Rastrigin",
        "A bowl covered in regularly spaced local minima: most runs get stuck in the nearest one; "
        "momentum can roll over a few.",
        "20 + x² − 10·cos(2πx) + y² − 10·cos(2πy)",
        (-5.12, 5.12),
        (-5.12, 5.12),
        ((0.0, 0.0),),
        (-2.7, 2.3),
        _rastrigin,
        _rastrigin_grad,
        default_runs=default_runs(("gd", 0.003), ("momentum", 0.1), ("rmsprop", 0.01), ("adam", 0.03)),
        f_min=0.0,
    ),
    Surface(
        "ackley",
        "Ackley",
        "A nearly flat, rippled outer region around a deep central funnel: a plateau with traps.",
        "−20·exp(−0.2·√((x² + y²)/2)) − exp((cos 2πx + cos 2πy)/2) + e + 20",
        (-5.0, 5.0),
        (-5.0, 5.0),
        ((0.0, 0.0),),
        (-3.2, 2.6),
        _ackley,
        _ackley_grad,
        default_runs=default_runs(("gd", 0.03), ("momentum", 0.1), ("rmsprop", 0.3), ("adam", 0.3)),
        f_min=0.0,
    ),
    Surface(
        "booth",
        "Booth",
        "A tilted, moderately elongated quadratic bowl with its minimum at (1, 3).",
        "(x + 2y − 7)² + (2x + y − 5)²",
        (-10.0, 10.0),
        (-10.0, 10.0),
        ((1.0, 3.0),),
        (-8.0, -6.0),
        _booth,
        _booth_grad,
        default_runs=default_runs(("gd", 0.01), ("momentum", 0.01), ("rmsprop", 0.1), ("adam", 0.3)),
        f_min=0.0,
        log_contours=True,
    ),
    Surface(
        "six_hump_camel",
        "Six-hump camel",
        "Two global and four local minima: where a run ends depends on its start and its momentum.",
        "(4 − 2.1x² + x⁴/3)·x² + xy + (4y² − 4)·y²",
        (-2.0, 2.0),
        (-1.2, 1.2),
        ((0.0898, -0.7126), (-0.0898, 0.7126)),
        (-1.6, -0.9),
        _camel,
        _camel_grad,
        default_runs=default_runs(("gd", 0.1), ("momentum", 0.1), ("rmsprop", 0.1), ("adam", 0.3)),
        f_min=-1.031628453489877,
    ),
    Surface(
        "monkey_saddle",
        "Monkey saddle",
        "A degenerate saddle (zero curvature in every direction) with no minimum: runs that leave it "
        "fall away without bound and are marked diverged.",
        "x³ − 3xy²",
        (-2.0, 2.0),
        (-2.0, 2.0),
        (),
        (0.6, 0.3),
        _monkey,
        _monkey_grad,
        default_runs=default_runs(("gd", 0.001), ("momentum", 0.001), ("rmsprop", 0.003), ("adam", 0.003)),
        f_min=None,  # unbounded below: no f*
    ),
    Surface(
        "matyas",
        "Matyas",
        "A quadratic bowl whose long axis runs diagonally: per-axis methods like RMSprop cannot align with it.",
        "0.26·(x² + y²) − 0.48·xy",
        (-10.0, 10.0),
        (-10.0, 10.0),
        ((0.0, 0.0),),
        (-8.0, 6.0),
        _matyas,
        _matyas_grad,
        default_runs=default_runs(("gd", 0.3), ("momentum", 0.3), ("rmsprop", 0.03), ("adam", 0.3)),
        f_min=0.0,
    ),
)
