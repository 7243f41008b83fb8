"""Start-up warms the default network lesson: its training is in the worker's cache before the
networks page asks for it, without delaying readiness, within its own deadline, and it stops when
asked (the server stopping)."""

from __future__ import annotations

import threading
import time

import pytest
from fastapi.testclient import TestClient

from app.api import lifecycle, service_networks
from app.api.schemas_networks import NetworkRequest
from app.api.service_networks import TrainingCache, build_network_problem, training_key, warm_up
from app.engine import deadline
from app.lessons.scenarios import BY_ID
from app.main import app


@pytest.fixture()
def cache(monkeypatch):
    fresh = TrainingCache(service_networks.TRAINING_CACHE_BYTES)
    monkeypatch.setattr(service_networks, "TRAININGS", fresh)
    return fresh


def lesson_body(lang: str = "en", **changes):
    return {**BY_ID[lifecycle.WARM_LESSON].render(lang)["request"], **changes}


def key_of(body) -> bytes:
    return training_key(build_network_problem(NetworkRequest.model_validate(body))[0])


def test_warm_up_trains_each_body_once_into_the_cache(cache, client):
    small = lesson_body(epochs=20)
    assert warm_up([small], threading.Event()) == 1
    assert key_of(small) in cache and len(cache) == 1
    assert warm_up([small], threading.Event()) == 0  # already there: skipped
    assert deadline.current() is None  # the warm-up's deadline does not outlive it
    # the page's request of the same body finds the trained runs
    r = client.post("/api/v1/networks/plane", json=small)
    assert r.status_code == 200 and r.json()["cached"] is True


def test_warm_up_stops_when_asked_and_at_its_deadline(cache):
    body = lesson_body()
    stop = threading.Event()
    stop.set()
    assert warm_up([body], stop) == 0 and len(cache) == 0
    t0 = time.monotonic()
    assert warm_up([body], threading.Event(), seconds=0.0) == 0  # its estimate is refused at once
    assert time.monotonic() - t0 < 0.5 and len(cache) == 0
    assert deadline.current() is None


def test_start_up_warms_the_default_lesson_in_every_language_without_delaying_readiness(cache):
    with TestClient(app) as client:
        assert client.get("/healthz").status_code == 200
        warm = next(t for t in threading.enumerate() if t.name == "optiviz-warm-networks")
        warm.join(30)
        assert not warm.is_alive()
        assert {key_of(lesson_body("en")), key_of(lesson_body("zh"))} <= set(cache._items)
    assert lifecycle.WARM_STOP.is_set()  # the server stopped: so would the warm-up
