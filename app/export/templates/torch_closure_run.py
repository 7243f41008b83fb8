"""The PyTorch script's run for L-BFGS and damped Newton on a formula surface (a closure per update).

A template: the exporter copies what follows the marker line below into the script; the lines
above it (imports, the script's names from `_script`) are there for the linters only.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch

from ._script import BOUND, CLOSURE_OPTIMIZERS, SEED, START, STEPS, _run_each_update, clip_grad, f, loss_at

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
    noise = np.random.default_rng([SEED, 1]).standard_normal((STEPS, 2)) * noise_std if noise_std else None
    out: dict[str, Any] = {"x": [START[0]], "y": [START[1]], "loss": [], "lr": [], "grad_norm": []}
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
            for key, v in (("step", t), ("x", p[0].item()), ("y", p[1].item()), ("loss", loss.item())):
                evals[key].append(v)
            if not first:
                first.append((loss.item(), p.grad.clone()))
            return loss

        lr = opt.param_groups[0]["lr"]
        before = p.detach().clone()
        opt.step(closure)
        if sched is not None:
            sched.step()
        if not (
            math.isfinite(f(p[0], p[1]).item())
            and math.isfinite(first[0][0])
            and p.detach().abs().max().item() <= BOUND
        ):
            status = "converged" if bool((first[0][1] == 0).all()) else "diverged"
            with torch.no_grad():
                p.copy_(before)
            for values in evals.values():
                del values[mark:]
            break
        out["lr"].append(lr)
        out["grad_norm"].append(first[0][1].norm().item())
        out["x"].append(p[0].item())
        out["y"].append(p[1].item())
    out["status"], out["steps_taken"] = status, len(out["lr"])
    if isinstance(opt, torch.optim.LBFGS):
        out["evals"] = evals
    return out
