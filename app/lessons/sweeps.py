"""Sweeps and basin maps: many full runs of one optimizer as rows of one lockstep computation.

A sweep varies two hyperparameters (or ``batch_size``) over a grid; a basin map varies the start.
Every cell is exactly the single run of ``POST /api/v1/trajectories`` with the same settings: the
rows go through the same update rules, schedules, noise draws and mini-batch order
(`app.engine.runner.LockstepRuns`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from ..engine.datasets import DatasetSurface
from ..engine.runner import DIVERGED, LockstepRuns, Problem, RunConfig

MINIMUM_RADIUS = 1e-3  # a run "reached" a minimum when it ends this close to it


def axis_values(spec: dict[str, Any]) -> list[float]:
    if spec.get("values") is not None:
        return [float(v) for v in spec["values"]]
    lo, hi, n = float(spec["min"]), float(spec["max"]), int(spec["n"])
    if n == 1:
        return [lo]
    grid = np.geomspace(lo, hi, n) if spec.get("scale", "linear") == "log" else np.linspace(lo, hi, n)
    values: list[float] = grid.tolist()
    return values


@dataclass
class Group:
    rows: np.ndarray  # indices into the flattened grid
    runs: LockstepRuns


class LockstepJob:
    """Groups of lockstep rows advanced together, with progress for a stream."""

    def __init__(self, groups: list[Group], total_rows: int, steps: int) -> None:
        self.groups = groups
        self.total_rows = total_rows
        self.steps = steps  # the longest group's steps

    @property
    def done(self) -> bool:
        return all(g.runs.done for g in self.groups)

    @property
    def progress(self) -> float:
        if self.done:
            return 1.0
        return min(g.runs.t / max(g.runs.problem.steps, 1) for g in self.groups if not g.runs.done)

    def advance(self, n: int) -> None:
        for g in self.groups:
            if not g.runs.done:
                g.runs.advance(n)

    def run_to_end(self) -> None:
        while not self.done:
            self.advance(self.steps + 1)

    def collect(self) -> dict[str, np.ndarray]:
        out = {
            "x": np.empty(self.total_rows),
            "y": np.empty(self.total_rows),
            "loss": np.empty(self.total_rows),
            "steps_taken": np.empty(self.total_rows, dtype=np.int64),
            "status": np.empty(self.total_rows, dtype=object),
        }
        for g in self.groups:
            r = g.runs.result
            out["x"][g.rows], out["y"][g.rows], out["loss"][g.rows] = r.x, r.y, r.loss
            out["steps_taken"][g.rows], out["status"][g.rows] = r.steps_taken, r.status
        return out


def epoch_steps(problem: Problem, batch_size: int, epochs: int | None) -> int:
    """Updates of one cell: ``epochs``·⌈m / batch size⌉ when the sweep counts epochs, else the request's steps."""
    if epochs is None:
        return problem.steps
    if not isinstance(problem.surface, DatasetSurface):
        raise ValueError("epochs count the samples of a dataset surface")
    return epochs * problem.surface.epoch_updates(batch_size)


def sweep_job(
    problem: Problem,
    run: RunConfig,
    x_name: str,
    xs: list[float],
    y_name: str,
    ys: list[float],
    epochs: int | None = None,
) -> LockstepJob:
    """All cells [j][i] = (ys[j], xs[i]) as rows, grouped by batch size when it is swept.

    With ``epochs`` (dataset surfaces), every cell sees the same number of samples: a cell with
    batch size b runs epochs·⌈m / b⌉ updates, so the comparison is per epoch, not per update."""
    grid_x, grid_y = np.meshgrid(np.asarray(xs, dtype=float), np.asarray(ys, dtype=float))
    flat = {x_name: grid_x.ravel(), y_name: grid_y.ravel()}
    rows = grid_x.size
    start = np.tile(problem.start, (rows, 1))
    groups: list[Group] = []
    batch = flat.pop("batch_size", None)
    if batch is None:
        p = replace(problem, steps=epoch_steps(problem, run.batch_size or 1, epochs)) if epochs else problem
        groups.append(Group(np.arange(rows), LockstepRuns(p, run, start, flat)))
    else:
        for b in np.unique(batch):
            idx = np.nonzero(batch == b)[0]
            cfg = replace(run, batch_size=int(b))
            p = replace(problem, steps=epoch_steps(problem, int(b), epochs))
            groups.append(Group(idx, LockstepRuns(p, cfg, start[idx], {k: v[idx] for k, v in flat.items()})))
    return LockstepJob(groups, rows, max(g.runs.problem.steps for g in groups))


def sweep_result(job: LockstepJob, xs: list[float], ys: list[float]) -> dict[str, Any]:
    r = job.collect()
    shape = (len(ys), len(xs))
    loss = [
        None if s == DIVERGED or not math.isfinite(v) else float(v) for v, s in zip(r["loss"], r["status"], strict=True)
    ]
    return {
        "x_values": xs,
        "y_values": ys,
        "final_loss": np.array(loss, dtype=object).reshape(shape).tolist(),
        "steps_taken": r["steps_taken"].reshape(shape).tolist(),
        "status": r["status"].reshape(shape).tolist(),
    }


def basin_job(problem: Problem, run: RunConfig, n: int) -> tuple[LockstepJob, list[float], list[float]]:
    s = problem.surface
    xs = np.linspace(s.x_range[0], s.x_range[1], n)
    ys = np.linspace(s.y_range[0], s.y_range[1], n)
    gx, gy = np.meshgrid(xs, ys)
    starts = np.column_stack([gx.ravel(), gy.ravel()])
    job = LockstepJob([Group(np.arange(n * n), LockstepRuns(problem, run, starts))], n * n, problem.steps)
    return job, xs.tolist(), ys.tolist()


def basin_result(
    job: LockstepJob, xs: list[float], ys: list[float], minima: list[tuple[float, float]]
) -> dict[str, Any]:
    r = job.collect()
    shape = (len(ys), len(xs))
    which = np.full(job.total_rows, -1, dtype=np.int64)
    if minima:
        m = np.asarray(minima, dtype=float)
        d = np.hypot(r["x"][:, None] - m[None, :, 0], r["y"][:, None] - m[None, :, 1])
        nearest = np.argmin(d, axis=1)
        close = d[np.arange(job.total_rows), nearest] <= MINIMUM_RADIUS
        which = np.where(close & (r["status"] != DIVERGED), nearest, -1)
    return {
        "x": xs,
        "y": ys,
        "minimum": which.reshape(shape).tolist(),
        "steps_taken": r["steps_taken"].reshape(shape).tolist(),
        "status": r["status"].reshape(shape).tolist(),
        "minima": [list(m) for m in minima],
    }
