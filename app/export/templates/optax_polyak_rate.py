"""The effective rate of optax's Polyak step size, the lr the studio draws (`app.engine.optimizers.polyak_sgd`).

The text after the marker is copied into the exported script (`app.export`), where the imports
are the script's own."""

import jax.numpy as jnp


# --- the script ---
def polyak_rate(f_min, max_lr, eps, plus):
    """The effective rate s·γ of optax.polyak_sgd, the lr the studio draws (optax divides by ‖s·g‖²)."""

    def rate(s, loss, g):
        u = -s * g
        n2 = jnp.sum(u * u)
        gap = loss - f_min
        if plus:
            gap = jnp.maximum(gap, 0.0)
        return float(s * jnp.where(n2 + eps <= jnp.finfo(float).eps, 0.0, jnp.minimum(gap / (n2 + eps), max_lr)))

    return rate
