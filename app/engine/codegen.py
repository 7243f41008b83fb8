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
app/engine/data/surfaces.toml, and writes nothing but slot names, ``repr`` of float constants, operators
and the names of the formula language's functions. Typed formulas never come here (they run as
tapes, app/engine/kernels/tape.py). The source is compiled with ``compile`` and each function made
with ``types.FunctionType`` from its code object.
"""

from __future__ import annotations

import math
import types
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from .expression import FUNCTIONS, ONE, Bin, Call, Const, Neg, Node, Program, Var, _op_dsqrt

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


# --- simplifying a derived gradient -----------------------------------------------------------------
#
# `derivative` keeps the rules' shapes: the product rule's two products, the constants of the chain
# rule apart (0.25·(4·x³), 10·(−sin(u)·2π)), a division by 3 as a division. `simplify` rewrites a
# built-in formula's derivative (program text, never a typed formula's) into fewer operations, equal
# to it up to float64 round-off: a sum is a linear combination of terms (a product of factors with
# its constant coefficient in front: constants folded, divisions by constants made products,
# negations folded into the coefficients, like terms collected); a product of two polynomials in
# the same one variable is expanded (the product rule's terms then collect: six-hump camel's
# 8x − 8.4x³ + 2x⁵) and written in Horner's form; a sum's terms sharing one coefficient are
# written c·(a ± b ± …). A scaled sum of several terms stays a factor unless multiplying it out
# writes fewer operations (Booth's 2a + 4b is 10x + 8y − 34; Himmelblau's 4xa + 2b stays).

Lin = dict[Node | None, float]  # term (None: the constant 1) → its coefficient


def _var_power(n: Node | None) -> tuple[str, int] | None:
    """(v, k) when the term is the variable v to the power k ≥ 1."""
    if isinstance(n, Var):
        return n.name, 1
    if isinstance(n, Bin) and n.op == "^" and isinstance(n.a, Var) and isinstance(n.b, Const):
        k = n.b.value
        if k == int(k) and k >= 1:
            return n.a.name, int(k)
    return None


def _power(v: str, k: int) -> Node:
    return Var(v) if k == 1 else Bin("^", Var(v), Const(float(k)))


def _factors(n: Node | None) -> list[tuple[Node, int]]:
    """A term as its factors (base, exponent), in order."""
    if n is None:
        return []
    if isinstance(n, Bin) and n.op == "*":
        return [*_factors(n.a), *_factors(n.b)]
    if isinstance(n, Bin) and n.op == "^" and isinstance(n.b, Const) and n.b.value == int(n.b.value) > 1:
        return [(n.a, int(n.b.value))]
    return [(n, 1)]


def _term(factors: list[tuple[Node, int]]) -> Node | None:
    merged: dict[Node, int] = {}
    for base, k in factors:
        merged[base] = merged.get(base, 0) + k
    out: Node | None = None
    for base, k in merged.items():
        f = base if k == 1 else Bin("^", base, Const(float(k)))
        out = f if out is None else Bin("*", out, f)
    return out


class _Simplifier:
    def __init__(self) -> None:
        self.sums: dict[Node, Lin] = {}  # a sum written as one term (a factor) → its terms

    def lin(self, n: Node) -> Lin:
        """The expression as a linear combination of terms."""
        if isinstance(n, Const):
            return {None: n.value} if n.value != 0.0 else {}
        if isinstance(n, Var):
            return {n: 1.0}
        if isinstance(n, Neg):
            return {k: -c for k, c in self.lin(n.a).items()}
        if isinstance(n, Call):
            return {Call(n.fn, self.node(self.lin(n.a))): 1.0}
        assert isinstance(n, Bin)
        a = self.lin(n.a)
        if n.op in "+-":
            sign = 1.0 if n.op == "+" else -1.0
            out = dict(a)
            for k, c in self.lin(n.b).items():
                out[k] = out.get(k, 0.0) + sign * c
            return self.collect(out)
        if n.op == "*":
            return self.product(a, self.lin(n.b))
        if n.op == "/" and isinstance(n.b, Const) and math.isfinite(1.0 / n.b.value if n.b.value else math.inf):
            return self.product(a, {None: 1.0 / n.b.value})
        if n.op == "^" and isinstance(n.b, Const) and n.b.value in _SMALL_POWERS:
            out = {None: 1.0}
            for _ in range(int(n.b.value)):
                out = self.product(out, a)
            return out
        if n.op == "dsqrt":  # u' / (2·√u): the coefficient of u' moves out
            coef, du = self.split(self.lin(n.b))
            return {Bin("dsqrt", self.node(a), du): coef} if du is not None else {}
        return {Bin(n.op, self.node(a), self.node(self.lin(n.b))): 1.0}

    def split(self, t: Lin) -> tuple[float, Node | None]:
        """(coefficient, term) of a linear combination as one term: a sum of several is a factor,
        the coefficient its terms share (if any) taken out."""
        if len(t) == 1:
            ((k, c),) = t.items()
            return c, k
        if not t:
            return 0.0, None
        first = next(iter(t.values()))
        if None not in t and len({abs(c) for c in t.values()}) == 1:
            return first, self.node({k: c / first for k, c in t.items()})
        return 1.0, self.node(t)

    def product(self, a: Lin, b: Lin) -> Lin:
        if not a or not b:
            return {}
        for c, t in ((a, b), (b, a)):
            if len(c) == 1 and None in c:  # a constant times a sum: c·(…), multiplied out by `collect`
                if len(t) == 1 or c[None] == -1.0:
                    return {k: c[None] * ct for k, ct in t.items()}
                return {self.node(t): c[None]}
        v = _univariate(a)
        if v is not None and v == _univariate(b):  # polynomials in one variable: multiplied out
            out: Lin = {}
            for ka, ca in a.items():
                for kb, cb in b.items():
                    k = _term([*_factors(ka), *_factors(kb)])
                    vp = _var_power(k)
                    k = _power(*vp) if vp else k
                    out[k] = out.get(k, 0.0) + ca * cb
            return self.collect(out)
        ca, ka = self.split(a)
        cb, kb = self.split(b)
        return {_term([*_factors(ka), *_factors(kb)]): ca * cb}

    def collect(self, t: Lin) -> Lin:
        """The cheaper of the sum as it is and the sum with its scaled sums multiplied out."""
        flat: Lin = {}
        for k, c in t.items():
            for k2, c2 in self.sums[k].items() if k in self.sums else ((k, 1.0),):
                flat[k2] = flat.get(k2, 0.0) + c * c2
        options = [{k: c for k, c in o.items() if c != 0.0} for o in (t, flat)]
        return min(options, key=lambda o: _cost(self.node(o)))

    def node(self, t: Lin) -> Node:
        """A linear combination as a tree: c·(…) for a coefficient all its terms share, Horner's
        form for the terms in one variable, each coefficient times its term's first factor,
        subtractions for negative coefficients (a positive term first), the constant last."""
        terms = {k: c for k, c in t.items() if k is not None}
        const = t.get(None, 0.0)
        mags = {abs(c) for c in terms.values()}
        if len(terms) > 1 and len(mags) == 1 and 1.0 not in mags:
            scale = next(iter(terms.values()))
            pieces = [(scale, self.node({k: c / scale for k, c in terms.items()}))]
        else:
            groups: dict[str, dict[int, float]] = {}
            order: list[Node | str] = []
            for k, c in terms.items():
                vp = _var_power(k)
                if vp is None:
                    order.append(k)
                    continue
                if vp[0] not in groups:
                    groups[vp[0]] = {}
                    order.append(vp[0])  # the group's place
                groups[vp[0]][vp[1]] = c
            pieces = [_horner(o, groups[o]) if isinstance(o, str) else (terms[o], o) for o in order]
            pieces.sort(key=lambda p: p[0] < 0)  # a positive term first (stable otherwise)
        out: Node | None = None
        if const > 0 and pieces and pieces[0][0] < 0:  # 1 − x, not −x + 1
            out, const = Const(const), 0.0
        for c, k in pieces:
            out = _plus(out, c, k)
        out = _plus(out, const, None) if const or out is None else out
        if len(t) > 1:
            self.sums[out] = t
        return out


def _univariate(t: Lin) -> str | None:
    """v when every term of the combination is a constant or a power of the one variable v."""
    powers = [_var_power(k) for k in t if k is not None]
    names = {vp[0] for vp in powers if vp is not None}
    return names.pop() if len(names) == 1 and None not in powers else None


def _plus(acc: Node | None, c: float, k: Node | None) -> Node:
    """acc + c·k (k None: the constant c), subtracting |c|·k for c < 0; c·k as (c·f₁)·f₂…"""
    if acc is None:
        if k is None:
            return Const(c)
        return Neg(k) if c == -1.0 else _scaled(c, k)
    if k is None:
        return Bin("+", acc, Const(c)) if c > 0 else Bin("-", acc, Const(-c))
    return Bin("+" if c > 0 else "-", acc, _scaled(abs(c), k))


def _scaled(c: float, k: Node) -> Node:
    if c == 1.0:
        return k
    if isinstance(k, Bin) and k.op == "*":
        return Bin("*", _scaled(c, k.a), k.b)
    return Bin("*", Const(c), k)


def _horner(v: str, coefs: dict[int, float]) -> tuple[float, Node]:
    """Σ cₖ·vᵏ as (coefficient, term): vᵐ·q(vᵍ), q in Horner's form."""
    m = min(coefs)
    if len(coefs) == 1:
        return coefs[m], _power(v, m)
    g = math.gcd(*(k - m for k in coefs))
    z = _power(v, g)
    acc: Node = Const(coefs[max(coefs)])
    for k in range(max(coefs) - g, m - 1, -g):
        acc = z if acc == ONE else Bin("*", acc, z)
        acc = _plus(acc, coefs[k], None) if coefs.get(k) else acc
    return 1.0, acc if m == 0 else Bin("*", _power(v, m), acc)


def _cost(n: Node) -> int:
    """Operations of a tree, each distinct subtree once (as `lower` shares them)."""
    seen: set[Node] = set()

    def walk(n: Node) -> int:
        if isinstance(n, Const | Var) or n in seen:
            return 0
        seen.add(n)
        if isinstance(n, Neg | Call):
            return 1 + walk(n.a)
        assert isinstance(n, Bin)
        own = 2 if n.op == "^" and isinstance(n.b, Const) and n.b.value in (3.0, 4.0) else 1
        return own + walk(n.a) + walk(n.b)

    return walk(n)


def simplify(n: Node) -> Node:
    """A derived expression in fewer operations, equal up to round-off (see above)."""
    s = _Simplifier()
    return s.node(s.lin(n))
