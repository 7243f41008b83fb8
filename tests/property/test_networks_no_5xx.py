"""Fuzz (hypothesis, derandomized, bounded) the network endpoints with hostile bodies: widths, depths,
samples, noise, splits, epochs × runs, batch sizes, grid n, plane kinds and runs, every optimizer and
schedule, wrong types and unknown fields. Every answer is a 200 (strict JSON) or a 4xx that says
why: never a 5xx, in the JSON answer, the stream or the plane endpoint."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.main import app
from app.registry import OPTIMIZER_IDS, SCHEDULE_IDS
from tests.conftest import parse_sse, strict_loads

FUZZ = settings(
    max_examples=80,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

HOSTILE = [None, "5", True, -1, 0, 2.5, 10**12, [], {}]  # wrong types, negatives, huge values
WIDTHS = st.lists(st.one_of(st.sampled_from([1, 2, 3, 64, 65, 0, -3, 10**9, "4", 1.5])), max_size=6)


def _or_hostile(values: list[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(st.sampled_from(values), st.sampled_from(HOSTILE))


@st.composite
def runs(draw: Any) -> list[Any]:
    out = []
    for _ in range(draw(st.integers(0, 4))):
        run: dict[str, Any] = {"optimizer": draw(st.sampled_from([*OPTIMIZER_IDS, "sgd"]))}
        if draw(st.booleans()):
            run["params"] = {"lr": draw(_or_hostile([1e-3, 0.1, 10.0, 1e6]))}
        if draw(st.booleans()):
            run["batch_size"] = draw(_or_hostile([1, 7, 64, 10_000]))
        if draw(st.booleans()):
            run["schedule"] = {"name": draw(st.sampled_from(SCHEDULE_IDS)), "per": draw(st.sampled_from(["step", "epoch"]))}
        if draw(st.booleans()):
            run[draw(st.sampled_from(["clip_norm", "clip_value", "noise_std", "lrr"]))] = draw(_or_hostile([0.5, 0.0]))
        out.append(run)
    return out


@st.composite
def bodies(draw: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "data": {
            "name": draw(st.sampled_from(["moons", "circles", "spirals", "xor", "gauss", "iris"])),
            "samples": draw(_or_hostile([8, 9, 40, 100, 5001])),
            "noise": draw(_or_hostile([0.0, 0.3, 5.0, 6.0])),
            "test_fraction": draw(_or_hostile([0.0, 0.05, 0.25, 0.5, 0.9])),
        },
        "model": {
            "hidden": draw(st.one_of(WIDTHS, st.sampled_from(HOSTILE))),
            "activation": draw(st.sampled_from(["relu", "tanh", "sigmoid", "gelu"])),
            "init": draw(st.sampled_from(["he", "xavier", "zeros"])),
        },
        "epochs": draw(_or_hostile([1, 2, 5, 20_001])),
        "runs": draw(st.one_of(runs(), st.sampled_from(HOSTILE))),
        "points": draw(_or_hostile([2, 3, 200, 1001])),
        "plane": {
            "kind": draw(st.sampled_from(["pca", "pca_equal", "random", "line", "hessian", "tsne"])),
            "n": draw(_or_hostile([2, 3, 101, 102])),
            "run": draw(_or_hostile([0, 1, 3])),
        },
    }
    if draw(st.booleans()):
        body[draw(st.sampled_from(["data", "model", "plane"]))] = draw(st.sampled_from(HOSTILE))
    return body


CLIENT = TestClient(app, raise_server_exceptions=False)


@FUZZ
@given(bodies())
def test_hostile_network_bodies_never_answer_5xx(body: dict[str, Any]) -> None:
    r = CLIENT.post("/api/v1/networks", json=body)
    assert r.status_code < 500, (body, r.status_code, r.text[:300])
    out = strict_loads(r.text)
    if r.status_code != 200:
        assert out["detail"], body
        return
    assert len(out["runs"]) == len(body["runs"])
    r = CLIENT.post("/api/v1/networks/plane", json={**body, "plane": {"kind": "random", "n": 3}})
    assert r.status_code == 200, (body, r.text[:300])
    r = CLIENT.post("/api/v1/networks/stream", json=body)
    assert r.status_code == 200, (body, r.text[:300])
    names = [name for name, _ in parse_sse(r.text)]
    assert names[-1] == "done", (body, names[-3:])
