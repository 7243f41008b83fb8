"""Optimizers that are not element-wise: L-BFGS (torch's, with its strong-Wolfe line search) and
damped Newton (the exact 2D Hessian).

Both need the whole gradient vector (and L-BFGS evaluates the loss several times per step), so
they do not fit the compiled element-wise step loop; they run here, in plain Python over floats,
calling the surface's own value and gradient (the same functions the rest of the engine uses;
~0.3 µs per evaluation on a built-in surface, so the Python around them dominates: see
``EVAL_SECONDS`` in `app.engine.cost`).

One optiviz step is one ``optimizer.step(closure)`` call. The *closure* is what a PyTorch user
writes: it evaluates the loss and the gradient at the current parameters; the gradient gets the
step's noise draw (analytic surfaces, ``noise_std``) or is taken on the step's mini-batch
(dataset surfaces), then clipping, exactly as for the other optimizers. Every closure call of a
step sees the same draw / mini-batch (as a PyTorch closure over the current batch does).

Each closure evaluation (x, y, loss) is recorded: the trajectory answer's ``evals``
(``step``: the update it belongs to, 0-based; ``x``, ``y``; ``loss``: what the closure returned).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import deadline as _deadline
from .backend import SCALAR
from .cost import MAX_EVALUATIONS as MAX_EVALUATIONS  # re-exported: the API's limits read them here
from .cost import evaluations_bound as evaluations_bound
from .cost import lbfgs_max_eval
from .datasets import DatasetSurface
from .problem import Problem, RunConfig
from .runner import (
    CONVERGED,
    DIVERGED,
    RUNNING,
    STATE_KEYS,
    BatchOrder,
    RunEnd,
    Trajectory,
    clip_grad,
    gradient_noise,
    halt,
    record_state,
    schedule_lrs,
)

Vec = tuple[float, float]
STOPPED = "stopped"  # torch's step(closure) raised (L-BFGS: `cubic_interpolate` on a zero-length interval)
Closure = Callable[[float, float], tuple[float, float, float]]  # (x, y) -> (loss, gx, gy)


# --- torch.optim.lbfgs, ported line by line (floats for its 2-element tensors) ------------------


def _dot(a: Vec, b: Vec) -> float:
    return a[0] * b[0] + a[1] * b[1]


def _add(a: Vec, alpha: float, b: Vec) -> Vec:
    """``a.add(b, alpha=alpha)``."""
    return (a[0] + alpha * b[0], a[1] + alpha * b[1])


def _absmax(a: Vec) -> float:
    """``a.abs().max()``: NaN if either is (Python's max would keep the first)."""
    u, v = abs(a[0]), abs(a[1])
    return u + v if u != u or v != v else max(u, v)


def cubic_interpolate(
    x1: float, f1: float, g1: float, x2: float, f2: float, g2: float, bounds: tuple[float, float] | None = None
) -> float:
    """torch's ``_cubic_interpolate`` (minFunc's polyinterp): the minimiser of the cubic through
    two points with values and slopes, clamped to the bounds; their middle if it has none.

    The slopes are torch tensors there, so every quotient with them is IEEE (±inf, NaN), and so
    is the result where it comes from them: numpy float64 scalars here. The losses are Python
    floats, the step lengths either: ``(f1 − f2)/(x1 − x2)`` of two equal floats raises
    ZeroDivisionError, as in torch (the run stops there: `ClosureRun`)."""
    g1, g2 = np.float64(g1), np.float64(g2)
    if bounds is not None:
        xmin_bound, xmax_bound = bounds
    else:
        xmin_bound, xmax_bound = (x1, x2) if x1 <= x2 else (x2, x1)
    dx = x1 - x2
    # a Python number over a tensor is torch's reciprocal(tensor)·number (not one rounding but two)
    d1 = g1 + g2 - ((1.0 / dx) * (3 * (f1 - f2)) if isinstance(dx, np.float64) else 3 * (f1 - f2) / dx)
    d2_square = d1 * d1 - g1 * g2
    if d2_square >= 0:
        d2 = math.sqrt(d2_square)
        if x1 <= x2:
            min_pos = x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
        else:
            min_pos = x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2))
        return min(max(min_pos, xmin_bound), xmax_bound)
    return (xmin_bound + xmax_bound) / 2.0


def strong_wolfe(
    obj_func: Callable[[Vec, float, Vec], tuple[float, Vec]],
    x: Vec,
    t: float,
    d: Vec,
    f: float,
    g: Vec,
    gtd: float,
    c1: float = 1e-4,
    c2: float = 0.9,
    tolerance_change: float = 1e-9,
    max_ls: int = 25,
) -> tuple[float, Vec, float, int]:
    """torch's ``_strong_wolfe``: bracket a step length satisfying the strong Wolfe conditions,
    then zoom in with cubic interpolation. Returns (f_new, g_new, t, evaluations)."""
    d_norm = _absmax(d)
    f_new, g_new = obj_func(x, t, d)
    ls_func_evals = 1
    gtd_new = np.float64(_dot(g_new, d))  # a tensor in torch (as are gtd and the step lengths from it)

    t_prev, f_prev, g_prev, gtd_prev = 0.0, f, g, gtd
    done = False
    ls_iter = 0
    bracket: list[float] = []
    bracket_f: list[float] = []
    bracket_g: list[Vec] = []
    bracket_gtd: list[float] = []
    while ls_iter < max_ls:
        # torch's three tests in its order: sufficient decrease fails, the strong Wolfe condition
        # holds (done), the slope turns positive: the first and the last bracket [t_prev, t]
        wolfe = abs(gtd_new) <= -c2 * gtd
        if f_new > (f + c1 * t * gtd) or (ls_iter > 1 and f_new >= f_prev) or (not wolfe and gtd_new >= 0):
            bracket, bracket_f, bracket_g, bracket_gtd = (
                [t_prev, t],
                [f_prev, f_new],
                [g_prev, g_new],
                [gtd_prev, gtd_new],
            )
            break
        if wolfe:
            bracket, bracket_f, bracket_g = [t], [f_new], [g_new]
            done = True
            break
        min_step = t + 0.01 * (t - t_prev)
        max_step = t * 10
        tmp = t
        t = cubic_interpolate(t_prev, f_prev, gtd_prev, t, f_new, gtd_new, bounds=(min_step, max_step))
        t_prev, f_prev, g_prev, gtd_prev = tmp, f_new, g_new, gtd_new
        f_new, g_new = obj_func(x, t, d)
        ls_func_evals += 1
        gtd_new = np.float64(_dot(g_new, d))
        ls_iter += 1

    if ls_iter == max_ls:
        bracket, bracket_f, bracket_g = [0.0, t], [f, f_new], [g, g_new]

    insuf_progress = False
    low_pos, high_pos = (0, 1) if bracket_f[0] <= bracket_f[-1] else (1, 0)
    while not done and ls_iter < max_ls:
        if abs(bracket[1] - bracket[0]) * d_norm < tolerance_change:
            break
        t = cubic_interpolate(bracket[0], bracket_f[0], bracket_gtd[0], bracket[1], bracket_f[1], bracket_gtd[1])
        eps = 0.1 * (max(bracket) - min(bracket))
        if min(max(bracket) - t, t - min(bracket)) < eps:
            if insuf_progress or t >= max(bracket) or t <= min(bracket):
                t = max(bracket) - eps if abs(t - max(bracket)) < abs(t - min(bracket)) else min(bracket) + eps
                insuf_progress = False
            else:
                insuf_progress = True
        else:
            insuf_progress = False
        f_new, g_new = obj_func(x, t, d)
        ls_func_evals += 1
        gtd_new = np.float64(_dot(g_new, d))
        ls_iter += 1
        if f_new > (f + c1 * t * gtd) or f_new >= bracket_f[low_pos]:
            bracket[high_pos], bracket_f[high_pos], bracket_g[high_pos] = t, f_new, g_new
            bracket_gtd[high_pos] = gtd_new
            low_pos, high_pos = (0, 1) if bracket_f[0] <= bracket_f[1] else (1, 0)
        else:
            if abs(gtd_new) <= -c2 * gtd:
                done = True
            elif gtd_new * (bracket[high_pos] - bracket[low_pos]) >= 0:
                bracket[high_pos], bracket_f[high_pos] = bracket[low_pos], bracket_f[low_pos]
                bracket_g[high_pos], bracket_gtd[high_pos] = bracket_g[low_pos], bracket_gtd[low_pos]
            bracket[low_pos], bracket_f[low_pos], bracket_g[low_pos] = t, f_new, g_new
            bracket_gtd[low_pos] = gtd_new

    return bracket_f[low_pos], bracket_g[low_pos], float(bracket[low_pos]), ls_func_evals


@dataclass
class LbfgsState:
    """torch's ``optimizer.state`` for L-BFGS (global, kept across ``step`` calls)."""

    n_iter: int = 0
    d: Vec | None = None
    t: float | None = None
    old_dirs: list[Vec] = field(default_factory=list)
    old_stps: list[Vec] = field(default_factory=list)
    ro: list[float] = field(default_factory=list)
    H_diag: float = 1.0
    prev_flat_grad: Vec | None = None
    prev_loss: float | None = None


@dataclass
class StepInfo:
    """What one step did (the step inspector's lines and ``include_state``)."""

    loss: float  # the first closure's loss (the batch loss on dataset surfaces)
    g: Vec  # the first closure's gradient (noise, mini-batch, clipping included)
    direction: Vec = (math.nan, math.nan)  # L-BFGS: d of the last inner iteration; Newton: (H + λI)⁻¹g
    step_length: float = math.nan  # L-BFGS: t of the last inner iteration
    iterations: int = 0  # L-BFGS inner iterations
    evals: int = 0  # closure evaluations
    hessian: tuple[float, float, float] = (math.nan, math.nan, math.nan)  # Newton: (h_xx, h_xy, h_yy)
    fallback: bool = False  # Newton: H + λI not positive definite, |eigenvalues| used
    # L-BFGS: why the step ended (STOPS); "tolerance_grad" at its first evaluation and "descent"
    # (g·d > −tolerance_change) end it before it moves: Δθ = 0
    stop: str = ""


def lbfgs_step(
    state: LbfgsState,
    x: Vec,
    closure: Closure,
    lr: float,
    max_iter: int,
    max_eval: int,
    tolerance_grad: float,
    tolerance_change: float,
    history_size: int,
    line_search: bool,
) -> tuple[Vec, StepInfo]:
    """One ``torch.optim.LBFGS.step(closure)``: the parameters after it, and what it did."""
    loss, gx, gy = closure(*x)
    flat_grad: Vec = (gx, gy)
    info = StepInfo(loss=loss, g=flat_grad, evals=1)
    current_evals = 1
    if _absmax(flat_grad) <= tolerance_grad:
        info.stop = "tolerance_grad"
        return x, info

    d, t = state.d, state.t
    old_dirs, old_stps, ro = state.old_dirs, state.old_stps, state.ro
    H_diag, prev_flat_grad, prev_loss = state.H_diag, state.prev_flat_grad, state.prev_loss
    n_iter = 0
    while n_iter < max_iter:
        n_iter += 1
        state.n_iter += 1
        if state.n_iter == 1:
            d = (-flat_grad[0], -flat_grad[1])
            old_dirs, old_stps, ro = [], [], []
            H_diag = 1.0
        else:
            assert d is not None and t is not None and prev_flat_grad is not None
            y = (flat_grad[0] - prev_flat_grad[0], flat_grad[1] - prev_flat_grad[1])
            s = (d[0] * t, d[1] * t)
            ys = _dot(y, s)
            if ys > 1e-10:
                if len(old_dirs) == history_size:
                    old_dirs.pop(0)
                    old_stps.pop(0)
                    ro.pop(0)
                old_dirs.append(y)
                old_stps.append(s)
                ro.append(1.0 / ys)
                H_diag = float(ys / np.float64(_dot(y, y)))
            num_old = len(old_dirs)
            al = [0.0] * num_old
            q = (-flat_grad[0], -flat_grad[1])
            for i in range(num_old - 1, -1, -1):
                al[i] = _dot(old_stps[i], q) * ro[i]
                q = _add(q, -al[i], old_dirs[i])
            r = (q[0] * H_diag, q[1] * H_diag)
            for i in range(num_old):
                be_i = _dot(old_dirs[i], r) * ro[i]
                r = _add(r, al[i] - be_i, old_stps[i])
            d = r
        prev_flat_grad = flat_grad
        prev_loss = loss

        # torch: t is a tensor where 1/‖g‖₁ < 1 (its cubic interpolations then never raise), else a float
        t = min(1.0, 1.0 / np.float64(abs(flat_grad[0]) + abs(flat_grad[1]))) * lr if state.n_iter == 1 else lr
        gtd = np.float64(_dot(flat_grad, d))
        if gtd > -tolerance_change:
            info.stop = "descent"
            break

        ls_func_evals = 0
        if line_search:
            x_init = x

            def obj_func(x0: Vec, tt: float, dd: Vec) -> tuple[float, Vec]:
                f_, gx_, gy_ = closure(*_add(x0, float(tt), dd))
                return f_, (gx_, gy_)

            loss, flat_grad, t, ls_func_evals = strong_wolfe(
                obj_func, x_init, t, d, loss, flat_grad, gtd, max_ls=max_eval - current_evals
            )
            x = _add(x, t, d)
            opt_cond = _absmax(flat_grad) <= tolerance_grad
        else:
            t = float(t)
            x = _add(x, t, d)
            opt_cond = False
            if n_iter != max_iter:
                loss, gx, gy = closure(*x)
                flat_grad = (gx, gy)
                opt_cond = _absmax(flat_grad) <= tolerance_grad
                ls_func_evals = 1
        current_evals += ls_func_evals

        if n_iter == max_iter or current_evals >= max_eval or opt_cond:
            info.stop = "tolerance_grad" if opt_cond else "max_iter" if n_iter == max_iter else "max_eval"
            break
        if _absmax((d[0] * t, d[1] * t)) <= tolerance_change or abs(loss - prev_loss) < tolerance_change:
            info.stop = "tolerance_change"
            break

    state.d, state.t, state.old_dirs, state.old_stps, state.ro = d, t, old_dirs, old_stps, ro
    state.H_diag, state.prev_flat_grad, state.prev_loss = H_diag, prev_flat_grad, prev_loss
    info.direction = d if d is not None else info.direction
    info.step_length = float(t) if t is not None else math.nan
    info.iterations, info.evals = n_iter, current_evals
    return x, info


# --- damped Newton ------------------------------------------------------------------------------


def newton_direction(g: Vec, h: tuple[float, float, float], damping: float) -> tuple[Vec, bool]:
    """The damped Newton direction (H + λI)⁻¹g for the 2×2 symmetric H = [[a, b], [b, c]], and
    whether the fallback was used.

    Where H + λI is positive definite (a + λ > 0 and det > 0) the 2×2 system is solved in closed
    form (Cramer's rule). Where it is not (a saddle, a maximum, or λ too small to lift a negative
    curvature), the step would go uphill along the negative-curvature directions; the fallback
    replaces each eigenvalue μᵢ of H by |μᵢ| ("saddle-free Newton", Dauphin et al. 2014):
    d = Σᵢ (vᵢ·g)/(|μᵢ| + λ)·vᵢ. A direction with |μᵢ| + λ = 0 (flat, undamped) is left out (the
    pseudo-inverse): no step along it.
    """
    a, b, c = h
    gx, gy = g
    A, C = a + damping, c + damping
    det = A * C - b * b
    if A > 0.0 and det > 0.0:
        return ((C * gx - b * gy) / det, (A * gy - b * gx) / det), False
    mus, vecs = np.linalg.eigh(np.array([[a, b], [b, c]]))
    dx = dy = 0.0
    for i in range(2):
        denom = abs(float(mus[i])) + damping
        if denom == 0.0 or not math.isfinite(denom):
            continue
        vx, vy = float(vecs[0, i]), float(vecs[1, i])
        coef = (vx * gx + vy * gy) / denom
        dx += coef * vx
        dy += coef * vy
    return (dx, dy), True


def newton_step(
    x: Vec, closure: Closure, hessian: Callable[[float, float], tuple[float, float, float]], lr: float, damping: float
) -> tuple[Vec, StepInfo]:
    """θ ← θ − lr·(H + λI)⁻¹g (fallback: `newton_direction`)."""
    loss, gx, gy = closure(*x)
    h = hessian(*x)
    d, fallback = newton_direction((gx, gy), h, damping)
    info = StepInfo(loss=loss, g=(gx, gy), direction=d, evals=1, hessian=h, fallback=fallback)
    return (x[0] - lr * d[0], x[1] - lr * d[1]), info


# --- the surfaces' Hessians -----------------------------------------------------------------------


def hessian_function(
    surface: Any, batch: Callable[[float, float], tuple[float, float, float]] | None = None
) -> Callable[[float, float], tuple[float, float, float]]:
    """(x, y) → (h_xx, h_xy, h_yy): exact (the formula differentiated twice, `app.engine.hessian`)
    on built-in analytic surfaces and typed formulas; on dataset surfaces, central differences of
    the step's mini-batch gradient ``batch`` (step 1e-5·max(1, |θᵢ|), symmetrised)."""
    from .hessian import NoCurvature, formula_of, hessian_functions

    try:
        fxx, fxy, fyy = hessian_functions(formula_of(surface))
    except NoCurvature:
        fxx = None
    if fxx is not None:

        def exact(x: float, y: float) -> tuple[float, float, float]:
            try:
                return float(fxx(x, y, SCALAR)), float(fxy(x, y, SCALAR)), float(fyy(x, y, SCALAR))
            except (ArithmeticError, ValueError):
                return math.nan, math.nan, math.nan

        return exact
    assert batch is not None

    def finite(x: float, y: float) -> tuple[float, float, float]:
        hx, hy = 1e-5 * max(1.0, abs(x)), 1e-5 * max(1.0, abs(y))
        _, gxp, gyp = batch(x + hx, y)
        _, gxm, gym = batch(x - hx, y)
        _, gxq, gyq = batch(x, y + hy)
        _, gxn, gyn = batch(x, y - hy)
        a = (gxp - gxm) / (2 * hx)
        c = (gyq - gyn) / (2 * hy)
        b = 0.5 * ((gyp - gym) / (2 * hx) + (gxq - gxn) / (2 * hy))
        return a, b, c

    return finite


# --- one run --------------------------------------------------------------------------------------


class ClosureRun(RunEnd):
    """One run of a closure optimizer, with the interface of `app.engine.runner.ScalarRun`
    (``advance``, ``traj``, ``arrays``, ``done``, ``status``, ``steps_taken``)."""

    def __init__(self, problem: Problem, run: RunConfig) -> None:
        self.problem, self.run = problem, run
        surface = problem.surface
        self._data = surface if isinstance(surface, DatasetSurface) else None
        self.dataset = self._data is not None
        x, y = float(problem.start[0]), float(problem.start[1])
        self._x: Vec = (x, y)
        self._lrs = schedule_lrs(problem, run).tolist()
        self._noise = None if self.dataset else gradient_noise(problem, run)
        self._batches = (
            BatchOrder(self._data.model.data.m, run.batch_size or self._data.model.data.m, problem.seed)
            if self._data is not None
            else None
        )
        self._traj = Trajectory(x=[x], y=[y], loss=[float(surface.value(x, y, SCALAR))])
        self._traj.status = RUNNING
        # L-BFGS evaluates the loss several times per step: those points are drawn; Newton once, at θₜ
        self._traj.evals = {"step": [], "x": [], "y": [], "loss": []} if run.optimizer.id == "lbfgs" else None
        if self.dataset:
            self._traj.batch_loss = []
        if problem.include_state:  # no effective rates
            self._traj.state = {k: None if k in ("eff_lr_x", "eff_lr_y") else [] for k in STATE_KEYS}
        self.kind = run.optimizer.id
        p = run.params
        self._lbfgs = LbfgsState() if self.kind == "lbfgs" else None
        if self._lbfgs is not None:
            self._args = (
                int(p["max_iter"]),
                lbfgs_max_eval(int(p["max_iter"]), int(p["max_eval"])),
                float(p["tolerance_grad"]),
                float(p["tolerance_change"]),
                int(p["history_size"]),
                p["line_search_fn"] == "strong_wolfe",
            )
        self._hessian: Closure | None = None
        self.t = 0
        self.infos: list[StepInfo] | None = None  # set to a list to keep every step's StepInfo

    # the closure of update t: loss and gradient as the optimizer sees them
    def _batch(self, t: int) -> Closure:
        surface = self.problem.surface
        if self._data is not None:
            assert self._batches is not None
            idx = self._batches.indices(t + self.run.clock)  # the whole run's batches (a chain's leg)
            model = self._data.model

            def batch(x: float, y: float) -> tuple[float, float, float]:
                cost, gx, gy = model.batch(x, y, idx)
                return float(cost), float(gx), float(gy)

            return batch
        value, grad = surface.value, surface.grad

        def plain(x: float, y: float) -> tuple[float, float, float]:
            try:
                f = float(value(x, y, SCALAR))
                gx, gy = grad(x, y, SCALAR)
                return f, float(gx), float(gy)
            except (ArithmeticError, ValueError):
                return math.nan, math.nan, math.nan

        return plain

    def _closure(self, t: int) -> tuple[Closure, Closure]:
        batch = self._batch(t)
        noise = None if self._noise is None else (float(self._noise[t, 0]), float(self._noise[t, 1]))
        clip = self.run.clip
        clipping = clip != (0.0, 0.0)
        ev = self._traj.evals

        def closure(x: float, y: float) -> tuple[float, float, float]:
            f, gx, gy = batch(x, y)
            if noise is not None:
                gx, gy = gx + noise[0], gy + noise[1]
            if clipping:
                gx, gy = clip_grad(gx, gy, *clip, SCALAR)
            if ev is None:
                return f, gx, gy
            ev["step"].append(t)
            ev["x"].append(x)
            ev["y"].append(y)
            ev["loss"].append(f if math.isfinite(f) else None)
            return f, gx, gy

        return closure, batch

    def advance(self, n: int) -> None:
        if self.done:
            return
        problem, surface, tr = self.problem, self.problem.surface, self._traj
        stop, last, tol, bound = min(self.t + n, problem.steps), problem.steps, problem.tolerance, surface.bound
        data = self._data
        true_grad: Callable[[float, float], tuple[Any, Any]]
        true_loss: Callable[[float, float], Any]
        if data is not None:
            true_grad, true_loss = data.model.grad, data.model.loss
        else:

            def true_grad(x: float, y: float) -> tuple[Any, Any]:
                return surface.grad(x, y, SCALAR)

            def true_loss(x: float, y: float) -> Any:
                return surface.value(x, y, SCALAR)

        due, clock = _deadline.current(), time.monotonic
        x, t = self._x, self.t
        status = RUNNING
        with np.errstate(all="ignore"):
            while True:
                if due is not None and clock() > due:
                    raise _deadline.DeadlineExceeded
                end = halt(t, stop, last, tol > 0.0 and _below(true_grad, x, tol))
                if end is not None:
                    status = end
                    break
                closure, batch = self._closure(t)
                lr = self._lrs[t]
                if self._lbfgs is not None:
                    try:
                        new, info = lbfgs_step(self._lbfgs, x, closure, lr, *self._args)
                    except ZeroDivisionError:  # where torch's step raises it too (e.g. lr = 0): the run stops
                        self._drop_evals(t)
                        status = STOPPED
                        break
                else:
                    if self._hessian is None:
                        self._hessian = hessian_function(surface, batch if self.dataset else None)
                    hess = self._hessian if not self.dataset else hessian_function(surface, batch)
                    new, info = newton_step(x, closure, hess, lr, float(self.run.params["damping"]))
                try:
                    f = float(true_loss(*new))
                except (ArithmeticError, ValueError):
                    f = math.nan
                if not (
                    abs(new[0]) <= bound and abs(new[1]) <= bound and math.isfinite(f) and math.isfinite(info.loss)
                ):
                    self._drop_evals(t)
                    status = CONVERGED if info.g == (0.0, 0.0) else DIVERGED
                    break
                if self.infos is not None:
                    self.infos.append(info)
                if tr.state is not None:  # the moment internals: the vector whose −α-multiple-like is the
                    # step, as for momentum: Newton's (H + λI)⁻¹g, L-BFGS's H̃g = −d
                    m = info.direction if self._lbfgs is None else (-info.direction[0], -info.direction[1])
                    record_state(tr.state, (info.g[0], info.g[1], m[0], m[1], math.nan, math.nan))  # no eff. rates
                x = new
                tr.add(x[0], x[1], f, lr, math.hypot(*info.g), info.loss)
                t += 1
        self._x, self.t = x, t
        if status != RUNNING:
            tr.status, tr.steps_taken = status, t

    def _drop_evals(self, t: int) -> None:
        """A failed update keeps no point, and its evaluations go with it (its arrays stay a
        finite prefix, like every run's)."""
        ev = self._traj.evals
        while ev is not None and ev["step"] and ev["step"][-1] == t:
            for key in ev:
                ev[key].pop()


def _below(grad: Callable[[float, float], tuple[Any, Any]], x: tuple[float, float], tol: float) -> bool:
    """Whether the true gradient's norm at x is below tol (not where it cannot be computed)."""
    try:
        gx, gy = grad(*x)
        return math.hypot(float(gx), float(gy)) < tol
    except (ArithmeticError, ValueError):
        return False
