"""The built-in surfaces' formulas as generated straight-line Python.

A built-in surface is one string in the formula language (`app.engine.surfaces`). Its checked tree
and derivatives are lowered to a `Program` (app.engine.expression: common subexpressions share one
slot, e.g. Rosenbrock's ``y − x²`` once for the value and both partial derivatives), and each
program becomes the source of one plain function, a line per operation:

- `python_function`: ``f(x, y, xp)`` on floats or NumPy arrays (the backend ``xp``), with the
  semantics of the typed formulas' `Program.run` (the same operations: the same bits; on floats a
  division by zero or a math domain error raises);
- `kernel_functions`: the compiled loop's dispatch over every built-in surface, ``value_at(sid, x,
  y)`` and ``grads(sid, W, m)`` (a branch per surface, its operations inlined, on libm's floats).

Only program text is turned into code: the generator takes the trees of the formulas written in
app/engine/surfaces.py, and writes nothing but slot names, ``repr`` of float constants, operators
and the names of the formula language's functions. Typed formulas never come here (they run as
tapes, app/engine/kernels/tape.py). The source is compiled with ``compile`` and each function made
with ``types.FunctionType`` from its code object.
"""

from __future__ import annotations

import math
import types
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from .expression import FUNCTIONS, Program, _op_dsqrt

_FILENAME = "<optiviz built-in surfaces>"

# op name → the expression of one line, for Python (xp: the backend) and for compiled code (libm)
_PYTHON = {
    "neg": "-{a}",
    "add": "{a} + {b}",
    "sub": "{a} - {b}",
    "mul": "{a} * {b}",
    "div": "{a} / {b}",
    "pow": "xp.pow({a}, {b})",
    "dsqrt": "_dsqrt({a}, {b}, xp)",
    "sign": "xp.sign({a})",
    **{fn: f"xp.{fn}({{a}})" for fn in FUNCTIONS},
}
_KERNEL = {
    **_PYTHON,
    "pow": "{a} ** {b}",
    "dsqrt": "0.0 if {a} == 0.0 else {b} / (2.0 * math.sqrt({a}))",
    "sign": "1.0 if {a} > 0.0 else (-1.0 if {a} < 0.0 else 0.0)",
    "abs": "abs({a})",
    **{fn: f"math.{fn}({{a}})" for fn in FUNCTIONS if fn != "abs"},
}


# a constant integer exponent written as products (torch's CPU kernel: base*base, base*base*base),
# which compiled code vectorizes; libm's pow does not. x^4 is the square of the square (as the
# hand-written surfaces wrote it), within 2 ulps of pow.
_SMALL_POWERS = (2.0, 3.0, 4.0)


def _lines(program: Program, templates: Mapping[str, str], x: str = "x", y: str = "y") -> tuple[list[str], list[str]]:
    """The program's operations as assignments ``t<k> = ...`` and the expression of each output.

    A power with a constant exponent 2, 3 or 4 becomes products, sharing the base's square with
    the program's own square of it (one ``a * a`` per base)."""
    n_fixed = 2 + len(program.consts)
    names = [x, y, *(f"({c!r})" if c < 0 or math.copysign(1.0, c) < 0 else repr(c) for c in program.consts)]
    squares: dict[str, str] = {}  # base → the name holding base * base
    lines = []

    def square(a: str) -> str:
        if a not in squares:
            squares[a] = f"s{len(names)}"
            lines.append(f"{squares[a]} = {a} * {a}")
        return squares[a]

    for fn, a, b in program.ops:
        op = fn.__name__.removeprefix("_op_")
        name = f"t{len(names)}"
        c = program.consts[b - 2] if op == "pow" and 2 <= b < n_fixed else None
        if op == "square" or c == 2.0:
            names.append(square(names[a]))
            continue
        if c in _SMALL_POWERS:
            a2 = square(names[a])
            lines.append(f"{name} = {a2} * {names[a]}" if c == 3.0 else f"{name} = {a2} * {a2}")
        else:
            lines.append(f"{name} = " + templates[op].format(a=names[a], b=names[b]))
        names.append(name)
    return lines, [names[o] for o in program.outputs]


def define(source: str, name: str, namespace: dict[str, Any], filename: str = _FILENAME) -> Callable[..., Any]:
    """The function ``name`` defined by ``source``: program text only, written by the engine from
    its own declarations (here, and the optimizers' dispatch in app/engine/kernels/dispatch.py),
    never user text; compiled with ``compile`` and made with ``types.FunctionType``."""
    module = compile(source, filename, "exec")
    code = next(c for c in module.co_consts if isinstance(c, types.CodeType) and c.co_name == name)
    fn = types.FunctionType(code, namespace, name)
    return fn


def _broadcast(v: Any, x: Any, y: Any) -> Any:
    """A constant output given the shape of the inputs (floats stay floats)."""
    if isinstance(x, float | int) and isinstance(y, float | int):
        return float(v)
    return v + 0.0 * x + 0.0 * y


def python_function(program: Program, name: str) -> Callable[[Any, Any, Any], Any]:
    """``name(x, y, xp)``: the program's one output, or the tuple of its outputs."""
    lines, outs = _lines(program, _PYTHON)
    outs = [o if o.startswith(("t", "s")) or o in ("x", "y") else f"_broadcast({o}, x, y)" for o in outs]
    result = outs[0] if len(outs) == 1 else "(" + ", ".join(outs) + ")"
    body = "".join(f"    {line}\n" for line in lines)
    source = f"def {name}(x, y, xp):\n{body}    return {result}\n"
    return define(source, name, {"_broadcast": _broadcast, "_dsqrt": _op_dsqrt})


def kernel_functions(
    values: Sequence[Program], gradients: Sequence[Program], namespace: Mapping[str, Any]
) -> tuple[Callable[..., Any], Callable[..., Any]]:
    """The compiled loop's dispatch on the built-in surface's index ``sid``, as plain functions
    (the caller compiles them): ``value_at(sid, x, y)`` (nan for an unknown sid) and ``grads(sid,
    W, m)``, which writes the gradient at the points of lanes 0..m-1 of the scratch array W (its
    row offsets ``W_X``, ``W_Y``, ``W_GX``, ``W_GY`` come from ``namespace``)."""
    value_src = ["def value_at(sid, x, y):"]
    grad_src = ["def grads(sid, W, m):"]
    for sid, (vp, gp) in enumerate(zip(values, gradients, strict=True)):
        branch = "if" if sid == 0 else "elif"
        lines, (out,) = _lines(vp, _KERNEL)
        value_src += [f"    {branch} sid == {sid}:", *(f"        {line}" for line in lines), f"        return {out}"]
        lines, (gx, gy) = _lines(gp, _KERNEL)
        grad_src += [
            f"    {branch} sid == {sid}:",
            "        for l in range(m):",
            "            x = W[W_X + l]",
            "            y = W[W_Y + l]",
            *(f"            {line}" for line in lines),
            f"            W[W_GX + l] = {gx}",
            f"            W[W_GY + l] = {gy}",
        ]
    value_src.append("    return math.nan")
    scope = {"math": math, **namespace}
    value_at = define("\n".join(value_src) + "\n", "value_at", dict(scope))
    grads = define("\n".join(grad_src) + "\n", "grads", dict(scope))
    return value_at, grads
