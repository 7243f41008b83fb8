"""Load benchmark: wrk against one worker on loopback, every figure relative to the same run.

- requests/s of a small trajectory request (4 runs × 200 steps) as a share of /healthz's
  (goal: at least half);
- p99 latency of /healthz while heavy requests run;
- zero errors (non-2xx or socket errors) in every load run.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

from tests.deploy.servers import free_port, start_app, stop

SMALL = {"surface": "rosenbrock", "steps": 200,
         "runs": [{"optimizer": o, "params": {"lr": 0.001}} for o in ("gd", "momentum", "rmsprop", "adam")]}
HEAVY = {"surface": "logistic_regression", "steps": 5000, "runs": [{"optimizer": "adam", "batch_size": 1}] * 8}


def wrk(url: str, seconds: int = 5, connections: int = 16, lua: str | None = None) -> dict:
    cmd = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency"]
    if lua:
        cmd += ["-s", lua]
    out = subprocess.run(cmd + [url], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    scale = {"us": 1e-3, "ms": 1.0, "s": 1e3}[p99.group(2)]
    errors = 0
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors += int(m.group(1)) if m else 0
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    errors += sum(map(int, m.groups())) if m else 0
    return {"rps": rps, "p99_ms": float(p99.group(1)) * scale, "errors": errors}


def main() -> dict:
    if not shutil.which("wrk"):
        print("wrk not found (`make bench` installs it): load benchmark skipped")
        return {}
    port = free_port()
    proc = start_app(port)
    base = f"http://127.0.0.1:{port}"
    tmp = Path(tempfile.mkdtemp())
    lua = tmp / "post.lua"
    lua.write_text('wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\n'
                   f"wrk.body = {json.dumps(json.dumps(SMALL))}\n")
    try:
        health = wrk(f"{base}/healthz")
        small = wrk(f"{base}/api/v1/trajectories", lua=str(lua))
        stop_flag = threading.Event()

        def heavy_loop():
            body = json.dumps(HEAVY).encode()
            while not stop_flag.is_set():
                req = urllib.request.Request(f"{base}/api/v1/trajectories", data=body, method="POST",
                                             headers={"content-type": "application/json"})
                urllib.request.urlopen(req, timeout=120).read()

        heavy = [threading.Thread(target=heavy_loop, daemon=True) for _ in range(2)]
        for t in heavy:
            t.start()
        time.sleep(0.5)
        loaded = wrk(f"{base}/healthz", connections=4)
        stop_flag.set()
    finally:
        stop(proc)
    share = small["rps"] / health["rps"]
    print("\n## Load (wrk, one worker, loopback)\n")
    print("| measure | value | goal |")
    print("|---|---|---|")
    print(f"| /healthz | {health['rps']:.0f} req/s | baseline |")
    print(f"| small trajectory request (4 runs × 200 steps) | {small['rps']:.0f} req/s = {share:.0%} of /healthz | ≥ 50 % |")
    print(f"| /healthz p99 while 2 heavy requests run | {loaded['p99_ms']:.1f} ms (idle p99 {health['p99_ms']:.1f} ms) | prompt |")
    print(f"| errors | {health['errors'] + small['errors'] + loaded['errors']} | 0 |")
    return {"health": health, "small": small, "loaded": loaded, "share": share}


if __name__ == "__main__":
    main()
