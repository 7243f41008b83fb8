"""Classroom capacity: how many studio sessions per second one replica serves (docs/deploy.md).

A session is what the studio's browser asks for (recorded with Playwright on the default page):
a first visit with an empty cache (the page, its CSS, 15 scripts, plotly.min.js, limits, messages,
the catalogue of surfaces, optimizers and schedules, the contour grid and one stream of 4 runs ×
300 steps with internals), then EDITS edits: three new learning rates (a stream each) and a
change of surface (its grid and a stream). Every request asks for gzip, as a browser does.

SESSIONS client threads replay sessions back to back over keep-alive connections for SECONDS
against one replica (``optiviz serve --workers W``) on loopback, and count finished sessions,
requests and stream latencies. The clients read each answer to its end (no decoding), so their
own CPU is small beside the server's; they share the machine with it all the same.

    python -m bench.session [--workers 2] [--sessions 8] [--seconds 20] [--parts session,visit,edit]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import statistics
import threading
import time

from tests.deploy.servers import free_port, start_app, stop

STATIC = ["/", "/static/css/app.css", "/static/vendor/plotly.min.js"] + [
    f"/static/js/{n}.js"
    for n in (
        "main",
        "api",
        "export",
        "format",
        "i18n",
        "player",
        "plots",
        "render",
        "runner",
        "sidebar",
        "state",
        "store",
        "url",
        "controls",
        "tables",
    )
]
CATALOGUE = [
    "/api/v1/limits",
    "/api/v1/messages?lang=en",
    "/api/v1/surfaces?lang=en",
    "/api/v1/optimizers?lang=en",
    "/api/v1/schedules?lang=en",
]
RUNS = [("gd", 0.49), ("momentum", 0.49), ("rmsprop", 0.1), ("adam", 0.3)]


def stream_body(surface: str, scale: float = 1.0) -> dict:
    return {
        "surface": surface,
        "steps": 300,
        "seed": 0,
        "tolerance": 0,
        "include_state": True,
        "runs": [{"optimizer": o, "params": {"lr": lr * scale}} for o, lr in RUNS],
    }


def session_requests() -> list[tuple[str, str, dict | None, bool]]:
    """(method, path, body, is_stream) in the order the studio sends them."""
    out = [("GET", p, None, False) for p in STATIC + CATALOGUE]
    out.append(("POST", "/api/v1/grid", {"surface": "elongated_bowl", "n": 120}, False))
    out.append(("POST", "/api/v1/trajectories/stream", stream_body("elongated_bowl"), True))
    for scale in (0.5, 0.8, 0.9):  # three learning-rate edits
        out.append(("POST", "/api/v1/trajectories/stream", stream_body("elongated_bowl", scale), True))
    out.append(("POST", "/api/v1/grid", {"surface": "rosenbrock", "n": 120}, False))  # a new surface
    out.append(("POST", "/api/v1/trajectories/stream", stream_body("rosenbrock", 0.01), True))
    return out


def plan_for(part: str) -> list[tuple[str, str, dict | None, bool]]:
    """``session``: the whole session; ``visit``: the first visit only (up to its first stream);
    ``edit``: one edit (a stream of 4 × 300 with internals; the page is already loaded)."""
    plan = session_requests()
    first = next(i for i, r in enumerate(plan) if r[3])
    return {"session": plan, "visit": plan[: first + 1], "edit": plan[first + 1 : first + 2]}[part]


def measure(base_port: int, sessions: int, seconds: float, part: str = "session") -> dict:
    plan = plan_for(part)
    lock = threading.Lock()
    done = {"sessions": 0, "requests": 0, "errors": 0, "stream_s": [], "bytes": 0}
    stop_at = time.monotonic() + seconds

    def client() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", base_port, timeout=60)
        while time.monotonic() < stop_at:
            n = nbytes = errors = 0
            streams = []
            for method, path, body, is_stream in plan:
                t0 = time.perf_counter()
                data = None if body is None else json.dumps(body).encode()
                try:
                    conn.request(
                        method, path, body=data, headers={"accept-encoding": "gzip", "content-type": "application/json"}
                    )
                    resp = conn.getresponse()
                    nbytes += len(resp.read())
                    errors += resp.status != 200
                except (OSError, http.client.HTTPException):
                    errors += 1
                    conn.close()
                    conn = http.client.HTTPConnection("127.0.0.1", base_port, timeout=60)
                n += 1
                if is_stream:
                    streams.append(time.perf_counter() - t0)
            with lock:
                done["requests"] += n
                done["errors"] += errors
                done["bytes"] += nbytes
                done["stream_s"] += streams
                if time.monotonic() <= stop_at + 5:
                    done["sessions"] += 1
        conn.close()

    t0 = time.monotonic()
    threads = [threading.Thread(target=client) for _ in range(sessions)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.monotonic() - t0
    s = sorted(done["stream_s"])
    return {
        "part": part,
        "per_s": done["sessions"] / wall,
        "requests_per_s": done["requests"] / wall,
        "requests_each": len(plan),
        "errors": done["errors"],
        "wall_s": wall,
        "stream_p50_ms": 1000 * statistics.median(s),
        "stream_p95_ms": 1000 * s[int(0.95 * (len(s) - 1))],
        "mb_each": done["bytes"] / max(done["sessions"], 1) / 1e6,
    }


def rss_mb(pid: int) -> float:
    """Resident memory of a process and its children (uvicorn's workers), in MB."""
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        try:
            with open(f"/proc/{p}/status") as f:
                total += next(int(line.split()[1]) for line in f if line.startswith("VmRSS"))
            with open(f"/proc/{p}/task/{p}/children") as f:
                todo += [int(c) for c in f.read().split()]
        except (OSError, StopIteration):
            pass
    return total / 1024


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--sessions", type=int, default=8)
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument("--parts", default="session,visit,edit", help="which of session, visit, edit to measure")
    args = ap.parse_args()
    port = free_port()
    app = start_app(port, OPTIVIZ_WORKERS=str(args.workers))
    try:
        measure(port, 2, 3)  # warm-up: caches, compiled kernels loaded in every worker
        for part in args.parts.split(","):
            out = measure(port, args.sessions, args.seconds, part)
            out.update(workers=args.workers, clients=args.sessions, cpus=os.cpu_count(), load=os.getloadavg()[0])
            print(json.dumps({k: round(v, 2) if isinstance(v, float) else v for k, v in out.items()}), flush=True)
        print(json.dumps({"rss_mb": round(rss_mb(app.pid), 1)}))
    finally:
        stop(app)


if __name__ == "__main__":
    main()
