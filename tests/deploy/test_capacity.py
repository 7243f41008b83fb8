"""What a worker gives its clients at most, on a real server on loopback: idle sockets hold no
capacity that requests need (one worker and two), open connections are capped by closing the idle
ones, plain uvicorn keeps the app's request limit, and slow or stalled readers of big answers are
cut off (sockets aborted) while the worker's memory stays under its stated bound."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

import pytest

from app.api.capacity import WORKER_MEMORY_BYTES
from tests.deploy.servers import (
    BIG_ANSWER,
    ROOT,
    UNBUDGETED,
    ask_big,
    free_port,
    rss_bytes,
    start_app,
    start_app_logged,
    stop,
    wait_up,
)


def health(base: str) -> tuple[int, float]:
    t0 = time.perf_counter()
    try:
        with urllib.request.urlopen(f"{base}/healthz", timeout=5) as resp:
            return resp.status, time.perf_counter() - t0
    except urllib.error.HTTPError as err:
        return err.code, time.perf_counter() - t0


class IdleSockets:
    """``n`` sockets that connect and send nothing, each re-opened as soon as the server closes it
    (what a crowd of idle or abandoned clients does), until stopped."""

    def __init__(self, port: int, n: int) -> None:
        self.port, self.n = port, n
        self.opened = self.closed_by_server = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> IdleSockets:
        self._thread.start()
        while self.opened < self.n and self._thread.is_alive():
            time.sleep(0.05)
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(10)

    def _open(self) -> socket.socket:
        s = socket.create_connection(("127.0.0.1", self.port), timeout=5)
        s.setblocking(False)
        self.opened += 1
        return s

    def _run(self) -> None:
        socks = [self._open() for _ in range(self.n)]
        try:
            while not self._stop.is_set():
                for i, s in enumerate(socks):
                    try:
                        if s.recv(1) == b"":  # closed by the server: open another
                            raise ConnectionResetError
                    except BlockingIOError:
                        continue
                    except OSError:
                        s.close()
                        self.closed_by_server += 1
                        socks[i] = self._open()
                time.sleep(0.05)
        finally:
            for s in socks:
                s.close()


@pytest.mark.parametrize("workers,idle", [(1, 300), (2, 600)])
def test_idle_sockets_hold_no_capacity(workers: int, idle: int) -> None:
    """The finding: 300 idle sockets re-opened every 10 s made every /healthz a 503 (uvicorn's
    limit_concurrency counted them). Here they are re-opened every second."""
    port = free_port()
    proc = start_app(port, OPTIVIZ_WORKERS=str(workers), OPTIVIZ_HEADER_TIMEOUT="1")
    base = f"http://127.0.0.1:{port}"
    try:
        with IdleSockets(port, idle) as crowd:
            probes = []
            t0 = time.perf_counter()
            while time.perf_counter() - t0 < 3:
                probes.append(health(base))
                time.sleep(0.05)
            assert crowd.closed_by_server >= idle // 2  # they were re-opened throughout
        assert len(probes) >= 20
        assert all(code == 200 for code, _ in probes), [code for code, _ in probes]
        assert max(t for _, t in probes) < 1.0, max(t for _, t in probes)
    finally:
        stop(proc)


def test_open_connections_are_capped_by_closing_the_idle_ones() -> None:
    port = free_port()
    proc = start_app(port, OPTIVIZ_MAX_CONNECTIONS="50")
    base = f"http://127.0.0.1:{port}"
    socks = []
    try:
        for _ in range(200):  # idle: no request, and the head timeout (10 s) is far off
            socks.append(socket.create_connection(("127.0.0.1", port), timeout=5))
        code, seconds = health(base)
        assert code == 200 and seconds < 1.0
        closed = 0
        for s in socks:
            s.settimeout(0.5)
            try:
                closed += s.recv(1) == b""
            except TimeoutError:
                pass
            except ConnectionResetError:
                closed += 1
        assert closed >= 200 - 50, closed  # the server kept at most its cap open
    finally:
        for s in socks:
            s.close()
        stop(proc)


def test_plain_uvicorn_keeps_the_request_limit() -> None:
    """`uvicorn app.main:app`, without `optiviz serve`: requests in progress are still bounded."""
    port = free_port()
    env = dict(os.environ, OPTIVIZ_MAX_REQUESTS="2", OPTIVIZ_BODY_TIMEOUT="30")
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "app.main:app", "--port", str(port), "--log-level", "warning"],
        cwd=ROOT,
        env=env,
    )
    base = f"http://127.0.0.1:{port}"
    held = []
    try:
        wait_up(f"{base}/healthz", proc)
        for _ in range(2):  # two requests in progress: their bodies are still arriving
            s = socket.create_connection(("127.0.0.1", port), timeout=10)
            s.sendall(
                b"POST /api/v1/trajectories HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                b'Content-Length: 100\r\n\r\n{"surface"'
            )
            held.append(s)
        time.sleep(0.2)  # the server has read both heads (no state to await from outside)
        try:
            urllib.request.urlopen(f"{base}/healthz", timeout=5)
            raise AssertionError("a third request in progress was served")
        except urllib.error.HTTPError as err:
            assert err.code == 503 and err.headers["retry-after"] == "1"
            assert "busy" in json.loads(err.read())["detail"]
        for s in held:
            s.close()
        held.clear()
        deadline = time.time() + 5
        while health(base)[0] != 200:  # the closed requests give their places back
            assert time.time() < deadline
            time.sleep(0.05)
    finally:
        for s in held:
            s.close()
        stop(proc)


def tcp_state(s: socket.socket) -> str:
    """The client socket's TCP state: "reset" once the server aborted it (RST), "closed" once the
    server closed it in order (FIN), else "open". Data already received stays readable either way."""
    state = s.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 1)[0]
    return {7: "reset", 8: "closed"}.get(state, "open")  # TCP_CLOSE, TCP_CLOSE_WAIT


def _arrived(s: socket.socket) -> bool:
    """Whether the answer has begun to arrive on this socket (without reading it)."""
    try:
        return bool(s.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT))
    except BlockingIOError:
        return False
    except OSError:  # reset: it had begun, and was dropped
        return True


def _trickle(s: socket.socket, out: list[str], stop_at: float) -> None:
    """Read 4 KB every 5 s until the server ends the connection (or the test's time is up)."""
    while time.time() < stop_at:
        state = tcp_state(s)
        if state != "open":
            out.append(state)
            return
        s.recv(4096)
        time.sleep(5)
    out.append("open")


def test_slow_and_stalled_readers_of_big_answers_stay_within_the_memory_bound() -> None:
    """The finding: ten clients reading 4 KB every 5 s took a worker from 374 MB to 1,022 MB, and
    stalled streams kept ~10 MB each in sockets that were closed, not aborted."""
    port = free_port()
    proc, lines = start_app_logged(port, OPTIVIZ_WRITE_TIMEOUT="2", OPTIVIZ_MAX_ANSWER_BYTES=UNBUDGETED)
    base = f"http://127.0.0.1:{port}"
    outcomes: list[str] = []
    peak = 0
    probes = []
    try:
        warm = urllib.request.Request(  # the kernels loaded (a fresh worker loads them at first use)
            f"{base}/api/v1/trajectories",
            data=json.dumps(dict(BIG_ANSWER, steps=100)).encode(),
            headers={"content-type": "application/json"},
        )
        assert urllib.request.urlopen(warm, timeout=60).status == 200
        clients = [ask_big(port, "/api/v1/trajectories") for _ in range(10)]  # trickle readers
        stalled = [ask_big(port, "/api/v1/trajectories/stream") for _ in range(4)]  # read nothing
        stalled += [ask_big(port, "/api/v1/trajectories") for _ in range(2)]
        stop_at = time.time() + 60
        threads = [threading.Thread(target=_trickle, args=(s, outcomes, stop_at)) for s in clients]
        for t in threads:
            t.start()
        # every answer computed and begun: /healthz is timed from there, on the readers' part (while
        # 66 MB answers are serialized, orjson holds the GIL in the worker threads)
        while not all(_arrived(s) for s in clients + stalled):
            assert time.time() < stop_at, "the answers did not begin"
            peak = max(peak, rss_bytes(proc.pid))
            time.sleep(0.1)
        probing = time.time() + 3
        while any(t.is_alive() for t in threads) or time.time() < probing:
            peak = max(peak, rss_bytes(proc.pid))
            probes.append(health(base))
            time.sleep(0.2)
        outcomes += [tcp_state(s) for s in stalled]  # aborted too
    finally:
        stop(proc)
    print(f"peak worker RSS {peak / 2**20:.0f} MiB; healthz max {max(t for _, t in probes):.3f} s")
    assert outcomes == ["reset"] * 16, (outcomes, lines[-10:], peak / 2**20)
    assert peak < WORKER_MEMORY_BYTES, peak / 2**20
    assert all(code == 200 for code, _ in probes) and max(t for _, t in probes) < 1.0, probes
    dropped = [ln for ln in lines if "dropped the answer" in ln]
    assert len(dropped) == 16 and all("bytes/s" in ln or "send budget" in ln for ln in dropped), dropped
    assert not any("Traceback" in ln for ln in lines), "".join(lines)[-3000:]
