"""The optax script's run on a formula surface.

A template: the exporter copies what follows the marker line below into the script; the lines
above it (imports, the script's names from `_script`) are there for the linters only.
"""

from __future__ import annotations

import math
from typing import Any

import jax.numpy as jnp
import numpy as np
import optax

from ._script import BOUND, SEED, START, STEPS, TOLERANCE, clipping, f, make, set_rates, value_and_grad

# --- the script ---


def run(links, noise_std, momentum=None, plateau=None, clip=None):
    """One run as the studio draws it: x[t], y[t] after t updates, the loss there, and per update the lr
    and the norm of the gradient it used (after noise and clipping). ``links``: the run's optimizers as
    (first update, optimizer, schedule, rate); one link: a plain run; more: an optimizer chain, each
    later optimizer with a fresh state (`opt.init(p)`) from its first update on. `schedule(t)`: the lr
    of update t on the whole run's clock (a NumPy integer); `momentum(t)`: its cycled momentum;
    `plateau`: makes the engine's Plateau (one row), fed with the loss after each update (then it sets
    the lr); `rate`: the lr drawn where it is not the schedule's."""
    p = jnp.array(START)
    starts = {first: (make_optimizer, schedule, rate) for first, make_optimizer, schedule, rate in links}
    plateau = plateau() if plateau is not None else None  # a fresh rule for each run
    clipper = clipping(*clip) if clip else None
    noise = np.random.default_rng([SEED, 1]).standard_normal((STEPS, 2)) * noise_std if noise_std else None
    out: dict[str, Any] = {"x": [START[0]], "y": [START[1]], "loss": [], "lr": [], "grad_norm": []}
    if len(links) > 1:
        out["switches"] = []  # the updates at which a later optimizer took over
    status = "max_steps"
    for t in range(STEPS + 1):
        if t in starts:  # the run's optimizer (at 0), or the next one of its chain, takes over here
            make_optimizer, schedule, rate = starts[t]
            if t:
                out["switches"].append(t)
        loss, g = value_and_grad(p)
        out["loss"].append(float(loss))
        if TOLERANCE > 0 and float(jnp.linalg.norm(g)) < TOLERANCE:
            status = "converged"  # the true (noise-free) gradient is small enough
            break
        if t == STEPS:
            break
        if noise is not None:
            g = g + jnp.asarray(noise[t])
        if clipper is not None:
            g, _ = clipper.update(g, clipper.init(p))
        lr = float(plateau.lr[0]) if plateau is not None else float(schedule(np.asarray(t)))
        mom = None if momentum is None else momentum(t)
        if t in starts:  # a new optimizer, with a fresh state: opt.init(p)
            opt = make(make_optimizer, lr, mom)
            state = opt.init(p)
        set_rates(state, lr, mom)
        drawn = lr if rate is None else rate(lr, loss, g)
        updates, new_state = opt.update(g, state, p, value=loss)
        new_p = optax.apply_updates(p, updates)
        new_loss = float(f(new_p[0], new_p[1]))
        if plateau is not None:
            plateau.step1(new_loss)
        if not (math.isfinite(new_loss) and float(jnp.max(jnp.abs(new_p))) <= BOUND):
            status = "converged" if bool((g == 0).all()) else "diverged"
            break
        p, state = new_p, new_state
        out["lr"].append(drawn)
        out["grad_norm"].append(float(jnp.linalg.norm(g)))
        out["x"].append(float(p[0]))
        out["y"].append(float(p[1]))
    out["status"], out["steps_taken"] = status, len(out["lr"])
    return out
