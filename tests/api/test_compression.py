"""Answers are gzip-compressed when the client accepts it; event streams never are (each event
must reach the browser as it is produced, not when a compressor's buffer fills)."""

from __future__ import annotations

import gzip
import json
import time
import urllib.request

import pytest
from fastapi.testclient import TestClient

from app.main import GZIP_MIN_BYTES, app
from tests.deploy.servers import free_port, start_app, stop, timed_events

BIG = {
    "surface": "rosenbrock",
    "steps": 2000,
    "runs": [{"optimizer": o} for o in ("gd", "adam", "rmsprop", "momentum")],
}


def test_json_is_gzipped_when_accepted_and_plain_otherwise() -> None:
    client = TestClient(app)
    zipped = client.post("/api/v1/trajectories", json=BIG, headers={"accept-encoding": "gzip"})
    plain = client.post("/api/v1/trajectories", json=BIG, headers={"accept-encoding": "identity"})
    assert zipped.headers["content-encoding"] == "gzip" and "accept-encoding" in zipped.headers["vary"].lower()
    assert "content-encoding" not in plain.headers
    assert zipped.json() == plain.json()  # the client decompressed it
    assert len(gzip.compress(plain.content)) < len(plain.content) / 2  # worth it: points compress well
    small = client.get("/healthz", headers={"accept-encoding": "gzip"})
    assert len(small.content) < GZIP_MIN_BYTES and "content-encoding" not in small.headers


@pytest.mark.parametrize("fast", [True, False], ids=["fast-path", "framework"])
@pytest.mark.parametrize(
    "accept,gzipped",
    [
        ("gzip;q=0", False),
        ("gzip; q=0.000, identity", False),
        ("*;q=0", False),
        ("br, *;q=0", False),
        ("identity;q=1, gzip;q=0", False),
        ("GZIP;Q=0.5", True),
        ("*", True),
        ("deflate, gzip;q=0.1", True),
        ("gzip;q=0, *", False),  # gzip named: its own q-value counts, not that of *
    ],
)
def test_gzip_follows_the_q_values(monkeypatch, fast: bool, accept: str, gzipped: bool) -> None:
    """`gzip;q=0` means "not gzip" (RFC 9110): on the lean path and through the framework alike."""
    from app.api import fast as fast_path

    monkeypatch.setattr(fast_path, "ENABLED", fast)
    fast_path.clear_answers()
    client = TestClient(app)
    resp = client.post("/api/v1/trajectories", json=BIG, headers={"accept-encoding": accept})
    assert resp.status_code == 200
    assert (resp.headers.get("content-encoding") == "gzip") is gzipped, resp.headers
    assert "accept-encoding" in resp.headers["vary"].lower()
    script = client.get("/static/vendor/plotly.min.js", headers={"accept-encoding": accept})
    assert (script.headers.get("content-encoding") == "gzip") is gzipped


@pytest.fixture(scope="module")
def server():
    port = free_port()
    proc = start_app(port)
    yield f"http://127.0.0.1:{port}"
    stop(proc)


@pytest.mark.serial  # timed: the first events long before the end
def test_gzip_on_the_wire_and_streams_arrive_incrementally(server) -> None:
    req = urllib.request.Request(
        f"{server}/api/v1/trajectories",
        data=json.dumps(BIG).encode(),
        method="POST",
        headers={"content-type": "application/json", "accept-encoding": "gzip"},
    )
    with urllib.request.urlopen(req, timeout=60) as resp:
        assert resp.headers["content-encoding"] == "gzip"
        body = json.loads(gzip.decompress(resp.read()))
    assert len(body["runs"]) == 4
    # a slow stream (mini-batches of one sample, Python path): events all along, none compressed
    long = {"surface": "logistic_regression", "steps": 6000, "runs": [{"optimizer": "adam", "batch_size": 1}] * 4}
    req = urllib.request.Request(
        f"{server}/api/v1/trajectories/stream",
        data=json.dumps(long).encode(),
        method="POST",
        headers={"content-type": "application/json", "accept-encoding": "gzip"},
    )
    t0 = time.perf_counter()
    resp = urllib.request.urlopen(req, timeout=120)
    assert resp.headers["content-type"].startswith("text/event-stream")
    assert resp.headers.get("content-encoding") is None
    events = timed_events(resp, t0)
    seen = [t for t, name, _ in events if name == "points"]
    done_at = next((t for t, name, _ in events if name == "done"), None)
    assert done_at is not None and seen
    assert seen[0] < done_at / 5, (seen[0], done_at)  # the first points long before the end
