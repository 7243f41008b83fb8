"""From validated requests to engine problems, and from trajectories to public JSON.

The data flow: request schema → surface + optimizer + schedule (`build_problem`) → engine
(`app.engine.runner`) → trajectory → JSON (`trajectories`) or events (`TrajectoryStream`).

Free of FastAPI: the routes, the CLI and the benchmarks call it alike. A request that the schema
accepts but the problem cannot (a field that depends on another, a formula that does not parse)
raises `InvalidRequest(loc, msg)`; the app turns it into the usual 422.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any

import numpy as np

from ..engine.backend import ARRAY
from ..engine.closure import MAX_EVALUATIONS, evaluations_bound
from ..engine.datasets import DatasetSurface
from ..engine.deadline import DeadlineExceeded
from ..engine.expression import Expression, ExpressionError, finite_in_box, parse_expression
from ..engine.feedback import CYCLED_KINDS
from ..engine.problem import Swats, Switch, legs
from ..engine.runner import Problem, RunConfig, start_is_valid, updates_per_epoch
from ..engine.schedules import Link
from ..engine.surfaces import Surface
from ..engine.switching import SwitchRun, start_run
from ..i18n import explain, value_error
from ..i18n import text as t
from ..registry import OPTIMIZERS, SCHEDULES, SURFACES, OptimizerSpec
from .schemas import CustomSurfaceRequest, GridRequest, RunRequest, TrajectoryRequest

ComputeTimeout = DeadlineExceeded  # the request's computation ran past its time limit


class InvalidRequest(ValueError):
    """A request the schema accepts but the problem cannot: where (``loc`` in the body) and why."""

    def __init__(self, loc: tuple[Any, ...], msg: str, value: Any = None) -> None:
        super().__init__(msg)
        self.loc, self.msg, self.value = tuple(loc), msg, value

    def errors(self) -> list[dict[str, Any]]:
        """In the format of FastAPI's 422 ``detail`` (and pydantic's ``errors()``)."""
        return [{"type": "value_error", "loc": ("body", *self.loc), "msg": self.msg, "input": self.value}]


class InvalidFields(InvalidRequest):
    """Several errors at once, each already located in the body (``{"type", "loc", "msg"}``): a
    request built from another one reports its errors as fields of the one the client sent."""

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        super().__init__(tuple(errors[0]["loc"][1:]), errors[0]["msg"])
        self._errors = errors

    def errors(self) -> list[dict[str, Any]]:
        return self._errors


def invalid(loc: tuple[Any, ...], msg: str, value: Any = None) -> InvalidRequest:
    """The error to raise for a check that needs more than one field."""
    return InvalidRequest(loc, msg, value)


# --- surfaces --------------------------------------------------------------------------------------


class FormulaCache:
    """Parsed formulas by text (ranges do not change the compiled function), bounded in bytes.

    Least recently used first out. Formulas that do not parse are kept too (their error), so a
    client repeating one costs no parsing either. Thread-safe: parsing runs in worker threads.
    """

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.bytes = 0
        self._items: OrderedDict[str, tuple[Expression | ExpressionError, int]] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._items)

    def get(self, text: str) -> Expression:
        with self._lock:
            hit = self._items.get(text)
            if hit is not None:
                self._items.move_to_end(text)
        if hit is None:
            item: Expression | ExpressionError
            try:
                parsed = parse_expression(text)
                item, size = parsed, parsed.nbytes
            except ExpressionError as error:
                item, size = error, 1024 + 4 * len(text)
            with self._lock:
                if text not in self._items:
                    self._items[text] = (item, size)
                    self.bytes += size
                    while self.bytes > self.max_bytes and len(self._items) > 1:
                        _, (_, old) = self._items.popitem(last=False)
                        self.bytes -= old
            hit = (item, size)
        cached = hit[0]
        if isinstance(cached, ExpressionError):  # a fresh one each time (a raised one keeps its traceback)
            raise ExpressionError(cached.key, cached.position, cached.length, text, **cached.values)
        return cached


FORMULAS = FormulaCache(max_bytes=16 * 1024 * 1024)


def formula(text: str) -> Expression:
    """The parsed formula, or `InvalidRequest` at the custom surface's ``expression``."""
    try:
        return FORMULAS.get(text)
    except ExpressionError as err:
        raise invalid(("surface", "custom", "expression"), value_error(explain(err)), text) from None


# where in the display range a custom surface's default start goes: the first of these (fractions
# of each range) where the formula and its gradient are finite
DEFAULT_STARTS = ((0.75, 0.75), (0.25, 0.25), (0.75, 0.25), (0.25, 0.75), (0.5, 0.5), (0.9, 0.9), (0.1, 0.1))


def _custom_surface(expression: str, x_range: tuple[float, float], y_range: tuple[float, float]) -> Surface:
    expr = formula(expression)
    xr, yr = (float(x_range[0]), float(x_range[1])), (float(y_range[0]), float(y_range[1]))
    starts = [(xr[0] + fx * (xr[1] - xr[0]), yr[0] + fy * (yr[1] - yr[0])) for fx, fy in DEFAULT_STARTS]
    surface = Surface(
        id="custom",
        name="Custom formula",
        description="A surface typed by the user.",
        formula=expr.display,
        x_range=xr,
        y_range=yr,
        minima=(),
        default_start=starts[0],
        value=expr.value,
        grad=expr.grad,
        kind="custom",
        finite_in_bound=False,
        extra={"expression": expression},
    )
    # finite wherever |x|, |y| <= its bound, if proven (then the lanes skip the loss at each step)
    surface = replace(surface, finite_in_bound=finite_in_box(expr.tree, surface.bound))
    # a default start where the formula is finite: one singular point (log(x) at 0.75 of a range
    # that crosses 0) must not make the surface unusable where no start is needed (basin maps)
    good = next((p for p in starts if start_is_valid(surface, p) is None), starts[0])
    return replace(surface, default_start=good) if good != starts[0] else surface


def resolve_surface(surface: str | CustomSurfaceRequest) -> Surface:
    if isinstance(surface, str):
        return SURFACES[surface]
    return _custom_surface(surface.expression, surface.x_range, surface.y_range)


# --- trajectories ----------------------------------------------------------------------------------


def _f_min(i: int, run: RunRequest, surface: Surface, link: tuple[Any, ...] = ()) -> dict[str, Any]:
    """The run's params, with the Polyak step size's f* filled in from the surface (the registry
    states each built-in surface's minimum value, a dataset surface its full-data minimum loss);
    a typed formula, or a surface unbounded below, needs it given."""
    params = run.params
    if "f_min" not in params or params["f_min"] is not None:
        return params
    if surface.f_min is None:
        custom = surface.kind == "custom"
        reason = t("error.f_min.custom") if custom else t("error.f_min.unbounded", surface=repr(surface.id))
        raise invalid(("runs", i, *link, "params", "f_min"), t("error.f_min", reason=reason), None)
    return {**params, "f_min": float(surface.f_min)}


def networks_only(spec: OptimizerSpec) -> str:
    """Why a surface refuses a matrix optimizer (Adafactor, Muon, LAMB)."""
    return t("error.networks_only", name=t(f"optimizer.{spec.id}.name"), id=spec.id)


def _run_config(i: int, run: RunRequest, surface: Surface, labels: dict[str, int], steps: int) -> RunConfig:
    ids = [link.optimizer for link in run.optimizers] if run.optimizers else [run.optimizer]
    for j, oid in enumerate(ids):
        spec = OPTIMIZERS[oid]
        if spec.networks_only:  # a surface's run (networks resolve theirs with `run_config` directly)
            loc = ("runs", i, "optimizers", j, "optimizer") if run.optimizers else ("runs", i, "optimizer")
            raise invalid(loc, networks_only(spec), oid)
    samples = surface.model.data.m if isinstance(surface, DatasetSurface) else None  # m of a dataset surface
    cfg = run_config(i, run, samples, _f_min(i, run, surface, ("optimizers", 0) if run.optimizers else ()), labels)
    if run.optimizers is None or len(run.optimizers) < 2:
        return cfg
    return _switches(i, run, cfg, surface, steps)


def _switches(i: int, run: RunRequest, cfg: RunConfig, surface: Surface, steps: int) -> RunConfig:
    """A surface's run with its optimizer chain (`app.engine.switching`), checked against the
    request's steps, its schedule and the surface's epochs."""

    def params(j: int, one: RunRequest) -> dict[str, Any]:
        return _f_min(i, one, surface, ("optimizers", j))

    return chain_config(i, run, cfg, steps, updates_per_epoch(surface, cfg), params)


def chain_config(
    i: int,
    run: RunRequest,
    cfg: RunConfig,
    steps: int,
    per_epoch: int,
    params: Callable[[int, RunRequest], dict[str, Any]],
    beyond: str = "error.switch.steps",
    **values: object,
) -> RunConfig:
    """Run ``i`` (resolved as ``cfg``) with its optimizer chain, for surfaces and networks alike:
    each milestone within the run's ``steps`` updates (message ``beyond`` with ``milestone``,
    ``last`` and ``values`` when not) and on an epoch's first update (``per_epoch`` updates each);
    ``params(j, link)`` the resolved params of link j; a schedule that reads the loss or cycles
    the momentum is refused."""
    assert run.optimizers is not None
    sched = run.schedule
    if sched is not None and SCHEDULES[sched.name].reads_loss:
        raise invalid(("runs", i, "schedule", "name"), t("error.switch.reads_loss", schedule=sched.name), sched.name)
    if sched is not None and any(p.get("cycle_momentum") for p in (sched.params, *(c.params for c in sched.chain))):
        raise invalid(("runs", i, "schedule", "params", "cycle_momentum"), t("error.switch.cycle_momentum"), True)
    swats = run.optimizers[1]
    if swats.rule is not None:  # SWATS (app.engine.switching.swats_chain): placed when the run starts
        if per_epoch > 1:
            loc = ("runs", i, "optimizers", 1, "rule")
            raise invalid(loc, t("switch_swats.error.batches", batch_size=cfg.batch_size, per_epoch=per_epoch), "swats")
        assert swats.tolerance is not None
        return replace(cfg, swats=Swats(OPTIMIZERS[swats.optimizer], swats.params, swats.tolerance))
    switches = []
    for j, link in enumerate(run.optimizers[1:], start=1):
        loc = ("runs", i, "optimizers", j, "milestone")
        m = int(link.milestone or 0)
        if not 0 < m < steps:
            raise invalid(loc, t(beyond).format(milestone=m, last=steps - 1, **values), m)
        if m % per_epoch:
            raise invalid(loc, t("error.switch.epoch", milestone=m, batch_size=cfg.batch_size, per_epoch=per_epoch), m)
        one = RunRequest.model_construct(optimizer=link.optimizer, params=link.params)
        switches.append(Switch(m, OPTIMIZERS[link.optimizer], params(j, one)))
    return replace(cfg, switches=tuple(switches))


def chain_label(run: RunRequest) -> str:
    """A run's default label: its optimizer's name, or its chain's ("Adam → Momentum @ 200"; a link
    switched by a rule, SWATS, is "(SWATS)")."""
    if not run.optimizers or len(run.optimizers) < 2:
        return OPTIMIZERS[run.optimizer].name

    def name(link: Any) -> str:  # "SGD (torch, every flag)": its name without the remark
        return OPTIMIZERS[link.optimizer].name.split(" (")[0]

    words = [name(run.optimizers[0])]
    for link in run.optimizers[1:]:
        words.append(f"{name(link)} @ {link.milestone}" if link.milestone is not None else f"{name(link)} (SWATS)")
    return " → ".join(words)


def run_config(
    i: int, run: RunRequest, samples: int | None, params: dict[str, Any], labels: dict[str, int]
) -> RunConfig:
    """Run ``i`` of a request resolved, with every check that needs more than its own fields:
    ``samples`` is the training set's size (None: an analytic surface, no mini-batches), ``params``
    the run's resolved params (f* filled in), ``labels`` the labels given so far (a repeated one is
    numbered). The one resolution of a run, for surfaces and networks alike."""
    spec = OPTIMIZERS[run.optimizer]
    sched = run.schedule
    dataset = samples is not None
    if run.batch_size is not None and samples is None:
        raise invalid(("runs", i, "batch_size"), t("error.batch_size.analytic"), run.batch_size)
    if samples is not None and run.batch_size is not None and run.batch_size > samples:
        raise invalid(
            ("runs", i, "batch_size"),
            t("error.batch_size.max", m=samples),
            run.batch_size,
        )
    if run.noise_std and dataset:
        raise invalid(
            ("runs", i, "noise_std"),
            t("error.noise_std.dataset"),
            run.noise_std,
        )
    if sched is not None and sched.per == "epoch" and not dataset:
        raise invalid(("runs", i, "schedule", "per"), t("error.per_epoch"), "epoch")
    if sched is not None and sched.params.get("cycle_momentum") and spec.rule not in CYCLED_KINDS:
        raise invalid(
            ("runs", i, "schedule", "params", "cycle_momentum"),
            t(
                "error.cycle_momentum",
                id=spec.id,
                ids=", ".join(o.id for o in OPTIMIZERS.values() if o.rule in CYCLED_KINDS),
            ),
            True,
        )
    if sched is not None and SCHEDULES[sched.name].reads_loss and spec.driver == "closure":
        raise invalid(
            ("runs", i, "schedule", "name"),
            t("error.reads_loss.closure", id=spec.id, schedule=sched.name),
            sched.name,
        )
    label = run.label or chain_label(run)
    labels[label] = labels.get(label, 0) + 1
    if labels[label] > 1 and not run.label:
        label = f"{label} #{labels[label]}"
    return RunConfig(
        optimizer=spec,
        params=params,
        schedule=SCHEDULES[sched.name if sched else "constant"],
        schedule_params=sched.params if sched else {},
        warmup_steps=sched.warmup_steps if sched else 0,
        per=sched.per if sched else "step",
        batch_size=(run.batch_size or samples) if samples is not None else None,
        noise_std=run.noise_std,
        label=label,
        clip_value=run.clip_value or 0.0,
        clip_norm=run.clip_norm or 0.0,
        chain=tuple(Link(c.milestone, SCHEDULES[c.name], c.params) for c in sched.chain) if sched else (),
    )


def _check_evaluations(req: TrajectoryRequest, runs: tuple[RunConfig, ...]) -> None:
    """L-BFGS's answer holds every loss evaluation: their bound over the request must stay within
    `MAX_EVALUATIONS` (published as ``max_evaluations`` by GET /api/v1/limits)."""
    total = 0
    for i, whole in enumerate(runs):
        cfg, t0, t1 = legs(whole, req.steps)[-1]  # a closure optimizer is a chain's last link only
        if cfg.optimizer.id != "lbfgs":
            continue
        total += (t1 - t0) * evaluations_bound(cfg.params)
        if total > MAX_EVALUATIONS:
            raise invalid(
                ("runs", i, "params", "max_eval"),
                t("error.lbfgs_evaluations", total=f"{total:,}", limit=f"{MAX_EVALUATIONS:,}"),
                cfg.params["max_eval"],
            )


def build_problem(req: TrajectoryRequest) -> Problem:
    surface = resolve_surface(req.surface)
    start = (req.start[0], req.start[1]) if req.start is not None else surface.default_start
    reason = start_is_valid(surface, start)
    if reason:
        raise invalid(("start",), t("error.start", start=list(start), reason=explain(reason)), list(start))
    labels: dict[str, int] = {}
    runs = tuple(_run_config(i, r, surface, labels, req.steps) for i, r in enumerate(req.runs))
    _check_evaluations(req, runs)
    return Problem(
        surface, (float(start[0]), float(start[1])), req.steps, req.tolerance, req.seed, runs, req.include_state
    )


def _listed(params: dict[str, Any]) -> dict[str, Any]:
    return {k: list(v) if isinstance(v, tuple) else v for k, v in params.items()}


def run_public(cfg: RunConfig) -> dict[str, Any]:
    out: dict[str, Any] = {
        "label": cfg.label,
        "optimizer": cfg.optimizer.id,
        "params": _listed(cfg.params),
        "schedule": {
            "name": cfg.schedule.id,
            "params": {k: list(v) if isinstance(v, tuple) else v for k, v in cfg.schedule_params.items()},
            "warmup_steps": cfg.warmup_steps,
            "per": cfg.per,
        },
        "noise_std": cfg.noise_std,
    }
    if cfg.chain:  # only when set, as clipping below
        out["schedule"]["chain"] = [
            {
                "milestone": c.milestone,
                "name": c.spec.id,
                "params": {k: list(v) if isinstance(v, tuple) else v for k, v in c.params.items()},
            }
            for c in cfg.chain
        ]
    if cfg.switches:  # an optimizer chain, resolved (only when set)
        out["optimizers"] = [
            {"optimizer": cfg.optimizer.id, "params": out["params"]},
            *(
                {"milestone": s.milestone, "optimizer": s.optimizer.id, "params": _listed(s.params)}
                for s in cfg.switches
            ),
        ]
    if cfg.swats:  # a SWATS chain: its link as given (its step and rate are in the answer's `swats`)
        sw = cfg.swats
        link = {"rule": "swats", "optimizer": sw.optimizer.id, "params": _listed(sw.params), "tolerance": sw.tolerance}
        out["optimizers"] = [{"optimizer": cfg.optimizer.id, "params": out["params"]}, link]
    if cfg.batch_size is not None:
        out["batch_size"] = cfg.batch_size
    if cfg.clip_value:  # only when set: the answers to requests without clipping are unchanged
        out["clip_value"] = cfg.clip_value
    if cfg.clip_norm:
        out["clip_norm"] = cfg.clip_norm
    return out


def resolved(problem: Problem) -> dict[str, Any]:
    """The request with everything filled in: the stream's ``meta`` event."""
    return {
        "surface": problem.surface.public(),
        "start": list(problem.start),
        "steps": problem.steps,
        "tolerance": problem.tolerance,
        "seed": problem.seed,
        "include_state": problem.include_state,
        "runs": [run_public(r) for r in problem.runs],
    }


FIRST_CHUNK = 25
MAX_CHUNK = 2000


class TrajectoryStream:
    """Steps every run of a problem a chunk at a time, round-robin.

    ``next_events()`` advances each unfinished run by the current chunk and returns one
    ``points`` event per run that produced values; chunks start small (the first points reach
    the browser at once) and double up to ``MAX_CHUNK``. Concatenating a run's slices gives
    exactly its trajectory.
    """

    def __init__(self, problem: Problem, deadline: float | None = None, trim: bool = False) -> None:
        self.problem = problem
        self._trim = trim  # a stream: drop each slice once sent (memory: one chunk per run)
        self.runs = [start_run(problem, r) for r in problem.runs]
        self._sent_points = [0] * len(self.runs)
        self._sent_evals = [0] * len(self.runs)
        self._sent_updates = [0] * len(self.runs)
        self._chunk = FIRST_CHUNK
        self._deadline = deadline

    @property
    def finished(self) -> bool:
        return all(r.done for r in self.runs) and all(
            s == len(r.traj.x) for s, r in zip(self._sent_points, self.runs, strict=True)
        )

    def next_events(self) -> list[dict[str, Any]]:
        events = []
        for i, run in enumerate(self.runs):
            if self._deadline is not None and time.monotonic() > self._deadline:
                raise ComputeTimeout
            run.advance(self._chunk)
            events.extend(self._slice(i))
        self._chunk = min(2 * self._chunk, MAX_CHUNK)
        return events

    def _slice(self, i: int) -> list[dict[str, Any]]:
        tr = self.runs[i].traj
        p, u = self._sent_points[i], self._sent_updates[i]
        if p == len(tr.x) and u == len(tr.lr):
            return []
        ev: dict[str, Any] = {
            "run": i,
            "x": tr.x[p:],
            "y": tr.y[p:],
            "loss": tr.loss[p:],
            "lr": tr.lr[u:],
            "grad_norm": tr.grad_norm[u:],
        }
        if tr.batch_loss is not None:
            ev["batch_loss"] = tr.batch_loss[u:]
        if tr.momentum is not None:
            ev["momentum"] = tr.momentum[u:]
        if tr.state is not None:
            ev["state"] = {k: None if v is None else v[u:] for k, v in tr.state.items()}
        if tr.evals is not None:  # closure optimizers: the evaluations of these updates
            e = self._sent_evals[i]
            ev["evals"] = {k: v[e:] for k, v in tr.evals.items()}
            self._sent_evals[i] = len(tr.evals["x"])
        self._sent_points[i], self._sent_updates[i] = len(tr.x), len(tr.lr)
        if self._trim:
            for values in (
                tr.x,
                tr.y,
                tr.loss,
                tr.lr,
                tr.grad_norm,
                tr.batch_loss,
                tr.momentum,
                *(tr.state or {}).values(),
                *(tr.evals or {}).values(),
            ):
                if values is not None:
                    values.clear()
            self._sent_points[i] = self._sent_updates[i] = self._sent_evals[i] = 0
        return [ev]

    def done_event(self) -> dict[str, Any]:
        return {"runs": [_end(r) for r in self.runs]}

    def run_to_end(self) -> None:
        """Every run to its end in one go (the JSON answer needs no slices)."""
        for run in self.runs:
            if self._deadline is not None and time.monotonic() > self._deadline:
                raise ComputeTimeout
            run.advance(self.problem.steps)


def trajectories(problem: Problem, deadline: float | None = None, arrays: bool = False) -> dict[str, Any]:
    """Every run to the end; ``arrays``: values as NumPy arrays where the compiled loop recorded
    them (for orjson, which encodes them without making Python floats), else lists."""
    stream = TrajectoryStream(problem, deadline)
    stream.run_to_end()
    runs = []
    for cfg, run in zip(problem.runs, stream.runs, strict=True):
        out = run_public(cfg)
        out.update(run.arrays() if arrays else run.traj.arrays())
        out.update(_end(run))
        runs.append(out)
    return {"surface": problem.surface.public(), "runs": runs}


def _end(run: Any) -> dict[str, Any]:
    """How a run ended: its status, its updates, and a chain's switches (the updates at which a later
    link took over)."""
    out: dict[str, Any] = {"status": run.status, "steps_taken": run.steps_taken}
    if isinstance(run, SwitchRun):
        out["switches"] = list(run.switches)
        if run.swats is not None:  # SWATS's step k and rate Λ (nulls: its criterion never fired)
            out["swats"] = run.swats
    return out


def iter_stream(problem: Problem, deadline: float | None = None) -> Iterator[tuple[str, dict[str, Any]]]:
    """(event, data) pairs in order; a plain iterator for the CLI and tests."""
    yield "meta", resolved(problem)
    stream = TrajectoryStream(problem, deadline)
    while not stream.finished:
        for ev in stream.next_events():
            yield "points", ev
    yield "done", stream.done_event()


# --- grid ------------------------------------------------------------------------------------------


def grid(req: GridRequest) -> dict[str, Any]:
    surface = resolve_surface(req.surface)
    return grid_values(surface, req.n)


def grid_values(surface: Surface, n: int) -> dict[str, Any]:
    xs = np.linspace(surface.x_range[0], surface.x_range[1], n)
    ys = np.linspace(surface.y_range[0], surface.y_range[1], n)
    gx, gy = np.meshgrid(xs, ys)  # z[j][i] is the value at (xs[i], ys[j])
    with np.errstate(all="ignore"):
        z = np.asarray(surface.value(gx, gy, ARRAY), dtype=float)
    z = np.broadcast_to(z, gx.shape)
    finite = np.isfinite(z)
    z_list = z.tolist()
    if not finite.all():  # strict JSON: no NaN/Infinity; a hole in the contour map instead
        for j, i in zip(*np.nonzero(~finite), strict=True):
            z_list[j][i] = None
    return {"x": xs.tolist(), "y": ys.tolist(), "z": z_list, "contour": contour_rule(z[finite], surface.log_contours)}


def contour_rule(finite: np.ndarray, log_contours: bool) -> dict[str, Any]:
    """How a map draws these values (the one rule; the studio, the lessons and ``optiviz``'s figure
    read it from the grid answer): levels of log10(z − zmin + eps) when the surface asks for log
    contours or its values span decades above a flat floor (the range is over 1000 and over 100× the
    median's height above the minimum; the median is the upper one, the middle of the sorted values),
    else levels of z."""
    if not finite.size:
        return {"log": False, "zmin": None, "eps": None}
    zmin, zmax = float(finite.min()), float(finite.max())
    median = float(np.sort(finite, axis=None)[finite.size // 2])
    if not (log_contours or (zmax - zmin > 1e3 and zmax - zmin > 100 * (median - zmin))):
        return {"log": False, "zmin": None, "eps": None}
    return {"log": True, "zmin": zmin, "eps": max((zmax - zmin) * 1e-6, 1e-12)}
