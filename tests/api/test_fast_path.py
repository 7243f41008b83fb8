"""The lean path for small trajectory requests (app/api/fast.py) gives exactly the app's answer:
the same status, headers (in order) and bytes, gzipped or not; everything it does not take
(errors, typed formulas, heavier work, other content types) reaches the app unchanged."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from app.api import fast
from app.main import app

SMALL = {
    "surface": "rosenbrock",
    "steps": 200,
    "runs": [{"optimizer": o, "params": {"lr": 0.001}} for o in ("gd", "momentum", "rmsprop", "adam")],
}
TAKEN = [
    SMALL,
    {
        "surface": "beale",
        "steps": 50,
        "seed": 3,
        "include_state": True,
        "runs": [
            {
                "optimizer": "adam",
                "noise_std": 0.5,
                "clip_norm": 1.0,
                "schedule": {"name": "step", "params": {"step_size": 10, "gamma": 0.5}},
            }
        ],
    },
    {
        "surface": "round_bowl",
        "steps": 5,
        "start": [1, 1],
        "tolerance": 0.5,
        "runs": [{"optimizer": "gd", "label": "mine"}],
    },
]
LEFT = [  # answered by the app itself, through the lean path's hands
    {"surface": "rosenbrock", "runs": [{"optimizer": "adam", "lrr": 0.1}]},  # unknown field
    {"surface": "rosenbrock", "runs": [{"optimizer": "adam", "batch_size": 4}]},  # cross-field error
    {"surface": "rosenbrock", "start": [1e6, 0], "runs": [{"optimizer": "gd"}]},  # outside the sane bound
    {"surface": {"expression": "x^2 + 3*y^2"}, "steps": 50, "runs": [{"optimizer": "gd"}]},  # typed formula
    {"surface": "rosenbrock", "steps": 20000, "runs": [{"optimizer": "adam"}] * 8},  # heavier work: queued
]


def answers(body: bytes, headers: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> tuple[list, list]:
    """(lean path on, off): each as [status, headers in order, bytes]."""
    out = []
    for on in (True, False):
        monkeypatch.setattr(fast, "ENABLED", on)
        r = TestClient(app).post("/api/v1/trajectories", content=body, headers=headers)
        out.append([r.status_code, r.headers.multi_items(), r.content])
    return out[0], out[1]


@pytest.fixture
def taken(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Whether the lean path answered each request (its `_answer` gave bytes)."""
    seen: list[bool] = []
    real = fast.FastTrajectories._answer

    async def spy(self: fast.FastTrajectories, raw: bytes) -> bytes | None:
        out = await real(self, raw)
        seen.append(out is not None)
        return out

    monkeypatch.setattr(fast.FastTrajectories, "_answer", spy)
    return seen


@pytest.mark.parametrize("encoding", ["gzip, deflate", "identity"])
@pytest.mark.parametrize("body", TAKEN, ids=["small", "noise-clip-schedule-state", "converges"])
def test_the_lean_path_gives_the_apps_bytes(body, encoding, monkeypatch, taken) -> None:
    import orjson

    raw = orjson.dumps(body)
    on, off = answers(raw, {"content-type": "application/json", "accept-encoding": encoding}, monkeypatch)
    assert taken == [True]
    assert on == off and on[0] == 200
    assert dict(on[1]).get("content-encoding") == ("gzip" if encoding.startswith("gzip") else None)
    assert {"content-security-policy", "x-content-type-options", "vary"} <= set(dict(on[1]))


def test_a_charset_parameter_is_still_json(monkeypatch, taken) -> None:
    import orjson

    on, off = answers(orjson.dumps(SMALL), {"content-type": "application/json; charset=utf-8"}, monkeypatch)
    assert taken == [True] and on == off


@pytest.mark.parametrize("body", LEFT, ids=["unknown-field", "cross-field", "bad-start", "formula", "heavy"])
def test_what_the_lean_path_leaves_is_the_apps_answer(body, monkeypatch, taken) -> None:
    import orjson

    on, off = answers(orjson.dumps(body), {"content-type": "application/json"}, monkeypatch)
    assert taken == [False]
    assert on == off


@pytest.mark.parametrize(
    "raw,ctype",
    [
        (b'{"surface": "rosenbrock", "runs": [{"optimizer": "gd"}]', "application/json"),  # truncated JSON
        (b'{"surface": "rosenbrock", "start": [NaN, 0], "runs": [{"optimizer": "gd"}]}', "application/json"),
        (b"", "application/json"),
        (b'{"surface": "rosenbrock", "runs": [{"optimizer": "gd"}]}', "text/plain"),  # not parsed as JSON
        (b'{"' + b'": 1, "'.join(b"k%d" % i for i in range(1200)) + b'": 1}', "application/json"),  # too many fields
    ],
)
def test_bodies_that_do_not_parse_get_the_apps_errors(raw, ctype, monkeypatch) -> None:
    on, off = answers(raw, {"content-type": ctype}, monkeypatch)
    assert on == off and on[0] in (400, 422)


def test_the_openapi_document_still_describes_the_route() -> None:
    doc = TestClient(app).get("/openapi.json").json()
    op = doc["paths"]["/api/v1/trajectories"]["post"]
    assert op["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith("/TrajectoryRequest")
    assert "422" in op["responses"]


@pytest.fixture(autouse=True)
def _forget_answers():
    """Each test sees its requests computed (an earlier test's answers are not remembered)."""
    fast.clear_answers()
    yield
    fast.clear_answers()


@pytest.mark.parametrize("encoding", ["gzip, deflate", "identity"])
def test_a_body_seen_before_is_answered_from_memory_with_the_same_bytes(encoding, monkeypatch, taken) -> None:
    import orjson

    body = orjson.dumps(SMALL)
    client = TestClient(app)
    headers = {"content-type": "application/json", "accept-encoding": encoding}
    first = client.post("/api/v1/trajectories", content=body, headers=headers)
    again = [client.post("/api/v1/trajectories", content=body, headers=headers) for _ in range(3)]
    assert taken == [True]  # computed once
    for r in again:
        assert (r.status_code, r.headers.multi_items(), r.content) == (
            first.status_code,
            first.headers.multi_items(),
            first.content,
        )
    monkeypatch.setattr(fast, "ENABLED", False)  # the app's own answer: the same
    off = client.post("/api/v1/trajectories", content=body, headers=headers)
    assert (off.headers.multi_items(), off.content) == (first.headers.multi_items(), first.content)


def test_another_body_is_computed_and_errors_are_never_remembered(monkeypatch, taken) -> None:
    import orjson

    client = TestClient(app)
    a = dict(SMALL, seed=1)
    b = dict(SMALL, seed=2)
    bad = {"surface": "rosenbrock", "runs": [{"optimizer": "adam", "lrr": 0.1}]}
    for body in (a, b, a, bad, bad):
        client.post("/api/v1/trajectories", content=orjson.dumps(body), headers={"content-type": "application/json"})
    assert taken == [True, True, False, False]  # a, b computed; a remembered; the 422 asked each time
    r = client.post("/api/v1/trajectories", content=orjson.dumps(bad), headers={"content-type": "application/json"})
    assert r.status_code == 422


def test_the_memory_is_bounded_in_bytes_least_recently_used_out() -> None:
    answers = fast.Answers(8 * 1000)
    for i in range(50):
        answers.put(b"k%03d" % i, b"x" * 200)
        assert answers.size <= 8000
    kept = [i for i in range(50) if answers.get(b"k%03d" % i) is not None]
    assert kept == list(range(50 - len(kept), 50)) and len(kept) == 8000 // 204  # the newest ones
    oldest = kept[0]
    answers.get(b"k%03d" % oldest)  # used again: kept over the next oldest
    answers.put(b"new", b"x" * 200)
    assert answers.get(b"k%03d" % oldest) is not None and answers.get(b"k%03d" % (oldest + 1)) is None
    assert answers.put(b"big", b"x" * 1001).body == b"x" * 1001 and answers.get(b"big") is None  # > limit / 8: not kept
    off = fast.Answers(0)
    off.put(b"a", b"b")
    assert len(off) == 0 and off.size == 0
