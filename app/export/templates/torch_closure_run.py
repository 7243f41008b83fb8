"""The PyTorch script's run for L-BFGS and damped Newton on a formula surface (a closure per update).

A template: the exporter copies what follows the marker line below into the script; the lines
above it (imports, the script's names from `_script`) are there for the linters only.
"""

from __future__ import annotations

import math
from typing import Any

import torch

from ._script import (
    BOUND,
    CLOSURE_OPTIMIZERS,
    START,
    STEPS,
    _run_each_update,
    clip_grad,
    f,
    finish,
    loss_at,
    record_eval,
    start_run,
    take_step,
    undo_update,
)

# --- the script ---


def run(make_optimizer, make_scheduler, noise_std, clip_value=None, clip_norm=None):
    """L-BFGS and damped Newton: one update is one opt.step(closure) call, whose closure (the loss,
    its gradient, the noise draw of the update, clipping) may be called several times; each call
    is recorded in out["evals"]. Other optimizers: the loop above."""
    p = torch.tensor(START, requires_grad=True)
    opt = make_optimizer(p)
    if not isinstance(opt, CLOSURE_OPTIMIZERS):
        return _run_each_update(make_optimizer, make_scheduler, noise_std, clip_value, clip_norm)
    sched = make_scheduler(opt)
    out, noise = start_run(noise_std)
    evals: dict[str, list[Any]] = {"step": [], "x": [], "y": [], "loss": []}
    status = "max_steps"
    for t in range(STEPS + 1):
        _, small = loss_at(opt, p, out)
        if small:
            status = "converged"  # the true (noise-free) gradient is small enough
            break
        if t == STEPS:
            break
        first: list[Any] = []
        mark = len(evals["x"])

        def closure(t=t, first=first):  # called in this update only (defaults: this update's values)
            opt.zero_grad()
            loss = f(p[0], p[1])
            loss.backward()
            if noise is not None:
                p.grad += torch.from_numpy(noise[t])
            clip_grad(p, clip_value, clip_norm)
            record_eval(evals, first, t, p, loss)
            return loss

        lr = opt.param_groups[0]["lr"]
        before = p.detach().clone()
        if not take_step(opt, closure, p, before, first, evals, mark):
            status = "stopped"
            break
        if sched is not None:
            sched.step()
        if not (
            math.isfinite(f(p[0], p[1]).item())
            and math.isfinite(first[0][0])
            and p.detach().abs().max().item() <= BOUND
        ):
            status = undo_update(p, before, first, evals, mark)
            break
        out["lr"].append(lr)
        out["grad_norm"].append(first[0][1].norm().item())
        out["x"].append(p[0].item())
        out["y"].append(p[1].item())
    return finish(out, status, opt, evals)
