"""Damped Newton as a torch.optim.Optimizer (`app.engine.optimizers.newton`), and what the loops
need of the closure optimizers (L-BFGS, damped Newton: one update = one step(closure)).

The text after the marker is copied into the exported script (`app.export`), where the imports
are the script's own."""

import math
from typing import Any

import torch

from .torch_rule import Rule


def f(x: Any, y: Any) -> Any:
    """The script's surface (defined above this text in the script)."""
    raise NotImplementedError


# --- the script ---
class DampedNewton(Rule):
    """θ ← θ − lr·(H + λI)⁻¹g with the exact Hessian of f (torch.optim has no Newton method). Where
    H + λI is not positive definite, H's eigenvalues are replaced by their absolute values
    (saddle-free Newton); a direction with |μ| + λ = 0 is left out."""

    def __init__(self, params, lr=1.0, damping=0.0):
        super().__init__(params, lr=lr, damping=damping)
        # the Hessian at a point (a tensor of 2): exact, of f (the run sets its own on a data set)
        self.hessian = lambda v: torch.autograd.functional.hessian(lambda w: f(w[0], w[1]), v)

    def update(self, p, st, group, loss):
        lam = group["damping"]
        h = self.hessian(p.detach().clone())
        a, b, c = h[0, 0].item(), h[0, 1].item(), h[1, 1].item()
        gx, gy = p.grad[0].item(), p.grad[1].item()
        A, C = a + lam, c + lam
        det = A * C - b * b
        if A > 0.0 and det > 0.0:  # the 2×2 solve in closed form
            d = torch.tensor([(C * gx - b * gy) / det, (A * gy - b * gx) / det])
        else:
            mu, v = torch.linalg.eigh(torch.tensor([[a, b], [b, c]]))
            d = torch.zeros(2)
            for i in range(2):
                den = abs(mu[i].item()) + lam
                if den != 0.0 and math.isfinite(den):
                    d += (v[0, i] * gx + v[1, i] * gy) / den * v[:, i]
        p.sub_(group["lr"] * d)


CLOSURE_OPTIMIZERS = (torch.optim.LBFGS, DampedNewton)  # the loops update these by `closure_update`


def record_eval(evals, first, t, p, loss):
    """One call of an update's closure, recorded in evals (the first call's loss and gradient in first)."""
    for key, v in (("step", t), ("x", p[0].item()), ("y", p[1].item()), ("loss", loss.item())):
        evals[key].append(v)
    if not first:
        first.append((loss.item(), p.grad.clone()))
