"""Typed formulas proven finite in their bound (interval arithmetic over the checked tree): the
proof's answers, its soundness at sampled points, and answers that stay the same bytes whether
the lanes skip the loss (proof on) or check it at every step (proof forced off)."""

from __future__ import annotations

import math

import numpy as np
import orjson
import pytest

from app.api import service
from app.api.schemas import TrajectoryRequest
from app.engine import expression
from app.engine.backend import SCALAR
from app.engine.expression import finite_in_box, interval, parse_expression
from app.engine.kernels import drive, tape
from app.engine.runner import LockstepRuns, ScalarRun

BOX = 3e4  # the bound of a typed surface over [-2, 2] x [-1, 3] (1e4 x the largest extent)

FINITE = [
    "(1 - x)^2 + 100*(y - x^2)^2",  # Rosenbrock
    "(x^2 + y - 11)^2 + (x + y^2 - 7)^2",  # Himmelblau
    "(1.5 - x + x*y)^2 + (2.25 - x + x*y^2)^2 + (2.625 - x + x*y^3)^2",  # Beale
    "sin(x)*cos(y)",
    "x^2 + 10*y^2",
    "x^4 - 3*x^2*y + y^2 / 7",
    "log(1 + x^2 + y^2)",
    "sqrt(x^2 + y^2)",  # finite (its gradient is not, at 0: the lanes still check that)
    "1/(1 + x*x) + exp(-x^2 - y^2)",
    "tanh(x)*atan(y) + abs(x)^0.5",
    "(x^2 + 1)^-1.5 + 2^sin(y)",
    "exp(sin(x)) / (2 + cos(y))",
    "x^0 + pi*e",
    "7",
]
NOT_FINITE = [
    "log(x)",  # log of 0 and below
    "1/x",  # a divisor that can be 0
    "sqrt(x)",  # a root of a negative number
    "exp(x^2)",  # overflows long before |x| = 3e4
    "x^y",  # a negative base to a real power
    "x^0.5",
    "x^-2",
    "2^x",  # 2^30000
    "cosh(x)",
    "x^40",
    "1/(x^2 + y^2)",
    "log(x^2 + y^2)",
    "sqrt(x^2 - x^2)",  # 0 in exact arithmetic, but the proof does not see that
    "1/(1 + sin(x))",
    "exp(-1/x^2) + log(1 + y^2) + x^y",
]


@pytest.mark.parametrize("text", FINITE)
def test_formulas_proven_finite(text: str) -> None:
    assert finite_in_box(parse_expression(text).tree, BOX)


@pytest.mark.parametrize("text", NOT_FINITE)
def test_formulas_not_proven_finite(text: str) -> None:
    assert not finite_in_box(parse_expression(text).tree, BOX)


def test_the_proof_is_over_the_box() -> None:
    tree = parse_expression("exp(x)").tree
    assert finite_in_box(tree, 300.0) and not finite_in_box(tree, 400.0)  # e^345 ≈ the margin 1e150
    tree = parse_expression("x^20").tree
    assert finite_in_box(tree, 3e4) and not finite_in_box(tree, 1e10)  # 1e10 is the largest bound
    assert not finite_in_box(parse_expression("x").tree, math.inf)


@pytest.mark.parametrize("text", FINITE)
def test_the_interval_holds_every_float_value(text: str) -> None:
    """At sampled points of the box (its corners and edges too), the formula on Python floats
    raises nothing, is finite and lies in the interval; so does every part of it."""
    expr = parse_expression(text)
    rng = np.random.default_rng(0)
    edges = [-BOX, -1.0, -0.0, 0.0, 1e-300, 1.0, BOX]
    pts = [(a, b) for a in edges for b in edges]
    pts += (rng.uniform(-1, 1, (300, 2)) * 10.0 ** rng.uniform(-3, math.log10(BOX), (300, 2))).tolist()
    parts: list[expression.Node] = []

    def walk(n: expression.Node) -> None:
        parts.append(n)
        for c in (getattr(n, "a", None), getattr(n, "b", None)):
            if c is not None:
                walk(c)

    walk(expr.tree)
    ranges = [(p, interval(p, BOX)) for p in parts]
    for x, y in pts:
        for p, (lo, hi) in ranges:
            v = expression.compile_node(p)(x, y, SCALAR)
            assert math.isfinite(v) and lo <= v <= hi, (text, p, x, y, v, lo, hi)


FOLDED = [
    *FINITE,
    *NOT_FINITE,
    "-x*-y - (-x) + -(-y)",
    "-(x - y)*-(y - x) / -(1 + x^2)",
    "1/x - -y/x",
    "-x^3 + -y^-2",
    "exp(-x)*-3 - -2*x*y",
    "abs(-x)*-1 + -1*y",
    "x*-1 - y*-1",
    "-(x*y) + -(x/y) - -(x - y)",
    "cos(-x) * -sin(-y)",
    "x + y",
    "-x",
    "log(1 + x^2) * -y",
    "-(-x)/-2 + 2/-y",
]


def test_the_gradient_tape_without_negations_has_the_same_bits() -> None:
    """The lanes' gradient-only tape (negations taken up by sums, differences and constant factors)
    gives the bits, and the errors, of the gradient as lowered for Python, at ordinary and special
    points (signed zeros, subnormals, infinities, nan)."""
    B = tape.LANES
    special = [0.0, -0.0, 1.0, -1.0, 1e-310, -1e-310, 1e308, -1e308, math.inf, -math.inf, math.nan, 2.0, -0.5, 3.0]
    rng = np.random.default_rng(3)
    pairs = [(a, b) for a in special for b in special]
    pairs += (rng.standard_normal((1000, 2)) * 10.0 ** rng.integers(-5, 5, (1000, 2))).tolist()

    def run(t: tape.Tape, xs: np.ndarray, ys: np.ndarray) -> tuple:
        v, err = np.zeros(t.slots * B), np.zeros(B, dtype=np.bool_)
        v[:B], v[B : 2 * B] = xs, ys
        tape.run(t.ops, t.consts, v, False, err, 0, t.ops.shape[0])
        return v[t.outputs[0] * B :][:B].copy(), v[t.outputs[1] * B :][:B].copy(), err

    fewer = 0
    for text in FOLDED:
        plain = tape.from_program(parse_expression(text).grad_program)
        folded = drive._fold_negations(plain)
        assert folded.ops.shape[0] <= plain.ops.shape[0], text
        fewer += folded.ops.shape[0] < plain.ops.shape[0]
        for i in range(0, len(pairs), B):
            xs, ys = np.zeros(B), np.zeros(B)
            chunk = pairs[i : i + B]
            xs[: len(chunk)], ys[: len(chunk)] = [p[0] for p in chunk], [p[1] for p in chunk]
            want, got = run(plain, xs, ys), run(folded, xs, ys)
            for w, g in zip(want[:2], got[:2], strict=True):  # a nan's sign bit aside
                assert ((w.view(np.int64) == g.view(np.int64)) | (np.isnan(w) & np.isnan(g))).all(), text
            assert (want[2] == got[2]).all(), text
    assert fewer >= 10
    rosenbrock = drive.source(_surface("(1 - x)^2 + 100*(y - x^2)^2"))
    assert rosenbrock.grad_only.ops.shape[0] == 1 + 10  # a leading no-op, then 10 (12 before)


def _surface(text: str, x_range=(-2, 2), y_range=(-1, 3)):
    return service.resolve_surface(service.CustomSurfaceRequest(expression=text, x_range=x_range, y_range=y_range))


def test_typed_surfaces_and_their_compiled_source_carry_the_proof() -> None:
    s = _surface("(1 - x)^2 + 100*(y - x^2)^2")
    assert s.finite_in_bound and s.bound == BOX and drive.source(s).finite_in_bound
    s = _surface("log(x) + y^2", (0.5, 2))
    assert not s.finite_in_bound and not drive.source(s).finite_in_bound
    # exp(x) is finite for |x| <= 3e4 only in no float64 sense: the bound decides
    assert not _surface("exp(x)").finite_in_bound
    # a surface's flag alone is not trusted: the compiled source proves it again over the bound
    from dataclasses import replace

    assert not drive.source(replace(s, finite_in_bound=True)).finite_in_bound


LRS = np.geomspace(1e-4, 3.0, 200)


def _problem(text: str, optimizer: str, start=(1.5, 2.0), **run):
    body = {
        "surface": {"expression": text, "x_range": [-2, 2], "y_range": [-1, 3]},
        "start": list(start),
        "steps": 300,
        "tolerance": 1e-4,
        "runs": [{"optimizer": optimizer, **run}],
    }
    return service.build_problem(TrajectoryRequest.model_validate(body))


def _starts() -> np.ndarray:
    rng = np.random.default_rng(1)
    return np.column_stack([rng.uniform(-2, 2, LRS.size), rng.uniform(-1, 3, LRS.size)])


def _rows(text: str, optimizer: str, proof: bool, monkeypatch, **run) -> tuple:
    """Rows of lanes (per-row lr and start) stepped in slices: (problem, x, y, loss, steps, status)."""
    with monkeypatch.context() as m:
        if not proof:
            m.setattr(service, "finite_in_box", lambda tree, box: False)
        problem = _problem(text, optimizer, **run)
    assert problem.surface.finite_in_bound == (proof and finite_in_box(parse_expression(text).tree, BOX))
    rows = LockstepRuns(problem, problem.runs[0], _starts(), {"lr": LRS})
    for _ in range(4):
        rows.advance(80)
    r = rows.result
    return problem, r.x.copy(), r.y.copy(), r.loss.copy(), r.steps_taken.copy(), list(r.status)


CASES = [
    ("(1 - x)^2 + 100*(y - x^2)^2", "adam"),
    ("(1 - x)^2 + 100*(y - x^2)^2", "gd"),  # large rates diverge: they leave the bound
    ("x^3 + y^2", "momentum"),  # unbounded below: proven finite, rows run off and leave the bound
    ("sqrt(x^2 + y^2)", "rmsprop"),  # the gradient at 0 cannot be evaluated: diverged there
    ("sin(x)*cos(y)", "polyak_sgd"),  # the Polyak step size reads the loss: checked anyway
    ("x^2 + 10*y^2", "nesterov"),
    ("x + 2*y", "adam"),  # a constant gradient: a tape of no operations
    ("log(x + 3) + y^2", "gd"),  # not proven: rows that step to x <= -3 diverge on the loss
    ("1/x + y^2", "adam"),
]


@pytest.mark.parametrize("text,optimizer", CASES)
def test_lanes_give_the_same_rows_with_the_proof_on_and_off(text: str, optimizer: str, monkeypatch) -> None:
    run = {"params": {"f_min": -1.0}} if optimizer == "polyak_sgd" else {}
    on = _rows(text, optimizer, True, monkeypatch, **run)
    off = _rows(text, optimizer, False, monkeypatch, **run)
    for a, b in zip(on[1:5], off[1:5], strict=True):
        assert np.array_equal(a, b, equal_nan=True)
    assert on[5] == off[5]
    assert np.isfinite(on[3]).all()  # every row's loss at its last point (kept points are in the bound)
    # rows equal their single runs (recorded, the loss checked at every step)
    starts = _starts()
    for i in (0, 57, 120, 199):
        one = _problem(text, optimizer, start=tuple(starts[i]), params={**run.get("params", {}), "lr": float(LRS[i])})
        single = ScalarRun(one, one.runs[0])
        single.advance(one.steps)
        t = single.traj
        assert (on[1][i], on[2][i], on[3][i], on[4][i], on[5][i]) == (
            t.x[-1],
            t.y[-1],
            t.loss[-1],
            t.steps_taken,
            t.status,
        ), i


def test_divergence_is_reported_as_before(monkeypatch) -> None:
    """A proven formula whose rows leave the bound, and an unproven one whose rows leave its domain:
    diverged, at their last good point and its loss."""
    for text, proven in (("x^3 + y^2", True), ("log(x + 3) + y^2", False)):
        problem, x, y, loss, taken, status = _rows(text, "gd", True, monkeypatch)
        assert problem.surface.finite_in_bound == proven
        gone = [i for i, s in enumerate(status) if s == "diverged"]
        assert len(gone) > 10, text
        value = parse_expression(text).value
        for i in gone:
            assert abs(x[i]) <= problem.surface.bound and loss[i] == value(float(x[i]), float(y[i]), SCALAR)
            assert 0 <= taken[i] < 300


def _api(client, path: str, body: dict, monkeypatch, proof: bool) -> bytes:
    with monkeypatch.context() as m:
        if not proof:
            m.setattr(service, "finite_in_box", lambda tree, box: False)
        r = client.post(path, json=body)
    assert r.status_code == 200, r.text
    return r.content


TYPED = {"expression": "(1 - x)^2 + 100*(y - x^2)^2", "x_range": [-2, 2], "y_range": [-1, 3]}


@pytest.mark.parametrize(
    "path,body",
    [
        (
            "/api/v1/sweeps",
            {
                "surface": TYPED,
                "start": [-1.5, 2.0],
                "steps": 400,
                "tolerance": 1e-5,
                "optimizer": "adam",
                "x_param": {"name": "lr", "min": 1e-3, "max": 3.0, "n": 12, "scale": "log"},
                "y_param": {"name": "beta1", "values": [0.0, 0.5, 0.9]},
            },
        ),
        (
            "/api/v1/sweeps",
            {
                "surface": TYPED,
                "start": [-1.5, 2.0],
                "steps": 300,
                "tolerance": 1e-5,
                "optimizer": "momentum",
                "schedule": {"name": "cosine"},
                "x_param": {"name": "lr", "min": 1e-4, "max": 0.1, "n": 10, "scale": "log"},
                "y_param": {"name": "beta", "values": [0.0, 0.9]},
            },
        ),
        (
            "/api/v1/basins",
            {"surface": TYPED, "optimizer": "gd", "params": {"lr": 0.002}, "steps": 500, "tolerance": 1e-6, "n": 15},
        ),
        (
            "/api/v1/basins",
            {
                "surface": {
                    **TYPED,
                    "expression": "(x^2 + y - 11)^2 + (x + y^2 - 7)^2",
                    "x_range": [-5, 5],
                    "y_range": [-5, 5],
                },
                "optimizer": "adam",
                "params": {"lr": 0.05},
                "steps": 400,
                "tolerance": 1e-6,
                "n": 13,
            },
        ),
        # the momentum cycled (one update per call), and a scheduler that reads the loss
        (
            "/api/v1/sweeps",
            {
                "surface": TYPED,
                "start": [-1.5, 2.0],
                "steps": 200,
                "tolerance": 1e-5,
                "optimizer": "adam",
                "schedule": {"name": "one_cycle", "params": {"cycle_momentum": True}},
                "x_param": {"name": "lr", "min": 1e-3, "max": 1.0, "n": 8, "scale": "log"},
                "y_param": {"name": "beta2", "values": [0.9, 0.999]},
            },
        ),
        (
            "/api/v1/sweeps",
            {
                "surface": TYPED,
                "start": [-1.5, 2.0],
                "steps": 200,
                "tolerance": 1e-5,
                "optimizer": "momentum",
                "schedule": {"name": "reduce_on_plateau"},
                "x_param": {"name": "lr", "min": 1e-4, "max": 0.01, "n": 8, "scale": "log"},
                "y_param": {"name": "beta", "values": [0.0, 0.9]},
            },
        ),
        # the start (0, 0) of the grid: the gradient of the cone cannot be evaluated there (diverged at once)
        (
            "/api/v1/basins",
            {
                "surface": {**TYPED, "expression": "sqrt(x^2 + y^2)", "y_range": [-2, 2]},
                "optimizer": "rmsprop",
                "params": {"lr": 0.01},
                "steps": 200,
                "tolerance": 1e-6,
                "n": 5,
            },
        ),
        (
            "/api/v1/race",
            {"surface": TYPED, "optimizers": ["gd", "adam"], "steps": 300, "n": 10, "lr_min": 1e-4, "lr_max": 3.0},
        ),
        (
            "/api/v1/trajectories",
            {
                "surface": TYPED,
                "start": [-1.5, 2.0],
                "steps": 300,
                "runs": [{"optimizer": "adam", "params": {"lr": 0.05}}, {"optimizer": "gd"}],
            },
        ),
    ],
)
def test_answers_are_the_same_bytes_with_the_proof_on_and_off(client, monkeypatch, path: str, body: dict) -> None:
    on = _api(client, path, body, monkeypatch, True)
    off = _api(client, path, body, monkeypatch, False)
    assert on == off
    assert orjson.loads(on)


@pytest.mark.parametrize(
    "text,optimizer", [("(1 - x)^2 + 100*(y - x^2)^2", "adam"), ("x^3 + y^2", "gd"), ("sin(x)*cos(y)", "momentum")]
)
def test_the_numpy_path_gives_the_same_rows_with_the_proof_on_and_off(text: str, optimizer: str, monkeypatch) -> None:
    """The runner's NumPy rows (what runs where the compiled loop cannot: its `_check_loss` reads the
    surface's flag) skip the loss as the lanes do, with the same rows; on Rosenbrock (+, −, × only:
    NumPy's bits are libm's) they are the lanes' rows too."""
    lanes = _rows(text, optimizer, True, monkeypatch)
    monkeypatch.setattr(drive, "source", lambda surface: None)
    on = _rows(text, optimizer, True, monkeypatch)
    off = _rows(text, optimizer, False, monkeypatch)
    for a, b in zip(on[1:5], off[1:5], strict=True):
        assert np.array_equal(a, b, equal_nan=True)
    assert on[5] == off[5]
    if text.startswith("(1 - x)"):
        for a, b in zip(on[1:5], lanes[1:5], strict=True):
            assert np.array_equal(a, b, equal_nan=True)
        assert on[5] == lanes[5]


@pytest.mark.parametrize("rows", [1, 3])
def test_polyak_rows_of_a_typed_formula_read_their_current_loss(rows: int) -> None:
    """The Polyak step size reads the loss at each row's current point: rows (one alone too, and
    stepped over several calls) equal their single runs."""
    text, lr = "sin(x)*cos(y) + 0.1*x^2", 0.5
    problem = _problem(text, "polyak_sgd", params={"f_min": -1.0, "lr": lr})
    lanes = LockstepRuns(problem, problem.runs[0], np.tile(problem.start, (rows, 1)), {"lr": np.full(rows, lr)})
    for _ in range(5):
        lanes.advance(61)
    single = ScalarRun(problem, problem.runs[0])
    single.advance(problem.steps)
    t = single.traj
    for i in range(rows):
        assert (lanes.result.x[i], lanes.result.y[i], lanes.result.loss[i], lanes.result.status[i]) == (
            t.x[-1],
            t.y[-1],
            t.loss[-1],
            t.status,
        )
