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
from dataclasses import dataclass

import numpy as np

from app.engine.kernels import jit

# opcode = index in this table; the names are those of app.engine.expression's operations
OPCODES = (
    "neg", "add", "sub", "mul", "div", "square", "pow", "sign", "abs",
    "sin", "cos", "tan", "exp", "log", "sqrt", "tanh", "sinh", "cosh", "atan",
)
NEG, ADD, SUB, MUL, DIV, SQUARE, POW, SIGN, ABS = range(9)
SIN, COS, TAN, EXP, LOG, SQRT, TANH, SINH, COSH, ATAN = range(9, 19)


@dataclass(frozen=True)
class Tape:
    """One program: ``ops[k] = (opcode, a, b)`` writes slot ``2 + len(consts) + k``; slots 0, 1
    are x, y; ``outputs`` are slot numbers."""

    ops: np.ndarray  # (n, 3) int64
    consts: np.ndarray  # float64
    outputs: np.ndarray  # int64

    @property
    def slots(self) -> int:
        return 2 + self.consts.shape[0] + self.ops.shape[0]


EMPTY = Tape(np.zeros((0, 3), dtype=np.int64), np.zeros(0), np.zeros(2, dtype=np.int64))


def from_program(program: object) -> Tape:
    """The tape of a checked program (its ops are the functions ``_op_<name>`` of
    app.engine.expression); an op outside `OPCODES` is a `KeyError`, never run."""
    codes = {name: i for i, name in enumerate(OPCODES)}
    ops = np.array(
        [(codes[fn.__name__.removeprefix("_op_")], a, b) for fn, a, b in program.ops],  # type: ignore[attr-defined]
        dtype=np.int64,
    ).reshape(-1, 3)
    outputs = np.array(program.outputs, dtype=np.int64)  # type: ignore[attr-defined]
    if outputs.shape[0] < 2:
        outputs = np.concatenate([outputs, outputs])
    return Tape(ops, np.array(program.consts, dtype=np.float64), outputs)  # type: ignore[attr-defined]


@jit
def _unary(op: int, a: float) -> float:
    if op == SIN:
        return math.sin(a)
    if op == COS:
        return math.cos(a)
    if op == TAN:
        return math.tan(a)
    if op == EXP:
        return math.exp(a)
    if op == LOG:
        return math.log(a) if a > 0.0 else (-math.inf if a == 0.0 else math.nan)
    if op == SQRT:
        return math.sqrt(a)
    if op == TANH:
        return math.tanh(a)
    if op == SINH:
        return math.sinh(a)
    if op == COSH:
        return math.cosh(a)
    return math.atan(a)  # ATAN


@jit
def run(ops: np.ndarray, consts: np.ndarray, v: np.ndarray, l0: int, l1: int, err: np.ndarray) -> None:
    """Run a tape for lanes l0..l1-1 of ``v`` (slots × lanes; x, y already in slots 0, 1).

    Each operation goes over the lanes before the next one, so the dispatch is paid once per
    operation and block, not per lane.
    """
    nc = consts.shape[0]
    for k in range(nc):
        for l in range(l0, l1):
            v[2 + k, l] = consts[k]
    base = 2 + nc
    for k in range(ops.shape[0]):
        op, ia, ib, o = ops[k, 0], ops[k, 1], ops[k, 2], base + k
        if op == ADD:
            for l in range(l0, l1):
                v[o, l] = v[ia, l] + v[ib, l]
        elif op == SUB:
            for l in range(l0, l1):
                v[o, l] = v[ia, l] - v[ib, l]
        elif op == MUL:
            for l in range(l0, l1):
                v[o, l] = v[ia, l] * v[ib, l]
        elif op == SQUARE:
            for l in range(l0, l1):
                v[o, l] = v[ia, l] * v[ia, l]
        elif op == NEG:
            for l in range(l0, l1):
                v[o, l] = -v[ia, l]
        elif op == DIV:
            for l in range(l0, l1):
                d = v[ib, l]
                if d == 0.0:  # Python: ZeroDivisionError
                    err[l] = True
                v[o, l] = v[ia, l] / d
        elif op == POW:
            for l in range(l0, l1):
                a, b = v[ia, l], v[ib, l]
                r = a**b
                if a == 0.0 and b < 0.0 and math.isfinite(b):  # ZeroDivisionError
                    err[l] = True
                elif a < 0.0 and math.isfinite(a) and math.isfinite(b) and b != math.floor(b):
                    err[l] = True  # a complex number in Python: refused
                elif math.isinf(r) and math.isfinite(a) and math.isfinite(b):
                    err[l] = True  # OverflowError
                v[o, l] = r
        elif op == ABS:
            for l in range(l0, l1):
                v[o, l] = abs(v[ia, l])
        elif op == SIGN:
            for l in range(l0, l1):
                a = v[ia, l]
                v[o, l] = 1.0 if a > 0 else (-1.0 if a < 0 else 0.0)
        else:
            for l in range(l0, l1):
                a = v[ia, l]
                r = _unary(op, a)
                # math's rule: a nan from a non-nan, or an inf from a finite number, raises
                if (math.isnan(r) and not math.isnan(a)) or (math.isinf(r) and math.isfinite(a)):
                    err[l] = True
                v[o, l] = r
