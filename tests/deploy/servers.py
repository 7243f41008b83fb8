"""Start real app processes (and nginx) on loopback for deployment tests."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
NGINX = "/usr/sbin/nginx"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_up(url: str, proc: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.time() + timeout
    while True:
        try:
            urllib.request.urlopen(url, timeout=1)
            return
        except OSError:
            if proc.poll() is not None or time.time() > deadline:
                raise RuntimeError(f"{url} did not come up") from None
            time.sleep(0.1)


def start_app(port: int, stderr: object = None, **env: str) -> subprocess.Popen:
    # no start-up training of the network lesson (OPTIVIZ_WARM_UP): these servers time their CPU
    full = dict(os.environ, OPTIVIZ_LOG_LEVEL="warning", OPTIVIZ_WARM_UP="0")
    full.update(env)
    proc = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "serve", "--port", str(port)], cwd=ROOT, env=full, stderr=stderr
    )
    wait_up(f"http://127.0.0.1:{port}/healthz", proc)
    return proc


def start_app_logged(port: int, **env: str) -> tuple[subprocess.Popen, list[str]]:
    """An app whose log lines (stderr) are collected, as they come, into the list returned."""
    proc = start_app(port, stderr=subprocess.PIPE, **env)
    lines: list[str] = []
    threading.Thread(target=lambda: lines.extend(ln.decode() for ln in proc.stderr), daemon=True).start()
    return proc, lines


def start_nginx(
    tmp: Path, listen: int, upstreams: list[int], replace: dict[str, str] | None = None
) -> subprocess.Popen:
    """deploy/nginx.conf with this test's ports, in a private prefix (pid, logs, temp files in tmp);
    ``replace``: more text substitutions (e.g. shorter timeouts), each of which must apply."""
    conf = (ROOT / "deploy/nginx.conf").read_text()
    params = re.search(r"upstream optiviz \{\n\s*server \S+ ([^\n]*);\n", conf)
    assert params, "deploy/nginx.conf: no `upstream optiviz { server ...; }` block"
    servers = "".join(f"        server 127.0.0.1:{p} {params.group(1)};\n" for p in upstreams)  # the config's own
    conf, n = re.subn(r"(upstream optiviz \{\n)(?:\s*server [^\n]*\n)+", lambda m: m.group(1) + servers, conf)
    assert n == 1, "deploy/nginx.conf: no `upstream optiviz { server ...; }` block"
    edits = [
        ("listen 8080;", f"listen 127.0.0.1:{listen};"),
        (
            "worker_processes auto;",
            "worker_processes 2;\n"
            + ("user root;\n" if os.geteuid() == 0 else "")
            + "pid nginx.pid;\nerror_log error.log;",
        ),
        (
            "http {",
            "http {\n    access_log off;\n    client_body_temp_path tmp_body;\n    proxy_temp_path tmp_proxy;\n"
            "    fastcgi_temp_path tmp_fcgi;\n    uwsgi_temp_path tmp_uwsgi;\n    scgi_temp_path tmp_scgi;",
        ),
    ]
    for old, new in [*edits, *(replace or {}).items()]:
        assert old in conf, f"deploy/nginx.conf: expected {old!r}"
        conf = conf.replace(old, new, 1)
    (tmp / "nginx.conf").write_text(conf)
    cmd = [NGINX, "-p", str(tmp), "-e", str(tmp / "error.log"), "-c", str(tmp / "nginx.conf")]
    check = subprocess.run([*cmd, "-t"], capture_output=True, text=True)
    assert check.returncode == 0, check.stderr
    proc = subprocess.Popen([*cmd, "-g", "daemon off;"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    wait_up(f"http://127.0.0.1:{listen}/healthz", proc)
    return proc


def stop(*procs: subprocess.Popen) -> None:
    for p in procs:
        if p.poll() is None:
            p.terminate()
    for p in procs:
        try:
            p.wait(10)
        except subprocess.TimeoutExpired:
            p.kill()


# a big answer produced fast: 16 runs × 20,000 steps with the optimizers' internals (~66 MB of
# JSON, ~1 s of computation on an analytic surface)
BIG_ANSWER = {
    "surface": "rosenbrock",
    "steps": 20000,
    "tolerance": 0,
    "include_state": True,
    "runs": [{"optimizer": "adam", "params": {"lr": 1e-4}}] * 16,
}


# the answers' budget (OPTIVIZ_MAX_ANSWER_BYTES, 64 MB: one BIG_ANSWER, estimated at 84 MB, is refused
# with a 422 that points to the stream) raised, so that the tests of the readers' guards (minimum
# read rate, send budget, resets) see the memory those alone bound: the worst an operator can set
UNBUDGETED = "2000000000"


def ask_big(port: int, path: str, timeout: float = 60) -> socket.socket:
    """A socket that has asked for `BIG_ANSWER` at ``path`` and read nothing yet."""
    body = json.dumps(BIG_ANSWER).encode()
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    s.sendall(
        b"POST %s HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n"
        % (path.encode(), len(body))
        + body
    )
    return s


def rss_bytes(pid: int) -> int:
    """A process's resident memory (VmRSS)."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


def timed_events(resp, t0: float) -> list[tuple[float, str, bytes]]:
    """Read a server-sent event stream to its end: (seconds since t0 at arrival, event name, data)."""
    events, buf = [], b""
    while True:
        chunk = resp.read1(1 << 20)
        if not chunk:
            return events
        buf += chunk
        *blocks, buf = buf.split(b"\n\n")
        for block in blocks:
            head, _, rest = block.partition(b"\n")
            name = head.decode().removeprefix("event: ") if head.startswith(b"event: ") else "message"
            data = rest.split(b"data: ", 1)[1] if b"data: " in rest else b""
            events.append((time.perf_counter() - t0, name, data))
