"""optax's Lion as a torch.optim.Optimizer (`app.engine.optimizers.lion`).

The text after the marker is copied into the exported script (`app.export`), where the imports
are the script's own."""

import torch


# --- the script ---
class Lion(torch.optim.Optimizer):
    """Lion as optax.lion (torch.optim has none): c = (1 - b1)*g + b1*m; m <- (1 - b2)*g + b2*m;
    theta <- theta - lr*(sign(c) + wd*theta). Every axis moves by lr (plus the decay) each step."""

    def __init__(self, params, lr, betas, weight_decay):
        super().__init__(params, dict(lr=lr, betas=betas, weight_decay=weight_decay))

    @torch.no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            (b1, b2), lr = group["betas"], group["lr"]
            for p in group["params"]:
                st = self.state[p]
                if not st:
                    st["m"] = torch.zeros_like(p)
                c = (1.0 - b1) * p.grad + b1 * st["m"]
                st["m"] = (1.0 - b2) * p.grad + b2 * st["m"]
                p.add_(-lr * (torch.sign(c) + group["weight_decay"] * p))
