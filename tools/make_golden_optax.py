"""Golden trajectories for the optimizers torch.optim does not have, made with optax (float64).

Run with an interpreter that has jax and optax (never runtime dependencies of the app):

    .venv-torch/bin/python tools/make_golden_optax.py   # writes tests/golden/optax_golden.json

The cases have the format of tools/make_golden.py's (a request body with one run, and what the
reference gives: points, losses, the lr of each update and the norm of the gradient it used);
tests/engine/test_golden.py compares the engine with both files to 1e-9 relative.
"""

from __future__ import annotations

import json
import sys
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
    "six_hump_camel": lambda x, y: (4 - 2.1 * x**2 + x**4 / 3) * x**2 + x * y + (-4 + 4 * y**2) * y**2,
}
# Polyak's step divides by ‖g‖² and is chaotic on most surfaces: round-off differences between
# jax's autodiff and the engine's gradients grow to 1e-9 within tens of steps. Its cases take the
# engine's own loss and gradient (app/engine/surfaces.py: derived from each surface's formula, on
# Python floats), so what is compared is the optimizer alone.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from golden_cases import cases  # noqa: E402

from app.engine.backend import SCALAR  # noqa: E402
from app.engine.surfaces import ANALYTIC  # noqa: E402

HAND = {
    s.id: (
        lambda x, y, s=s: s.value(float(x), float(y), SCALAR),
        lambda x, y, s=s: s.grad(float(x), float(y), SCALAR),
    )
    for s in ANALYTIC
    if s.id in SURFACES
}

# the minimum values the registry states (app/engine/surfaces.py): Polyak's f* when a case gives none
F_MIN = {"rosenbrock": 0.0, "elongated_bowl": 0.0, "himmelblau": 0.0, "six_hump_camel": -1.031628453489877}


def schedule(lr: float, sched: dict | None):
    if sched is None:
        return lambda count: lr
    name, p = sched["name"], sched.get("params", {})
    warmup = sched.get("warmup_steps", 0)
    # optax.exponential_decay computes in float32 (its lr for 0.02 is 0.019999999552965164): the
    # same schedule written in float64 instead
    if name == "exponential":

        def after(count):
            return jnp.float64(lr) * jnp.float64(p["gamma"]) ** jnp.asarray(count, dtype=jnp.float64)
    elif name == "constant":

        def after(count):
            return jnp.float64(lr)
    else:
        raise ValueError(name)
    if not warmup:
        return after

    def warmed(count):  # the studio's warm-up (torch's): lr·(t + 1)/W for t < W, then the schedule at t − W
        c = jnp.asarray(count, dtype=jnp.int64)
        return jnp.where(c < warmup, jnp.float64(lr) * (c + 1.0) / warmup, after(jnp.maximum(c - warmup, 0)))

    return warmed


def schedule_free_adamw(lr, params: dict):
    """optax's schedule_free_adamw; with a schedule, its chain under optax.contrib.schedule_free whose
    wrapper reads the schedule one count earlier (its step count starts at 1, the base's at 0), so both
    use the lr of the same update (what the engine does)."""
    b1, b2, eps = params.get("beta1", 0.9), params.get("beta2", 0.999), params.get("eps", 1e-8)
    wd, power = params.get("weight_decay", 0.0), params.get("weight_lr_power", 2.0)
    if not callable(lr):
        return optax.contrib.schedule_free_adamw(
            learning_rate=lr, b1=b1, b2=b2, eps=eps, weight_decay=wd, weight_lr_power=power
        )
    base = optax.chain(
        optax.scale_by_rms(decay=b2, eps=eps, eps_in_sqrt=False, bias_correction=True),
        optax.add_decayed_weights(wd),
        optax.scale_by_learning_rate(lr),
    )
    return optax.contrib.schedule_free(base, learning_rate=lambda count: lr(count - 1), b1=b1, weight_lr_power=power)


def make_optimizer(opt: str, params: dict, lr):
    if opt == "lion":
        return optax.lion(
            learning_rate=lr,
            b1=params.get("beta1", 0.9),
            b2=params.get("beta2", 0.99),
            weight_decay=params.get("weight_decay", 1e-3),
        )
    if opt == "schedule_free_adamw":
        return schedule_free_adamw(lr, params)
    if opt == "polyak_sgd":
        return optax.polyak_sgd(
            max_learning_rate=params.get("max_learning_rate", 1.0),
            scaling=lr,
            f_min=params["f_min"],
            eps=params.get("eps", 0.0),
            variant=params.get("variant", "sps"),
        )
    raise ValueError(opt)


def polyak_rate(params: dict, s, loss, g):
    """The effective rate of optax's polyak_sgd (scale_by_polyak's step times the scaling s)."""
    u = -s * g
    n2 = jnp.sum(u * u)
    gap = loss - params["f_min"]
    if params.get("variant", "sps") == "sps+":
        gap = jnp.maximum(gap, 0.0)
    eps = params.get("eps", 0.0)
    step = jnp.where(
        n2 + eps <= jnp.finfo(float).eps, 0.0, jnp.minimum(gap / (n2 + eps), params.get("max_learning_rate", 1.0))
    )
    return float(s * step)


def reference(case: dict) -> dict:
    req = case["request"]
    run = req["runs"][0]
    f = SURFACES[req["surface"]]
    lr_of = schedule(run["params"]["lr"], run.get("schedule"))
    params = dict(run["params"])
    if run["optimizer"] == "polyak_sgd":  # f*: the surface's, as the engine fills it in
        params = {"f_min": F_MIN[req["surface"]], **params}
    opt = make_optimizer(run["optimizer"], params, lr_of)
    p = jnp.array([float(v) for v in req["start"]], dtype=jnp.float64)
    state = opt.init(p)
    value_and_grad = jax.value_and_grad(lambda q: f(q[0], q[1]))
    if run["optimizer"] == "polyak_sgd":
        f, hand_grad = HAND[req["surface"]]

        def value_and_grad(q):
            return f(q[0], q[1]), jnp.array(hand_grad(q[0], q[1]))

    xs, ys, losses, lrs, norms = [float(p[0])], [float(p[1])], [], [], []
    ax, ay = [], []  # Schedule-Free: the averaged iterate x after each update (the engine's mx, my)
    polyak = run["optimizer"] == "polyak_sgd"
    for t in range(req["steps"]):
        loss, g = value_and_grad(p)
        losses.append(float(loss))
        norms.append(float(jnp.linalg.norm(g)))
        if polyak:  # the lr drawn is the effective rate
            lrs.append(polyak_rate(params, lr_of(t), loss, g))
            updates, state = opt.update(g, state, p, value=loss)
        else:
            lrs.append(float(lr_of(t)))
            updates, state = opt.update(g, state, p)
        p = optax.apply_updates(p, updates)
        xs.append(float(p[0]))
        ys.append(float(p[1]))
        if run["optimizer"] == "schedule_free_adamw":
            x = optax.contrib.schedule_free_eval_params(state, p)
            ax.append(float(x[0]))
            ay.append(float(x[1]))
    losses.append(float(f(p[0], p[1])))
    out = {"x": xs, "y": ys, "loss": losses, "lr": lrs, "grad_norm": norms}
    if ax:
        out.update(ax=ax, ay=ay)
    return out


CASES = cases("optax")


def main() -> None:
    cases = [dict(c, expected=reference(c)) for c in CASES]
    OUT.write_text(json.dumps({"optax_version": optax.__version__, "jax_version": jax.__version__, "cases": cases}))
    print(f"wrote {len(cases)} cases to {OUT} ({OUT.stat().st_size / 1e6:.2f} MB)")


if __name__ == "__main__":
    main()
