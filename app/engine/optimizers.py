"""Optimizers as pairs of pure functions, in the style of optax.

Each factory takes the hyperparameters (never stored in state) and returns an `Optimizer`:

- ``init(theta) -> state``: a typed, immutable NamedTuple;
- ``update(g, state, theta, lr) -> (theta_new, state)``.

All the optimizers here are element-wise, so one formula serves every way the engine runs:
``theta``, ``g`` and the state are Python floats (one coordinate of one run, the fast path for a
handful of runs) or NumPy arrays (thousands of rows stepping in lockstep). Hyperparameters may be
floats or arrays that broadcast against the rows. ``xp`` is the matching math backend
(:mod:`app.engine.backend`).

Unlike optax, ``update`` returns the *new parameters*, not a delta: torch applies some updates
in place in a fixed order (AdamW decays ``theta`` before the Adam step), and returning
``theta_new`` lets the arithmetic follow torch.optim's order, so trajectories agree with PyTorch
to float64 round-off. The learning rate is an argument because the schedule owns it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple

from app.engine.params import Catalogued, ParamSpec


class Optimizer(NamedTuple):
    init: Callable[[Any], Any]
    update: Callable[..., tuple[Any, Any]]


# ---------------------------------------------------------------------------------------------
# states


class EmptyState(NamedTuple):
    pass


class VelocityState(NamedTuple):
    t: int  # updates done so far
    v: Any  # velocity / first moment


class AccumulatorState(NamedTuple):
    s: Any  # running sum or average of squared gradients


class AdadeltaState(NamedTuple):
    s: Any  # E[g^2]
    d: Any  # E[dx^2]


class AdamState(NamedTuple):
    t: int
    m: Any  # first moment
    v: Any  # second moment
    vmax: Any  # running max of v (amsgrad), else 0


_EMPTY = EmptyState()
SQRT = math.sqrt  # internals are reported from the scalar runner


def _zeros(theta: Any) -> Any:
    return theta * 0.0


# ---------------------------------------------------------------------------------------------
# update rules


def gd(xp: Any) -> Optimizer:
    """Gradient descent: θ ← θ − lr·g  (torch SGD without momentum)."""

    def init(theta: Any) -> EmptyState:
        return _EMPTY

    def update(g: Any, state: EmptyState, theta: Any, lr: Any) -> tuple[Any, EmptyState]:
        return theta - lr * g, state

    return Optimizer(init, update)


def momentum(xp: Any, beta: Any, variant: str, bias_correction: bool) -> Optimizer:
    """Momentum, in the two forms found in courses and libraries.

    - ``variant="ewa"`` (the course's form): v ← βv + (1−β)g, θ ← θ − lr·v, v₀ = 0; with
      ``bias_correction``, θ ← θ − lr·v/(1−βᵗ). The velocity is an average of gradients, so the
      step has the size of lr·g.
    - ``variant="classic"`` (torch ``SGD(momentum=β)``, dampening 0): v ← βv + g, θ ← θ − lr·v.
      The velocity is a sum, about 1/(1−β) times larger at steady state: the same lr takes
      steps 1/(1−β) times longer than the ewa form (α versus α/(1−β)). torch sets v₁ = g, which
      is what βv₀ + g gives with v₀ = 0.
    """

    ewa = variant == "ewa"
    one_minus_beta = 1.0 - beta

    def init(theta: Any) -> VelocityState:
        return VelocityState(0, _zeros(theta))

    def update(g: Any, state: VelocityState, theta: Any, lr: Any) -> tuple[Any, VelocityState]:
        t = state.t + 1
        if ewa:
            v = beta * state.v + one_minus_beta * g
            step = v / (1.0 - beta**t) if bias_correction else v
        else:
            v = state.v * beta + g
            step = v
        return theta - lr * step, VelocityState(t, v)

    return Optimizer(init, update)


def nesterov(xp: Any, beta: Any) -> Optimizer:
    """Nesterov momentum as torch ``SGD(momentum=β, nesterov=True)``.

    v ← βv + g, θ ← θ − lr·(g + βv). (This is the "look-ahead" form rewritten at the current
    point; the course's v ← βv + (1−β)g form differs by the factor 1/(1−β) in the step.)
    """

    def init(theta: Any) -> VelocityState:
        return VelocityState(0, _zeros(theta))

    def update(g: Any, state: VelocityState, theta: Any, lr: Any) -> tuple[Any, VelocityState]:
        v = state.v * beta + g
        return theta - lr * (g + beta * v), VelocityState(state.t + 1, v)

    return Optimizer(init, update)


def adagrad(xp: Any, eps: Any, initial_accumulator: Any) -> Optimizer:
    """AdaGrad as torch ``Adagrad`` (lr_decay 0): s ← s + g², θ ← θ − lr·g/(√s + ε).

    The sum only grows, so the effective per-axis rate lr/√s dies out over time.
    """

    def init(theta: Any) -> AccumulatorState:
        return AccumulatorState(_zeros(theta) + initial_accumulator)

    def update(g: Any, state: AccumulatorState, theta: Any, lr: Any) -> tuple[Any, AccumulatorState]:
        s = state.s + g * g
        return theta - lr * g / (xp.sqrt(s) + eps), AccumulatorState(s)

    return Optimizer(init, update)


def rmsprop(xp: Any, beta: Any, eps: Any) -> Optimizer:
    """RMSprop as torch ``RMSprop(alpha=β)``: s ← βs + (1−β)g², θ ← θ − lr·g/(√s + ε).

    Course notes often put ε inside the root (√(s + ε)); torch, and this, add it outside.
    """

    one_minus_beta = 1.0 - beta

    def init(theta: Any) -> AccumulatorState:
        return AccumulatorState(_zeros(theta))

    def update(g: Any, state: AccumulatorState, theta: Any, lr: Any) -> tuple[Any, AccumulatorState]:
        s = state.s * beta + one_minus_beta * g * g
        return theta - lr * g / (xp.sqrt(s) + eps), AccumulatorState(s)

    return Optimizer(init, update)


def adadelta(xp: Any, rho: Any, eps: Any) -> Optimizer:
    """AdaDelta as torch ``Adadelta``.

    s ← ρs + (1−ρ)g²; Δ ← √(d + ε)/√(s + ε)·g; d ← ρd + (1−ρ)Δ²; θ ← θ − lr·Δ (lr = 1 in the
    paper, which has no learning rate at all).
    """

    one_minus_rho = 1.0 - rho

    def init(theta: Any) -> AdadeltaState:
        return AdadeltaState(_zeros(theta), _zeros(theta))

    def update(g: Any, state: AdadeltaState, theta: Any, lr: Any) -> tuple[Any, AdadeltaState]:
        s = state.s * rho + one_minus_rho * g * g
        delta = xp.sqrt(state.d + eps) / xp.sqrt(s + eps) * g
        d = state.d * rho + one_minus_rho * delta * delta
        return theta - lr * delta, AdadeltaState(s, d)

    return Optimizer(init, update)


def adam(
    xp: Any,
    beta1: Any,
    beta2: Any,
    eps: Any,
    bias_correction: bool,
    amsgrad: bool,
    weight_decay: Any = 0.0,
) -> Optimizer:
    """Adam as torch ``Adam``; with ``weight_decay``, AdamW as torch ``AdamW`` (decoupled).

    m ← m + (1−β₁)(g − m)  (torch's lerp, = β₁m + (1−β₁)g); v ← β₂v + (1−β₂)g²;
    θ ← θ − lr/(1−β₁ᵗ) · m / (√v/√(1−β₂ᵗ) + ε).
    With ``amsgrad`` the running maximum of v replaces v in the denominator.
    Without ``bias_correction`` (the course's "first steps are too small" demonstration):
    θ ← θ − lr·m/(√v + ε).
    AdamW first decays the weights, θ ← θ·(1 − lr·λ), then takes the Adam step.
    """

    one_minus_beta1 = 1.0 - beta1
    one_minus_beta2 = 1.0 - beta2
    decoupled = not (isinstance(weight_decay, float) and weight_decay == 0.0)

    def init(theta: Any) -> AdamState:
        zero = _zeros(theta)
        return AdamState(0, zero, zero, zero)

    def update(g: Any, state: AdamState, theta: Any, lr: Any) -> tuple[Any, AdamState]:
        t = state.t + 1
        if decoupled:
            theta = theta * (1.0 - lr * weight_decay)
        m = state.m + one_minus_beta1 * (g - state.m)
        v = state.v * beta2 + one_minus_beta2 * g * g
        vmax = xp.maximum(state.vmax, v) if amsgrad else state.vmax
        second = vmax if amsgrad else v
        if bias_correction:
            step_size = lr / (1.0 - beta1**t)
            denom = xp.sqrt(second) / (1.0 - beta2**t) ** 0.5 + eps
        else:
            step_size = lr
            denom = xp.sqrt(second) + eps
        return theta - step_size * m / denom, AdamState(t, m, v, vmax)

    return Optimizer(init, update)


# ---------------------------------------------------------------------------------------------
# internals, for the studio's arrows: (moment, per-axis effective lr) of one update
#
# Each takes the resolved params, the state before and after the update and the lr, and returns
# the velocity / first moment after the update (None where the method has none) and the
# per-axis effective learning rate (None where it is simply lr).


def _velocity(p: dict[str, Any], old: Any, new: VelocityState, lr: float) -> tuple[Any, Any]:
    return new.v, None


def _accumulator_rate(p: dict[str, Any], old: Any, new: AccumulatorState, lr: float) -> tuple[Any, Any]:
    return None, lr / (SQRT(new.s) + p["eps"])


def _adadelta_rate(p: dict[str, Any], old: AdadeltaState, new: AdadeltaState, lr: float) -> tuple[Any, Any]:
    return None, lr * SQRT(old.d + p["eps"]) / SQRT(new.s + p["eps"])


def _adam_rate(p: dict[str, Any], old: AdamState, new: AdamState, lr: float) -> tuple[Any, Any]:
    second = new.vmax if p["amsgrad"] else new.v
    if p["bias_correction"]:
        rate = lr / (1.0 - p["beta1"] ** new.t) / (SQRT(second) / (1.0 - p["beta2"] ** new.t) ** 0.5 + p["eps"])
    else:
        rate = lr / (SQRT(second) + p["eps"])
    return new.m, rate  # the step is rate·m


def _no_internals(p: dict[str, Any], old: Any, new: Any, lr: float) -> tuple[Any, Any]:
    return None, None


# ---------------------------------------------------------------------------------------------
# the registry


@dataclass(frozen=True)
class OptimizerSpec(Catalogued):
    factory: Callable[..., Optimizer] | None = None
    convention: str = ""
    internals: Callable[..., tuple[Any, Any]] = _no_internals
    color: str = "#000000"  # one colour per optimizer, everywhere (studio, lessons, figures)

    def build(self, xp: Any, params: dict[str, Any]) -> Optimizer:
        """An optimizer from resolved params (``lr`` is the schedule's, not the factory's)."""
        assert self.factory is not None
        hyper = {k: v for k, v in params.items() if k != "lr"}
        return self.factory(xp, **hyper)

    def public(self) -> dict[str, Any]:
        out = super().public()
        out["convention"] = self.convention
        out["color"] = self.color
        return out


def _lr(default: float) -> ParamSpec:
    return ParamSpec(
        "lr", default, 1e-6, 100.0, "learning rate α (the base of the schedule)", log_scale=True,
        slider_min=1e-4, slider_max=10.0,
    )


def _beta(name: str, default: float, what: str) -> ParamSpec:
    return ParamSpec(name, default, 0.0, 1.0, what, max_exclusive=True, slider_max=0.999)


def _eps(default: float) -> ParamSpec:
    return ParamSpec(
        "eps", default, 0.0, 1.0, "ε, added for numerical stability", log_scale=True, slider_min=1e-12, slider_max=1e-1
    )


def _adam_params(lr: float) -> tuple[ParamSpec, ...]:
    return (
        _lr(lr),
        _beta("beta1", 0.9, "β₁, decay of the first-moment average (momentum)"),
        _beta("beta2", 0.999, "β₂, decay of the second-moment average (RMSprop part)"),
        _eps(1e-8),
        ParamSpec("bias_correction", True, description="divide the averages by 1 − βᵗ", kind="bool"),
        ParamSpec("amsgrad", False, description="use the running maximum of v (AMSGrad)", kind="bool"),
    )


OPTIMIZERS: dict[str, OptimizerSpec] = {
    spec.id: spec
    for spec in (
        OptimizerSpec(
            "gd",
            "Gradient descent",
            "θ ← θ − α·g",
            (_lr(0.01),),
            "Plain (mini-batch or stochastic) gradient descent.",
            factory=gd,
            convention="torch SGD(momentum=0)",
            color="#0072B2",
        ),
        OptimizerSpec(
            "momentum",
            "Momentum",
            "ewa: v ← βv + (1−β)g, θ ← θ − α·v   |   classic: v ← βv + g, θ ← θ − α·v",
            (
                _lr(0.01),
                _beta("beta", 0.9, "β, decay of the velocity average"),
                ParamSpec(
                    "variant",
                    "ewa",
                    description="ewa: the course's average of gradients; classic: torch SGD's sum",
                    kind="choice",
                    choices=("ewa", "classic"),
                ),
                ParamSpec(
                    "bias_correction",
                    False,
                    description="ewa only: divide v by 1 − βᵗ",
                    kind="bool",
                ),
            ),
            "Gradient descent with an exponentially weighted average of gradients.",
            factory=momentum,
            internals=_velocity,
            convention="ewa: course notes (torch has no such form); classic: torch SGD(momentum=β)",
            color="#E69F00",
        ),
        OptimizerSpec(
            "nesterov",
            "Nesterov momentum",
            "v ← βv + g, θ ← θ − α·(g + βv)",
            (_lr(0.01), _beta("beta", 0.9, "β, momentum")),
            "Momentum that looks ahead along the velocity before correcting.",
            factory=nesterov,
            internals=_velocity,
            convention="torch SGD(momentum=β, nesterov=True)",
            color="#56B4E9",
        ),
        OptimizerSpec(
            "adagrad",
            "AdaGrad",
            "s ← s + g², θ ← θ − α·g/(√s + ε)",
            (
                _lr(0.1),
                _eps(1e-10),
                ParamSpec("initial_accumulator", 0.0, 0.0, 1e6, "starting value of s", slider_max=10.0),
            ),
            "Per-axis rates from the sum of all squared gradients; the rate only ever shrinks.",
            factory=adagrad,
            internals=_accumulator_rate,
            convention="torch Adagrad(lr_decay=0)",
            color="#CC79A7",
        ),
        OptimizerSpec(
            "rmsprop",
            "RMSprop",
            "s ← βs + (1−β)g², θ ← θ − α·g/(√s + ε)",
            (_lr(0.01), _beta("beta", 0.9, "β, decay of the squared-gradient average"), _eps(1e-8)),
            "Per-axis rates from a moving average of squared gradients.",
            factory=rmsprop,
            internals=_accumulator_rate,
            convention="torch RMSprop(alpha=β); ε outside the root (course notes often put it inside)",
            color="#009E73",
        ),
        OptimizerSpec(
            "adadelta",
            "AdaDelta",
            "s ← ρs + (1−ρ)g², Δ ← √(d+ε)/√(s+ε)·g, d ← ρd + (1−ρ)Δ², θ ← θ − α·Δ",
            (_lr(1.0), _beta("rho", 0.9, "ρ, decay of both averages"), _eps(1e-6)),
            "RMSprop whose step size comes from a moving average of past steps.",
            factory=adadelta,
            internals=_adadelta_rate,
            convention="torch Adadelta",
            color="#8C6D00",
        ),
        OptimizerSpec(
            "adam",
            "Adam",
            "m ← β₁m + (1−β₁)g, v ← β₂v + (1−β₂)g², θ ← θ − α·m̂/(√v̂ + ε), m̂ = m/(1−β₁ᵗ), v̂ = v/(1−β₂ᵗ)",
            _adam_params(0.01),
            "Momentum and RMSprop together, with bias correction.",
            factory=adam,
            internals=_adam_rate,
            convention="torch Adam",
            color="#D55E00",
        ),
        OptimizerSpec(
            "adamw",
            "AdamW",
            "θ ← θ·(1 − αλ), then the Adam step",
            _adam_params(0.01)
            + (ParamSpec("weight_decay", 0.01, 0.0, 10.0, "λ, decoupled weight decay", slider_max=1.0),),
            "Adam with weight decay applied directly to the weights, not through the gradient.",
            factory=adam,
            internals=_adam_rate,
            convention="torch AdamW",
            color="#000000",
        ),
    )
}

