"""How the lessons' settings were chosen: scan candidates through the API's own code, print figures.

    python -m tools.lesson_scan            # every scan (a minute or two)
    python -m tools.lesson_scan momentum   # one

Each scan varies a lesson's surface, start or hyperparameters and prints the figure its claim
uses; the chosen settings are in ``app/lessons/scenarios.py``. Figures measured on 2026-11-26 (kept here so a
change of engine that moves them is noticed):

- momentum (elongated bowl, start (−9, 3), steps to 10⁻⁶·f₀ at the best α of each): GD 68 (α = 0.45);
  momentum β = 0.5: 20 (α = 1), β = 0.6: 27, β = 0.8: 56, β = 0.9: 83 → β = 0.5 shown, β = 0.9 as the overshoot.
- Nesterov vs classical (same bowl, β = 0.9): α = 0.05: 61 vs 125, α = 0.15: 48 vs 117 (chosen); on
  Rosenbrock the winner flips with α (e.g. α = 0.002: classical 1.8·10⁻⁵, Nesterov 1.08), so not there.
- RMSprop (same bowl, β = 0.9): α = 0.2: 68 steps, 0.3: 48 (no zig-zag, chosen), 0.4: 38 but 8 sign changes.
- decay (linear regression, mini-batch 16, median over 3 seeds of the mean distance over the last fifth):
  α = 0.04, 5000 steps: constant 0.109, 1/(1+0.1·epoch) 0.019, 0.95^epoch 0.006, 1/√epoch 0.018,
  staircase 0.004 (chosen); α = 0.02, 2500 steps: 0.050 vs 0.074 / 0.051 / 0.334 / 0.034 (the old failure).
- restarts: Rastrigin ends every momentum run in the same minimum (12.93); Ackley from (−3.2, 2.6) with
  GD: constant 0.01 → 9.0, constant 0.2 → 3.19, warm-up + cosine (peak 0.2) → 4·10⁻¹⁰, cyclic
  0.01–0.2 → 0.095, restarts T₀ = 100 → 6·10⁻⁸ (chosen; steps = 400 end every cycle at its low).
- batch × lr (best lr per batch size): linear regression (raw) is capped by stability at ≈ 0.046 for every
  batch ≥ 16; logistic regression, 5 epochs per cell, lr 0.003–10: 0.023, 0.045, 0.088, 0.124, 0.243,
  0.341, 0.939, 2.59 for batches 1…128 (chosen); 256 drops back (too few updates).
- linear scaling (logistic, loss after 10 epochs): batch 8 α 0.05: 0.280; batch 64 α 0.4: 0.276;
  batch 64 α 0.05: 0.638 (chosen); batch 32 → 256 ×8: 0.460 vs 0.472.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import numpy as np

from app.api.schemas import TrajectoryRequest
from app.api.service import build_problem
from app.api.service_lessons import trajectories_answer
from app.engine.runner import LockstepRuns
from app.lessons.claims import steps_to_fraction


def _steps(req: dict[str, Any]) -> list[int | None]:
    return [steps_to_fraction(r["loss"], 1e-6) for r in trajectories_answer(req)["runs"]]


def momentum() -> None:
    for beta in (0.5, 0.6, 0.8, 0.9):
        best = min(
            (s, lr)
            for lr in (0.3, 0.45, 0.6, 0.8, 1.0, 1.5, 2.0)
            for s in _steps(
                {
                    "surface": "elongated_bowl",
                    "start": [-9, 3],
                    "steps": 600,
                    "runs": [{"optimizer": "momentum", "params": {"lr": lr, "beta": beta}}],
                }
            )
            if s is not None
        )
        print(f"momentum β={beta}: {best[0]} steps at α={best[1]}")
    gd = min(
        (s, lr)
        for lr in (0.2, 0.3, 0.4, 0.45, 0.48)
        for s in _steps(
            {
                "surface": "elongated_bowl",
                "start": [-9, 3],
                "steps": 600,
                "runs": [{"optimizer": "gd", "params": {"lr": lr}}],
            }
        )
        if s is not None
    )
    print(f"GD: {gd[0]} steps at α={gd[1]}")


def nesterov() -> None:
    for lr in (0.05, 0.1, 0.15, 0.2):
        c, n = _steps(
            {
                "surface": "elongated_bowl",
                "start": [-9, 3],
                "steps": 600,
                "runs": [
                    {"optimizer": "momentum", "params": {"lr": lr, "beta": 0.9, "variant": "classic"}},
                    {"optimizer": "nesterov", "params": {"lr": lr, "beta": 0.9}},
                ],
            }
        )
        print(f"α={lr}: classical {c}, Nesterov {n}")


def restarts() -> None:
    for surface, start in (("rastrigin", [-2.7, 2.3]), ("ackley", [-3.2, 2.6])):
        runs = [
            {"optimizer": "gd", "params": {"lr": 0.01}},
            {"optimizer": "gd", "params": {"lr": 0.2}},
            {
                "optimizer": "gd",
                "params": {"lr": 0.2},
                "schedule": {"name": "cosine", "params": {"t_max": 350}, "warmup_steps": 50},
            },
            {
                "optimizer": "gd",
                "params": {"lr": 0.01},
                "schedule": {"name": "cyclic", "params": {"max_lr": 0.2, "step_size_up": 50}},
            },
            {"optimizer": "gd", "params": {"lr": 0.2}, "schedule": {"name": "cosine_restarts", "params": {"t_0": 100}}},
        ]
        ans = trajectories_answer({"surface": surface, "start": start, "steps": 400, "runs": runs})
        print(surface, [round(r["loss"][-1], 4) for r in ans["runs"]])


def batch_lr() -> None:
    prob = build_problem(
        TrajectoryRequest.model_validate({"surface": "logistic_regression", "steps": 10, "runs": [{"optimizer": "gd"}]})
    )
    lrs = np.geomspace(0.003, 10, 25)
    best = []
    for b in (1, 2, 4, 8, 16, 32, 64, 128, 256):
        steps = 5 * math.ceil(1000 / b)
        rows = LockstepRuns(
            replace(prob, steps=steps),
            replace(prob.runs[0], batch_size=b),
            np.tile(prob.start, (lrs.size, 1)),
            {"lr": lrs},
        )
        rows.advance(steps + 1)
        loss = np.where(rows.result.status == "diverged", np.inf, rows.result.loss)
        best.append((b, round(float(lrs[int(np.argmin(loss))]), 4)))
    print("best lr per batch size (5 epochs):", best)


SCANS: dict[str, Callable[[], None]] = {
    "momentum": momentum,
    "nesterov": nesterov,
    "restarts": restarts,
    "batch_lr": batch_lr,
}

if __name__ == "__main__":
    for name in sys.argv[1:] or list(SCANS):
        print(f"--- {name}")
        SCANS[name]()
