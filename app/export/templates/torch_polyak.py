"""optax's Polyak step size as a torch.optim.Optimizer (`app.engine.optimizers.polyak_sgd`).

The text after the marker is copied into the exported script (`app.export`), where the imports
are the script's own."""

from .torch_rule import Rule


# --- the script ---
class PolyakSGD(Rule):
    """SGD with the Polyak step size as optax.polyak_sgd (torch.optim has none):
    theta <- theta + gamma*(-lr*g),  gamma = min((f(theta) - f_min)/(|lr*g|^2 + eps), max_lr),
    lr the schedule's (optax's scaling); sps+: the gap's positive part; gamma = 0 where
    |lr*g|^2 + eps <= the float64 epsilon. step(closure): the closure returns f at the current
    point. The rate used, lr*gamma (the studio's lr chart), is left in param_groups[0]["effective_lr"]."""

    def update(self, p, st, group, loss):  # lr, max_lr, f_min, eps, plus
        s = group["lr"]
        u = -s * p.grad
        n2 = (u * u).sum().item()  # |lr*g|^2 (of a surface's two coordinates or a network's P)
        gap = loss.item() - group["f_min"]
        if group["plus"] and gap < 0.0:
            gap = 0.0
        if n2 + group["eps"] <= 2.220446049250313e-16:
            gamma = 0.0
        else:
            gamma = gap / (n2 + group["eps"])
            if not gamma <= group["max_lr"]:  # jnp.minimum (nan kept)
                gamma = group["max_lr"] if gamma == gamma else gamma
        p.add_(gamma * u)
        group["effective_lr"] = s * gamma
