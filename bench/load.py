"""Load benchmark: wrk against ONE app worker on loopback; every figure is relative to the same run.

- requests/s of a small trajectory request (4 runs × 200 steps, POSTed by a wrk Lua script) as a
  share of /healthz's, at the same concurrency: the same body every time (after the first, answered
  from the lean path's memory of answers, as a class opening the same page), and a different body
  every time (each request's lr differs: every answer computed);
- p99 latency of /healthz idle, and while two clients keep heavy requests running (same
  concurrency for both);
- errors (non-2xx, socket errors, failed heavy requests) in every load run: the goal is zero.

Each wrk run lasts a few seconds (about 45 s in all). wrk runs with one thread so that the other
core is left to the server. ``python -m bench.load`` exits 1 if any run had an error; ``make bench``
runs it via ``python -m bench`` (``main()``).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import statistics
import subprocess
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

import orjson

from tests.deploy.servers import free_port, start_app, stop

SMALL = {
    "surface": "rosenbrock",
    "steps": 200,
    "runs": [{"optimizer": o, "params": {"lr": 0.001}} for o in ("gd", "momentum", "rmsprop", "adam")],
}
HEAVY = {"surface": "logistic_regression", "steps": 5000, "runs": [{"optimizer": "adam", "batch_size": 1}] * 8}
SECONDS = 5
ROUNDS, ROUND_SECONDS = 5, 2  # /healthz and the small request, alternately; medians
THROUGHPUT_CONNECTIONS = 8
LATENCY_CONNECTIONS = 4


def wrk(url: str, connections: int, lua: str | None = None, seconds: int = SECONDS) -> dict:
    cmd = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s", "--latency"]
    if lua:
        cmd += ["-s", lua]
    out = subprocess.run([*cmd, url], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)\b", out)
    scale = {"us": 1e-3, "ms": 1.0, "s": 1e3}[p99.group(2)]
    errors = 0
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors += int(m.group(1)) if m else 0
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    errors += sum(map(int, m.groups())) if m else 0
    return {"rps": rps, "p99_ms": float(p99.group(1)) * scale, "errors": errors}


def breakdown(rounds: int = 7, n: int = 200) -> dict[str, float]:
    """Where a small request's CPU time goes, in-process (no sockets): µs per request, medians of
    rotating rounds. The whole ASGI app (/healthz; the small request with the lean path of
    app/api/fast.py and without it) and the parts of the lean path's work."""
    import asyncio

    from app.api import fast
    from app.api.routes.trajectories import answer as route_answer
    from app.api.schemas import TrajectoryRequest
    from app.api.service import build_problem, trajectories
    from app.api.strict import dumps
    from app.main import app

    body = json.dumps(SMALL).encode()

    async def call(path: str, method: str, data: bytes) -> None:
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": method,
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "query_string": b"",
            "root_path": "",
            "headers": [
                (b"host", b"127.0.0.1"),
                (b"content-type", b"application/json"),
                (b"content-length", str(len(data)).encode()),
            ],
            "client": ("127.0.0.1", 1),
            "server": ("127.0.0.1", 8000),
            "state": {},
        }
        messages = [{"type": "http.request", "body": data, "more_body": False}]

        async def receive() -> dict:
            return messages.pop() if messages else {"type": "http.disconnect"}

        async def send(message: dict) -> None:
            pass

        await app(scope, receive, send)

    problem = build_problem(TrajectoryRequest.model_validate(orjson.loads(body)))
    answer = trajectories(problem, arrays=True)

    async def measure() -> dict[str, list[float]]:
        async def health() -> None:
            await call("/healthz", "GET", b"")

        async def lean() -> None:
            fast.ENABLED = True
            fast.clear_answers()  # computed every time
            await call("/api/v1/trajectories", "POST", body)

        async def remembered() -> None:
            fast.ENABLED = True
            await call("/api/v1/trajectories", "POST", body)

        async def full() -> None:
            fast.ENABLED = False
            try:
                await call("/api/v1/trajectories", "POST", body)
            finally:
                fast.ENABLED = True

        async def sync(fn) -> None:
            fn()

        cases = {
            "/healthz, whole app": health,
            "small request, lean path, computed": lean,
            "small request, lean path, a body seen before (answered from memory)": remembered,
            "small request, FastAPI route": full,
            "  parse + validate (orjson, TrajectoryRequest)": lambda: sync(
                lambda: TrajectoryRequest.model_validate(orjson.loads(body))
            ),
            "  build_problem": lambda: sync(
                lambda: build_problem(TrajectoryRequest.model_validate(orjson.loads(body)))
            ),
            "  engine: 4 runs × 200 steps with the answer's arrays": lambda: sync(
                lambda: trajectories(problem, arrays=True)
            ),
            "  orjson of the answer (67 KB)": lambda: sync(lambda: dumps(answer)),
            "  the route's answer (engine + orjson)": lambda: sync(lambda: route_answer(problem)),
        }
        out: dict[str, list[float]] = {k: [] for k in cases}
        for fn in cases.values():
            await fn()
        for _ in range(rounds):
            for name, fn in cases.items():
                t0 = time.process_time()
                for _ in range(n):
                    await fn()
                out[name].append((time.process_time() - t0) / n * 1e6)
        return out

    med = {k: statistics.median(v) for k, v in asyncio.run(measure()).items()}
    med["  build_problem"] -= med["  parse + validate (orjson, TrajectoryRequest)"]
    return med


def _median(runs: list[dict]) -> dict:
    """The run of median requests/s, with the errors of every run."""
    mid = sorted(runs, key=lambda r: r["rps"])[len(runs) // 2]
    return dict(mid, errors=sum(r["errors"] for r in runs))


def main() -> dict:
    if not shutil.which("wrk"):
        print("wrk not found (`make bench` installs it with system-deps): load benchmark skipped")
        return {}
    load_before = os.getloadavg()[0]
    port = free_port()
    proc = start_app(port)  # one worker (OPTIVIZ_WORKERS defaults to 1)
    base = f"http://127.0.0.1:{port}"
    tmp = Path(tempfile.mkdtemp())
    lua = tmp / "post.lua"
    lua.write_text(
        'wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\n'
        f"wrk.body = {json.dumps(json.dumps(SMALL))}\n"
    )
    varied = tmp / "varied.lua"  # every body different: the lr of the runs is 0.001 + n·1e-12
    template = json.dumps(SMALL).replace("%", "%%").replace('"lr": 0.001', '"lr": %.15g')
    varied.write_text(
        f"n = 0\ntemplate = {json.dumps(template)}\n"
        "request = function()\n  n = n + 1\n"
        "  local lr = 0.001 + n * 1e-12\n"
        "  local b = string.format(template, lr, lr, lr, lr)\n"
        '  return wrk.format("POST", nil, {["Content-Type"] = "application/json"}, b)\nend\n'
    )
    heavy_done, heavy_failed = [0], [0]
    try:
        wrk(f"{base}/healthz", THROUGHPUT_CONNECTIONS, seconds=1)  # warm up (the first trajectory
        wrk(f"{base}/api/v1/trajectories", THROUGHPUT_CONNECTIONS, lua=str(lua), seconds=1)  # loads the kernels)
        healths, smalls, fresh = [], [], []
        for _ in range(ROUNDS):  # rotating rounds: a load spike from elsewhere hits every side alike
            healths.append(wrk(f"{base}/healthz", THROUGHPUT_CONNECTIONS, seconds=ROUND_SECONDS))
            smalls.append(
                wrk(f"{base}/api/v1/trajectories", THROUGHPUT_CONNECTIONS, lua=str(lua), seconds=ROUND_SECONDS)
            )
            fresh.append(
                wrk(f"{base}/api/v1/trajectories", THROUGHPUT_CONNECTIONS, lua=str(varied), seconds=ROUND_SECONDS)
            )
        health, small, computed = _median(healths), _median(smalls), _median(fresh)
        shares = sorted(s["rps"] / h["rps"] for h, s in zip(healths, smalls, strict=True))
        fresh_shares = sorted(s["rps"] / h["rps"] for h, s in zip(healths, fresh, strict=True))
        idle = wrk(f"{base}/healthz", LATENCY_CONNECTIONS)
        stop_flag = threading.Event()

        def heavy_loop() -> None:
            body = json.dumps(HEAVY).encode()
            while not stop_flag.is_set():
                req = urllib.request.Request(
                    f"{base}/api/v1/trajectories",
                    data=body,
                    method="POST",
                    headers={"content-type": "application/json"},
                )
                try:
                    urllib.request.urlopen(req, timeout=120).read()
                    heavy_done[0] += 1
                except OSError:
                    heavy_failed[0] += 1

        heavy = [threading.Thread(target=heavy_loop, daemon=True) for _ in range(2)]
        for t in heavy:
            t.start()
        time.sleep(0.5)  # both heavy computations are under way
        loaded = wrk(f"{base}/healthz", LATENCY_CONNECTIONS)
        stop_flag.set()
        for t in heavy:
            t.join(120)
    finally:
        stop(proc)
        shutil.rmtree(tmp, ignore_errors=True)
    share, fresh_share = statistics.median(shares), statistics.median(fresh_shares)
    errors = (
        health["errors"] + small["errors"] + computed["errors"] + idle["errors"] + loaded["errors"] + heavy_failed[0]
    )
    n_cpu = os.cpu_count()
    print(
        f"\n## Load (wrk, one app worker, loopback, {n_cpu} CPUs, load average before {load_before:.1f}, "
        f"after {os.getloadavg()[0]:.1f})\n"
    )
    print("| measure | value | errors |")
    print("|---|---|---|")
    print(f"| `/healthz`, {THROUGHPUT_CONNECTIONS} connections | {health['rps']:.0f} req/s | {health['errors']} |")
    print(
        f"| small trajectory request (4 runs × 200 steps), {THROUGHPUT_CONNECTIONS} connections "
        f"| {small['rps']:.0f} req/s = **{share:.0%}** of `/healthz` (goal ≥ 50 %; p99 {small['p99_ms']:.1f} ms; "
        f"{ROUNDS} alternating rounds of {ROUND_SECONDS} s, medians; per-round shares "
        f"{', '.join(f'{x:.0%}' for x in shares)}; the same body each time: answered from memory) | {small['errors']} |"
    )
    print(
        f"| the same, a different body each time (every answer computed) | {computed['rps']:.0f} req/s = "
        f"**{fresh_share:.0%}** of `/healthz` (p99 {computed['p99_ms']:.1f} ms; per-round shares "
        f"{', '.join(f'{x:.0%}' for x in fresh_shares)}) | {computed['errors']} |"
    )
    print(f"| `/healthz` p99, {LATENCY_CONNECTIONS} connections, idle | {idle['p99_ms']:.1f} ms | {idle['errors']} |")
    print(
        f"| `/healthz` p99, {LATENCY_CONNECTIONS} connections, while 2 clients run heavy requests "
        f"(8 runs × 5000 steps, batch size 1) | **{loaded['p99_ms']:.1f} ms** ({loaded['rps']:.0f} req/s) "
        f"| {loaded['errors']} |"
    )
    print(f"| heavy requests answered during that run | {heavy_done[0]} | {heavy_failed[0]} |")
    print(f"\n{'zero errors in every run' if errors == 0 else f'ERRORS: {errors}'}")
    parts = breakdown()
    print(
        f"\n### Where a small request's time goes (in-process, CPU µs per request, medians of rotating rounds; "
        f"load average {os.getloadavg()[0]:.1f})\n"
    )
    print("| part | µs |")
    print("|---|---|")
    for name, us in parts.items():
        print(f"| {name.strip() if not name.startswith('  ') else '· ' + name.strip()} | {us:.0f} |")
    return {
        "health": health,
        "small": small,
        "computed": computed,
        "idle": idle,
        "loaded": loaded,
        "share": share,
        "computed_share": fresh_share,
        "heavy_done": heavy_done[0],
        "errors": errors,
        "ok": errors == 0,
        "breakdown": parts,
    }


if __name__ == "__main__":
    raise SystemExit(0 if main().get("ok", True) else 1)
