"""Learning-rate schedules as closed-form functions of the step count.

Each schedule is ``fn(t, base, **params) -> lr``: ``t`` is a NumPy integer array of step (or
epoch) indices counted from 0, ``base`` the run's learning rate (a float, or an array that
broadcasts against ``t`` for many rows). torch.optim.lr_scheduler is the reference where it has
the schedule; its chainable (recursive) updates agree with these closed forms to round-off.
Absolute levels (``eta_min``, ``max_lr``) are learning rates, as in torch, not factors.

Warm-up wraps any schedule: for t < W the lr is base·(t + 1)/W, from t = W on the schedule runs
with t − W.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from .params import Catalogued, ParamSpec


def constant(t: np.ndarray, base: Any) -> np.ndarray:
    return base * np.ones_like(t, dtype=float)


def step(t: np.ndarray, base: Any, step_size: int, gamma: float) -> np.ndarray:
    return base * gamma ** (t // step_size).astype(float)


def multistep(t: np.ndarray, base: Any, milestones: tuple[int, ...], gamma: float) -> np.ndarray:
    passed = np.searchsorted(np.asarray(milestones, dtype=np.int64), t, side="right")
    return base * gamma ** passed.astype(float)


def exponential(t: np.ndarray, base: Any, gamma: float) -> np.ndarray:
    return base * gamma ** t.astype(float)


def inverse_time(t: np.ndarray, base: Any, decay_rate: float) -> np.ndarray:
    return base / (1.0 + decay_rate * t)


def inverse_sqrt(t: np.ndarray, base: Any, k: float) -> np.ndarray:
    return base * k / np.sqrt(t + 1.0)


def polynomial(t: np.ndarray, base: Any, total_steps: int, power: float) -> np.ndarray:
    return base * (1.0 - np.minimum(t, total_steps) / total_steps) ** power


def cosine(t: np.ndarray, base: Any, t_max: int, eta_min: float) -> np.ndarray:
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


def cosine_restarts(t: np.ndarray, base: Any, t_0: int, t_mult: int, eta_min: float) -> np.ndarray:
    t_cur, t_i = _restart_position(t, t_0, t_mult)
    return eta_min + (base - eta_min) * (1.0 + np.cos(np.pi * t_cur / t_i)) / 2.0


def cyclic(t: np.ndarray, base: Any, max_lr: float, step_size_up: int, mode: str, gamma: float) -> np.ndarray:
    total = 2.0 * step_size_up
    cycle = np.floor(1.0 + t / total)
    x = 1.0 + t / total - cycle
    scale = np.where(x <= 0.5, x / 0.5, (x - 1.0) / (0.5 - 1.0))
    if mode == "triangular":
        amplitude = 1.0
    elif mode == "triangular2":
        amplitude = 1.0 / 2.0 ** (cycle - 1.0)
    else:  # exp_range scales by iterations
        amplitude = gamma ** t.astype(float)
    return base + (max_lr - base) * scale * amplitude


def linear(t: np.ndarray, base: Any, start_factor: float, end_factor: float, total_iters: int) -> np.ndarray:
    """torch LinearLR: the factor goes linearly from start_factor to end_factor over total_iters
    steps, then stays."""
    done = np.minimum(t, total_iters).astype(float)
    return base * (start_factor + (end_factor - start_factor) * done / total_iters)


def constant_factor(t: np.ndarray, base: Any, factor: float, total_iters: int) -> np.ndarray:
    """torch ConstantLR: base·factor for the first total_iters steps, then base."""
    return base * (factor + (t >= total_iters) * (1.0 - factor))


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


def one_cycle(
    t: np.ndarray,
    base: Any,
    total_steps: int,
    pct_start: float,
    anneal_strategy: str,
    div_factor: float,
    final_div_factor: float,
    three_phase: bool,
    cycle_momentum: bool = False,
    base_momentum: float = 0.85,
    max_momentum: float = 0.95,
) -> np.ndarray:
    """torch OneCycleLR with max_lr = the run's lr (``base``): from max_lr/div_factor up to max_lr
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


class Plateau:
    """torch ``ReduceLROnPlateau(mode="min")``, for one or many rows at once (NumPy arrays).

    ``step(loss)`` is torch's ``scheduler.step(loss)``: a loss below best·(1 − threshold) (rel) or
    best − threshold (abs) is the new best, else one more bad epoch; in the cooldown bad epochs
    are not counted; after more than ``patience`` bad epochs the rate becomes
    max(lr·factor, min_lr) (only if that lowers it by more than eps) and the cooldown starts.
    The same float64 operations as torch, so the rates agree bit for bit.
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

    def step1(self, loss: float) -> bool:
        """`step` for a single row, on Python floats (a run's every update); True if the rate changed."""
        best, bad, cool, lr = float(self.best[0]), int(self.bad[0]), int(self.cool[0]), float(self.lr[0])
        if loss < (best * (1.0 - self.threshold) if self.rel else best - self.threshold):
            best, bad = loss, 0
        else:
            bad += 1
        if cool > 0:
            cool -= 1
            bad = 0
        changed = False
        if bad > self.patience:
            new = max(lr * self.factor, self.min_lr)
            if lr - new > self.eps:
                self.lr[0], changed = new, True
            cool, bad = self.cooldown, 0
        self.best[0], self.bad[0], self.cool[0] = best, bad, cool
        return changed

    def step(self, loss: Any, rows: Any = slice(None)) -> np.ndarray:
        """Feed one loss per row (of ``rows``); returns which of them changed their rate."""
        loss = np.asarray(loss, dtype=float)
        best, bad, cool, lr = self.best[rows], self.bad[rows], self.cool[rows], self.lr[rows]
        with np.errstate(invalid="ignore"):
            better = loss < (best * (1.0 - self.threshold) if self.rel else best - self.threshold)
        best = np.where(better, loss, best)
        bad = np.where(better, 0, bad + 1)
        cooling = cool > 0
        cool = np.where(cooling, cool - 1, cool)
        bad = np.where(cooling, 0, bad)
        reduce = bad > self.patience
        new = np.maximum(lr * self.factor, self.min_lr)
        changed = reduce & (lr - new > self.eps)
        self.lr[rows] = np.where(changed, new, lr)
        self.cool[rows] = np.where(reduce, self.cooldown, cool)
        self.bad[rows] = np.where(reduce, 0, bad)
        self.best[rows] = best
        return changed


@dataclass(frozen=True)
class ScheduleSpec(Catalogued):
    fn: Callable[..., np.ndarray] | None = None
    reference: str = ""
    reads_loss: bool = False  # the rate depends on the run's losses (no table of rates ahead)

    def public(self) -> dict[str, Any]:
        out = super().public()
        out["reference"] = self.reference
        out["reads_loss"] = self.reads_loss
        return out


def _int(name: str, default: int, lo: int, what: str) -> ParamSpec:
    # a step count: validated up to 10⁷, a log slider over what a run of ≤ 20,000 steps can use
    return ParamSpec(name, default, lo, 10_000_000, what, kind="int", slider_min=1, slider_max=20_000, slider_log=True)


_GAMMA = ParamSpec("gamma", 0.5, 0.0, 1.0, "γ, the factor applied at each decay", min_exclusive=True)

SCHEDULES: dict[str, ScheduleSpec] = {
    s.id: s
    for s in (
        ScheduleSpec("constant", "Constant", "α", (), "The learning rate never changes.", fn=constant),
        ScheduleSpec(
            "step",
            "Step decay",
            "α·γ^⌊t/step_size⌋",
            (_int("step_size", 100, 1, "steps between decays"), _GAMMA),
            "Staircase: multiply by γ every step_size steps (epochs).",
            fn=step,
            reference="torch StepLR",
        ),
        ScheduleSpec(
            "multistep",
            "Multi-step decay",
            "α·γ^(number of milestones ≤ t)",
            (
                ParamSpec(
                    "milestones", (250, 500, 750), 1, 10_000_000, "steps at which to decay, increasing", kind="int_list"
                ),
                _GAMMA,
            ),
            "Multiply by γ at each milestone.",
            fn=multistep,
            reference="torch MultiStepLR",
        ),
        ScheduleSpec(
            "exponential",
            "Exponential decay",
            "α·γ^t",
            (
                ParamSpec(
                    "gamma",
                    0.99,
                    0.0,
                    1.0,
                    "γ, the factor per step (epoch), e.g. 0.95",
                    min_exclusive=True,
                    slider_min=0.9,
                ),
            ),
            "Multiply by γ every step (the course's 0.95^epoch).",
            fn=exponential,
            reference="torch ExponentialLR",
        ),
        ScheduleSpec(
            "inverse_time",
            "Inverse-time decay",
            "α/(1 + decay_rate·t)",
            (
                ParamSpec(
                    "decay_rate",
                    0.01,
                    0.0,
                    1e6,
                    "how fast the rate falls",
                    slider_min=1e-4,
                    slider_max=10.0,
                    slider_log=True,
                ),
            ),
            "The course's 1/(1 + decay·epoch).",
            fn=inverse_time,
            reference="lr / (1 + decay_rate·t)",
        ),
        ScheduleSpec(
            "inverse_sqrt",
            "Inverse square root",
            "α·k/√(t + 1)",
            (
                ParamSpec(
                    "k",
                    1.0,
                    0.0,
                    1e6,
                    "scale k",
                    min_exclusive=True,
                    slider_min=0.01,
                    slider_max=100.0,
                    slider_log=True,
                ),
            ),
            "The course's k/√epoch.",
            fn=inverse_sqrt,
            reference="lr · k / √(t + 1)",
        ),
        ScheduleSpec(
            "polynomial",
            "Polynomial decay",
            "α·(1 − min(t, T)/T)^p",
            (
                _int("total_steps", 1000, 1, "T, the step at which the rate reaches 0"),
                ParamSpec("power", 1.0, 0.0, 100.0, "p, the power (1 = linear)", slider_max=10.0),
            ),
            "Falls to zero at T and stays there.",
            fn=polynomial,
            reference="torch PolynomialLR",
        ),
        ScheduleSpec(
            "cosine",
            "Cosine annealing",
            "η_min + (α − η_min)·(1 + cos(πt/T))/2",
            (
                _int("t_max", 1000, 1, "T, half a period"),
                ParamSpec("eta_min", 0.0, 0.0, 100.0, "η_min, the lowest learning rate", slider_max=1.0),
            ),
            "Half a cosine from α down to η_min over T steps.",
            fn=cosine,
            reference="torch CosineAnnealingLR",
        ),
        ScheduleSpec(
            "cosine_restarts",
            "Cosine with warm restarts",
            "η_min + (α − η_min)·(1 + cos(π·T_cur/T_i))/2, T_i = T₀·mⁱ",
            (
                _int("t_0", 100, 1, "T₀, length of the first cycle"),
                ParamSpec("t_mult", 1, 1, 10, "m, each cycle is m times longer", kind="int"),
                ParamSpec("eta_min", 0.0, 0.0, 100.0, "η_min, the lowest learning rate", slider_max=1.0),
            ),
            "Cosine decay that jumps back to α at each restart (SGDR).",
            fn=cosine_restarts,
            reference="torch CosineAnnealingWarmRestarts",
        ),
        ScheduleSpec(
            "cyclic",
            "Cyclic",
            "α + (max_lr − α)·triangle(t)·scale",
            (
                ParamSpec(
                    "max_lr", 0.1, 0.0, 100.0, "the top of each cycle", log_scale=True, slider_min=1e-4, slider_max=10.0
                ),
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
            "Triangle waves between α and max_lr.",
            fn=cyclic,
            reference="torch CyclicLR(base_lr=lr, cycle_momentum=False)",
        ),
        ScheduleSpec(
            "one_cycle",
            "One cycle",
            "α/d → α over p·T steps, then α → α/(d·f) (cos or linear pieces)",
            (
                _int("total_steps", 1000, 1, "T, the length of the cycle"),
                ParamSpec(
                    "pct_start",
                    0.3,
                    0.0,
                    1.0,
                    "p, the share of the cycle spent rising",
                    min_exclusive=True,
                    max_exclusive=True,
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
            "Warm up to the run's lr (the peak), then anneal far below the start (super-convergence); "
            "optionally the momentum moves the other way.",
            fn=one_cycle,
            reference="torch OneCycleLR(max_lr=lr, cycle_momentum=…)",
        ),
        ScheduleSpec(
            "linear",
            "Linear factor",
            "α·(s + (e − s)·min(t, T)/T)",
            (
                ParamSpec("start_factor", 1.0 / 3.0, 0.0, 1.0, "s, the factor at t = 0", min_exclusive=True),
                ParamSpec("end_factor", 1.0, 0.0, 1.0, "e, the factor from t = T on"),
                _int("total_iters", 100, 1, "T, the steps of the ramp"),
            ),
            "A straight ramp of the factor from s to e over T steps (a warm-up with s < e, a decay with s > e).",
            fn=linear,
            reference="torch LinearLR",
        ),
        ScheduleSpec(
            "constant_factor",
            "Constant factor",
            "α·f for t < T, then α",
            (
                ParamSpec("factor", 1.0 / 3.0, 0.0, 1.0, "f, the factor of the first T steps", min_exclusive=True),
                _int("total_iters", 100, 1, "T, the steps at the lower rate"),
            ),
            "A lower rate for the first T steps, then the run's lr.",
            fn=constant_factor,
            reference="torch ConstantLR",
        ),
        ScheduleSpec(
            "reduce_on_plateau",
            "Reduce on plateau",
            "α ← max(α·f, α_min) after more than p steps without a loss below best·(1 − τ)",
            (
                ParamSpec(
                    "factor", 0.1, 0.0, 1.0, "f, the factor of each reduction", min_exclusive=True, max_exclusive=True
                ),
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
                ParamSpec(
                    "threshold", 1e-4, 0.0, 1e6, "τ, how much lower a loss must be to count as better", slider_max=1.0
                ),
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
            "Reads the loss: cuts the rate by f when the loss has stopped falling for p steps (epochs on "
            "dataset surfaces). Stepped after each update, or each epoch, with the loss at the new point.",
            fn=None,
            reference='torch ReduceLROnPlateau(mode="min"), scheduler.step(loss) after each update (epoch)',
            reads_loss=True,
        ),
    )
}


@dataclass(frozen=True)
class Link:
    """One more schedule of a chain (torch SequentialLR): from step ``milestone`` on, ``spec``
    runs from its own step 0."""

    milestone: int
    spec: ScheduleSpec
    params: dict[str, Any]


MAX_WARMUP = 10_000_000


def learning_rates(
    spec: ScheduleSpec,
    params: dict[str, Any],
    base: Any,
    t: np.ndarray,
    warmup_steps: int = 0,
    chain: tuple[Link, ...] = (),
) -> np.ndarray:
    """lr at each index of ``t`` (steps or epochs), warm-up and chained schedules included.

    A schedule that reads the loss has no closed form: its table is its starting rate, the run
    (`app.engine.runner`) changes it as the losses come. A chain (torch ``SequentialLR``) runs
    each link from its milestone on, restarted at its step 0 (torch steps it with ``epoch=0``
    there: its closed form at 0, so the milestone's rate is the new link's first one)."""
    t = np.asarray(t, dtype=np.int64)
    if spec.fn is None:
        return np.asarray(base, dtype=float) * np.ones(np.broadcast(t, np.asarray(base)).shape)
    if chain:
        links = (Link(0, spec, params), *chain)
        # torch's OneCycleLR overwrites the optimizer's initial_lr with max_lr/div_factor when it is
        # built: every other link of the chain then starts from that rate, not from the run's lr
        cycles = [link.params["div_factor"] for link in links if link.spec.id == "one_cycle"]
        other = base / cycles[-1] if cycles else base
        out = np.zeros(np.broadcast(t, np.asarray(base)).shape)
        for link in links:
            assert link.spec.fn is not None
            here = link.spec.fn(
                np.maximum(t - link.milestone, 0), base if link.spec.id == "one_cycle" else other, **link.params
            )
            out = np.where(t >= link.milestone, here, out)
        return out
    if warmup_steps <= 0:
        return spec.fn(t, base, **params)
    after = spec.fn(np.maximum(t - warmup_steps, 0), base, **params)
    ramp = base * (t + 1.0) / warmup_steps
    return np.where(t < warmup_steps, ramp, after)
