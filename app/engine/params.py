"""Typed hyperparameter specs shared by optimizers and schedules.

One `ParamSpec` table per optimizer/schedule feeds validation (API schema), the catalogue
endpoints (which the front end turns into controls) and the parametrized tests.
"""

from __future__ import annotations

import ast
import inspect
import math
import textwrap
from dataclasses import dataclass, field
from typing import Any, Literal

from .explained import ENGLISH, Explained, Term, english

english(
    {
        "param.owner": "{kind} '{id}'",
        "param.where": "{owner} parameter '{name}'",
        "param.bool": "{where} must be true or false, got {value}",
        "param.choice": "{where} must be one of {choices}, got {value}",
        "param.int_list": "{where} must be a list of whole numbers, got {value}",
        "param.max_items": "{where} may hold at most {limit} values",
        "param.increasing": "{where} must be in increasing order, got {value}",
        "param.number": "{where} must be a number, got {value}",
        "param.whole": "{where} must be a whole number, got {value}",
        "param.finite": "{where} must be a finite number, got {value}",
        "param.range": "{where} must be {op} {bound}, got {value}",
        "param.unknown": "unknown {kind} parameter {name} for '{id}'; valid parameters: {valid}",
        "param.none": "none",
    }
)


def _kind(kind: str) -> Term | str:
    """ "optimizer", "schedule" as a word of the page's language; another kind as it is."""
    return Term(f"term.{kind}") if f"term.{kind}" in ENGLISH else kind


def owner(kind: str, id: str) -> Term:
    """Whose parameter it is, in an error: "optimizer 'adam'"."""
    return Term("param.owner", kind=_kind(kind), id=id)


Kind = Literal["float", "int", "bool", "choice", "int_list"]


@dataclass(frozen=True)
class ParamSpec:
    name: str
    default: Any
    min: float | None = None
    max: float | None = None
    description: str = ""
    kind: Kind = "float"
    choices: tuple[str, ...] = ()
    log_scale: bool = False
    # bounds are inclusive unless marked exclusive (e.g. a decay rate < 1)
    min_exclusive: bool = False
    max_exclusive: bool = False
    max_items: int = 64
    # the controls' range, apart from the validation bounds (None: the bounds); log: a log slider
    slider_min: float | None = None
    slider_max: float | None = None
    slider_log: bool | None = None
    # a length that follows the run: its share of the run's steps (a number; a list of them for a
    # list of steps, e.g. milestones), from which the studio fills it; None: a length of its own (a
    # restart period, a warm-up). The API's default for an omitted value stays ``default``.
    follows_steps: float | tuple[float, ...] | None = None

    def public(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "name": self.name,
            "default": list(self.default) if isinstance(self.default, tuple) else self.default,
            "min": self.min,
            "max": self.max,
            "description": self.description,
            "type": self.kind,
            "scale": "log" if self.log_scale else "linear",
        }
        if self.kind in ("float", "int"):
            lo = self.slider_min if self.slider_min is not None else self.min
            hi = self.slider_max if self.slider_max is not None else self.max
            out["slider_min"] = lo
            out["slider_max"] = hi
            log = self.log_scale if self.slider_log is None else self.slider_log
            out["slider_scale"] = "log" if log else "linear"
        if self.choices:
            out["choices"] = list(self.choices)
        if self.follows_steps is not None:
            share = self.follows_steps
            out["follows_steps"] = list(share) if isinstance(share, tuple) else share
        if self.min_exclusive:
            out["min_exclusive"] = True
        if self.max_exclusive:
            out["max_exclusive"] = True
        return out

    def coerce(self, value: Any, owner: Term) -> Any:
        """Validate one value; raise `Explained` (a ValueError) naming the parameter and the reason;
        ``owner``: whose parameter (`owner`)."""
        where = Term("param.where", owner=owner, name=self.name)
        if value is None and self.default is None:  # an optional value (None: filled in elsewhere)
            return None
        if self.kind == "bool":
            if not isinstance(value, bool):
                raise Explained("param.bool", where=where, value=repr(value))
            return value
        if self.kind == "choice":
            if not isinstance(value, str) or value not in self.choices:
                choices = ", ".join(map(repr, self.choices))
                raise Explained("param.choice", where=where, choices=choices, value=repr(value))
            return value
        if self.kind == "int_list":
            if not isinstance(value, (list, tuple)) or any(
                isinstance(v, bool) or not isinstance(v, (int, float)) or float(v) != int(v) for v in value
            ):
                raise Explained("param.int_list", where=where, value=repr(value))
            if len(value) > self.max_items:
                raise Explained("param.max_items", where=where, limit=self.max_items)
            items = tuple(int(v) for v in value)
            for v in items:
                self._check_range(v, where)
            if list(items) != sorted(items):
                raise Explained("param.increasing", where=where, value=list(items))
            return items
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise Explained("param.number", where=where, value=repr(value))
        if self.kind == "int":
            if float(value) != int(value):
                raise Explained("param.whole", where=where, value=repr(value))
            value = int(value)
        else:
            value = float(value)
            if not math.isfinite(value):
                raise Explained("param.finite", where=where, value=repr(value))
        self._check_range(value, where)
        return value

    def _check_range(self, value: float, where: Term) -> None:
        if self.min is not None and (value < self.min or (self.min_exclusive and value == self.min)):
            op = ">" if self.min_exclusive else ">="
            raise Explained("param.range", where=where, op=op, bound=self.min, value=repr(value))
        if self.max is not None and (value > self.max or (self.max_exclusive and value == self.max)):
            op = "<" if self.max_exclusive else "<="
            raise Explained("param.range", where=where, op=op, bound=self.max, value=repr(value))


def docstring(obj: Any) -> str:
    """The docstring of a module, function or class, cleaned (`inspect.cleandoc`); read from its
    source when Python strips docstrings (-OO)."""
    doc = obj.__doc__
    if doc is None:
        tree = ast.parse(textwrap.dedent(inspect.getsource(obj)))
        doc = ast.get_docstring(tree if inspect.ismodule(obj) else tree.body[0])  # type: ignore[arg-type]
    if doc is None:
        raise RuntimeError(f"{obj.__name__} has no docstring: its texts begin it")
    return inspect.cleandoc(doc)


def entry_texts(doc: str) -> tuple[dict[str, str], list[str]]:
    """The texts a catalogue entry's docstring begins with: ``Name: formula`` (one line), then a
    paragraph of description (its lines joined by spaces); and the paragraphs after them."""
    paragraphs = doc.split("\n\n")
    name, formula = paragraphs[0].split(": ", 1)
    description = " ".join(paragraphs[1].split("\n")) if len(paragraphs) > 1 else ""
    return {"name": name, "formula": formula, "description": description}, paragraphs[2:]


@dataclass(frozen=True)
class Catalogued:
    """Common fields of an optimizer or schedule entry in a registry."""

    id: str
    name: str
    formula: str
    params: tuple[ParamSpec, ...] = field(default=())
    description: str = ""

    def spec(self, name: str) -> ParamSpec | None:
        for p in self.params:
            if p.name == name:
                return p
        return None

    def resolve(self, given: dict[str, Any] | None, kind: str) -> dict[str, Any]:
        """Fill defaults and validate; unknown names are errors (a typo must not run silently)."""
        given = dict(given or {})
        names = [p.name for p in self.params]
        unknown = [k for k in given if k not in names]
        if unknown:
            valid: str | Term = ", ".join(names) if names else Term("param.none")
            raise Explained("param.unknown", kind=_kind(kind), name=repr(unknown[0]), id=self.id, valid=valid)
        out: dict[str, Any] = {}
        for p in self.params:
            out[p.name] = p.coerce(given[p.name], owner(kind, self.id)) if p.name in given else p.default
        return out

    def public(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "formula": self.formula,
            "description": self.description,
            "params": [p.public() for p in self.params],
        }
