"""Custom formulas: grammar, precedence, exact gradients, and errors that point at the bad part."""

import math

import numpy as np
import pytest

from app.engine.backend import ARRAY, SCALAR
from app.engine.expression import MAX_DEPTH, MAX_LENGTH, ExpressionError, parse_expression, typeset

VALUES = [
    ("x^2 + 10*y^2", lambda x, y: x**2 + 10 * y**2),
    ("x**2 + 10*y**2", lambda x, y: x**2 + 10 * y**2),
    ("-x^2", lambda x, y: -(x**2)),
    ("2^3^2", lambda x, y: 512.0),
    ("x^-1", lambda x, y: 1 / x),
    ("(x - 1)^2 + 100*(y - x^2)^2", lambda x, y: (x - 1) ** 2 + 100 * (y - x**2) ** 2),
    ("sin(x)*cos(y) + tan(x/4)", lambda x, y: math.sin(x) * math.cos(y) + math.tan(x / 4)),
    ("exp(-x^2) * log(2 + y)", lambda x, y: math.exp(-(x**2)) * math.log(2 + y)),
    ("sqrt(x^2 + y^2 + 1) + abs(x - y)", lambda x, y: math.sqrt(x * x + y * y + 1) + abs(x - y)),
    (
        "tanh(x) + sinh(y/3) + cosh(x/3) + atan(x*y)",
        lambda x, y: math.tanh(x) + math.sinh(y / 3) + math.cosh(x / 3) + math.atan(x * y),
    ),
    ("pi*x + e^y", lambda x, y: math.pi * x + math.e**y),
    ("3", lambda x, y: 3.0),
    ("  x / y ", lambda x, y: x / y),
    ("x^y", lambda x, y: x**y),
]


@pytest.mark.parametrize(("text", "fn"), VALUES, ids=[v[0] for v in VALUES])
def test_values_on_floats_and_arrays(text: str, fn) -> None:
    e = parse_expression(text)
    for x, y in [(1.3, 0.7), (0.4, 1.9)]:
        assert e.value(x, y, SCALAR) == pytest.approx(fn(x, y), rel=1e-12)
    xs, ys = np.array([1.3, 0.4]), np.array([0.7, 1.9])
    np.testing.assert_allclose(e.value(xs, ys, ARRAY), [fn(1.3, 0.7), fn(0.4, 1.9)], rtol=1e-12)


@pytest.mark.parametrize(("text", "fn"), VALUES, ids=[v[0] for v in VALUES])
def test_gradient_matches_finite_differences(text: str, fn) -> None:
    e = parse_expression(text)
    h = 1e-6
    for x, y in [(1.3, 0.7), (0.4, 1.9)]:
        gx, gy = e.grad(x, y, SCALAR)
        assert gx == pytest.approx((fn(x + h, y) - fn(x - h, y)) / (2 * h), rel=1e-5, abs=1e-6)
        assert gy == pytest.approx((fn(x, y + h) - fn(x, y - h)) / (2 * h), rel=1e-5, abs=1e-6)


def test_exact_gradients() -> None:
    e = parse_expression("x^3*y + sin(y)")
    assert e.grad(2.0, 0.5, SCALAR) == (3 * 4.0 * 0.5, 8.0 + math.cos(0.5))
    gx, gy = parse_expression("7").grad(np.zeros((3, 3)), np.zeros((3, 3)), ARRAY)
    assert gx.shape == (3, 3) and not gx.any() and not gy.any()
    assert parse_expression("7").value(np.zeros((2, 2)), np.zeros((2, 2)), ARRAY).shape == (2, 2)


@pytest.mark.parametrize(
    ("text", "typeset_text"),
    [
        ("0.5*(x^2 + y^2) - 0.48*x*y", "0.5·(x² + y²) − 0.48xy"),
        ("-20*exp(-0.2*sqrt(x^2 + y^2)) + e", "−20·exp(−0.2·√(x² + y²)) + e"),
        ("10*cos(2*pi*x) + x^4/3 + sqrt(x)^2", "10·cos(2πx) + x⁴/3 + (√x)²"),
        ("x^0.5 + 1e-5*x + x/(y*2) - (x - y) + 2*3 + x^-1", "x^0.5 + 1e−05·x + x/(y·2) − (x − y) + 2·3 + x^(−1)"),
    ],
)
def test_typeset_writes_a_formula_as_a_textbook_does(text: str, typeset_text: str) -> None:
    assert typeset(parse_expression(text).tree) == typeset_text


def test_display_uses_caret() -> None:
    assert parse_expression("x**2 + 10*y**2").display == "x^2 + 10 * y^2"


REJECTED = [
    ("x + z", "z", "unknown name"),
    ("2x + y", "x", "implicit multiplication"),
    ("__import__('os')", "__import__", "unknown function"),
    ("foo(x)", "foo", "unknown function"),
    ("().__class__", "().__class__", "attribute"),
    ("x.real", "x.real", "attribute"),
    ("[x]", "[x]", "list"),
    ("x[0]", "x[0]", "indexing"),
    ("lambda: 1", "lambda: 1", "lambda"),
    ("x < y", "x < y", "comparison"),
    ("x and y", "x and y", "and"),
    ("x if y else 1", "x if y else 1", "if"),
    ("x // y", "x // y", "//"),
    ("x % y", "x % y", "%"),
    ("x @ y", "x @ y", "@"),
    ("'a'", "'a'", "numbers"),
    ("sin(x, y)", "sin(x, y)", "one argument"),
    ("sin", "sin", "function"),
    ("(x + y", "(", "unbalanced"),
    ("x + y)", ")", "unbalanced"),
    ("1e999 * x", "1e999", "too large"),
]


@pytest.mark.parametrize(("text", "fragment", "reason"), REJECTED, ids=[r[0] for r in REJECTED])
def test_rejected_with_position(text: str, fragment: str, reason: str) -> None:
    with pytest.raises(ExpressionError) as info:
        parse_expression(text)
    err = info.value
    assert reason in err.message
    assert err.position is not None
    assert text[err.position : err.position + err.length] == fragment
    assert f"column {err.position + 1}" in str(err)


@pytest.mark.parametrize("text", ["", "   ", "x;y", "x=1", "x ^ ^ y", "x\ny", "x\x00", "f'{x}'", "1j", "not x"])
def test_other_rejections(text: str) -> None:
    with pytest.raises(ExpressionError):
        parse_expression(text)


def test_limits() -> None:
    with pytest.raises(ExpressionError, match=f"at most {MAX_LENGTH}"):
        parse_expression("x+" * 150 + "x")
    ok = "+".join(["x*y"] * 75)[:MAX_LENGTH]
    ok = ok.rstrip("+*")
    assert len(ok) <= MAX_LENGTH
    parse_expression(ok)
    with pytest.raises(ExpressionError, match="nested too deeply"):
        parse_expression("(" * (MAX_DEPTH + 1) + "x" + ")" * (MAX_DEPTH + 1))
    with pytest.raises(ExpressionError, match="nested too deeply"):
        parse_expression("-" * 200 + "x")
    parse_expression("(" * (MAX_DEPTH - 2) + "x" + ")" * (MAX_DEPTH - 2))


def test_huge_powers_do_not_hang() -> None:
    e = parse_expression("9^9^9^9")
    with pytest.raises(OverflowError):
        e.value(1.0, 1.0, SCALAR)
    with np.errstate(all="ignore"):
        assert np.isinf(e.value(np.ones(2), np.ones(2), ARRAY)).all()


def test_fractional_power_of_negative_is_not_complex() -> None:
    e = parse_expression("x^0.5")
    with pytest.raises(ValueError):
        e.value(-4.0, 0.0, SCALAR)
    with np.errstate(all="ignore"):
        assert np.isnan(e.value(np.array([-4.0]), np.array([0.0]), ARRAY)).all()


# --- cost: shared subexpressions, limits that bound the worst formula -----------------------------

# the costliest formulas within the limits, found by hand and by a random search
COSTLY = [
    "/".join(["x^y^2"] * 50),
    "/".join(["x^y"] * 50),
    "x^y^x^" + "*".join(["x", "y"] * 48),
    "/".join(["x^x"] * 75),
]
# over the operation limit: 299 characters that took ~23,000 closures and 8.5 ms per step before
TOO_COSTLY = ("x^y^x^" + "x*y*" * 80)[:299].rstrip("*^")


def _naive_grad(tree, x, y):
    """The tree walked without sharing: the reference the programs must equal bit for bit."""
    from app.engine.expression import Call, Const, Neg, Var, derivative

    def ev(n):
        if isinstance(n, Const):
            return n.value
        if isinstance(n, Var):
            return x if n.name == "x" else y
        if isinstance(n, Neg):
            return -ev(n.a)
        if isinstance(n, Call):
            return getattr(SCALAR, n.fn)(ev(n.a))
        a = ev(n.a)
        if n.op == "^" and isinstance(n.b, Const) and n.b.value == 2.0:
            return a * a
        b = ev(n.b)
        return (
            {"+": a + b, "-": a - b, "*": a * b, "/": a / b if n.op == "/" else 0}[n.op]
            if n.op != "^"
            else SCALAR.pow(a, b)
        )

    return ev(derivative(tree, "x")), ev(derivative(tree, "y"))


@pytest.mark.parametrize("text", [v[0] for v in VALUES if "y)" not in v[0]] + ["x^y^x", "sin(x*y)/(x+y)^3"])
def test_programs_equal_the_tree_bit_for_bit(text: str) -> None:
    e = parse_expression(text)
    for x, y in [(1.3, 0.7), (0.4, 1.9)]:
        assert e.grad(x, y, SCALAR) == _naive_grad(e.tree, x, y)


@pytest.mark.parametrize("text", COSTLY)
def test_the_costliest_formulas_stay_cheap(text: str) -> None:
    from app.engine.expression import MAX_OPS

    e = parse_expression(text)
    assert 400 < e.ops <= MAX_OPS
    assert e.nbytes < 400_000


def test_a_formula_over_the_operation_limit_is_refused() -> None:
    from app.engine.expression import MAX_OPS

    with pytest.raises(ExpressionError, match=f"at most {MAX_OPS}"):
        parse_expression(TOO_COSTLY)  # ~750 operations


def test_power_towers_and_costs_are_bounded() -> None:
    from app.engine.expression import MAX_TOWER

    parse_expression("x^y^x^y")  # a tower of 3
    with pytest.raises(ExpressionError, match=f"at most {MAX_TOWER}"):
        parse_expression("x^y^x^y^x")


@pytest.mark.parametrize(
    "text,suggest",
    [("ｅｘｐ(ｘ)", "e"), ("𝑥^2 + y", "x"), ("ℯ^x", "e"), ("x\u00a0+ y", None), ("x² + y", "2"), ("x − y", None)],
)
def test_look_alike_characters_are_refused_with_a_hint(text: str, suggest: str | None) -> None:
    with pytest.raises(ExpressionError) as info:
        parse_expression(text)
    msg = str(info.value)
    assert "only ASCII" in msg and info.value.position == next(i for i, c in enumerate(text) if ord(c) > 127)
    if suggest:
        assert f"type '{suggest}' instead" in msg
