"""Sweep benchmark: a 100 × 100 sweep of 500 steps (Adam, Rosenbrock; lr × β₁), every cell a full
run, against torch stepping the same 10,000 rows as one batched tensor, in the same run."""

from __future__ import annotations

import json
import subprocess
import time

from app.api.schemas_lessons import SweepRequest
from app.api.routes.lessons import _build_sweep
from bench.engine import ROOT, START, torch_python

BODY = {"surface": "rosenbrock", "start": START, "steps": 500, "optimizer": "adam", "params": {},
        "x_param": {"name": "lr", "min": 1e-4, "max": 0.1, "n": 100, "scale": "log"},
        "y_param": {"name": "beta1", "min": 0.0, "max": 0.99, "n": 100}}

TORCH = """
import json, sys, time, torch
torch.set_default_dtype(torch.float64)
rows, steps = 10000, 500
best = 1e9
for _ in range(3):
    p = torch.tensor([[-1.2] * rows, [1.0] * rows], requires_grad=True)
    opt = torch.optim.Adam([p], lr=1e-3)
    t0 = time.perf_counter()
    for _ in range(steps):
        opt.zero_grad()
        ((1 - p[0]) ** 2 + 100 * (p[1] - p[0] ** 2) ** 2).sum().backward()
        opt.step()
    best = min(best, time.perf_counter() - t0)
print(json.dumps({"seconds": best, "threads": torch.get_num_threads()}))
"""


def main() -> dict:
    req = SweepRequest.model_validate(BODY)
    best = float("inf")
    for _ in range(3):
        t0 = time.perf_counter()
        job, _, _ = _build_sweep(req)
        job.run_to_end()
        best = min(best, time.perf_counter() - t0)
    py = torch_python()
    torch_s = None
    if py:
        out = subprocess.run([py, "-c", TORCH], capture_output=True, text=True, check=True, cwd=ROOT)
        torch_s = json.loads(out.stdout)["seconds"]
    print("\n## Sweep: 100 × 100 cells × 500 steps (Adam, Rosenbrock, lr × β₁)\n")
    print("| optiviz (lockstep rows) | torch, 10,000 rows as one tensor | ratio | goal |")
    print("|---|---|---|---|")
    ratio = f"{torch_s / best:.1f}×" if torch_s else "n/a"
    print(f"| {best * 1e3:.0f} ms ({best / 5e6 * 1e9:.1f} ns per row-step) | "
          f"{f'{torch_s * 1e3:.0f} ms' if torch_s else 'n/a'} | {ratio} | ≥ 10× |")
    return {"optiviz_s": best, "torch_s": torch_s}


if __name__ == "__main__":
    main()
