"""Every built-in surface: catalogue fields, minima that are stationary, both backends agree."""

import numpy as np
import pytest

from app.engine.backend import ARRAY, SCALAR
from app.registry import SURFACES

IDS = list(SURFACES)


def test_at_least_twelve_including_the_course_three_and_datasets() -> None:
    assert len(SURFACES) >= 12
    for required in ("elongated_bowl", "saddle", "plateau", "rosenbrock", "himmelblau", "beale", "rastrigin",
                     "ackley", "booth", "six_hump_camel", "monkey_saddle", "linear_regression",
                     "logistic_regression"):
        assert required in SURFACES


@pytest.mark.parametrize("sid", IDS)
def test_public_fields(sid: str) -> None:
    s = SURFACES[sid]
    pub = s.public()
    for key in ("id", "name", "description", "formula", "x_range", "y_range", "minima", "default_start"):
        assert key in pub
    (x0, x1), (y0, y1) = s.x_range, s.y_range
    assert x0 < x1 and y0 < y1
    assert x0 <= s.default_start[0] <= x1 and y0 <= s.default_start[1] <= y1
    for mx, my in s.minima:
        assert x0 <= mx <= x1 and y0 <= my <= y1
    assert len(s.description) > 20
    if s.kind == "dataset":
        assert pub["dataset"]["m"] == 1000


@pytest.mark.parametrize("sid", IDS)
def test_minima_are_stationary(sid: str) -> None:
    s = SURFACES[sid]
    for mx, my in s.minima:
        gx, gy = s.grad(mx, my, SCALAR)
        scale = max(1.0, abs(float(s.value(mx + 0.1, my + 0.1, SCALAR))))
        assert np.hypot(gx, gy) < 1e-3 * scale, (mx, my, gx, gy)


@pytest.mark.parametrize("sid", IDS)
def test_float_and_array_backends_agree(sid: str) -> None:
    s = SURFACES[sid]
    rng = np.random.default_rng(0)
    xs = rng.uniform(*s.x_range, 25)
    ys = rng.uniform(*s.y_range, 25)
    vals = np.asarray(s.value(xs, ys, ARRAY))
    gx, gy = s.grad(xs, ys, ARRAY)
    for i in range(25):
        assert float(s.value(xs[i], ys[i], SCALAR)) == pytest.approx(vals[i], rel=1e-12, abs=1e-12)
        sgx, sgy = s.grad(xs[i], ys[i], SCALAR)
        assert float(sgx) == pytest.approx(gx[i], rel=1e-12, abs=1e-12)
        assert float(sgy) == pytest.approx(gy[i], rel=1e-12, abs=1e-12)


def test_saddle_is_a_strict_saddle() -> None:
    s = SURFACES["saddle"]
    assert s.grad(0.0, 0.0, SCALAR) == (0.0, 0.0)
    h = 1e-4  # curvature: negative along x, positive along y
    assert s.value(h, 0.0, SCALAR) < s.value(0.0, 0.0, SCALAR) < s.value(0.0, h, SCALAR)


def test_plateau_gradient_is_tiny_at_the_default_start() -> None:
    s = SURFACES["plateau"]
    gx, gy = s.grad(*s.default_start, SCALAR)
    assert np.hypot(gx, gy) < 1e-4


def test_elongated_bowl_is_ill_conditioned() -> None:
    s = SURFACES["elongated_bowl"]
    hx = s.grad(1.0, 0.0, SCALAR)[0]
    hy = s.grad(0.0, 1.0, SCALAR)[1]
    assert hy / hx >= 10
