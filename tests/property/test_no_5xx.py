"""Fuzz (hypothesis, derandomized, bounded): typed formulas from the grammar of the supported
functions (kinks of abs, flat lines and planes included) × every registered optimizer with its
parameters at their defaults or bounds × every schedule, against /trajectories, /curvature,
/inspect and /export. Where the math has no answer the API says so in a 4xx or in the run's
status: never a 5xx."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.engine.expression import FUNCTIONS
from app.main import app
from app.registry import OPTIMIZER_IDS, OPTIMIZERS, SCHEDULE_IDS, SCHEDULES
from tests.conftest import strict_loads

FUZZ = settings(
    max_examples=150,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# leaves: the variables, numbers (0 makes flat lines and kinks at the origin), the constants
LEAVES = st.sampled_from(["x", "y", "0", "1", "2", "0.5", "pi", "e", "(-1)", "1e-300"])


def _extend(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    call = st.builds(lambda fn, a: f"{fn}({a})", st.sampled_from(FUNCTIONS), inner)
    binary = st.builds(lambda a, op, b: f"({a}{op}{b})", inner, st.sampled_from("+-*/^"), inner)
    return st.one_of(call, binary, inner.map(lambda a: f"-{a}"), inner.map(lambda a: f"abs({a}-1)"))


FORMULAS = st.one_of(
    st.sampled_from(["x", "0*x", "1", "abs(x)+abs(y)", "abs(abs(x)-1)+y^2", "abs(x)*y", "sqrt(x^2+y^2)"]),
    st.recursive(LEAVES, _extend, max_leaves=6),
)


def _value(spec: Any, draw: Any) -> Any:
    """A parameter at its default, at a bound (inclusive ones) or inside its range."""
    if spec.kind == "choice":
        return draw(st.sampled_from(spec.choices))
    if spec.kind == "bool":
        return draw(st.booleans())
    if spec.kind == "int_list":
        return list(spec.default) if isinstance(spec.default, tuple) else spec.default
    options = [spec.default]
    if spec.min is not None and not spec.min_exclusive:
        options.append(spec.min)
    if spec.max is not None and not spec.max_exclusive:
        options.append(spec.max)
    if spec.slider_min is not None:
        options.append(spec.slider_min)
    v = draw(st.sampled_from(options))
    return int(v) if spec.kind == "int" else float(v)


@st.composite
def params(draw: Any, specs: tuple[Any, ...]) -> dict[str, Any]:
    chosen = draw(st.lists(st.sampled_from(specs), max_size=4, unique_by=lambda s: s.name)) if specs else []
    return {s.name: _value(s, draw) for s in chosen}


@st.composite
def bodies(draw: Any) -> dict[str, Any]:
    oid = draw(st.sampled_from(OPTIMIZER_IDS))
    run: dict[str, Any] = {"optimizer": oid, "params": draw(params(OPTIMIZERS[oid].params))}
    sid = draw(st.sampled_from((None, *SCHEDULE_IDS)))
    if sid is not None:
        run["schedule"] = {"name": sid, "params": draw(params(SCHEDULES[sid].params))}
    if draw(st.booleans()):
        run["noise_std"] = draw(st.sampled_from([0.1, 1e3]))
    start = draw(st.sampled_from([[0, 0], [1, 1], [0, 1], [-2.5, 0.5], [1, -1]]))
    surface = {"expression": draw(FORMULAS), "x_range": [-3, 3], "y_range": [-3, 3]}
    return {"surface": surface, "start": start, "steps": draw(st.integers(1, 12)), "seed": 1, "runs": [run]}


CLIENT = TestClient(app, raise_server_exceptions=False)


def _post(path: str, body: dict[str, Any]) -> Any:
    r = CLIENT.post(path, json=body)
    assert r.status_code < 500, (path, body, r.status_code, r.text[:300])
    return strict_loads(r.text)


@FUZZ
@given(bodies())
def test_formulas_optimizers_schedules_never_answer_5xx(body: dict[str, Any]) -> None:
    out = _post("/api/v1/trajectories", body)
    _post("/api/v1/curvature", {"surface": body["surface"], "point": body["start"]})
    _post("/api/v1/export", body)
    taken = out["runs"][0]["steps_taken"] if "runs" in out else 0
    _post("/api/v1/inspect", {**body, "t": max(taken - 1, 0)})
