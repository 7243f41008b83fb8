"""Schedules that read the run, against the same runs with a table of rates, in the same process.

- One run of 20,000 steps (Adam, Himmelblau): ReduceLROnPlateau (speculative slices around the
  compiled loop) vs the same run with a constant rate and with cosine (tables). Goal: ≤ 10×.
- The same run with OneCycleLR's momentum cycled (one loop call per update) vs OneCycleLR
  without. Reported, no goal: it is the price of not changing the compiled loop (see
  app/engine/feedback.py).
- A 40 × 12 sweep of 500 steps with ReduceLROnPlateau (one update per loop call, every row its own
  rate) vs the same sweep with cosine. Goal: ≤ 20×.

Medians of several rounds (the machine is shared).
"""

from __future__ import annotations

import statistics
import time

from app.api.schemas_lessons import SweepRequest
from app.api.service_lessons import build_sweep, trajectories_answer

STEPS = 20_000
ROUNDS = 5


def _run(schedule: dict) -> float:
    body = {
        "surface": "himmelblau",
        "start": [-0.3, -0.9],
        "steps": STEPS,
        "runs": [{"optimizer": "adam", "params": {"lr": 0.3}, "schedule": schedule}],
    }
    t0 = time.perf_counter()
    trajectories_answer(body)
    return time.perf_counter() - t0


def _sweep(schedule: dict) -> float:
    req = SweepRequest.model_validate(
        {
            "surface": "himmelblau",
            "start": [-0.3, -0.9],
            "steps": 500,
            "optimizer": "adam",
            "params": {},
            "schedule": schedule,
            "x_param": {"name": "lr", "min": 1e-3, "max": 0.5, "n": 40, "scale": "log"},
            "y_param": {"name": "beta1", "min": 0.5, "max": 0.99, "n": 12},
        }
    )
    t0 = time.perf_counter()
    job = build_sweep(req)[0]
    job.run_to_end()
    return time.perf_counter() - t0


def _median(fn, arg) -> float:
    fn(arg)  # warm
    return statistics.median(fn(arg) for _ in range(ROUNDS))


def main() -> dict:
    plateau = {"name": "reduce_on_plateau", "params": {"patience": 3, "factor": 0.9, "threshold": 1e-3}}
    cycle = {"name": "one_cycle", "params": {"total_steps": STEPS}}
    rows = [
        ("plateau run vs constant", _median(_run, plateau), _median(_run, {"name": "constant"}), "≤ 10×"),
        (
            "plateau run vs cosine",
            _median(_run, plateau),
            _median(_run, {"name": "cosine", "params": {"t_max": STEPS}}),
            "≤ 10×",
        ),
        (
            "cycled momentum vs one cycle",
            _median(_run, {**cycle, "params": {**cycle["params"], "cycle_momentum": True}}),
            _median(_run, cycle),
            "reported",
        ),
        (
            "plateau sweep 40×12×500 vs cosine",
            _median(_sweep, plateau),
            _median(_sweep, {"name": "cosine", "params": {"t_max": 500}}),
            "≤ 20×",
        ),
    ]
    print("| case | reads the run | table of rates | ratio | goal |")
    print("|---|---|---|---|---|")
    out = {}
    for name, t, base, goal in rows:
        print(f"| {name} | {t * 1e3:.1f} ms | {base * 1e3:.1f} ms | {t / base:.1f}× | {goal} |")
        out[name] = t / base
    return out


if __name__ == "__main__":
    main()
