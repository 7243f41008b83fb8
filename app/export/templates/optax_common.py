"""The optax script's optimizer with its rate (and cycled momentum) injected.

A template: the exporter copies what follows the marker line below into the script; the lines
above it (imports, the script's names from `_script`) are there for the linters only.
"""

from __future__ import annotations

import jax.numpy as jnp
import optax

# --- the script ---


def make(make_optimizer, lr, mom):
    """The optimizer with its rate (and cycled momentum) as injected hyperparameters: the loop sets
    them before every update. The loss reaches every update as `value` (Polyak reads it)."""
    hyper = {"lr": lr} if mom is None else {"lr": lr, "mom": mom}
    return optax.with_extra_args_support(optax.inject_hyperparams(make_optimizer)(**hyper))


def set_rates(state, lr, mom):
    state.hyperparams["lr"] = jnp.asarray(lr, jnp.float64)
    if mom is not None:
        state.hyperparams["mom"] = jnp.asarray(mom, jnp.float64)
