"""Behind real nginx (deploy/nginx.conf with this test's ports): streams arrive incrementally,
JSON is compressed, a replica can die in the middle of a burst, a path prefix works."""

import gzip
import json
import os
import re
import signal
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urljoin

import pytest

from tests.deploy.servers import NGINX, ROOT, free_port, start_app, start_nginx, stop, timed_events

pytestmark = pytest.mark.skipif(not os.path.exists(NGINX), reason="nginx is installed by `make test` (system-deps)")

SMALL = json.dumps({"surface": "booth", "steps": 50, "runs": [{"optimizer": "adam"}]}).encode()
# the largest request the default limits allow, on the slowest surface: ~15 s of computation
LONG = {"surface": "logistic_regression", "steps": 20000, "runs": [{"optimizer": "adam", "batch_size": 1}] * 16}


def post(url: str, body: bytes, timeout: float = 30, headers: dict | None = None):
    req = urllib.request.Request(
        url, data=body, method="POST", headers={"content-type": "application/json", **(headers or {})}
    )
    return urllib.request.urlopen(req, timeout=timeout)


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("nginx")
    ports = [free_port(), free_port()]
    apps = [start_app(p, OPTIVIZ_ROOT_PATH="") for p in ports]
    listen = free_port()
    nginx = start_nginx(tmp, listen, ports)
    yield f"http://127.0.0.1:{listen}", apps, tmp
    stop(nginx, *apps)


def test_stream_arrives_incrementally_through_nginx(stack):
    base, _, _ = stack
    t0 = time.perf_counter()
    resp = post(
        f"{base}/api/v1/trajectories/stream",
        json.dumps(LONG).encode(),
        timeout=300,
        headers={"accept-encoding": "gzip"},
    )
    assert resp.headers["content-type"].startswith("text/event-stream")
    assert resp.headers.get("content-encoding") is None  # never compressed: each event flows as it comes
    events = timed_events(resp, t0)
    points_at = [t for t, name, _ in events if name == "points"]
    points = [0] * len(LONG["runs"])
    for _, name, data in events:
        if name == "points":
            ev = json.loads(data)
            points[ev["run"]] += len(ev["x"])
    done_at, done = next(((t, json.loads(data)) for t, name, data in events if name == "done"), (None, None))
    assert done_at is not None, "no done event"
    # the stream really is incremental: the first points long before the end, and events all along
    assert points_at[0] < done_at / 10, (points_at[0], done_at)
    before_half = sum(t < done_at / 2 for t in points_at) / len(points_at)
    assert before_half > 0.25, before_half
    assert points == [r["steps_taken"] + 1 for r in done["runs"]]  # and nothing was lost on the way


def test_gzip_for_json_and_scripts(stack):
    base, _, _ = stack
    resp = post(f"{base}/api/v1/trajectories", SMALL, headers={"accept-encoding": "gzip"})
    assert resp.headers.get("content-encoding") == "gzip"
    assert len(json.loads(gzip.decompress(resp.read()))["runs"][0]["x"]) == 51
    req = urllib.request.Request(f"{base}/static/vendor/plotly.min.js", headers={"accept-encoding": "gzip"})
    assert urllib.request.urlopen(req).headers.get("content-encoding") == "gzip"


def test_one_replica_dies_during_a_burst(stack):
    base, apps, tmp = stack
    victim = apps[0]

    def one(i):
        if i == 30:
            victim.send_signal(signal.SIGKILL)  # no goodbye: open connections just break
        try:
            return post(f"{base}/api/v1/trajectories", SMALL).status
        except OSError as err:
            return str(err)

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(one, range(100)))
    assert victim.wait(10) == -signal.SIGKILL
    assert results == [200] * 100, [r for r in results if r != 200]
    # nginx did meet the dead replica (requests in flight on it, or new connections) and moved on
    assert re.search(r"(failed|prematurely closed).*upstream", (tmp / "error.log").read_text())
    assert all(post(f"{base}/api/v1/trajectories", SMALL).status == 200 for _ in range(10))  # the survivor


def assets_of(html: str) -> set[str]:
    return {u for u in re.findall(r'(?:src|href|url)="([^"#]+)"', html) if not re.match(r"[a-z]+:", u)}


def test_under_a_path_prefix(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("nginx-prefix")
    ports = [free_port(), free_port()]
    apps = [start_app(p, OPTIVIZ_ROOT_PATH="/optiviz") for p in ports]
    listen = free_port()
    nginx = start_nginx(tmp, listen, ports)
    try:
        root = f"http://127.0.0.1:{listen}/optiviz"
        base = root + "/"
        assert urllib.request.urlopen(root).url == base  # /optiviz redirects to /optiviz/
        pages = {base: urllib.request.urlopen(base).read().decode()}
        if (ROOT / "templates/lessons.html").exists():
            pages[base + "lessons"] = urllib.request.urlopen(base + "lessons").read().decode()
        pages[base + "docs"] = urllib.request.urlopen(base + "docs").read().decode()
        assert 'src="static/js/main.js"' in pages[base]  # relative: resolves under the prefix
        for page, html in pages.items():
            for asset in assets_of(html):
                url = urljoin(page, asset)
                assert url.startswith(base), (page, asset)  # nothing escapes the prefix
                assert urllib.request.urlopen(url).status == 200, url
        assert "openapi.json" in pages[base + "docs"]
        schema = json.load(urllib.request.urlopen(base + "openapi.json"))
        assert schema.get("servers") == [{"url": "/optiviz"}]  # "try it out" in /docs calls under the prefix
        assert json.load(urllib.request.urlopen(base + "api/v1/surfaces"))
        assert json.load(post(base + "api/v1/trajectories", SMALL))["runs"][0]["steps_taken"] >= 1
        stream = post(base + "api/v1/trajectories/stream", SMALL).read().decode()
        assert stream.startswith("event: meta") and "event: done" in stream
        assert urllib.request.urlopen(f"http://127.0.0.1:{listen}/optiviz/static/css/app.css").status == 200
    finally:
        stop(nginx, *apps)
