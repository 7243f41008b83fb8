"""Optimizers as pairs of pure functions, in the style of optax.

The update formulas themselves are written once, in `app.engine.kernels.rules` (compiled for the
step loop, plain Python here); these factories wrap them for floats and NumPy rows.

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

import functools
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

from .kernels import rules
from .params import Catalogued, ParamSpec


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


def _zeros(theta: Any) -> Any:
    return theta * 0.0


def _py(fn: Any) -> Any:
    """The plain-Python function of a compiled rule (these factories take floats or arrays)."""
    return getattr(fn, "py_func", fn)


_gd, _momentum, _nesterov, _corrections = (
    _py(rules.gd),
    _py(rules.momentum),
    _py(rules.nesterov),
    _py(rules.corrections),
)
_adagrad, _rmsprop, _adadelta, _adam = _py(rules.adagrad), _py(rules.rmsprop), _py(rules.adadelta), _py(rules.adam)


# ---------------------------------------------------------------------------------------------
# update rules (the formulas themselves are in app.engine.kernels.rules)


def gd(xp: Any) -> Optimizer:
    """Gradient descent: θ ← θ − lr·g  (torch SGD without momentum)."""

    def init(theta: Any) -> EmptyState:
        return _EMPTY

    def update(g: Any, state: EmptyState, theta: Any, lr: Any) -> tuple[Any, EmptyState]:
        return _gd(g, theta, lr), state

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

    def init(theta: Any) -> VelocityState:
        return VelocityState(0, _zeros(theta))

    def update(g: Any, state: VelocityState, theta: Any, lr: Any) -> tuple[Any, VelocityState]:
        c1 = _corrections(state.t + 1, beta, 0.0)[0] if ewa and bias_correction else 1.0
        theta, t, v = _momentum(g, state.t, state.v, theta, lr, beta, ewa, bias_correction, c1)
        return theta, VelocityState(t, v)

    return Optimizer(init, update)


def nesterov(xp: Any, beta: Any) -> Optimizer:
    """Nesterov momentum as torch ``SGD(momentum=β, nesterov=True)``.

    v ← βv + g, θ ← θ − lr·(g + βv). (This is the "look-ahead" form rewritten at the current
    point; the course's v ← βv + (1−β)g form differs by the factor 1/(1−β) in the step.)
    """

    def init(theta: Any) -> VelocityState:
        return VelocityState(0, _zeros(theta))

    def update(g: Any, state: VelocityState, theta: Any, lr: Any) -> tuple[Any, VelocityState]:
        theta, v = _nesterov(g, state.v, theta, lr, beta)
        return theta, VelocityState(state.t + 1, v)

    return Optimizer(init, update)


def adagrad(xp: Any, eps: Any, initial_accumulator: Any) -> Optimizer:
    """AdaGrad as torch ``Adagrad`` (lr_decay 0): s ← s + g², θ ← θ − lr·g/(√s + ε).

    The sum only grows, so the effective per-axis rate lr/√s dies out over time.
    """

    def init(theta: Any) -> AccumulatorState:
        return AccumulatorState(_zeros(theta) + initial_accumulator)

    def update(g: Any, state: AccumulatorState, theta: Any, lr: Any) -> tuple[Any, AccumulatorState]:
        theta, s, _ = _adagrad(g, state.s, theta, lr, eps, xp)
        return theta, AccumulatorState(s)

    return Optimizer(init, update)


def rmsprop(xp: Any, beta: Any, eps: Any) -> Optimizer:
    """RMSprop as torch ``RMSprop(alpha=β)``: s ← βs + (1−β)g², θ ← θ − lr·g/(√s + ε).

    Course notes often put ε inside the root (√(s + ε)); torch, and this, add it outside.
    """

    def init(theta: Any) -> AccumulatorState:
        return AccumulatorState(_zeros(theta))

    def update(g: Any, state: AccumulatorState, theta: Any, lr: Any) -> tuple[Any, AccumulatorState]:
        theta, s, _ = _rmsprop(g, state.s, theta, lr, beta, eps, xp)
        return theta, AccumulatorState(s)

    return Optimizer(init, update)


def adadelta(xp: Any, rho: Any, eps: Any) -> Optimizer:
    """AdaDelta as torch ``Adadelta``.

    s ← ρs + (1−ρ)g²; Δ ← √(d + ε)/√(s + ε)·g; d ← ρd + (1−ρ)Δ²; θ ← θ − lr·Δ (lr = 1 in the
    paper, which has no learning rate at all).
    """

    def init(theta: Any) -> AdadeltaState:
        return AdadeltaState(_zeros(theta), _zeros(theta))

    def update(g: Any, state: AdadeltaState, theta: Any, lr: Any) -> tuple[Any, AdadeltaState]:
        theta, s, d, _ = _adadelta(g, state.s, state.d, theta, lr, rho, eps, xp)
        return theta, AdadeltaState(s, d)

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

    def init(theta: Any) -> AdamState:
        zero = _zeros(theta)
        return AdamState(0, zero, zero, zero)

    def update(g: Any, state: AdamState, theta: Any, lr: Any) -> tuple[Any, AdamState]:
        c1, c2 = _corrections(state.t + 1, beta1, beta2) if bias_correction else (1.0, 1.0)
        theta, t, m, v, vmax, _ = _adam(
            g,
            state.t,
            state.m,
            state.v,
            state.vmax,
            theta,
            lr,
            beta1,
            beta2,
            eps,
            bias_correction,
            amsgrad,
            weight_decay,
            c1,
            c2,
            xp,
        )
        return theta, AdamState(t, m, v, vmax)

    return Optimizer(init, update)


class RuleState(NamedTuple):
    t: int  # updates done so far
    a: Any  # the rule's three state values per coordinate (see each rule in kernels.rules)
    b: Any
    c: Any


def _by_rule(kind: int, xp: Any, *hyper: Any) -> Optimizer:
    """An optimizer that calls the compiled rule ``kind`` itself, one coordinate at a time (the
    rules written with per-element branches: torch's sign tests, maxima and first-step
    initialisations); NumPy rows go through it element by element."""
    from .kernels import loop

    h = tuple(hyper) + (0.0,) * (rules.HYPER - len(hyper))

    def one_init(theta: float, *hh: float) -> tuple[float, float, float]:
        return loop.init1(kind, np.array(hh, dtype=np.float64).reshape(-1, 1), float(theta))

    def one_update(
        g: float, t: int, a: float, b: float, c: float, theta: float, lr: float, *hh: float
    ) -> tuple[float, float, float, float]:
        ht = np.array(hh, dtype=np.float64).reshape(-1, 1)
        theta, a, b, c, _, _ = loop.update1(
            kind, ht, float(g), int(t), float(a), float(b), float(c), float(theta), float(lr)
        )
        return theta, a, b, c

    if xp.name == "array":
        v_init = np.vectorize(one_init, otypes=[float, float, float])
        v_update = np.vectorize(one_update, otypes=[float, float, float, float])

        def init(theta: Any) -> RuleState:
            return RuleState(0, *v_init(theta, *h))

        def update(g: Any, state: RuleState, theta: Any, lr: Any) -> tuple[Any, RuleState]:
            theta, a, b, c = v_update(g, state.t, state.a, state.b, state.c, theta, lr, *h)
            return theta, RuleState(state.t + 1, a, b, c)

        return Optimizer(init, update)

    def init1(theta: Any) -> RuleState:
        return RuleState(0, *one_init(theta, *h))

    def update1(g: Any, state: RuleState, theta: Any, lr: Any) -> tuple[Any, RuleState]:
        theta, a, b, c = one_update(g, state.t, state.a, state.b, state.c, theta, lr, *h)
        return theta, RuleState(state.t + 1, a, b, c)

    return Optimizer(init1, update1)


def sgd(xp: Any, momentum: Any, dampening: Any, nesterov: bool, weight_decay: Any) -> Optimizer:
    """torch ``SGD`` with every flag: g ← g + λθ; v ← g at the first update, then
    v ← βv + (1 − d)·g; the step is g + βv (nesterov) or v; θ ← θ − lr·step.

    Where torch and the course differ: torch's buffer is a *sum* (1 − d = 1 by default), the
    course's an average (the ``momentum`` entry's ewa form); with dampening d = β torch's buffer
    is the course's average except at the first update, which torch takes undamped (v₁ = g, not
    (1 − β)g). torch refuses nesterov with dampening ≠ 0 or β = 0; here the formula just runs.
    """
    return _by_rule(rules.SGD, xp, momentum, dampening, float(nesterov), weight_decay)


def nadam(
    xp: Any, beta1: Any, beta2: Any, eps: Any, weight_decay: Any, momentum_decay: Any, decoupled_weight_decay: bool
) -> Optimizer:
    """NAdam as torch ``NAdam``: μₜ = β₁(1 − ½·0.96^(t·ψ)), m and v as Adam's,
    θ ← θ − lr·(1 − μₜ)/(1 − Πμ)·g/d − lr·μₜ₊₁/(1 − Πμ·μₜ₊₁)·m/d, d = √(v/(1 − β₂ᵗ)) + ε.

    Dozat's paper and the course's "Adam with Nesterov momentum" use a constant μ = β₁; torch
    warms μ up with the momentum decay ψ (0.004). Weight decay λ is L2 (added to g), or with
    ``decoupled_weight_decay`` AdamW-style (θ ← θ·(1 − lr·λ) first).
    """
    return _by_rule(rules.NADAM, xp, beta1, beta2, eps, weight_decay, momentum_decay, float(decoupled_weight_decay))


def radam(xp: Any, beta1: Any, beta2: Any, eps: Any, weight_decay: Any, decoupled_weight_decay: bool) -> Optimizer:
    """RAdam as torch ``RAdam``: m, v as Adam's; ρ∞ = 2/(1 − β₂) − 1, ρₜ = ρ∞ − 2tβ₂ᵗ/(1 − β₂ᵗ).
    While ρₜ ≤ 5 (the first steps: the variance of the adaptive rate is not yet defined) the
    update is momentum SGD, θ ← θ − lr·m̂; after that the rectified Adam step
    θ ← θ − lr·m̂·r·√(1 − β₂ᵗ)/(√v + ε), r = √((ρₜ−4)(ρₜ−2)ρ∞/((ρ∞−4)(ρ∞−2)ρₜ)). The switch is
    torch's (ρₜ > 5; the paper says 4). Note ε is added to √v before the bias correction (Adam
    adds it after). Weight decay: L2, or decoupled.
    """
    return _by_rule(rules.RADAM, xp, beta1, beta2, eps, weight_decay, float(decoupled_weight_decay))


def adamax(xp: Any, beta1: Any, beta2: Any, eps: Any, weight_decay: Any) -> Optimizer:
    """Adamax as torch ``Adamax``: m ← β₁m + (1−β₁)g, u ← max(β₂u, |g| + ε),
    θ ← θ − lr/(1 − β₁ᵗ)·m/u. (The paper's u ← max(β₂u, |g|) has no ε; torch adds it inside the
    max, so u ≥ ε.)"""
    return _by_rule(rules.ADAMAX, xp, beta1, beta2, eps, weight_decay)


def rprop(xp: Any, etaminus: Any, etaplus: Any, step_size_min: Any, step_size_max: Any) -> Optimizer:
    """Rprop as torch ``Rprop`` (the iRprop⁻ variant): per axis, a step size s (starting at lr)
    multiplied by η₊ while the gradient keeps its sign and by η₋ when it flips (that update is
    then skipped and the gradient forgotten), clamped to [s_min, s_max]; θ ← θ − sign(g)·s.
    Only the sign of the gradient is used; the schedule's lr only sets the first s. The effective
    rate internals (``eff_lr_x``, ``eff_lr_y`` of ``include_state``) are the step sizes s."""
    return _by_rule(rules.RPROP, xp, etaminus, etaplus, step_size_min, step_size_max)


def asgd(xp: Any, lambd: Any, alpha: Any, t0: Any, weight_decay: Any) -> Optimizer:
    """ASGD as torch ``ASGD``: θ ← θ·(1 − λη) − η·g, η ← lr/(1 + λ·lr·t)^α (η₀ = lr); the average
    ā ← ā + μ(θ − ā), μ = 1/max(1, t − t₀) (so ā = θ until step t₀, the plain average of the
    iterates after it). torch's ASGD returns θ, not the average; the averaged iterate is drawn as
    well (the moment internals mx/my of ``include_state`` hold it)."""
    return _by_rule(rules.ASGD, xp, lambd, alpha, t0, weight_decay)


def lion(xp: Any, beta1: Any, beta2: Any, weight_decay: Any) -> Optimizer:
    """Lion as optax ``lion`` (Chen et al. 2023; torch.optim has none): c = (1 − β₁)g + β₁m,
    θ ← θ − lr·(sign(c) + λθ), then m ← (1 − β₂)g + β₂m. Every axis moves by exactly lr (plus the
    decay) each step: only the sign of the interpolated momentum is used. The moment internals
    (mx, my) are c, the quantity whose sign is taken."""
    return _by_rule(rules.LION, xp, beta1, beta2, weight_decay)


def lbfgs(
    xp: Any,
    max_iter: int,
    max_eval: int,
    tolerance_grad: Any,
    tolerance_change: Any,
    history_size: int,
    line_search_fn: str,
) -> Optimizer:
    """L-BFGS as torch ``LBFGS``: one step is one ``step(closure)`` call, up to ``max_iter`` inner
    iterations, each a quasi-Newton direction d = −H̃g (the two-loop recursion over the last
    ``history_size`` pairs s = θₖ₊₁ − θₖ, y = gₖ₊₁ − gₖ, H̃₀ = (sᵀy/yᵀy)·I) and a step length t
    (strong-Wolfe line search, or the fixed t = lr), θ ← θ + t·d; at most ``max_eval`` closure
    evaluations per step (0: torch's default max_iter·5/4). Not element-wise: it runs in its own
    driver (`app.engine.closure`), which records every closure evaluation (``evals``)."""
    raise TypeError("L-BFGS is not element-wise: it runs in app.engine.closure (ClosureRun)")


def newton(xp: Any, damping: Any) -> Optimizer:
    """Damped Newton with the exact 2D Hessian: θ ← θ − lr·(H + λI)⁻¹g (Levenberg's damping λ).
    Where H + λI is not positive definite the eigenvalues of H are replaced by their absolute
    values (saddle-free Newton), so the step never goes uphill; see
    `app.engine.closure.newton_direction`. Runs in its own driver (`app.engine.closure`)."""
    raise TypeError("damped Newton is not element-wise: it runs in app.engine.closure (ClosureRun)")


class ScheduleFreeState(NamedTuple):
    t: int  # updates done so far
    z: Any  # the base sequence (AdamW without momentum)
    nu: Any  # second moment
    wsum: Any  # sum of the averaging weights lr_maxᵖ
    lr_max: Any  # the largest lr so far


def schedule_free_adamw(
    xp: Any, beta1: Any, beta2: Any, eps: Any, weight_decay: Any, weight_lr_power: Any
) -> Optimizer:
    """Schedule-Free AdamW as optax ``contrib.schedule_free_adamw`` (Defazio et al. 2024), float64.

    Three sequences: the gradient is taken at y (the parameters, the drawn path); z takes the
    AdamW step without momentum, z ← z − α·(g/(√ν̂ + ε) + λy), ν ← β₂ν + (1−β₂)g²; x is the
    weighted average of the z's, x ← (1 − cₜ)x + cₜz with cₜ = wₜ/Σw, wₜ = (max lr so far)ᵖ (p = 2);
    y ← β₁x + (1−β₁)z interpolates between them (β₁ replaces momentum). x is the point to evaluate
    (the moment internals mx, my hold it); z = (y − β₁x)/(1 − β₁). Like optax, x is recomputed
    from y and z each update, x = (y − (1−β₁)z)/β₁, and λ decays y (where the gradient is taken).

    The lr of each update is the studio's schedule (Schedule-Free is meant to run with a constant
    rate after a warm-up: use constant with ``warmup_steps``); the largest lr so far includes the
    current update's. With a constant rate this is exactly ``schedule_free_adamw(lr)``; with a
    schedule it is optax's ``schedule_free`` whose wrapper reads the schedule one count earlier
    (its step count starts at 1; the base optimizer's at 0). optax's own ``warmup_steps``
    (lr·t/W, so its first update has lr 0) is not this warm-up, torch's lr·(t+1)/W.

    Where the PyTorch ``schedulefree`` package (AdamWScheduleFree) differs: it folds Adam's bias
    correction √(1−β₂ᵗ) into lr (and so into the weights wₜ and lr_max), has its own built-in
    warm-up, an extra (t+1)ʳ factor in the weights (r = 0 by default), and keeps y in the model
    between its train and evaluation modes. The paper writes cₜ₊₁ = 1/(t+1) (uniform weights).
    """
    sf = _py(rules.sfree)

    def one(
        g: float,
        t: int,
        z: float,
        nu: float,
        wsum: float,
        y: float,
        lr: float,
        lr_max: float,
        b1: float,
        b2: float,
        e: float,
        wd: float,
        p: float,
    ) -> tuple[float, float, float, float]:
        y, z, nu, wsum, _, _ = sf(
            float(g),
            int(t),
            float(z),
            float(nu),
            float(wsum),
            float(y),
            float(lr),
            float(lr_max),
            float(lr_max) ** float(p),
            float(b1),
            float(b2),
            float(e),
            float(wd),
            float(p),
        )
        return y, z, nu, wsum

    step = np.vectorize(one, otypes=[float, float, float, float]) if xp.name == "array" else one

    def init(theta: Any) -> ScheduleFreeState:
        return ScheduleFreeState(0, theta + 0.0, _zeros(theta), _zeros(theta), _zeros(theta))

    def update(g: Any, state: ScheduleFreeState, theta: Any, lr: Any) -> tuple[Any, ScheduleFreeState]:
        lr_max = xp.maximum(state.lr_max, lr)
        y, z, nu, wsum = step(
            g,
            state.t,
            state.z,
            state.nu,
            state.wsum,
            theta,
            lr,
            lr_max,
            beta1,
            beta2,
            eps,
            weight_decay,
            weight_lr_power,
        )
        return y, ScheduleFreeState(state.t + 1, z, nu, wsum, lr_max)

    return Optimizer(init, update)


def polyak(xp: Any, max_learning_rate: Any, eps: Any, variant: str, f_min: Any = None) -> Optimizer:
    """SGD with the Polyak step size as optax ``polyak_sgd`` (Loizou et al. 2021; sps+: Garrigos et
    al. 2023): θ ← θ − s·γ·g, γ = min((f(θ) − f*)/(‖s·g‖² + ε), γ_max), s the schedule's lr (optax's
    ``scaling``; optax takes the norm of the already scaled update −s·g, so γ scales as 1/s²). With
    sps+ the gap is (f − f*)₊. γ = 0 where ‖s·g‖² + ε is below the float64 epsilon.

    The step needs f(θ) and both coordinates of g, so the compiled loop computes the effective
    rate s·γ (what the lr chart and ``include_state``'s eff_lr show); this factory takes that rate
    as ``lr`` (the inspector's replay: θ − (s·γ)·g, the loop's θ + γ·(−s·g) to round-off). f* is the built-in surface's minimum value (the registry
    states it) unless given; on typed formulas it must be given; dataset surfaces refuse Polyak
    (their minimum loss is not known in closed form)."""
    _gd1 = _gd

    def init(theta: Any) -> EmptyState:
        return _EMPTY

    def update(g: Any, state: EmptyState, theta: Any, lr: Any) -> tuple[Any, EmptyState]:
        return _gd1(g, theta, lr), state

    return Optimizer(init, update)


# ---------------------------------------------------------------------------------------------
# the registry


@functools.cache
def _factory_args(factory: Callable[..., Optimizer]) -> tuple[tuple[str, Any], ...]:
    """(name, default) of a factory's hyperparameters, in order (after ``xp``)."""
    return tuple((p.name, p.default) for p in list(inspect.signature(factory).parameters.values())[1:])


@dataclass(frozen=True)
class OptimizerSpec(Catalogued):
    factory: Callable[..., Optimizer] | None = None
    convention: str = ""
    rule: int = rules.GD  # the kind of update rule in the compiled step loop
    color: str = "#000000"  # one colour per optimizer, everywhere (studio, lessons, figures)
    # "loop": element-wise, the compiled step loop (single runs and lanes); "closure": the whole
    # gradient vector and several evaluations per step (app.engine.closure; single runs only)
    driver: str = "loop"
    # what include_state's mx, my hold: "vector" (a velocity / moment, drawn as an arrow) or
    # "iterate" (a sequence of points, the averaged iterate: drawn as a thin path beside the run's)
    moment: str = "vector"
    # y = βx + (1 − β)z: the name of the hyperparameter β (Schedule-Free's β₁), so that the third
    # sequence z = (y − βx)/(1 − β) can be drawn from the path y and the average x
    interpolation: str | None = None

    def build(self, xp: Any, params: dict[str, Any]) -> Optimizer:
        """An optimizer from resolved params (``lr`` is the schedule's, not the factory's)."""
        assert self.factory is not None
        hyper = {k: v for k, v in params.items() if k != "lr"}
        return self.factory(xp, **hyper)

    def hyper(self, params: dict[str, Any]) -> list[Any]:
        """The hyperparameters as the compiled rule takes them: the factory's arguments in order
        (a choice as its index in the catalogue's choices, a flag as 0/1); values may be arrays."""
        assert self.factory is not None
        out: list[Any] = []
        for name, default in _factory_args(self.factory):
            value = params.get(name, default)
            spec = self.spec(name)
            if spec is not None and spec.kind == "choice":
                value = float(spec.choices.index(value))
            elif isinstance(value, bool):
                value = float(value)
            out.append(value)
        return out + [0.0] * (rules.HYPER - len(out))

    def public(self) -> dict[str, Any]:
        out = super().public()
        out["convention"] = self.convention
        out["color"] = self.color
        out["driver"] = self.driver
        out["moment"] = self.moment
        out["interpolation"] = self.interpolation
        return out


def _lr(default: float) -> ParamSpec:
    return ParamSpec(
        "lr",
        default,
        1e-6,
        100.0,
        "learning rate α (the base of the schedule)",
        log_scale=True,
        slider_min=1e-4,
        slider_max=10.0,
    )


def _beta(name: str, default: float, what: str) -> ParamSpec:
    return ParamSpec(name, default, 0.0, 1.0, what, max_exclusive=True, slider_max=0.999)


def _eps(default: float) -> ParamSpec:
    return ParamSpec(
        "eps", default, 0.0, 1.0, "ε, added for numerical stability", log_scale=True, slider_min=1e-12, slider_max=1e-1
    )


def _wd(default: float, what: str) -> ParamSpec:
    return ParamSpec("weight_decay", default, 0.0, 10.0, what, slider_max=1.0)


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
            rule=rules.MOMENTUM,
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
            rule=rules.NESTEROV,
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
            rule=rules.ADAGRAD,
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
            rule=rules.RMSPROP,
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
            rule=rules.ADADELTA,
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
            rule=rules.ADAM,
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
            rule=rules.ADAM,
            convention="torch AdamW",
            color="#000000",
        ),
        OptimizerSpec(
            "sgd",
            "SGD (torch, every flag)",
            "g ← g + λθ, v ← βv + (1−d)g (v₁ = g), θ ← θ − α·(nesterov ? g + βv : v)",
            (
                _lr(0.01),
                ParamSpec(
                    "momentum", 0.9, 0.0, 1.0, "β, momentum (0: plain SGD)", max_exclusive=True, slider_max=0.999
                ),
                ParamSpec("dampening", 0.0, 0.0, 1.0, "d, dampening: the gradient enters v with weight 1 − d"),
                ParamSpec("nesterov", False, description="Nesterov: step along g + βv instead of v", kind="bool"),
                _wd(0.0, "λ, L2 weight decay (added to the gradient)"),
            ),
            "torch.optim.SGD with its momentum, dampening, nesterov and weight-decay flags.",
            factory=sgd,
            rule=rules.SGD,
            convention="torch SGD(momentum=β, dampening=d, nesterov, weight_decay=λ); the first update takes v₁ = g undamped",
            color="#332288",
        ),
        OptimizerSpec(
            "nadam",
            "NAdam",
            "μₜ = β₁(1 − ½·0.96^(tψ)), θ ← θ − α(1−μₜ)/(1−Πμ)·g/d − αμₜ₊₁/(1−Πμₜ₊₁)·m/d, d = √v̂ + ε",
            _adam_params(0.01)[:4]
            + (
                _wd(0.0, "λ, weight decay (L2, or decoupled)"),
                ParamSpec("momentum_decay", 0.004, 0.0, 1.0, "ψ, momentum decay (μ warms up to β₁)", slider_max=0.1),
                ParamSpec(
                    "decoupled_weight_decay", False, description="decay θ directly, as AdamW (NAdamW)", kind="bool"
                ),
            ),
            "Adam with Nesterov momentum: the step looks ahead with the next step's momentum.",
            factory=nadam,
            rule=rules.NADAM,
            convention="torch NAdam (μ warms up with ψ; the paper and the course use μ = β₁)",
            color="#AA0DFE",
        ),
        OptimizerSpec(
            "radam",
            "RAdam",
            "ρₜ = ρ∞ − 2tβ₂ᵗ/(1−β₂ᵗ); ρₜ > 5: θ ← θ − α·m̂·r·√(1−β₂ᵗ)/(√v + ε), else θ ← θ − α·m̂",
            _adam_params(0.01)[:4]
            + (
                _wd(0.0, "λ, weight decay (L2, or decoupled)"),
                ParamSpec("decoupled_weight_decay", False, description="decay θ directly, as AdamW", kind="bool"),
            ),
            "Adam whose adaptive rate is switched on (and rectified) only once its variance is defined.",
            factory=radam,
            rule=rules.RADAM,
            convention="torch RAdam (momentum SGD while ρₜ ≤ 5; ε added to √v before the bias correction)",
            color="#882255",
        ),
        OptimizerSpec(
            "adamax",
            "Adamax",
            "m ← β₁m + (1−β₁)g, u ← max(β₂u, |g| + ε), θ ← θ − α/(1−β₁ᵗ)·m/u",
            _adam_params(0.02)[:4] + (_wd(0.0, "λ, L2 weight decay (added to the gradient)"),),
            "Adam with the infinity norm: a running maximum of |g| instead of an average of g².",
            factory=adamax,
            rule=rules.ADAMAX,
            convention="torch Adamax (ε inside the max; the paper has none)",
            color="#3D6B00",
        ),
        OptimizerSpec(
            "rprop",
            "Rprop",
            "s ← clamp(s·(η₊ if g·g₋₁ > 0, η₋ if < 0, else 1), s_min, s_max), θ ← θ − sign(g)·s",
            (
                _lr(0.01),
                ParamSpec(
                    "etaminus",
                    0.5,
                    0.0,
                    1.0,
                    "η₋, factor when the gradient flips sign",
                    min_exclusive=True,
                    max_exclusive=True,
                ),
                ParamSpec(
                    "etaplus", 1.2, 1.0, 10.0, "η₊, factor while the sign holds", min_exclusive=True, slider_max=3.0
                ),
                ParamSpec(
                    "step_size_min",
                    1e-6,
                    0.0,
                    100.0,
                    "s_min, the smallest step",
                    log_scale=True,
                    slider_min=1e-8,
                    slider_max=1.0,
                ),
                ParamSpec(
                    "step_size_max",
                    50.0,
                    0.0,
                    1e6,
                    "s_max, the largest step",
                    log_scale=True,
                    min_exclusive=True,
                    slider_min=1e-3,
                    slider_max=100.0,
                ),
            ),
            "Per-axis steps that grow while the gradient's sign holds and shrink when it flips; lr is the first step.",
            factory=rprop,
            rule=rules.RPROP,
            convention="torch Rprop (iRprop⁻: after a sign flip the update is skipped)",
            color="#A52A2A",
        ),
        OptimizerSpec(
            "asgd",
            "ASGD",
            "θ ← θ(1 − λη) − ηg, η ← α₀/(1 + λα₀t)^a, ā ← ā + (θ − ā)/max(1, t − t₀)",
            (
                _lr(0.01),
                ParamSpec("lambd", 1e-4, 0.0, 1.0, "λ, decay term", log_scale=True, slider_min=1e-6, slider_max=1.0),
                ParamSpec("alpha", 0.75, 0.0, 10.0, "a, power of the η decay", slider_max=2.0),
                ParamSpec("t0", 1e6, 0.0, 1e9, "t₀, the step where averaging starts", slider_max=20_000.0),
                _wd(0.0, "λ_wd, L2 weight decay (added to the gradient)"),
            ),
            "SGD with a decaying rate that also keeps the running average of its iterates (Polyak averaging).",
            factory=asgd,
            rule=rules.ASGD,
            convention="torch ASGD (the average ā is returned as the moment internals mx, my)",
            color="#E6007E",
            moment="iterate",
        ),
        OptimizerSpec(
            "lion",
            "Lion",
            "c ← (1−β₁)g + β₁m, θ ← θ − α·(sign(c) + λθ), m ← (1−β₂)g + β₂m",
            (
                _lr(0.01),
                _beta("beta1", 0.9, "β₁, weight of the momentum in the step's direction"),
                _beta("beta2", 0.99, "β₂, decay of the momentum"),
                _wd(1e-3, "λ, decoupled weight decay (scaled by α)"),
            ),
            "Signed momentum: every axis moves by exactly α each step, in the direction of an average of g and m.",
            factory=lion,
            rule=rules.LION,
            convention="optax lion (the paper's; torch.optim has none)",
            color="#BB33BB",
        ),
        OptimizerSpec(
            "lbfgs",
            "L-BFGS",
            "d = −H̃g,  H̃ = H̃(sᵢ = Δθᵢ, yᵢ = Δgᵢ; k − m < i ≤ k),  t = strong_wolfe(f, θ, d),  θ ← θ + t·d",
            (
                _lr(1.0),
                ParamSpec(
                    "max_iter",
                    20,
                    1,
                    200,
                    "inner iterations per step (one step = one step(closure) call)",
                    kind="int",
                    slider_max=50,
                ),
                ParamSpec(
                    "max_eval",
                    0,
                    0,
                    500,
                    "closure evaluations per step at most (0: max_iter·5/4, torch's None)",
                    kind="int",
                    slider_max=100,
                ),
                ParamSpec(
                    "tolerance_grad",
                    1e-7,
                    0.0,
                    1e3,
                    "stop a step when max |gᵢ| ≤ this",
                    log_scale=True,
                    slider_min=1e-12,
                    slider_max=1.0,
                ),
                ParamSpec(
                    "tolerance_change",
                    1e-9,
                    0.0,
                    1.0,
                    "stop a step when the loss or θ changes less than this",
                    log_scale=True,
                    slider_min=1e-14,
                    slider_max=1e-2,
                ),
                ParamSpec("history_size", 100, 1, 1000, "m, (s, y) pairs kept", kind="int", slider_max=100),
                ParamSpec(
                    "line_search_fn",
                    "strong_wolfe",
                    description="strong_wolfe: search t along d; none: t = lr",
                    kind="choice",
                    choices=("strong_wolfe", "none"),
                ),
            ),
            "A quasi-Newton method: curvature estimated from the last gradient differences, and a line search; "
            "one step is one step(closure) call, which evaluates the loss several times (drawn as markers).",
            factory=lbfgs,
            convention='torch LBFGS (line_search_fn="strong_wolfe" by default here, torch\'s default is None; '
            "max_eval 0 = torch's None); include_state: mx, my = H̃g of the last inner iteration (the step is along −H̃g)",
            color="#117733",
            driver="closure",
        ),
        OptimizerSpec(
            "newton",
            "Damped Newton",
            "θ ← θ − α·(H + λI)⁻¹g;  H + λI ⊁ 0: H = VMVᵀ → V|M|Vᵀ",
            (
                _lr(1.0),
                ParamSpec(
                    "damping", 0.0, 0.0, 1e6, "λ, Levenberg damping added to the Hessian's diagonal", slider_max=10.0
                ),
            ),
            "Newton's method with the exact Hessian: one step to the minimum of a quadratic (α = 1, λ = 0); the "
            "damping λ shortens steps where the curvature is small.",
            factory=newton,
            convention="no torch.optim class; the export uses torch.autograd.functional.hessian. Saddle-free fallback: "
            "where H + λI is not positive definite, H's eigenvalues are replaced by their absolute values; "
            "include_state: mx, my = (H + λI)⁻¹g",
            color="#6E6E6E",  # grey: apart from every hue above (ΔE ≥ 20, tested)
            driver="closure",
        ),
        OptimizerSpec(
            "schedule_free_adamw",
            "Schedule-Free AdamW",
            "y = β₁x + (1−β₁)z: z ← z − α·(g/(√ν̂ + ε) + λy), x ← (1−cₜ)x + cₜz, cₜ = α_maxᵖ/Σα_maxᵖ",
            (
                _lr(0.0025),
                ParamSpec(
                    "beta1",
                    0.9,
                    0.0,
                    1.0,
                    "β₁, interpolation between the average x and z (replaces momentum)",
                    min_exclusive=True,
                    max_exclusive=True,
                    slider_min=0.01,
                    slider_max=0.999,
                ),
                _beta("beta2", 0.999, "β₂, decay of the second-moment average"),
                _eps(1e-8),
                _wd(0.0, "λ, weight decay (at y, scaled by α)"),
                ParamSpec("weight_lr_power", 2.0, 0.0, 10.0, "p, the averaging weights are α_maxᵖ", slider_max=4.0),
            ),
            "No schedule needed: the gradient is taken between the running average x and the AdamW "
            "sequence z; x (thin) and z (dashed) are drawn with the path y.",
            factory=schedule_free_adamw,
            rule=rules.SFREE,
            convention="optax contrib.schedule_free_adamw (the average x is returned as the moment internals mx, "
            "my; z = (y − β₁x)/(1 − β₁)); torch.optim has none",
            color="#1B7F79",
            moment="iterate",
            interpolation="beta1",
        ),
        OptimizerSpec(
            "polyak_sgd",
            "Polyak step size",
            "θ ← θ − s·γ·g, γ = min((f(θ) − f*)/(‖s·g‖² + ε), γ_max), s = α (the schedule's lr)",
            (
                _lr(1.0),
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
                _eps(0.0),
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
            "Gradient descent whose step size comes from how far the loss is above its minimum f*.",
            factory=polyak,
            rule=rules.POLYAK,
            convention="optax polyak_sgd (lr is its scaling; f* from the surface); torch.optim has none",
            color="#7A5195",
        ),
    )
}
