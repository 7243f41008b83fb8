"""The compiled dataset loop (app/engine/kernels/data.py) against a plain reference: NumPy's
mini-batch means (`datasets._Model.batch`) stepped in Python with the compiled rules, the
mini-batches drawn by `BatchOrder` (the path the runner took before it was compiled). Means are
NumPy's pairwise sums, bit for bit; logistic regression's exp is libm's (NumPy's SIMD exp may differ
in the last bit), so paths agree to 1e-12 where the dynamics are stable."""

from __future__ import annotations

import math

import numpy as np
import pytest

from app.api.schemas import TrajectoryRequest
from app.api.service import build_problem
from app.engine import datasets
from app.engine.backend import SCALAR
from app.engine.kernels import data, dispatch, jit, loop, nbmath, python_of, rules
from app.engine.runner import BatchOrder, LockstepRuns, Permutations, ScalarRun, schedule_lrs

_polyak = python_of(rules.polyak_rate)
_clip = python_of(rules.clip)


@jit
def update_c1(
    kind: int, HT: np.ndarray, g: float, t: int, a: float, b: float, c: float, theta: float, lr: float, c1: float
) -> tuple[float, float, float, float, float, float]:
    """`loop.update1` with c1 given (Schedule-Free: the largest lr so far; Polyak: its step size γ)."""
    h = loop.hyper(HT, 0)
    return dispatch.update(kind, g, t, a, b, c, theta, lr, h, c1, dispatch.bias(kind, t, h)[1], nbmath)


def reference(body: dict) -> dict:
    """One run of ``body`` stepped in Python over NumPy's mini-batch means."""
    problem = build_problem(TrajectoryRequest.model_validate(body))
    run, surface = problem.runs[0], problem.surface
    model = surface.model
    kind, h = run.optimizer.rule, run.optimizer.hyper(run.params)
    ht = np.array(h, dtype=np.float64).reshape(-1, 1)
    x, y = float(problem.start[0]), float(problem.start[1])
    sx, sy = loop.init1(kind, ht, x), loop.init1(kind, ht, y)
    lrs = schedule_lrs(problem, run).tolist()
    order = BatchOrder(model.data.m, run.batch_size or model.data.m, problem.seed)
    out = {"x": [x], "y": [y], "loss": [float(model.loss(x, y))], "lr": [], "grad_norm": [], "batch_loss": []}
    lr_max, t, status = 0.0, 0, "max_steps"
    with np.errstate(all="ignore"):
        while t < problem.steps:
            if problem.tolerance > 0 and math.hypot(*model.grad(x, y)) < problem.tolerance:
                status = "converged"
                break
            cost, gx, gy = (float(v) for v in model.batch(x, y, order.indices(t)))
            if run.clip != (0.0, 0.0):
                gx, gy = _clip(gx, gy, *run.clip, SCALAR)
            lr = lrs[t]
            if kind in (rules.SFREE, rules.POLYAK):
                c1 = lr_max = max(lr_max, lr)
                if kind == rules.POLYAK:
                    c1 = _polyak(cost, gx, gy, lr, h[0], h[1], h[2], h[3])
                nx, *ax = update_c1(kind, ht, gx, t, *sx, x, lr, c1)
                ny, *ay = update_c1(kind, ht, gy, t, *sy, y, lr, c1)
                if kind == rules.POLYAK:
                    lr = ax[4]
            else:
                nx, *ax = loop.update1(kind, ht, gx, t, *sx, x, lr)
                ny, *ay = loop.update1(kind, ht, gy, t, *sy, y, lr)
            f = float(model.loss(nx, ny))
            if not (abs(nx) <= surface.bound and abs(ny) <= surface.bound and math.isfinite(f)):
                status = "diverged"
                break
            x, y, sx, sy = nx, ny, tuple(ax[:3]), tuple(ay[:3])
            for key, v in zip(out, (x, y, f, lr, math.hypot(gx, gy), cost), strict=True):
                out[key].append(v)
            t += 1
    return {**out, "status": status, "steps_taken": t}


def compiled(body: dict) -> dict:
    problem = build_problem(TrajectoryRequest.model_validate(body))
    run = ScalarRun(problem, problem.runs[0])
    run.advance(problem.steps)
    return {**{k: np.asarray(v, dtype=float) for k, v in run.arrays().items()}, "status": run.status,
            "steps_taken": run.steps_taken}  # fmt: skip


CASES = {
    "gd, batch 7, several epochs": ("logistic_regression", {"optimizer": "gd", "params": {"lr": 0.3}, "batch_size": 7}),
    "momentum, batch 32, step per epoch": (
        "logistic_regression",
        {
            "optimizer": "momentum",
            "params": {"lr": 0.2},
            "batch_size": 32,
            "schedule": {"name": "step", "params": {"step_size": 2, "gamma": 0.5}, "per": "epoch"},
        },
    ),
    "adam, batch 1": ("logistic_regression", {"optimizer": "adam", "params": {"lr": 0.05}, "batch_size": 1}),
    "adam, full batch": ("logistic_regression", {"optimizer": "adam", "params": {"lr": 0.01}}),
    "momentum, full batch, clipped": (
        "logistic_regression",
        {"optimizer": "momentum", "params": {"lr": 0.5}, "clip_norm": 0.5, "clip_value": 0.3},
    ),
    "sgd, batch 8, cosine": (
        "linear_regression",
        {"optimizer": "gd", "params": {"lr": 0.005}, "batch_size": 8, "schedule": {"name": "cosine", "params": {}}},
    ),
    "schedule-free, batch 16": ("linear_regression", {"optimizer": "schedule_free_adamw", "batch_size": 16}),
    "polyak, batch 32": ("linear_regression", {"optimizer": "polyak_sgd", "batch_size": 32}),
    "adam, batch 999 (a last batch of 1)": ("logistic_regression", {"optimizer": "adam", "batch_size": 999}),
}


@pytest.mark.parametrize("name", list(CASES))
def test_compiled_dataset_runs_equal_the_numpy_reference(name) -> None:
    surface, run = CASES[name]
    body = {"surface": surface, "steps": 400, "seed": 3, "tolerance": 1e-4, "runs": [run]}
    ref, got = reference(body), compiled(body)
    assert (got["status"], got["steps_taken"]) == (ref["status"], ref["steps_taken"])
    assert got["steps_taken"] > 50  # the paths are long enough to cross epochs (batch 7: 143 updates each)
    for key in ("x", "y", "loss", "lr", "grad_norm", "batch_loss"):
        want = np.asarray(ref[key], dtype=float)
        scale = max(float(np.max(np.abs(want))), 1.0)
        np.testing.assert_allclose(got[key], want, rtol=1e-12, atol=1e-12 * scale, err_msg=f"{name}: {key}")
    if surface == "linear_regression":  # no transcendental function: NumPy's bits exactly
        for key in ("x", "y", "loss", "batch_loss"):
            assert np.array_equal(got[key], np.asarray(ref[key])), key


def test_the_means_are_numpys_pairwise_sums() -> None:
    rng = np.random.default_rng(1)
    for n in (1, 7, 8, 9, 127, 128, 129, 300, 1000, 1001, 4099):
        a = rng.normal(size=n) * 10.0 ** rng.uniform(-8, 8, size=n)
        assert 0.0 + data.pairwise(a, 0, n) == np.sum(a), n
    for surface in datasets.DATASETS:
        model = surface.model
        T = np.empty((3, model.data.m))
        kern = data.of(model, model.data.m, 1, lambda e0, e1: np.zeros((0, 0), dtype=np.int64))
        for w, b in rng.uniform(-4.0, 4.0, (40, 2)):
            idx = rng.permutation(model.data.m)[:77]
            want = np.array([float(v) for v in model.batch(float(w), float(b), idx)])
            got = np.array(
                data.batch(model.kind, model.scale, model.l2, model.data.x, model.data.y, idx, 0, 77, w, b, T)
            )
            full = np.array(data.full(model.kind, model.scale, model.l2, kern.mm, model.data.x, model.data.y, w, b, T))
            full_want = np.array([float(model.loss(float(w), float(b))), *map(float, model.grad(float(w), float(b)))])
            if model.kind == datasets.LINEAR:
                assert np.array_equal(got, want) and np.array_equal(full, full_want)
            else:
                np.testing.assert_allclose(got, want, rtol=1e-15, atol=1e-15)  # the means of O(1) terms
                np.testing.assert_allclose(full, full_want, rtol=1e-15, atol=1e-15)


@pytest.mark.parametrize("batch_size,tolerance", [(None, 1e-3), (7, 0.0), (64, 1e-4)])
def test_sweep_rows_equal_single_runs_bit_for_bit(batch_size, tolerance) -> None:
    lrs = [0.01, 0.1, 0.5, 2.0, 8.0]
    rows = []
    for lr in lrs:
        body = {
            "surface": "logistic_regression",
            "steps": 300,
            "seed": 2,
            "tolerance": tolerance,
            "runs": [{"optimizer": "adam", "params": {"lr": lr}, "batch_size": batch_size}],
        }
        rows.append(compiled(body))
    problem = build_problem(TrajectoryRequest.model_validate(body))
    lock = LockstepRuns(problem, problem.runs[0], np.tile(problem.start, (len(lrs), 1)), {"lr": np.array(lrs)})
    lock.advance(300)
    r = lock.result
    for i, one in enumerate(rows):
        assert (r.status[i], int(r.steps_taken[i])) == (one["status"], one["steps_taken"])
        assert (r.x[i], r.y[i], r.loss[i]) == (one["x"][-1], one["y"][-1], one["loss"][-1])


def test_a_run_put_back_draws_the_same_batches() -> None:
    perms = Permutations(50, 4, seed=5)
    first = perms(0, 3)
    later = perms(2, 4)  # epochs 0 and 1 dropped
    again = perms(0, 2)  # asked again (a run put back): drawn again from a fresh order
    assert np.array_equal(again, first[:2]) and np.array_equal(later[0], first[2])
    order = BatchOrder(50, 4, 5)
    assert np.array_equal(np.concatenate([order.indices(t) for t in range(13)]), first[0][:50])


def test_rows_advance_in_slices_and_threads_as_in_one_call(monkeypatch) -> None:
    body = {
        "surface": "logistic_regression",
        "steps": 500,
        "seed": 1,
        "runs": [{"optimizer": "momentum", "batch_size": 3}],
    }
    problem = build_problem(TrajectoryRequest.model_validate(body))
    starts = np.column_stack([np.linspace(-1, 4, 40), np.linspace(-16, 4, 40)])
    whole = LockstepRuns(problem, problem.runs[0], starts)
    whole.advance(500)
    monkeypatch.setattr(data, "SLICE_SECONDS", 1e-6)  # one row and a few updates per call
    monkeypatch.setattr(data, "SPAN_SECONDS", 2e-5)  # spans of a few updates, their batches drawn for each
    monkeypatch.setattr(data, "EPOCHS_PER_CALL", 1)
    sliced = LockstepRuns(problem, problem.runs[0], starts)
    while not sliced.done:
        sliced.advance(71)
    for field in ("x", "y", "loss", "steps_taken", "status"):
        assert np.array_equal(getattr(whole.result, field), getattr(sliced.result, field)), field
