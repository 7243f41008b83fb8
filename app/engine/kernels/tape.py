"""Typed formulas as tapes: a checked `Program` (app.engine.expression) as arrays of integers,
run by one compiled interpreter. No code is generated from the formula and nothing is compiled
per formula: the interpreter is compiled once, and a tape only holds opcodes (chosen from the
fixed table `OPCODES`), slot numbers and the program's constants.

Every operation is the one CPython does on floats, with libm: the same bits as the formula on
Python floats. Where Python raises (a division by zero, a math domain error, an overflow of
``exp`` or ``**``), the interpreter marks the lane in ``err``: the runner treats it exactly as
the scalar path treats the exception (the run has diverged).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..codegen import define
from . import jit, jit_generated, jit_inline

# opcode = index in this table; the names are those of app.engine.expression's operations
OPCODES = (
    "neg",
    "add",
    "sub",
    "mul",
    "div",
    "square",
    "pow",
    "sign",
    "abs",
    "sin",
    "cos",
    "tan",
    "exp",
    "log",
    "sqrt",
    "tanh",
    "sinh",
    "cosh",
    "atan",
)
NEG, ADD, SUB, MUL, DIV, SQUARE, POW, SIGN, ABS = range(9)
LANES = 64  # lanes of a block (app.engine.kernels.loop.BLOCK)
SIN, ATAN = OPCODES.index("sin"), OPCODES.index("atan")  # the functions: SIN..ATAN


@dataclass(frozen=True)
class Tape:
    """One program: ``ops[k] = (opcode, a, b)`` writes slot ``2 + len(consts) + k``; slots 0, 1
    are x, y; ``outputs`` are slot numbers."""

    ops: np.ndarray  # (n, 3) int64
    consts: np.ndarray  # float64
    outputs: np.ndarray  # int64

    @property
    def slots(self) -> int:
        return 2 + int(self.consts.shape[0]) + int(self.ops.shape[0])


EMPTY = Tape(np.zeros((0, 3), dtype=np.int64), np.zeros(0), np.zeros(2, dtype=np.int64))


def from_program(program: object, prefix: int | None = None) -> Tape:
    """The tape of a checked program (its ops are the functions ``_op_<name>`` of
    app.engine.expression); an op outside `OPCODES` is a `KeyError`, never run. ``prefix``: the
    number of leading operations that compute the first output alone (appended to ``outputs``)."""
    codes = {name: i for i, name in enumerate(OPCODES)}
    ops = np.array(
        [(codes[fn.__name__.removeprefix("_op_")], a, b) for fn, a, b in program.ops],  # type: ignore[attr-defined]
        dtype=np.int64,
    ).reshape(-1, 3)
    outputs = np.array(program.outputs, dtype=np.int64)  # type: ignore[attr-defined]
    if outputs.shape[0] < 2:
        outputs = np.concatenate([outputs, outputs])
    if prefix is not None:
        outputs = np.concatenate([outputs, np.array([prefix], dtype=np.int64)])
    return Tape(ops, np.array(program.consts, dtype=np.float64), outputs)  # type: ignore[attr-defined]


@jit_inline
def _log(a: float) -> float:
    return math.log(a) if a > 0.0 else (-math.inf if a == 0.0 else math.nan)


# each function's loop over the lanes (the branch taken once per block), written from `OPCODES`
# (program text: the names of the math functions, never user text) and compiled without numba's
# cache (no source file); the cached `run` holds its machine code (app/engine/kernels/__init__.py)
_apply: Callable[[int, np.ndarray, np.uint64, np.uint64, np.uint64], None] = jit_generated(
    define(
        "def apply(op, v, a0, o, m):\n"
        + "".join(
            f"    {'if' if k == SIN else 'elif'} op == {k}:\n"
            f"        for l in range(m):\n"
            f"            v[o + l] = {'_log' if name == 'log' else 'math.' + name}(v[a0 + l])\n"
            for k, name in enumerate(OPCODES)
            if k >= SIN
        ),
        "apply",
        {"math": math, "_log": _log},
        "<tape functions>",
    )
)


@jit
def _unary_lanes(op: int, v: np.ndarray, a0: np.uint64, o: np.uint64, err: np.ndarray, m: np.uint64) -> None:
    """One unary function over the lanes, compiled once (not inlined into each branch of `_run`
    and each lane width). Math's rule: a nan from a non-nan, or an inf from a finite number,
    raises in Python (marked in ``err``)."""
    _apply(op, v, a0, o, m)
    for l in range(m):  # `&`, `|`, not `and`, `or`: no branches, the loop vectorizes
        a, r = v[a0 + l], v[o + l]
        err[l] = err[l] | ((r != r) & (a == a)) | ((abs(r) == math.inf) & (abs(a) < math.inf))


@jit_inline
def _run(ops: np.ndarray, consts: np.ndarray, v: np.ndarray, lanes: int, err: np.ndarray, k0: int, k1: int) -> None:
    # every index unsigned (uint64 throughout: a signed index is checked for wrap-around on each
    # access, which keeps the lane loops from vectorizing; unsigned ones need no check)
    m, width = np.uint64(lanes), np.uint64(LANES)
    nc = consts.shape[0]
    if k0 == 0:
        for k in range(nc):
            o, c = np.uint64(2 + k) * width, consts[k]
            for l in range(m):
                v[o + l] = c
    base = 2 + nc
    for k in range(k0, k1):
        op = ops[k, 0]
        a0, b0, o = np.uint64(ops[k, 1]) * width, np.uint64(ops[k, 2]) * width, np.uint64(base + k) * width
        if op == ADD:
            for l in range(m):
                v[o + l] = v[a0 + l] + v[b0 + l]
        elif op == SUB:
            for l in range(m):
                v[o + l] = v[a0 + l] - v[b0 + l]
        elif op == MUL:
            for l in range(m):
                v[o + l] = v[a0 + l] * v[b0 + l]
        elif op == SQUARE:
            for l in range(m):
                v[o + l] = v[a0 + l] * v[a0 + l]
        elif op == NEG:
            for l in range(m):
                v[o + l] = -v[a0 + l]
        elif op == DIV:
            for l in range(m):
                d = v[b0 + l]
                err[l] = err[l] | (d == 0.0)  # Python: ZeroDivisionError
                v[o + l] = v[a0 + l] / d
        elif op == POW:
            for l in range(m):
                a, b = v[a0 + l], v[b0 + l]
                r = a**b
                finite = math.isfinite(a) and math.isfinite(b)
                bad = (
                    (a == 0.0 and b < 0.0 and math.isfinite(b))  # ZeroDivisionError
                    or (
                        a < 0.0 and finite and b != np.floor(b)
                    )  # complex in Python: refused (np.floor: a float, no int overflow)
                    or (math.isinf(r) and finite)
                )  # OverflowError
                err[l] = err[l] | bad
                v[o + l] = r
        elif op == ABS:
            for l in range(m):
                v[o + l] = abs(v[a0 + l])
        elif op == SIGN:
            for l in range(m):
                a = v[a0 + l]
                v[o + l] = 1.0 if a > 0 else (-1.0 if a < 0 else 0.0)
        elif op <= ATAN:  # a function
            _unary_lanes(op, v, a0, o, err, m)


@jit
def run(ops: np.ndarray, consts: np.ndarray, v: np.ndarray, single: bool, err: np.ndarray, k0: int, k1: int) -> None:
    """Run operations k0..k1-1 of a tape for lane 0 (``single``) or all `LANES` lanes of ``v``:
    slot k of lane l is ``v[k * LANES + l]`` (x, y already in slots 0, 1; the constants are
    loaded when k0 is 0); ``err[l]`` is set where Python raises.

    Each operation goes over the lanes before the next one, so the dispatch is paid once per
    operation and block, not per lane (and the arithmetic ones vectorize).
    """
    if single:
        _run(ops, consts, v, 1, err, k0, k1)
    else:
        _run(ops, consts, v, LANES, err, k0, k1)
