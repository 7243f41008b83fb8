"""The runner: array lengths, statuses, noise, mini-batches, and lockstep rows = single runs."""

import numpy as np
import pytest

from app.api.schemas import TrajectoryRequest
from app.api.service import build_problem, trajectories
from app.engine.runner import BatchOrder, LockstepRuns, ScalarRun


def answer(body: dict) -> dict:
    return trajectories(build_problem(TrajectoryRequest.model_validate(body)))


def one(surface: str, opt: str, params: dict | None = None, steps: int = 100, **extra) -> dict:
    run = {"optimizer": opt, "params": params or {}}
    run.update({k: v for k, v in extra.items() if k in ("batch_size", "noise_std", "schedule")})
    body = {"surface": surface, "steps": steps, "runs": [run]}
    body.update({k: v for k, v in extra.items() if k in ("tolerance", "seed", "start")})
    return answer(body)["runs"][0]


def check_lengths(r: dict) -> None:
    n = r["steps_taken"]
    assert len(r["x"]) == len(r["y"]) == len(r["loss"]) == n + 1
    assert len(r["lr"]) == len(r["grad_norm"]) == n
    if "batch_loss" in r:
        assert len(r["batch_loss"]) == n


def test_max_steps() -> None:
    r = one("rosenbrock", "adam", {"lr": 0.01}, steps=50)
    assert r["status"] == "max_steps" and r["steps_taken"] == 50
    check_lengths(r)


def test_converged_before_update_t() -> None:
    r = one("round_bowl", "gd", {"lr": 0.5}, steps=500, tolerance=1e-6)
    assert r["status"] == "converged"
    check_lengths(r)
    t = r["steps_taken"]
    # gradient of (x²+y²)/2 is the point: below tol at point t, not at t − 1
    assert np.hypot(r["x"][t], r["y"][t]) < 1e-6 <= np.hypot(r["x"][t - 1], r["y"][t - 1])
    assert t < 500


def test_diverged_keeps_the_finite_prefix() -> None:
    r = one("rosenbrock", "gd", {"lr": 0.05}, steps=200)
    assert r["status"] == "diverged" and r["steps_taken"] < 200
    check_lengths(r)
    assert np.all(np.isfinite(r["x"])) and np.all(np.isfinite(r["loss"]))


def test_monkey_saddle_runs_away() -> None:
    r = one("monkey_saddle", "gd", {"lr": 0.1}, steps=5000)
    assert r["status"] == "diverged"


def test_noise_is_seeded() -> None:
    a = one("elongated_bowl", "gd", {"lr": 0.1}, noise_std=0.5, seed=1)
    b = one("elongated_bowl", "gd", {"lr": 0.1}, noise_std=0.5, seed=1)
    c = one("elongated_bowl", "gd", {"lr": 0.1}, noise_std=0.5, seed=2)
    clean = one("elongated_bowl", "gd", {"lr": 0.1})
    assert a["x"] == b["x"] and a["x"] != c["x"] and a["x"] != clean["x"]


def test_mini_batches_epochs_and_reshuffling() -> None:
    order = BatchOrder(m=10, batch_size=4, seed=0)
    assert order.per_epoch == 3  # ceil(10 / 4)
    epoch1 = [order.indices(t) for t in range(3)]
    epoch2 = [order.indices(t) for t in range(3, 6)]
    assert [len(b) for b in epoch1] == [4, 4, 2]
    assert sorted(np.concatenate(epoch1)) == list(range(10)) == sorted(np.concatenate(epoch2))
    assert not np.array_equal(np.concatenate(epoch1), np.concatenate(epoch2))


def test_batch_size_m_is_full_batch_gd() -> None:
    full = one("linear_regression", "gd", {"lr": 0.01}, steps=50)
    m = one("linear_regression", "gd", {"lr": 0.01}, steps=50, batch_size=1000)
    assert full["x"] == m["x"] and full["batch_loss"] == m["batch_loss"]
    np.testing.assert_allclose(m["batch_loss"], m["loss"][:-1], rtol=1e-12)
    check_lengths(m)


def test_mini_batch_cost_is_noisy() -> None:
    r = one("linear_regression", "gd", {"lr": 0.01}, steps=100, batch_size=8)
    diff = np.array(r["batch_loss"]) - np.array(r["loss"][:-1])
    assert np.std(diff) > 0.01


@pytest.mark.parametrize(
    "body",
    [
        {
            "surface": "rosenbrock",
            "steps": 300,
            "tolerance": 1e-3,
            "runs": [{"optimizer": "adam", "params": {"lr": 0.05}}],
        },
        {"surface": "rosenbrock", "steps": 300, "runs": [{"optimizer": "gd", "params": {"lr": 0.01}}]},
        {
            "surface": "himmelblau",
            "steps": 300,
            "seed": 3,
            "runs": [
                {
                    "optimizer": "nesterov",
                    "params": {"lr": 0.005},
                    "noise_std": 0.5,
                    "schedule": {"name": "cosine", "params": {"t_max": 300}, "warmup_steps": 10},
                }
            ],
        },
        {
            "surface": "linear_regression",
            "steps": 200,
            "tolerance": 1e-2,
            "runs": [{"optimizer": "rmsprop", "params": {"lr": 0.05}, "batch_size": 64}],
        },
        {
            "surface": "logistic_regression",
            "steps": 60,
            "runs": [
                {
                    "optimizer": "adamw",
                    "params": {"lr": 0.05},
                    "batch_size": 100,
                    "schedule": {"name": "exponential", "params": {"gamma": 0.9}, "per": "epoch"},
                }
            ],
        },
        {
            "surface": {"expression": "log(1 + x^2) + y^2", "x_range": [-3, 3], "y_range": [-3, 3]},
            "steps": 100,
            "runs": [{"optimizer": "adagrad", "params": {"lr": 0.3}}],
        },
    ],
)
def test_lockstep_rows_equal_single_runs(body: dict) -> None:
    problem = build_problem(TrajectoryRequest.model_validate(body))
    single = ScalarRun(problem, problem.runs[0])
    single.advance(problem.steps)
    rows = LockstepRuns(problem, problem.runs[0], np.tile(problem.start, (3, 1)))
    rows.advance(problem.steps)
    for i in range(3):
        assert rows.result.status[i] == single.traj.status
        assert rows.result.steps_taken[i] == single.traj.steps_taken
        assert rows.result.x[i] == pytest.approx(single.traj.x[-1], rel=1e-12)
        assert rows.result.loss[i] == pytest.approx(single.traj.loss[-1], rel=1e-12)


def test_lockstep_per_row_lr_equals_separate_runs() -> None:
    body = {"surface": "rosenbrock", "steps": 200, "runs": [{"optimizer": "adam", "params": {"lr": 0.01}}]}
    problem = build_problem(TrajectoryRequest.model_validate(body))
    lrs = [0.001, 0.01, 0.1, 5.0]
    rows = LockstepRuns(problem, problem.runs[0], np.tile(problem.start, (4, 1)), {"lr": lrs})
    rows.advance(200)
    for i, lr in enumerate(lrs):
        r = one("rosenbrock", "adam", {"lr": lr}, steps=200)
        assert rows.result.status[i] == r["status"]
        assert rows.result.x[i] == pytest.approx(r["x"][-1], rel=1e-12)


def test_streamed_chunks_concatenate_to_the_whole() -> None:
    body = {"surface": "rosenbrock", "steps": 777, "runs": [{"optimizer": "adam", "params": {"lr": 0.02}}]}
    problem = build_problem(TrajectoryRequest.model_validate(body))
    run = ScalarRun(problem, problem.runs[0])
    for n in (1, 5, 100, 1000):
        run.advance(n)
    whole = one("rosenbrock", "adam", {"lr": 0.02}, steps=777)
    assert run.traj.x == whole["x"] and run.traj.lr == whole["lr"]


# --- deadlines, chunked dataset rows, stationary points --------------------------------------------


def _bound(fn, seconds: float):
    """Run fn in a context whose deadline is `seconds` from now; (exception or None, elapsed)."""
    import contextvars
    import time

    from app.engine import deadline

    ctx = contextvars.copy_context()
    ctx.run(deadline.bind, time.monotonic() + seconds)
    t0 = time.perf_counter()
    try:
        ctx.run(fn)
    except deadline.DeadlineExceeded as err:
        return err, time.perf_counter() - t0
    return None, time.perf_counter() - t0


@pytest.mark.parametrize(
    "surface",
    [
        "rosenbrock",
        "logistic_regression",
        {"expression": "x^y^x*sin(x*y)/(x+y)", "x_range": [0.5, 2], "y_range": [0.5, 2]},
    ],
)
def test_scalar_runs_stop_at_the_deadline(surface) -> None:
    body = {"surface": surface, "steps": 20000, "runs": [{"optimizer": "adam", "params": {"lr": 1e-5}}] * 16}
    problem = build_problem(TrajectoryRequest.model_validate(body))
    # the compiled engine does 16 × 20,000 Rosenbrock steps in ~30 ms: a 5 ms deadline must stop it
    err, seconds = _bound(lambda: trajectories(problem), 0.005)
    assert err is not None and seconds < 0.1, seconds


@pytest.mark.serial  # timed: alone on the machine (CI's parallel pass met 0.55 s beside a busy worker)
@pytest.mark.parametrize("surface,rows", [("logistic_regression", 4000), ("ackley", 40000)])
def test_lockstep_rows_stop_at_the_deadline(surface, rows) -> None:
    body = {"surface": surface, "steps": 10000, "runs": [{"optimizer": "adam", "params": {"lr": 1e-4}}]}
    problem = build_problem(TrajectoryRequest.model_validate(body))
    # the first compiled call of a process loads numba's target (~0.25 s, once): not the deadline's
    LockstepRuns(problem, problem.runs[0], np.tile(problem.start, (2, 1))).advance(2)
    lock = LockstepRuns(problem, problem.runs[0], np.tile(problem.start, (rows, 1)))
    err, seconds = _bound(lambda: lock.advance(10000), 0.1)
    assert err is not None and seconds < 0.3, seconds


def test_lockstep_refuses_what_cannot_finish() -> None:
    body = {"surface": "logistic_regression", "steps": 20000, "runs": [{"optimizer": "adam"}]}
    problem = build_problem(TrajectoryRequest.model_validate(body))
    err, seconds = _bound(lambda: LockstepRuns(problem, problem.runs[0], np.tile(problem.start, (40000, 1))), 60)
    assert err is not None and err.estimate > 1000 and seconds < 0.1


@pytest.mark.parametrize("optimizer", ["adagrad", "rmsprop", "adadelta", "adam"])
def test_eps_zero_at_a_stationary_point_has_converged(optimizer) -> None:
    r = one("round_bowl", optimizer, {"eps": 0.0}, steps=10, start=[0.0, 0.0])
    assert r["status"] == "converged" and r["steps_taken"] == 0 and r["x"] == [0.0]
    body = {
        "surface": "round_bowl",
        "start": [0, 0],
        "steps": 10,
        "runs": [{"optimizer": optimizer, "params": {"eps": 0.0}}],
    }
    problem = build_problem(TrajectoryRequest.model_validate(body))
    rows = LockstepRuns(problem, problem.runs[0], np.array([[0.0, 0.0], [1.0, 1.0]]))
    rows.advance(10)
    assert rows.result.status[0] == "converged" and rows.result.steps_taken[0] == 0
    assert rows.result.status[1] != "diverged"
