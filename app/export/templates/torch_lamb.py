"""optax's LAMB as a torch.optim.Optimizer, per tensor of a network (`app.engine.optimizers.lamb`).

The text after the marker is copied into the exported script (`app.export.network`), where the
imports are the script's own."""

import torch

from .torch_rule import Rule


# --- the script ---
class LAMB(Rule):
    """LAMB as optax.lamb (torch.optim has none), on each tensor p: Adam's bias-corrected
    direction u = m^/(sqrt(v^) + eps) + wd*p (m <- lerp(m, g, 1 - b1), v <- b2*v + (1 - b2)*g^2),
    then p <- p - lr*r*u with the trust ratio r = |p|/|u| (1 where either norm is 0)."""

    def update(self, p, st, group, loss):  # lr, betas, eps, weight_decay
        (b1, b2), lr = group["betas"], group["lr"]
        if not st:
            st["t"], st["m"], st["v"] = 0, torch.zeros_like(p), torch.zeros_like(p)
        st["t"] += 1
        g = p.grad
        st["m"] = st["m"] + (1.0 - b1) * (g - st["m"])
        st["v"] = st["v"] * b2 + (1.0 - b2) * g * g
        c1, c2 = 1.0 - b1 ** st["t"], (1.0 - b2 ** st["t"]) ** 0.5
        u = group["weight_decay"] * p - (-(1.0 / c1) * st["m"] / (st["v"].sqrt() / c2 + group["eps"]))
        p_norm, u_norm = p.norm().item(), u.norm().item()
        ratio = 1.0 if p_norm == 0.0 or u_norm == 0.0 else p_norm / u_norm
        p.add_(-lr * (u * ratio))
