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
"""

from __future__ import annotations

from dataclasses import replace

from .closure import ClosureRun
from .problem import Problem, RunConfig, legs
from .runner import MAX_STEPS, STATE_KEYS, RunEnd, ScalarRun, Trajectory

Run = ScalarRun | ClosureRun


def _plain(problem: Problem, run: RunConfig) -> Run:
    return ClosureRun(problem, run) if run.optimizer.driver == "closure" else ScalarRun(problem, run)


def start_run(problem: Problem, run: RunConfig) -> Run | SwitchRun:
    """The runner of one run of a problem: its optimizer's, or the legs of its chain."""
    return SwitchRun(problem, run) if run.switches else _plain(problem, run)


class SwitchRun(RunEnd):
    """A run with an optimizer chain, with the interface of `ScalarRun` (``advance``, ``traj``,
    ``arrays``, ``done``, ``status``, ``steps_taken``) and ``switches``."""

    def __init__(self, problem: Problem, run: RunConfig) -> None:
        self.problem, self.run = problem, run
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
