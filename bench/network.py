"""Network benchmark (issue 19): training steps and the plane's grid, against JAX and torch in the
same run (rotating rounds, medians: the machine is shared).

- Training: a 2→16→16→1 tanh network on 1,000 samples, full batch, float64, the 8 optimizers of
  bench/engine.py training at once (`app.engine.network.Training`, every epoch's measures and
  records included), per optimizer-step; against one Adam run's step in JAX ``jit`` and in torch
  eager on 1 thread (the issue's references), and 8 Adam runs in ``jit(vmap)`` (equal work).
  Goals: ≥ 2× faster than JAX jit, ≥ 10× faster than torch eager.
- The plane's grid: the train loss at 51 × 51 parameter vectors (`Network.losses`, what
  `planes.landscape` evaluates), against ``jit(vmap(loss))`` in JAX and torch.func's ``vmap``
  (1 thread). Goal: ≥ 1.5× faster than JAX.

Times are CPU seconds of the process (wall beside them): on a loaded machine wall time counts the
waits for a core, CPU time does not. optiviz runs as the server does: OpenBLAS pinned to one
thread (`threads.pin_blas`), its own passes shared among the engine's idle threads. The
baselines run in bench/network_side.py (the torch/JAX environment, never a runtime dependency).
"""

from __future__ import annotations

import os
import statistics
import time

import numpy as np

from app.engine.kernels import threads
from app.engine.network import DataConfig, ModelConfig, Network, NetworkProblem, Training, make_data
from app.engine.optimizers import OPTIMIZERS
from app.engine.problem import RunConfig
from app.engine.schedules import SCHEDULES
from bench.engine import EIGHT, LRS, torch_python
from bench.sweep import Baselines, rotate

SAMPLES, HIDDEN, GRID = 1000, (16, 16), 51
STEPS, ROUNDS = 200, 5  # optimizer steps per round (each contender); rotating rounds
LR = 0.01
GOALS = {"jax": 2.0, "torch": 10.0, "jax_grid": 1.5}


def _training(activation: str) -> Training:
    data = DataConfig(samples=SAMPLES, test_fraction=0.0)
    runs = tuple(
        RunConfig(OPTIMIZERS[o], OPTIMIZERS[o].resolve({"lr": LRS.get(o, LR)}, "optimizer"), SCHEDULES["constant"], {})
        for o in EIGHT
    )
    epochs = 10 + (ROUNDS + 1) * STEPS
    t = Training(NetworkProblem(data, ModelConfig(hidden=HIDDEN, activation=activation), epochs, 0, runs))
    t.advance(5)  # compiled passes loaded, buffers made
    return t


def _step(t: Training) -> tuple[float, float]:
    """(wall, CPU) seconds of STEPS full-batch steps of every run."""
    t0, c0 = time.perf_counter(), time.process_time()
    t.advance(STEPS)
    return time.perf_counter() - t0, time.process_time() - c0


def _grid_thetas(net: Network) -> np.ndarray:
    return net.init() + 0.1 * np.random.default_rng(1).standard_normal((GRID * GRID, net.size))


def main() -> dict:
    threads.pin_blas()  # as the server does (`optiviz serve`, the Docker image): OpenBLAS on one thread
    data = make_data(DataConfig(samples=SAMPLES, test_fraction=0.0))
    nets = {a: Network(ModelConfig(hidden=HIDDEN, activation=a)) for a in ("tanh", "relu")}
    thetas = {a: _grid_thetas(n) for a, n in nets.items()}

    def grid(a: str) -> tuple[float, float]:
        t0, c0 = time.perf_counter(), time.process_time()
        nets[a].losses(thetas[a], data.x_train, data.y_train)
        return time.perf_counter() - t0, time.process_time() - c0

    trainings = {a: _training(a) for a in ("tanh", "relu")}
    grid("tanh")
    mine = {
        "optiviz": lambda: _step(trainings["tanh"]),
        "optiviz_relu": lambda: _step(trainings["relu"]),
        "optiviz_grid": lambda: grid("tanh"),
        "optiviz_grid_relu": lambda: grid("relu"),
    }
    counts = {"jax": STEPS, "jax8": STEPS, "torch": STEPS, "jax_grid": 1, "torch_grid": 1}
    py = torch_python()
    base = Baselines(py, "bench/network_side.py") if py else None
    times = rotate(ROUNDS, mine, base, counts)
    # seconds per optimizer-step (training) or per grid
    per = {"optiviz": STEPS * len(EIGHT), "optiviz_relu": STEPS * len(EIGHT), "jax8": STEPS * 8}
    per |= {"jax": STEPS, "torch": STEPS}
    wall = {k: statistics.median(w for w, _ in v) / per.get(k, 1) for k, v in times.items()}
    cpu = {k: statistics.median(c for _, c in v) / per.get(k, 1) for k, v in times.items()}
    labels = {
        "optiviz": "optiviz, 8 optimizers at once, tanh",
        "optiviz_relu": "optiviz, 8 optimizers at once, relu",
        "jax": "JAX jit, 1 Adam run (optax)",
        "jax8": "JAX jit(vmap), 8 Adam runs",
        "torch": "torch eager, 1 Adam run, 1 thread",
        "optiviz_grid": "optiviz `Network.losses`, tanh",
        "optiviz_grid_relu": "optiviz `Network.losses`, relu",
        "jax_grid": "JAX jit(vmap(loss)), tanh",
        "torch_grid": "torch.func vmap, tanh, 1 thread",
    }
    blas = os.environ.get("OPENBLAS_NUM_THREADS", "unset (every core)")
    print(
        f"\n## Network: 2→16→16→1, {SAMPLES} samples, full batch, float64; median of {ROUNDS} rotating rounds"
        f" (optiviz: OpenBLAS threads {blas}, engine threads {threads.THREADS})\n"
    )
    for title, keys, unit, scale, mine_key in (
        (
            "training step (per optimizer-step)",
            ("optiviz", "optiviz_relu", "jax", "jax8", "torch"),
            "ms",
            1e3,
            "optiviz",
        ),
        (
            f"{GRID} × {GRID} grid",
            ("optiviz_grid", "optiviz_grid_relu", "jax_grid", "torch_grid"),
            "s",
            1.0,
            "optiviz_grid",
        ),
    ):
        print(f"\n### {title}\n")
        print(f"| contender | CPU ({unit}) | wall ({unit}) | optiviz (tanh) is, CPU | wall | goal |")
        print("|---|---|---|---|---|---|")
        for k in keys:
            if k not in cpu:
                continue
            theirs = not k.startswith("optiviz")
            ratio = f"{cpu[k] / cpu[mine_key]:.2f}× faster" if theirs else "—"
            ratio_w = f"{wall[k] / wall[mine_key]:.2f}×" if theirs else "—"
            goal = f"≥ {GOALS[k]:g}×" if k in GOALS else ""
            print(f"| {labels[k]} | {cpu[k] * scale:.3f} | {wall[k] * scale:.3f} | {ratio} | {ratio_w} | {goal} |")
    if base:
        ready = ", ".join(
            f"{k} {v:.1f} s" if not isinstance(v, str) else f"{k} {v}" for k, v in base.info["ready"].items()
        )
        print(f"\n(baselines: {base.info['versions']}; compile/warm-up before the first round: {ready})")
    else:
        print("\n(no bench environment with torch/JAX: `make bench` creates .venv-torch; ratios skipped)")
    return {"cpu_s": cpu, "wall_s": wall}


if __name__ == "__main__":
    main()
