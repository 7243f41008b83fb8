"""The PyTorch script's helpers shared by its runs: the schedulers, clipping, the averaged iterate.

A template: the exporter copies what follows the marker line below into the script; the lines
above it (imports, the script's names from `_script`) are there for the linters only.
"""

from __future__ import annotations

import warnings

import torch
from torch.optim import lr_scheduler as L

# --- the script ---


def step_scheduler(sched, loss):
    """After an update (an epoch): ReduceLROnPlateau reads the loss at the new point."""
    if isinstance(sched, L.ReduceLROnPlateau):
        sched.step(loss)
    else:
        sched.step()


def advanced(sched, times):
    """The scheduler (None: none) stepped `times` times: the steps the run's scheduler had made when
    a new optimizer takes over (a chain's next link), so that one schedule runs on the whole run's
    clock, from the new optimizer's lr as its base."""
    if sched is not None and times:
        with warnings.catch_warnings():  # "lr_scheduler.step() before optimizer.step()": on purpose
            warnings.simplefilter("ignore")
            for _ in range(times):
                sched.step()
    return sched


def starting_at(sched, lr):
    """The scheduler with the first rate set to lr: torch's OneCycleLR writes its own start rate,
    max_lr/div_factor, as the group's initial_lr, and SequentialLR would start a warm-up before it
    from that (the warm-up's LinearLR then goes on from the group's rate)."""
    for group in sched.optimizer.param_groups:
        group["lr"] = lr
    return sched


def clip_grad(p, clip_value, clip_norm):
    """The gradient of p (a tensor, or a list: a network's tensors, the norm over them all)
    clipped as the studio clips it: by value, then by norm (None: not)."""
    params = p if isinstance(p, list) else [p]
    if clip_value is not None:
        torch.nn.utils.clip_grad_value_(params, clip_value)
    if clip_norm is not None:
        torch.nn.utils.clip_grad_norm_(params, clip_norm)


def record_average(out, opt, p):
    """The averaged iterate after an update, where the optimizer keeps one (ASGD's ax,
    Schedule-Free's x): drawn as a thin path beside the run's, out["average"]."""
    st = opt.state[p]
    avg = st["x"] if "x" in st else st.get("ax")
    if avg is not None:
        out.setdefault("average", {"x": [], "y": []})
        out["average"]["x"].append(avg[0].item())
        out["average"]["y"].append(avg[1].item())


def undo_update(p, before, used, evals, mark):
    """An update that left the finite region, undone: p back at before, the closure calls it made
    dropped from evals; the run's status ("converged" where the gradient it used was exactly 0)."""
    status = "converged" if bool((used == 0).all()) else "diverged"
    with torch.no_grad():
        p.copy_(before)
    for values in evals.values():
        del values[mark:]
    return status


def finish(out, status, opt, evals):
    """The run's record with its status, and every loss evaluation where the optimizer is L-BFGS."""
    out["status"], out["steps_taken"] = status, len(out["lr"])
    if isinstance(opt, torch.optim.LBFGS):
        out["evals"] = evals
    return out
