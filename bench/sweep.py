"""Sweep benchmark: a 100 × 100 sweep of 500 steps (Adam, Rosenbrock; per-row lr × β₁), every cell
a full run, against the same 10,000 rows × 500 steps in JAX ``jit(vmap(scan))`` (hand-written and
optax) and hand-written torch tensors (1 thread), all measured in rotating rounds of the same run
(medians: the machine is shared)."""

from __future__ import annotations

import json
import os
import signal
import statistics
import subprocess
import time
from collections.abc import Callable

from app.api.schemas_lessons import SweepRequest
from app.api.service_lessons import build_sweep
from app.engine.kernels import threads
from bench.engine import ROOT, START, torch_python

ROWS, STEPS = 10_000, 500
BODY = {
    "surface": "rosenbrock",
    "start": START,
    "steps": STEPS,
    "optimizer": "adam",
    "params": {},
    "tolerance": 0.0,
    "x_param": {"name": "lr", "min": 1e-4, "max": 0.1, "n": 100, "scale": "log"},
    "y_param": {"name": "beta1", "min": 0.0, "max": 0.99, "n": 100},
}
ROUNDS = 7
GOAL_NS, GOAL_RATIO = 5.0, 5.0


def optiviz_sweep(n_threads: int | None = None) -> tuple[float, float]:
    """(wall, CPU) seconds of the whole sweep request's computation; ``n_threads``: the engine's
    threads (default: `app.engine.kernels.threads.THREADS`, the cores this process may use)."""
    req = SweepRequest.model_validate(BODY)
    saved = threads.THREADS
    threads.THREADS = n_threads or saved
    try:
        t0, c0 = time.perf_counter(), time.process_time()
        job = build_sweep(req)[0]
        job.run_to_end()
        return time.perf_counter() - t0, time.process_time() - c0
    finally:
        threads.THREADS = saved


class Baselines:
    """The bench environment's process (bench/baselines.py), asked one computation at a time."""

    def __init__(self, python: str, script: str = "bench/baselines.py") -> None:
        self.proc = subprocess.Popen(
            [python, str(ROOT / script)],
            cwd=ROOT,
            text=True,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )
        self.info = json.loads(self.proc.stdout.readline())
        self.names = [k for k, v in self.info["ready"].items() if not isinstance(v, str)]

    def time(self, name: str, times: int = 1) -> tuple[float, float]:
        """(wall, CPU) seconds of one computation (``times`` of it in a row, if the script allows)."""
        self.proc.stdin.write(name + (f" {times}" if times > 1 else "") + "\n")
        self.proc.stdin.flush()
        wall, cpu = json.loads(self.proc.stdout.readline())
        return wall, cpu

    def pause(self) -> None:
        """Stop the baselines' process while optiviz runs: XLA's and torch's thread pools spin for
        a while after a computation, which took a core from optiviz's next round."""
        os.kill(self.proc.pid, signal.SIGSTOP)

    def resume(self) -> None:
        os.kill(self.proc.pid, signal.SIGCONT)

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait(30)


def rotate(
    rounds: int,
    mine: dict[str, Callable[[], tuple[float, float]]],
    base: Baselines | None,
    counts: dict[str, int] | None = None,
) -> dict[str, list[tuple[float, float]]]:
    """(wall, CPU) seconds of every contender in each of ``rounds`` rotating rounds (each round
    starts with a different one): optiviz's own (``mine``, the baselines' process stopped meanwhile)
    and the baselines' (``counts``: how many times each runs in a row); the baselines closed."""
    names = base.names if base else []
    times: dict[str, list[tuple[float, float]]] = {k: [] for k in [*mine, *names]}
    for r in range(rounds):
        order = list(times)
        order = order[r % len(order) :] + order[: r % len(order)]
        for name in order:
            if name in mine:
                if base:
                    base.pause()
                try:
                    times[name].append(mine[name]())
                finally:
                    if base:
                        base.resume()
            else:
                assert base is not None
                times[name].append(base.time(name, (counts or {}).get(name, 1)))
    if base:
        base.close()
    return times


def main() -> dict:
    optiviz_sweep()  # kernels loaded
    py = torch_python()
    base = Baselines(py) if py else None
    mine = {"optiviz": None, "optiviz-1": 1}  # every core this process may use; one thread
    times = rotate(ROUNDS, {k: lambda n=n: optiviz_sweep(n) for k, n in mine.items()}, base)
    med = {k: statistics.median(w for w, _ in v) for k, v in times.items()}
    cores = {k: statistics.median(c / w for w, c in v) for k, v in times.items()}
    ns = {k: v / (ROWS * STEPS) * 1e9 for k, v in med.items()}
    labels = {
        "optiviz": f"optiviz (compiled lanes, the whole sweep request, {threads.THREADS} threads)",
        "optiviz-1": "optiviz, one thread (`OPTIVIZ_ENGINE_THREADS=1`)",
        "torch": "torch, hand-written tensors, 1 thread",
        "jax": "JAX jit(vmap(scan)), hand-written",
        "optax": "JAX jit(vmap(scan)), optax.adam",
    }
    print(
        f"\n## Sweep: 100 × 100 cells × {STEPS} steps (Adam, Rosenbrock, per-row lr × β₁), "
        f"median of {ROUNDS} rotating rounds\n"
    )
    print(
        "| contender | time | ns per row-step | cores busy (CPU / wall) | optiviz is | optiviz, one thread, is | goal |"
    )
    print("|---|---|---|---|---|---|---|")
    for k in med:
        mine_k = k in mine
        ratio = "—" if mine_k else f"{med[k] / med['optiviz']:.1f}× faster"
        ratio1 = "—" if mine_k else f"{med[k] / med['optiviz-1']:.1f}× faster"
        goal = f"≤ {GOAL_NS:g} ns" if k == "optiviz" else f"≥ {GOAL_RATIO:g}×" if k in ("torch", "jax") else ""
        print(
            f"| {labels.get(k, k)} | {med[k] * 1e3:.1f} ms | {ns[k]:.1f} | {cores[k]:.2f} "
            f"| {ratio} | {ratio1} | {goal} |"
        )
    if base:
        print(
            f"\n(baselines: {base.info['versions']}; compile/warm-up before the first round: "
            + ", ".join(
                f"{k} {v:.1f} s" if not isinstance(v, str) else f"{k} {v}" for k, v in base.info["ready"].items()
            )
            + ")"
        )
    else:
        print("\n(no bench environment with torch/JAX: `make bench` creates .venv-torch; ratios skipped)")
    return {"median_s": med, "ns_per_row_step": ns}


if __name__ == "__main__":
    main()
