"""The sweep's baselines, in the bench environment (torch, JAX/optax: never runtime dependencies).

Run as a long-lived process: each line on stdin names a baseline (``torch``, ``jax``, ``optax``);
it runs that computation once and prints its seconds as JSON ([wall, CPU of the process]), so the
caller can interleave rounds with optiviz's (rotating rounds, medians) on a noisy machine.
Compile/trace time is spent before the first answer (``ready`` carries it). Kept free of app
imports.

The workload: 10,000 rows × 500 steps of Adam on Rosenbrock from (−1.2, 1), each row with its own
lr (log grid 1e-4..0.1) and β₁ (linear grid 0..0.99), as a 100 × 100 sweep.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import time

import numpy as np

N, STEPS, START = 100, 500, (-1.2, 1.0)
B2, EPS = 0.999, 1e-8


def grid() -> tuple[np.ndarray, np.ndarray]:
    lr, b1 = np.meshgrid(np.geomspace(1e-4, 0.1, N), np.linspace(0.0, 0.99, N))
    return lr.ravel(), b1.ravel()


def torch_sweep():
    import torch

    torch.set_num_threads(1)
    lr_np, b1_np = grid()

    def run() -> float:
        lr, b1 = torch.tensor(lr_np), torch.tensor(b1_np)
        x, y = torch.full((N * N,), START[0], dtype=torch.float64), torch.full((N * N,), START[1], dtype=torch.float64)
        mx, my, vx, vy = (torch.zeros_like(x) for _ in range(4))
        one_b1 = 1.0 - b1
        with torch.no_grad():
            for t in range(1, STEPS + 1):  # hand-written tensors: Adam as torch.optim does it, no autograd
                b = y - x * x
                gx = -2.0 * (1.0 - x) - 400.0 * b * x
                gy = 200.0 * b
                mx.add_(one_b1 * (gx - mx))
                my.add_(one_b1 * (gy - my))
                vx.mul_(B2).addcmul_(gx, gx, value=1.0 - B2)
                vy.mul_(B2).addcmul_(gy, gy, value=1.0 - B2)
                step = lr / (1.0 - b1**t)
                c2 = (1.0 - B2**t) ** 0.5
                x.sub_(step * mx / (vx.sqrt() / c2 + EPS))
                y.sub_(step * my / (vy.sqrt() / c2 + EPS))
        return float(x.sum())

    return run


def jax_sweep(with_optax: bool):
    import jax

    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp

    def loss(p):
        return (1.0 - p[0]) ** 2 + 100.0 * (p[1] - p[0] ** 2) ** 2

    if with_optax:
        import optax

        def one(lr, b1):
            opt = optax.adam(lr, b1=b1, b2=B2, eps=EPS)
            p0 = jnp.array(START)

            def step(carry, _):
                p, s = carry
                upd, s = opt.update(jax.grad(loss)(p), s, p)
                return (optax.apply_updates(p, upd), s), None

            return jax.lax.scan(step, (p0, opt.init(p0)), None, length=STEPS)[0][0]
    else:

        def one(lr, b1):
            def step(carry, t):
                x, y, mx, my, vx, vy = carry
                b = y - x * x
                gx, gy = -2.0 * (1.0 - x) - 400.0 * b * x, 200.0 * b
                mx, my = mx + (1.0 - b1) * (gx - mx), my + (1.0 - b1) * (gy - my)
                vx, vy = vx * B2 + (1.0 - B2) * gx * gx, vy * B2 + (1.0 - B2) * gy * gy
                step_size = lr / (1.0 - b1**t)
                c2 = jnp.sqrt(1.0 - B2**t)
                x = x - step_size * mx / (jnp.sqrt(vx) / c2 + EPS)
                y = y - step_size * my / (jnp.sqrt(vy) / c2 + EPS)
                return (x, y, mx, my, vx, vy), None

            z = jnp.zeros(())
            init = (jnp.asarray(START[0]), jnp.asarray(START[1]), z, z, z, z)
            return jax.lax.scan(step, init, jnp.arange(1, STEPS + 1, dtype=jnp.float64))[0][:2]

    fn = jax.jit(jax.vmap(one))
    lr, b1 = (jnp.asarray(a) for a in grid())

    def run() -> float:
        out = fn(lr, b1)
        jax.block_until_ready(out)
        return 0.0

    return run


def serve(makers: dict) -> None:
    """The long-lived process's loop: each maker builds its computation (compiled and warmed up
    here, its time reported as ``ready``), then each stdin line ``name [count]`` runs it ``count``
    times in a row (default once) and prints [wall, CPU] seconds."""
    ready: dict = {}
    runs = {}
    for name, make in makers.items():
        t0 = time.perf_counter()
        try:
            runs[name] = make()
            runs[name]()  # compile / warm up
            ready[name] = time.perf_counter() - t0
        except Exception as err:
            ready[name] = f"unavailable: {type(err).__name__}: {err}"
    versions = {}
    for mod in ("torch", "jax", "optax"):
        with contextlib.suppress(ImportError):
            versions[mod] = __import__(mod).__version__
    print(json.dumps({"ready": ready, "versions": versions, "cpus": os.cpu_count()}), flush=True)
    for line in sys.stdin:
        name, _, count = line.strip().partition(" ")
        if name not in runs:
            print(json.dumps(None), flush=True)
            continue
        t0, c0 = time.perf_counter(), time.process_time()
        for _ in range(int(count or 1)):
            runs[name]()
        print(json.dumps([time.perf_counter() - t0, time.process_time() - c0]), flush=True)


def main() -> None:
    serve({"torch": torch_sweep, "jax": lambda: jax_sweep(False), "optax": lambda: jax_sweep(True)})


if __name__ == "__main__":
    main()
