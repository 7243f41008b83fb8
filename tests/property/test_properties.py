"""Property tests (hypothesis, bounded)."""

import json
import math

import numpy as np
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from app.engine.backend import SCALAR
from app.engine.expression import ExpressionError, parse_expression
from app.registry import OPTIMIZER_IDS, OPTIMIZERS, SURFACES

# the optimizers a surface runs: not the matrix ones (networks only; a surface refuses them with a 422)
SURFACE_IDS = tuple(o for o in OPTIMIZER_IDS if OPTIMIZERS[o].driver != "matrix")

FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@st.composite
def surface_point(draw):
    sid = draw(st.sampled_from(list(SURFACES)))
    s = SURFACES[sid]
    x = draw(st.floats(*s.x_range))
    y = draw(st.floats(*s.y_range))
    return s, x, y


@FAST
@given(surface_point())
def test_gradient_matches_finite_differences(p) -> None:
    s, x, y = p
    assume(not (s.id == "ackley" and math.hypot(x, y) < 1e-3))  # the cone's tip has no gradient
    gx, gy = (float(v) for v in s.grad(x, y, SCALAR))
    scale = max(abs(s.x_range[1] - s.x_range[0]), abs(s.y_range[1] - s.y_range[0]))
    h = 1e-6 * scale
    fx = (float(s.value(x + h, y, SCALAR)) - float(s.value(x - h, y, SCALAR))) / (2 * h)
    fy = (float(s.value(x, y + h, SCALAR)) - float(s.value(x, y - h, SCALAR))) / (2 * h)
    tol = 1e-5 * max(1.0, abs(gx), abs(gy), abs(float(s.value(x, y, SCALAR))) / scale)
    assert abs(gx - fx) <= tol and abs(gy - fy) <= tol


TOKENS = [
    "x",
    "y",
    "1",
    "2.5",
    "e",
    "pi",
    "+",
    "-",
    "*",
    "/",
    "^",
    "**",
    "(",
    ")",
    "sin(",
    "log(",
    "sqrt(",
    "abs(",
    " ",
    ",",
    ".",
    "[",
    "]",
    "'",
    "__",
    "lambda",
    ":",
    "=",
    "if",
    "1e308",
    "é",
    "\x00",
    "\n",
    "exp(",
    "atan(",
]


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=60), st.lists(st.sampled_from(TOKENS), max_size=40).map("".join)))
def test_parser_never_crashes(text) -> None:
    try:
        e = parse_expression(text)
    except ExpressionError:
        return
    try:
        e.value(0.3, -0.7, SCALAR)
        e.grad(0.3, -0.7, SCALAR)
    except (ArithmeticError, ValueError):
        pass


@st.composite
def request_body(draw):
    sid = draw(st.sampled_from(["rosenbrock", "himmelblau", "saddle", "elongated_bowl", "linear_regression"]))
    runs = []
    for _ in range(draw(st.integers(1, 3))):
        run = {"optimizer": draw(st.sampled_from(SURFACE_IDS)), "params": {"lr": draw(st.floats(1e-4, 0.5))}}
        if sid == "linear_regression":
            run["batch_size"] = draw(st.integers(1, 1000))
        else:
            run["noise_std"] = draw(st.floats(0, 2))
        runs.append(run)
    return {"surface": sid, "steps": draw(st.integers(1, 150)), "seed": draw(st.integers(0, 2**32 - 1)), "runs": runs}


@FAST
@given(request_body())
def test_same_seed_same_bytes_and_strict_json(client, body) -> None:
    a = client.post("/api/v1/trajectories", json=body)
    b = client.post("/api/v1/trajectories", json=body)
    assert a.status_code == 200 and a.content == b.content
    json.loads(a.text, parse_constant=lambda t: (_ for _ in ()).throw(ValueError(t)))


@FAST
@given(st.integers(1, 200), st.sampled_from(SURFACE_IDS))
def test_batch_size_m_equals_full_batch(client, steps, opt) -> None:
    base = {"surface": "linear_regression", "steps": steps, "runs": [{"optimizer": opt, "params": {"lr": 0.01}}]}
    full = client.post("/api/v1/trajectories", json=base).json()["runs"][0]
    base["runs"][0]["batch_size"] = 1000
    m = client.post("/api/v1/trajectories", json=base).json()["runs"][0]
    assert full["x"] == m["x"] and full["y"] == m["y"]
    assert np.allclose(m["batch_loss"], m["loss"][: len(m["batch_loss"])], rtol=1e-12)


JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=8),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=12,
)


@FAST
@given(
    st.fixed_dictionaries(
        {},
        optional={
            "surface": JSONISH | st.sampled_from(list(SURFACES)),
            "runs": st.lists(
                st.fixed_dictionaries(
                    {"optimizer": st.sampled_from(OPTIMIZER_IDS) | JSONISH},
                    optional={"params": JSONISH, "schedule": JSONISH, "batch_size": JSONISH, "noise_std": JSONISH},
                ),
                max_size=3,
            ),
            "steps": JSONISH | st.integers(-5, 300),
            "start": JSONISH,
            "tolerance": JSONISH,
            "seed": JSONISH,
        },
    )
)
def test_random_bodies_never_5xx(client, body) -> None:
    r = client.post("/api/v1/trajectories", json=body)
    assert r.status_code < 500, r.text
    if r.status_code == 200:
        assert all(math.isfinite(v) for run in r.json()["runs"] for v in run["x"])
