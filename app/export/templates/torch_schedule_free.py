"""optax's Schedule-Free AdamW as a torch.optim.Optimizer (`app.engine.optimizers.schedule_free_adamw`).

The text after the marker is copied into the exported script (`app.export`), where the imports
are the script's own."""

import math

import torch

from .torch_rule import Rule


# --- the script ---
class ScheduleFreeAdamW(Rule):
    """Schedule-Free AdamW as optax.contrib.schedule_free_adamw, its operations in its order
    (torch.optim has none; the schedulefree package folds Adam's bias correction into the rate and
    the weights, so its path differs). The parameter is y, where the gradient is taken:
      z <- z - lr*(g/(sqrt(nu_hat) + eps) + wd*y),  nu <- b2*nu + (1 - b2)*g^2,
      x <- (1 - c)*x + c*z,  c = w/sum(w),  w = (largest lr so far)^power,
      y <- b1*x + (1 - b1)*z.
    x, the average to evaluate, is state["x"]; like optax it is recomputed from y and z each step."""

    def update(self, y, st, group, loss):  # lr, betas, eps, weight_decay, weight_lr_power
        (b1, b2), lr, eps, wd = group["betas"], group["lr"], group["eps"], group["weight_decay"]
        if not st:
            st.update(t=0, z=y.detach().clone(), nu=torch.zeros_like(y), wsum=0.0, lr_max=0.0)
        st["lr_max"] = max(st["lr_max"], lr)
        weight = st["lr_max"] ** group["weight_lr_power"]
        total = st["wsum"] + weight
        # jnp.nan_to_num(0/0 or inf/inf, nan=0); a nan weight stays nan
        c = 0.0 if total == 0.0 or (math.isinf(weight) and math.isinf(total)) else weight / total
        g, z = y.grad, st["z"]
        st["nu"] = (1.0 - b2) * (g * g) + b2 * st["nu"]
        nu_hat = st["nu"] / (1.0 - b2 ** float(st["t"] + 1))
        u = 1.0 / (nu_hat.sqrt() + eps) * g
        if wd != 0.0:
            u = u + wd * y
        z_new = z + -lr * u
        x = (1.0 - c) * ((y - (1.0 - b1) * z) / b1) + c * z_new
        y_new = b1 * x + (1.0 - b1) * z_new
        y.add_(y_new - y)
        st.update(t=st["t"] + 1, z=z_new, wsum=total, x=x)
