"""Polyak step size: θ ← θ − s·γ·g, γ = min((f(θ) − f*)/(‖s·g‖² + ε), γ_max), s = α (the schedule's lr)

Gradient descent whose step size comes from how far the loss is above its minimum f*.

Convention: optax polyak_sgd (lr is its scaling; f* from the surface); torch.optim has none

SGD with the Polyak step size as optax ``polyak_sgd`` (Loizou et al. 2021; sps+: Garrigos et
al. 2023): θ ← θ − s·γ·g, γ = min((f(θ) − f*)/(‖s·g‖² + ε), γ_max), s the schedule's lr (optax's
``scaling``; optax takes the norm of the already scaled update −s·g, so γ scales as 1/s²). With
sps+ the gap is (f − f*)₊. γ = 0 where ‖s·g‖² + ε is below the float64 epsilon.

The step needs f(θ) and both coordinates of g, so the compiled loop computes the effective
rate s·γ (what the lr chart and ``include_state``'s eff_lr show); this factory takes that rate
as ``lr`` (the inspector's replay: θ − (s·γ)·g, the loop's θ + γ·(−s·g) to round-off). f* is the
built-in surface's minimum value (the registry states it) unless given; on typed formulas it
must be given; dataset surfaces refuse Polyak (their minimum loss is not known in closed form).
torch.optim has none: the PyTorch script writes it as a small class
(``app/export/templates/torch_polyak.py``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..kernels import jit, rules
from ..kernels.rules import NAN
from ..params import ParamSpec
from . import gd
from .base import EMPTY, EmptyState, Optimizer, declare, eps_param, lr_param, py

# ---------------------------------------------------------------------------------------------
# the compiled rule: the step loop runs it (`step`), the factory below on floats or NumPy rows


@jit
def step(
    g: float, t: int, a: float, b: float, c: float, theta: float, lr: float, h: Any, c1: float, c2: float, xp: Any
) -> tuple[float, float, float, float, float, float]:
    """One update of one coordinate as the loop takes it: (θ, a, b, c, moment, rate)."""
    return theta + c1 * (-lr * g), a, b, c, NAN, lr * c1  # c1: the step size γ (`rules.polyak_rate`); optax's order


_gd, _polyak_rate = py(gd.rule), py(rules.polyak_rate)


def factory(xp: Any, max_learning_rate: Any, eps: Any, variant: str, f_min: Any = None) -> Optimizer:
    # the hyperparameters of the compiled rule (`rules.polyak_rate`); this factory takes the rate s·γ as lr
    del max_learning_rate, eps, variant, f_min

    def init(theta: Any) -> EmptyState:
        return EMPTY

    def update(g: Any, state: EmptyState, theta: Any, lr: Any) -> tuple[Any, EmptyState]:
        return _gd(g, theta, lr), state

    return Optimizer(init, update)


def replay(c: dict[str, Any]) -> Any:
    """The inspector's update: γ from the loss the run used (a mini-batch's on datasets), in the
    loop's order of operations (the factory's replay of the updates before: to round-off)."""
    from ..runner import schedule_lrs

    res, p, g, t = c["result"], c["params"], c["g"], c["t"]
    losses = res.get("batch_loss") or res["loss"]
    s = float(schedule_lrs(c["problem"], c["config"])[t])
    f = float(losses[t])
    plus = float(p["variant"] == "sps+")
    gamma = _polyak_rate(f, float(g[0]), float(g[1]), s, p["max_learning_rate"], p["eps"], plus, p["f_min"])
    c.update(f=f, schedule_lr=s, gamma=gamma)
    return c["theta"] + gamma * (-s * g)


LINES = """
f − f* ¦ {gap_formula} ¦ gap
s ¦ s = the schedule's lr (optax's scaling) ¦ schedule_lr
‖sg‖² ¦ ‖s·g‖² ¦ norm2
γ ¦ γ = min((f − f*)/(‖s·g‖² + ε), γ_max) ¦ gamma
αᵢ ¦ αᵢ = s·γ  (the lr drawn) ¦ rate
Δθ ¦ Δθ = γ·(−s·g) ¦ step
"""


def internals(c: dict[str, Any]) -> dict[str, Any]:
    gap = c["f"] - c["params"]["f_min"]
    gaps = (
        {"gap": max(gap, 0.0), "gap_formula": "(f(θ) − f*)₊"}
        if c["params"]["variant"] == "sps+"
        else {"gap": gap, "gap_formula": "f(θ) − f*"}
    )
    return {**gaps, "norm2": float(np.sum((-c["schedule_lr"] * c["g"]) ** 2)), "rate": c["lr"] * np.ones(2)}


def torch(p: dict[str, Any]) -> tuple[str, str | None]:
    return (
        f"PolyakSGD([p], lr={p['lr']!r}, max_lr={p['max_learning_rate']!r}, f_min={p['f_min']!r}, "
        f"eps={p['eps']!r}, plus={p['variant'] == 'sps+'!r})",
        "torch_polyak",
    )


# the lr drawn is Polyak's effective rate s·γ (a function of the schedule's lr s, the loss and
# the gradient): the optax script's polyak_rate (app/export/templates/optax_polyak_rate.py)
def optax_rate(p: dict[str, Any]) -> str:
    return f"polyak_rate({p['f_min']!r}, {p['max_learning_rate']!r}, {p['eps']!r}, {p['variant'] == 'sps+'!r})"


OPTAX = (
    "optax.polyak_sgd(max_learning_rate={max_learning_rate}, scaling=lr, f_min={f_min}, eps={eps}, variant={variant})"
)


SPEC = declare(
    __name__,
    (
        lr_param(1.0),
        ParamSpec(
            "max_learning_rate",
            1.0,
            0.0,
            1e6,
            "γ_max, the largest step size",
            min_exclusive=True,
            log_scale=True,
            slider_min=1e-3,
            slider_max=100.0,
        ),
        eps_param(0.0),
        ParamSpec(
            "variant",
            "sps",
            description="sps: the gap f − f*; sps+: its positive part",
            kind="choice",
            choices=("sps", "sps+"),
        ),
        ParamSpec(
            "f_min",
            None,
            -1e12,
            1e12,
            "f*, the minimum value (default: the surface's own; required on typed formulas)",
            slider_min=-10.0,
            slider_max=10.0,
        ),
    ),
    color="#7A5195",
    order=18,
    optax_rate_template="optax_polyak_rate",
)
