"""The PyTorch script's update for L-BFGS and damped Newton on a dataset surface.

A template: the exporter copies what follows the marker line below into the script; the lines
above it (imports, the script's names from `_script`) are there for the linters only.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from ._script import RESIDUAL, _data
from .torch_closure import DampedNewton, record_eval
from .torch_dataset_loop import loss_on
from .torch_schedulers import clip_grad

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


def closure_update(evals):
    """The update of L-BFGS and damped Newton for the loop above: one opt.step(closure) call, every
    call of its closure on the same mini-batch (recorded in evals: the batch cost there); the first
    call's gradient and cost are the ones drawn."""

    def update(opt, p, idx, t, clip_value, clip_norm):
        if isinstance(opt, DampedNewton):
            opt.hessian = batch_hessian(idx)
        first: list[Any] = []

        def closure():
            opt.zero_grad()
            cost = loss_on(p, idx)
            cost.backward()
            clip_grad(p, clip_value, clip_norm)
            record_eval(evals, first, t, p, cost)
            return cost

        lr = opt.param_groups[0]["lr"]
        opt.step(closure)
        return lr, first[0][1].norm().item(), first[0][1], first[0][0]

    return update
