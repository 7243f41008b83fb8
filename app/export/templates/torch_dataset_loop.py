"""The PyTorch script's run on a dataset surface: mini-batches, the scheduler per update or per epoch.

A template: the exporter copies what follows the marker line below into the script; the lines
above it (imports, the script's names from `_script`) are there for the linters only.
"""

from __future__ import annotations

import math
from typing import Any

import torch

from ._script import BOUND, LOSS, SEED, START, STEPS, TOLERANCE, BatchOrder, M, X, Y, closure_update
from .torch_schedulers import clip_grad, finish, record_average, step_scheduler, undo_update
from .torch_switch import take_over

# --- the script ---

CLOSURE_OPTIMIZERS: tuple[Any, ...] = ()  # L-BFGS and damped Newton, where a run uses them (set below)


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


def each_update(opt, p, idx, t, clip_value, clip_norm):
    """One update from the gradient of the cost on the samples idx (clipped): (the lr drawn, the
    norm of the gradient used, that gradient, the batch's cost)."""
    opt.zero_grad()
    cost = loss_on(p, idx)
    cost.backward()
    clip_grad(p, clip_value, clip_norm)
    lr, gnorm = opt.param_groups[0]["lr"], p.grad.norm().item()
    opt.step()
    return lr, gnorm, p.grad, cost.item()


def run(links, batch_size, per_epoch, clip_value=None, clip_norm=None):
    """One run as the studio draws it: (w, b) after t updates, the full-data loss there; per update
    the lr, the norm of the mini-batch gradient it used (after clipping) and that batch's cost. The
    scheduler steps after every update, or (per_epoch) after each epoch's last update. ``links``:
    the run's optimizers as (first update, optimizer over p, its scheduler); more than one: an
    optimizer chain, each later optimizer created at its first update on the same tensor
    (`take_over`), the mini-batch of update t the same across a switch. L-BFGS and damped Newton
    update by opt.step(closure) (`closure_update`), every evaluation in out["evals"]."""
    p = torch.tensor(START, requires_grad=True)
    starts = {first: (make_optimizer, make_scheduler) for first, make_optimizer, make_scheduler in links}
    out, order, every = start_run(p, batch_size, per_epoch)
    evals: dict[str, list[Any]] = {"step": [], "x": [], "y": [], "loss": []}
    if len(links) > 1:
        out["switches"] = []  # the updates at which a later optimizer took over
    status = "max_steps"
    for t in range(STEPS + 1):
        if t in starts:  # the run's optimizer (at 0), or the next one of its chain, takes over here
            opt, sched = take_over(p, *starts[t], t // every)
            update = closure_update(evals) if isinstance(opt, CLOSURE_OPTIMIZERS) else each_update
            if t:
                out["switches"].append(t)
                out.pop("average", None)  # an averaged iterate is its optimizer's: the next one keeps its own
        if converged(opt, p):
            status = "converged"  # the full-data gradient
            break
        if t == STEPS:
            break
        before, mark = p.detach().clone(), len(evals["step"])
        try:
            lr, gnorm, used, cost = update(opt, p, order.indices(t), t, clip_value, clip_norm)
        except ZeroDivisionError:  # L-BFGS's line search on an interval of length 0 (lr = 0): torch stops
            undo_update(p, before, p.grad, evals, mark)
            status = "stopped"
            break
        new_loss = loss_on(p, None).item()
        if not (math.isfinite(new_loss) and math.isfinite(cost) and p.detach().abs().max().item() <= BOUND):
            status = undo_update(p, before, used, evals, mark)
            break
        if sched is not None and (t + 1) % every == 0:
            step_scheduler(sched, new_loss)
        out["lr"].append(lr)
        out["grad_norm"].append(gnorm)
        out["batch_loss"].append(cost)
        out["x"].append(p[0].item())
        out["y"].append(p[1].item())
        out["loss"].append(new_loss)
        record_average(out, opt, p)
    return finish(out, status, opt, evals)
