"""How the network lessons' settings were chosen: scan candidates through the API's own code.

    python -m tools.lesson_scan_networks              # every scan (several minutes on a busy machine)
    python -m tools.lesson_scan_networks assignment   # one: assignment, timing or decay

Each scan varies a network lesson's seeds, epochs or rates and prints the figures its claim uses;
the chosen settings are in ``app/lessons/scenarios.py`` (``NETWORK_LESSONS``). Figures measured on
2026-12-07 (kept here so a change of engine that moves them is noticed):

- assignment (moons 300 / 0.2, 2-5-2-1 ReLU He, batch 64, α = 0.0007; train accuracy % of GD /
  momentum / Adam): data seed 3, model seed 3 (the catalogue's example, chosen), batch seeds 0, 1, 2
  alike: 300 epochs 59/59/88, 500: 72/72/89, 600: 76/76/89, 800: 80/80/90 (chosen), 1000: 82/82/92.
  Other seeds: many ReLU inits leave GD stuck near 50-65 % (e.g. data 1, model 0: 52/52/88 at 1000
  epochs; data 0, model 2: 84/84/92), so the point needs no seed hunting, but (3, 3) is the course's
  picture: GD and momentum near 80 %, Adam far ahead.
- timing of the assignment's whole request (train + 41 × 41 PCA plane + JSON), engine CPU seconds,
  best of 3, on this 2-core machine shared by several jobs: 500 epochs 0.41, 800 epochs 0.73 (chosen),
  1000 epochs 0.87 (before the engine's latest merge: 0.62, 0.93, 1.2-1.4); the course's 10,000 would
  take about 9 s. The engine's cost estimate of 800: 1.17 s.
- decay (GD, 200 epochs, mean ± std of the train loss over the last fifth; constant | 1/(1+0.1·epoch)
  | 0.95^epoch | 0.5^⌊epoch/10⌋ | ×0.1 at epoch 150):
  α = 0.1, batch 16 (chosen): 0.113±0.038 | 0.352±0.001 | 0.370±0 | 0.370±0 | 0.127±0.005; batch
  seeds 1 and 2: constant 0.101±0.030 / 0.095±0.004, early decays 0.35-0.37, late 0.100 / 0.104
  (the stall holds for every seed; how much the constant rate wanders depends on the batch order:
  seed 0, chosen, shows it best);
  α = 0.05: 0.286 | 0.380 | 0.400 | 0.400 | 0.299; batch 32: 0.303 | 0.378 | 0.398 | 0.397 | 0.302;
  α = 0.2 (the constant rate is unstable, 68 % accuracy): 0.398±0.105 | 0.313 | 0.338 | 0.338 | 0.484
  (the toy's lesson holds there); α = 1: every run stuck at 0.69. Adam (α = 0.01 or 0.03, batch
  16): the constant rate again ends lowest (0.07), the early decays 0.11-0.32.
"""

from __future__ import annotations

import copy
import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from app.api.schemas_networks import NetworkRequest
from app.api.service_networks import answer_of, build_network_problem, work
from app.engine.network import Training, train
from app.lessons.scenarios import BY_ID


def _lesson(lesson_id: str) -> dict[str, Any]:
    return copy.deepcopy(BY_ID[lesson_id].render("en")["request"])


def _train(body: dict[str, Any]) -> Training:
    problem, _ = build_network_problem(NetworkRequest.model_validate(body))
    return train(problem)


def assignment() -> None:
    """Train accuracy of GD / momentum / Adam at several epochs, per data and model seed."""
    for data_seed, model_seed in ((3, 3), (0, 0), (0, 2), (1, 0), (1, 1)):
        body = _lesson("network-assignment")
        body["epochs"] = 1000
        body["data"]["seed"], body["model"]["seed"] = data_seed, model_seed
        tr = _train(body)
        cells = (
            f"{e}: " + "/".join(f"{100 * r.train_accuracy[e]:.0f}" for r in tr.results) for e in (300, 500, 800, 1000)
        )
        print(f"data {data_seed} model {model_seed}  ", "  ".join(cells), flush=True)


def timing() -> None:
    """CPU seconds of the assignment's whole request (train, plane, answer) at several epochs, best of 3."""
    for epochs in (500, 800, 1000):
        body = _lesson("network-assignment")
        body["epochs"] = epochs
        best = np.inf
        for _ in range(3):
            start = time.process_time()
            problem, plane = build_network_problem(NetworkRequest.model_validate(body))
            answer_of(train(problem), plane)
            best = min(best, time.process_time() - start)
        print(f"{epochs} epochs: {best:.2f} s CPU (estimate {work(problem, plane):.2f} s)", flush=True)


def decay() -> None:
    """Mean ± std of the train loss over the last fifth, per rate, batch size and batch seed."""
    for lr, batch, seed in ((0.1, 16, 0), (0.1, 16, 1), (0.1, 16, 2), (0.05, 16, 0), (0.2, 16, 0), (0.1, 32, 0)):
        body = _lesson("network-lr-decay")
        body["seed"] = seed
        for run in body["runs"]:
            run["params"]["lr"], run["batch_size"] = lr, batch
        cells = []
        for r in _train(body).results:
            loss = np.asarray(r.train_loss[1:], dtype=float)
            tail = loss[len(loss) - len(loss) // 5 :]
            cells.append(f"{tail.mean():.3f}±{tail.std():.3f}")
        print(f"α {lr} batch {batch} seed {seed}  ", " | ".join(cells), flush=True)


SCANS: dict[str, Callable[[], None]] = {"assignment": assignment, "timing": timing, "decay": decay}

if __name__ == "__main__":
    for name in sys.argv[1:] or list(SCANS):
        print(f"--- {name}")
        SCANS[name]()
