"""A lesson's sweep is computed once per worker and served from memory after (the batch-size
lesson took ~12 s on every visit): counted as engine calls, not timed."""

from __future__ import annotations

import threading

import pytest

from app.api import service_lessons
from app.api.service_lessons import SWEEPS, SweepAnswers, sweep_answer, warm_up
from app.lessons import sweeps
from app.lessons.scenarios import BY_ID
from tests.conftest import parse_sse

LESSON = BY_ID["batch-size-lr"].request


@pytest.fixture
def engine_calls(monkeypatch) -> list[int]:
    """Lockstep advances made by this thread (the start-up's warm-up thread is not counted)."""
    calls: list[int] = []
    me = threading.get_ident()
    advance = sweeps.LockstepJob.advance

    def counted(self, n: int) -> None:
        if threading.get_ident() == me:
            calls.append(n)
        advance(self, n)

    monkeypatch.setattr(sweeps.LockstepJob, "advance", counted)
    return calls


def test_the_second_visit_is_answered_from_memory(engine_calls) -> None:
    SWEEPS.clear()
    first = sweep_answer(dict(LESSON))
    computed = len(engine_calls)
    assert computed > 0 and len(SWEEPS) == 1
    again = sweep_answer(dict(LESSON))
    assert len(engine_calls) == computed  # no step made
    assert again == first and again is not first  # each caller its own copy


def test_the_stream_answers_a_remembered_lesson_at_once(client, engine_calls) -> None:
    SWEEPS.clear()
    events = parse_sse(client.post("/api/v1/sweeps/stream", json=LESSON).text)
    assert [e for e, _ in events].count("progress") >= 1 and events[-1][0] == "result"
    computed = len(engine_calls)
    again = parse_sse(client.post("/api/v1/sweeps/stream", json=LESSON).text)
    assert [e for e, _ in again] == ["result"] and len(engine_calls) == computed
    assert again[-1][1] == events[-1][1] == client.post("/api/v1/sweeps", json=LESSON).json()


def test_other_sweeps_are_computed_each_time(engine_calls) -> None:
    body = {**LESSON, "y_param": {"name": "batch_size", "values": [16, 32]}, "epochs": 1}
    sweep_answer(body)
    n = len(engine_calls)
    sweep_answer(body)
    assert len(engine_calls) > n and SWEEPS.get(b"") is None


def test_the_warm_up_fills_the_memory_and_stops_when_asked() -> None:
    SWEEPS.clear()
    stop = threading.Event()
    stop.set()
    assert warm_up(stop) == 0 and len(SWEEPS) == 0
    assert warm_up(threading.Event()) == sum(1 for lesson in BY_ID.values() if lesson.kind == "sweep") == 1
    assert len(SWEEPS) == 1
    SWEEPS.clear()
    assert warm_up(threading.Event(), seconds=0.0) == 0  # its own deadline


def test_the_memory_is_bounded_in_bytes() -> None:
    memory = SweepAnswers(8000)
    answer = {"final_loss": [[0.5] * 40] * 4}  # ~700 bytes
    for i in range(30):
        memory.put(b"%d" % i, answer)
        assert memory.bytes <= 8000
    assert len(memory) < 30 and memory.get(b"29") == answer and memory.get(b"0") is None
    memory.put(b"big", {"final_loss": [[0.5] * 400] * 4})  # over an eighth of the bound: not kept
    assert memory.get(b"big") is None
    assert 50 * len(memory_bytes()) <= service_lessons.SWEEP_CACHE_BYTES


def memory_bytes() -> bytes:
    import orjson

    return orjson.dumps(sweep_answer(dict(LESSON)))
