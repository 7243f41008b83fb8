"""Golden trajectories for the optimizers torch.optim does not have, made with optax (float64).

Run with an interpreter that has jax and optax (never runtime dependencies of the app):

    .venv-torch/bin/python tools/make_golden_optax.py   # writes tests/golden/optax_golden.json

The cases have the format of tools/make_golden.py's (a request body with one run, and what the
reference gives: points, losses, the lr of each update and the norm of the gradient it used);
tests/engine/test_golden.py compares the engine with both files to 1e-9 relative.
"""

from __future__ import annotations

import json
from pathlib import Path

import jax

jax.config.update("jax_enable_x64", True)

import jax.numpy as jnp  # noqa: E402
import optax  # noqa: E402

OUT = Path(__file__).resolve().parent.parent / "tests/golden/optax_golden.json"

SURFACES = {
    "rosenbrock": lambda x, y: (1 - x) ** 2 + 100 * (y - x**2) ** 2,
    "elongated_bowl": lambda x, y: 0.1 * x**2 + 2 * y**2,
    "himmelblau": lambda x, y: (x**2 + y - 11) ** 2 + (x + y**2 - 7) ** 2,
}


def schedule(lr: float, sched: dict | None):
    if sched is None:
        return lambda count: lr
    name, p = sched["name"], sched.get("params", {})
    # optax.exponential_decay computes in float32 (its lr for 0.02 is 0.019999999552965164): the
    # same schedule written in float64 instead
    if name == "exponential":
        return lambda count: jnp.float64(lr) * jnp.float64(p["gamma"]) ** jnp.asarray(count, dtype=jnp.float64)
    raise ValueError(name)


def make_optimizer(opt: str, params: dict, lr):
    if opt == "lion":
        return optax.lion(learning_rate=lr, b1=params.get("beta1", 0.9), b2=params.get("beta2", 0.99),
                          weight_decay=params.get("weight_decay", 1e-3))
    raise ValueError(opt)


def reference(case: dict) -> dict:
    req = case["request"]
    run = req["runs"][0]
    f = SURFACES[req["surface"]]
    lr_of = schedule(run["params"]["lr"], run.get("schedule"))
    opt = make_optimizer(run["optimizer"], run["params"], lr_of)
    p = jnp.array([float(v) for v in req["start"]], dtype=jnp.float64)
    state = opt.init(p)
    value_and_grad = jax.value_and_grad(lambda q: f(q[0], q[1]))
    xs, ys, losses, lrs, norms = [float(p[0])], [float(p[1])], [], [], []
    for t in range(req["steps"]):
        loss, g = value_and_grad(p)
        losses.append(float(loss))
        norms.append(float(jnp.linalg.norm(g)))
        lrs.append(float(lr_of(t)))
        updates, state = opt.update(g, state, p)
        p = optax.apply_updates(p, updates)
        xs.append(float(p[0]))
        ys.append(float(p[1]))
    losses.append(float(f(p[0], p[1])))
    return {"x": xs, "y": ys, "loss": losses, "lr": lrs, "grad_norm": norms}


def case(name, surface, start, steps, optimizer, params, schedule=None):
    run = {"optimizer": optimizer, "params": params}
    if schedule:
        run["schedule"] = schedule
    return {"name": name, "request": {"surface": surface, "start": start, "steps": steps, "runs": [run]}}


CASES = [
    case("lion_bowl", "elongated_bowl", [-9, 3], 200, "lion", {"lr": 0.01}),
    case("lion_rosenbrock", "rosenbrock", [-1.2, 1.0], 300, "lion", {"lr": 0.001, "beta1": 0.95, "beta2": 0.98,
                                                                       "weight_decay": 0.0}),
    case("lion_exponential_himmelblau", "himmelblau", [-0.3, -0.9], 200, "lion", {"lr": 0.02, "weight_decay": 0.01},
         {"name": "exponential", "params": {"gamma": 0.99}}),
]


def main() -> None:
    cases = [dict(c, expected=reference(c)) for c in CASES]
    OUT.write_text(json.dumps({"optax_version": optax.__version__, "jax_version": jax.__version__, "cases": cases}))
    print(f"wrote {len(cases)} cases to {OUT} ({OUT.stat().st_size / 1e6:.2f} MB)")


if __name__ == "__main__":
    main()
