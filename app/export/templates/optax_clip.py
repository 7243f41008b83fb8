"""The optax script's gradient clipping (torch's rules, as optax transformations).

A template: the exporter copies what follows the marker line below into the script; the lines
above it (imports, the script's names from `_script`) are there for the linters only.
"""

from __future__ import annotations

import jax.numpy as jnp
import optax

# --- the script ---


def clipping(clip_value, clip_norm):
    """torch's clip_grad_value_ then clip_grad_norm_ (the studio's order; None: off), chained as optax
    transformations. Applied to the gradient before the optimizer (equivalent to chaining it in front)
    so the loop can record the norm of the clipped gradient, as the studio draws it."""
    parts = []
    if clip_value is not None:
        parts.append(optax.clip(clip_value))
    if clip_norm is not None:
        parts.append(
            optax.stateless(lambda g, params=None: g * jnp.minimum(clip_norm / (jnp.linalg.norm(g) + 1e-6), 1.0))
        )
    return optax.chain(*parts)
