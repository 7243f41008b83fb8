"""From the runner's objects to the compiled step loop, and back.

`Source` says how a surface supplies its gradient to the loop (a built-in formula by index, or
a typed formula's tapes); `SingleRun` drives one run that records every point (the trajectory
endpoints), `Lanes` many rows of one optimizer (sweeps, basin maps, races, tuning). Both call
the one kernel `app.engine.kernels.loop.steps`, in slices of work of a few milliseconds, and
check the request's deadline between slices.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from .. import deadline as _deadline
from .. import expression
from ..surfaces import ANALYTIC, Surface
from . import loop, rules, tape, threads

SLICE_SECONDS = 0.004  # work per kernel call between two deadline checks
ROW_STEP_SECONDS = 8e-9  # one row-step of a built-in surface in lanes (measured: make bench)
RUN_STEP_SECONDS = 1e-7  # one recorded step of a single run
TAPE_OP_SECONDS = 4e-9  # one tape operation per row-step (lanes), ~3x that for a single run

_BUILTIN = {sid: i for i, sid in enumerate(loop.SURFACE_IDS)}
_F64_0x2 = np.zeros((0, 2))
_NO_REC = np.zeros((loop.REC_ROWS, 0))
_NO_TABLE = np.zeros((0, 0, 2))
_NO_INDEX = np.zeros(0, dtype=np.int64)
_NO_MOMS = np.zeros(0)
TABLE_ENTRIES = 1 << 20  # bias corrections tabled per distinct hyperparameters (16 MB at most)


# the learning rates of rows r0..r1-1 (`Lanes`)
LrTable = Callable[[int, int], np.ndarray]


@dataclass(frozen=True)
class Source:
    """How a surface's gradient (and loss) reaches the loop."""

    sid: int  # built-in formula (index in loop.SURFACE_IDS), or -1: the tapes below
    grad: tape.Tape  # a typed formula's loss and gradient (the loss's operations first)
    value: tape.Tape  # its loss alone
    finite_in_bound: bool  # the loss is finite wherever |x|, |y| <= the bound: lanes need not check it
    grad_only: tape.Tape = tape.EMPTY  # its gradient alone: what lanes run where the loss is not checked

    def stepping_tape(self, check_loss: bool) -> tape.Tape:
        """The tape the loop steps with: the gradient alone where the loss is not checked."""
        return self.grad_only if self.sid < 0 and not check_loss else self.grad

    @property
    def ops(self) -> int:
        return int(self.grad.ops.shape[0] + self.value.ops.shape[0])


def source(surface: Surface) -> Source | None:
    """The compiled source of a surface's gradient; None where the loop cannot compute it (the
    dataset surfaces, whose mini-batch gradients stay on NumPy's pairwise sums)."""
    sid = _BUILTIN.get(surface.id)
    if sid is not None and surface.grad is ANALYTIC[sid].grad:
        return Source(sid, tape.EMPTY, tape.EMPTY, bool(surface.finite_in_bound))
    expr = getattr(surface.grad, "__self__", None)  # a typed formula's gradient is its Expression's method
    if not isinstance(expr, expression.Expression):
        return None
    src = _formula_source(expr)
    # the surface says its loss is finite in its bound (app.api.service, from the proof); checked
    # here too, over the bound the loop uses, so that no other surface's flag is trusted blindly
    if surface.finite_in_bound and _proven_finite(expr, float(surface.bound)):
        return dataclasses.replace(src, finite_in_bound=True)
    return src


@functools.lru_cache(maxsize=64)
def _proven_finite(expr: expression.Expression, bound: float) -> bool:
    return expression.finite_in_box(expr.tree, bound)


@functools.lru_cache(maxsize=64)
def _formula_source(expr: expression.Expression) -> Source:
    """A typed formula's tapes: its loss alone (the start's loss), one tape for the loss and the
    gradient together (shared subexpressions; the loss's operations first) and one for the
    gradient alone (lanes that skip the loss: `Source.stepping_tape`), from the checked tree, as
    `app.engine.expression` lowers it for the Python path: the same operations, the same bits.
    Not finite in its bound until proven (`source`)."""
    tree = expr.tree
    both = expression.lower((tree, expression.derivative(tree, "x"), expression.derivative(tree, "y")))
    grad = _fold_negations(tape.from_program(expr.grad_program))  # outputs ∂f/∂x, ∂f/∂y
    # the loop runs a gradient-only tape's first kv operations and loads its constants once per call,
    # the others at every step: one leading operation that nothing reads (-x), so that the
    # constants are loaded once; outputs as the loop reads them: (loss, ∂f/∂x, ∂f/∂y, kv), no loss
    base = 2 + grad.consts.shape[0]
    ops = grad.ops.copy()
    ops[:, 1:][ops[:, 1:] >= base] += 1  # every operation's slot one further
    out = grad.outputs + (grad.outputs >= base)
    grad = tape.Tape(
        np.vstack([np.array([[tape.NEG, 0, 0]], dtype=np.int64), ops]),
        grad.consts,
        np.array([out[0], out[0], out[1], 1], dtype=np.int64),
    )
    return Source(
        -1,
        tape.from_program(both, prefix=len(expr.value_program.ops)),
        tape.from_program(expr.value_program),
        False,
        grad,
    )


# a value of `_fold_negations`: ("v", i) input x/y, ("c", i) constant, ("o", j) new operation j
_Value = tuple[str, int]


def _fold_negations(t: tape.Tape) -> tape.Tape:
    """The same outputs, bit for bit, with fewer operations: negations carried as signs through
    products, quotients, squares and absolute values, and taken up by sums, differences and
    constant factors (IEEE 754: x + (-y) is x - y, (-a)·b is -(a·b) and c·(-b) is (-c)·b, exactly,
    signed zeros included; only a nan's sign bit may differ, which nothing reads)."""
    nc = t.consts.shape[0]
    base = 2 + nc
    consts = [float(c) for c in t.consts]
    ops: list[tuple[int, _Value, _Value]] = []
    keys: dict[tuple[int, _Value, _Value], _Value] = {}

    def emit(code: int, a: _Value, b: _Value) -> _Value:
        key = (code, a, b)
        got = keys.get(key)
        if got is None:
            ops.append(key)
            got = keys[key] = ("o", len(ops) - 1)
        return got

    def const(v: float) -> _Value:
        for i, c in enumerate(consts):
            if c == v and math.copysign(1.0, c) == math.copysign(1.0, v):
                return ("c", i)
        consts.append(v)
        return ("c", len(consts) - 1)

    def plain(r: tuple[_Value, bool]) -> _Value:
        s, negated = r
        return emit(tape.NEG, s, s) if negated else s

    rep: dict[int, tuple[_Value, bool]] = {0: (("v", 0), False), 1: (("v", 1), False)}
    for i in range(nc):
        rep[2 + i] = (("c", i), False)
    for k in range(t.ops.shape[0]):
        code, a, b = (int(v) for v in t.ops[k])
        (sa, na), (sb, nb) = rep[a], rep[b]
        if code == tape.NEG:
            r = (sa, not na)
        elif code == tape.ADD:
            if not na:
                r = (emit(tape.SUB if nb else tape.ADD, sa, sb), False)
            elif not nb:
                r = (emit(tape.SUB, sb, sa), False)  # (-a) + b = b + (-a) = b - a
            else:
                r = (emit(tape.SUB, plain(rep[a]), sb), False)  # (-a) + (-b) = (-a) - b
        elif code == tape.SUB:
            if not na:
                r = (emit(tape.ADD if nb else tape.SUB, sa, sb), False)
            elif nb:
                r = (emit(tape.SUB, sb, sa), False)  # (-a) - (-b) = b - a
            else:
                r = (emit(tape.SUB, plain(rep[a]), sb), False)
        elif code in (tape.MUL, tape.DIV):
            negated = na != nb
            if code == tape.MUL and sb[0] == "c" and consts[sb[1]] == -1.0:
                r = (sa, na != (not nb))  # a·(-1) = -a
            elif code == tape.MUL and sa[0] == "c" and consts[sa[1]] == -1.0:
                r = (sb, nb != (not na))
            elif negated and sa[0] == "c":
                r = (emit(code, const(-consts[sa[1]]), sb), False)
            elif negated and sb[0] == "c":
                r = (emit(code, sa, const(-consts[sb[1]])), False)
            else:
                r = (emit(code, sa, sb), negated)
        elif code in (tape.SQUARE, tape.ABS):
            r = (emit(code, sa, sa), False)
        else:
            r = (emit(code, plain(rep[a]), plain(rep[b])), False)
        rep[base + k] = r
    outs = [plain(rep[int(o)]) for o in t.outputs[:2]]

    # operations nothing reads any more (negations taken up) are dropped
    used = set(outs)
    for j in range(len(ops) - 1, -1, -1):
        if ("o", j) in used:
            used.update(ops[j][1:])
    keep = [j for j in range(len(ops)) if ("o", j) in used]
    new_index = {j: i for i, j in enumerate(keep)}

    def final(s: _Value) -> int:
        return s[1] if s[0] == "v" else 2 + s[1] if s[0] == "c" else 2 + len(consts) + new_index[s[1]]

    arr = np.array([(ops[j][0], final(ops[j][1]), final(ops[j][2])) for j in keep], dtype=np.int64).reshape(-1, 3)
    return tape.Tape(arr, np.array(consts, dtype=np.float64), np.array([final(o) for o in outs], dtype=np.int64))


def internals_present(kind: int, h: list[float]) -> tuple[bool, bool]:
    """(has a moment, has an effective rate): what the rule returns as non-nan."""
    moment, rate = loop.probe(kind, np.asarray(h, dtype=np.float64).reshape(-1, 1))
    return not math.isnan(moment), not math.isnan(rate)


@functools.lru_cache(maxsize=64)
def _bias_table(kind: int, h0: float, h1: float, steps: int) -> np.ndarray:
    """The bias corrections of every update for (β₁, β₂) = (h0, h1): shared by every run with the
    same ones (the defaults, mostly); never written after this."""
    table = np.empty((1, steps, 2))
    ht = np.zeros((rules.HYPER, 1))
    ht[0, 0], ht[1, 0] = h0, h1
    loop.bias_table(kind, ht, steps, table)
    return table


_ZERO_INDEX = np.zeros(1, dtype=np.int64)


@dataclass(frozen=True)
class Course:
    """What every row of a run's kernel follows besides its rule: the gradient noise of each update
    (None: none), the updates, the tolerance, the bound and the clipping (clip_value, clip_norm;
    0 = off)."""

    noise: np.ndarray | None
    steps: int
    tol: float
    bound: float
    clip: tuple[float, float] = (0.0, 0.0)


class _Kernel:
    """What `SingleRun` and `Lanes` share: the rows' state arrays, a cycled momentum and the call
    of the compiled loop."""

    src: Source
    kind: int
    H: np.ndarray  # the hyperparameters, one column per row
    noise: np.ndarray
    steps: int
    tol: float
    bound: float
    clip: tuple[float, float]
    X: np.ndarray  # each row's point, loss, optimizer state (6 per row), status and updates taken
    Y: np.ndarray
    F: np.ndarray
    S: np.ndarray
    status: np.ndarray
    taken: np.ndarray
    CT: np.ndarray
    CI: np.ndarray
    moms: np.ndarray = _NO_MOMS

    def _begin(self, src: Source, kind: int, course: Course, rows: int) -> None:
        """The rows' source, rule and course, and their status and updates taken (none yet)."""
        self.src, self.kind, self.clip = src, kind, course.clip
        self.noise = _F64_0x2 if course.noise is None else np.ascontiguousarray(course.noise, dtype=np.float64)
        self.steps, self.tol, self.bound = course.steps, course.tol, course.bound
        self.status = np.zeros(rows, dtype=np.int8)
        self.taken = np.zeros(rows, dtype=np.int64)
        self.CT, self.CI = _NO_TABLE, _NO_INDEX

    def cycle(self, moms: np.ndarray) -> None:
        """A cycled momentum: ``moms[t]``, the rule's first hyperparameter (β, β₁) of update t,
        set by the loop itself before each update (its bias corrections follow it: no table)."""
        self.moms = np.ascontiguousarray(moms, dtype=np.float64)
        self.CT, self.CI = _NO_TABLE, _NO_INDEX

    def _steps(self, lrs: np.ndarray, r0: int, r1: int, t0: int, stop: int, check_loss: bool, rec: np.ndarray) -> int:
        """`loop.steps` over rows r0..r1-1 from update t0 to at most ``stop``."""
        g, v = self.src.stepping_tape(check_loss), self.src.value
        return int(
            loop.steps(
                self.kind,
                self.H,
                self.src.sid,
                g.ops,
                g.consts,
                g.outputs,
                v.ops,
                v.consts,
                v.outputs,
                self.noise,
                lrs,
                self.CT,
                self.CI,
                self.moms,
                self.X,
                self.Y,
                self.F,
                self.S,
                self.status,
                self.taken,
                r0,
                r1,
                t0,
                stop,
                self.steps,
                float(self.tol),
                float(self.bound),
                check_loss,
                float(self.clip[0]),
                float(self.clip[1]),
                rec,
            )
        )


class SingleRun(_Kernel):
    """One run: every point, learning rate, gradient norm and (optionally) internals recorded."""

    def __init__(
        self,
        src: Source,
        kind: int,
        h: list[float],
        x: float,
        y: float,
        f: float,
        lrs: np.ndarray,
        course: Course,
    ) -> None:
        self._begin(src, kind, course, 1)
        self.H = np.array(h, dtype=np.float64).reshape(-1, 1)  # one column per row
        self.X, self.Y, self.F = np.array([x]), np.array([y]), np.array([f])
        self.S = np.empty((6, 1))
        loop.start(kind, self.H, self.X, self.Y, self.S)
        self.lrs = np.ascontiguousarray(lrs, dtype=np.float64).reshape(1, -1)
        steps = course.steps
        if kind in (rules.ADAM, rules.MOMENTUM) and steps <= TABLE_ENTRIES:
            self.CT, self.CI = _bias_table(kind, float(h[0]), float(h[1]), steps), _ZERO_INDEX
        per_step = RUN_STEP_SECONDS + 3 * TAPE_OP_SECONDS * src.ops
        self.slice = max(16, int(SLICE_SECONDS / per_step))

    def advance(self, t0: int, stop: int) -> tuple[int, np.ndarray, int]:
        """Steps t0..stop (at most): (step reached, what was recorded from t0, status code)."""
        t, parts = t0, []
        while True:
            _deadline.check()
            end = min(stop, t + self.slice)
            rec = np.empty((loop.REC_ROWS, end - t + 1))
            self._steps(self.lrs, 0, 1, t, end, True, rec)
            reached = int(self.taken[0]) if self.status[0] else end
            parts.append(rec[:, : reached - t + 1])
            if self.status[0] or end == stop:
                t = reached
                break
            t = end
        whole = parts[0] if len(parts) == 1 else _join(parts)
        return t, whole, int(self.status[0])


def _join(parts: list[np.ndarray]) -> np.ndarray:
    """Slices recorded one after another (each starts at the last point of the one before)."""
    out = [parts[0]]
    for p in parts[1:]:
        out[-1] = out[-1].copy()
        out[-1][loop.REC_LR :, -1] = p[loop.REC_LR :, 0]  # the per-update rows of the shared step
        out.append(p[:, 1:])
    return np.concatenate(out, axis=1)


class Lanes(_Kernel):
    """Rows of one optimizer, stepped together in blocks of `loop.BLOCK` lanes."""

    def __init__(
        self,
        src: Source,
        kind: int,
        H: Sequence[float | np.ndarray],
        starts: np.ndarray,
        lr_table: LrTable,
        course: Course,
    ) -> None:
        """``H``: the `rules.HYPER` hyperparameters, each a float or one value per row.
        ``lr_table(r0, r1)`` gives the rates of rows r0..r1-1: shape (1, steps) shared, (r1-r0, 1)
        constant per row or (r1-r0, steps)."""
        rows = self.rows = starts.shape[0]
        self._begin(src, kind, course, rows)
        steps = course.steps
        self.H = np.empty((rules.HYPER, rows))  # one row per hyperparameter, one column per row
        for k, values in enumerate(H):
            self.H[k] = values
        self.X = np.ascontiguousarray(starts[:, 0], dtype=np.float64)
        self.Y = np.ascontiguousarray(starts[:, 1], dtype=np.float64)
        self.F = np.empty(rows)
        self.err = np.zeros(rows, dtype=np.bool_)
        g = src.value
        loop.values(src.sid, g.ops, g.consts, g.outputs, self.X, self.Y, self.F, self.err)
        self.S = np.empty((6, rows))
        loop.start(kind, self.H, self.X, self.Y, self.S)
        self.lr_table = lr_table
        # the loss at every new point where it can be non-finite in the bound; and the Polyak step
        # size of a typed formula reads it (a built-in's is computed where needed)
        self.check_loss = not src.finite_in_bound or (src.sid < 0 and kind == rules.POLYAK)
        # β powers computed once per distinct (β₁, β₂) and step, not per row
        if kind in (rules.ADAM, rules.MOMENTUM):
            key = self.H[0] + 1j * self.H[1]  # the bias corrections depend on h[0], h[1] only
            distinct, index = np.unique(key, return_inverse=True)
            if distinct.shape[0] * steps <= TABLE_ENTRIES and distinct.shape[0] < rows:
                first = np.zeros(distinct.shape[0], dtype=np.int64)
                first[index[::-1]] = np.arange(rows)[::-1]  # a row of each distinct pair
                self.CT = np.empty((distinct.shape[0], steps, 2))
                loop.bias_table(kind, np.ascontiguousarray(self.H[:, first]), steps, self.CT)
                self.CI = np.ascontiguousarray(index.reshape(-1), dtype=np.int64)
        self.row_step = ROW_STEP_SECONDS + TAPE_OP_SECONDS * src.ops

    def advance(self, t0: int, stop: int) -> None:
        """Every row from step t0 to at most ``stop``, in slices of rows and steps. Rows are
        independent: large work is cut into parts of rows stepped by several threads at once
        (`threads.run_rows`; the kernel releases the GIL, each part writes its own rows only, so
        the answer is the same bits whatever the number of threads)."""
        threads.run_rows(
            self.rows,
            loop.BLOCK,
            self.rows * max(1, stop - t0) * self.row_step,
            lambda a, b, d, halt: self._advance_rows(a, b, t0, stop, d, halt),
        )
        self.final_losses()  # once every part has ended

    def _advance_rows(self, a: int, b: int, t0: int, stop: int, d: float | None, halt: threading.Event | None) -> None:
        """Rows a..b-1 from step t0 to at most ``stop``; ``d`` the deadline, ``halt`` an Event
        another part sets when it failed (None: alone)."""
        span = max(1, stop - t0)
        per_call = max(1, int(SLICE_SECONDS / self.row_step))  # row-steps per call
        group = max(loop.BLOCK, min(b - a, per_call // span // loop.BLOCK * loop.BLOCK))
        chunk = max(1, min(span, per_call // group))
        for r0 in range(a, b, group):
            r1 = min(b, r0 + group)
            lrs = np.ascontiguousarray(self.lr_table(r0, r1), dtype=np.float64)
            t = t0
            while True:
                _deadline.check(d)
                if halt is not None and halt.is_set():
                    return
                end = min(stop, t + chunk)
                self._steps(lrs, r0, r1, t, end, self.check_loss, _NO_REC)
                if end == stop or not (self.status[r0:r1] == loop.RUNNING).any():
                    break
                t = end

    def final_losses(self) -> None:
        """Each row's loss at its point, where the loop did not compute it: a typed formula proven
        finite (a built-in's comes from its formula where a row stops). From the formula's value
        tape: the same bits as the loss the loop computes where it checks it."""
        if self.src.sid < 0 and not self.check_loss:
            v = self.src.value
            loop.values(-1, v.ops, v.consts, v.outputs, self.X, self.Y, self.F, np.zeros(self.rows, dtype=np.bool_))
