"""AdaGrad: s ← s + g², θ ← θ − α·g/(√s + ε)

Per-axis rates from the sum of all squared gradients; the rate only ever shrinks.

Convention: torch Adagrad(lr_decay=0)

AdaGrad as torch ``Adagrad`` (lr_decay 0): s ← s + g², θ ← θ − lr·g/(√s + ε).

The sum only grows, so the effective per-axis rate lr/√s dies out over time. optax's adagrad puts
ε inside the root (torch: outside), so there is no optax script.
"""

from __future__ import annotations

from typing import Any

from ..backend import ARRAY
from ..kernels import jit
from ..kernels.rules import NAN, accumulate
from ..params import ParamSpec
from .base import (
    AccumulatorState,
    NotExportable,
    Optimizer,
    declare,
    eps_param,
    lr_param,
    py,
    zeros,
)

# ---------------------------------------------------------------------------------------------
# the compiled rule: the step loop runs it (`step`), the factory below on floats or NumPy rows


@jit
def step(
    g: float, t: int, a: float, b: float, c: float, theta: float, lr: float, h: Any, c1: float, c2: float, xp: Any
) -> tuple[float, float, float, float, float, float]:
    """One update of one coordinate as the loop takes it: (θ, a, b, c, moment, rate)."""
    theta, a, rate = accumulate(g, a, theta, lr, 1.0, 1.0, h[0], xp)  # the sum of g²
    return theta, a, b, c, NAN, rate


@jit
def init(theta: float, h: Any) -> tuple[float, float, float]:
    return theta * 0.0 + h[1], 0.0, 0.0


_accumulate = py(accumulate)


def factory(xp: Any, eps: Any, initial_accumulator: Any) -> Optimizer:
    def init(theta: Any) -> AccumulatorState:
        return AccumulatorState(zeros(theta) + initial_accumulator)

    def update(g: Any, state: AccumulatorState, theta: Any, lr: Any) -> tuple[Any, AccumulatorState]:
        theta, s, _ = _accumulate(g, state.s, theta, lr, 1.0, 1.0, eps, xp)
        return theta, AccumulatorState(s)

    return Optimizer(init, update)


LINES = """
s ¦ s ← s + g² ¦ s
αᵢ ¦ αᵢ = α/(√sᵢ + ε) ¦ rate
Δθ ¦ Δθ = −αᵢ·gᵢ ¦ step
"""


def internals(c: dict[str, Any]) -> dict[str, Any]:
    _, s, rate = _accumulate(c["g"], c["before"].s, c["theta"], c["lr"], 1.0, 1.0, c["params"]["eps"], ARRAY)
    return {"s": s, "rate": rate}


def optax(p: dict[str, Any]) -> str:
    raise NotExportable("optax's adagrad puts ε inside the root (torch: outside); use the PyTorch script")


TORCH = "torch.optim.Adagrad([p], lr={lr}, eps={eps}, initial_accumulator_value={initial_accumulator})"


SPEC = declare(
    __name__,
    (
        lr_param(0.1),
        eps_param(1e-10),
        ParamSpec("initial_accumulator", 0.0, 0.0, 1e6, "starting value of s", slider_max=10.0),
    ),
    inline=True,
    color="#CC79A7",
    order=3,
)
