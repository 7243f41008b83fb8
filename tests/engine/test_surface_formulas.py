"""A built-in surface is its formula: everything the engine, the curvature and the export use is
derived from the one string, for every surface."""

import math
import re
import tomllib
from pathlib import Path

import numpy as np
import pytest

import app.engine.surfaces as surfaces_module
from app.curvature import hessian
from app.engine.backend import ARRAY, SCALAR
from app.engine.expression import parse_expression, typeset
from app.engine.kernels import loop
from app.engine.surfaces import ANALYTIC, builtin
from app.export import python_source, surface_tree

IDS = [s.id for s in ANALYTIC]


def _points(s, n=25):
    rng = np.random.default_rng(7)
    return np.column_stack([rng.uniform(*s.x_range, n), rng.uniform(*s.y_range, n)])


def _kernel_grad(sid: int, x: float, y: float) -> tuple[float, float]:
    W = np.zeros(loop.W_ROWS)
    W[loop.W_X], W[loop.W_Y] = x, y
    loop.grads(sid, W, 1)
    return float(W[loop.W_GX]), float(W[loop.W_GY])


@pytest.mark.parametrize("s", ANALYTIC, ids=IDS)
def test_value_gradient_and_hessian_agree_with_finite_differences(s) -> None:
    assert s.expression is not None
    for x, y in _points(s):
        f = lambda a, b: s.value(a, b, SCALAR)  # noqa: E731
        gx, gy = s.grad(x, y, SCALAR)
        h = 1e-6 * max(1.0, abs(x), abs(y))
        fd = ((f(x + h, y) - f(x - h, y)) / (2 * h), (f(x, y + h) - f(x, y - h)) / (2 * h))
        scale = max(1.0, abs(gx), abs(gy), abs(f(x, y)))
        assert (gx, gy) == pytest.approx(fd, abs=1e-5 * scale)
        hess = hessian(s, x, y)
        g = lambda a, b: np.array(s.grad(a, b, SCALAR))  # noqa: E731
        fd_h = np.column_stack([(g(x + h, y) - g(x - h, y)) / (2 * h), (g(x, y + h) - g(x, y - h)) / (2 * h)])
        np.testing.assert_allclose(hess, fd_h, atol=1e-4 * max(1.0, np.abs(hess).max()))


@pytest.mark.parametrize("s", ANALYTIC, ids=IDS)
def test_the_value_is_the_typed_formula_of_its_string(s) -> None:
    """Same operations as a typed formula of the same text: the same bits, on floats and arrays.

    Except a power with a constant exponent 3 or 4 (Beale, six-hump camel, saddle, monkey saddle):
    the built-ins write it as products, which the compiled lanes vectorize (pow does not), and a
    typed formula calls pow; the two differ by round-off (x^4 as (x*x)*(x*x): within 2 ulps)."""
    expr = parse_expression(s.expression)
    pts = _points(s)
    rel = 1e-13 if re.search(r"\^[34]\b", s.expression) else 0.0
    for x, y in pts:
        assert s.value(x, y, SCALAR) == pytest.approx(expr.value(float(x), float(y), SCALAR), rel=rel, abs=0.0)
    np.testing.assert_allclose(
        s.value(pts[:, 0], pts[:, 1], ARRAY), expr.value(pts[:, 0], pts[:, 1], ARRAY), rtol=rel, atol=0.0
    )
    if rel == 0.0:  # the same bits
        np.testing.assert_array_equal(s.value(pts[:, 0], pts[:, 1], ARRAY), expr.value(pts[:, 0], pts[:, 1], ARRAY))


@pytest.mark.parametrize("sid", range(len(ANALYTIC)), ids=IDS)
def test_the_kernel_dispatch_covers_every_surface_with_the_same_bits(sid: int) -> None:
    s = ANALYTIC[sid]
    assert loop.SURFACE_IDS[sid] == s.id
    for x, y in _points(s):
        assert loop.value_at(sid, x, y) == s.value(float(x), float(y), SCALAR)
        assert _kernel_grad(sid, x, y) == s.grad(float(x), float(y), SCALAR)
    assert math.isnan(loop.value_at(len(ANALYTIC), 0.5, 0.5))  # no such surface


@pytest.mark.parametrize("s", ANALYTIC, ids=IDS)
def test_the_export_writes_the_surface_formula(s) -> None:
    problem = type("P", (), {"surface": s})()
    tree = surface_tree(problem)  # type: ignore[arg-type]
    assert tree == parse_expression(s.expression).tree
    assert python_source(tree, 0)  # the script's f is written from it


def test_ackley_gradient_is_zero_at_the_cone_tip() -> None:
    ackley = next(s for s in ANALYTIC if s.id == "ackley")
    sid = IDS.index("ackley")
    assert ackley.grad(0.0, 0.0, SCALAR) == (0.0, 0.0)
    assert _kernel_grad(sid, 0.0, 0.0) == (0.0, 0.0)
    gx, gy = ackley.grad(np.array([0.0, 0.1]), np.array([0.0, 0.0]), ARRAY)
    assert (gx[0], gy[0]) == (0.0, 0.0) and np.isfinite(gx).all() and gx[1] > 0
    # a typed formula keeps the gradient of its text: not defined at the tip
    with pytest.raises(ZeroDivisionError):
        parse_expression(ackley.expression).grad(0.0, 0.0, SCALAR)


@pytest.mark.parametrize("s", ANALYTIC, ids=IDS)
def test_the_catalogue_display_is_the_typeset_formula(s) -> None:
    assert s.formula == typeset(parse_expression(s.expression).tree)
    assert s.public()["formula"] == s.formula and not re.search(r"[*^]|\d\s*/\s*\d", s.formula)


def test_the_table_is_the_only_place_a_surface_is_declared() -> None:
    """Every built-in is a row of app/engine/data/surfaces.toml, in its order, and no module
    states a built-in's formula again."""
    rows = tomllib.loads(surfaces_module.TABLE.read_text())["surface"]
    assert [r["id"] for r in rows] == IDS
    assert [r["formula"] for r in rows] == [s.expression for s in ANALYTIC]
    app = Path(surfaces_module.__file__).parent.parent
    for path in app.rglob("*.py"):
        text = path.read_text()
        assert not [r["id"] for r in rows if f'"{r["formula"]}"' in text], path


def test_no_hand_written_surface_function_remains() -> None:
    """The module holds declarations only: no function of x and y besides the generic builder."""
    source = Path(surfaces_module.__file__).read_text()
    assert not re.search(r"def _\w+\(x: Any, y: Any, xp: Any\)", source)
    for s in ANALYTIC:
        assert s.value.__code__.co_filename == s.grad.__code__.co_filename == "<optiviz built-in surfaces>"


def test_a_new_surface_is_one_declaration() -> None:
    """A surface declared with a formula alone (no function anywhere) has its value, gradient,
    Hessian and export formula."""
    s = builtin("tilted", "Tilted", "test", "x^2 + 3*x*y + 4*y^2 + sin(x)", (-2.0, 2.0), (-2.0, 2.0), (), (1.0, 1.0))
    assert s.formula == "x² + 3xy + 4y² + sin(x)"  # the catalogue's display text, typeset
    x, y = 0.3, -0.7
    assert s.value(x, y, SCALAR) == pytest.approx(x * x + 3 * x * y + 4 * y * y + math.sin(x), rel=1e-15)
    assert s.grad(x, y, SCALAR) == pytest.approx((2 * x + 3 * y + math.cos(x), 3 * x + 8 * y), rel=1e-15)
    np.testing.assert_allclose(hessian(s, x, y), [[2 - math.sin(x), 3], [3, 8]], rtol=1e-15)
    assert surface_tree(type("P", (), {"surface": s})()) == parse_expression(s.expression).tree
