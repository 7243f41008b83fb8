"""A real server under heavy and hostile requests: it stays responsive, limits are clear 4xx,
nothing leaks, and SIGTERM is graceful."""

import json
import signal
import threading
import time
import urllib.error
import urllib.request

import pytest

from tests.deploy.servers import free_port, start_app, stop

HEAVY = json.dumps({"surface": "logistic_regression", "steps": 5000,
                    "runs": [{"optimizer": "adam", "batch_size": 1}] * 16}).encode()
SMALL = json.dumps({"surface": "booth", "steps": 50, "runs": [{"optimizer": "adam"}]}).encode()


def post(url, body, timeout=60, headers=None):
    req = urllib.request.Request(url, data=body, method="POST",
                                 headers={"content-type": "application/json", **(headers or {})})
    return urllib.request.urlopen(req, timeout=timeout)


@pytest.fixture(scope="module")
def server():
    port = free_port()
    proc = start_app(port)
    yield f"http://127.0.0.1:{port}"
    stop(proc)


def test_heavy_requests_do_not_freeze_the_server(server):
    done = []
    threads = [threading.Thread(target=lambda: done.append(post(f"{server}/api/v1/trajectories", HEAVY,
                                                               timeout=120).status)) for _ in range(2)]
    for t in threads:
        t.start()
    time.sleep(0.5)  # both heavy computations are running
    worst_health = worst_small = 0.0
    for _ in range(10):
        t0 = time.perf_counter()
        assert urllib.request.urlopen(f"{server}/healthz", timeout=5).status == 200
        worst_health = max(worst_health, time.perf_counter() - t0)
        time.sleep(0.05)
    t0 = time.perf_counter()
    assert urllib.request.urlopen(f"{server}/api/v1/surfaces", timeout=5).status == 200
    worst_small = time.perf_counter() - t0
    for t in threads:
        t.join()
    assert done == [200, 200]
    assert worst_health < 0.5 and worst_small < 0.5, (worst_health, worst_small)


def test_time_limit_is_a_clear_4xx():
    port = free_port()
    proc = start_app(port, OPTIVIZ_REQUEST_TIMEOUT="0.2")
    try:
        with pytest.raises(urllib.error.HTTPError) as info:
            post(f"http://127.0.0.1:{port}/api/v1/trajectories", HEAVY)
        assert info.value.code == 422
        assert "longer than the server's limit of 0.2 s" in json.load(info.value)["detail"]
        stream = post(f"http://127.0.0.1:{port}/api/v1/trajectories/stream", HEAVY).read().decode()
        assert "event: error" in stream and "limit" in stream and "event: done" not in stream
        assert post(f"http://127.0.0.1:{port}/api/v1/trajectories", SMALL).status == 200
    finally:
        stop(proc)


HOSTILE = [
    b"{", b"[" * 100000 + b"]" * 100000, b'{"surface": "rosenbrock", "steps": 1e400, "runs": [{"optimizer": "adam"}]}',
    b'{"surface": "\xff\xfe", "runs": []}', '{"surface": {"expression": "ùñí©ødé + x"}, "runs": [{"optimizer": "adam"}]}'.encode(),
    b'{"surface": {"expression": "' + b"(" * 200 + b'x"}, "runs": [{"optimizer": "adam"}]}',
    b'{"surface": "rosenbrock", "steps": 99999999999999999999999, "runs": [{"optimizer": "adam"}]}',
    b'{"surface": "rosenbrock", "runs": [{"optimizer": "adam", "params": {"lr": "__import__(\'os\')"}}]}',
]


@pytest.mark.parametrize("raw", HOSTILE)
def test_hostile_bodies_get_4xx_without_internals(server, raw):
    with pytest.raises(urllib.error.HTTPError) as info:
        post(f"{server}/api/v1/trajectories", raw)
    assert 400 <= info.value.code < 500
    text = info.value.read().decode(errors="replace")
    for leak in ("Traceback", "File \"", "/work/", "site-packages", "/usr/lib"):
        assert leak not in text


def test_wrong_content_type_and_oversize(server):
    with pytest.raises(urllib.error.HTTPError) as info:
        post(f"{server}/api/v1/trajectories", SMALL, headers={"content-type": "text/plain"})
    assert 400 <= info.value.code < 500
    with pytest.raises(urllib.error.HTTPError) as info:
        post(f"{server}/api/v1/trajectories", b"x" * 2_000_000)
    assert info.value.code == 413


def test_security_headers_everywhere(server):
    for path in ("/", "/healthz", "/static/css/app.css", "/api/v1/optimizers", "/docs"):
        h = urllib.request.urlopen(server + path).headers
        assert "default-src 'self'" in h["content-security-policy"] and "http" not in h["content-security-policy"]
        assert h["x-content-type-options"] == "nosniff" and h["referrer-policy"] == "no-referrer"


def test_sigterm_finishes_in_flight_work_and_ends_streams():
    port = free_port()
    proc = start_app(port)
    base = f"http://127.0.0.1:{port}"
    results = {}
    medium = json.dumps({"surface": "logistic_regression", "steps": 3000,
                         "runs": [{"optimizer": "adam", "batch_size": 1}] * 4}).encode()

    def json_request():
        results["json"] = post(f"{base}/api/v1/trajectories", medium, timeout=60).status

    def stream_request():
        results["stream"] = post(f"{base}/api/v1/trajectories/stream", HEAVY, timeout=60).read().decode()

    threads = [threading.Thread(target=json_request), threading.Thread(target=stream_request)]
    for t in threads:
        t.start()
    time.sleep(0.4)
    proc.send_signal(signal.SIGTERM)
    for t in threads:
        t.join(60)
    proc.wait(30)
    assert results["json"] == 200
    stream = results["stream"]
    assert stream.startswith("event: meta")
    last = [b for b in stream.strip().split("\n\n") if b][-1]
    assert last.startswith("event: error") and "shutting down" in last
