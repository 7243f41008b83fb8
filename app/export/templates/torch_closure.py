"""Damped Newton as a torch.optim.Optimizer (`app.engine.optimizers.newton`), and the closure
optimizers' switch of the script's loop (L-BFGS, damped Newton: one update = one step(closure)).

The text after the marker is copied into the exported script (`app.export`), where the imports
are the script's own."""

import math
from typing import Any

import torch


def f(x: Any, y: Any) -> Any:
    """The script's surface (defined above this text in the script)."""
    raise NotImplementedError


def run(*args: Any) -> Any:
    """The script's loop of one update per step (defined above this text in the script)."""
    raise NotImplementedError


# --- the script ---
class DampedNewton(torch.optim.Optimizer):
    """θ ← θ − lr·(H + λI)⁻¹g with the exact Hessian of f (torch.optim has no Newton method). Where
    H + λI is not positive definite, H's eigenvalues are replaced by their absolute values
    (saddle-free Newton); a direction with |μ| + λ = 0 is left out."""

    def __init__(self, params, lr=1.0, damping=0.0):
        super().__init__(params, {"lr": lr, "damping": damping})
        # the Hessian at a point (a tensor of 2): exact, of f (the run sets its own on a data set)
        self.hessian = lambda v: torch.autograd.functional.hessian(lambda w: f(w[0], w[1]), v)

    @torch.no_grad()
    def step(self, closure):
        with torch.enable_grad():
            loss = closure()
        group = self.param_groups[0]
        p, lam = group["params"][0], group["damping"]
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
        return loss


CLOSURE_OPTIMIZERS = (torch.optim.LBFGS, DampedNewton)
_run_each_update = run
