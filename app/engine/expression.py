"""Custom surfaces: a whitelist parser for formulas people type, with exact gradients.

The text is parsed by Python's :mod:`ast` (``^`` read as power) and every node is checked against
a whitelist: the variables ``x`` and ``y``, numbers, ``+ - * / ** ^``, parentheses, the functions
``sin cos tan exp log sqrt abs tanh sinh cosh atan`` and the constants ``pi`` and ``e``. Anything
else is an `ExpressionError` that points at the offending part. User text is never evaluated as
code: the checked tree is turned into a small tree of our own nodes, differentiated symbolically,
and both trees are compiled into nested Python closures that call the math backend ``xp``, so
the same formula runs on floats and on NumPy arrays.

`finite_in_box` proves a formula finite wherever |x|, |y| are within a bound (interval arithmetic
over the checked tree, with a wide margin for round-off); the compiled lanes then skip its loss at
every step, as they do for a built-in surface.
"""

from __future__ import annotations

import ast
import keyword
import math
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..settings import FORMULA_LENGTH as MAX_LENGTH  # the one number: the setting may only lower it
from .explained import Explained, Term, Translate, english, english_text

MAX_DEPTH = 40
MAX_NODES = 400
MAX_TOWER = 3  # x^y^x^y: nested powers with a variable exponent
MAX_OPS = 500  # operations of the value and the gradient together (see `Expression.ops`)
MAX_LITERAL = 1e300

FUNCTIONS = ("sin", "cos", "tan", "exp", "log", "sqrt", "abs", "tanh", "sinh", "cosh", "atan")
CONSTANTS = {"pi": math.pi, "e": math.e}
VARIABLES = ("x", "y")
_VALID_NAMES = ", ".join((*VARIABLES, *CONSTANTS, *FUNCTIONS))


english(
    {
        "formula.where": "{message} at column {column}",
        "formula.where_fragment": "{message} at column {column} ('{fragment}')",
        "formula.malformed": "the formula is too deeply nested or malformed",
        "formula.syntax": "invalid syntax",
        "formula.unbalanced": "unbalanced parentheses",
        "formula.unbalanced_close": "unbalanced parentheses: ')' without '('",
        "formula.unbalanced_open": "unbalanced parentheses: a '(' is never closed",
        "formula.missing_operand": "a number or name is missing after {op}",
        "formula.implicit": "implicit multiplication is not supported: write the '*', e.g. 2*x",
        "formula.too_deep": "the formula is nested too deeply (more than {limit} levels)",
        "formula.too_many_parts": "the formula is too long (more than {limit} parts)",
        "formula.literal": "only numbers are allowed here, not {kind} literals",
        "formula.number_too_large": "number too large",
        "formula.function_name": "'{name}' is a function: write {name}(...)",
        "formula.unknown_name": "unknown name '{name}': use {names}",
        "formula.operator": "the operator '{op}' is not allowed",
        "formula.operator_use": "the operator '{op}' is not allowed: use + - * / ^",
        "formula.unknown_function": "unknown function '{name}': the functions are {functions}",
        "formula.plain_calls": "only plain function calls are allowed: the functions are {functions}",
        "formula.one_argument": "{name}() takes exactly one argument",
        "formula.not_allowed": "{what} is not allowed in a formula",
        "formula.ascii_type": "the formula may contain only ASCII characters, not '{char}' (U+{code}): "
        "type '{plain}' instead",
        "formula.ascii": "the formula may contain only ASCII characters, not '{char}' (U+{code}): "
        "use plain ASCII letters, digits and + - * / ^ ( )",
        "formula.not_string": "the formula must be a string",
        "formula.too_long": "the formula is too long: at most {limit} characters, got {given}",
        "formula.empty": "the formula is empty: write something like x^2 + 10*y^2",
        "formula.control": "the formula contains a control character",
        "formula.one_line": "the formula must be on one line",
        "formula.tower": "too many nested powers with x or y in the exponent (at most {limit}, as in x^y^x)",
        "formula.too_costly": "the formula is too costly: its value and gradient take {ops} operations, at most "
        "{limit} (fewer terms, or fewer powers with x or y in the exponent)",
    }
)


class ExpressionError(Explained):
    """A formula that is not allowed, with why (a message key and its values, see `Explained`) and
    where (0-based character offset into ``text``)."""

    def __init__(self, key: str, position: int | None = None, length: int = 1, text: str = "", **values: Any) -> None:
        self.position = position
        self.length = max(1, length)
        self.text = text
        super().__init__(key, **values)
        self.message = Explained.render(self, english_text)  # the English reason, without the place

    def render(self, translate: Translate) -> str:
        message = super().render(translate)
        if self.position is None:
            return message
        fragment = self.text[self.position : self.position + self.length]
        if len(fragment) > 40:
            fragment = fragment[:37] + "..."
        if fragment.strip():
            return translate(
                "formula.where_fragment", {"message": message, "column": self.position + 1, "fragment": fragment}
            )
        return translate("formula.where", {"message": message, "column": self.position + 1})


_NUMBER = re.compile(r"(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
_WORD = re.compile(r"[A-Za-z_]\w*")


def _is_keyword(text: str, i: int) -> bool:
    w = _WORD.match(text, i)
    return bool(w and keyword.iskeyword(w.group()))


def _implicit_product(text: str) -> int | None:
    """Position of a juxtaposition such as '2x', '2(x)', ')(' or ')x', else None."""
    i, prev, word = 0, "", ""  # prev: 'num', 'word', ')' or ''
    while i < len(text):
        ch = text[i]
        if ch.isspace():
            i += 1
            continue
        m = _NUMBER.match(text, i) if (ch.isdigit() or ch == ".") else None
        w = _WORD.match(text, i) if m is None else None
        kind = "num" if m else "word" if w else ch
        if prev in ("num", ")") and kind in ("num", "word", "("):
            return i
        if prev == "word" and kind in ("num", "word") and not (keyword.iskeyword(word) or _is_keyword(text, i)):
            return i
        prev = kind
        if w:
            word = w.group()
        found = m or w
        i = found.end() if found else i + 1
    return None


# --- our own tree ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Node:
    pass


@dataclass(frozen=True)
class Const(Node):
    value: float


@dataclass(frozen=True)
class Var(Node):
    name: str


@dataclass(frozen=True)
class Neg(Node):
    a: Node


@dataclass(frozen=True)
class Bin(Node):
    op: str  # + - * / ^
    a: Node
    b: Node


@dataclass(frozen=True)
class Call(Node):
    fn: str
    a: Node


ZERO, ONE, TWO = Const(0.0), Const(1.0), Const(2.0)


# --- parsing ------------------------------------------------------------------------------------


def _caret_to_power(text: str) -> tuple[str, list[int]]:
    """Replace ^ by ** and keep a map from positions in the new text back to the original."""
    out, back = [], []
    for i, ch in enumerate(text):
        if ch == "^":
            out.append("**")
            back += [i, i]
        else:
            out.append(ch)
            back.append(i)
    back.append(len(text))
    return "".join(out), back


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        src, back = _caret_to_power(text)
        # parenthesized so that leading spaces parse; the map shifts by the added "("
        self.src, self._back = f"({src})", [0, *back, len(text)]
        self.lines = self.src.split("\n")
        self.nodes = 0

    def pos(self, lineno: int | None, col: int | None) -> int | None:
        if lineno is None or col is None:
            return None
        # ast offsets are in UTF-8 bytes of each line
        offset = sum(len(line) + 1 for line in self.lines[: lineno - 1])
        line = self.lines[lineno - 1] if lineno - 1 < len(self.lines) else ""
        col_chars = len(line.encode("utf-8")[:col].decode("utf-8", errors="ignore"))
        i = min(offset + col_chars, len(self._back) - 1)
        return self._back[i]

    def error(self, key: str, node: ast.AST | None = None, **values: Any) -> ExpressionError:
        if node is None:
            return ExpressionError(key, text=self.text, **values)
        start = self.pos(getattr(node, "lineno", None), getattr(node, "col_offset", None))
        end = self.pos(getattr(node, "end_lineno", None), getattr(node, "end_col_offset", None))
        length = (end - start) if start is not None and end is not None and end > start else 1
        return ExpressionError(key, start, length, self.text, **values)

    def parse(self) -> Node:
        try:
            tree = ast.parse(self.src, mode="eval")
        except SyntaxError as err:
            raise self._syntax_error(err) from None
        except (RecursionError, MemoryError, ValueError):
            raise ExpressionError("formula.malformed", text=self.text) from None
        return self.convert(tree.body, 1)

    def _syntax_error(self, err: SyntaxError) -> ExpressionError:
        position = None
        if err.lineno is not None and err.offset is not None:
            position = self.pos(err.lineno, max(err.offset - 1, 0))
        key = "formula.syntax"
        if "(" in self.text and self.text.count("(") != self.text.count(")"):
            key = "formula.unbalanced"
        elif (missing := _missing_operand(self.text)) is not None:
            at, op = missing
            return ExpressionError("formula.missing_operand", at, len(op), self.text, op=op)
        elif position is not None and position < len(self.text):
            ch = self.text[position]
            before = self.text[:position].rstrip()
            if (ch.isalpha() or ch == "(") and before and (before[-1].isdigit() or before[-1] in ".)"):
                key = "formula.implicit"
        return ExpressionError(key, position, 1, self.text)

    def convert(self, node: ast.AST, depth: int) -> Node:
        self.nodes += 1
        if depth > MAX_DEPTH:
            raise self.error("formula.too_deep", node, limit=MAX_DEPTH)
        if self.nodes > MAX_NODES:
            raise self.error("formula.too_many_parts", node, limit=MAX_NODES)
        if isinstance(node, ast.Constant):
            v = node.value
            if isinstance(v, bool) or not isinstance(v, (int, float)):
                raise self.error("formula.literal", node, kind=type(v).__name__)
            if isinstance(v, int) and v.bit_length() > 1000:
                raise self.error("formula.number_too_large", node)
            f = float(v)
            if not math.isfinite(f) or abs(f) > MAX_LITERAL:
                raise self.error("formula.number_too_large", node)
            return Const(f)
        if isinstance(node, ast.Name):
            if node.id in VARIABLES:
                return Var(node.id)
            if node.id in CONSTANTS:
                return Const(CONSTANTS[node.id])
            if node.id in FUNCTIONS:
                raise self.error("formula.function_name", node, name=node.id)
            raise self.error("formula.unknown_name", node, name=node.id, names=_VALID_NAMES)
        if isinstance(node, ast.UnaryOp):
            if isinstance(node.op, ast.USub):
                return Neg(self.convert(node.operand, depth + 1))
            if isinstance(node.op, ast.UAdd):
                return self.convert(node.operand, depth + 1)
            raise self.error("formula.operator", node, op=_op_text(node.op))
        if isinstance(node, ast.BinOp):
            ops = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "^"}
            op = ops.get(type(node.op))
            if op is None:
                raise self.error("formula.operator_use", node, op=_op_text(node.op))
            # a + b + c is a left chain, not nesting: its left side keeps the depth
            chain = isinstance(node.left, ast.BinOp) and op != "^"
            return Bin(op, self.convert(node.left, depth if chain else depth + 1), self.convert(node.right, depth + 1))
        if isinstance(node, ast.Call):
            if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
                functions = ", ".join(FUNCTIONS)
                if isinstance(node.func, ast.Name):
                    raise self.error("formula.unknown_function", node.func, name=node.func.id, functions=functions)
                raise self.error("formula.plain_calls", node.func, functions=functions)
            if node.keywords or len(node.args) != 1 or isinstance(node.args[0], ast.Starred):
                raise self.error("formula.one_argument", node, name=node.func.id)
            return Call(node.func.id, self.convert(node.args[0], depth + 1))
        raise self.error("formula.not_allowed", node, what=_describe(node))


def _op_text(op: ast.AST) -> str:
    return {
        ast.FloorDiv: "//",
        ast.Mod: "%",
        ast.MatMult: "@",
        ast.BitAnd: "&",
        ast.BitOr: "|",
        ast.BitXor: "^",
        ast.LShift: "<<",
        ast.RShift: ">>",
        ast.Invert: "~",
        ast.Not: "not",
    }.get(type(op), type(op).__name__)


_SYNTAX = {  # what a formula may not hold, by the node the parser found: its name in a sentence
    ast.Attribute: ("attribute", "attribute access"),
    ast.Subscript: ("indexing", "indexing"),
    ast.Compare: ("comparison", "a comparison"),
    ast.BoolOp: ("and_or", "'and'/'or'"),
    ast.IfExp: ("if_else", "'if ... else'"),
    ast.Lambda: ("lambda", "'lambda'"),
    ast.List: ("list", "a list"),
    ast.Tuple: ("tuple", "a tuple (check the commas)"),
    ast.Dict: ("dict", "a dict"),
    ast.Set: ("set", "a set"),
    ast.JoinedStr: ("string", "a string"),
    ast.NamedExpr: ("walrus", "':='"),
    ast.Starred: ("unpacking", "'*' unpacking"),
    ast.GeneratorExp: ("generator", "a generator"),
    ast.ListComp: ("comprehension", "a comprehension"),
    ast.Await: ("await", "'await'"),
    ast.Slice: ("slice", "a slice"),
}
english({f"formula.syntax.{key}": text for key, text in _SYNTAX.values()})


def _describe(node: ast.AST) -> Term | str:
    known = _SYNTAX.get(type(node))
    return Term(f"formula.syntax.{known[0]}") if known else type(node).__name__


_BINARY_ONLY = ")*/^,"  # what cannot follow an operator: its right operand is missing


def _missing_operand(text: str) -> tuple[int, str] | None:
    """The first operator with nothing after it (``x^2 + 10*y^``, ``(x + )``), as (position,
    operator), else None. Only asked once the text failed to parse."""
    i = 0
    while i < len(text):
        op = "**" if text.startswith("**", i) else text[i] if text[i] in "+-*/^" else ""
        if op:
            rest = text[i + len(op) :].lstrip()
            if not rest or rest[0] in _BINARY_ONLY:
                return i, op
            i += len(op)
        else:
            i += 1
    return None


# --- simplifying constructors and the derivative -------------------------------------------------


def _fold(fn: Callable[[], float]) -> Node | None:
    try:
        v = fn()
    except (ArithmeticError, ValueError):
        return None
    if isinstance(v, complex) or not math.isfinite(v):
        return None
    return Const(float(v))


def _identity(a: Node, b: Node, left: Node | None, right: Node | None) -> Node | None:
    """b where a is the operator's identity on the left (``left``), a where b is it on the right."""
    if a == left:
        return b
    if b == right:
        return a
    return None


def _folded(op: str, value: Callable[[float, float], float], a: Node, b: Node) -> Node:
    """a op b, one constant where both are constants (and the result a finite number)."""
    if isinstance(a, Const) and isinstance(b, Const):
        return _fold(lambda: value(a.value, b.value)) or Bin(op, a, b)
    return Bin(op, a, b)


def add(a: Node, b: Node) -> Node:
    return _identity(a, b, ZERO, ZERO) or _folded("+", lambda u, v: u + v, a, b)


def sub(a: Node, b: Node) -> Node:
    if a == ZERO and b != ZERO:
        return neg(b)
    return _identity(a, b, None, ZERO) or _folded("-", lambda u, v: u - v, a, b)


def mul(a: Node, b: Node) -> Node:
    if ZERO in (a, b):
        return ZERO
    return _identity(a, b, ONE, ONE) or _folded("*", lambda u, v: u * v, a, b)


def div(a: Node, b: Node) -> Node:
    if a == ZERO:
        return ZERO
    return _identity(a, b, None, ONE) or Bin("/", a, b)


def power(a: Node, b: Node) -> Node:
    if b == ZERO:
        return ONE
    return _identity(a, b, None, ONE) or Bin("^", a, b)


def neg(a: Node) -> Node:
    if isinstance(a, Const):
        return Const(-a.value)
    if isinstance(a, Neg):
        return a.a
    return Neg(a)


def _has_var(n: Node) -> bool:
    if isinstance(n, Var):
        return True
    if isinstance(n, Const):
        return False
    if isinstance(n, (Neg, Call)):
        return _has_var(n.a)
    assert isinstance(n, Bin)
    return _has_var(n.a) or _has_var(n.b)


def derivative(n: Node, v: str, subgradient: bool = False) -> Node:
    """d n / d v, symbolically.

    ``subgradient`` (the built-in surfaces, never typed formulas): where the argument of a square
    root is 0 (the tip of a cone such as Ackley's), the chain rule's term through it is 0, the
    subgradient, not 0·∞ (the node ``Bin("dsqrt", u, u')``: u' / (2·√u) elsewhere)."""
    if isinstance(n, Const):
        return ZERO
    if isinstance(n, Var):
        return ONE if n.name == v else ZERO
    if isinstance(n, Neg):
        return neg(derivative(n.a, v, subgradient))
    if isinstance(n, Bin):
        da, db = derivative(n.a, v, subgradient), derivative(n.b, v, subgradient)
        if n.op == "+":
            return add(da, db)
        if n.op == "-":
            return sub(da, db)
        if n.op == "*":
            return add(mul(da, n.b), mul(n.a, db))
        if n.op == "/":
            return sub(div(da, n.b), div(mul(n.a, db), mul(n.b, n.b)))
        # power
        if not _has_var(n.b):  # u^c: c·u^(c−1)·u'
            c = n.b
            c_minus_1 = sub(c, ONE)
            return mul(mul(c, power(n.a, c_minus_1)), da)
        # u^w: u^w·(w'·log u + w·u'/u)
        return mul(n, add(mul(db, Call("log", n.a)), div(mul(n.b, da), n.a)))
    assert isinstance(n, Call)
    u, du = n.a, derivative(n.a, v, subgradient)
    if du == ZERO:
        return ZERO
    if subgradient and n.fn == "sqrt":
        return Bin("dsqrt", u, du)
    outer_of: dict[str, Callable[[], Node]] = {
        "sin": lambda: Call("cos", u),
        "cos": lambda: neg(Call("sin", u)),
        "tan": lambda: div(ONE, mul(Call("cos", u), Call("cos", u))),
        "exp": lambda: Call("exp", u),
        "log": lambda: div(ONE, u),
        "sqrt": lambda: div(ONE, mul(TWO, Call("sqrt", u))),
        "abs": lambda: Call("sign", u),
        "tanh": lambda: sub(ONE, mul(Call("tanh", u), Call("tanh", u))),
        "sinh": lambda: Call("cosh", u),
        "cosh": lambda: Call("sinh", u),
        "atan": lambda: div(ONE, add(ONE, mul(u, u))),
        # abs'' : sign' = 0 off the kink; at it (u = 0) torch's autograd also says 0 (the Hessian
        # does not exist there: `app.engine.hessian.kinks` finds those points)
        "sign": lambda: ZERO,
    }
    return mul(outer_of[n.fn](), du)


# --- display and compilation -----------------------------------------------------------------------

_PREC = {"+": 1, "-": 1, "*": 2, "/": 2, "neg": 3, "^": 4}


def display(n: Node, parent: int = 0, right: bool = False) -> str:
    if isinstance(n, Const):
        for name, value in CONSTANTS.items():
            if n.value == value:
                return name
        s = repr(n.value)
        s = s[:-2] if s.endswith(".0") else s
        return f"({s})" if n.value < 0 and parent else s
    if isinstance(n, Var):
        return n.name
    if isinstance(n, Call):
        return f"{n.fn}({display(n.a)})"
    if isinstance(n, Neg):
        s = "-" + display(n.a, _PREC["neg"])
        return f"({s})" if parent >= _PREC["neg"] else s
    assert isinstance(n, Bin)
    p = _PREC[n.op]
    if n.op == "^":  # right-associative
        s = f"{display(n.a, p + 1)}^{display(n.b, p)}"
    else:
        s = f"{display(n.a, p)} {n.op} {display(n.b, p + 1 if n.op in '-/' else p)}"
    return f"({s})" if p < parent or (p == parent and right) else s


_SUPERSCRIPT = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")
_TYPESET_NAMES = {"pi": "π"}


def _atom(n: Node) -> bool:
    """Typeset as one symbol: a juxtaposed product's right factor (x, π, x²)."""
    if isinstance(n, Bin) and n.op == "^":
        return isinstance(n.a, Var) and _small_integer(n.b)
    return isinstance(n, Var) or (isinstance(n, Const) and display(n) in CONSTANTS)


def _juxtaposable(n: Node) -> bool:
    """A product written without ·: a non-negative number, a variable, a named constant, their powers."""
    if isinstance(n, Bin) and n.op == "*":
        return _juxtaposable(n.a) and _atom(n.b)
    return _atom(n) or (isinstance(n, Const) and n.value >= 0 and "e" not in display(n))


def _small_integer(n: Node) -> bool:
    return isinstance(n, Const) and n.value in range(10)


def typeset(n: Node, parent: int = 0, right: bool = False) -> str:
    """The display text of a checked tree, as a textbook writes it: ``0.5*(x^2 + y^2)`` →
    ``0.5·(x² + y²)``, ``3*x*y^2`` → ``3xy²``, ``sqrt(x)`` → ``√x``, ``2*pi*x`` → ``2πx``, −
    for minus; the parentheses of `display`."""
    if isinstance(n, Const):
        s = display(n)
        return _TYPESET_NAMES.get(s, s.replace("-", "−"))
    if isinstance(n, Var):
        return n.name
    if isinstance(n, Call):
        inner = typeset(n.a)
        if n.fn != "sqrt":
            return f"{n.fn}({inner})"
        s = "√" + (inner if isinstance(n.a, Var | Const) else f"({inner})")
        return f"({s})" if parent >= _PREC["^"] else s
    if isinstance(n, Neg):
        s = "−" + typeset(n.a, _PREC["neg"])
        return f"({s})" if parent >= _PREC["neg"] else s
    assert isinstance(n, Bin)
    p = _PREC[n.op]
    if n.op == "^":
        base = typeset(n.a, p + 1)
        s = base + display(n.b).translate(_SUPERSCRIPT) if _small_integer(n.b) else f"{base}^{typeset(n.b, p)}"
    elif n.op == "*":
        sep = "" if _juxtaposable(n.a) and _atom(n.b) else "·"
        s = f"{typeset(n.a, p)}{sep}{typeset(n.b, p)}"
    elif n.op == "/":
        s = f"{typeset(n.a, p)}/{typeset(n.b, p + 1)}"
    else:
        s = f"{typeset(n.a, p)} {'−' if n.op == '-' else n.op} {typeset(n.b, p + 1 if n.op == '-' else p)}"
    return f"({s})" if p < parent or (p == parent and right) else s


Compiled = Callable[[Any, Any, Any], Any]


def compile_node(n: Node) -> Compiled:
    """f(x, y, xp) for one tree (see `compile_nodes`)."""
    return compile_nodes((n,))[0]


def _op_neg(a: Any, b: Any, xp: Any) -> Any:
    return -a


def _op_add(a: Any, b: Any, xp: Any) -> Any:
    return a + b


def _op_sub(a: Any, b: Any, xp: Any) -> Any:
    return a - b


def _op_mul(a: Any, b: Any, xp: Any) -> Any:
    return a * b


def _op_div(a: Any, b: Any, xp: Any) -> Any:
    return a / b


def _op_square(a: Any, b: Any, xp: Any) -> Any:
    return a * a


def _op_pow(a: Any, b: Any, xp: Any) -> Any:
    return xp.pow(a, b)


def _op_dsqrt(u: Any, du: Any, xp: Any) -> Any:
    """The chain rule through √u, with the subgradient 0 where u is 0 (see `derivative`)."""
    if isinstance(u, float) and isinstance(du, float):
        return 0.0 if u == 0.0 else du / (2.0 * xp.sqrt(u))
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(u == 0.0, 0.0, du / (2.0 * xp.sqrt(u)))


def _call_op(fn: str) -> Callable[[Any, Any, Any], Any]:
    def op(a: Any, b: Any, xp: Any) -> Any:
        return getattr(xp, fn)(a)

    op.__name__ = f"_op_{fn}"
    return op


_BIN_OPS: dict[str, Compiled] = {
    "+": _op_add,
    "-": _op_sub,
    "*": _op_mul,
    "/": _op_div,
    "^": _op_pow,
    "dsqrt": _op_dsqrt,
}
_CALL_OPS = {fn: _call_op(fn) for fn in (*FUNCTIONS, "sign")}


@dataclass(frozen=True)
class Program:
    """A straight-line program: slots 0, 1 are x, y, then the constants, then one slot per op.

    Equal subexpressions (of the formula, its derivatives and the trees of several outputs) get
    one slot, so the derivative of ``x^y^x^...`` costs a few ops per node instead of the
    exponentially many of a tree walk. The ops are the ones a tree walk would do, in an order
    where each input comes first: the same bits.
    """

    consts: tuple[float, ...]
    ops: tuple[tuple[Callable[[Any, Any, Any], Any], int, int], ...]
    outputs: tuple[int, ...]

    def run(self, x: Any, y: Any, xp: Any) -> list[Any]:
        v = [x, y, *self.consts]
        push = v.append
        for fn, a, b in self.ops:
            push(fn(v[a], v[b], xp))
        return v


def lower(roots: tuple[Node, ...]) -> Program:
    """Turn trees into one `Program` (common subexpressions shared)."""
    keys: dict[tuple[Any, ...], tuple[str, int]] = {}
    seen: dict[int, tuple[str, int]] = {}
    consts: list[float] = []
    ops: list[tuple[Any, tuple[str, int], tuple[str, int]]] = []

    def slot(key: tuple[Any, ...], make: Callable[[], tuple[str, int]]) -> tuple[str, int]:
        s = keys.get(key)
        if s is None:
            s = keys[key] = make()
        return s

    def visit(n: Node) -> tuple[str, int]:
        s = seen.get(id(n))
        if s is not None:
            return s
        if isinstance(n, Const):
            v = n.value

            def new_const(v: float = v) -> tuple[str, int]:
                consts.append(v)
                return ("c", len(consts) - 1)

            s = slot(("c", v, math.copysign(1.0, v)), new_const)
        elif isinstance(n, Var):
            s = ("v", 0 if n.name == "x" else 1)
        else:
            key: tuple[Any, ...]
            fn: Compiled
            if isinstance(n, Neg):
                a = visit(n.a)
                key, fn, b = ("neg", a), _op_neg, a
            elif isinstance(n, Call):
                a = visit(n.a)
                key, fn, b = (n.fn, a), _CALL_OPS[n.fn], a
            else:
                assert isinstance(n, Bin)
                a = visit(n.a)
                if n.op == "^" and isinstance(n.b, Const) and n.b.value == 2.0:
                    key, fn, b = ("sq", a), _op_square, a
                else:
                    b = visit(n.b)
                    key, fn = (n.op, a, b), _BIN_OPS[n.op]

            def new_op(fn: Compiled = fn, a: tuple[str, int] = a, b: tuple[str, int] = b) -> tuple[str, int]:
                ops.append((fn, a, b))
                return ("o", len(ops) - 1)

            s = slot(key, new_op)
        seen[id(n)] = s
        return s

    outs = [visit(r) for r in roots]
    base = {"v": 0, "c": 2, "o": 2 + len(consts)}

    def final(s: tuple[str, int]) -> int:
        return base[s[0]] + s[1]

    return Program(tuple(consts), tuple((fn, final(a), final(b)) for fn, a, b in ops), tuple(final(o) for o in outs))


def compile_nodes(roots: tuple[Node, ...]) -> list[Compiled]:
    """One f(x, y, xp) per root, from separate programs (the value alone is cheaper than with the
    gradient); constants broadcast to the shape of x and y."""
    out: list[Compiled] = []
    for r in roots:
        prog = lower((r,))
        i = prog.outputs[0]

        def one(x: Any, y: Any, xp: Any, prog: Program = prog, i: int = i) -> Any:
            return prog.run(x, y, xp)[i]

        out.append(one)
    return out


def _broadcast(v: Any, x: Any, y: Any) -> Any:
    """Give a constant the shape of the inputs (floats stay floats)."""
    if isinstance(x, float | int) and isinstance(y, float | int):
        return float(v)
    return v + 0.0 * x + 0.0 * y


@dataclass(frozen=True)
class Expression:
    text: str
    display: str
    tree: Node
    value_program: Program
    grad_program: Program  # outputs ∂f/∂x, ∂f/∂y (sharing their common parts)
    nodes: int = 0  # parts of the parsed formula

    @property
    def nbytes(self) -> int:
        """Memory held, estimated on the safe side (measured: 100–660 bytes per operation)."""
        return 2048 + 4 * len(self.text) + 200 * (self.ops + self.nodes)

    @property
    def ops(self) -> int:
        """Operations per evaluation of the value and the gradient: the formula's cost."""
        return len(self.value_program.ops) + len(self.grad_program.ops)

    def value(self, x: Any, y: Any, xp: Any) -> Any:
        prog = self.value_program
        return _broadcast(prog.run(x, y, xp)[prog.outputs[0]], x, y)

    def grad(self, x: Any, y: Any, xp: Any) -> tuple[Any, Any]:
        prog = self.grad_program
        v = prog.run(x, y, xp)
        return _broadcast(v[prog.outputs[0]], x, y), _broadcast(v[prog.outputs[1]], x, y)


def _non_ascii(text: str) -> ExpressionError | None:
    """Formulas are ASCII: a look-alike letter (full-width ｘ, italic 𝑥, ℯ) is refused, never read
    as something else, with the ASCII character to type when there is one."""
    i = next((i for i, ch in enumerate(text) if ord(ch) > 127), None)
    if i is None:
        return None
    ch = text[i]
    plain = unicodedata.normalize("NFKC", ch)
    code = f"{ord(ch):04X}"
    if plain.isascii() and plain.strip():
        return ExpressionError("formula.ascii_type", i, 1, text, char=ch, code=code, plain=plain)
    return ExpressionError("formula.ascii", i, 1, text, char=ch, code=code)


def check_text(text: Any) -> str:
    """The cheap checks, on the text alone (no parsing): what a validator can afford on every
    request. Returns the text; raises `ExpressionError`."""
    if not isinstance(text, str):
        raise ExpressionError("formula.not_string")
    if len(text) > MAX_LENGTH:
        raise ExpressionError("formula.too_long", limit=MAX_LENGTH, given=len(text))
    if not text.strip():
        raise ExpressionError("formula.empty")
    err = _non_ascii(text)
    if err is not None:
        raise err
    bad = next((i for i, ch in enumerate(text) if ch == "\x00" or (not ch.isprintable() and ch not in " \t\n")), None)
    if bad is not None:
        raise ExpressionError("formula.control", bad, 1, text)
    if "\n" in text.strip():
        raise ExpressionError("formula.one_line", text.index("\n", len(text) - len(text.lstrip())), 1, text)
    depth = max_depth = 0
    for i, ch in enumerate(text):  # cheap guard before the parser sees deep nesting
        if ch == "(":
            depth += 1
            max_depth = max(max_depth, depth)
            if max_depth > MAX_DEPTH:
                raise ExpressionError("formula.too_deep", i, 1, text, limit=MAX_DEPTH)
        elif ch == ")":
            depth -= 1
            if depth < 0:
                raise ExpressionError("formula.unbalanced_close", i, 1, text)
    if depth > 0:
        raise ExpressionError("formula.unbalanced_open", text.rindex("("), 1, text)
    implicit = _implicit_product(text)
    if implicit is not None:
        raise ExpressionError("formula.implicit", implicit, 1, text)
    return text


def _tower(n: Node) -> int:
    """Depth of nested powers with x or y in the exponent (x^y^x is 2)."""
    if isinstance(n, (Const, Var)):
        return 0
    if isinstance(n, (Neg, Call)):
        return _tower(n.a)
    assert isinstance(n, Bin)
    inner = max(_tower(n.a), _tower(n.b))
    return inner + 1 if n.op == "^" and _has_var(n.b) else inner


def parse_expression(text: str) -> Expression:
    """Parse, check and compile a formula in x and y; raise `ExpressionError` if not allowed."""
    text = check_text(text)
    parser = _Parser(text)
    tree = parser.parse()
    if _tower(tree) > MAX_TOWER:
        raise ExpressionError("formula.tower", text=text, limit=MAX_TOWER)
    dx, dy = derivative(tree, "x"), derivative(tree, "y")
    expr = Expression(text, display(tree), tree, lower((tree,)), lower((dx, dy)), parser.nodes)
    if expr.ops > MAX_OPS:
        raise ExpressionError("formula.too_costly", ops=expr.ops, limit=MAX_OPS)
    return expr


# --- proving a formula finite over a box ------------------------------------------------------------

FINITE_LIMIT = 1e150  # every intermediate magnitude below this: far from overflow, whatever the round-off
_REL, _ABS = 1e-9, 1e-300  # outward widening of each computed interval (round-off of the op and of libm)
_EXP_MAX = math.log(FINITE_LIMIT)  # exp, sinh, cosh of more than this could exceed the limit
_TAN_MAX = 1e20  # |tan(a)| of any finite double a (no double comes near enough to a pole for more)


class _Doubt(Exception):
    """The interval of some part could not be shown finite and inside its domain."""


Interval = tuple[float, float]


def _widen(lo: float, hi: float, nonnegative: bool = False) -> Interval:
    """The interval pushed outwards by more than an operation's round-off; ``nonnegative``: the
    operation's float result is never below 0 (a square, abs, exp, sqrt, cosh)."""
    lo, hi = lo - (abs(lo) * _REL + _ABS), hi + (abs(hi) * _REL + _ABS)
    if nonnegative:
        lo = max(lo, 0.0)
    if not (-FINITE_LIMIT < lo <= hi < FINITE_LIMIT):  # also false for nan
        raise _Doubt
    return lo, hi


def _mul(a: Interval, b: Interval) -> Interval:
    p = (a[0] * b[0], a[0] * b[1], a[1] * b[0], a[1] * b[1])
    # a product of two numbers of the same sign is never below 0 (a rounded one neither)
    same_sign = (a[0] >= 0.0 and b[0] >= 0.0) or (a[1] <= 0.0 and b[1] <= 0.0)
    return _widen(min(p), max(p), same_sign or min(p) > 0.0)


def _square(a: Interval) -> Interval:
    lo, hi = a
    if lo <= 0.0 <= hi:
        return _widen(0.0, max(lo * lo, hi * hi), True)
    return _widen(min(lo * lo, hi * hi), max(lo * lo, hi * hi), True)


def _int_power(a: Interval, c: int) -> Interval:
    """a^c for an integer c != 0 (pow with an integral float exponent: any sign of base)."""
    lo, hi = a
    if c < 0:
        if lo <= 0.0 <= hi:
            raise _Doubt  # 0 ** negative: ZeroDivisionError
        m = _int_power(a, -c)
        if m[0] <= 0.0 <= m[1]:  # a power that can underflow to 0
            raise _Doubt
        return _widen(min(1.0 / m[0], 1.0 / m[1]), max(1.0 / m[0], 1.0 / m[1]))
    if max(abs(lo), abs(hi)) ** c >= FINITE_LIMIT:  # checked before computing (no OverflowError)
        raise _Doubt
    if c % 2 == 0:
        if lo <= 0.0 <= hi:
            return _widen(0.0, max(abs(lo), abs(hi)) ** c, True)
        return _widen(min(abs(lo), abs(hi)) ** c, max(abs(lo), abs(hi)) ** c, True)
    return _widen(lo**c, hi**c)  # odd: increasing


def _exp(a: Interval) -> Interval:
    if a[1] >= _EXP_MAX:
        raise _Doubt
    return _widen(math.exp(a[0]) if a[0] > -1e4 else 0.0, math.exp(a[1]), True)


def _log(a: Interval) -> Interval:
    if not a[0] > 1.0 / FINITE_LIMIT:  # an argument that can reach 0 (or below): log is not finite
        raise _Doubt
    return _widen(math.log(a[0]), math.log(a[1]))


def _power(n: Bin, a: Interval, b: Interval) -> Interval:
    if isinstance(n.b, Const):
        c = n.b.value
        if c == 0.0:
            return (1.0, 1.0)  # x ** 0 is 1, even at 0
        if c == 2.0:
            return _square(a)
        if c == math.floor(c) and abs(c) <= 1024:
            return _int_power(a, int(c))
        if c > 0.0:  # a fractional power: the base never below 0
            if a[0] < 0.0:
                raise _Doubt
            return _widen(a[0] ** c, a[1] ** c, True) if a[1] ** c < FINITE_LIMIT else _doubt()
        if not a[0] > 1.0 / FINITE_LIMIT:  # a negative fractional power: the base away from 0
            raise _Doubt
        return _widen(a[1] ** c, a[0] ** c, True) if a[0] ** c < FINITE_LIMIT else _doubt()
    # a variable exponent: a ** b = exp(b · log a), the base kept away from 0 and below
    return _exp(_mul(b, _log(a)))


def _doubt() -> Interval:
    raise _Doubt


def _call(fn: str, a: Interval) -> Interval:
    lo, hi = a
    if fn in ("sin", "cos"):
        if lo == hi:
            v = getattr(math, fn)(lo)
            return _widen(v, v)
        return (-1.0, 1.0)  # libm's sin and cos of a finite double are within [-1, 1]
    if fn == "tan":
        if lo > -1.5 and hi < 1.5:  # inside (-π/2, π/2): increasing
            return _widen(math.tan(lo), math.tan(hi))
        return (-_TAN_MAX, _TAN_MAX)
    if fn == "exp":
        return _exp(a)
    if fn == "log":
        return _log(a)
    if fn == "sqrt":
        if lo < 0.0:
            raise _Doubt
        return _widen(math.sqrt(lo), math.sqrt(hi), True)
    if fn == "abs":
        if lo <= 0.0 <= hi:
            return (0.0, max(-lo, hi))
        return (min(abs(lo), abs(hi)), max(abs(lo), abs(hi)))
    if fn == "tanh":
        return _widen(math.tanh(lo), math.tanh(hi))
    if fn == "atan":
        return _widen(math.atan(lo), math.atan(hi))
    if fn == "sinh":
        if max(-lo, hi) >= _EXP_MAX:
            raise _Doubt
        return _widen(math.sinh(lo), math.sinh(hi))
    if fn == "cosh":
        m = max(-lo, hi)
        if m >= _EXP_MAX:
            raise _Doubt
        least = 1.0 if lo <= 0.0 <= hi else math.cosh(min(abs(lo), abs(hi)))
        return _widen(least, math.cosh(m), True)
    raise _Doubt  # a function this proof does not know


def interval(n: Node, box: float) -> Interval:
    """An interval holding every value the formula's float evaluation (the operations of
    `lower`, with CPython's and libm's rounding) takes at every point |x|, |y| <= box, every part
    of it finite and inside its domain; raises `_Doubt` where that cannot be shown."""
    memo: dict[int, Interval] = {}

    def visit(n: Node) -> Interval:
        got = memo.get(id(n))
        if got is not None:
            return got
        if isinstance(n, Const):
            if not abs(n.value) < FINITE_LIMIT:
                raise _Doubt
            r = (n.value, n.value)
        elif isinstance(n, Var):
            r = (-box, box)
        elif isinstance(n, Neg):
            a = visit(n.a)
            r = (-a[1], -a[0])
        elif isinstance(n, Call):
            r = _call(n.fn, visit(n.a))
        else:
            assert isinstance(n, Bin)
            a = visit(n.a)
            if n.op == "^" and isinstance(n.b, Const) and n.b.value == 2.0:
                r = _square(a)  # lowered as a * a
            elif n.op == "*" and n.a == n.b:
                r = _square(a)  # the same slot twice: a * a, never below 0
            else:
                b = visit(n.b)
                # a float sum or difference is 0 only when exact (no underflow): a lower end
                # computed >= 0 is one, and so is every result
                if n.op == "+":
                    r = _widen(a[0] + b[0], a[1] + b[1], a[0] + b[0] >= 0.0)
                elif n.op == "-":
                    r = _widen(a[0] - b[1], a[1] - b[0], a[0] - b[1] >= 0.0)
                elif n.op == "*":
                    r = _mul(a, b)
                elif n.op == "/":
                    if not (b[0] > 0.0 or b[1] < 0.0):  # a divisor that can be 0
                        raise _Doubt
                    r = _mul(a, _widen(min(1.0 / b[0], 1.0 / b[1]), max(1.0 / b[0], 1.0 / b[1])))
                else:
                    r = _power(n, a, b)
        memo[id(n)] = r
        return r

    return visit(n)


def finite_in_box(n: Node, box: float) -> bool:
    """True only if the formula is proven finite (no division by 0, no log, sqrt or power outside
    its domain, no overflow: every part's magnitude below `FINITE_LIMIT`) at every point
    |x|, |y| <= box, as the engine computes it in float64. False where in doubt."""
    if not (math.isfinite(box) and 0.0 <= box < FINITE_LIMIT):
        return False
    try:
        interval(n, float(box))
    except (_Doubt, ArithmeticError, ValueError, RecursionError):
        return False
    return True
