"""RMSprop as torch ``RMSprop(alpha=β)``: s ← βs + (1−β)g², θ ← θ − lr·g/(√s + ε).

Course notes often put ε inside the root (√(s + ε)); torch, and this, add it outside (optax:
``rmsprop(eps_in_sqrt=False)``).
"""

from __future__ import annotations

from typing import Any

from ..backend import ARRAY
from ..kernels import rules
from .base import AccumulatorState, Line, Optimizer, OptimizerSpec, beta_param, eps_param, lr_param, py, zeros

_rmsprop = py(rules.rmsprop)


def rmsprop(xp: Any, beta: Any, eps: Any) -> Optimizer:
    def init(theta: Any) -> AccumulatorState:
        return AccumulatorState(zeros(theta))

    def update(g: Any, state: AccumulatorState, theta: Any, lr: Any) -> tuple[Any, AccumulatorState]:
        theta, s, _ = _rmsprop(g, state.s, theta, lr, beta, eps, xp)
        return theta, AccumulatorState(s)

    return Optimizer(init, update)


def lines(c: dict[str, Any]) -> list[Line]:
    p = c["params"]
    _, s, rate = _rmsprop(c["g"], c["before"].s, c["theta"], c["lr"], p["beta"], p["eps"], ARRAY)
    return [("s", "s ← βs + (1−β)g²", s), ("αᵢ", "αᵢ = α/(√sᵢ + ε)", rate), ("Δθ", "Δθ = −αᵢ·gᵢ", c["step"])]


SPEC = OptimizerSpec(
    "rmsprop",
    "RMSprop",
    "s ← βs + (1−β)g², θ ← θ − α·g/(√s + ε)",
    (lr_param(0.01), beta_param("beta", 0.9, "β, decay of the squared-gradient average"), eps_param(1e-8)),
    "Per-axis rates from a moving average of squared gradients.",
    factory=rmsprop,
    rule=rules.RMSPROP,
    convention="torch RMSprop(alpha=β); ε outside the root (course notes often put it inside)",
    color="#009E73",
    order=4,
    lines=lines,
    torch=lambda p: (f"torch.optim.RMSprop([p], lr={p['lr']!r}, alpha={p['beta']!r}, eps={p['eps']!r})", None),
    optax=lambda p: f"optax.rmsprop(lr, decay={p['beta']!r}, eps={p['eps']!r}, eps_in_sqrt=False)",
)
