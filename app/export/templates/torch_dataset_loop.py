"""The PyTorch script's run on a dataset surface: mini-batches, the scheduler per update or per epoch.

A template: the exporter copies what follows the marker line below into the script; the lines
above it (imports, the script's names from `_script`) are there for the linters only.
"""

from __future__ import annotations

import math
from typing import Any

import torch

from ._script import (
    BOUND,
    LOSS,
    SEED,
    START,
    STEPS,
    TOLERANCE,
    BatchOrder,
    M,
    X,
    Y,
    clip_grad,
    record_average,
    step_scheduler,
)

# --- the script ---


def loss_on(p, idx):
    """The cost of (w, b) = p on the samples idx (None: all of them, in stored order)."""
    x, y = (X, Y) if idx is None else (X[idx], Y[idx])
    w, b = p[0], p[1]
    return LOSS(w, b, x, y)


def start_run(p, batch_size, per_epoch):
    """A run's record at its start (the full-data loss there), its mini-batch order, and after how
    many updates its scheduler steps (every update, or per_epoch each epoch's last)."""
    order = BatchOrder(M, batch_size, SEED)
    out: dict[str, Any] = {
        "x": [START[0]],
        "y": [START[1]],
        "loss": [loss_on(p, None).item()],
        "lr": [],
        "grad_norm": [],
        "batch_loss": [],
    }
    return out, order, order.per_epoch if per_epoch else 1


def converged(opt, p):
    """Whether the full-data gradient's norm at p is below TOLERANCE (never when it is 0)."""
    if TOLERANCE <= 0:
        return False
    opt.zero_grad()
    loss_on(p, None).backward()
    return p.grad.norm().item() < TOLERANCE


def run(make_optimizer, make_scheduler, batch_size, per_epoch, clip_value=None, clip_norm=None):
    """One run as the studio draws it: (w, b) after t updates, the full-data loss there; per update
    the lr, the norm of the mini-batch gradient it used (after clipping) and that batch's cost. The
    scheduler steps after every update, or (per_epoch) after each epoch's last update."""
    p = torch.tensor(START, requires_grad=True)
    opt = make_optimizer(p)
    sched = make_scheduler(opt)
    out, order, every = start_run(p, batch_size, per_epoch)
    status = "max_steps"
    for t in range(STEPS + 1):
        if converged(opt, p):
            status = "converged"  # the full-data gradient
            break
        if t == STEPS:
            break
        opt.zero_grad()
        cost = loss_on(p, order.indices(t))
        cost.backward()
        clip_grad(p, clip_value, clip_norm)
        lr, gnorm = opt.param_groups[0]["lr"], p.grad.norm().item()
        opt.step()
        new_loss = loss_on(p, None).item()
        if not (math.isfinite(new_loss) and math.isfinite(cost.item()) and p.detach().abs().max().item() <= BOUND):
            status = "converged" if bool((p.grad == 0).all()) else "diverged"
            break
        if sched is not None and (t + 1) % every == 0:
            step_scheduler(sched, new_loss)
        out["lr"].append(lr)
        out["grad_norm"].append(gnorm)
        out["batch_loss"].append(cost.item())
        out["x"].append(p[0].item())
        out["y"].append(p[1].item())
        out["loss"].append(new_loss)
        record_average(out, opt, p)
    out["status"], out["steps_taken"] = status, len(out["lr"])
    return out
