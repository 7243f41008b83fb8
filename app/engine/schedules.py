"""Learning-rate schedules: each one function of the step count, with its declaration on it.

Each schedule is ``fn(t, base, **params) -> lr``: ``t`` is a NumPy integer array of step (or
epoch) indices counted from 0, ``base`` the run's learning rate (a float, or an array that
broadcasts against ``t`` for many rows). torch.optim.lr_scheduler is the reference where it has
the schedule; its chainable (recursive) updates agree with these closed forms to round-off.
Absolute levels (``eta_min``, ``max_lr``) are learning rates, as in torch, not factors.

Each function is all there is to know about its schedule: its id is its name, its docstring
begins with its catalogue texts (``Name: formula``, then the description), and the `schedule`
decorator on it holds its hyperparameters, its torch and optax counterparts (a library constructor
and its arguments, or `COPY`: the exported script copies this module's own source of the function,
without the texts), and what torch does around it (OneCycleLR's initial_lr, its cycled momentum).
The registry, the request schema, the runs and both exported scripts are derived from it. A
schedule that reads the loss (ReduceLROnPlateau) is a class, `Plateau`, declared the same way (its
id given: ``reduce_on_plateau``).

Warm-up wraps any schedule (`warm_up`): for t < W the lr is base·(t + 1)/W, from t = W on the
schedule runs with t − W. A chain (`sequential`) runs each link from its milestone on.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np

from .params import Catalogued, ParamSpec, docstring, entry_texts

# the run's lr: one, or an array of rows that broadcasts against the steps
Rate = float | np.ndarray

COPY = "copy"  # a library lacks the schedule: the exported script copies the engine's own source

# an argument of a library constructor: the schedule parameter of that name, or a function of
# (the schedule's parameters, the run's lr)
Arg = str | Callable[[Mapping[str, Any], float], Any]


@dataclass(frozen=True)
class Counterpart:
    """A library's own form of a schedule: torch ``lr_scheduler.<name>(opt, **args)``, optax
    ``optax.<name>(**args)``."""

    name: str
    args: tuple[tuple[str, Arg], ...] = ()

    @classmethod
    def of(cls, name: str, *same: str | tuple[str, Arg], **args: Arg) -> Counterpart:
        """The arguments in order: ``same``, each a schedule parameter's name where the library's
        argument has the same, else (the argument, its `Arg`); then ``args``."""
        pairs = tuple((a, a) if isinstance(a, str) else a for a in same)
        return cls(name, pairs + tuple(args.items()))

    def arguments(self, params: Mapping[str, Any], lr: float) -> dict[str, Any]:
        return {k: params[v] if isinstance(v, str) else v(params, lr) for k, v in self.args}


def _rate(params: Mapping[str, Any], lr: float) -> float:
    return lr  # the run's lr


def _fixed(value: Any) -> Callable[[Mapping[str, Any], float], Any]:
    return lambda params, lr: value


@dataclass(frozen=True)
class ScheduleSpec(Catalogued):
    fn: Callable[..., np.ndarray] | None = None  # the closed form; None: it reads the loss (`rule`)
    reference: str = ""
    # torch's counterpart, COPY (a LambdaLR of the engine's function, base 1: a factor), or None (no
    # scheduler: the optimizer's constant rate)
    torch: Counterpart | str | None = COPY
    optax: Counterpart | str = COPY  # optax's counterpart, or COPY (the engine's function)
    # the schedule that reads the loss: its rule (a class like `Plateau`), fed after each update
    rule: type[Plateau] | None = None
    # torch's scheduler writes this rate as the optimizer's initial_lr when it is built (OneCycleLR:
    # max_lr/div_factor): the other links of a chain start from it (`link_rates`)
    initial_lr: Callable[[Mapping[str, Any], Any], Any] | None = None
    # the momentum of each step, where the parameters ask to cycle it (OneCycleLR's cycle_momentum)
    momentum: Callable[..., np.ndarray] | None = None

    @property
    def reads_loss(self) -> bool:
        """The rate depends on the run's losses (no table of rates ahead)."""
        return self.rule is not None

    def cycles_momentum(self, params: Mapping[str, Any]) -> bool:
        return self.momentum is not None and bool(params.get("cycle_momentum"))

    def public(self) -> dict[str, Any]:
        out = super().public()
        out["reference"] = self.reference
        out["reads_loss"] = self.reads_loss
        return out


SCHEDULES: dict[str, ScheduleSpec] = {}  # in catalogue order: the order of the declarations below

_T = TypeVar("_T", bound=Callable[..., Any])  # a schedule function, or a rule class


def schedule(
    params: tuple[ParamSpec, ...] = (), reference: str = "", *, id: str = "", **declared: Any
) -> Callable[[_T], _T]:
    """Declares the function (or, for one that reads the loss, the class) below as a schedule: its
    id is its name (or ``id``), its texts begin its docstring (`entry_texts`: ``Name: formula``, then
    a paragraph of description; the exported scripts copy its source without them), ``params`` its
    hyperparameters; ``declared``: the `ScheduleSpec` fields beyond its catalogue entry (torch,
    optax, initial_lr, momentum). ``reference`` by default: the torch scheduler it equals."""

    def register(obj: _T) -> _T:
        rule = obj if isinstance(obj, type) else None
        fn = None if rule is not None else obj
        torch = declared.get("torch")
        ref = f"torch {torch.name}" if not reference and isinstance(torch, Counterpart) else reference
        sid = id or obj.__name__
        texts: dict[str, Any] = entry_texts(docstring(obj))[0]
        SCHEDULES[sid] = ScheduleSpec(sid, params=params, **texts, fn=fn, reference=ref, rule=rule, **declared)
        return obj

    return register


def _int(name: str, default: int, lo: int, what: str, follows_steps: float | None = None) -> ParamSpec:
    # a step count: validated up to 10⁷, a log slider over what a run of ≤ 20,000 steps can use;
    # ``follows_steps``: the share of the run it spans (the studio fills it from the run's steps)
    return ParamSpec(
        name,
        default,
        lo,
        10_000_000,
        what,
        kind="int",
        slider_min=1,
        slider_max=20_000,
        slider_log=True,
        follows_steps=follows_steps,
    )


# The lengths that span the run (a share of its steps): the studio fills them from the run's steps and
# keeps them following while the user has not typed their own. Their API defaults (an omitted value)
# are these shares of 1,000 steps. A restart period (t_0), a cycle (step_size_up), a ramp (linear's,
# constant_factor's total_iters) and a decay's period (step_size) are lengths of their own.
WHOLE_RUN = 1.0


_GAMMA = ParamSpec("gamma", 0.5, 0.0, 1.0, "γ, the factor applied at each decay", min_exclusive=True)
_ETA_MIN = ParamSpec("eta_min", 0.0, 0.0, 100.0, "η_min, the lowest learning rate", slider_max=1.0)


@schedule(torch=None)
def constant(t: np.ndarray, base: Rate) -> np.ndarray:
    """Constant: α

    The learning rate never changes."""
    return base * np.ones_like(t, dtype=float)


@schedule(
    (_int("step_size", 100, 1, "steps between decays"), _GAMMA), torch=Counterpart.of("StepLR", "step_size", "gamma")
)
def step(t: np.ndarray, base: Rate, step_size: int, gamma: float) -> np.ndarray:
    """Step decay: α·γ^⌊t/step_size⌋

    Staircase: multiply by γ every step_size steps (epochs)."""
    return base * gamma ** (t // step_size).astype(float)


@schedule(
    (
        ParamSpec(
            "milestones",
            (250, 500, 750),
            1,
            10_000_000,
            "steps at which to decay, increasing",
            kind="int_list",
            follows_steps=(0.25, 0.5, 0.75),
        ),
        _GAMMA,
    ),
    torch=Counterpart.of("MultiStepLR", "milestones", "gamma"),
    optax=Counterpart.of(
        "piecewise_constant_schedule",
        init_value=_rate,
        boundaries_and_scales=lambda p, lr: dict.fromkeys(p["milestones"], p["gamma"]),
    ),
)
def multistep(t: np.ndarray, base: Rate, milestones: tuple[int, ...], gamma: float) -> np.ndarray:
    """Multi-step decay: α·γ^(number of milestones ≤ t)

    Multiply by γ at each milestone."""
    passed = np.searchsorted(np.asarray(milestones, dtype=np.int64), t, side="right")
    return base * gamma ** passed.astype(float)


@schedule(
    (
        ParamSpec(
            "gamma", 0.99, 0.0, 1.0, "γ, the factor per step (epoch), e.g. 0.95", min_exclusive=True, slider_min=0.9
        ),
    ),
    torch=Counterpart.of("ExponentialLR", "gamma"),
)
def exponential(t: np.ndarray, base: Rate, gamma: float) -> np.ndarray:
    """Exponential decay: α·γ^t

    Multiply by γ every step (the course's 0.95^epoch)."""
    return base * gamma ** t.astype(float)


@schedule(
    (
        ParamSpec(
            "decay_rate", 0.01, 0.0, 1e6, "how fast the rate falls", slider_min=1e-4, slider_max=10.0, slider_log=True
        ),
    ),
    "lr / (1 + decay_rate·t)",
)
def inverse_time(t: np.ndarray, base: Rate, decay_rate: float) -> np.ndarray:
    """Inverse-time decay: α/(1 + decay_rate·t)

    The course's 1/(1 + decay·epoch)."""
    return base / (1.0 + decay_rate * t)


@schedule(
    (ParamSpec("k", 1.0, 0.0, 1e6, "scale k", min_exclusive=True, slider_min=0.01, slider_max=100.0, slider_log=True),),
    "lr · k / √(t + 1)",
)
def inverse_sqrt(t: np.ndarray, base: Rate, k: float) -> np.ndarray:
    """Inverse square root: α·k/√(t + 1)

    The course's k/√epoch."""
    return base * k / np.sqrt(t + 1.0)


@schedule(
    (
        _int("total_steps", 1000, 1, "T, the step at which the rate reaches 0", WHOLE_RUN),
        ParamSpec("power", 1.0, 0.0, 100.0, "p, the power (1 = linear)", slider_max=10.0),
    ),
    torch=Counterpart.of("PolynomialLR", ("total_iters", "total_steps"), "power"),
)
def polynomial(t: np.ndarray, base: Rate, total_steps: int, power: float) -> np.ndarray:
    """Polynomial decay: α·(1 − min(t, T)/T)^p

    Falls to zero at T and stays there."""
    lr: np.ndarray = base * (1.0 - np.minimum(t, total_steps) / total_steps) ** power
    return lr


@schedule(
    (_int("t_max", 1000, 1, "T, half a period", WHOLE_RUN), _ETA_MIN),
    torch=Counterpart.of("CosineAnnealingLR", ("T_max", "t_max"), "eta_min"),
)
def cosine(t: np.ndarray, base: Rate, t_max: int, eta_min: float) -> np.ndarray:
    """Cosine annealing: η_min + (α − η_min)·(1 + cos(πt/T))/2

    Half a cosine from α down to η_min over T steps."""
    return eta_min + (base - eta_min) * (1.0 + np.cos(np.pi * t / t_max)) / 2.0


def _restart_position(t: np.ndarray, t_0: int, t_mult: int) -> tuple[np.ndarray, np.ndarray]:
    """(T_cur, T_i) of CosineAnnealingWarmRestarts at step t, in exact integer arithmetic."""
    t = t.astype(np.int64)
    if t_mult == 1:
        return t % t_0, np.full_like(t, t_0)
    n = np.floor(np.log(t / t_0 * (t_mult - 1) + 1.0) / np.log(t_mult)).astype(np.int64)
    n = np.maximum(n, 0)

    def start(k: np.ndarray) -> np.ndarray:  # first step of cycle k
        return t_0 * (t_mult**k - 1) // (t_mult - 1)

    n = np.where(start(n) > t, n - 1, n)  # guard the float log at cycle boundaries
    n = np.where(start(n + 1) <= t, n + 1, n)
    return t - start(n), t_0 * t_mult**n


@schedule(
    (
        _int("t_0", 100, 1, "T₀, length of the first cycle"),
        ParamSpec("t_mult", 1, 1, 10, "m, each cycle is m times longer", kind="int"),
        _ETA_MIN,
    ),
    torch=Counterpart.of("CosineAnnealingWarmRestarts", ("T_0", "t_0"), ("T_mult", "t_mult"), "eta_min"),
)
def cosine_restarts(t: np.ndarray, base: Rate, t_0: int, t_mult: int, eta_min: float) -> np.ndarray:
    """Cosine with warm restarts: η_min + (α − η_min)·(1 + cos(π·T_cur/T_i))/2, T_i = T₀·mⁱ

    Cosine decay that jumps back to α at each restart (SGDR)."""
    t_cur, t_i = _restart_position(t, t_0, t_mult)
    lr: np.ndarray = eta_min + (base - eta_min) * (1.0 + np.cos(np.pi * t_cur / t_i)) / 2.0
    return lr


@schedule(
    (
        ParamSpec("max_lr", 0.1, 0.0, 100.0, "the top of each cycle", log_scale=True, slider_min=1e-4, slider_max=10.0),
        _int("step_size_up", 100, 1, "steps from the bottom to the top of a cycle"),
        ParamSpec(
            "mode",
            "triangular",
            description="triangular: constant height; triangular2: halves each cycle; exp_range: scaled by γ^t",
            kind="choice",
            choices=("triangular", "triangular2", "exp_range"),
        ),
        ParamSpec("gamma", 1.0, 0.0, 1.0, "γ for exp_range", min_exclusive=True),
    ),
    "torch CyclicLR(base_lr=lr, cycle_momentum=False)",
    torch=Counterpart.of(
        "CyclicLR", ("base_lr", _rate), "max_lr", "step_size_up", "mode", "gamma", cycle_momentum=_fixed(False)
    ),
)
def cyclic(t: np.ndarray, base: Rate, max_lr: float, step_size_up: int, mode: str, gamma: float) -> np.ndarray:
    """Cyclic: α + (max_lr − α)·triangle(t)·scale

    Triangle waves between α and max_lr."""
    total = 2.0 * step_size_up
    cycle = np.floor(1.0 + t / total)
    x = 1.0 + t / total - cycle
    scale = np.where(x <= 0.5, x / 0.5, (x - 1.0) / (0.5 - 1.0))
    if mode == "triangular":
        amplitude: Rate = 1.0
    elif mode == "triangular2":
        amplitude = 1.0 / 2.0 ** (cycle - 1.0)
    else:  # exp_range scales by iterations
        amplitude = gamma ** t.astype(float)
    return base + (max_lr - base) * scale * amplitude


def _one_cycle_phases(
    total_steps: int, pct_start: float, three_phase: bool, start: Any, peak: Any, low: Any
) -> list[tuple[float, Any, Any]]:
    """torch OneCycleLR's phases: (end step, value at its start, value at its end)."""
    if three_phase:
        return [
            (float(pct_start * total_steps) - 1, start, peak),
            (float(2 * pct_start * total_steps) - 2, peak, start),
            (total_steps - 1, start, low),
        ]
    return [(float(pct_start * total_steps) - 1, start, peak), (total_steps - 1, peak, low)]


def _one_cycle_anneal(
    t: np.ndarray, total_steps: int, anneal_strategy: str, phases: list[tuple[float, Any, Any]]
) -> np.ndarray:
    """Each step's value from its phase, as torch's ``get_lr`` computes it (cos or linear pieces)."""
    t = np.minimum(t, total_steps - 1).astype(float)
    out = np.zeros(np.broadcast(t, np.asarray(phases[0][1], dtype=float)).shape)
    done = np.zeros(t.shape, dtype=bool)
    start_step = 0.0
    with np.errstate(divide="ignore", invalid="ignore"):
        for i, (end_step, start_lr, end_lr) in enumerate(phases):
            here = ~done & ((t <= end_step) | (i == len(phases) - 1))
            span = end_step - start_step
            pct = (t - start_step) / span if span != 0 else np.ones_like(t)
            if anneal_strategy == "cos":
                value = end_lr + (start_lr - end_lr) / 2.0 * (np.cos(np.pi * pct) + 1)
            else:
                value = (end_lr - start_lr) * pct + start_lr
            out = np.where(here, value, out)
            done |= here
            start_step = end_step
    return out


def one_cycle_momentum(
    t: np.ndarray,
    total_steps: int,
    pct_start: float,
    anneal_strategy: str,
    three_phase: bool,
    base_momentum: float,
    max_momentum: float,
    **_: Any,
) -> np.ndarray:
    """torch OneCycleLR(cycle_momentum=True): the momentum (SGD's β, the Adam family's β₁) of each
    step, max_momentum → base_momentum while the lr rises, back to max_momentum while it falls
    (three phases: and it stays there during the final decay)."""
    phases = _one_cycle_phases(total_steps, pct_start, three_phase, max_momentum, base_momentum, max_momentum)
    if three_phase:
        phases[2] = (phases[2][0], max_momentum, max_momentum)
    return _one_cycle_anneal(np.asarray(t), total_steps, anneal_strategy, phases)


@schedule(
    (
        _int("total_steps", 1000, 1, "T, the length of the cycle", WHOLE_RUN),
        ParamSpec(
            "pct_start", 0.3, 0.0, 1.0, "p, the share of the cycle spent rising", min_exclusive=True, max_exclusive=True
        ),
        ParamSpec(
            "anneal_strategy",
            "cos",
            description="cos: cosine pieces; linear: straight lines",
            kind="choice",
            choices=("cos", "linear"),
        ),
        ParamSpec("div_factor", 25.0, 1.0, 1e6, "d, the start is α/d", log_scale=True, slider_max=1000.0),
        ParamSpec("final_div_factor", 1e4, 1.0, 1e9, "f, the end is α/(d·f)", log_scale=True, slider_max=1e6),
        ParamSpec("three_phase", False, description="go back down to α/d before the final decay", kind="bool"),
        ParamSpec(
            "cycle_momentum",
            False,
            kind="bool",
            description="cycle the momentum (β, or β₁ of the Adam family) against the rate",
        ),
        ParamSpec(
            "base_momentum",
            0.85,
            0.0,
            1.0,
            "the momentum at the peak of the rate",
            max_exclusive=True,
            slider_max=0.999,
        ),
        ParamSpec(
            "max_momentum",
            0.95,
            0.0,
            1.0,
            "the momentum at the start and the end",
            max_exclusive=True,
            slider_max=0.999,
        ),
    ),
    "torch OneCycleLR(max_lr=lr, cycle_momentum=…)",
    torch=Counterpart.of(
        "OneCycleLR",
        ("max_lr", _rate),
        "total_steps",
        "pct_start",
        "anneal_strategy",
        "div_factor",
        "final_div_factor",
        "three_phase",
        "cycle_momentum",
        "base_momentum",
        "max_momentum",
    ),
    initial_lr=lambda p, base: base / p["div_factor"],
    momentum=one_cycle_momentum,
)
def one_cycle(
    t: np.ndarray,
    base: Rate,
    total_steps: int,
    pct_start: float,
    anneal_strategy: str,
    div_factor: float,
    final_div_factor: float,
    three_phase: bool,
    **_: Any,  # the momentum's parameters (`one_cycle_momentum`)
) -> np.ndarray:
    """One cycle: α/d → α over p·T steps, then α → α/(d·f) (cos or linear pieces)

    Warm up to the run's lr (the peak), then anneal far below the start (super-convergence);
    optionally the momentum moves the other way.

    torch OneCycleLR with max_lr = the run's lr (``base``): from max_lr/div_factor up to max_lr
    in the first pct_start of total_steps, then down to max_lr/div_factor/final_div_factor (three
    phases: back to the start first). Cosine or linear pieces. After total_steps (where torch
    raises) the rate stays at its last value. With ``cycle_momentum`` the momentum (β₁ of the Adam
    family) runs the other way, from max_momentum down to base_momentum at the peak and back
    (`one_cycle_momentum`)."""
    base = np.asarray(base, dtype=float)
    initial = base / div_factor
    low = initial / final_div_factor
    phases = _one_cycle_phases(total_steps, pct_start, three_phase, initial, base, low)
    return _one_cycle_anneal(t, total_steps, anneal_strategy, phases)


@schedule(
    (
        ParamSpec("start_factor", 1.0 / 3.0, 0.0, 1.0, "s, the factor at t = 0", min_exclusive=True),
        ParamSpec("end_factor", 1.0, 0.0, 1.0, "e, the factor from t = T on"),
        _int("total_iters", 100, 1, "T, the steps of the ramp"),
    ),
    torch=Counterpart.of("LinearLR", "start_factor", "end_factor", "total_iters"),
)
def linear(t: np.ndarray, base: Rate, start_factor: float, end_factor: float, total_iters: int) -> np.ndarray:
    """Linear factor: α·(s + (e − s)·min(t, T)/T)

    A straight ramp of the factor from s to e over T steps (a warm-up with s < e, a decay with s > e).

    torch LinearLR: the factor goes linearly from start_factor to end_factor over total_iters
    steps, then stays."""
    done = np.minimum(t, total_iters).astype(float)
    lr: np.ndarray = base * (start_factor + (end_factor - start_factor) * done / total_iters)
    return lr


@schedule(
    (
        ParamSpec("factor", 1.0 / 3.0, 0.0, 1.0, "f, the factor of the first T steps", min_exclusive=True),
        _int("total_iters", 100, 1, "T, the steps at the lower rate"),
    ),
    torch=Counterpart.of("ConstantLR", "factor", "total_iters"),
)
def constant_factor(t: np.ndarray, base: Rate, factor: float, total_iters: int) -> np.ndarray:
    """Constant factor: α·f for t < T, then α

    A lower rate for the first T steps, then the run's lr.

    torch ConstantLR: base·factor for the first total_iters steps, then base."""
    return base * (factor + (t >= total_iters) * (1.0 - factor))


def _pick(cond: bool, a: Any, b: Any) -> Any:
    return a if cond else b  # np.where for one row's floats


@schedule(
    (
        ParamSpec("factor", 0.1, 0.0, 1.0, "f, the factor of each reduction", min_exclusive=True, max_exclusive=True),
        ParamSpec(
            "patience",
            10,
            0,
            10_000_000,
            "p, bad steps (epochs) tolerated before a reduction",
            kind="int",
            slider_max=1000,
            slider_log=False,
        ),
        ParamSpec("threshold", 1e-4, 0.0, 1e6, "τ, how much lower a loss must be to count as better", slider_max=1.0),
        ParamSpec(
            "threshold_mode",
            "rel",
            description="rel: below best·(1 − τ); abs: below best − τ",
            kind="choice",
            choices=("rel", "abs"),
        ),
        ParamSpec(
            "cooldown",
            0,
            0,
            10_000_000,
            "steps (epochs) after a reduction before bad ones count",
            kind="int",
            slider_max=1000,
            slider_log=False,
        ),
        ParamSpec("min_lr", 0.0, 0.0, 100.0, "α_min, the lowest rate", slider_max=1.0),
        ParamSpec("eps", 1e-8, 0.0, 1.0, "a reduction smaller than this is skipped", slider_max=1e-3),
    ),
    'torch ReduceLROnPlateau(mode="min"), scheduler.step(loss) after each update (epoch)',
    id="reduce_on_plateau",
    torch=Counterpart.of(
        "ReduceLROnPlateau",
        ("mode", _fixed("min")),
        "factor",
        "patience",
        "threshold",
        "threshold_mode",
        "cooldown",
        "min_lr",
        "eps",
    ),
)
class Plateau:
    """Reduce on plateau: α ← max(α·f, α_min) after more than p steps without a loss below best·(1 − τ)

    Reads the loss: cuts the rate by f when the loss has stopped falling for p steps (epochs on
    dataset surfaces). Stepped after each update, or each epoch, with the loss at the new point.

    torch ``ReduceLROnPlateau(mode="min")``, for one or many rows at once (NumPy arrays).

    ``step(loss)`` is torch's ``scheduler.step(loss)``: a loss below best·(1 − threshold) (rel) or
    best − threshold (abs) is the new best, else one more bad epoch; in the cooldown bad epochs
    are not counted; after more than ``patience`` bad epochs the rate becomes
    max(lr·factor, min_lr) (only if that lowers it by more than eps) and the cooldown starts.
    The same float64 operations as torch, so the rates agree bit for bit. The rule is written
    once (`_rule`), for one row's Python floats (`step1`, a run's every update) and for rows.
    optax has no such rule on the rate: the optax script copies this class.
    """

    def __init__(
        self,
        lr: Any,
        rows: int,
        factor: float,
        patience: int,
        threshold: float,
        threshold_mode: str,
        cooldown: int,
        min_lr: float,
        eps: float,
    ) -> None:
        self.lr = np.broadcast_to(np.asarray(lr, dtype=float), (rows,)).copy()
        self.best = np.full(rows, math.inf)
        self.bad = np.zeros(rows, dtype=np.int64)
        self.cool = np.zeros(rows, dtype=np.int64)
        self.factor, self.patience, self.threshold = factor, patience, threshold
        self.rel = threshold_mode == "rel"
        self.cooldown, self.min_lr, self.eps = cooldown, min_lr, eps

    def copy(self) -> Plateau:
        out = Plateau.__new__(Plateau)
        out.__dict__.update(self.__dict__)
        for k in ("lr", "best", "bad", "cool"):
            setattr(out, k, getattr(self, k).copy())
        return out

    def earliest(self) -> int:
        """The fewest steps (losses fed) before the rate can next change, over all rows."""
        need = np.where(self.cool > 0, self.cool + self.patience + 1, self.patience + 1 - self.bad)
        return int(max(1, need.min())) if need.size else 1

    def _rule(self, loss: Any, best: Any, bad: Any, cool: Any, lr: Any, where: Any, maximum: Any) -> tuple[Any, ...]:
        """One step of the scheduler: (best, bad, cool, lr, changed) after the loss, on floats
        (``where`` a conditional, ``maximum`` max) or arrays (np.where, np.maximum)."""
        better = loss < (best * (1.0 - self.threshold) if self.rel else best - self.threshold)
        best = where(better, loss, best)
        bad = where(better, 0, bad + 1)
        cooling = cool > 0
        cool = where(cooling, cool - 1, cool)
        bad = where(cooling, 0, bad)
        reduce = bad > self.patience
        new = maximum(lr * self.factor, self.min_lr)
        changed = reduce & (lr - new > self.eps)
        lr = where(changed, new, lr)
        return best, where(reduce, 0, bad), where(reduce, self.cooldown, cool), lr, changed

    def step1(self, loss: float) -> bool:
        """`step` for a single row, on Python floats (a run's every update); True if the rate changed."""
        best, bad, cool, lr, changed = self._rule(
            loss, float(self.best[0]), int(self.bad[0]), int(self.cool[0]), float(self.lr[0]), _pick, max
        )
        self.best[0], self.bad[0], self.cool[0], self.lr[0] = best, bad, cool, lr
        return bool(changed)

    def step(self, loss: Any, rows: Any = slice(None)) -> np.ndarray:
        """Feed one loss per row (of ``rows``); returns which of them changed their rate."""
        with np.errstate(invalid="ignore"):
            best, bad, cool, lr, changed = self._rule(
                np.asarray(loss, dtype=float),
                self.best[rows],
                self.bad[rows],
                self.cool[rows],
                self.lr[rows],
                np.where,
                np.maximum,
            )
        self.best[rows], self.bad[rows], self.cool[rows], self.lr[rows] = best, bad, cool, lr
        return np.asarray(changed)


@dataclass(frozen=True)
class Link:
    """One more schedule of a chain (torch SequentialLR): from step ``milestone`` on, ``spec``
    runs from its own step 0."""

    milestone: int
    spec: ScheduleSpec
    params: dict[str, Any]


def warm_up(t: np.ndarray, base: Rate, warmup_steps: int, after: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    """A warm-up of W steps before a schedule: base·(t + 1)/W for t < W, then ``after(t − W)``."""
    after_warm_up = after(np.maximum(t - warmup_steps, 0))
    ramp = base * (t + 1.0) / warmup_steps
    return np.where(t < warmup_steps, ramp, after_warm_up)


def sequential(t: np.ndarray, links: Sequence[tuple[int, Callable[[np.ndarray], np.ndarray]]]) -> np.ndarray:
    """torch SequentialLR: each link ``(milestone, fn)`` from its milestone on (the first's is 0),
    restarted at its step 0 (torch steps it with ``epoch=0`` there: its closed form at 0, so the
    milestone's rate is the new link's first one)."""
    out = links[0][1](t)
    for milestone, fn in links[1:]:
        out = np.where(t >= milestone, fn(np.maximum(t - milestone, 0)), out)
    return out


def link_rates(links: Sequence[tuple[ScheduleSpec, Mapping[str, Any]]], base: Rate) -> list[Any]:
    """The rate each link of a chain runs from. torch builds every link at once: a scheduler that
    writes the optimizer's initial_lr (`ScheduleSpec.initial_lr`, OneCycleLR's max_lr/div_factor)
    changes where the others start (the last such link wins); that link runs from the run's lr."""
    written = [spec.initial_lr(params, base) for spec, params in links if spec.initial_lr is not None]
    other = written[-1] if written else base
    return [base if spec.initial_lr is not None else other for spec, _ in links]


def learning_rates(
    spec: ScheduleSpec,
    params: dict[str, Any],
    base: Rate,
    t: np.ndarray,
    warmup_steps: int = 0,
    chain: tuple[Link, ...] = (),
) -> np.ndarray:
    """lr at each index of ``t`` (steps or epochs), warm-up and chained schedules included.

    A schedule that reads the loss has no closed form: its table is its starting rate, the run
    (`app.engine.runner`) changes it as the losses come."""
    t = np.asarray(t, dtype=np.int64)
    fn = spec.fn
    if fn is None:
        return np.asarray(base, dtype=float) * np.ones(np.broadcast(t, np.asarray(base)).shape)
    if chain:
        links = [(spec, params), *((link.spec, link.params) for link in chain)]
        pieces = [
            (milestone, _at(s, p, b))
            for milestone, (s, p), b in zip(
                (0, *(link.milestone for link in chain)), links, link_rates(links, base), strict=True
            )
        ]
        return sequential(t, pieces)
    if warmup_steps <= 0:
        return fn(t, base, **params)
    return warm_up(t, base, warmup_steps, _at(spec, params, base))


def _at(spec: ScheduleSpec, params: Mapping[str, Any], base: Rate) -> Callable[[np.ndarray], np.ndarray]:
    fn = spec.fn
    assert fn is not None
    return lambda t: fn(t, base, **params)
