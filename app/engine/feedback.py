"""Schedules that cannot be a table of rates made ahead: the ones that read the run.

- ReduceLROnPlateau (`app.engine.schedules.Plateau`) reads the loss. The rule: the scheduler is
  stepped after every update (``per="step"``), or after the last update of every epoch
  (``per="epoch"``, dataset surfaces), with the full loss at the new point, the value the loss
  chart shows there; torch's ``opt.step(); scheduler.step(loss_after)``. So the rate of update
  t + 1 depends on the losses at points 1..t + 1.
- OneCycleLR with ``cycle_momentum`` sets the momentum (β, or β₁ of the Adam family: the rule's
  first hyperparameter) of every update, as torch's scheduler does: a table made ahead too (one
  value per update), which the compiled loop sets before each update (`drive.SingleRun.cycle`,
  `drive.Lanes.cycle`), at its full speed.

For the loss, the drivers here call the loop around the feedback.

- One run that reads the loss (`PlateauRun`) steps speculatively: the loop runs a slice with
  the current rate; the recorded losses are fed to the scheduler; when the rate changes inside
  the slice, the run is put back to the slice's start and re-run up to that update (the loop is
  deterministic: the same bits), then continues with the new rate. A slice is at least as long
  as the scheduler needs before it can next reduce, so re-runs are rare and short.
- Many rows reading their losses (`advance_lanes`) take one update per call of the loop, with
  the loss checked at every new point.

The other schedules keep their tables and the loop's speed.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .kernels import data, drive, loop
from .optimizers import OPTIMIZERS, factory_args
from .schedules import Plateau, ScheduleSpec

# the rules whose first hyperparameter is a momentum (SGD's β, the Adam family's β₁): the ones a
# cycled momentum can drive (each optimizer's module says so: `OptimizerSpec.cycles_momentum`)
CYCLED_KINDS = frozenset(spec.rule for spec in OPTIMIZERS.values() if spec.cycles_momentum)

SPECULATE = 256  # updates run ahead of the scheduler at least (a change re-runs at most this many)


def momentum_name(spec: Any) -> str:
    """The name of the optimizer's momentum hyperparameter (its rule's first one)."""
    return factory_args(spec.factory)[0][0]


def cycles_momentum(spec: ScheduleSpec, params: dict[str, Any]) -> bool:
    return spec.cycles_momentum(params)


def momenta(spec: ScheduleSpec, params: dict[str, Any], t: np.ndarray, warmup_steps: int = 0) -> np.ndarray | None:
    """The momentum of each update index ``t`` (steps or epochs), or None when not cycled. During a
    warm-up the cycle has not started: its first value (max_momentum)."""
    if spec.momentum is None or not spec.cycles_momentum(params):
        return None
    return spec.momentum(np.maximum(np.asarray(t) - warmup_steps, 0), **params)


def make_plateau(spec: ScheduleSpec, params: dict[str, Any], lr: Any, rows: int) -> Plateau | None:
    if spec.rule is None:
        return None
    return spec.rule(lr, rows, **params)


class PlateauRun:
    """A `drive.SingleRun` (or a dataset's recording run, `data.DataRows`) whose rate comes from a
    `Plateau` fed with its losses (see above): the loss after every ``every``-th update (an epoch's
    last on a dataset when stepped per epoch)."""

    def __init__(
        self, kernel: drive.SingleRun | data.DataRows, plateau: Plateau, every: int = 1, speculate: int = SPECULATE
    ) -> None:
        """``speculate``: updates run ahead at least (a dataset's updates are costly: none)."""
        self.kernel, self.plateau, self.every, self.speculate = kernel, plateau, every, speculate
        self.lr = float(plateau.lr[0])
        kernel.lrs[0, :] = self.lr
        self.reruns = 0  # slices put back and re-run (a test reads it)

    def _arrays(self) -> tuple[np.ndarray, ...]:
        """The run's state in the loop (points, losses, scratch, status, steps taken)."""
        k = self.kernel
        return (k.X, k.Y, k.F, k.S, k.status, k.taken, *getattr(k, "extra", ()))

    def _state(self) -> tuple[np.ndarray, ...]:
        return tuple(a.copy() for a in self._arrays())

    def _restore(self, saved: tuple[np.ndarray, ...]) -> None:
        for a, b in zip(self._arrays(), saved, strict=True):
            a[...] = b

    def advance(self, t0: int, stop: int) -> tuple[int, np.ndarray, int]:
        """As `drive.SingleRun.advance`."""
        k, p = self.kernel, self.plateau
        t, parts, status = t0, [], loop.RUNNING
        while t < stop:
            end = min(stop, t + max(self.speculate, p.earliest() * self.every))
            saved = self._state()
            reached, rec, status = k.advance(t, end)
            losses = rec[loop.REC_LOSS, 1 : reached - t + 1].tolist()
            changed_at = None
            for j, f in enumerate(losses, start=1):
                if (t + j) % self.every == 0 and p.step1(f):
                    changed_at = t + j
                    break
            if changed_at is not None and changed_at < reached:  # updates after it used the old rate
                self.reruns += 1
                self._restore(saved)
                reached, rec, status = k.advance(t, changed_at)
            parts.append(rec)
            if changed_at is not None:
                self.lr = float(p.lr[0])
                k.lrs[0, changed_at:] = self.lr
            t = reached
            if status != loop.RUNNING:
                break
        if not parts:
            return k.advance(t0, stop)
        whole = parts[0] if len(parts) == 1 else drive._join(parts)
        return t, whole, status


def advance_lanes(lanes: drive.Lanes, t0: int, stop: int, plateau: Plateau | None, moms: np.ndarray | None) -> None:
    """Rows of lanes from t0 to ``stop``, one update per call: each update with the rows' own
    rates (``plateau``, fed with the losses at the new points) and the cycled momentum."""
    if moms is not None:
        lanes.cycle(moms)  # set by the loop before each update
        if plateau is None:
            lanes.advance(t0, stop)
            return
    if plateau is not None:
        lanes.check_loss = True  # the loss at every new point (the scheduler reads it)
        lanes.lr_table = lambda r0, r1: plateau.lr[r0:r1, None]
    if t0 == stop:
        lanes.advance(t0, stop)  # the convergence test (and max_steps) at the current points
        return
    for t in range(t0, stop):
        running = lanes.status == loop.RUNNING
        if not running.any():
            return
        lanes.advance(t, t + 1)
        if plateau is not None:
            moved = running & (lanes.status == loop.RUNNING)  # rows that took update t
            rows = np.nonzero(moved)[0]
            if rows.size:
                plateau.step(lanes.F[rows], rows)
