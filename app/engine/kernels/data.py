"""The dataset surfaces' step loop, compiled: mini-batch gradients of a model over its data.

A dataset surface's gradient is a mean over the samples of a mini-batch (`app.engine.datasets`):
its per-sample terms (`datasets.linear_cost`, `datasets.logistic_cost` and their residuals) and how the means make
the cost and the gradient (`datasets.finish`, `datasets.moment_loss`) are the formulas of that
module, compiled here as they are; the means are NumPy's: `pairwise` is NumPy's pairwise
summation (the same additions in the same order), over the samples in the mini-batch's order.
The transcendental functions are libm's (`nbmath`: ``math.exp``, ``math.log1p``; NumPy's own SIMD
``exp`` may differ in the last bit), so a path agrees with NumPy's evaluation of the same formulas
to float64 round-off, and single runs and lockstep rows (sweeps) agree bit for bit.

`steps` advances rows one after another (a row's steps are a chain; the per-sample work of a
step is the loop that vectorizes), each update exactly as `app.engine.kernels.loop.steps` makes
it (the optimizer's compiled rule, clipping, a cycled momentum, Schedule-Free's largest rate,
Polyak's step size from the mini-batch cost), with the dataset's own stopping rule: converged when
the full-data gradient's norm is below the tolerance, diverged when the new point leaves the
bound (the loss of a dataset is finite inside it: `datasets.finite_within`; a recording run checks
the loss and the mini-batch cost too). Mini-batches: epoch e's permutation of the samples
(`app.engine.runner.BatchOrder`, drawn in Python) cut into batches of ``bs``; ``bs >= m`` is the
whole data set in stored order.
"""

from __future__ import annotations

import functools
import math
import threading
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .. import datasets as _ds
from .. import deadline as _deadline
from . import jit, nbmath, rules, threads
from .dispatch import bias, update
from .drive import _join
from .loop import (
    CONVERGED,
    DIVERGED,
    MAX_STEPS,
    REC_EX,
    REC_EY,
    REC_GN,
    REC_GX,
    REC_GY,
    REC_LOSS,
    REC_LR,
    REC_MX,
    REC_MY,
    REC_ROWS,
    REC_X,
    REC_Y,
    RUNNING,
    hyper,
    start,
)
from .nbmath import hypot

REC_BATCH = REC_ROWS  # a recording run's extra row: each update's mini-batch cost
DATA_REC_ROWS = REC_ROWS + 1
PW_BLOCK = 128  # NumPy's PW_BLOCKSIZE

SLICE_SECONDS = 0.004  # work per kernel call between two deadline checks
SPAN_SECONDS = 0.05  # work of all rows per span of updates (their batches drawn once for it)
SAMPLE_SECONDS = 1.5e-8  # one sample's terms in a mini-batch or full-data pass (measured: make bench)
STEP_SECONDS = 3e-8  # one update of one row besides its samples
EPOCHS_PER_CALL = 64  # permutations handed to one call at most (bounded memory)

_linear_cost, _linear_residual = jit(_ds.linear_cost), jit(_ds.linear_residual)
_logistic_cost, _logistic_residual = jit(_ds.logistic_cost), jit(_ds.logistic_residual)
_finish = jit(_ds.finish)
_moment_loss = jit(_ds.moment_loss)
_moment_grad = jit(_ds.moment_grad)


@jit
def _block(a: np.ndarray, lo: int, n: int) -> float:
    """NumPy's sum of at most `PW_BLOCK` values: eight accumulators, then the rest in order."""
    if n < 8:
        res = -0.0
        for i in range(lo, lo + n):
            res += a[i]
        return float(res)
    r0, r1, r2, r3 = a[lo], a[lo + 1], a[lo + 2], a[lo + 3]
    r4, r5, r6, r7 = a[lo + 4], a[lo + 5], a[lo + 6], a[lo + 7]
    i = 8
    top = n - n % 8
    while i < top:
        r0 += a[lo + i]
        r1 += a[lo + i + 1]
        r2 += a[lo + i + 2]
        r3 += a[lo + i + 3]
        r4 += a[lo + i + 4]
        r5 += a[lo + i + 5]
        r6 += a[lo + i + 6]
        r7 += a[lo + i + 7]
        i += 8
    res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    while i < n:
        res += a[lo + i]
        i += 1
    return float(res)


@jit
def pairwise(a: np.ndarray, lo: int, n: int) -> float:
    """NumPy's pairwise sum of a[lo:lo + n] (``pairwise_sum_DOUBLE``: halves cut at a multiple of
    8, blocks of at most `PW_BLOCK`), the same additions in the same order: the bits of ``np.sum``.
    Its recursion runs on an explicit stack (numba's cache cannot hold a recursive function)."""
    if n <= PW_BLOCK:
        return _block(a, lo, n)
    frames = np.empty((192, 3), dtype=np.int64)  # (lo, n, halves summed?) ; depth < 64
    vals = np.empty(128)
    nf, nv = 1, 0
    frames[0, 0], frames[0, 1], frames[0, 2] = lo, n, 0
    while nf:
        nf -= 1
        flo, fn, done = frames[nf, 0], frames[nf, 1], frames[nf, 2]
        if fn <= PW_BLOCK:
            vals[nv] = _block(a, flo, fn)
            nv += 1
        elif done:
            vals[nv - 2] = vals[nv - 2] + vals[nv - 1]
            nv -= 1
        else:
            n2 = fn // 2
            n2 -= n2 % 8
            frames[nf, 2] = 1  # sum the two halves once both are done
            frames[nf + 1, 0], frames[nf + 1, 1], frames[nf + 1, 2] = flo + n2, fn - n2, 0
            frames[nf + 2, 0], frames[nf + 2, 1], frames[nf + 2, 2] = flo, n2, 0
            nf += 3
    return float(vals[0])


@jit
def batch(
    model: int,
    scale: float,
    l2: float,
    DX: np.ndarray,
    DY: np.ndarray,
    order: np.ndarray,
    lo: int,
    n: int,
    w: float,
    b: float,
    T: np.ndarray,
    grad: bool = True,
) -> tuple[float, float, float]:
    """(cost, ∂J/∂w, ∂J/∂b) at (w, b) on samples order[lo:lo + n] (an empty ``order``: samples
    lo..lo + n - 1 in stored order), as `datasets._Model.batch` computes them; T: scratch (3, m).
    Without ``grad``, the cost alone (the gradient nan)."""
    stored = order.shape[0] == 0
    for i in range(n):
        j = lo + i if stored else order[lo + i]
        x, y = DX[j], DY[j]
        z = w * x + b
        if model == _ds.LOGISTIC:
            c, kept = _logistic_cost(z, y, nbmath)
            r = _logistic_residual(z, kept, y, nbmath) if grad else 0.0
        else:
            c, kept = _linear_cost(z, y, nbmath)
            r = _linear_residual(z, kept, y, nbmath)
        T[0, i] = c
        T[1, i] = r * x
        T[2, i] = r
    k = float(n)
    cost_mean = (0.0 + pairwise(T[0], 0, n)) / k
    if not grad:
        return _finish(scale, cost_mean, math.nan, math.nan, w, l2)
    return _finish(scale, cost_mean, (0.0 + pairwise(T[1], 0, n)) / k, (0.0 + pairwise(T[2], 0, n)) / k, w, l2)


@jit
def full(
    model: int,
    scale: float,
    l2: float,
    mm: np.ndarray,
    DX: np.ndarray,
    DY: np.ndarray,
    w: float,
    b: float,
    T: np.ndarray,
    grad: bool = True,
) -> tuple[float, float, float]:
    """(loss, ∂J/∂w, ∂J/∂b) on the whole data set: `datasets` ``model.loss`` and ``model.grad``
    (linear regression from its moments ``mm``, O(1); logistic regression, one pass; without
    ``grad``, the loss alone)."""
    if model == _ds.LINEAR:
        gw, gb = _moment_grad(w, b, mm, l2)
        return _moment_loss(w, b, mm, l2), gw, gb
    return batch(model, scale, l2, DX, DY, order_none(), 0, DX.shape[0], w, b, T, grad)


@jit
def order_none() -> np.ndarray:
    return np.zeros(0, dtype=np.int64)


@jit
def losses(
    model: int, scale: float, l2: float, mm: np.ndarray, DX: np.ndarray, DY: np.ndarray, X: np.ndarray, Y: np.ndarray
) -> np.ndarray:
    """The full-data loss at every row's point."""
    T = np.empty((3, DX.shape[0]))
    F = np.empty(X.shape[0])
    for r in range(X.shape[0]):
        F[r] = full(model, scale, l2, mm, DX, DY, X[r], Y[r], T, False)[0]
    return F


@jit
def steps(
    kind: int,
    HT: np.ndarray,
    model: int,
    scale: float,
    l2: float,
    mm: np.ndarray,
    DX: np.ndarray,
    DY: np.ndarray,
    orders: np.ndarray,
    e0: int,
    per_epoch: int,
    bs: int,
    lrs: np.ndarray,
    moms: np.ndarray,
    X: np.ndarray,
    Y: np.ndarray,
    F: np.ndarray,
    S: np.ndarray,
    LM: np.ndarray,
    status: np.ndarray,
    taken: np.ndarray,
    r0: int,
    r1: int,
    t0: int,
    stop: int,
    last: int,
    tol: float,
    bound: float,
    clip_value: float,
    clip_norm: float,
    rec: np.ndarray,
) -> int:
    """Advance rows r0..r1-1 from update t0 to at most ``stop``; returns the step reached (of the
    last row stepped). ``orders[e - e0]``: epoch e's permutation (the epochs of t0..stop-1).
    ``lrs``: (1, steps) shared, (rows, 1) one constant rate per row or (rows, steps). ``LM``: each
    row's largest rate so far (Schedule-Free). ``rec`` (a single run, ``DATA_REC_ROWS`` rows):
    column j holds the point after t0 + j updates and update t0 + j's rate, gradient, internals and
    mini-batch cost; F the loss at the point (kept at every step). Rows (no ``rec``): F is set where
    a row stops."""
    m = DX.shape[0]
    stored = bs >= m
    empty = order_none()
    record = rec.shape[1] > 0
    lr_row = lrs.shape[0] > 1
    lr_col = lrs.shape[1] > 1
    cycled = moms.shape[0] > 0
    clipping = clip_value > 0.0 or clip_norm > 0.0
    T = np.empty((3, m))
    t = t0
    for r in range(r0, r1):
        if status[r] != RUNNING:
            continue
        x, y = X[r], Y[r]
        ax, bx, cx, ay, by, cy = S[0, r], S[1, r], S[2, r], S[3, r], S[4, r], S[5, r]
        h = hyper(HT, r)
        lr_max = LM[r]
        known = False  # the full gradient at (x, y) (a recording run: from the pass of its loss)
        fgx, fgy, hgx, hgy = 0.0, 0.0, 0.0, 0.0
        t = t0
        while True:
            if tol > 0.0:
                if not known:
                    _, fgx, fgy = full(model, scale, l2, mm, DX, DY, x, y, T)
                if hypot(fgx, fgy) < tol:
                    status[r], taken[r] = CONVERGED, t
                    if not record:
                        F[r] = full(model, scale, l2, mm, DX, DY, x, y, T, False)[0]
                    break
            if t == stop:
                if t == last:
                    status[r], taken[r] = MAX_STEPS, t
                    if not record:
                        F[r] = full(model, scale, l2, mm, DX, DY, x, y, T, False)[0]
                break
            if stored:
                cost, gx, gy = batch(model, scale, l2, DX, DY, empty, 0, m, x, y, T)
            else:
                epoch = t // per_epoch
                lo = (t - epoch * per_epoch) * bs
                cost, gx, gy = batch(model, scale, l2, DX, DY, orders[epoch - e0], lo, min(bs, m - lo), x, y, T)
            if clipping:
                gx, gy = rules.clip(gx, gy, clip_value, clip_norm, nbmath)
            lr = lrs[r - r0 if lr_row else 0, t if lr_col else 0]
            if cycled:
                HT[0, r] = moms[t]
                h = hyper(HT, r)
            c1, c2 = bias(kind, t, h)
            if kind == rules.SFREE:
                lr_max = nbmath.maximum(lr_max, lr)
                c1 = lr_max
            elif kind == rules.POLYAK:
                c1 = rules.polyak_rate(cost, gx, gy, lr, h[0], h[1], h[2], h[3])
            nx, nax, nbx, ncx, mx, ex = update(kind, gx, t, ax, bx, cx, x, lr, h, c1, c2, nbmath)
            ny, nay, nby, ncy, my, ey = update(kind, gy, t, ay, by, cy, y, lr, h, c1, c2, nbmath)
            ok = abs(nx) <= bound and abs(ny) <= bound
            f = 0.0
            if record and ok:
                f, hgx, hgy = full(model, scale, l2, mm, DX, DY, nx, ny, T, tol > 0.0)
                ok = math.isfinite(f) and math.isfinite(cost)
            if not ok:
                # at a stationary point (the gradient exactly 0) an adaptive rule with ε = 0
                # computes 0/0: the run has converged there, it has not diverged
                status[r], taken[r] = CONVERGED if gx == 0.0 and gy == 0.0 else DIVERGED, t
                if not record:
                    F[r] = full(model, scale, l2, mm, DX, DY, x, y, T, False)[0]
                break
            x, y = nx, ny
            ax, bx, cx, ay, by, cy = nax, nbx, ncx, nay, nby, ncy
            if record:
                j = t - t0
                F[r] = f
                rec[REC_X, j + 1], rec[REC_Y, j + 1], rec[REC_LOSS, j + 1] = x, y, f
                rec[REC_LR, j] = ex if kind == rules.POLYAK else lr
                rec[REC_GX, j], rec[REC_GY, j] = gx, gy
                rec[REC_MX, j], rec[REC_MY, j] = mx, my
                rec[REC_EX, j], rec[REC_EY, j] = ex, ey
                rec[REC_BATCH, j] = cost
                fgx, fgy = hgx, hgy
                known = tol > 0.0
            t += 1
        if record:
            for j in range(t - t0):
                rec[REC_GN, j] = hypot(rec[REC_GX, j], rec[REC_GY, j])
        X[r], Y[r] = x, y
        S[0, r], S[1, r], S[2, r], S[3, r], S[4, r], S[5, r] = ax, bx, cx, ay, by, cy
        LM[r] = lr_max
    return t


# --- from the runner's objects to the kernel -------------------------------------------------------

# the permutations of epochs e0..e1-1, as rows of one array (`app.engine.runner.BatchOrder`)
Permutations = Callable[[int, int], np.ndarray]
Orders = tuple[np.ndarray, int]  # permutations of epochs e0.., and e0
_NO_ORDERS = np.zeros((0, 0), dtype=np.int64)
_NO_MOMS = np.zeros(0)
_NO_REC = np.zeros((DATA_REC_ROWS, 0))
_NO_LRS = np.zeros((1, 0))


@dataclass(frozen=True)
class Data:
    """A dataset surface as the kernel takes it: its model, data, moments, bound and batches."""

    model: int
    scale: float
    l2: float
    mm: np.ndarray  # linear regression's moments (else unused)
    x: np.ndarray
    y: np.ndarray
    batch_size: int  # >= m: the whole data set
    per_epoch: int
    permutations: Permutations

    @property
    def m(self) -> int:
        return int(self.x.shape[0])

    def row_step_seconds(self, record: bool, tol: float) -> float:
        """The estimated time of one update of one row: its mini-batch, the full-data passes."""
        passes = (1 if record or tol > 0.0 else 0) if self.model == _ds.LOGISTIC else 0
        return STEP_SECONDS + SAMPLE_SECONDS * (min(self.batch_size, self.m) + passes * self.m)


def of(model: _ds.Model, batch_size: int, per_epoch: int, permutations: Permutations) -> Data:
    """The kernel's view of a model and a run's batches."""
    mm = model.moments if isinstance(model, _ds.LinearRegression) else np.zeros(5)
    d = model.data
    return Data(model.kind, model.scale, float(model.l2), mm, d.x, d.y, batch_size, per_epoch, permutations)


class DataRows:
    """Rows of one optimizer on a dataset surface, or one recording run (``record``)."""

    def __init__(
        self,
        data: Data,
        kind: int,
        H: np.ndarray,
        starts: np.ndarray,
        lr_table: Callable[[int, int], np.ndarray],
        steps: int,
        tol: float,
        bound: float,
        clip: tuple[float, float],
        record: bool = False,
    ) -> None:
        """``H``: (HYPER, rows) hyperparameters; ``lr_table(r0, r1)``: the rates of rows r0..r1-1
        (shape (1, steps), (r1 - r0, 1) or (r1 - r0, steps))."""
        self.data, self.kind, self.H = data, kind, np.ascontiguousarray(H, dtype=np.float64)
        rows = self.rows = starts.shape[0]
        self.X = np.ascontiguousarray(starts[:, 0], dtype=np.float64)
        self.Y = np.ascontiguousarray(starts[:, 1], dtype=np.float64)
        self.F = losses(data.model, data.scale, data.l2, data.mm, data.x, data.y, self.X, self.Y)
        self.S = np.empty((6, rows))
        start(kind, self.H, self.X, self.Y, self.S)
        self.LM = np.zeros(rows)  # Schedule-Free: the largest rate so far (none yet)
        self.status = np.zeros(rows, dtype=np.int8)
        self.taken = np.zeros(rows, dtype=np.int64)
        self.lr_table, self.steps, self.tol, self.bound, self.clip = lr_table, steps, tol, bound, clip
        self.record = record
        self.moms = _NO_MOMS
        self.extra = (self.LM,)  # state a re-run restores besides the points (`feedback.PlateauRun`)
        self.row_step = data.row_step_seconds(record, tol)
        self.lrs = lr_table(0, rows) if record else _NO_LRS  # a recording run's table (a plateau rewrites it)

    def cycle(self, moms: np.ndarray) -> None:
        """A cycled momentum: ``moms[t]``, the rule's first hyperparameter of update t."""
        self.moms = np.ascontiguousarray(moms, dtype=np.float64)

    def _orders(self, t0: int, stop: int) -> Orders:
        """The permutations of the epochs of updates t0..stop-1, and the first epoch's index."""
        d = self.data
        if d.batch_size >= d.m or stop <= t0:
            return _NO_ORDERS, 0
        e0, e1 = t0 // d.per_epoch, (stop - 1) // d.per_epoch + 1
        return d.permutations(e0, e1), e0

    def _call(self, lrs: np.ndarray, r0: int, r1: int, t0: int, stop: int, rec: np.ndarray, orders: Orders) -> int:
        d = self.data
        return int(
            steps(
                self.kind,
                self.H,
                d.model,
                d.scale,
                d.l2,
                d.mm,
                d.x,
                d.y,
                orders[0],
                orders[1],
                d.per_epoch,
                d.batch_size,
                lrs,
                self.moms,
                self.X,
                self.Y,
                self.F,
                self.S,
                self.LM,
                self.status,
                self.taken,
                r0,
                r1,
                t0,
                stop,
                self.steps,
                float(self.tol),
                float(self.bound),
                float(self.clip[0]),
                float(self.clip[1]),
                rec,
            )
        )

    def _span(self, rows: int, seconds: float) -> int:
        """Updates of ``rows`` rows in about ``seconds``, at most `EPOCHS_PER_CALL` epochs."""
        per_call = max(1, int(seconds / (self.row_step * max(rows, 1))))
        return max(1, min(per_call, EPOCHS_PER_CALL * self.data.per_epoch))

    def advance(self, t0: int, stop: int) -> tuple[int, np.ndarray, int]:
        """A recording run (`drive.SingleRun.advance`): steps t0..stop at most; (step reached,
        what was recorded from t0, status code)."""
        assert self.record
        t, parts = t0, []
        span = self._span(1, SLICE_SECONDS)
        while True:
            _deadline.check()
            end = min(stop, t + span)
            rec = np.empty((DATA_REC_ROWS, end - t + 1))
            self._call(self.lrs, 0, 1, t, end, rec, self._orders(t, end))
            reached = int(self.taken[0]) if self.status[0] else end
            parts.append(rec[:, : reached - t + 1])
            if self.status[0] or end == stop:
                t = reached
                break
            t = end
        whole = parts[0] if len(parts) == 1 else _join(parts)
        return t, whole, int(self.status[0])

    def advance_rows(self, t0: int, stop: int) -> None:
        """Every row from update t0 to at most ``stop``: spans of updates (`SPAN_SECONDS` of work,
        their permutations drawn here), each over parts of rows on idle threads (as
        `drive.Lanes.advance`: each row the same bits either way), in calls of `SLICE_SECONDS`."""
        span = self._span(self.rows, SPAN_SECONDS)
        t = t0
        while True:
            end = min(stop, t + span)
            part = functools.partial(self._advance_part, t0=t, stop=end, orders=self._orders(t, end))
            threads.run_rows(self.rows, 1, self.rows * max(1, end - t) * self.row_step, part)
            if end == stop or not (self.status == RUNNING).any():
                return
            t = end

    def _advance_part(
        self, a: int, b: int, d: float | None, halt: threading.Event | None, t0: int, stop: int, orders: Orders
    ) -> None:
        """Rows a..b-1 from update t0 to at most ``stop`` (one span), a group of rows per call."""
        group = max(1, int(SLICE_SECONDS / (self.row_step * max(1, stop - t0))))
        for r0 in range(a, b, group):
            _deadline.check(d)
            if halt is not None and halt.is_set():
                return
            r1 = min(b, r0 + group)
            lrs = np.ascontiguousarray(self.lr_table(r0, r1), dtype=np.float64)
            self._call(lrs, r0, r1, t0, stop, _NO_REC, orders)

    def losses_at(self, rows: np.ndarray) -> np.ndarray:
        """The full-data loss at the points of ``rows``."""
        d = self.data
        return losses(d.model, d.scale, d.l2, d.mm, d.x, d.y, self.X[rows], self.Y[rows])
