"""The PyTorch script's run on a formula surface: one update per step, the scheduler after it.

A template: the exporter copies what follows the marker line below into the script; the lines
above it (imports, the script's names from `_script`) are there for the linters only.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch

from ._script import BOUND, SEED, START, STEPS, TOLERANCE, closure_update, f
from .torch_schedulers import clip_grad, finish, record_average, step_scheduler, undo_update
from .torch_switch import take_over

# --- the script ---

CLOSURE_OPTIMIZERS: tuple[Any, ...] = ()  # L-BFGS and damped Newton, where a run uses them (set below)


def loss_at(opt, p, out):
    """The loss at p (recorded in out, its gradient in p.grad) and whether that true, noise-free
    gradient's norm is below TOLERANCE."""
    opt.zero_grad()
    loss = f(p[0], p[1])
    loss.backward()
    out["loss"].append(loss.item())
    return loss, TOLERANCE > 0 and p.grad.norm().item() < TOLERANCE


def start_run(noise_std):
    """A run's record at its start, and its gradient noise: the same seeded draws as the studio's
    (NumPy's PCG64, seed [SEED, 1]; None without noise)."""
    noise = np.random.default_rng([SEED, 1]).standard_normal((STEPS, 2)) * noise_std if noise_std else None
    out: dict[str, Any] = {"x": [START[0]], "y": [START[1]], "loss": [], "lr": [], "grad_norm": []}
    return out, noise


def each_update(opt, p, loss, t, noise, clip_value, clip_norm):
    """One update from the gradient at p (noise added, then clipped) and the loss there (the Polyak
    step size reads it, the others ignore it): (the lr drawn, the norm of the gradient used, that
    gradient, whether the update's own loss was finite: it computes none)."""
    if noise is not None:
        p.grad += torch.from_numpy(noise[t])
    clip_grad(p, clip_value, clip_norm)
    lr, gnorm = opt.param_groups[0]["lr"], p.grad.norm().item()
    opt.step(lambda loss=loss: loss)
    return opt.param_groups[0].get("effective_lr", lr), gnorm, p.grad, True  # Polyak: the rate it used


def run(links, noise_std, clip_value=None, clip_norm=None):
    """One run as the studio draws it: x[t], y[t] after t updates, the loss there, and per update
    the lr and the norm of the gradient it used (after noise and clipping). ``links``: the run's
    optimizers as (first update, optimizer over p, its scheduler); one link: a plain run; more: an
    optimizer chain, each later optimizer created at its first update on the same tensor
    (`take_over`). L-BFGS and damped Newton update by opt.step(closure) (`closure_update`), every
    loss evaluation kept in out["evals"]; the noise draw of update t is the same across a switch."""
    p = torch.tensor(START, requires_grad=True)
    starts = {first: (make_optimizer, make_scheduler) for first, make_optimizer, make_scheduler in links}
    out, noise = start_run(noise_std)
    evals: dict[str, list[Any]] = {"step": [], "x": [], "y": [], "loss": []}
    if len(links) > 1:
        out["switches"] = []  # the updates at which a later optimizer took over
    status = "max_steps"
    for t in range(STEPS + 1):
        if t in starts:  # the run's optimizer (at 0), or the next one of its chain, takes over here
            opt, sched = take_over(p, *starts[t], t)
            update = closure_update(evals) if isinstance(opt, CLOSURE_OPTIMIZERS) else each_update
            if t:
                out["switches"].append(t)
                out.pop("average", None)  # an averaged iterate is its optimizer's: the next one keeps its own
        loss, small = loss_at(opt, p, out)
        if small:
            status = "converged"  # the true (noise-free) gradient is small enough
            break
        if t == STEPS:
            break
        before, mark = p.detach().clone(), len(evals["step"])
        try:
            lr, gnorm, used, finite = update(opt, p, loss, t, noise, clip_value, clip_norm)
        except ZeroDivisionError:  # L-BFGS's line search on an interval of length 0 (lr = 0): torch stops
            undo_update(p, before, p.grad, evals, mark)
            status = "stopped"
            break
        new_loss = f(p[0], p[1]).item()
        if sched is not None:
            step_scheduler(sched, new_loss)
        if not (finite and math.isfinite(new_loss) and p.detach().abs().max().item() <= BOUND):
            status = undo_update(p, before, used, evals, mark)
            break
        out["lr"].append(lr)
        out["grad_norm"].append(gnorm)
        out["x"].append(p[0].item())
        out["y"].append(p[1].item())
        record_average(out, opt, p)
    return finish(out, status, opt, evals)
