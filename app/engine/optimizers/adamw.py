"""AdamW: θ ← θ·(1 − αλ), then the Adam step

Adam with weight decay applied directly to the weights, not through the gradient.

Convention: torch AdamW

AdamW as torch ``AdamW`` (optax ``adamw``): Adam (`app.engine.optimizers.adam`, the same rule)
whose weights first decay directly, θ ← θ·(1 − lr·λ), instead of through the gradient.
"""

from __future__ import annotations

from typing import Any

from . import adam
from .adam import LINES, bias, factory, internals, step
from .base import adam_params, declare, wd_param

__all__ = ["LINES", "SPEC", "bias", "factory", "internals", "step"]  # Adam's rule, its decay λ the sixth hyperparameter


def torch(p: dict[str, Any]) -> tuple[str, str | None]:
    return adam.torch(p, p["weight_decay"])


def optax(p: dict[str, Any]) -> str:
    return adam.optax(p, p["weight_decay"])


SPEC = declare(
    __name__,
    (*adam_params(0.01), wd_param(0.01, "λ, decoupled weight decay")),
    inline=True,
    color="#000000",
    order=7,
    cycles_momentum=True,
)
