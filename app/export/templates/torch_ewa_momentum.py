"""The course's EWA momentum as a torch.optim.Optimizer (`app.engine.optimizers.momentum`).

The text after the marker is copied into the exported script (`app.export`), where the imports
are the script's own."""

import torch

from .torch_rule import Rule


# --- the script ---
class EWAMomentum(Rule):
    """The course's momentum (torch has no such form): v <- beta*v + (1 - beta)*g,
    theta <- theta - lr*v, or lr*v/(1 - beta^t) with bias correction. beta is the group's
    "momentum", the value OneCycleLR(cycle_momentum=True) cycles."""

    def update(self, p, st, group, loss):  # lr, momentum, bias_correction
        beta = group["momentum"]
        if not st:
            st["t"], st["v"] = 0, torch.zeros_like(p)
        st["t"] += 1
        st["v"] = beta * st["v"] + (1.0 - beta) * p.grad
        v = st["v"] / (1.0 - beta ** float(st["t"])) if group["bias_correction"] else st["v"]
        p.sub_(group["lr"] * v)
