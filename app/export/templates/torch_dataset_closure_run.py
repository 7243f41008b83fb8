"""The PyTorch script's run for L-BFGS and damped Newton on a dataset surface.

A template: the exporter copies what follows the marker line below into the script; the lines
above it (imports, the script's names from `_script`) are there for the linters only.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch

from ._script import (
    BOUND,
    CLOSURE_OPTIMIZERS,
    RESIDUAL,
    START,
    STEPS,
    DampedNewton,
    _data,
    _run_each_update,
    clip_grad,
    converged,
    finish,
    loss_on,
    record_eval,
    start_run,
    step_scheduler,
    take_step,
    undo_update,
)

# --- the script ---


def batch_hessian(idx):
    """The Hessian of the cost on the samples idx as the studio takes it on a data set: central
    differences of the mini-batch gradient, step 1e-5*max(1, |theta_i|), symmetrised."""

    def grad(w, b):  # in NumPy, the studio's own formula (the same bits: the differences divide by 2e-5)
        x, y = _data.x[idx], _data.y[idx]
        r = RESIDUAL(w, b, x, y)
        return float(np.mean(r * x)), float(np.mean(r))

    def hessian(v):
        x, y = v[0].item(), v[1].item()
        hx, hy = 1e-5 * max(1.0, abs(x)), 1e-5 * max(1.0, abs(y))
        (gxp, gyp), (gxm, gym) = grad(x + hx, y), grad(x - hx, y)
        (gxq, gyq), (gxn, gyn) = grad(x, y + hy), grad(x, y - hy)
        b = 0.5 * ((gyp - gym) / (2 * hx) + (gxq - gxn) / (2 * hy))
        return torch.tensor([[(gxp - gxm) / (2 * hx), b], [b, (gyq - gyn) / (2 * hy)]])

    return hessian


def run(make_optimizer, make_scheduler, batch_size, per_epoch, clip_value=None, clip_norm=None):
    """L-BFGS and damped Newton on a data set: one update is one opt.step(closure) call, every call
    of its closure on the same mini-batch (recorded in out["evals"]: the batch cost there). Other
    optimizers: the loop above."""
    p = torch.tensor(START, requires_grad=True)
    opt = make_optimizer(p)
    if not isinstance(opt, CLOSURE_OPTIMIZERS):
        return _run_each_update(make_optimizer, make_scheduler, batch_size, per_epoch, clip_value, clip_norm)
    sched = make_scheduler(opt)
    out, order, every = start_run(p, batch_size, per_epoch)
    evals: dict[str, list[Any]] = {"step": [], "x": [], "y": [], "loss": []}
    status = "max_steps"
    for t in range(STEPS + 1):
        if converged(opt, p):
            status = "converged"  # the full-data gradient
            break
        if t == STEPS:
            break
        idx = order.indices(t)
        if isinstance(opt, DampedNewton):
            opt.hessian = batch_hessian(idx)
        first: list[Any] = []
        mark = len(evals["x"])

        def closure(t=t, idx=idx, first=first):  # called in this update only (defaults: this update's values)
            opt.zero_grad()
            cost = loss_on(p, idx)
            cost.backward()
            clip_grad(p, clip_value, clip_norm)
            record_eval(evals, first, t, p, cost)
            return cost

        lr = opt.param_groups[0]["lr"]
        before = p.detach().clone()
        if not take_step(opt, closure, p, before, first, evals, mark):
            status = "stopped"
            break
        new_loss = loss_on(p, None).item()
        if not (math.isfinite(new_loss) and math.isfinite(first[0][0]) and p.detach().abs().max().item() <= BOUND):
            status = undo_update(p, before, first, evals, mark)
            break
        if sched is not None and (t + 1) % every == 0:
            step_scheduler(sched, new_loss)
        out["lr"].append(lr)
        out["grad_norm"].append(first[0][1].norm().item())
        out["batch_loss"].append(first[0][0])
        out["x"].append(p[0].item())
        out["y"].append(p[1].item())
        out["loss"].append(new_loss)
    return finish(out, status, opt, evals)
