"""optax's Lion as a torch.optim.Optimizer (`app.engine.optimizers.lion`).

The text after the marker is copied into the exported script (`app.export`), where the imports
are the script's own."""

import torch

from .torch_rule import Rule


# --- the script ---
class Lion(Rule):
    """Lion as optax.lion (torch.optim has none): c = (1 - b1)*g + b1*m; m <- (1 - b2)*g + b2*m;
    theta <- theta - lr*(sign(c) + wd*theta). Every axis moves by lr (plus the decay) each step."""

    def update(self, p, st, group, loss):  # lr, betas, weight_decay
        (b1, b2), lr = group["betas"], group["lr"]
        if not st:
            st["m"] = torch.zeros_like(p)
        c = (1.0 - b1) * p.grad + b1 * st["m"]
        st["m"] = (1.0 - b2) * p.grad + b2 * st["m"]
        p.add_(-lr * (torch.sign(c) + group["weight_decay"] * p))
