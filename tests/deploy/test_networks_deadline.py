"""A real server and the network endpoints: a training admitted but outrunning the request's limit
answers 422 (JSON) or ends with an ``error`` event (stream) within the limit + 1 s, and its CPU work
stops there; a stream whose client leaves while the plane is computed stops computing."""

from __future__ import annotations

import copy
import http.client
import json
import time

import pytest

from app.api.schemas_networks import NETWORK_EXAMPLE
from tests.deploy.servers import free_port, start_app, stop
from tests.deploy.test_starvation import cpu_settles, status_of

# estimated at ~21 s of CPU: admitted by the server below (OPTIVIZ_ADMIT_FACTOR=100), then longer
# than its 2 s limit on any machine (a training estimated at just under twice the limit, what the
# default admits, finished within it on a fast one)
OUTRUNS = {
    **copy.deepcopy(NETWORK_EXAMPLE),
    "data": {"samples": 1000},
    "epochs": 5000,
    "model": {"hidden": [32, 32]},
    "plane": {"n": 51},
}
# a short training, then a plane of ~13 s estimated (a 101 × 101 grid of a 1,051-parameter network
# on 750 train samples), reported in chunks of 5 % of the grid
LONG_PLANE = {
    **copy.deepcopy(NETWORK_EXAMPLE),
    "data": {"samples": 1000},
    "epochs": 20,
    "model": {"hidden": [30, 30]},
    "plane": {"kind": "pca", "n": 101},
}


@pytest.fixture(scope="module")
def limited():
    """A server with a 2 s limit that admits work estimated at up to 100 times the time left (one
    engine thread: the estimates count one)."""
    port = free_port()
    proc = start_app(port, OPTIVIZ_REQUEST_TIMEOUT="2", OPTIVIZ_ENGINE_THREADS="1", OPTIVIZ_ADMIT_FACTOR="100")
    yield f"http://127.0.0.1:{port}", proc
    stop(proc)


@pytest.fixture(scope="module")
def patient():
    port = free_port()
    proc = start_app(port, OPTIVIZ_ENGINE_THREADS="1")
    yield port, proc
    stop(proc)


def test_a_training_stops_at_its_deadline(limited) -> None:
    base, proc = limited
    code, text, seconds = status_of(f"{base}/api/v1/networks", OUTRUNS)
    assert code == 422 and "took longer than the server's limit of 2 s" in text, (code, text[:300])
    assert seconds < 2 + 1, seconds
    assert cpu_settles(proc.pid) < 0.2  # its CPU work stopped with the answer


def test_a_stream_ends_with_an_error_event_at_its_deadline(limited) -> None:
    base, proc = limited
    code, text, seconds = status_of(f"{base}/api/v1/networks/stream", {**OUTRUNS, "seed": 1})
    assert code == 200 and seconds < 2 + 1, (code, seconds)
    events = text.strip().split("\n\n")
    assert events[0].startswith("event: meta") and any(e.startswith("event: epochs") for e in events)
    assert events[-1].startswith("event: error") and "limit of 2 s" in events[-1], events[-1][:300]
    assert cpu_settles(proc.pid) < 0.2


def test_a_stream_whose_client_leaves_stops_its_plane(patient) -> None:
    port, proc = patient
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    conn.request("POST", "/api/v1/networks/stream", json.dumps(LONG_PLANE), {"content-type": "application/json"})
    resp = conn.getresponse()
    assert resp.status == 200
    t0 = time.perf_counter()
    while b'"phase":"plane"' not in resp.readline():  # the plane's first progress report
        assert time.perf_counter() - t0 < 60
    conn.sock.close()  # the client goes away while the plane's grid is computed
    conn.close()
    left = time.perf_counter()
    while cpu_settles(proc.pid, 0.5) > 0.05:  # the worker stops at the plane's next report
        assert time.perf_counter() - left < 8, "the plane kept computing after its client left"
