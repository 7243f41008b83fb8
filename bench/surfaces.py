"""Built-in surfaces in lanes: the gradients generated from each formula vs the hand-written ones.

10,000 rows × 500 steps on one thread, GD and Adam, on Rosenbrock, Beale, the saddle and the
six-hump camel (each from its default start, at the studio's default learning rate, no tolerance):
CPU time per row-step of the compiled loop as the engine runs it (its gradient branches derived from
each formula and simplified, app/engine/codegen.py) against the same loop compiled here with the
gradients written by hand as they were before the surfaces were generated (git 083a71e^,
app/engine/surfaces.py), in alternating rounds; medians. Goal: the generated ones at most 5 %
slower.

``python -m bench.surfaces worker`` answers one measurement per line on stdin (``rosenbrock gd``:
CPU seconds per row-step), with whichever ``app`` it imports: two workers, one importing another
checkout's, compare two versions of the engine in the same session.
"""

from __future__ import annotations

import statistics
import sys
import time
import types
from typing import Any

import numpy as np

from app.engine import codegen
from app.engine.expression import lower, parse_expression
from app.engine.kernels import jit_generated, loop, python_of, threads
from app.engine.runner import LockstepRuns, Problem, RunConfig
from app.engine.surfaces import ANALYTIC, builtin_programs

ROWS, STEPS, ROUNDS = 10_000, 500, 7
SURFACES = ("rosenbrock", "beale", "saddle", "six_hump_camel")
OPTIMIZERS = ("gd", "adam")
GOAL = 1.05

# ∂f/∂x, ∂f/∂y as written by hand (the same operations, in the formula language)
HAND = {
    "rosenbrock": ("-2*(1 - x) - 400*(y - x*x)*x", "200*(y - x*x)"),
    "beale": (
        "2*(1.5 - x + x*y)*(y - 1) + 2*(2.25 - x + x*y^2)*(y^2 - 1) + 2*(2.625 - x + x*y^3)*(y^3 - 1)",
        "2*(1.5 - x + x*y)*x + 4*(2.25 - x + x*y^2)*x*y + 6*(2.625 - x + x*y^3)*x*y^2",
    ),
    "saddle": ("x*x*x - x", "1*y"),
    "six_hump_camel": ("8*x - 8.4*(x*x)*x + 2*(x*x)*(x*x)*x + y", "x - 8*y + 16*y*y*y"),
}


def problem(surface_id: str, optimizer: str) -> tuple[Problem, RunConfig]:
    """The lanes' problem: the surface's default start and its default run's learning rate."""
    from app.engine.optimizers import OPTIMIZERS as SPECS
    from app.engine.schedules import SCHEDULES

    s = next(s for s in ANALYTIC if s.id == surface_id)
    lr = next(r["params"]["lr"] for r in s.default_runs if r["optimizer"] == optimizer)
    spec = SPECS[optimizer]
    run = RunConfig(spec, spec.resolve({"lr": lr}, "optimizer"), SCHEDULES["constant"], {}, label=spec.name)
    return Problem(s, s.default_start, STEPS, 0.0, 0, (run,)), run


def lanes_cpu(surface_id: str, optimizer: str) -> float:
    """CPU seconds per row-step of ROWS rows × STEPS steps in lanes, one thread."""
    p, run = problem(surface_id, optimizer)
    saved, threads.THREADS = threads.THREADS, 1
    try:
        lanes = LockstepRuns(p, run, np.tile(p.start, (ROWS, 1)))
        c0 = time.process_time()
        lanes.advance(STEPS)
        return (time.process_time() - c0) / (ROWS * STEPS)
    finally:
        threads.THREADS = saved


def hand_written_steps() -> Any:
    """The step loop compiled with the hand-written gradients of `HAND` (the other surfaces' as
    generated)."""
    values, gradients = [], []
    for s in ANALYTIC:
        value, grad = builtin_programs(s.expression or "")
        if s.id in HAND:
            grad = lower(tuple(parse_expression(text).tree for text in HAND[s.id]))
        values.append(value)
        gradients.append(grad)
    names = {"W_X": loop.W_X, "W_Y": loop.W_Y, "W_GX": loop.W_GX, "W_GY": loop.W_GY}
    _, grads = codegen.kernel_functions(values, gradients, names)
    plain = python_of(loop.steps)
    scope = {**vars(loop), "grads": jit_generated(grads)}
    return jit_generated(types.FunctionType(plain.__code__, scope, "steps", plain.__defaults__))


def main() -> dict:
    engine_steps = loop.steps
    hand_steps = hand_written_steps()
    c0 = time.process_time()
    loop.steps = hand_steps
    try:
        lanes_cpu(SURFACES[0], OPTIMIZERS[0])  # compiled here
    finally:
        loop.steps = engine_steps
    compile_s = time.process_time() - c0
    print("\n## Built-in surfaces in lanes: gradients generated from the formulas vs written by hand\n")
    print(
        f"{ROWS:,} rows × {STEPS} steps, one thread, CPU time per row-step, medians of {ROUNDS} alternating "
        f"rounds (the hand-written loop compiled here in {compile_s:.0f} s CPU)\n"
    )
    print("| surface | optimizer | generated | hand-written | ratio | goal |")
    print("|---|---|---|---|---|---|")
    results: dict = {}
    for sid in SURFACES:
        for opt in OPTIMIZERS:
            gen, hand = [], []
            lanes_cpu(sid, opt)  # warm
            for _ in range(ROUNDS):
                gen.append(lanes_cpu(sid, opt))
                loop.steps = hand_steps
                try:
                    hand.append(lanes_cpu(sid, opt))
                finally:
                    loop.steps = engine_steps
            ratio = statistics.median(g / h for g, h in zip(gen, hand, strict=True))
            g, h = statistics.median(gen), statistics.median(hand)
            print(f"| {sid} | {opt} | {g * 1e9:.2f} ns | {h * 1e9:.2f} ns | {ratio:.3f} | ≤ {GOAL} |")
            results[f"{sid}/{opt}"] = {"generated_s": g, "hand_s": h, "ratio": ratio}
    return results


def worker() -> None:
    for line in sys.stdin:
        sid, opt = line.split()
        print(lanes_cpu(sid, opt), flush=True)


if __name__ == "__main__":
    worker() if sys.argv[1:] == ["worker"] else main()
