"""Behind real nginx: streams arrive incrementally, a replica can die, a path prefix works."""

import json
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.deploy.servers import NGINX, free_port, start_app, start_nginx, stop

pytestmark = pytest.mark.skipif(not __import__("os").path.exists(NGINX), reason="nginx is installed by `make test`")

SMALL = json.dumps({"surface": "booth", "steps": 50, "runs": [{"optimizer": "adam"}]}).encode()


def post(url: str, body: bytes, timeout: float = 30):
    req = urllib.request.Request(url, data=body, method="POST", headers={"content-type": "application/json"})
    return urllib.request.urlopen(req, timeout=timeout)


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("nginx")
    ports = [free_port(), free_port()]
    apps = [start_app(p, OPTIVIZ_ROOT_PATH="") for p in ports]
    listen = free_port()
    nginx = start_nginx(tmp, listen, ports)
    yield f"http://127.0.0.1:{listen}", apps
    stop(nginx, *apps)


def test_stream_arrives_incrementally_through_nginx(stack):
    base, _ = stack
    body = json.dumps({"surface": "logistic_regression", "steps": 4000,
                       "runs": [{"optimizer": "adam", "batch_size": 1}] * 8}).encode()
    t0 = time.perf_counter()
    resp = post(f"{base}/api/v1/trajectories/stream", body, timeout=120)
    assert resp.headers["content-type"].startswith("text/event-stream")
    arrivals = []
    buf = b""
    while True:
        chunk = resp.read1(65536)
        if not chunk:
            break
        buf += chunk
        while b"\n\n" in buf:
            block, buf = buf.split(b"\n\n", 1)
            if block.startswith(b"event: points"):
                arrivals.append(time.perf_counter() - t0)
            if block.startswith(b"event: done"):
                arrivals.append(time.perf_counter() - t0)
    total = arrivals[-1]
    assert len(arrivals) > 20
    assert arrivals[0] < total / 4  # the first points came long before the end


def test_gzip_for_json(stack):
    base, _ = stack
    req = urllib.request.Request(f"{base}/api/v1/trajectories", data=SMALL, method="POST",
                                 headers={"content-type": "application/json", "accept-encoding": "gzip"})
    resp = urllib.request.urlopen(req)
    assert resp.headers.get("content-encoding") == "gzip"


def test_one_replica_dies_during_a_burst(stack):
    base, apps = stack
    results = []

    def one(i):
        if i == 30:
            apps[0].terminate()
        try:
            return post(f"{base}/api/v1/trajectories", SMALL).status
        except OSError as err:
            return str(err)

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(one, range(120)))
    assert results == [200] * 120
    apps[0].wait(10)
    assert post(f"{base}/api/v1/trajectories", SMALL).status == 200  # the survivor answers


def test_under_a_path_prefix(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("nginx-prefix")
    port = free_port()
    app = start_app(port, OPTIVIZ_ROOT_PATH="/optiviz")
    listen = free_port()
    nginx = start_nginx(tmp, listen, [port])
    try:
        base = f"http://127.0.0.1:{listen}/optiviz/"
        page = urllib.request.urlopen(base).read().decode()
        assert 'src="static/js/main.js"' in page  # relative: resolves under the prefix
        for asset in ("static/js/main.js", "static/css/app.css", "static/vendor/plotly.min.js", "docs",
                      "openapi.json", "api/v1/surfaces"):
            assert urllib.request.urlopen(base + asset).status == 200, asset
        assert post(base + "api/v1/trajectories", SMALL).status == 200
        stream = post(base + "api/v1/trajectories/stream", SMALL).read().decode()
        assert stream.startswith("event: meta") and "event: done" in stream
    finally:
        stop(nginx, app)
