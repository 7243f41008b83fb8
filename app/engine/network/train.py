"""Training the network with many runs at once: every element-wise optimizer, on the whole vector.

Every run starts from the same initial parameters θ₀ (`Network.init`) and trains for ``epochs``
epochs on the training set. An epoch is ⌈n_train / batch_size⌉ updates over a fresh seeded
permutation of the samples (`app.engine.runner.BatchOrder`, seeded by the problem's ``seed``;
``batch_size`` None: the whole set in stored order, one update per epoch); the last batch of an
epoch may be smaller. Runs with the same batch size share one order, so their gradients are
computed together: one batched backward pass (`Network.loss_grads`) per update for the whole
group, the speed path.

One update of a run, as a PyTorch user writes it (``loss.backward()``, the clipping, then
``opt.step()`` and ``scheduler.step()``):

- the gradient g of the mean loss on the mini-batch, and that loss (``batch_loss``);
- clipping on the whole vector: ``torch.nn.utils.clip_grad_value_`` then ``clip_grad_norm_``
  (`clip`: the same rule as `app.engine.kernels.rules.clip`, with the norm over all P values);
- the optimizer's own rule (``spec.build(ARRAY, params)``, its module in
  `app.engine.optimizers`: nothing is written again here) on the P-vector with the update's lr;
  the matrix optimizers (``driver == "matrix"``) get the layout too;
- the learning rate from the run's schedule (`app.engine.runner.run_lrs`: warm-up and chained
  schedules included; ``per="epoch"`` counts epochs), the cycled momentum of OneCycleLR where
  asked (`app.engine.runner.run_momenta`), and Polyak's step size from the mini-batch loss
  (`app.engine.kernels.rules.polyak_rate` with ‖g‖: the effective rate s·γ is the ``lr`` shown;
  f* defaults to 0, the least binary cross-entropy);
- ReduceLROnPlateau steps once per epoch, with the epoch's train loss at the new parameters
  (torch's usual ``scheduler.step(loss)`` after each epoch; on the studio's surfaces it steps
  after each update when ``per="step"``).

After every epoch the train and test loss and accuracy of every run are measured on the whole
sets (index 0: at θ₀). A run stops as ``diverged`` when its mini-batch loss, its new parameters
or its epoch's train loss are not finite: its arrays keep the finite prefix (the parameters before
the failing update). Each run records its parameters at no more than ``points`` update indices
(`record_steps`: update 0, the last, evenly spread, epoch ends first) for the landscape.
"""

from __future__ import annotations

import functools
import math
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .. import deadline as _deadline
from .. import feedback
from ..backend import ARRAY
from ..kernels import python_of, rules
from ..problem import RunConfig, legs
from ..runner import DIVERGED, MAX_STEPS, RUNNING, BatchOrder, run_lrs, run_momenta, schedule_times
from .data import Data, DataConfig, make_data
from .model import ModelConfig, Network

_polyak_rate = python_of(rules.polyak_rate)


@dataclass(frozen=True)
class NetworkProblem:
    """A network training request, fully resolved: data, model, epochs, the batch seed, the runs."""

    data: DataConfig
    model: ModelConfig
    epochs: int
    seed: int  # mini-batch order: each epoch a fresh seeded permutation (runner.BatchOrder)
    runs: tuple[RunConfig, ...]
    points: int = 200  # the most recorded path points per run (update 0 and the last included)

    def __post_init__(self) -> None:
        if isinstance(self.epochs, bool) or not isinstance(self.epochs, int) or self.epochs < 0:
            raise ValueError(f"epochs must be a whole number >= 0, got {self.epochs!r}")
        if self.points < 2:
            raise ValueError(f"points must be >= 2, got {self.points!r}")
        for spec in (o for run in self.runs for o in (run.optimizer, *(s.optimizer for s in run.switches))):
            if spec.driver not in ("loop", "matrix") or spec.hessian:
                raise ValueError(
                    f"optimizer {spec.id!r} cannot train a network here: it takes "
                    f"{'the exact Hessian' if spec.hessian else 'a closure (several evaluations per step)'}; "
                    "use an element-wise or matrix optimizer"
                )
        n = self.data.n_train
        for run in self.runs:
            if run.batch_size is not None and run.batch_size < 1:
                raise ValueError(f"batch_size must be >= 1, got {run.batch_size!r}")
            milestones = [s.milestone for s in run.switches]
            total = self.epochs * math.ceil(n / min(run.batch_size or n, n))
            if milestones and (
                milestones != sorted(set(milestones)) or not 0 < milestones[0] <= milestones[-1] < total
            ):
                raise ValueError(f"milestones must increase strictly within updates 1..{total - 1}, got {milestones}")


@dataclass
class NetworkRunResult:
    label: str
    optimizer: str
    params: dict[str, Any]
    status: str = RUNNING  # "max_steps" | "diverged" | "running"
    steps_taken: int = 0  # updates made
    train_loss: list[float | None] = field(default_factory=list)  # one per epoch, index 0 at init
    test_loss: list[float | None] = field(default_factory=list)
    train_accuracy: list[float | None] = field(default_factory=list)
    test_accuracy: list[float | None] = field(default_factory=list)
    batch_loss: list[float | None] = field(default_factory=list)  # one per update
    lr: list[float] = field(default_factory=list)
    final: np.ndarray = field(default_factory=lambda: np.zeros(0))  # (P,)
    steps: list[int] = field(default_factory=list)  # recorded update indices
    thetas: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))  # (len(steps), P)
    switches: list[int] = field(default_factory=list)  # updates at which a later link of the chain took over


def record_steps(epochs: int, per_epoch: int, points: int) -> np.ndarray:
    """The update indices whose parameters a run records: every one if they fit in ``points``,
    else the epoch ends (evenly spread when there are more than ``points``), the rest of the
    budget evenly between them; 0 and the last update always."""
    total = epochs * per_epoch
    if total + 1 <= points:
        return np.arange(total + 1)
    if epochs + 1 >= points:
        return np.unique(np.round(np.linspace(0, epochs, points)).astype(np.int64)) * per_epoch
    ends = np.arange(epochs + 1) * per_epoch
    more = np.round(np.linspace(0, total, points - epochs + 1)).astype(np.int64)[1:-1]
    return np.union1d(ends, more)


def clip(g: np.ndarray, clip_value: float, clip_norm: float) -> np.ndarray:
    """torch ``clip_grad_value_`` then ``clip_grad_norm_`` on the whole vector (0: off): the rule
    of `app.engine.kernels.rules.clip`, the norm over all the parameters."""
    if clip_value > 0.0:
        g = np.clip(g, -clip_value, clip_value)
    if clip_norm > 0.0:
        g = g * min(clip_norm / (float(np.sqrt(g @ g)) + 1e-6), 1.0)
    return g


def _finite(v: float) -> float | None:
    return v if math.isfinite(v) else None


class _Run:
    """One run's optimizer, state, schedule and records."""

    def __init__(self, run: RunConfig, net: Network, init: np.ndarray, epochs: int, order: BatchOrder, points: int):
        self.cfg = run
        self._layout = net.layout
        self.theta = init.copy()
        per_epoch = order.per_epoch
        total = epochs * per_epoch
        # an optimizer chain's links (one for a plain run), each with the lrs of its updates on the
        # whole run's clock and its own lr as the schedule's base (`app.engine.problem.legs`)
        self._legs = legs(run, total)
        clock = schedule_times(total, run.per, per_epoch)
        self.lrs = np.concatenate([run_lrs(c, clock[t0:t1]) for c, t0, t1 in self._legs]).astype(np.float64)
        self._link = 0
        self._open(run.optimizer, run.params)
        self.moms = run_momenta(run, clock)
        self.momentum = feedback.momentum_name(self.spec) if self.moms is not None else ""
        self.plateau = feedback.make_plateau(run.schedule, run.schedule_params, run.params["lr"], 1)
        self.record = set(record_steps(epochs, per_epoch, points).tolist())
        self.batch = order.batch_size
        self.clipping = run.clip_value > 0.0 or run.clip_norm > 0.0
        self.running = True  # False once stopped (`stop`): read in the hot loop, not the status text
        label = run.label or self.spec.name
        self.result = NetworkRunResult(label, self.spec.id, dict(run.params), final=init.copy())
        self.thetas: list[np.ndarray] = [init.copy()]
        self.result.steps.append(0)
        # the update at which the next link takes over (None: the last link is running)
        self._next = self._legs[1][1] if len(self._legs) > 1 else None

    def _open(self, spec: Any, params: dict[str, Any]) -> None:
        """The optimizer of a link, with fresh state at the current parameters: a torch user's new
        ``torch.optim`` optimizer on the same tensors."""
        self.spec = spec
        self.params = dict(params)
        self.layout = {"layout": self._layout} if spec.driver == "matrix" else {}
        self.opt = spec.build(ARRAY, self.params, **self.layout)
        self.state = self.opt.init(self.theta)
        self.polyak = spec.rule == rules.POLYAK

    def _switch(self, t: int) -> None:
        """Update t is a milestone: the next link takes over from the parameters reached."""
        self._link += 1
        cfg = self._legs[self._link][0]
        self._open(cfg.optimizer, cfg.params)
        self.result.switches.append(t)
        self._next = self._legs[self._link + 1][1] if self._link + 1 < len(self._legs) else None

    def step(self, t: int, f: float, g: np.ndarray) -> None:
        """Update t with the mini-batch loss f and gradient g at the current parameters."""
        if not math.isfinite(f):
            self.stop(DIVERGED)
            return
        if t == self._next:
            self._switch(t)
        if self.clipping:
            g = clip(g, self.cfg.clip_value, self.cfg.clip_norm)
        if self.moms is not None:  # the cycled momentum: the rule's first hyperparameter
            self.params[self.momentum] = float(self.moms[t])
            self.opt = self.spec.build(ARRAY, self.params, **self.layout)
        lr = float(self.lrs[t])
        if self.polyak:  # the factory takes the effective rate s·γ
            p = self.params
            f_min = 0.0 if p["f_min"] is None else p["f_min"]
            plus = float(p["variant"] == "sps+")
            lr = lr * _polyak_rate(f, float(np.sqrt(g @ g)), 0.0, lr, p["max_learning_rate"], p["eps"], plus, f_min)
        new, state = self.opt.update(g, self.state, self.theta, lr)
        if not np.isfinite(new).all():
            self.stop(DIVERGED)
            return
        self.theta, self.state = new, state
        r = self.result
        r.batch_loss.append(f)
        r.lr.append(lr)
        taken = r.steps_taken = r.steps_taken + 1
        if taken in self.record:
            r.steps.append(taken)
            self.thetas.append(new)

    def end_epoch(self, train: float, test: float, train_acc: float, test_acc: float, last: bool) -> None:
        """The epoch's measures at the run's parameters (or diverged, if its train loss is not finite)."""
        if not math.isfinite(train):
            self.stop(DIVERGED)
            return
        self.add_epoch(train, test, train_acc, test_acc)
        if self.plateau is not None and self.plateau.step1(train):
            self.lrs[self.result.steps_taken :] = float(self.plateau.lr[0])
        if last:
            self.stop(MAX_STEPS)

    def add_epoch(self, train: float, test: float, train_acc: float, test_acc: float) -> None:
        r = self.result
        r.train_loss.append(train)
        r.test_loss.append(_finite(test))
        r.train_accuracy.append(train_acc)
        r.test_accuracy.append(_finite(test_acc))

    def stop(self, status: str) -> None:
        r = self.result
        r.status = status
        self.running = False
        if r.steps[-1] != r.steps_taken:  # the last update made is always recorded
            r.steps.append(r.steps_taken)
            self.thetas.append(self.theta)

    def publish(self) -> None:
        self.result.final = self.theta.copy()
        self.result.thetas = np.array(self.thetas)


class Training:
    """The runs of a `NetworkProblem`, trained together epoch by epoch (`advance`)."""

    def __init__(self, problem: NetworkProblem) -> None:
        _deadline.admit(estimate(problem))
        self.problem = problem
        self.data: Data = make_data(problem.data)
        self.net = Network(problem.model, inputs=self.data.x_train.shape[1])
        self.init = self.net.init()
        self.epoch = 0
        n = self.data.x_train.shape[0]
        self._orders: dict[int, BatchOrder] = {}
        self._groups: dict[int, list[_Run]] = {}
        self._runs: list[_Run] = []
        self._ahead: dict[_Run, tuple[float, np.ndarray]] = {}  # a run's next (loss, gradient), when known
        for run in problem.runs:
            size = min(run.batch_size or n, n)
            order = self._orders.setdefault(size, BatchOrder(n, size, problem.seed))
            r = _Run(run, self.net, self.init, problem.epochs, order, problem.points)
            self._groups.setdefault(size, []).append(r)
            self._runs.append(r)
        self.results = [r.result for r in self._runs]
        self._measure(self._runs, last=problem.epochs == 0)
        self._publish()

    @property
    def done(self) -> bool:
        return not any(r.running for r in self._runs)

    def advance(self, epochs: int) -> None:
        """Up to ``epochs`` more epochs for every run still running (deadline-checked)."""
        d, ahead, check = self.data, self._ahead, _deadline.check
        with np.errstate(all="ignore"):
            for _ in range(epochs):
                if self.done:
                    break
                for size, group in self._groups.items():
                    order = self._orders[size]
                    per_epoch = order.per_epoch
                    for u in range(per_epoch):
                        live = [r for r in group if r.running]
                        if not live:
                            break
                        check()
                        t = self.epoch * per_epoch + u
                        todo = [r for r in live if r not in ahead]
                        if todo:
                            idx = order.indices(t)
                            x, y = (d.x_train, d.y_train) if idx is None else (d.x_train[idx], d.y_train[idx])
                            losses, grads = self.net.loss_grads(np.array([r.theta for r in todo]), x, y)
                            ahead.update(zip(todo, zip(losses.tolist(), grads, strict=True), strict=True))
                        for r in live:
                            f, g = ahead.pop(r)
                            r.step(t, f, g)
                self.epoch += 1
                self._measure([r for r in self._runs if r.running], last=self.epoch == self.problem.epochs)
        self._publish()

    def _measure(self, runs: list[_Run], last: bool) -> None:
        """Every run's train / test loss and accuracy on the whole sets, one batched pass each.

        A full-batch run's next update takes its gradient on the whole train set at the same
        parameters: the measure's pass computes it too (`Network.loss_grads_accuracy`), kept in
        ``_ahead`` for that update (the same numbers, one pass instead of two)."""
        if not runs:
            return
        d, net, n = self.data, self.net, self.data.x_train.shape[0]
        full = [] if last else [r for r in runs if r.batch >= n]
        rest = runs if last else [r for r in runs if r.batch < n]
        with np.errstate(all="ignore"):
            thetas = np.array([r.theta for r in runs])
            if len(full) == len(runs):  # the stack of every run: the common case, one pass
                losses, grads, accs = net.loss_grads_accuracy(thetas, d.x_train, d.y_train)
                train, train_acc = losses.tolist(), accs.tolist()
                self._ahead.update(zip(runs, zip(train, grads, strict=True), strict=True))
            elif len(rest) == len(runs):
                losses, accs = net.evaluate(thetas, d.x_train, d.y_train)
                train, train_acc = losses.tolist(), accs.tolist()
            else:
                measures: dict[_Run, tuple[float, float]] = {}
                losses, grads, accs = net.loss_grads_accuracy(np.array([r.theta for r in full]), d.x_train, d.y_train)
                for r, f, g, acc in zip(full, losses.tolist(), grads, accs.tolist(), strict=True):
                    self._ahead[r] = (f, g)
                    measures[r] = (f, acc)
                losses, accs = net.evaluate(np.array([r.theta for r in rest]), d.x_train, d.y_train)
                measures.update(zip(rest, zip(losses.tolist(), accs.tolist(), strict=True), strict=True))
                train, train_acc = [measures[r][0] for r in runs], [measures[r][1] for r in runs]
            test, test_acc = net.evaluate(thetas, d.x_test, d.y_test)
        for r, f, f_test, acc, acc_test in zip(runs, train, test.tolist(), train_acc, test_acc.tolist(), strict=True):
            if r.result.steps_taken == 0 and not r.result.train_loss:  # at θ₀
                r.add_epoch(f, f_test, acc, acc_test)
                if last:
                    r.stop(MAX_STEPS)
            else:
                r.end_epoch(f, f_test, acc, acc_test, last)

    def _publish(self) -> None:
        for r in self._runs:
            r.publish()


def train(problem: NetworkProblem) -> Training:
    """Every run trained to the end."""
    training = Training(problem)
    training.advance(problem.epochs)
    return training


# --- cost and size -------------------------------------------------------------------------------

# The cost model of the training: the batched passes' cost is `Network.seconds` (model.py), one
# run's update STEP (its bookkeeping) + the optimizer's own cost per parameter (`_update_cost`).
STEP = 20e-6
PROBE = 256  # the vector the optimizers' cost is measured on


@functools.cache
def _update_cost(spec: Any) -> float:
    """Seconds per parameter of one update of the optimizer, measured once per process (the best
    of three updates of a `PROBE`-vector): 10 ns for Adam, 2 µs for a rule NumPy runs element by
    element (Schedule-Free). The matrix optimizers, which need a layout: 0.1 µs."""
    if spec.driver != "loop":
        return 0.1e-6
    params = spec.resolve({}, "optimizer")
    if "f_min" in params and params["f_min"] is None:
        params["f_min"] = 0.0
    opt = spec.build(ARRAY, params)
    theta = np.linspace(-1.0, 1.0, PROBE)
    state = opt.init(theta)
    best = math.inf
    with np.errstate(all="ignore"):
        for _ in range(3):
            t0 = time.perf_counter()
            theta, state = opt.update(theta, state, theta, 1e-3)
            best = min(best, time.perf_counter() - t0)
    return best / PROBE


def estimate(problem: NetworkProblem) -> float:
    """Seconds the training takes (before any work; the cost model above)."""
    cfg = problem.data
    n = cfg.n_train
    net = Network(problem.model)
    by_size: dict[int, int] = {}
    seconds = 0.0
    for run in problem.runs:
        b = min(run.batch_size or n, n)
        by_size[b] = by_size.get(b, 0) + 1
        for link, t0, t1 in legs(run, problem.epochs * math.ceil(n / b)):  # a chain's links, each its updates
            updates = t1 - t0
            seconds += updates * (STEP + _update_cost(link.optimizer) * net.size)
            seconds += updates * link.optimizer.update_seconds(net.layout, link.params)  # a matrix optimizer's own
    for b, k in by_size.items():
        per_epoch, last = divmod(n, b)
        seconds += problem.epochs * per_epoch * net.seconds(b, k, grad=True)
        if last:
            seconds += problem.epochs * net.seconds(last, k, grad=True)
    runs = len(problem.runs)
    for m in (n, cfg.n_test):  # the measures of every epoch and θ₀
        seconds += (problem.epochs + 1) * net.seconds(m, runs)
    return seconds


FLOAT_BYTES = 25  # the longest float64 in JSON ("-1.2345678901234567e-300") and a comma


def answer_bytes(problem: NetworkProblem, plane_n: int = 0) -> int:
    """An upper bound of the JSON answer's bytes: the data, θ₀, every run's per-epoch and
    per-update arrays, recorded parameters and path (6 values per point), and a plane of
    ``plane_n`` × ``plane_n`` losses with its origin and two directions."""
    cfg = problem.data
    n = cfg.n_train
    size = Network(problem.model).size
    floats = 3 * cfg.samples + size + 3 * size + plane_n * plane_n + 2 * plane_n
    for run in problem.runs:
        updates = problem.epochs * math.ceil(n / min(run.batch_size or n, n))
        points = min(problem.points, updates + 1)
        floats += 4 * (problem.epochs + 1) + 2 * updates + size + points * (size + 6)
        floats += 2 * len(run.switches)  # a chain: its switches, and each link's milestone
    links = sum(len(run.switches) for run in problem.runs)  # a chain's later links: their optimizer and params
    return floats * FLOAT_BYTES + 4096 * (len(problem.runs) + 1) + 1024 * links
