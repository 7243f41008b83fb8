"""nginx (deploy/nginx.conf) against slow and malformed clients: slow headers and bodies are cut
off at the configured timeouts while others are served, and nginx's own error pages carry the
security headers (the app's own answers are not given them twice); a replica's 503 is retried on
another one without taking the replica out of rotation."""

from __future__ import annotations

import http.client
import http.server
import os
import socket
import threading
import time
import urllib.request

import pytest

from app.api.capacity import WORKER_MEMORY_BYTES
from tests.deploy import servers
from tests.deploy.servers import NGINX, ask_big, free_port, rss_bytes, start_app, start_app_logged, start_nginx, stop

pytestmark = pytest.mark.skipif(not os.path.exists(NGINX), reason="nginx is installed by `make test` (system-deps)")

SHORT = {
    "client_header_timeout 10s;": "client_header_timeout 1s;",
    "client_body_timeout 10s;": "client_body_timeout 1s;",
}


@pytest.fixture(scope="module")
def proxy(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("nginx-limits")
    port = free_port()
    app = start_app(port)
    listen = free_port()
    nginx = start_nginx(tmp, listen, [port], replace=SHORT)
    yield listen
    stop(nginx, app)


def raw(port: int, data: bytes) -> tuple[int, dict[str, str], bytes]:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(data)
        s.shutdown(socket.SHUT_WR)  # nothing more: nginx need not linger for the rest of a body
        buf = b""
        try:
            while chunk := s.recv(65536):
                buf += chunk
        except ConnectionResetError:  # nginx may reset after its answer (a body it will not read)
            pass
    head, _, body = buf.partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    headers: dict[str, str] = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        headers.setdefault(k.strip().lower(), v.strip())
    return int(lines[0].split()[1]), headers, body


def healthy_within(port: int, seconds: float) -> None:
    t0 = time.perf_counter()
    assert urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5).status == 200
    assert time.perf_counter() - t0 < seconds


def assert_headers(headers: dict[str, str]) -> None:
    csp = headers["content-security-policy"]
    assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp
    assert headers["x-content-type-options"] == "nosniff" and headers["x-frame-options"] == "DENY"
    assert headers["referrer-policy"] == "no-referrer"
    assert "nginx/" not in headers.get("server", "")


@pytest.mark.parametrize(
    "name,request_bytes,code",
    [
        (
            "413 body over client_max_body_size",
            b"POST /api/v1/trajectories HTTP/1.1\r\nHost: x\r\nContent-Length: 2000000\r\nConnection: close\r\n\r\n",
            413,
        ),
        ("400 broken header", b"GET / HTTP/1.1\r\nHost: x\r\nBad header line\r\nConnection: close\r\n\r\n", 400),
        ("414 URI too long", b"GET /" + b"a" * 20000 + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 414),
    ],
    ids=["413", "400", "414"],
)
def test_nginx_own_error_pages_carry_the_security_headers(proxy, name, request_bytes, code):
    status, headers, _ = raw(proxy, request_bytes)
    assert status == code, name
    assert_headers(headers)


def test_app_answers_keep_their_own_headers_once(proxy):
    conn = http.client.HTTPConnection("127.0.0.1", proxy, timeout=10)
    for path in ("/healthz", "/docs", "/nope"):
        conn.request("GET", path)
        resp = conn.getresponse()
        resp.read()
        csps = resp.headers.get_all("content-security-policy")
        assert len(csps) == 1 and "default-src 'self'" in csps[0], (path, csps)
        assert len(resp.headers.get_all("x-frame-options")) == 1


def test_slow_clients_are_cut_off_and_others_are_served(proxy):
    slow = []
    for i in range(20):  # headers that never end (slowloris), and bodies that never arrive
        s = socket.create_connection(("127.0.0.1", proxy), timeout=10)
        if i % 2:
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        else:
            s.sendall(
                b"POST /api/v1/trajectories HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                b'Content-Length: 500\r\n\r\n{"surface": '
            )
        slow.append(s)
    t0 = time.perf_counter()
    assert urllib.request.urlopen(f"http://127.0.0.1:{proxy}/healthz", timeout=5).status == 200
    assert time.perf_counter() - t0 < 0.5
    for s in slow:  # nginx closes each within its 1 s timeout (+ slack), without passing it on
        s.settimeout(5)
        try:
            while s.recv(4096):
                pass
        except ConnectionResetError:
            pass
        s.close()
    assert time.perf_counter() - t0 < 4
    assert urllib.request.urlopen(f"http://127.0.0.1:{proxy}/healthz", timeout=5).status == 200


def test_two_thousand_slow_connections_do_not_take_the_service_down(proxy):
    """The finding: 2,100 slow connections took the service down through the old config."""
    slow = []
    try:
        for _ in range(2100):
            s = socket.create_connection(("127.0.0.1", proxy), timeout=10)
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")
            slow.append(s)
        healthy_within(proxy, 1.0)
    finally:
        for s in slow:
            s.close()


class Busy(http.server.BaseHTTPRequestHandler):
    """A replica whose every worker is at OPTIVIZ_MAX_REQUESTS: 503 to every request, counted."""

    hits = 0

    def do_GET(self) -> None:
        type(self).hits += 1
        body = b'{"detail": "the server is busy"}'
        self.send_response(503)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.send_header("retry-after", "1")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def test_a_503_does_not_take_a_replica_out_of_rotation(tmp_path):
    """The finding: with max_fails=1 and retries on 503, one 503 took a replica out for 5 s (under a
    class-wide burst, one replica after another). The request is still retried on another one."""
    busy = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Busy)
    threading.Thread(target=busy.serve_forever, daemon=True).start()
    port = free_port()
    app = start_app(port)
    listen = free_port()
    nginx = start_nginx(tmp_path, listen, [busy.server_address[1], port])
    try:
        Busy.hits = 0
        codes = []
        for _ in range(20):  # within fail_timeout of the first 503
            with urllib.request.urlopen(f"http://127.0.0.1:{listen}/healthz", timeout=5) as resp:
                codes.append(resp.status)
        assert codes == [200] * 20  # the busy replica's 503s were retried on the other one
        assert Busy.hits >= 5, Busy.hits  # and it stayed in rotation (round robin: about half)
    finally:
        stop(nginx, app)
        busy.shutdown()


def test_stalled_readers_behind_nginx_stay_within_the_memory_bound(tmp_path):
    """The finding: behind nginx each stalled stream held ~20 MB of the replica for 30 s, and
    limit_conn 32 let one address hold ~640 MB. Now nginx holds at most its buffers (and an 8 MB
    file) per connection, and the replica drops what nginx stops reading at the minimum read rate."""
    port = free_port()
    app, lines = start_app_logged(port, OPTIVIZ_WRITE_TIMEOUT="2", OPTIVIZ_MAX_ANSWER_BYTES=servers.UNBUDGETED)
    listen = free_port()
    nginx = start_nginx(tmp_path, listen, [port])
    socks = []
    peak = 0
    try:
        paths = ["/api/v1/trajectories/stream", "/api/v1/trajectories"] * 8  # 16 of one address's 32
        socks = [ask_big(listen, p, timeout=10) for p in paths]
        deadline = time.time() + 90
        while sum("dropped the answer" in ln for ln in lines) < len(socks):
            assert time.time() < deadline, [ln for ln in lines if "dropped" in ln]
            peak = max(peak, rss_bytes(app.pid))
            time.sleep(0.2)
        healthy_within(listen, 1.0)
    finally:
        for s in socks:
            s.close()
        stop(nginx, app)
    print(f"peak replica RSS {peak / 2**20:.0f} MiB")
    assert peak < WORKER_MEMORY_BYTES, peak / 2**20
    assert all("bytes/s" in ln or "send budget" in ln for ln in lines if "dropped the answer" in ln)
