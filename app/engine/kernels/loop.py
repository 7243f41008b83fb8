"""The step loop, written once: one run recording every point, or a block of rows in lanes.

`steps` advances rows ``r0..r1-1`` from step ``t0`` to ``stop`` (at most), ``BLOCK`` rows at a
time: every phase of a step goes over the block's lanes before the next phase, so the lanes'
independent arithmetic overlaps instead of each row waiting on its own previous step. A single
run is a block of one lane that also records every point (``rec``).

Each step, for every running row: the gradient at the current point (the surface's own: a
built-in formula chosen by ``sid``, or a typed formula's tape when ``sid < 0``); the row stops
as converged when the gradient's norm is below ``tol`` (or, at ``stop == last``, as max_steps);
else seeded noise is added, the optimizer's rule (chosen by ``kind``) updates x and y, and the
row stops as diverged when the new point leaves the sane bound or (``check_loss``) its loss is
not finite. A stopped row keeps its last good point, its loss in ``F`` and its step count.

One kernel serves every optimizer, surface and schedule (the schedule arrives as a table of
learning rates, ``lrs``: one shared row, one row per row of the call, or one column per row for a
constant rate), so it is compiled once, at install time.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import cast

import numpy as np

from .. import codegen
from ..surfaces import ANALYTIC, builtin_programs
from . import dispatch, jit, jit_generated, jit_inline, nbmath, python_of, rules, tape
from .dispatch import bias, init, update
from .nbmath import hypot

RUNNING, CONVERGED, DIVERGED, MAX_STEPS = 0, 1, 2, 3
BLOCK = tape.LANES  # rows stepped together

# what a single run records: rows of ``rec`` (points at t = 0..steps, the rest per update)
REC_X, REC_Y, REC_LOSS, REC_LR, REC_GN, REC_GX, REC_GY, REC_MX, REC_MY, REC_EX, REC_EY = range(11)
REC_ROWS = 11

# a block's lanes: each quantity is a row of BLOCK values in one scratch array W
(
    W_X,
    W_Y,
    W_S,
    W_H,
    W_GX,
    W_GY,
    W_LR,
    W_C1,
    W_C2,
    W_NX,
    W_NY,
    W_MX,
    W_MY,
    W_EX,
    W_EY,
    W_NF,
    W_GO,
    W_HX,
    W_HY,
    W_F,
    W_ROWS,
) = (BLOCK * k for k in (0, 1, 2, 8, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30))

SURFACE_IDS = tuple(s.id for s in ANALYTIC)  # sid = index here

# A literal argument (``0``, ``False``) makes numba compile the callee again, specialized to that
# value, with every function it calls: the zero the kernels pass to `tape.run` (its first
# operation) and to the rules (the first update) is ``ZERO(0)``, typed int64 as in every other
# call, so that each is compiled once (tape.run was compiled three times, the rules twice).
ZERO = cast(Callable[[int], int], np.int64)

# The dispatch on the built-in surface's index, generated from the surfaces' formulas at import
# (app/engine/codegen.py: a branch per surface, its straight-line value or gradient inlined):
# ``value_at(sid, x, y)``, a built-in surface's value (libm: the same bits as on Python floats),
# and ``grads(sid, W, m)``, its gradient at the points of lanes 0..m-1 (one dispatch per block).
# Compiled without numba's cache (generated code has no source file to key it on); the cached
# kernels below that call them hold their machine code, and the cache's folder is named after a
# hash of the formulas and of the generator (app/engine/kernels/__init__.py, ``_SOURCES``).
_PROGRAMS = [builtin_programs(s.expression or "") for s in ANALYTIC]
_VALUE_AT, _GRADS = codegen.kernel_functions(
    [p[0] for p in _PROGRAMS], [p[1] for p in _PROGRAMS], {"W_X": W_X, "W_Y": W_Y, "W_GX": W_GX, "W_GY": W_GY}
)
value_at, grads = jit_generated(_VALUE_AT), jit_generated(_GRADS)


@jit
def values(
    sid: int,
    vops: np.ndarray,
    vconsts: np.ndarray,
    vout: np.ndarray,
    X: np.ndarray,
    Y: np.ndarray,
    F: np.ndarray,
    err: np.ndarray,
) -> None:
    """The loss at every row (tape formulas when sid < 0); ``err`` marks rows where Python raises."""
    if sid >= 0:
        for r in range(X.shape[0]):
            F[r] = value_at(sid, X[r], Y[r])
        return
    v = np.zeros((2 + vconsts.shape[0] + vops.shape[0]) * BLOCK)
    e = np.zeros(BLOCK, dtype=np.bool_)
    for b0 in range(0, X.shape[0], BLOCK):
        n = min(BLOCK, X.shape[0] - b0)
        for l in range(n):
            v[l], v[BLOCK + l], e[l] = X[b0 + l], Y[b0 + l], False
        tape.run(vops, vconsts, v, n == 1, e, ZERO(0), vops.shape[0])
        for l in range(n):
            F[b0 + l], err[b0 + l] = v[vout[0] * BLOCK + l], e[l]


@jit
def hyper(HT: np.ndarray, r: int) -> tuple[float, float, float, float, float, float]:
    """Row r's hyperparameters (HT: one row per hyperparameter, one column per row)."""
    return HT[0, r], HT[1, r], HT[2, r], HT[3, r], HT[4, r], HT[5, r]


@jit
def start(kind: int, HT: np.ndarray, X: np.ndarray, Y: np.ndarray, S: np.ndarray) -> None:
    """Each row's optimizer state before its first update: S[0:3] for x, S[3:6] for y."""
    for r in range(X.shape[0]):
        h = hyper(HT, r)
        S[0, r], S[1, r], S[2, r] = init(kind, X[r], h)
        S[3, r], S[4, r], S[5, r] = init(kind, Y[r], h)


@jit
def probe(kind: int, HT: np.ndarray) -> tuple[float, float]:
    """The internals of one update (nan where the method has no such quantity)."""
    t = ZERO(0)
    h = hyper(HT, t)
    a, b, c = init(kind, 0.0, h)
    c1, c2 = bias(kind, t, h)
    return update(kind, 1.0, t, a, b, c, 0.0, 1.0, h, c1, c2, nbmath)[4:]


@jit
def bias_table(kind: int, HT: np.ndarray, steps: int, CT: np.ndarray) -> None:
    """CT[i, t] = the bias corrections of update t for the hyperparameters of column i (`bias`,
    whose first correction depends on h[0] only and the second on h[1] only: a column sharing one
    of them with the column before copies that correction instead of computing its powers again)."""
    for i in range(HT.shape[1]):
        h = hyper(HT, i)
        same0 = i > 0 and HT[0, i] == HT[0, i - 1]
        same1 = i > 0 and HT[1, i] == HT[1, i - 1]
        for t in range(steps):
            if same0:
                CT[i, t, 0], CT[i, t, 1] = CT[i - 1, t, 0], bias(kind, t, h)[1]
            elif same1:
                CT[i, t, 0], CT[i, t, 1] = bias(kind, t, h)[0], CT[i - 1, t, 1]
            else:
                CT[i, t, 0], CT[i, t, 1] = bias(kind, t, h)


@jit
def extra(
    kind: int, sid: int, check_loss: bool, f: float, W: np.ndarray, l: int, HT: np.ndarray, r: int
) -> tuple[float, float]:
    """What lane l's update of a later optimizer takes as (c1, c2) (its lr and gradient already
    set): Schedule-Free, the largest lr so far (this update's included) and its weight lr_maxᵖ
    (computed when lr_max changes: once per lane for a constant rate); Polyak, its step size γ from
    the loss at the current point (``f``, kept in F where the loss is checked, else computed) and
    the gradient of both coordinates."""
    if kind == rules.SFREE:
        lr_max, weight = W[W_C1 + l], W[W_C2 + l]
        if W[W_LR + l] > lr_max or weight != weight:
            lr_max = max(lr_max, W[W_LR + l])
            weight = lr_max ** HT[4, r]
        return lr_max, weight
    if kind == rules.POLYAK:
        if not check_loss:
            f = value_at(sid, W[W_X + l], W[W_Y + l])
        h = hyper(HT, r)
        return rules.polyak_rate(f, W[W_GX + l], W[W_GY + l], W[W_LR + l], h[0], h[1], h[2], h[3]), 1.0
    return W[W_C1 + l], W[W_C2 + l]


@jit
def below(gx: float, gy: float, tol: float) -> bool:
    """``hypot(gx, gy) < tol``, the exact norm computed only near the threshold."""
    s, tt = gx * gx + gy * gy, tol * tol
    if 1e-290 < s < 1e290 and 1e-290 < tt < 1e290:
        if s > tt * (1.0 + 1e-9):
            return False
        if s < tt * (1.0 - 1e-9):
            return True
    return hypot(gx, gy) < tol


@jit_inline
def _tape_in(W: np.ndarray, wx: int, wy: int, v: np.ndarray, err: np.ndarray) -> None:
    """The points of every lane into a tape's x and y slots, errors cleared. Whole rows in
    separate loops (every lane; unused ones compute unused values): the copies vectorize, so the
    tape's vector loads read whole vector stores instead of stalling on lane-by-lane ones."""
    for l in range(BLOCK):
        v[l] = W[wx + l]
    for l in range(BLOCK):
        v[BLOCK + l] = W[wy + l]
    for l in range(BLOCK):
        err[l] = False


@jit_inline
def _tape_out(v_gx: np.ndarray, v_gy: np.ndarray, W: np.ndarray) -> None:
    """A tape's gradient rows into the lanes' gradients (as `_tape_in`, whole rows)."""
    for l in range(BLOCK):
        W[W_GX + l] = v_gx[l]
    for l in range(BLOCK):
        W[W_GY + l] = v_gy[l]


@jit_inline
def _lanes(kind: int, t: int, W: np.ndarray, m: int) -> None:
    """One update of lanes 0..m-1. Inlined with constant ``kind`` and ``m``, the rule's branches
    fold away and, every lane's values being rows of one scratch array at constant offsets, the
    lanes vectorize."""
    for l in range(m):
        h = (
            W[W_H + l],
            W[W_H + BLOCK + l],
            W[W_H + 2 * BLOCK + l],
            W[W_H + 3 * BLOCK + l],
            W[W_H + 4 * BLOCK + l],
            W[W_H + 5 * BLOCK + l],
        )
        lr, c1, c2 = W[W_LR + l], W[W_C1 + l], W[W_C2 + l]
        nx, W[W_S + l], W[W_S + BLOCK + l], W[W_S + 2 * BLOCK + l], mx, ex = update(
            kind,
            W[W_GX + l],
            t,
            W[W_S + l],
            W[W_S + BLOCK + l],
            W[W_S + 2 * BLOCK + l],
            W[W_X + l],
            lr,
            h,
            c1,
            c2,
            nbmath,
        )
        ny, W[W_S + 3 * BLOCK + l], W[W_S + 4 * BLOCK + l], W[W_S + 5 * BLOCK + l], my, ey = update(
            kind,
            W[W_GY + l],
            t,
            W[W_S + 3 * BLOCK + l],
            W[W_S + 4 * BLOCK + l],
            W[W_S + 5 * BLOCK + l],
            W[W_Y + l],
            lr,
            h,
            c1,
            c2,
            nbmath,
        )
        W[W_NX + l], W[W_NY + l] = nx, ny
        if m == 1:  # the internals are recorded by single runs only: rows skip their formulas
            W[W_MX + l], W[W_MY + l], W[W_EX + l], W[W_EY + l] = mx, my, ex, ey


@jit_inline
def _width(kind: int, t: int, W: np.ndarray, single: bool) -> None:
    if single:
        _lanes(kind, t, W, 1)
    else:
        _lanes(kind, t, W, BLOCK)


_lanes_any = jit(python_of(_lanes))  # the same body, compiled once with a variable kind


# Every lane of a block (one lane for a single run) takes one update; stopped lanes too, their
# results are not used. The rules the modules mark ``inline`` (`Kernel.inline`: no per-element
# branches) are inlined per kind, so their lanes vectorize; the others share one compiled copy that
# dispatches on ``kind`` per update (their rules branch per element anyway: first-step
# initialisations, signs, maxima), which keeps the loop's compile time near what it was. The chain
# over the kinds is generated from the registry (`dispatch.chain`).
updates: Callable[[int, int, np.ndarray, bool], None] = dispatch.chain(
    "updates",
    "kind, t, W, single",
    [(k, f"return _width({k:d}, t, W, single)") for k, kern in dispatch.KERNELS.items() if kern.inline],
    "return _lanes_any(kind, t, W, 1 if single else BLOCK)",
    {"_width": _width, "_lanes_any": _lanes_any, "BLOCK": BLOCK},
)


@jit
def steps(
    kind: int,
    HT: np.ndarray,
    sid: int,
    gops: np.ndarray,
    gconsts: np.ndarray,
    gout: np.ndarray,
    vops: np.ndarray,
    vconsts: np.ndarray,
    vout: np.ndarray,
    noise: np.ndarray,
    lrs: np.ndarray,
    CT: np.ndarray,
    CI: np.ndarray,
    moms: np.ndarray,
    X: np.ndarray,
    Y: np.ndarray,
    F: np.ndarray,
    S: np.ndarray,
    status: np.ndarray,
    taken: np.ndarray,
    r0: int,
    r1: int,
    t0: int,
    stop: int,
    last: int,
    tol: float,
    bound: float,
    check_loss: bool,
    clip_value: float,
    clip_norm: float,
    rec: np.ndarray,
) -> int:
    """Advance rows r0..r1-1 from step t0 to at most ``stop``; returns the step reached.

    ``rec`` (single run): column j holds the point after t0 + j updates and update t0 + j's rate,
    gradient and internals. ``clip_value``, ``clip_norm`` (0: off): the gradient is clipped after
    the noise, before the update (`rules.clip`); the recorded gradient and its norm are the
    clipped ones, the convergence test reads the true gradient. ``moms`` (empty: none): the rule's
    first hyperparameter (β, β₁) of every update, a cycled momentum: update t sets it in ``HT`` for
    every row it steps (which so holds the last one used); the bias corrections follow it.
    """
    formula = sid < 0
    kv = gout[3] if formula else 0  # the tape's first kv operations compute the loss alone
    record = rec.shape[1] > 0
    noisy = noise.shape[0] > 0
    clipping = clip_value > 0.0 or clip_norm > 0.0
    kept = noisy or clipping  # the true gradient kept apart (W_HX, W_HY) for the exact test
    tabled = CT.shape[0] > 0
    cycled = moms.shape[0] > 0
    lr_row = lrs.shape[0] > 1  # one row of rates per row of the call (r - r0)
    lr_col = lrs.shape[1] > 1  # a rate per step (else one constant rate)
    single = r1 - r0 == 1
    width = 1 if single else BLOCK
    lanes_fast = not single and not record
    tt_hi = tol * tol * (1.0 + 1e-9)
    slots = max(2 + gconsts.shape[0] + gops.shape[0], 2 + vconsts.shape[0] + vops.shape[0])
    v = np.zeros(slots * BLOCK)  # a tape's slots, BLOCK lanes each
    # the tape's outputs (loss, gradient) as rows of their own: lane loops over them index from 0
    f0, gx0, gy0 = (gout[0] * BLOCK, gout[1] * BLOCK, gout[2] * BLOCK) if formula else (0, 0, 0)
    v_loss, v_gx, v_gy = v[f0 : f0 + BLOCK], v[gx0 : gx0 + BLOCK], v[gy0 : gy0 + BLOCK]
    err = np.zeros(BLOCK, dtype=np.bool_)
    running = np.zeros(BLOCK, dtype=np.bool_)
    ci = np.zeros(BLOCK, dtype=np.int64)
    W = np.zeros(W_ROWS)  # W_ROWS is already BLOCK rows long
    if formula and not check_loss:  # a gradient-only tape: its constants (and first kv ops) once
        tape.run(gops, gconsts, v, single, err, ZERO(0), kv)
    errs = False  # can the tape mark a lane in err (a division, a power, a function)?
    for k in range(gops.shape[0]):
        errs = errs or gops[k, 0] == tape.DIV or gops[k, 0] == tape.POW or gops[k, 0] >= tape.SIN
    t = t0
    recorded = 0  # updates recorded (a single run)
    for b0 in range(r0, r1, BLOCK):
        n = min(BLOCK, r1 - b0)
        W[:] = 0.0
        W[W_C1 : W_C1 + BLOCK] = 1.0
        W[W_C2 : W_C2 + BLOCK] = 1.0
        live = 0
        have = False  # gradients of the current points known (typed formulas, from phase 4)
        running[:] = False
        for l in range(n):  # the block's rows into lanes
            r = b0 + l
            W[W_X + l], W[W_Y + l], W[W_F + l] = X[r], Y[r], F[r]
            for k in range(6):
                W[W_S + k * BLOCK + l] = S[k, r]
                W[W_H + k * BLOCK + l] = HT[k, r]
            if not lr_col:
                W[W_LR + l] = lrs[r - r0 if lr_row else 0, 0]
            ci[l] = CI[r] if tabled else 0
            running[l] = status[r] == RUNNING
            live += running[l]
            if kind == rules.SFREE:  # c1: the largest lr of the updates before t0 (0: none); c2: its weight
                W[W_C1 + l], W[W_C2 + l] = 0.0, math.nan
                if lr_col:
                    for k in range(t0):
                        W[W_C1 + l] = max(W[W_C1 + l], lrs[r - r0 if lr_row else 0, k])
        for t in range(t0, stop + 1):
            if live == 0:
                break
            # 1. the gradient at the current points
            if formula:
                if not have:  # else phase 4 of the step before computed them, with the loss
                    _tape_in(W, W_X, W_Y, v, err)
                    if check_loss:  # the loss (checked before)
                        tape.run(gops, gconsts, v, single, err, ZERO(0), kv)
                        for l in range(BLOCK):
                            err[l] = False
                    tape.run(gops, gconsts, v, single, err, kv, gops.shape[0])
                    _tape_out(v_gx, v_gy, W)
            else:
                grads(sid, W, width)
            if cycled and t < moms.shape[0]:  # the momentum of update t, before its bias corrections
                for l in range(n):
                    HT[0, b0 + l] = moms[t]
                    W[W_H + l] = moms[t]
            # 2. stop, or prepare the update (noise, rate, bias corrections)
            if lanes_fast and t != stop:  # rows: a branch-free pass; exact tests, errors only where flagged
                near = 0
                # `&` and `|`, not `and` and `or`: no branches, so the lane loops vectorize
                if errs:
                    for l in range(BLOCK):
                        near += running[l] & err[l]
                if tol > 0.0:
                    for l in range(BLOCK):
                        gx, gy = W[W_GX + l], W[W_GY + l]
                        s = gx * gx + gy * gy
                        near += running[l] & ((s < tt_hi) | (s <= 1e-290) | (s >= 1e290) | (s != s))
                for l in range(BLOCK):
                    W[W_GO + l] = 1.0 if running[l] else 0.0
                if kept:  # the true gradient, for the exact test
                    for l in range(BLOCK):
                        W[W_HX + l] = W[W_GX + l]
                    for l in range(BLOCK):
                        W[W_HY + l] = W[W_GY + l]
                if noisy:
                    nx, ny = noise[t, 0], noise[t, 1]
                    for l in range(BLOCK):
                        W[W_GX + l] = W[W_GX + l] + nx
                    for l in range(BLOCK):
                        W[W_GY + l] = W[W_GY + l] + ny
                if clipping:
                    for l in range(BLOCK):
                        W[W_GX + l], W[W_GY + l] = rules.clip(W[W_GX + l], W[W_GY + l], clip_value, clip_norm, nbmath)
                if lr_col:
                    for l in range(n):
                        W[W_LR + l] = lrs[b0 + l - r0 if lr_row else 0, t]
                if tabled:
                    for l in range(BLOCK):
                        W[W_C1 + l], W[W_C2 + l] = CT[ci[l], t, 0], CT[ci[l], t, 1]
                elif kind == rules.ADAM or kind == rules.MOMENTUM:
                    for l in range(n):
                        W[W_C1 + l], W[W_C2 + l] = bias(kind, t, hyper(HT, b0 + l))
                elif kind == rules.SFREE or kind == rules.POLYAK:
                    for l in range(n):
                        W[W_C1 + l], W[W_C2 + l] = extra(kind, sid, check_loss, W[W_F + l], W, l, HT, b0 + l)
                if near:
                    for l in range(n):
                        if W[W_GO + l] != 0.0:
                            if formula and err[l]:  # the gradient cannot be evaluated there
                                r = b0 + l
                                status[r], taken[r], running[l] = DIVERGED, t, False
                                W[W_GO + l] = 0.0
                                live -= 1
                                continue
                            gx, gy = (W[W_HX + l], W[W_HY + l]) if kept else (W[W_GX + l], W[W_GY + l])
                            if tol > 0.0 and below(gx, gy, tol):
                                r = b0 + l
                                status[r], taken[r], running[l] = CONVERGED, t, False
                                W[W_GO + l] = 0.0
                                live -= 1
                                if not check_loss:
                                    F[r] = value_at(sid, W[W_X + l], W[W_Y + l])
            else:  # single runs (recording), and every step == stop: lane by lane
                for l in range(n):
                    W[W_GO + l] = 0.0
                    if not running[l]:
                        continue
                    r = b0 + l
                    if formula and err[l]:  # the gradient cannot be evaluated there
                        status[r], taken[r], running[l] = DIVERGED, t, False
                        live -= 1
                        continue
                    gx, gy = W[W_GX + l], W[W_GY + l]
                    converged = tol > 0.0 and below(gx, gy, tol)  # hypot(gx, gy) < tol
                    if converged or t == stop:
                        if converged or t == last:
                            status[r], taken[r], running[l] = CONVERGED if converged else MAX_STEPS, t, False
                            live -= 1
                            if not check_loss:
                                F[r] = value_at(sid, W[W_X + l], W[W_Y + l])
                        continue
                    W[W_GO + l] = 1.0
                    if noisy:
                        W[W_GX + l] = gx + noise[t, 0]
                        W[W_GY + l] = gy + noise[t, 1]
                    if clipping:
                        W[W_GX + l], W[W_GY + l] = rules.clip(W[W_GX + l], W[W_GY + l], clip_value, clip_norm, nbmath)
                    if lr_col:
                        W[W_LR + l] = lrs[r - r0 if lr_row else 0, t]
                    if tabled:
                        W[W_C1 + l], W[W_C2 + l] = CT[ci[l], t, 0], CT[ci[l], t, 1]
                    elif kind == rules.ADAM or kind == rules.MOMENTUM:
                        W[W_C1 + l], W[W_C2 + l] = bias(kind, t, hyper(HT, r))
                    elif kind == rules.SFREE or kind == rules.POLYAK:
                        # the loss at the current point: rows keep it in W_F, a recording run in F
                        W[W_C1 + l], W[W_C2 + l] = extra(
                            kind, sid, check_loss, F[r] if record else W[W_F + l], W, l, HT, r
                        )
            if t == stop:
                break
            # 3. the update of every lane (branch-free: the lanes vectorize)
            updates(kind, t, W, single)
            # 4. the loss at the new points, where it has to be checked
            if check_loss:
                if formula:  # the loss at the new points, then their gradient (for the next step)
                    _tape_in(W, W_NX, W_NY, v, err)
                    tape.run(gops, gconsts, v, single, err, ZERO(0), kv)
                    for l in range(BLOCK):
                        W[W_NF + l] = v_loss[l] if not err[l] else math.nan
                    for l in range(BLOCK):  # from here: errors of the gradient, reported at the next step
                        err[l] = False
                    tape.run(gops, gconsts, v, single, err, kv, gops.shape[0])
                    have = True
                else:
                    for l in range(n):
                        if running[l]:
                            W[W_NF + l] = value_at(sid, W[W_NX + l], W[W_NY + l])
            # 5. accept the new points (a branch-free pass), then stop the others as diverged
            bad = 0
            for l in range(width):
                nx, ny = W[W_NX + l], W[W_NY + l]
                go = W[W_GO + l] != 0.0
                finite = (not check_loss) | (abs(W[W_NF + l]) < math.inf)  # math.isfinite, without a branch
                ok = (abs(nx) <= bound) & (abs(ny) <= bound) & go & finite
                W[W_X + l] = nx if ok else W[W_X + l]
                W[W_Y + l] = ny if ok else W[W_Y + l]
                bad += go & (not ok)
            if bad:
                for l in range(n):
                    if W[W_GO + l] == 0.0 or (W[W_X + l] == W[W_NX + l] and W[W_Y + l] == W[W_NY + l]):
                        continue
                    r = b0 + l
                    # at a stationary point (the gradient exactly 0) an adaptive rule with ε = 0
                    # computes 0/0: the run has converged there, it has not diverged
                    stationary = W[W_GX + l] == 0.0 and W[W_GY + l] == 0.0
                    status[r], taken[r], running[l] = CONVERGED if stationary else DIVERGED, t, False
                    live -= 1
                    if not check_loss:
                        F[r] = value_at(sid, W[W_X + l], W[W_Y + l])
            if check_loss and not record:  # rows: each lane's last accepted loss (a branch-free pass)
                for l in range(BLOCK):
                    W[W_F + l] = W[W_NF + l] if running[l] & (W[W_GO + l] != 0.0) else W[W_F + l]
            if record:
                for l in range(n):
                    if not running[l] or W[W_GO + l] == 0.0:
                        continue
                    F[b0 + l] = W[W_NF + l]
                    j = t - t0
                    rec[REC_X, j + 1], rec[REC_Y, j + 1], rec[REC_LOSS, j + 1] = W[W_X + l], W[W_Y + l], W[W_NF + l]
                    rec[REC_LR, j] = W[W_EX + l] if kind == rules.POLYAK else W[W_LR + l]
                    recorded = j + 1
                    rec[REC_GX, j], rec[REC_GY, j] = W[W_GX + l], W[W_GY + l]
                    rec[REC_MX, j], rec[REC_MY, j] = W[W_MX + l], W[W_MY + l]
                    rec[REC_EX, j], rec[REC_EY, j] = W[W_EX + l], W[W_EY + l]
            if formula and check_loss:  # the gradients at the accepted points (stopped lanes: unused)
                _tape_out(v_gx, v_gy, W)
        # the recorded gradients' norms, after the steps: CPython's hypot takes ~40 ns from its
        # inputs to its result, which in the step loop delayed every step; here the norms are
        # independent of each other and overlap
        for j in range(recorded):
            rec[REC_GN, j] = hypot(rec[REC_GX, j], rec[REC_GY, j])
        for l in range(n):  # lanes back into the rows
            r = b0 + l
            X[r], Y[r] = W[W_X + l], W[W_Y + l]
            if check_loss and not record:
                F[r] = W[W_F + l]
            for k in range(6):
                S[k, r] = W[W_S + k * BLOCK + l]
    return t


@jit
def update1(
    kind: int, HT: np.ndarray, g: float, t: int, a: float, b: float, c: float, theta: float, lr: float
) -> tuple[float, float, float, float, float, float]:
    """One update of one coordinate, callable from Python (`app.engine.optimizers.base`)."""
    h = hyper(HT, 0)
    c1, c2 = bias(kind, t, h)
    return update(kind, g, t, a, b, c, theta, lr, h, c1, c2, nbmath)


@jit
def update_each(
    kind: int,
    HT: np.ndarray,
    G: np.ndarray,
    t: int,
    A: np.ndarray,
    B: np.ndarray,
    C: np.ndarray,
    X: np.ndarray,
    lr: float,
) -> None:
    """`update1` on every coordinate of one vector, in place (X the parameters, A, B, C the rule's
    state, G the gradient; one hyperparameter column): a network's whole parameter vector."""
    h = hyper(HT, 0)
    c1, c2 = bias(kind, t, h)
    for i in range(G.shape[0]):
        x, a, b, c, _, _ = update(kind, G[i], t, A[i], B[i], C[i], X[i], lr, h, c1, c2, nbmath)
        X[i] = x
        A[i] = a
        B[i] = b
        C[i] = c


@jit
def init1(kind: int, HT: np.ndarray, theta: float) -> tuple[float, float, float]:
    return init(kind, theta, hyper(HT, 0))
