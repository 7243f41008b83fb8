"""Sweep benchmark: a 100 × 100 sweep of 500 steps (Adam, Rosenbrock; per-row lr × β₁), every cell
a full run, against the same 10,000 rows × 500 steps in JAX ``jit(vmap(scan))`` (hand-written and
optax) and hand-written torch tensors (1 thread), all measured in rotating rounds of the same run
(medians: the machine is shared)."""

from __future__ import annotations

import json
import statistics
import subprocess
import time

from app.api.routes.lessons import _build_sweep
from app.api.schemas_lessons import SweepRequest
from bench.engine import ROOT, START, torch_python

ROWS, STEPS = 10_000, 500
BODY = {"surface": "rosenbrock", "start": START, "steps": STEPS, "optimizer": "adam", "params": {},
        "tolerance": 0.0,
        "x_param": {"name": "lr", "min": 1e-4, "max": 0.1, "n": 100, "scale": "log"},
        "y_param": {"name": "beta1", "min": 0.0, "max": 0.99, "n": 100}}
ROUNDS = 7
GOAL_NS, GOAL_RATIO = 5.0, 5.0


def optiviz_sweep() -> float:
    req = SweepRequest.model_validate(BODY)
    t0 = time.perf_counter()
    job = _build_sweep(req)[0]
    job.run_to_end()
    return time.perf_counter() - t0


class Baselines:
    """The bench environment's process (bench/baselines.py), asked one computation at a time."""

    def __init__(self, python: str) -> None:
        self.proc = subprocess.Popen([python, str(ROOT / "bench/baselines.py")], cwd=ROOT, text=True,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        self.info = json.loads(self.proc.stdout.readline())
        self.names = [k for k, v in self.info["ready"].items() if not isinstance(v, str)]

    def time(self, name: str) -> float:
        self.proc.stdin.write(name + "\n")
        self.proc.stdin.flush()
        return json.loads(self.proc.stdout.readline())

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait(30)


def main() -> dict:
    optiviz_sweep()  # kernels loaded
    py = torch_python()
    base = Baselines(py) if py else None
    times: dict[str, list[float]] = {"optiviz": []}
    names = base.names if base else []
    for name in names:
        times[name] = []
    for r in range(ROUNDS):  # rotating rounds: each round starts with a different contender
        order = ["optiviz", *names]
        order = order[r % len(order):] + order[: r % len(order)]
        for name in order:
            times[name].append(optiviz_sweep() if name == "optiviz" else base.time(name))
    if base:
        base.close()
    med = {k: statistics.median(v) for k, v in times.items()}
    ns = {k: v / (ROWS * STEPS) * 1e9 for k, v in med.items()}
    labels = {"optiviz": "optiviz (compiled lanes, the whole sweep request)", "torch": "torch, hand-written tensors, 1 thread",
              "jax": "JAX jit(vmap(scan)), hand-written", "optax": "JAX jit(vmap(scan)), optax.adam"}
    print(f"\n## Sweep: 100 × 100 cells × {STEPS} steps (Adam, Rosenbrock, per-row lr × β₁), median of {ROUNDS} rotating rounds\n")
    print("| contender | time | ns per row-step | optiviz is | goal |")
    print("|---|---|---|---|---|")
    for k in med:
        ratio = "—" if k == "optiviz" else f"{med[k] / med['optiviz']:.1f}× faster"
        goal = f"≤ {GOAL_NS:g} ns" if k == "optiviz" else f"≥ {GOAL_RATIO:g}×" if k in ("torch", "jax") else ""
        print(f"| {labels.get(k, k)} | {med[k] * 1e3:.0f} ms | {ns[k]:.1f} | {ratio} | {goal} |")
    if base:
        print(f"\n(baselines: {base.info['versions']}; compile/warm-up before the first round: "
              + ", ".join(f"{k} {v:.1f} s" if not isinstance(v, str) else f"{k} {v}" for k, v in base.info["ready"].items())
              + ")")
    else:
        print("\n(no bench environment with torch/JAX: `make bench` creates .venv-torch; ratios skipped)")
    return {"median_s": med, "ns_per_row_step": ns}


if __name__ == "__main__":
    main()
