"""The built-in surfaces' generated code: derived gradients simplified to at most the operations
the hand-written gradients took, and equal to the unsimplified derivative up to round-off."""

import numpy as np
import pytest

from app.engine import codegen
from app.engine.backend import ARRAY, SCALAR
from app.engine.expression import compile_node, derivative, parse_expression
from app.engine.surfaces import ANALYTIC, builtin_programs

# the operations of each gradient as written by hand before the surfaces were generated from their
# formulas (git 083a71e^, app/engine/surfaces.py; a shared subexpression counted once)
HAND_WRITTEN = {
    "elongated_bowl": 2,  # 0.2·x, 4·y
    "round_bowl": 2,  # 1.0·x, 1.0·y
    "saddle": 4,  # x·x·x − x, 1.0·y
    "plateau": 7,  # e = exp(−0.5·(x·x + y·y)); x·e, y·e
    "rosenbrock": 8,  # b = y − x·x; −2·(1 − x) − 400·b·x, 200·b
    "himmelblau": 14,
    "beale": 32,
    "rastrigin": 10,  # 2·x + 10·τ·sin(τ·x), the same in y
    "ackley": 27,
    "booth": 12,
    "six_hump_camel": 16,  # 8x − 8.4·x²·x + 2·x²·x²·x + y, x − 8y + 16·y·y·y
    "monkey_saddle": 7,
    "matyas": 6,
}


def _kernel_ops(program) -> int:
    """Lines of the compiled loop's branch: one operation each (x³ and x⁴ as two products)."""
    lines, _ = codegen._lines(program, codegen._KERNEL)
    return len(lines)


def test_every_surface_has_its_hand_written_count() -> None:
    assert set(HAND_WRITTEN) == {s.id for s in ANALYTIC}


@pytest.mark.parametrize("s", ANALYTIC, ids=[s.id for s in ANALYTIC])
def test_the_generated_gradient_is_no_longer_than_the_hand_written_one(s) -> None:
    _, grad = builtin_programs(s.expression)
    assert _kernel_ops(grad) <= HAND_WRITTEN[s.id]


def test_six_hump_camel_collects_the_product_rule() -> None:
    """(4 − 2.1x² + x⁴/3)·x²: the product rule's two terms multiplied out and collected, 8x −
    8.4x³ + 2x⁵, in Horner's form; no division left."""
    camel = next(s for s in ANALYTIC if s.id == "six_hump_camel")
    _, grad = builtin_programs(camel.expression)
    lines, _ = codegen._lines(grad, codegen._KERNEL)
    assert len(lines) == 12
    assert not any("/" in line for line in lines)
    assert camel.grad(1.0, 0.5, SCALAR) == pytest.approx((8.0 - 8.4 + 2.0 + 0.5, 1.0 - 4.0 + 2.0), rel=1e-15)


@pytest.mark.parametrize(
    "text",
    [
        *(s.expression for s in ANALYTIC),
        "x^2 + 3*x*y + 4*y^2 + sin(x)",
        "(x - y)^3 / 7 - 2*x*(y + 1)^2",
        "exp(-x^2) * cos(3*y) - x/5",
        "(2*x + 3)*(4*x - 1)*(x^2 - 2) + y^4/3 - 0.5*y",
        "-(x*y - 1)^2 + (x + y)*(x - y)",
    ],
)
def test_simplified_derivatives_equal_the_derivatives(text: str) -> None:
    tree = parse_expression(text).tree
    rng = np.random.default_rng(3)
    x, y = rng.uniform(-2.0, 2.0, 200), rng.uniform(-2.0, 2.0, 200)
    x[0] = y[0] = 0.0
    for v in "xy":
        d = derivative(tree, v, subgradient=True)
        plain = compile_node(d)(x, y, ARRAY) if "sqrt" not in text else None
        simple = compile_node(codegen.simplify(d))(x, y, ARRAY) + 0.0 * x
        if plain is None:  # Ackley: the cone's tip has no derivative, only the subgradient
            plain = compile_node(derivative(tree, v))(x[1:], y[1:], ARRAY)
            simple = simple[1:]
        scale = max(1.0, float(np.max(np.abs(plain))))
        np.testing.assert_allclose(simple, plain, rtol=1e-13, atol=1e-13 * scale, err_msg=f"d/d{v} {text}")
