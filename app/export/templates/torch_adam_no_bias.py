"""Adam without bias correction as a torch.optim.Optimizer (`app.engine.optimizers.adam`).

The text after the marker is copied into the exported script (`app.export`), where the imports
are the script's own."""

import torch

from .torch_rule import Rule


# --- the script ---
class AdamNoBiasCorrection(Rule):
    """Adam without bias correction (the course's demonstration; torch always corrects):
    theta <- theta*(1 - lr*wd); m <- lerp(m, g, 1 - beta1); v <- beta2*v + (1 - beta2)*g^2;
    theta <- theta - lr*m/(sqrt(v) + eps) (v: its running maximum with amsgrad)."""

    def update(self, p, st, group, loss):  # lr, betas, eps, amsgrad, weight_decay
        (b1, b2), lr = group["betas"], group["lr"]
        if not st:
            st["m"], st["v"], st["vmax"] = (torch.zeros_like(p) for _ in range(3))
        p.mul_(1.0 - lr * group["weight_decay"])
        st["m"] = st["m"] + (1.0 - b1) * (p.grad - st["m"])
        st["v"] = st["v"] * b2 + (1.0 - b2) * p.grad * p.grad
        second = st["v"]
        if group["amsgrad"]:
            st["vmax"] = torch.maximum(st["vmax"], st["v"])
            second = st["vmax"]
        p.sub_(lr * st["m"] / (second.sqrt() + group["eps"]))
