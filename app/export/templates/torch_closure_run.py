"""The PyTorch script's update for L-BFGS and damped Newton on a formula surface (a closure per update).

A template: the exporter copies what follows the marker line below into the script; the lines
above it (imports, the script's names from `_script`) are there for the linters only.
"""

from __future__ import annotations

import math
from typing import Any

import torch

from ._script import f
from .torch_closure import record_eval
from .torch_schedulers import clip_grad

# --- the script ---


def closure_update(evals):
    """The update of L-BFGS and damped Newton for the loop above: one opt.step(closure) call, whose
    closure (the loss, its gradient, the noise draw of the update, clipping) may be called several
    times, each call recorded in evals; the first call's gradient is the one drawn."""

    def update(opt, p, loss, t, noise, clip_value, clip_norm):
        first: list[Any] = []

        def closure():
            opt.zero_grad()
            loss = f(p[0], p[1])
            loss.backward()
            if noise is not None:
                p.grad += torch.from_numpy(noise[t])
            clip_grad(p, clip_value, clip_norm)
            record_eval(evals, first, t, p, loss)
            return loss

        lr = opt.param_groups[0]["lr"]
        opt.step(closure)
        return lr, first[0][1].norm().item(), first[0][1], math.isfinite(first[0][0])

    return update
