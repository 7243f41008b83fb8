"""RMSprop: s ← βs + (1−β)g², θ ← θ − α·g/(√s + ε)

Per-axis rates from a moving average of squared gradients.

Convention: torch RMSprop(alpha=β); ε outside the root (course notes often put it inside)

RMSprop as torch ``RMSprop(alpha=β)``: s ← βs + (1−β)g², θ ← θ − lr·g/(√s + ε).

Course notes often put ε inside the root (√(s + ε)); torch, and this, add it outside (optax:
``rmsprop(eps_in_sqrt=False)``).
"""

from __future__ import annotations

from typing import Any

from ..backend import ARRAY
from ..kernels import jit
from ..kernels.rules import NAN, accumulate
from .base import AccumulatorState, Optimizer, declare, py, rms_params, zeros

# ---------------------------------------------------------------------------------------------
# the compiled rule: the step loop runs it (`step`), the factory below on floats or NumPy rows


@jit
def step(
    g: float, t: int, a: float, b: float, c: float, theta: float, lr: float, h: Any, c1: float, c2: float, xp: Any
) -> tuple[float, float, float, float, float, float]:
    """One update of one coordinate as the loop takes it: (θ, a, b, c, moment, rate)."""
    theta, a, rate = accumulate(g, a, theta, lr, h[0], 1.0 - h[0], h[1], xp)  # the average of g²
    return theta, a, b, c, NAN, rate


_accumulate = py(accumulate)


def factory(xp: Any, beta: Any, eps: Any) -> Optimizer:
    def init(theta: Any) -> AccumulatorState:
        return AccumulatorState(zeros(theta))

    def update(g: Any, state: AccumulatorState, theta: Any, lr: Any) -> tuple[Any, AccumulatorState]:
        theta, s, _ = _accumulate(g, state.s, theta, lr, beta, 1.0 - beta, eps, xp)
        return theta, AccumulatorState(s)

    return Optimizer(init, update)


LINES = """
s ¦ s ← βs + (1−β)g² ¦ s
αᵢ ¦ αᵢ = α/(√sᵢ + ε) ¦ rate
Δθ ¦ Δθ = −αᵢ·gᵢ ¦ step
"""


def internals(c: dict[str, Any]) -> dict[str, Any]:
    p = c["params"]
    _, s, rate = _accumulate(c["g"], c["before"].s, c["theta"], c["lr"], p["beta"], 1.0 - p["beta"], p["eps"], ARRAY)
    return {"s": s, "rate": rate}


TORCH = "torch.optim.RMSprop([p], lr={lr}, alpha={beta}, eps={eps})"
OPTAX = "optax.rmsprop(lr, decay={beta}, eps={eps}, eps_in_sqrt=False)"


SPEC = declare(
    __name__,
    rms_params(0.01, "beta", "β, decay of the squared-gradient average", 1e-8),
    inline=True,
    color="#009E73",
    order=4,
)
