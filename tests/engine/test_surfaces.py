"""Every built-in surface: catalogue fields, minima that are stationary, both backends agree."""

import numpy as np
import pytest

from app.engine.backend import ARRAY, SCALAR
from app.registry import SURFACES

IDS = list(SURFACES)


def test_at_least_twelve_including_the_course_three_and_datasets() -> None:
    assert len(SURFACES) >= 12
    for required in (
        "elongated_bowl",
        "saddle",
        "plateau",
        "rosenbrock",
        "himmelblau",
        "beale",
        "rastrigin",
        "ackley",
        "booth",
        "six_hump_camel",
        "monkey_saddle",
        "linear_regression",
        "logistic_regression",
    ):
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


# --- each surface's default runs (what the studio opens it with) show what its description says ---

STUDIO_STEPS = 300  # the studio's default number of steps (static/js/state.js)


def _default_answer(sid: str) -> list[dict]:
    from app.api.schemas import TrajectoryRequest
    from app.api.service import build_problem, trajectories

    s = SURFACES[sid]
    body = {"surface": sid, "steps": STUDIO_STEPS, "runs": [dict(r) for r in s.default_runs]}
    return trajectories(build_problem(TrajectoryRequest.model_validate(body)))["runs"]


def _end(r: dict) -> tuple[float, float]:
    return r["x"][-1], r["y"][-1]


def _nearest(s, p) -> tuple[int, float]:
    d = [float(np.hypot(p[0] - m[0], p[1] - m[1])) for m in s.minima]
    k = int(np.argmin(d))
    return k, d[k]


def _by(runs: list[dict], opt: str) -> dict:
    return next(r for r in runs if r["optimizer"] == opt)


def _claim_bowl(s, runs):  # GD zig-zags across the steep axis, momentum damps it and gets there first
    gd, mom = _by(runs, "gd"), _by(runs, "momentum")
    flips = lambda r: int(np.sum(np.sign(r["y"][1:51]) != np.sign(r["y"][:50])))  # noqa: E731
    assert flips(gd) >= 40 and flips(mom) <= 15
    first = lambda r: int(np.argmax(np.asarray(r["loss"]) < 1e-3))  # noqa: E731
    assert first(mom) < first(gd) and mom["loss"][-1] < gd["loss"][-1]


def _claim_round(s, runs):  # every method heads for the minimum
    assert all(_nearest(s, _end(r))[1] < 0.05 for r in runs)


def _claim_saddle(s, runs):  # GD stalls at the saddle, momentum and the adaptive methods escape
    gd = _by(runs, "gd")
    assert np.hypot(*_end(gd)) < 0.1
    assert all(_nearest(s, _end(r))[1] < 0.05 for r in runs if r["optimizer"] != "gd")


def _claim_plateau(s, runs):  # GD crawls, RMSprop and Adam keep their pace
    assert _by(runs, "gd")["loss"][-1] > 0.99
    assert _by(runs, "rmsprop")["loss"][-1] < 0.01 and _by(runs, "adam")["loss"][-1] < 0.01


def _claim_rosenbrock(s, runs):  # the valley is reached, the minimum is not (slow to follow)
    assert all(r["loss"][-1] < 0.1 * r["loss"][0] for r in runs)
    assert all(_nearest(s, _end(r))[1] > 0.05 for r in runs)


def _claim_himmelblau(s, runs):  # different optimizers, different basins
    assert len({_nearest(s, _end(r))[0] for r in runs if _nearest(s, _end(r))[1] < 0.1}) >= 2


def _claim_beale(s, runs):  # the gradient's size changes by orders of magnitude
    g = _by(runs, "gd")["grad_norm"]
    assert max(g) / min(g) > 100


def _claim_rastrigin(s, runs):  # most get stuck in the nearest local minimum, momentum rolls further
    gd, mom = _by(runs, "gd"), _by(runs, "momentum")
    assert gd["loss"][-1] > 1 and np.hypot(_end(gd)[0] - _end(mom)[0], _end(gd)[1] - _end(mom)[1]) > 0.5
    stuck = [r for r in runs if np.hypot(_end(r)[0] - _end(gd)[0], _end(r)[1] - _end(gd)[1]) < 0.1]
    assert len(stuck) >= len(runs) // 2


def _claim_ackley(s, runs):  # a trap: at least one run stays in the rippled region
    assert any(r["loss"][-1] > 1 for r in runs) and any(r["loss"][-1] < r["loss"][0] / 2 for r in runs)


def _claim_camel(s, runs):  # where a run ends depends on its momentum: several end points
    ends = {(round(_end(r)[0], 1), round(_end(r)[1], 1)) for r in runs}
    assert len(ends) >= 3


def _claim_monkey(s, runs):  # no minimum: runs fall away (loss keeps falling below the start)
    assert all(r["loss"][-1] < r["loss"][0] - 0.5 for r in runs)


def _claim_matyas(s, runs):  # per-axis RMSprop cannot align with the diagonal valley
    assert _by(runs, "rmsprop")["loss"][-1] > 10 * _by(runs, "gd")["loss"][-1]


def _claim_dataset(s, runs):  # batch, mini-batch and stochastic: the smaller the batch, the noisier the cost
    assert all(r["loss"][-1] < r["loss"][0] for r in runs)
    noise = {
        r["batch_size"]: float(np.std(np.asarray(r["batch_loss"][-100:]) - np.asarray(r["loss"][-101:-1])))
        for r in runs
        if r["optimizer"] == "gd"
    }
    sizes = sorted(noise)
    assert [noise[b] for b in sizes] == sorted((noise[b] for b in sizes), reverse=True)


CLAIMS = {
    "elongated_bowl": _claim_bowl,
    "round_bowl": _claim_round,
    "saddle": _claim_saddle,
    "plateau": _claim_plateau,
    "rosenbrock": _claim_rosenbrock,
    "himmelblau": _claim_himmelblau,
    "beale": _claim_beale,
    "rastrigin": _claim_rastrigin,
    "ackley": _claim_ackley,
    "booth": _claim_round,
    "six_hump_camel": _claim_camel,
    "monkey_saddle": _claim_monkey,
    "matyas": _claim_matyas,
    "linear_regression": _claim_dataset,
    "logistic_regression": _claim_dataset,
}


@pytest.mark.parametrize("sid", IDS)
def test_default_runs_show_the_description(sid: str) -> None:
    s = SURFACES[sid]
    assert 2 <= len(s.default_runs) <= 8
    assert s.public()["default_runs"] == [dict(r) for r in s.default_runs]
    runs = _default_answer(sid)
    assert [r["status"] for r in runs if r["status"] == "diverged"] == [], "a default run diverges"
    assert all(r["loss"][1] < 10 * max(1.0, abs(r["loss"][0])) for r in runs), "a default run jumps away at step 1"
    CLAIMS[sid](s, runs)


@pytest.mark.parametrize("sid", IDS)
def test_each_surface_states_its_minimum_value(sid: str) -> None:
    """f* (the Polyak step size's): the value at the stated minima, and nothing on a fine grid of
    the drawn range lies below it; a surface without minima (unbounded below) states none."""
    s = SURFACES[sid]
    assert s.public()["f_min"] == s.f_min
    if not s.minima:
        assert s.f_min is None
        return
    assert s.f_min is not None
    at_minima = [float(s.value(mx, my, SCALAR)) for mx, my in s.minima]
    assert min(at_minima) == pytest.approx(s.f_min, abs=1e-6)
    if s.kind == "dataset":
        return
    xs = np.linspace(*s.x_range, 401)
    ys = np.linspace(*s.y_range, 401)
    grid = s.value(*np.meshgrid(xs, ys), ARRAY)
    assert grid.min() >= s.f_min - 1e-12
