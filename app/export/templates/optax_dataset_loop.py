"""The optax script's run on a dataset surface.

A template: the exporter copies what follows the marker line below into the script; the lines
above it (imports, the script's names from `_script`) are there for the linters only.
"""

from __future__ import annotations

import math
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax

from ._script import BOUND, LOSS, SEED, START, STEPS, TOLERANCE, BatchOrder, M, X, Y, clipping, make, set_rates

# --- the script ---


def loss_on(p, idx):
    """The cost of (w, b) = p on the samples idx (None: all of them, in stored order)."""
    x, y = (X, Y) if idx is None else (X[idx], Y[idx])
    return LOSS(p[0], p[1], x, y)


batch_value_and_grad = jax.value_and_grad(loss_on)


def run(links, batch_size, per_epoch, momentum=None, plateau=None, clip=None):
    """One run as the studio draws it: (w, b) after t updates, the full-data loss there; per update the
    lr, the norm of the mini-batch gradient it used (after clipping) and that batch's cost. Schedules
    count updates, or (per_epoch) epochs; the Plateau reads the full-data loss after every update, or
    after each epoch's last one. ``links``: the run's optimizers as (first update, optimizer, schedule,
    rate); more than one: an optimizer chain, each later optimizer with a fresh state (`opt.init(p)`)
    from its first update on, the mini-batch of update t the same across a switch."""
    p = jnp.array(START)
    starts = {first: (make_optimizer, schedule, rate) for first, make_optimizer, schedule, rate in links}
    order = BatchOrder(M, batch_size, SEED)
    every = order.per_epoch if per_epoch else 1
    plateau = plateau() if plateau is not None else None  # a fresh rule for each run
    clipper = clipping(*clip) if clip else None
    out: dict[str, Any] = {
        "x": [START[0]],
        "y": [START[1]],
        "loss": [float(loss_on(p, None))],
        "lr": [],
        "grad_norm": [],
        "batch_loss": [],
    }
    if len(links) > 1:
        out["switches"] = []  # the updates at which a later optimizer took over
    status = "max_steps"
    for t in range(STEPS + 1):
        if t in starts:  # the run's optimizer (at 0), or the next one of its chain, takes over here
            make_optimizer, schedule, rate = starts[t]
            if t:
                out["switches"].append(t)
        if TOLERANCE > 0 and float(jnp.linalg.norm(batch_value_and_grad(p, None)[1])) < TOLERANCE:
            status = "converged"  # the full-data gradient
            break
        if t == STEPS:
            break
        cost, g = batch_value_and_grad(p, order.indices(t))
        if clipper is not None:
            g, _ = clipper.update(g, clipper.init(p))
        k = t // every
        lr = float(plateau.lr[0]) if plateau is not None else float(schedule(np.asarray(k)))
        mom = None if momentum is None else momentum(k)
        if t in starts:  # a new optimizer, with a fresh state: opt.init(p)
            opt = make(make_optimizer, lr, mom)
            state = opt.init(p)
        set_rates(state, lr, mom)
        drawn = lr if rate is None else rate(lr, cost, g)
        updates, new_state = opt.update(g, state, p, value=cost)
        new_p = optax.apply_updates(p, updates)
        new_loss = float(loss_on(new_p, None))
        if not (math.isfinite(new_loss) and math.isfinite(float(cost)) and float(jnp.max(jnp.abs(new_p))) <= BOUND):
            status = "converged" if bool((g == 0).all()) else "diverged"
            break
        if plateau is not None and (t + 1) % every == 0:
            plateau.step1(new_loss)
        p, state = new_p, new_state
        out["lr"].append(drawn)
        out["grad_norm"].append(float(jnp.linalg.norm(g)))
        out["batch_loss"].append(float(cost))
        out["x"].append(float(p[0]))
        out["y"].append(float(p[1]))
        out["loss"].append(new_loss)
    out["status"], out["steps_taken"] = status, len(out["lr"])
    return out
