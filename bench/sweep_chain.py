"""Sweeps of optimizer chains (when to switch, at what rate): cells with the same milestones step
as lockstep rows, leg by leg (`app.lessons.sweeps.ChainRows`); with a closure optimizer last, cell
by cell through the chain runner (`ChainJob`). Measured: the CPU time of whole sweep requests of
several shapes against the estimate that admits them (goal 0.5–2× the measured time), and against
a plain sweep of as many Adam cells of the same length in lockstep rows (the price of the chain),
medians of rotating rounds (the machine is shared)."""

from __future__ import annotations

import math
import statistics
import time

from app.api.schemas_lessons import SweepRequest
from app.api.service_lessons import build_sweep
from bench.engine import START

ROUNDS = 5
GOAL = (0.5, 2.0)
LBFGS = "L-BFGS last (cell by cell), 10 × 10 × 200"
# L-BFGS is estimated at its bound (every step max_eval + 1 evaluations over a full history), as for
# trajectories (tests/api/test_estimates.py): only the lower goal applies
BOUNDS = {LBFGS}
ADAM = {"optimizer": "adam", "params": {"lr": 0.05}}
MOMENTUM = {"optimizer": "momentum", "params": {"beta": 0.9}}


def _chain(surface: str, steps: int, nx: int, ny: int, **more: object) -> dict:
    return {
        "surface": surface,
        "start": START if surface == "rosenbrock" else None,
        "steps": steps,
        "tolerance": 0.0,
        "optimizers": [ADAM, MOMENTUM],
        "x_param": {"name": "milestone", "values": [max(1, steps * (i + 1) // (nx + 1)) for i in range(nx)]},
        "y_param": {"name": "optimizers.1.lr", "min": 1e-4, "max": 1e-2, "n": ny, "scale": "log"},
        **more,
    }


CASES = {
    "rosenbrock, 40 × 40 cells × 50 updates": _chain("rosenbrock", 50, 40, 40),
    "rosenbrock, 20 × 20 × 1,000": _chain("rosenbrock", 1000, 20, 20),
    "rosenbrock, 4 × 4 × 20,000": _chain("rosenbrock", 20_000, 4, 4),
    "himmelblau, noise 0.5 + cosine, 10 × 10 × 3,000": _chain(
        "himmelblau", 3000, 10, 10, noise_std=0.5, schedule={"name": "cosine"}
    ),
    "logistic regression, batch 100, 5 × 4 × 300": {
        **_chain("logistic_regression", 300, 5, 4, batch_size=100),
        "x_param": {"name": "milestone", "values": [50, 100, 150, 200, 250]},
    },
    LBFGS: {
        **_chain("rosenbrock", 200, 10, 10),
        "optimizers": [ADAM, {"optimizer": "lbfgs", "params": {"max_iter": 2}}],
        "y_param": {"name": "optimizers.1.lr", "min": 0.1, "max": 1.0, "n": 10},
    },
    "three links (Adam → momentum → GD), 20 × 20 × 200": {
        **_chain("rosenbrock", 200, 20, 20),
        "optimizers": [ADAM, MOMENTUM, {"optimizer": "gd", "milestone": 190, "params": {"lr": 1e-4}}],
        "x_param": {"name": "milestone", "values": list(range(5, 185, 9))},
    },
}


def plain(body: dict) -> dict:
    """The baseline: Adam alone on the same grid's shape (lr × β₁), lockstep rows."""
    nx, ny = len(body["x_param"]["values"]), body["y_param"]["n"]
    out = {k: v for k, v in body.items() if k not in ("optimizers", "x_param", "y_param")}
    return {
        **out,
        "optimizer": "adam",
        "x_param": {"name": "lr", "min": 1e-3, "max": 0.1, "n": nx, "scale": "log"},
        "y_param": {"name": "beta1", "min": 0.0, "max": 0.95, "n": ny},
    }


def measure(body: dict) -> tuple[float, float, int]:
    """(CPU seconds, estimated seconds of a chained sweep, cells) of the whole sweep request's computation."""
    req = SweepRequest.model_validate({k: v for k, v in body.items() if v is not None})
    c0 = time.process_time()
    job = build_sweep(req).job
    job.run_to_end()
    cpu = time.process_time() - c0
    return cpu, job.estimate, job.total_rows


def main() -> dict:
    bodies = {**{(k, "chain"): b for k, b in CASES.items()}, **{(k, "plain"): plain(b) for k, b in CASES.items()}}
    for body in bodies.values():
        measure(body)  # kernels loaded
    times: dict[tuple[str, str], list[float]] = {k: [] for k in bodies}
    estimates: dict[str, float] = {}
    cells: dict[str, int] = {}
    for r in range(ROUNDS):
        names = list(bodies)
        for name in names[r % len(names) :] + names[: r % len(names)]:
            cpu, estimate, n = measure(bodies[name])
            times[name].append(cpu)
            if name[1] == "chain":
                estimates[name[0]], cells[name[0]] = estimate, n
    med = {k: statistics.median(v) for k, v in times.items()}
    print(f"\n## Sweeps of optimizer chains (cells through the chain runner), median CPU of {ROUNDS} rounds\n")
    print("| sweep | cells | measured | per cell | estimated | estimate ÷ measured | goal | Adam lockstep | chain is |")
    print("|---|---|---|---|---|---|---|---|---|")
    ratios, slower = {}, {}
    for k in CASES:
        chain, lockstep = med[(k, "chain")], med[(k, "plain")]
        ratios[k], slower[k] = estimates[k] / chain, chain / lockstep
        ok = "ok" if GOAL[0] <= ratios[k] <= (math.inf if k in BOUNDS else GOAL[1]) else "MISSED"
        goal = f"≥ {GOAL[0]:g} (a bound)" if k in BOUNDS else f"{GOAL[0]:g}–{GOAL[1]:g}"
        print(
            f"| {k} | {cells[k]:,} | {chain * 1e3:.0f} ms | {chain / cells[k] * 1e3:.3f} ms "
            f"| {estimates[k] * 1e3:.0f} ms | {ratios[k]:.2f} | {goal} ({ok}) "
            f"| {lockstep * 1e3:.0f} ms | {slower[k]:.1f}× slower |"
        )
    return {"estimate_over_measured": ratios, "chain_over_lockstep": slower}


if __name__ == "__main__":
    main()
