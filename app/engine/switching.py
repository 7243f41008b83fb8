"""An optimizer chain: a run that switches optimizers at milestones (Adam first, then momentum).

At each milestone the next optimizer starts from the point reached, with FRESH state, as a
PyTorch user gets by creating a new ``torch.optim`` optimizer on the same tensor (Adam's bias
correction restarts at its step 1, a velocity at zero). The run is executed as its legs
(`app.engine.problem.legs`): each an ordinary run of its optimizer (`ScalarRun`, or `ClosureRun`
for a closure optimizer, which may only be the last link) from the previous leg's end point; the
whole run's clock goes on across them: the schedule's rate of update t (with the active link's
``lr`` as its base), the noise draw and the mini-batch of update t are those of the run without
switches. The trajectory is the legs' trajectories joined (each leg's first point is the previous
one's last); ``switches`` lists the updates at which a later link took over.

`start_run` is the one place that picks the runner of a run.

SWATS (Keskar & Socher 2017, "Improving Generalization Performance by Switching from Adam to
SGD", Algorithm 1), optional: a chain's second link may be placed by SWATS's rule instead of a
milestone (`swats_chain`). The Adam link is run once over the whole run with its state recorded,
the criterion (`swats_point`) finds the update k after which the paper switches and its rate Λ,
and the run is then the concrete chain Adam → SGD with milestone k (the same legs as any chain:
streams, costs and answers need nothing else).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

from .closure import ClosureRun
from .problem import Problem, RunConfig, Switch, legs
from .runner import MAX_STEPS, STATE_KEYS, RunEnd, ScalarRun, Trajectory

Run = ScalarRun | ClosureRun


def _plain(problem: Problem, run: RunConfig) -> Run:
    return ClosureRun(problem, run) if run.optimizer.driver == "closure" else ScalarRun(problem, run)


def start_run(problem: Problem, run: RunConfig) -> Run | SwitchRun:
    """The runner of one run of a problem: its optimizer's, or the legs of its chain (a SWATS
    chain placed first: `swats_chain`)."""
    if run.swats is not None:
        placed, found = swats_chain(problem, run)
        return SwitchRun(problem, placed, found)
    return SwitchRun(problem, run) if run.switches else _plain(problem, run)


def swats_point(
    steps: Any, grads: Any, beta2: float, tolerance: float, last: int
) -> tuple[int, float] | tuple[None, None]:
    """SWATS's switch (Keskar & Socher 2017, Algorithm 1, lines 14-21): the first update count k
    (1 < k ≤ ``last``) after which the run switches to SGD, and the SGD rate Λ; (None, None) if the
    criterion never fires. ``steps[k-1]`` is p_k, Adam's k-th step, ``grads[k-1]`` g_k, the
    gradient it was taken on. For each k with p_kᵀg_k ≠ 0:
        γ_k = p_kᵀp_k / (−p_kᵀg_k),  λ_k = β₂λ_{k−1} + (1 − β₂)γ_k  (λ_0 = 0; else λ_k = λ_{k−1}),
    and the switch when k > 1 and |λ_k/(1 − β₂ᵏ) − γ_k| < ε, Λ = λ_k/(1 − β₂ᵏ).
    Where this differs from the paper: p_k is the step the run actually took (torch's Adam, ε
    added to √v̂ rather than the paper's √(1 − β₂ᵏ)/(1 − β₁ᵏ)·m/(√v + ε); the schedule's lr; AdamW's
    decoupled weight decay included); the switch also needs Λ > 0 (a negative rate would climb,
    and torch's SGD refuses it); and k ≤ ``last``, so that an update follows the switch."""
    lam = 0.0
    for k in range(1, min(len(steps), last) + 1):
        px, py = float(steps[k - 1][0]), float(steps[k - 1][1])
        pg = px * float(grads[k - 1][0]) + py * float(grads[k - 1][1])
        if pg == 0.0:
            continue
        gamma = (px * px + py * py) / -pg
        lam = beta2 * lam + (1.0 - beta2) * gamma
        rate = lam / (1.0 - beta2**k)
        if k > 1 and abs(rate - gamma) < tolerance and rate > 0.0:
            return k, rate
    return None, None


def swats_chain(problem: Problem, run: RunConfig) -> tuple[RunConfig, dict[str, Any]]:
    """A SWATS chain placed: its Adam link run over the whole run (gradients recorded), the
    criterion (`swats_point`) read off its steps, and the run as the concrete chain Adam → SGD
    from update k (the paper's "phase = SGD" after its k-th Adam step) with lr (1 − μ)·Λ, momentum
    μ (the Adam link's β₁ unless given) and dampening 0: torch's SGD(momentum=μ, dampening=0,
    lr=(1 − μ)Λ) is the paper's v = μv + g, θ −= (1 − μ)Λv exactly (its first step too: v = g),
    where SGD(dampening=μ, lr=Λ) would differ at the first step (torch does not damp it). A
    schedule multiplies this lr from the switch on, as for any link (constant: the paper's Λ).
    Also SWATS's answer, {"step": k, "lr": Λ}, nulls when the criterion never fires (the run is
    then the Adam link alone)."""
    assert run.swats is not None
    probe = ScalarRun(replace(problem, include_state=True), replace(run, swats=None))
    probe.advance(problem.steps)
    tr = probe.traj
    assert tr.state is not None
    steps = np.diff(np.column_stack([tr.x, tr.y]), axis=0)  # p_k = θ_k − θ_{k−1}
    grads = np.column_stack([np.asarray(tr.state[k], dtype=float) for k in ("gx", "gy")])
    # a switch needs an update after it: within the run, before the Adam run stopped (converged)
    last = problem.steps - 1 if probe.status == MAX_STEPS else probe.steps_taken - 1
    k, rate = swats_point(steps, grads, float(run.params["beta2"]), run.swats.tolerance, last)
    found = {"step": k, "lr": rate}
    return placed(run, found), found


def placed(run: RunConfig, found: dict[str, Any]) -> RunConfig:
    """A SWATS chain with SWATS's answer ``found`` ({"step": k, "lr": Λ}, `swats_chain`): the
    concrete chain, or its Adam link alone if the criterion never fired."""
    assert run.swats is not None
    adam = replace(run, swats=None)
    if found["step"] is None:
        return adam
    mu = float(run.swats.params["momentum"])
    params = {**run.swats.params, "lr": (1.0 - mu) * found["lr"], "dampening": 0.0}
    return replace(adam, switches=(Switch(int(found["step"]), run.swats.optimizer, params),))


class SwitchRun(RunEnd):
    """A run with an optimizer chain, with the interface of `ScalarRun` (``advance``, ``traj``,
    ``arrays``, ``done``, ``status``, ``steps_taken``) and ``switches``."""

    def __init__(self, problem: Problem, run: RunConfig, swats: dict[str, Any] | None = None) -> None:
        self.problem, self.run = problem, run
        self.swats = swats  # a SWATS chain's {"step": k, "lr": Λ} (`swats_chain`), else None
        self._legs = legs(run, problem.steps)
        self._leg = 0
        self._end = problem.start
        self.switches: list[int] = []  # updates at which a later link took over
        self._current = self._open(problem.start)
        first = self._current.traj
        self._traj = Trajectory(x=[], y=[], loss=[])
        self._traj.batch_loss = None if first.batch_loss is None else []
        lbfgs = any(c.optimizer.id == "lbfgs" for c, _, _ in self._legs)
        self._traj.evals = {"step": [], "x": [], "y": [], "loss": []} if lbfgs else None
        if problem.include_state:  # a quantity no link has stays None; one some links lack is null there
            has = {k: False for k in STATE_KEYS}
            for cfg, t0, t1 in self._legs:
                leg = first if t0 == 0 else self._probe(cfg, t1 - t0)
                has.update((k, has[k] or (leg.state is not None and leg.state[k] is not None)) for k in STATE_KEYS)
            self._traj.state = {k: [] if has[k] else None for k in STATE_KEYS}
        self._take(first, False)

    def _probe(self, cfg: RunConfig, steps: int) -> Trajectory:
        """What a leg records (its state's quantities), from a runner made and not stepped."""
        return _plain(replace(self.problem, steps=steps), cfg).traj

    def _open(self, start: tuple[float, float]) -> Run:
        cfg, t0, t1 = self._legs[self._leg]
        return _plain(replace(self.problem, start=start, steps=t1 - t0), cfg)

    def _take(self, leg: Trajectory, opening: bool) -> None:
        """Move the leg's new values into the run's trajectory and empty the leg's lists
        (``opening``: a later leg's start, its first point the previous leg's last: not repeated)."""
        tr, skip = self._traj, int(opening)
        if leg.x:  # the point reached (the run's lists may be emptied by a stream as they are sent)
            self._end = (leg.x[-1], leg.y[-1])
        tr.x.extend(leg.x[skip:])
        tr.y.extend(leg.y[skip:])
        tr.loss.extend(leg.loss[skip:])
        tr.lr.extend(leg.lr)
        tr.grad_norm.extend(leg.grad_norm)
        if tr.batch_loss is not None and leg.batch_loss is not None:
            tr.batch_loss.extend(leg.batch_loss)
        n = len(leg.lr)
        if tr.state is not None:
            for k in STATE_KEYS:
                out = tr.state[k]
                got = None if leg.state is None else leg.state[k]
                if out is not None:
                    out.extend(got if got is not None else [None] * n)
        if tr.evals is not None and leg.evals is not None:
            t0 = self._legs[self._leg][1]
            for k, values in leg.evals.items():
                tr.evals[k].extend([None if v is None else v + t0 for v in values] if k == "step" else values)
        for done in (leg.x, leg.y, leg.loss, leg.lr, leg.grad_norm, leg.batch_loss):
            if done is not None:
                done.clear()
        for part in (*(leg.state or {}).values(), *(leg.evals or {}).values()):
            if part is not None:
                part.clear()

    def advance(self, n: int) -> None:
        """Up to n more updates, across milestones."""
        while n > 0 and not self.done:
            leg = self._current
            before = leg.t
            leg.advance(n)
            self._take(leg.traj, False)
            n -= leg.t - before
            if not leg.done:
                continue
            _, t0, t1 = self._legs[self._leg]
            if leg.status == MAX_STEPS and self._leg + 1 < len(self._legs):
                self._leg += 1
                self.switches.append(t1)
                self._current = self._open(self._end)
                self._take(self._current.traj, True)
                continue
            self._traj.status = leg.status
            self._traj.steps_taken = t0 + leg.steps_taken
