"""Rows stepped by several threads (app/engine/kernels/threads.py): the same bits as one thread,
the request's deadline obeyed in every thread, errors raised, and helpers always given back."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from app.api.schemas import TrajectoryRequest
from app.api.service import build_problem
from app.engine import deadline
from app.engine.kernels import drive, loop, threads
from app.engine.runner import LockstepRuns

ROWS = 1000  # 16 blocks of lanes


@pytest.fixture
def helpers(monkeypatch: pytest.MonkeyPatch):
    """Three threads for the engine (whatever this machine has), and the parts each call made."""
    monkeypatch.setattr(threads, "THREADS", 3)
    monkeypatch.setattr(threads, "_idle", threading.Semaphore(2))
    seen: list[tuple[int, int, str]] = []
    real = drive.Lanes._advance_rows

    def spy(self, a, b, *args):
        seen.append((a, b, threading.current_thread().name))
        return real(self, a, b, *args)

    monkeypatch.setattr(drive.Lanes, "_advance_rows", spy)
    return seen


def _rows(opt: str, n_threads: int, monkeypatch: pytest.MonkeyPatch, **extra) -> LockstepRuns:
    monkeypatch.setattr(threads, "THREADS", n_threads)
    body = {
        "surface": "rosenbrock",
        "steps": 400,
        "tolerance": 1e-3,
        "seed": 7,
        "runs": [{"optimizer": opt, "noise_std": 0.01, **extra}],
    }
    problem = build_problem(TrajectoryRequest.model_validate(body))
    lrs = np.geomspace(1e-4, 0.5, ROWS)
    rows = LockstepRuns(problem, problem.runs[0], np.tile(problem.start, (ROWS, 1)), {"lr": lrs})
    rows.advance(problem.steps + 1)
    return rows


@pytest.mark.parametrize("opt", ["adam", "momentum", "rmsprop", "nadam", "lion"])
def test_rows_stepped_by_several_threads_are_the_same_bits(opt, helpers, monkeypatch) -> None:
    one = _rows(opt, 1, monkeypatch)
    assert len({name for *_, name in helpers}) == 1
    helpers.clear()
    many = _rows(opt, 3, monkeypatch)
    parts = sorted({(a, b) for a, b, _ in helpers})
    assert len(parts) == 3 and {name for *_, name in helpers} - {threading.current_thread().name}  # helpers stepped two
    assert parts[0][0] == 0 and parts[-1][1] == ROWS and all(b % loop.BLOCK == 0 for _, b in parts[:-1])
    for field in ("x", "y", "loss", "steps_taken", "status"):
        assert np.array_equal(getattr(one.result, field), getattr(many.result, field)), field
    assert threads._idle._value == 2  # every helper given back


def test_small_work_stays_in_its_own_thread(helpers, monkeypatch) -> None:
    body = {"surface": "rosenbrock", "steps": 20, "runs": [{"optimizer": "adam"}]}
    problem = build_problem(TrajectoryRequest.model_validate(body))
    LockstepRuns(problem, problem.runs[0], np.tile(problem.start, (200, 1)), {"lr": np.full(200, 0.01)}).advance(20)
    assert [name for *_, name in helpers] == [threading.current_thread().name]


def test_the_deadline_stops_every_part_and_the_helpers_come_back(helpers, monkeypatch) -> None:
    body = {"surface": "ackley", "steps": 20000, "runs": [{"optimizer": "adam"}]}
    problem = build_problem(TrajectoryRequest.model_validate(body))
    rows = LockstepRuns(problem, problem.runs[0], np.tile(problem.start, (ROWS, 1)), {"lr": np.full(ROWS, 1e-3)})
    deadline.bind(time.monotonic() + 0.05)
    try:
        t0 = time.monotonic()
        with pytest.raises(deadline.DeadlineExceeded):
            rows.advance(20000)  # ≈ 0.1–0.3 s of work on three threads
        assert time.monotonic() - t0 < 2.0
    finally:
        deadline.bind(None)
    assert len({(a, b) for a, b, _ in helpers}) == 3
    assert threads._idle._value == 2


def test_an_error_in_one_part_halts_the_others_and_is_raised() -> None:
    saved = threads.THREADS, threads._idle
    threads.THREADS, threads._idle = 3, threading.Semaphore(2)
    done: list[tuple[int, int]] = []

    def work(a, b, d, halt):
        if a == 0:
            raise ValueError("part 0 failed")
        while halt is not None and not halt.is_set():
            time.sleep(0.001)
        done.append((a, b))

    try:
        with pytest.raises(ValueError, match="part 0 failed"):
            threads.run_rows(3 * 64, 64, 1.0, work)
        assert sorted(done) == [(64, 128), (128, 192)]  # both other parts saw the halt and ended
        assert threads._idle._value == 2
    finally:
        threads.THREADS, threads._idle = saved


def test_a_typed_formula_proven_finite_gives_every_rows_loss_with_several_threads(helpers, monkeypatch) -> None:
    """Its lanes skip the loss per step and fill every row's loss once all parts have ended."""
    body = {
        "surface": {"expression": "(1 - x)^2 + 100*(y - x^2)^2", "x_range": [-2, 2], "y_range": [-1, 3]},
        "steps": 300,
        "runs": [{"optimizer": "adam"}],
    }
    problem = build_problem(TrajectoryRequest.model_validate(body))
    out = []
    for n in (1, 3):
        monkeypatch.setattr(threads, "THREADS", n)
        rows = LockstepRuns(
            problem, problem.runs[0], np.tile(problem.start, (ROWS, 1)), {"lr": np.geomspace(1e-4, 0.5, ROWS)}
        )
        rows.advance(problem.steps + 1)
        out.append(rows.result)
    assert len({(a, b) for a, b, _ in helpers}) == 1 + 3
    for field in ("x", "y", "loss", "steps_taken", "status"):
        assert np.array_equal(getattr(out[0], field), getattr(out[1], field)), field
    from app.engine.backend import SCALAR

    assert all(out[1].loss[i] == problem.surface.value(out[1].x[i], out[1].y[i], SCALAR) for i in range(0, ROWS, 37))


def test_the_default_threads_respect_a_container_quota_and_the_workers(tmp_path, monkeypatch) -> None:
    cpu_max = tmp_path / "cpu.max"
    cpu_max.write_text("150000 100000\n")  # docker run --cpus 1.5
    assert threads.usable_cores(str(cpu_max)) == min(2, threads.usable_cores("/nonexistent"))
    cpu_max.write_text("max 100000\n")
    assert threads.usable_cores(str(cpu_max)) == threads.usable_cores("/nonexistent")
    from app.settings import get_settings

    monkeypatch.setattr(get_settings(), "workers", 64)
    monkeypatch.setattr(get_settings(), "engine_threads", 0)
    assert threads._threads() == 1  # the cores shared among 64 worker processes: one thread each
    monkeypatch.setattr(get_settings(), "engine_threads", 3)
    assert threads._threads() == 3
