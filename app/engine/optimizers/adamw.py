"""AdamW as torch ``AdamW`` (optax ``adamw``): Adam (`app.engine.optimizers.adam`, the same rule)
whose weights first decay directly, θ ← θ·(1 − lr·λ), instead of through the gradient."""

from __future__ import annotations

from ..kernels import rules
from ..params import ParamSpec
from . import adam
from .base import OptimizerSpec, adam_params

SPEC = OptimizerSpec(
    "adamw",
    "AdamW",
    "θ ← θ·(1 − αλ), then the Adam step",
    (*adam_params(0.01), ParamSpec("weight_decay", 0.01, 0.0, 10.0, "λ, decoupled weight decay", slider_max=1.0)),
    "Adam with weight decay applied directly to the weights, not through the gradient.",
    factory=adam.adam,
    kernel=adam.SPEC.kernel,  # Adam's rule, its decay λ the sixth hyperparameter
    rule=rules.ADAM,
    convention="torch AdamW",
    color="#000000",
    order=7,
    cycles_momentum=True,
    lines=adam.lines,
    torch=lambda p: adam.torch(p, p["weight_decay"]),
    optax=lambda p: adam.optax(p, p["weight_decay"]),
)
