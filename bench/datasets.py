"""Dataset benchmark: the batch-size lesson's sweep (logistic regression, 8 batch sizes × 25 rates,
5 epochs each: ~250,000 row-updates) as a ratio to a studio trajectories request (the default
Rosenbrock runs) measured in the same rounds, through the service and through the HTTP API, first
visit (memory of sweep answers cleared) and second visit (remembered), and the studio's default
runs on logistic regression (4 runs × 300 recorded updates); then the dataset stepping speed
against an analytic surface's, in nanoseconds per row-update (lockstep rows, as sweeps run).
Medians of rotating rounds: the machine is shared."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from app.api.schemas import TrajectoryRequest
from app.api.service import build_problem, trajectories
from app.api.service_lessons import SWEEPS, sweep_answer
from app.engine.runner import LockstepRuns
from app.lessons.scenarios import BY_ID
from app.registry import SURFACES

ROUNDS = 5
LESSON = "batch-size-lr"
# the studio's default runs on its default surface, 300 steps
STUDIO = {"surface": "rosenbrock", "steps": 300, "seed": 0, "runs": list(SURFACES["rosenbrock"].default_runs)}
# goals, as ratios to a studio request over HTTP: a remembered lesson answers like a small request; a
# computed one within 300 (before the compiled dataset loop: 6,000–9,000 on this loaded machine)
GOAL_REMEMBERED, GOAL_COMPUTED = 2.0, 300.0


def _median(fn: Callable[[], Any], rounds: int = ROUNDS) -> float:
    times = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def _lesson_body() -> dict[str, Any]:
    return dict(BY_ID[LESSON].request)


def service_times() -> dict[str, float]:
    """Seconds of the lesson's sweep (first and second visit) and of a studio request, by the service."""
    body = _lesson_body()
    studio = build_problem(TrajectoryRequest.model_validate(STUDIO))
    trajectories(studio)  # kernels loaded

    def first() -> None:
        SWEEPS.clear()
        sweep_answer(body)

    first()
    data = {"surface": "logistic_regression", "steps": 300, "seed": 0}
    logistic = build_problem(
        TrajectoryRequest.model_validate({**data, "runs": list(SURFACES["logistic_regression"].default_runs)})
    )
    trajectories(logistic)
    out = {
        "studio": _median(lambda: trajectories(studio), 3 * ROUNDS),
        "logistic studio": _median(lambda: trajectories(logistic), ROUNDS),
        "lesson first": _median(first),
    }
    out["lesson second"] = _median(lambda: sweep_answer(body), 3 * ROUNDS)
    return out


def http_times() -> dict[str, float]:
    """The same through the HTTP API (in process: the app's middleware, routes and JSON), the
    studio's request with a fresh seed each time (no remembered answer)."""
    from fastapi.testclient import TestClient

    from app.main import app

    body = _lesson_body()
    with TestClient(app) as client:
        seeds = iter(range(1, 10_000))

        def studio() -> None:
            assert client.post("/api/v1/trajectories", json={**STUDIO, "seed": next(seeds)}).status_code == 200

        def lesson() -> None:
            assert client.post("/api/v1/sweeps", json=body).status_code == 200

        def first() -> None:
            SWEEPS.clear()
            lesson()

        studio()
        first()
        return {
            "studio": _median(studio, 3 * ROUNDS),
            "lesson first": _median(first),
            "lesson second": _median(lesson, 3 * ROUNDS),
        }


def row_update_ns(surface: str, rows: int, steps: int, **run: Any) -> float:
    """Nanoseconds per row-update of lockstep rows (GD, as the lesson's sweep) on ``surface``."""
    body = {"surface": surface, "steps": steps, "tolerance": 0.0, "runs": [{"optimizer": "gd", **run}]}
    problem = build_problem(TrajectoryRequest.model_validate(body))
    starts = np.tile(problem.start, (rows, 1))

    def go() -> None:
        LockstepRuns(problem, problem.runs[0], starts).advance(steps)

    go()
    return _median(go) / (rows * steps) * 1e9


def main() -> None:
    svc = service_times()
    print("the batch-size lesson's sweep, by the service (median seconds):")
    for name, seconds in svc.items():
        print(f"  {name:14s} {seconds:9.4f} s   ratio to a studio request {seconds / svc['studio']:9.1f}")
    web = http_times()
    print("through the HTTP API:")
    for name, seconds in web.items():
        print(f"  {name:14s} {seconds:9.4f} s   ratio to a studio request {seconds / web['studio']:9.1f}")
    for name, goal in (("lesson second", GOAL_REMEMBERED), ("lesson first", GOAL_COMPUTED)):
        ratio = web[name] / web["studio"]
        print(f"  goal: {name} ≤ {goal:g} studio requests: {'met' if ratio <= goal else 'NOT met'} ({ratio:.1f})")
    analytic = row_update_ns("rosenbrock", 256, 2000, params={"lr": 1e-4})
    print("stepping, ns per row-update (lockstep rows, GD):")
    print(f"  rosenbrock (analytic)                    {analytic:8.1f}")
    for label, bs in (("batch 1", 1), ("batch 32", 32), ("full batch (1,000)", None)):
        ns = row_update_ns("logistic_regression", 64, 2000 if bs else 200, params={"lr": 0.1}, batch_size=bs)
        samples = bs or 1000
        print(
            f"  logistic regression, {label:18s} {ns:8.1f}   ×{ns / analytic:6.1f} analytic, "
            f"{ns / samples:6.1f} ns per sample"
        )


if __name__ == "__main__":
    main()
