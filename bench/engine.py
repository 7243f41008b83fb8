"""Engine and API benchmarks, each a ratio against a baseline measured in the same run.

- 8 runs × 1000 steps (the 8 optimizers, Rosenbrock): request to the last byte of the JSON
  answer over HTTP (a real uvicorn server on loopback) vs torch.optim computing the same 8
  trajectories in-process. Goal ≥ 300×. Then 16 runs (two learning rates each).
- The engine alone on the same 8 × 1000 (compiled single runs, every point recorded): goal
  ≤ 100 ns per optimizer-step.
- Engine cost per optimizer-step at 1, 16 and 10,000 rows (Adam, Rosenbrock): single runs and
  lanes, vs torch stepping the same rows as one batched tensor with autograd.
- JSON encoding of a large answer (16 runs × 5000 steps) as a share of the request's time.
- Cold start: a new server process to its first trajectory answered (kernels loaded from the
  install-time cache). Goal ≤ 1 s.

Figures are medians of several rounds (the machine is shared).
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import orjson

from app.api.schemas import TrajectoryRequest
from app.api.service import build_problem, trajectories
from app.engine.runner import LockstepRuns, ScalarRun
from app.registry import OPTIMIZER_IDS

ROOT = Path(__file__).resolve().parent.parent
START = [-1.2, 1.0]
LRS = {"adadelta": 1.0}  # AdaDelta's lr is a multiplier; the rest share one rate


# the eight (the registry has more now; the torch side implements these)
EIGHT = ("gd", "momentum", "nesterov", "adagrad", "rmsprop", "adadelta", "adam", "adamw")
assert set(EIGHT) <= set(OPTIMIZER_IDS)


def _runs(lrs: tuple[float, ...]) -> list[tuple[str, float]]:
    return [(o, LRS.get(o, lr)) for lr in lrs for o in EIGHT]


def _body(runs: list[tuple[str, float]], steps: int) -> dict:
    return {
        "surface": "rosenbrock",
        "start": START,
        "steps": steps,
        "runs": [{"optimizer": o, "params": {"lr": lr}} for o, lr in runs],
    }


REQUESTS = {"8x1000": (_runs((1e-3,)), 1000), "16x1000": (_runs((1e-3, 5e-4)), 1000)}


def torch_python() -> str | None:
    candidates = [os.environ.get("OPTIVIZ_TORCH_PYTHON"), sys.executable, str(ROOT / ".venv-torch/bin/python")]
    for py in candidates:
        if py and Path(py).exists():
            ok = subprocess.run([py, "-c", "import torch"], capture_output=True).returncode == 0
            if ok:
                return py
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self) -> None:
        self.port = free_port()
        env = dict(os.environ, OPTIVIZ_LOG_LEVEL="warning")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "app.cli", "serve", "--port", str(self.port)], cwd=ROOT, env=env
        )
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                self.get("/healthz")
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("server did not start")

    def conn(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)

    def get(self, path: str) -> bytes:
        c = self.conn()
        c.request("GET", path)
        return c.getresponse().read()

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)


def http_time(server: Server, body: dict, repeat: int) -> float:
    payload = orjson.dumps(body)
    conn = server.conn()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        conn.request("POST", "/api/v1/trajectories", body=payload, headers={"content-type": "application/json"})
        resp = conn.getresponse()
        data = resp.read()  # the last byte
        times.append(time.perf_counter() - t0)
        assert resp.status == 200, data[:200]
    return statistics.median(times)


def engine_rows(rows: int, steps: int, mode: str, repeat: int = 3) -> float:
    """Seconds per optimizer-step (per row per step), Adam on Rosenbrock."""
    req = TrajectoryRequest.model_validate(_body([("adam", 1e-3)], steps))
    problem = build_problem(req)
    run = problem.runs[0]
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        if mode == "scalar":
            for _ in range(rows):
                ScalarRun(problem, run).advance(steps)
        else:
            LockstepRuns(problem, run, np.tile(START, (rows, 1))).advance(steps)
        best = min(best, time.perf_counter() - t0)
    return best / (rows * steps)


def engine_interactive(rounds: int = 9) -> tuple[float, float]:
    """Seconds per optimizer-step of the 8 × 1000 request's runs, every point kept: (the compiled
    loop alone, recording into arrays; the runs as the JSON answer takes them)."""
    runs, steps = REQUESTS["8x1000"]
    problem = build_problem(TrajectoryRequest.model_validate(_body(runs, steps)))
    whole, loop_only = [], []
    for _ in range(rounds):
        t0 = time.perf_counter()
        made = [ScalarRun(problem, cfg) for cfg in problem.runs]
        for run in made:
            run.advance(steps)
            run.arrays()  # what the JSON answer takes
        whole.append(time.perf_counter() - t0)
        kernels = [ScalarRun(problem, cfg)._kernel for cfg in problem.runs]
        t0 = time.perf_counter()
        for k in kernels:
            k.advance(0, steps)
        loop_only.append(time.perf_counter() - t0)
    n = len(runs) * steps
    return statistics.median(loop_only) / n, statistics.median(whole) / n


def typed_formulas(rounds: int = 7) -> tuple[float, float, float, float]:
    """(first answer of new formulas, typed and built-in Rosenbrock per row-step in lanes, and the
    median of each round's typed / built-in ratio): medians of rotating rounds (typed, built-in,
    typed, ...), so that a load spike from elsewhere hits both sides alike."""
    firsts = []
    for i in range(5):
        body = {
            "surface": {
                "expression": f"(1 - x)^2 + 100*(y - x^2)^2 + {i + 1}e-9*sin(x*y)",
                "x_range": [-2, 2],
                "y_range": [-1, 3],
            },
            "start": START,
            "steps": 500,
            "runs": [{"optimizer": o} for o in ("gd", "momentum", "rmsprop", "adam")],
        }
        t0 = time.perf_counter()
        orjson.dumps(
            trajectories(build_problem(TrajectoryRequest.model_validate(body)), arrays=True),
            option=orjson.OPT_SERIALIZE_NUMPY,
        )
        firsts.append(time.perf_counter() - t0)
    rows, steps = 10_000, 500
    lrs = np.tile(np.geomspace(1e-4, 0.1, 100), rows // 100)

    def problem(surface) -> Any:
        body = {"surface": surface, "start": START, "steps": steps, "tolerance": 0, "runs": [{"optimizer": "adam"}]}
        return build_problem(TrajectoryRequest.model_validate(body))

    def once(p) -> float:
        t0 = time.perf_counter()
        LockstepRuns(p, p.runs[0], np.tile(START, (rows, 1)), {"lr": lrs}).advance(steps)
        return (time.perf_counter() - t0) / (rows * steps)

    typed_p = problem({"expression": "(1 - x)^2 + 100*(y - x^2)^2", "x_range": [-2, 2], "y_range": [-1, 3]})
    builtin_p = problem("rosenbrock")
    once(typed_p), once(builtin_p)  # warm
    typed, builtin = [], []
    for _ in range(rounds):
        typed.append(once(typed_p))
        builtin.append(once(builtin_p))
    ratio = statistics.median(t / b for t, b in zip(typed, builtin, strict=True))
    return statistics.median(firsts), statistics.median(typed), statistics.median(builtin), ratio


def cold_start(rounds: int = 3) -> tuple[float, float]:
    """(process start → first trajectory answered, that first request alone), medians."""
    body = orjson.dumps(_body(*REQUESTS["8x1000"]))
    total, first = [], []
    for _ in range(rounds):
        t0 = time.perf_counter()
        server = Server()
        try:
            conn = server.conn()
            t1 = time.perf_counter()
            conn.request("POST", "/api/v1/trajectories", body=body, headers={"content-type": "application/json"})
            resp = conn.getresponse()
            assert resp.status == 200
            resp.read()
            t2 = time.perf_counter()
        finally:
            server.stop()
        total.append(t2 - t0)
        first.append(t2 - t1)
    return statistics.median(total), statistics.median(first)


def main() -> dict:
    repeat = 9
    rows_cfg = [(1, 1000), (16, 1000), (10_000, 300)]
    results: dict = {}
    py = torch_python()
    torch_res = None
    if py:
        cfg = {
            "start": START,
            "steps": 1000,
            "repeat": 3,
            "requests": {k: v[0] for k, v in REQUESTS.items()},
            "rows": rows_cfg,
        }
        out = subprocess.run(
            [py, str(ROOT / "bench/torch_side.py"), json.dumps(cfg)], capture_output=True, text=True, check=True
        )
        torch_res = json.loads(out.stdout.strip().splitlines()[-1])
    else:
        print("torch not found (set OPTIVIZ_TORCH_PYTHON or `make bench` creates .venv-torch): ratios skipped")

    server = Server()
    try:
        _heading(
            "Interactive requests (HTTP, to the last byte of the JSON answer)",
            "request",
            "optiviz over HTTP",
            "torch.optim in-process",
            "ratio",
            "goal",
        )
        for name, (runs, steps) in REQUESTS.items():
            t = http_time(server, _body(runs, steps), repeat)
            tt = torch_res[name] if torch_res else None
            goal = "≥ 300×" if name == "8x1000" else ""
            ratio = f"{tt / t:.0f}×" if tt else "n/a"
            print(
                f"| {name} | {t * 1e3:.1f} ms | {tt * 1e3:.0f} ms | {ratio} | {goal} |"
                if tt
                else f"| {name} | {t * 1e3:.1f} ms | n/a | n/a | {goal} |"
            )
            results[name] = {"optiviz_s": t, "torch_s": tt}
        big = _body(_runs((1e-3, 5e-4)), 5000)
        t_big = http_time(server, big, 3)
    finally:
        server.stop()

    problem = build_problem(TrajectoryRequest.model_validate(big))
    trajectories(build_problem(TrajectoryRequest.model_validate(_body(_runs((1e-3,)), 10))))  # kernels loaded
    t0 = time.perf_counter()
    answer = trajectories(problem)
    t_engine = time.perf_counter() - t0
    t_json = min(_time(lambda: orjson.dumps(answer, option=orjson.OPT_SERIALIZE_NUMPY)) for _ in range(5))
    size = len(orjson.dumps(answer))
    _heading(
        "Large answer: 16 runs × 5000 steps",
        "engine",
        "orjson encoding",
        "whole request over HTTP",
        "JSON size",
        "encoding share",
    )
    print(
        f"| {t_engine * 1e3:.0f} ms | {t_json * 1e3:.1f} ms | {t_big * 1e3:.0f} ms | {size / 1e6:.1f} MB "
        f"| {t_json / t_big:.0%} |"
    )
    results["large"] = {"engine_s": t_engine, "json_s": t_json, "http_s": t_big}

    loop_step, run_step = engine_interactive()
    _heading(
        "Engine alone: 8 runs × 1000 steps (compiled single runs, every point recorded)",
        "the compiled loop, per optimizer-step",
        "the runs as the JSON answer takes them",
        "goal",
    )
    print(f"| {loop_step * 1e9:.0f} ns | {run_step * 1e9:.0f} ns | ≤ 100 ns |")
    results["interactive_engine_s"] = {"loop": loop_step, "runs": run_step}

    total, first = cold_start()
    _heading(
        "Cold start: new server process → first 8 × 1000 trajectory answered (median of 3)",
        "process start to answer",
        "the first request alone",
        "goal",
    )
    print(f"| {total * 1e3:.0f} ms | {first * 1e3:.0f} ms | ≤ 1 s |")
    results["cold_start_s"] = {"total": total, "first_request": first}

    _heading(
        "Engine cost per optimizer-step (Adam, Rosenbrock)",
        "rows",
        "single runs",
        "lanes",
        "chosen",
        "torch batched (autograd)",
        "ratio",
        "goal",
    )
    for rows, steps in rows_cfg:
        s = engine_rows(rows, steps, "scalar") if rows <= 16 else None
        lk = engine_rows(rows, steps, "lockstep")
        chosen = min(v for v in (s, lk) if v is not None)
        tt = torch_res["rows"][str(rows)] if torch_res else None
        goal = ""
        fmt = lambda v: f"{v * 1e9:.1f} ns" if v is not None else "—"  # noqa: E731
        print(
            f"| {rows:,} | {fmt(s)} | {fmt(lk)} | {fmt(chosen)} | {fmt(tt)} | "
            f"{(f'{tt / chosen:.1f}×') if tt else 'n/a'} | {goal} |"
        )
        results[f"rows_{rows}"] = {"scalar_s": s, "lockstep_s": lk, "torch_s": tt}
    first, typed, builtin, ratio = typed_formulas()
    _heading(
        f"Typed formulas (Rosenbrock typed as text vs the built-in; load average {os.getloadavg()[0]:.1f})",
        "first answer of a formula never seen (parse, tapes, 4 runs × 500 steps)",
        "lanes: typed / built-in, per row-step (7 alternating rounds, medians; the ratio: median of the rounds' "
        "ratios)",
        "goal",
    )
    print(
        f"| {first * 1e3:.1f} ms | {typed * 1e9:.1f} ns / {builtin * 1e9:.1f} ns = **{ratio:.2f}×** | ≤ 100 ms; ≤ 2× |"
    )
    results["typed"] = {"first_s": first, "lanes_typed_s": typed, "lanes_builtin_s": builtin, "ratio": ratio}
    if torch_res:
        print(f"\n(torch {torch_res['torch_version']}, {torch_res['threads']} threads; NumPy single-threaded)")
    return results


def _heading(title: str, *columns: str) -> None:
    """A section of the report: its title, then a Markdown table's header for these columns."""
    print(f"\n## {title}\n")
    print("| " + " | ".join(columns) + " |")
    print("|" + "---|" * len(columns))


def _time(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


if __name__ == "__main__":
    main()
