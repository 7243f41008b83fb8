"""Sweeps and basin maps: many full runs of one optimizer as rows of one lockstep computation.

A sweep varies two hyperparameters (or ``batch_size``) over a grid; a basin map varies the start.
Every cell is exactly the single run of ``POST /api/v1/trajectories`` with the same settings: the
rows go through the same update rules, schedules, noise draws and mini-batch order
(`app.engine.runner.LockstepRuns`). A sweep of an optimizer chain (when to switch, at what rate)
steps the cells with the same milestones as rows, leg by leg (`ChainRows`: each leg its link's
lockstep rows on the whole run's clock, as the chain runner's legs are its link's single runs);
with a closure optimizer last, one cell after another through the chain runner itself
(`ChainJob`, `app.engine.switching.start_run`). `chain_job` picks.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, fields, replace
from typing import Any

import numpy as np

from ..engine import cost
from ..engine import deadline as _deadline
from ..engine.datasets import DatasetSurface
from ..engine.problem import legs
from ..engine.runner import DIVERGED, MAX_STEPS, RUNNING, LockstepRuns, Problem, RowResults, RunConfig, Trajectory
from ..engine.switching import Run, SwitchRun, start_run

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


class ChainRows:
    """Rows of one optimizer chain with the same milestones, stepped together leg by leg: each leg
    is the lockstep rows of its link (`LockstepRuns`, the link's hyperparameters per row) from the
    points where the previous leg's rows reached its milestone, on the whole run's clock (the leg's
    `RunConfig.clock`: its schedule, noise draws and mini-batches). Each leg's rows are its single
    runs bit for bit, so each row is the chain runner's single run (`app.engine.switching`). With
    `LockstepRuns`'s interface (``advance``, ``done``, ``t``, ``problem``, ``result``) and each
    row's ``switches``."""

    def __init__(
        self, problem: Problem, run: RunConfig, starts: np.ndarray, params: list[dict[str, np.ndarray]]
    ) -> None:
        self.problem = problem
        self._legs = legs(run, problem.steps)
        self._params = params  # per link: hyperparameter -> one value per row
        rows = starts.shape[0]
        self.result = RowResults(
            starts[:, 0].copy(),
            starts[:, 1].copy(),
            np.full(rows, math.nan),
            np.zeros(rows, dtype=np.int64),
            np.full(rows, RUNNING, dtype=object),
        )
        self.switches: list[list[int]] = [[] for _ in range(rows)]
        self._leg = 0
        self._live = np.arange(rows)  # the rows in the current leg
        self._runs: LockstepRuns | None = self._open(starts)

    def _open(self, starts: np.ndarray) -> LockstepRuns:
        cfg, t0, t1 = self._legs[self._leg]
        row_params = {k: v[self._live] for k, v in self._params[self._leg].items()}
        return LockstepRuns(replace(self.problem, steps=t1 - t0), cfg, starts, row_params)

    @property
    def done(self) -> bool:
        return self._runs is None

    @property
    def t(self) -> int:
        """Updates of the whole run made (the current leg's clock)."""
        return self.problem.steps if self._runs is None else self._legs[self._leg][1] + self._runs.t

    def advance(self, n: int) -> None:
        while n > 0 and self._runs is not None:
            before = self._runs.t
            self._runs.advance(n)
            n -= self._runs.t - before
            if self._runs.done:
                self._end_leg(self._runs.result)

    def _end_leg(self, r: RowResults) -> None:
        """The leg's rows' ends; those that ran to its milestone go on with the next link."""
        _, t0, t1 = self._legs[self._leg]
        live, out = self._live, self.result
        out.x[live], out.y[live], out.loss[live] = r.x, r.y, r.loss
        out.steps_taken[live], out.status[live] = t0 + r.steps_taken, r.status
        on = np.nonzero(r.status == MAX_STEPS)[0]
        if self._leg + 1 == len(self._legs) or not on.size:
            self._runs = None
            return
        for k in live[on]:
            self.switches[k].append(t1)
        self._leg += 1
        self._live = live[on]
        self._runs = self._open(np.column_stack([r.x[on], r.y[on]]))


@dataclass
class Group:
    rows: np.ndarray  # indices into the flattened grid
    runs: LockstepRuns | ChainRows


class LockstepJob:
    """Groups of lockstep rows advanced together, with progress for a stream."""

    def __init__(self, groups: list[Group], total_rows: int, steps: int, estimate: float = 0.0) -> None:
        self.groups = groups
        self.total_rows = total_rows
        self.steps = steps  # the longest group's steps
        self.estimate = estimate  # CPU seconds admitted (rows of an optimizer chain; 0: the rows admit themselves)

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
        chains = [g for g in self.groups if isinstance(g.runs, ChainRows)]
        if chains:  # an optimizer chain's rows: the updates at which a later link took over
            out["switches"] = np.empty(self.total_rows, dtype=object)
            for g in chains:
                assert isinstance(g.runs, ChainRows)
                for k, switches in zip(g.rows, g.runs.switches, strict=True):
                    out["switches"][k] = switches
        return out


Cell = Callable[[int], tuple[Problem, RunConfig]]  # the problem and run of cell k of the flattened grid
CHAIN_SLICE = 2048  # updates of one cell between two looks at the budget (its trajectory's lists emptied)


def _chain_end(run: Run | SwitchRun) -> tuple[list[int], dict[str, Any] | None]:
    """A cell's switches (the updates at which a later link took over) and SWATS's {"step", "lr"}."""
    return (list(run.switches), run.swats) if isinstance(run, SwitchRun) else ([], None)


def _empty(tr: Trajectory) -> None:
    """Empty every list a trajectory records (per update, its state's, its evaluations')."""
    for f in fields(tr):
        value = getattr(tr, f.name)
        for part in value.values() if isinstance(value, dict) else (value,):
            if isinstance(part, list):
                part.clear()


class ChainJob:
    """The cells of a sweep of optimizer chains, one after another, each run by the chain runner
    (`app.engine.switching.start_run`): exactly the single run of POST /api/v1/trajectories with
    that chain. Only the running cell exists, and its trajectory is emptied every slice: memory
    is one slice and the cells' ends. ``advance(n)`` does n updates per cell's worth of work, like
    `LockstepJob`'s n steps of every row."""

    def __init__(self, cell: Cell, total_rows: int, steps: list[int], alike: np.ndarray) -> None:
        """``alike``: one row per cell, equal for cells of the same cost (their updates, milestones
        and batch size): the work is estimated once per kind (`app.engine.cost.chain_cell`)."""
        _, first, count = np.unique(alike, axis=0, return_index=True, return_counts=True)
        work = sum(n * cost.chain_cell(*cell(int(k))) for k, n in zip(first, count, strict=True))
        problem, run = cell(0)
        self.estimate = work + cost.derive_hessian(problem, [run])  # CPU seconds; a Newton link's formula derived once
        _deadline.admit(self.estimate)
        self.cell, self.total_rows = cell, total_rows
        self._steps = steps  # each cell's updates (its problem's steps)
        self.steps = max(steps, default=0)
        self._total = max(sum(steps), 1)
        self._k = 0  # the running cell
        self._run: Run | SwitchRun | None = start_run(problem, run)
        self._updates = 0  # updates made, the running cell's included
        keys = ("x", "y", "loss", "steps_taken", "status", "switches", "swats")
        self._ends: dict[str, list[Any]] = {k: [] for k in keys}
        self._last = (math.nan, math.nan, math.nan)

    @property
    def done(self) -> bool:
        return self._run is None

    @property
    def progress(self) -> float:
        return 1.0 if self.done else min(self._updates / self._total, 1.0)

    def advance(self, n: int) -> None:
        budget = n * self.total_rows
        while budget > 0 and self._run is not None:
            run = self._run
            before = self._updates
            run.advance(min(budget, CHAIN_SLICE))
            tr = run.traj
            if tr.x:
                self._last = (tr.x[-1], tr.y[-1], tr.loss[-1])
            self._updates += len(tr.lr)
            budget -= max(self._updates - before, 1)
            _empty(tr)  # the slice is taken
            if run.done:
                self._finish(run)

    def _finish(self, run: Run | SwitchRun) -> None:
        """Keep the cell's end, open the next one."""
        x, y, loss = self._last
        for key, value in zip(
            self._ends,
            (x, y, loss, run.steps_taken, run.status, *_chain_end(run)),
            strict=True,
        ):
            self._ends[key].append(value)
        self._updates += self._steps[self._k] - run.steps_taken  # a cell that stopped early: its rest is done
        self._k += 1
        self._run = start_run(*self.cell(self._k)) if self._k < self.total_rows else None

    def run_to_end(self) -> None:
        while not self.done:
            self.advance(self.steps + 1)

    def collect(self) -> dict[str, np.ndarray]:
        out = {k: np.asarray(v, dtype=float) for k, v in self._ends.items() if k in ("x", "y", "loss")}
        out["steps_taken"] = np.asarray(self._ends["steps_taken"], dtype=np.int64)
        out["status"] = np.asarray(self._ends["status"], dtype=object)
        for key in ("switches", "swats") if any(self._ends["swats"]) else ("switches",):
            out[key] = np.empty(self.total_rows, dtype=object)
            for k, value in enumerate(self._ends[key]):  # one object per cell (lists alike are not a 2-D array)
                out[key][k] = value
        return out


def chain_job(
    cell: Cell, total_rows: int, steps: list[int], alike: np.ndarray, row_params: dict[tuple[int, str], np.ndarray]
) -> LockstepJob | ChainJob:
    """A sweep of an optimizer chain: cells alike (``alike``: the same updates, milestones and batch
    size) as lockstep rows leg by leg (`ChainRows`, ``row_params``: (link, hyperparameter) -> one
    value per cell) when every link steps element-wise; else (a closure optimizer last) cell by
    cell through the chain runner (`ChainJob`). Either way each cell is the single run."""
    problem, run = cell(0)
    if run.swats is not None or any(r.optimizer.driver != "loop" for r, _, _ in legs(run, problem.steps)):
        return ChainJob(cell, total_rows, steps, alike)  # SWATS places each cell's switch as the run goes
    _, first, inverse = np.unique(alike, axis=0, return_index=True, return_inverse=True)
    kinds = [(np.nonzero(inverse.ravel() == g)[0], *cell(int(k))) for g, k in enumerate(first)]
    estimate = sum(cost.chain_rows(p, r, idx.size) for idx, p, r in kinds)
    _deadline.admit(estimate)
    groups = []
    for idx, p, r in kinds:
        links = range(len(r.switches) + 1)
        params = [{what: v[idx] for (j, what), v in row_params.items() if j == link} for link in links]
        groups.append(Group(idx, ChainRows(p, r, np.tile(p.start, (idx.size, 1)), params)))
    return LockstepJob(groups, total_rows, max(steps), estimate)


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


def sweep_result(job: LockstepJob | ChainJob, xs: list[float], ys: list[float]) -> dict[str, Any]:
    r = job.collect()
    shape = (len(ys), len(xs))
    loss = [
        None if s == DIVERGED or not math.isfinite(v) else float(v) for v, s in zip(r["loss"], r["status"], strict=True)
    ]
    out = {
        "x_values": xs,
        "y_values": ys,
        "final_loss": np.array(loss, dtype=object).reshape(shape).tolist(),
        "steps_taken": r["steps_taken"].reshape(shape).tolist(),
        "status": r["status"].reshape(shape).tolist(),
    }
    for key in ("switches", "swats"):  # a chain's cells: the updates at which a later link took over; SWATS's
        if key in r:
            out[key] = r[key].reshape(shape).tolist()
    return out


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
