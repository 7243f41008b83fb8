"""The runner: steps optimizers over a surface and records their trajectories.

The stepping itself is the compiled loop of `app.engine.kernels` (one loop body, see the README):

- `ScalarRun`: one run that records every point (the trajectory endpoints), a single lane of the
  compiled loop; on dataset surfaces, the compiled dataset loop (`app.engine.kernels.data`: the
  same update rules over mini-batch means) recording every point.
- `LockstepRuns`: many rows of one optimizer (sweeps, basin maps, races, tuning), blocks of lanes
  of the same loop; on dataset surfaces, rows of the compiled dataset loop (each row the same bits
  as the single run with its settings).

Both record, for each run: the points ``x[t], y[t]`` after t updates, ``loss[t]`` there, and for
each update the ``lr`` and the ``grad_norm`` of the gradient it used (after noise, on the
mini-batch). A run stops as ``converged`` when the true gradient's norm at point t is below the
tolerance, as ``diverged`` when an update leaves the finite, sane region (its arrays keep only
the finite prefix), else as ``max_steps``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import cost as _cost
from . import deadline as _deadline
from . import (
    feedback,
    tuning,  # noqa: F401  (heap settings for the lockstep path)
)
from .backend import ARRAY, SCALAR
from .datasets import DatasetSurface
from .explained import Explained, english
from .kernels import data, drive, loop, python_of, rules
from .problem import Problem as Problem  # re-exported: where the app takes them from
from .problem import RunConfig as RunConfig
from .schedules import constant, learning_rates
from .surfaces import Surface

CONVERGED, DIVERGED, MAX_STEPS, RUNNING = "converged", "diverged", "max_steps", "running"


@dataclass
class Trajectory:
    x: list[float] = field(default_factory=list)
    y: list[float] = field(default_factory=list)
    loss: list[float] = field(default_factory=list)
    lr: list[float] = field(default_factory=list)
    grad_norm: list[float] = field(default_factory=list)
    batch_loss: list[float] | None = None
    momentum: list[float] | None = None  # per update, when the schedule cycles it
    # with include_state: one value per update (None: the optimizer has no such quantity)
    state: dict[str, list[float | None] | None] | None = None
    # closure optimizers (L-BFGS): every loss evaluation, {"step", "x", "y", "loss"} (app.engine.closure)
    evals: dict[str, list[float | None]] | None = None
    status: str = RUNNING
    steps_taken: int = 0

    def add(self, x: float, y: float, loss: float, lr: float, grad_norm: float, batch_loss: float) -> None:
        """One update's point, the loss there, its lr and gradient norm (and batch cost, where kept)."""
        self.x.append(x)
        self.y.append(y)
        self.loss.append(loss)
        self.lr.append(lr)
        self.grad_norm.append(grad_norm)
        if self.batch_loss is not None:
            self.batch_loss.append(batch_loss)

    def arrays(self) -> dict[str, Any]:
        out: dict[str, Any] = {"x": self.x, "y": self.y, "loss": self.loss, "lr": self.lr, "grad_norm": self.grad_norm}
        out.update((k, v) for k in ("batch_loss", "momentum", "state", "evals") if (v := getattr(self, k)) is not None)
        return out


def halt(t: int, stop: int, last: int, converged: bool) -> str | None:
    """Before update t of a run advanced up to step ``stop``: the status that ends the advance
    (CONVERGED where the true gradient is below the tolerance, MAX_STEPS after the last update,
    RUNNING at a pause), or None to make the update."""
    if converged:
        return CONVERGED
    if t == stop:
        return MAX_STEPS if t == last else RUNNING
    return None


clip_grad = python_of(rules.clip)  # gradient clipping in Python: floats (SCALAR) or rows (ARRAY)
_polyak_rate = python_of(rules.polyak_rate)
_polyak_rows = np.vectorize(_polyak_rate, otypes=[float])

STATE_KEYS = ("gx", "gy", "mx", "my", "eff_lr_x", "eff_lr_y")


def record_state(state: dict[str, list[float | None] | None], values: tuple[float, ...]) -> None:
    """Append one update's internals: gradient used, moment after, per-axis effective lr."""
    for key, v in zip(STATE_KEYS, values, strict=True):
        out = state[key]
        if out is not None:  # None: the optimizer has no such quantity
            out.append(v if math.isfinite(v) else None)


_REC_STATE = (loop.REC_GX, loop.REC_GY, loop.REC_MX, loop.REC_MY, loop.REC_EX, loop.REC_EY)
_STATUS = {loop.CONVERGED: CONVERGED, loop.DIVERGED: DIVERGED, loop.MAX_STEPS: MAX_STEPS}
_STATUS_NAMES = np.array([RUNNING, CONVERGED, DIVERGED, MAX_STEPS], dtype=object)[
    np.argsort([loop.RUNNING, loop.CONVERGED, loop.DIVERGED, loop.MAX_STEPS])
]


def _floats(values: np.ndarray) -> Sequence[float | None]:
    out: list[float] = values.tolist()
    if not np.isfinite(values).all():
        return [v if math.isfinite(v) else None for v in out]
    return out


# --- per-run inputs: learning rates, noise, mini-batches -----------------------------------------


def updates_per_epoch(surface: Surface, run: RunConfig) -> int:
    if isinstance(surface, DatasetSurface):
        return surface.epoch_updates(run.batch_size or surface.model.data.m)
    return 1


def schedule_times(steps: int, per: str, per_epoch: int, clock: int = 0) -> np.ndarray:
    """The schedule's clock at every update clock..clock+steps-1: the update's index, or its epoch
    when ``per == 'epoch'`` (``per_epoch`` updates each)."""
    t = np.arange(clock, clock + steps, dtype=np.int64)
    if per == "epoch":
        t = t // per_epoch
    return t


def _schedule_t(problem: Problem, run: RunConfig) -> np.ndarray:
    per_epoch = updates_per_epoch(problem.surface, run) if run.per == "epoch" else 1
    return schedule_times(problem.steps, run.per, per_epoch, run.clock)


def run_lrs(run: RunConfig, t: np.ndarray, base: float | np.ndarray | None = None) -> np.ndarray:
    """The run's lr at the schedule's clock values ``t`` (`schedule_times`), warm-up and chain
    included; for a schedule that reads the loss, its starting rate (`app.engine.feedback`)."""
    base = run.params["lr"] if base is None else base
    return learning_rates(run.schedule, run.schedule_params, base, t, run.warmup_steps, run.chain)


def run_momenta(run: RunConfig, t: np.ndarray) -> np.ndarray | None:
    """The run's momentum (β or β₁) at the clock values ``t`` when its schedule cycles it, else None."""
    if not feedback.cycles_momentum(run.schedule, run.schedule_params):
        return None
    return feedback.momenta(run.schedule, run.schedule_params, t, run.warmup_steps)


def schedule_lrs(problem: Problem, run: RunConfig, base: float | np.ndarray | None = None) -> np.ndarray:
    """The lr of every update 0..steps-1 (epochs counted when ``per == 'epoch'``); for a schedule
    that reads the loss, its starting rate (`app.engine.feedback`)."""
    return run_lrs(run, _schedule_t(problem, run), base)


def schedule_momenta(problem: Problem, run: RunConfig) -> np.ndarray | None:
    """The momentum (β or β₁) of every update when the schedule cycles it, else None."""
    return run_momenta(run, _schedule_t(problem, run))


def plateau_every(problem: Problem, run: RunConfig) -> int:
    """Updates between two steps of a scheduler that reads the loss."""
    return updates_per_epoch(problem.surface, run) if run.per == "epoch" else 1


def gradient_noise(problem: Problem, run: RunConfig) -> np.ndarray | None:
    """Seeded Gaussian noise for each update's gradient: the same draws for every run (a leg of an
    optimizer chain: the whole run's draws from its clock on)."""
    if not run.noise_std:
        return None
    rng = np.random.default_rng([problem.seed, 1])
    return rng.standard_normal((run.clock + problem.steps, 2))[run.clock :] * run.noise_std


def course(problem: Problem, run: RunConfig) -> drive.Course:
    """What the compiled kernel of the run follows besides its rule (noise, steps, tolerance, bound, clipping)."""
    return drive.Course(gradient_noise(problem, run), problem.steps, problem.tolerance, problem.surface.bound, run.clip)


class Permutations:
    """The epochs' permutations of a run's `BatchOrder`, as `app.engine.kernels.data` asks for them
    (epochs e0..e1-1 as rows). The ones before e0 are dropped; asked again (a run put back by
    `feedback.PlateauRun`), they are drawn again from a fresh order: the same seeded draws."""

    def __init__(self, m: int, batch_size: int, seed: int, skip: int = 0) -> None:
        self.args = (m, batch_size, seed)
        self.order = BatchOrder(*self.args)
        self.drawn = -1  # the last epoch drawn from self.order
        self.kept: dict[int, np.ndarray] = {}
        self.skip = skip  # epochs before the run's epoch 0 (a later leg of an optimizer chain)

    def __call__(self, e0: int, e1: int) -> np.ndarray:
        for e in range(e0, e1):
            if e not in self.kept:
                g = e + self.skip
                if g <= self.drawn:
                    self.order, self.drawn = BatchOrder(*self.args), -1
                self.kept[e] = self.order.permutation(g).copy()
                self.drawn = g
        for e in [e for e in self.kept if e < e0]:
            del self.kept[e]
        return np.stack([self.kept[e] for e in range(e0, e1)])


def dataset_rows(
    problem: Problem,
    run: RunConfig,
    surface: DatasetSurface,
    starts: np.ndarray,
    lr_table: drive.LrTable,
    record: bool = False,
    row_params: dict[str, np.ndarray] | None = None,
) -> data.DataRows:
    """The compiled dataset loop of a run's rows (``record``: one run recording every point)."""
    m = surface.model.data.m
    per_epoch = surface.epoch_updates(run.batch_size or m)
    if run.clock % per_epoch:
        raise ValueError(f"a leg of an optimizer chain starts at an epoch's first update, not at {run.clock}")
    perms = Permutations(m, run.batch_size or m, problem.seed, run.clock // per_epoch)
    order = perms.order
    params = dict(run.params)
    params.update(row_params or {})
    hyper = run.optimizer.hyper(params)
    H = np.empty((rules.HYPER, starts.shape[0]))
    for k, values in enumerate(hyper):
        H[k] = values
    return data.DataRows(
        data.of(surface.model, order.batch_size, order.per_epoch, perms),
        run.optimizer.rule,
        H,
        starts,
        lr_table,
        problem.steps,
        problem.tolerance,
        surface.bound,
        run.clip,
        record,
    )


class BatchOrder:
    """Mini-batch indices: each epoch a fresh seeded permutation, cut into batches."""

    def __init__(self, m: int, batch_size: int, seed: int) -> None:
        self.m, self.batch_size = m, min(batch_size, m)
        self.per_epoch = math.ceil(m / self.batch_size)
        self._rng = np.random.default_rng([seed, 2])
        self._epoch = -1
        self._perm: np.ndarray | None = None

    def indices(self, t: int) -> np.ndarray | None:
        """Samples used by update t (None: the whole data set, in stored order)."""
        if self.batch_size >= self.m:
            return None
        epoch, k = divmod(t, self.per_epoch)
        while self._epoch < epoch:  # updates come in order: draw each epoch's permutation once
            self._perm = self._rng.permutation(self.m)
            self._epoch += 1
        assert self._perm is not None
        return self._perm[k * self.batch_size : (k + 1) * self.batch_size]

    def permutation(self, epoch: int) -> np.ndarray:
        """The order of the samples in ``epoch`` (asked in order; update k of it takes batch k)."""
        self.indices(epoch * self.per_epoch)
        assert self._perm is not None
        return self._perm


english(
    {
        "start.not_evaluable": "the surface or its gradient cannot be evaluated there",
        "start.value": "the surface value there is not finite ({value})",
        "start.gradient": "the gradient there is not finite",
        "start.outside": "it is outside the surface's sane region (|x|, |y| ≤ {bound})",
    }
)


def start_is_valid(surface: Surface, start: tuple[float, float]) -> Explained | None:
    """None if the surface and its gradient are finite at start, else the reason."""
    try:
        with np.errstate(all="ignore"):
            f = float(surface.value(start[0], start[1], SCALAR))
            gx, gy = surface.grad(start[0], start[1], SCALAR)
            gx, gy = float(gx), float(gy)
    except (ArithmeticError, ValueError):
        return Explained("start.not_evaluable")
    if not math.isfinite(f):
        return Explained("start.value", value=f)
    if not (math.isfinite(gx) and math.isfinite(gy)):
        return Explained("start.gradient")
    if max(abs(start[0]), abs(start[1])) > surface.bound:
        return Explained("start.outside", bound=f"{surface.bound:g}")
    return None


# --- one run on floats ---------------------------------------------------------------------------


class RunEnd:
    """How a run stands (`ScalarRun`, `app.engine.closure.ClosureRun`): done, its status, the
    updates it took."""

    _traj: Trajectory

    @property
    def done(self) -> bool:
        return self._traj.status != RUNNING

    @property
    def status(self) -> str:
        return self._traj.status

    @property
    def steps_taken(self) -> int:
        return self._traj.steps_taken

    @property
    def traj(self) -> Trajectory:
        return self._traj

    def arrays(self) -> dict[str, Any]:
        return self._traj.arrays()


class ScalarRun(RunEnd):
    """One run, every point recorded; ``advance(n)`` does up to n more updates."""

    def __init__(self, problem: Problem, run: RunConfig) -> None:
        if run.optimizer.driver != "loop":
            raise ValueError(f"{run.optimizer.name} is not element-wise: it runs in app.engine.closure (ClosureRun)")
        self.problem, self.run = problem, run
        surface = problem.surface
        self._data = surface if isinstance(surface, DatasetSurface) else None
        self.dataset = self._data is not None
        self._kind, self._hyper = run.optimizer.rule, run.optimizer.hyper(run.params)
        x, y = float(problem.start[0]), float(problem.start[1])
        lrs = schedule_lrs(problem, run)
        self.t = 0
        self._pending: list[tuple[np.ndarray, int]] = []  # compiled records not yet made lists
        self._listed = False  # some records were made lists (a stream, a test): keep using lists
        kernel: drive.SingleRun | data.DataRows
        if self._data is not None:  # the dataset loop (mini-batches over the data)
            kernel = dataset_rows(problem, run, self._data, np.array([[x, y]]), lambda r0, r1: lrs.reshape(1, -1), True)
            self._traj = Trajectory(x=[x], y=[y], loss=[float(kernel.F[0])])
        else:  # the compiled loop, where the surface supplies its gradient (analytic, typed formula)
            src = drive.source(surface)
            if src is None:
                raise ValueError(f"surface {surface.id!r} has no compiled gradient")
            self._traj = Trajectory(x=[x], y=[y], loss=[float(surface.value(x, y, SCALAR))])
            kernel = drive.SingleRun(src, self._kind, self._hyper, x, y, self._traj.loss[0], lrs, course(problem, run))
        self._moms = schedule_momenta(problem, run)
        self._plateau = feedback.make_plateau(run.schedule, run.schedule_params, run.params["lr"], 1)
        self._kernel: drive.SingleRun | data.DataRows | feedback.PlateauRun = kernel
        if self._plateau is not None:
            ahead = 1 if self._data is not None else feedback.SPECULATE  # a dataset's update is costly
            self._kernel = feedback.PlateauRun(kernel, self._plateau, plateau_every(problem, run), ahead)
        elif self._moms is not None:
            kernel.cycle(self._moms)
        if self._moms is not None:
            self._traj.momentum = []
            self._mom_done = 0  # updates whose momentum is in the lists (a stream clears them)
        if self.dataset:
            self._traj.batch_loss = []
        if problem.include_state:
            moment, rate = drive.internals_present(self._kind, self._hyper)
            has = {"mx": moment, "my": moment, "eff_lr_x": rate, "eff_lr_y": rate}
            self._traj.state = {k: [] if has.get(k, True) else None for k in STATE_KEYS}

    def advance(self, n: int) -> None:
        if self.done:
            return
        self._advance(min(self.t + n, self.problem.steps))

    def _finish(self, status: str) -> None:
        self._traj.status = status
        self._traj.steps_taken = self.t

    @property
    def traj(self) -> Trajectory:
        """The trajectory so far, as lists (made from the compiled records on first use)."""
        if self._pending:
            self._listed = True
            for rec, k in self._pending:
                self._extend(rec, k)
            self._pending.clear()
        return self._traj

    def arrays(self) -> dict[str, Any]:
        """`Trajectory.arrays`, as NumPy arrays where the compiled loop recorded them (the JSON
        answer: orjson encodes them in C, with no Python float made on the way; non-finite
        values are null either way)."""
        if self._listed or not self._pending:
            return self.traj.arrays()
        recs = [(rec, k) for rec, k in self._pending]
        tr = self._traj
        if len(recs) == 1:  # one record from t = 0 (a whole answer): its rows as they are, no copies
            rec, k = recs[0]
            rec[loop.REC_X, 0], rec[loop.REC_Y, 0], rec[loop.REC_LOSS, 0] = tr.x[0], tr.y[0], tr.loss[0]
            one: dict[str, Any] = {
                "x": rec[loop.REC_X, : k + 1],
                "y": rec[loop.REC_Y, : k + 1],
                "loss": rec[loop.REC_LOSS, : k + 1],
                "lr": rec[loop.REC_LR, :k],
                "grad_norm": rec[loop.REC_GN, :k],
            }
            if tr.batch_loss is not None:  # a dataset's run
                one["batch_loss"] = rec[data.REC_BATCH, :k]
            if self._moms is not None:  # tr.momentum is a list exactly then
                one["momentum"] = self._moms[:k]
            if tr.state is not None:
                one["state"] = {
                    key: None if tr.state[key] is None else rec[row, :k]
                    for key, row in zip(STATE_KEYS, _REC_STATE, strict=True)
                }
            return one

        def points(row: int, first: float) -> np.ndarray:
            return np.concatenate([np.array([first]), *(rec[row, 1 : k + 1] for rec, k in recs)])

        def updates(row: int) -> np.ndarray:
            return np.concatenate([rec[row, :k] for rec, k in recs])

        out: dict[str, Any] = {
            "x": points(loop.REC_X, tr.x[0]),
            "y": points(loop.REC_Y, tr.y[0]),
            "loss": points(loop.REC_LOSS, tr.loss[0]),
            "lr": updates(loop.REC_LR),
            "grad_norm": updates(loop.REC_GN),
        }
        if tr.batch_loss is not None:
            out["batch_loss"] = updates(data.REC_BATCH)
        if self._moms is not None:
            out["momentum"] = self._moms[: out["lr"].shape[0]]
        if tr.state is not None:
            out["state"] = {
                key: None if tr.state[key] is None else updates(row)
                for key, row in zip(STATE_KEYS, _REC_STATE, strict=True)
            }
        return out

    def _extend(self, rec: np.ndarray, k: int) -> None:
        tr = self._traj
        tr.x.extend(rec[loop.REC_X, 1 : k + 1].tolist())
        tr.y.extend(rec[loop.REC_Y, 1 : k + 1].tolist())
        tr.loss.extend(rec[loop.REC_LOSS, 1 : k + 1].tolist())
        tr.lr.extend(rec[loop.REC_LR, :k].tolist())
        tr.grad_norm.extend(rec[loop.REC_GN, :k].tolist())
        if tr.batch_loss is not None:
            tr.batch_loss.extend(rec[data.REC_BATCH, :k].tolist())
        if tr.momentum is not None and self._moms is not None:
            tr.momentum.extend(self._moms[self._mom_done : self._mom_done + k].tolist())
            self._mom_done += k
        if tr.state is not None:
            for key, row in zip(STATE_KEYS, _REC_STATE, strict=True):
                values = tr.state[key]
                if values is not None:
                    values.extend(_floats(rec[row, :k]))

    def _advance(self, stop: int) -> None:
        t, rec, status = self._kernel.advance(self.t, stop)
        k = t - self.t
        if self._listed:
            self._extend(rec, k)
        else:
            self._pending.append((rec, k))
        self.t = t
        if status != loop.RUNNING:
            self._finish(_STATUS[status])


# --- many rows in lockstep -----------------------------------------------------------------------


@dataclass
class RowResults:
    """Final state of each row of a lockstep run."""

    x: np.ndarray
    y: np.ndarray
    loss: np.ndarray
    steps_taken: np.ndarray
    status: np.ndarray  # of str


class LockstepRuns:
    """Rows of one optimizer on one surface, stepped together (compiled lanes; rows of the
    compiled dataset loop on dataset surfaces; NumPy arrays on a surface with neither).

    ``starts`` is an (R, 2) array of start points; ``row_params`` maps hyperparameter names to
    one value per row (the others come from ``run.params``). Noise draws and mini-batch order are
    the ones a single run with the same settings gets, so each row equals that run bit for bit
    (the same compiled code).

    On built-in analytic surfaces and dataset surfaces the loss is finite wherever the point is
    finite and within the sane bound (`datasets.finite_within`), so the loss is only evaluated
    where a row stops; elsewhere (custom formulas not proven finite) it is checked at every step,
    exactly as the scalar runner does.
    """

    def __init__(
        self,
        problem: Problem,
        run: RunConfig,
        starts: np.ndarray,
        row_params: dict[str, np.ndarray] | None = None,
    ) -> None:
        self.problem, self.run = problem, run
        self.surface = problem.surface
        starts = np.asarray(starts, dtype=float).reshape(-1, 2)
        rows = starts.shape[0]
        if run.optimizer.driver != "loop":
            raise ValueError(
                f"{run.optimizer.name} is not element-wise: it runs one run at a time (trajectories), "
                "not in lockstep rows (sweeps, basins, races)"
            )
        _deadline.admit(_cost.lockstep(problem.surface, rows, problem.steps, run.batch_size, run, problem.tolerance))
        self.rows = rows
        self._row_params = {k: np.asarray(v, dtype=float).reshape(rows) for k, v in (row_params or {}).items()}
        self.idx = np.arange(rows)  # original row index of each active row
        self.t = 0
        lr0 = self._row_params.get("lr", run.params["lr"])
        self._plateau = feedback.make_plateau(run.schedule, run.schedule_params, lr0, rows)
        self._moms = schedule_momenta(problem, run)
        self._data_rows: data.DataRows | None = None
        if isinstance(self.surface, DatasetSurface):  # the dataset loop (mini-batches over the data)
            rows_ = self._data_rows = dataset_rows(
                problem, run, self.surface, starts, self._lr_table(), row_params=self._row_params
            )
            if self._moms is not None:
                rows_.cycle(self._moms)
            self.result = RowResults(rows_.X, rows_.Y, rows_.F, rows_.taken, _STATUS_NAMES[rows_.status])
            self._every = plateau_every(problem, run)
            return
        src = drive.source(self.surface)
        self._lanes = self._compiled(src, starts) if src is not None else None
        if self._lanes is not None:
            return
        self.theta = np.ascontiguousarray(starts.T)
        self._params = dict(run.params)
        self._params.update(self._row_params)
        self._opt = run.optimizer.build(ARRAY, self._params)
        self.state = self._opt.init(self.theta)
        self.t = 0
        with np.errstate(all="ignore"):
            loss0 = np.broadcast_to(np.asarray(self._loss(self.theta), dtype=float), (rows,)).copy()
        self.result = RowResults(
            x=self.theta[0].copy(),
            y=self.theta[1].copy(),
            loss=loss0,
            steps_taken=np.zeros(rows, dtype=np.int64),
            status=np.full(rows, RUNNING, dtype=object),
        )
        self._lrs: list[float] | None = schedule_lrs(problem, run).tolist() if "lr" not in self._row_params else None
        self._check_loss = not getattr(self.surface, "finite_in_bound", False)
        self._noise = gradient_noise(problem, run)
        self._every = plateau_every(problem, run)

    def _lr_table(self) -> drive.LrTable:
        """The learning rates of rows r0..r1-1: shared, one constant rate per row, or per row and update."""
        problem, run = self.problem, self.run
        lr_rows = self._row_params.get("lr")
        table: drive.LrTable
        if lr_rows is None:
            shared = schedule_lrs(problem, run).reshape(1, -1)

            def table(r0: int, r1: int) -> np.ndarray:
                return shared

        elif run.schedule.fn is constant and run.warmup_steps <= 0 and not run.chain:

            def table(r0: int, r1: int) -> np.ndarray:
                return lr_rows[r0:r1, None]  # base · 1, the same bits

        else:
            steps = _schedule_t(problem, run)[None, :]

            def table(r0: int, r1: int) -> np.ndarray:
                return run_lrs(run, steps, lr_rows[r0:r1, None])  # the schedule's chain (SequentialLR) too

        return table

    def _compiled(self, src: drive.Source, starts: np.ndarray) -> drive.Lanes:
        """The rows as lanes of the compiled loop (analytic surfaces and typed formulas)."""
        problem, run = self.problem, self.run
        params = dict(run.params)
        params.update(self._row_params)
        hyper = run.optimizer.hyper(params)
        table = self._lr_table()
        lanes = drive.Lanes(
            src,
            run.optimizer.rule,
            hyper,
            starts,
            table,
            course(problem, run),
        )
        self.result = RowResults(lanes.X, lanes.Y, lanes.F, lanes.taken, _STATUS_NAMES[lanes.status])
        return lanes

    @property
    def done(self) -> bool:
        return self.idx.size == 0

    def _advance_data(self, rows: data.DataRows, stop: int) -> None:
        """Dataset rows to ``stop``; with a scheduler that reads the loss, an epoch (``every``
        updates) at a time, each row at its own rate, the scheduler fed after each with the loss
        of the rows still running."""
        plateau, t = self._plateau, self.t
        if plateau is None or t == stop:
            rows.advance_rows(t, stop)
            return
        rows.lr_table = lambda r0, r1: plateau.lr[r0:r1, None]
        every = self._every
        while t < stop:
            end = min(stop, (t // every + 1) * every)
            rows.advance_rows(t, end)
            t = end
            live = np.nonzero(rows.status == loop.RUNNING)[0]
            if not live.size:
                return
            if t % every == 0:
                plateau.step(rows.losses_at(live), live)

    def _loss(self, theta: np.ndarray) -> Any:
        return self.surface.value(theta[0], theta[1], ARRAY)

    def _lr(self, t: int) -> float | np.ndarray:
        if self._plateau is not None:
            return self._plateau.lr[self.idx]
        if self._lrs is not None:
            return self._lrs[t]
        return run_lrs(self.run, np.array([t]), self._params["lr"])

    def _stop(self, mask: np.ndarray, status: str, theta: np.ndarray, loss: Any = None) -> None:
        """Record the rows in mask as stopped at the current point, and drop them."""
        rows = self.idx[mask]
        r = self.result
        r.status[rows] = status
        r.steps_taken[rows] = self.t
        r.x[rows] = theta[0, mask]
        r.y[rows] = theta[1, mask]
        r.loss[rows] = self._loss(theta[:, mask]) if loss is None else np.broadcast_to(loss, mask.shape)[mask]
        keep = ~mask
        self.idx = self.idx[keep]
        self.theta = theta[:, keep]
        self.state = type(self.state)(*(f[:, keep] if isinstance(f, np.ndarray) else f for f in self.state))
        if self._row_params:
            for k, v in self._row_params.items():
                self._row_params[k] = v[keep]
                self._params[k] = self._row_params[k]
            self._opt = self.run.optimizer.build(ARRAY, self._params)

    def advance(self, n: int) -> None:
        problem, surface = self.problem, self.surface
        stop = min(self.t + n, problem.steps)
        if self._data_rows is not None:
            rows = self._data_rows
            if self.idx.size:
                self._advance_data(rows, stop)
                self.t = stop
            self.result.status = _STATUS_NAMES[rows.status]
            self.idx = np.nonzero(rows.status == loop.RUNNING)[0]
            return
        if self._lanes is not None:
            if self.idx.size and (self._plateau is not None or self._moms is not None):
                feedback.advance_lanes(self._lanes, self.t, stop, self._plateau, self._moms)
                self.t = stop
            elif self.idx.size:
                self._lanes.advance(self.t, stop)
                self.t = stop
            lanes = self._lanes
            self.result.status = _STATUS_NAMES[lanes.status]
            self.idx = np.nonzero(lanes.status == loop.RUNNING)[0]
            return
        tol, bound, check_loss = problem.tolerance, surface.bound, self._check_loss
        loss = None  # loss at the current points, when known
        check = _deadline.check
        with np.errstate(all="ignore"):
            while self.idx.size:
                check()  # every step: one step of many rows is the unit of work
                theta = self.theta
                gx, gy = surface.grad(theta[0], theta[1], ARRAY)
                converged = np.hypot(gx, gy) < tol if tol > 0.0 else None
                if converged is not None and converged.any():
                    self._stop(converged, CONVERGED, theta, loss)
                    loss = None
                    continue
                if self.t == stop:
                    if self.t == problem.steps:
                        self._stop(np.ones(self.idx.size, dtype=bool), MAX_STEPS, theta, loss)
                    break
                if self._noise is not None:
                    gx = gx + self._noise[self.t, 0]
                    gy = gy + self._noise[self.t, 1]
                if self.run.clip != (0.0, 0.0):
                    gx, gy = clip_grad(gx, gy, *self.run.clip, ARRAY)
                g = np.empty_like(theta)
                g[0] = gx
                g[1] = gy
                if self._moms is not None:  # the cycled momentum: the rule's first hyperparameter
                    self._params[feedback.momentum_name(self.run.optimizer)] = float(self._moms[self.t])
                    self._opt = self.run.optimizer.build(ARRAY, self._params)
                lr = self._lr(self.t)
                if self.run.optimizer.rule == rules.POLYAK:  # the factory takes the effective rate s·γ
                    f = self._loss(theta)
                    h = [self._params[k] for k in ("max_learning_rate", "eps")]
                    plus = float(self._params["variant"] == "sps+")
                    lr = lr * _polyak_rows(f, gx, gy, lr, h[0], h[1], plus, self._params["f_min"])
                new_theta, new_state = self._opt.update(g, self.state, theta, lr)
                checked = self._loss(new_theta) if check_loss else None  # the loss at the new points
                if checked is not None:
                    loss = checked
                    ok_all = bool(np.isfinite(checked).all()) and np.abs(new_theta).max() <= bound
                else:
                    ok_all = np.abs(new_theta).max() <= bound  # nan fails this too
                if not ok_all:
                    ok = (np.abs(new_theta) <= bound).all(axis=0)
                    if checked is not None:
                        ok &= np.isfinite(checked)
                    bad = ~ok
                    stationary = self.idx[bad & (g == 0.0).all(axis=0)]  # 0/0 of ε = 0 where g = 0
                    self._stop(bad, DIVERGED, theta, None)
                    self.result.status[stationary] = CONVERGED
                    new_theta = new_theta[:, ok]
                    new_state = type(new_state)(*(f[:, ok] if isinstance(f, np.ndarray) else f for f in new_state))
                    if checked is not None:
                        loss = np.broadcast_to(checked, ok.shape)[ok]
                self.theta, self.state = new_theta, new_state
                self.t += 1
                if self._plateau is not None and self.t % self._every == 0 and self.idx.size:
                    if loss is None:
                        loss = self._loss(self.theta)
                    self._plateau.step(np.broadcast_to(loss, self.idx.shape), self.idx)
