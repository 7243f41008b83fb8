"""The lessons' answers: scenarios with their measured claims, EWA, schedule previews, sweeps,
basin maps and the fair race, from validated requests to public JSON.

Free of FastAPI, like `app.api.service` (whose `build_problem` defines a run for every endpoint
here): the routes (`app.api.routes.lessons`), the benchmarks and the tools call it alike. A
request the schema accepts but the problem cannot raises `InvalidRequest` (the usual 422).
"""

from __future__ import annotations

import threading
import time
from dataclasses import replace
from functools import cache
from typing import Any, NamedTuple

import numpy as np
import orjson
from pydantic import ValidationError

from ..engine import deadline as _deadline
from ..engine.datasets import DatasetSurface
from ..engine.network import estimate as training_estimate
from ..engine.params import owner
from ..engine.problem import Switch
from ..engine.runner import Problem, RunConfig, updates_per_epoch
from ..engine.schedules import Link, learning_rates
from ..i18n import explain, text
from ..lessons import claims
from ..lessons.ewa import averages
from ..lessons.race import is_noisy, tune
from ..lessons.scenarios import BY_ID, Lesson, seeded
from ..lessons.scenarios import scenarios as lesson_list
from ..lessons.seeds import summary as seeds_summary
from ..lessons.sweeps import (
    ChainJob,
    LockstepJob,
    axis_values,
    basin_job,
    basin_result,
    chain_job,
    epoch_steps,
    sweep_job,
    sweep_result,
)
from ..registry import OPTIMIZERS, SCHEDULES
from .memory import Memory
from .schemas import RunRequest, TrajectoryRequest
from .schemas_lessons import (
    MAX_SWEEP_WORK,
    BasinRequest,
    EwaRequest,
    RaceRequest,
    SchedulePreviewRequest,
    SweepRequest,
)
from .schemas_networks import NetworkRequest
from .service import (
    ComputeTimeout,
    InvalidFields,
    InvalidRequest,
    build_problem,
    invalid,
    networks_only,
    trajectories,
)
from .service_networks import TRAININGS, build_network_problem, network_answer, run_answer, trained, training_key
from .service_networks import warm_up as warm_networks

Answer = dict[str, Any]

# --- the scenarios and their claims ---------------------------------------------------------------


def scenarios(lang: str) -> list[dict[str, Any]]:
    """Every lesson in ``lang``, each with its claim (`claim`)."""
    out = lesson_list(lang)
    for s in out:
        s["claim"] = claim(s["id"], lang)
    return out


def answer(request: dict[str, Any], kind: str = "trajectories") -> Answer:
    """The API's answer to a lesson's request (``kind``: its endpoint), by the endpoint's own code
    (a network lesson's: that of POST /api/v1/networks, its plane included; ``kind`` "seeds": a
    network lesson over its seeds, ``{"request": …, "seeds": […]}``, `seeds_answer`)."""
    if kind == "seeds":
        return seeds_answer(request["request"], request["seeds"])
    if kind == "sweep":
        return sweep_answer(request)
    if kind == "ewa":
        return ewa(EwaRequest.model_validate(request))
    if kind == "network":
        return network_answer(*build_network_problem(NetworkRequest.model_validate(request)))
    return trajectories_answer(request)


def compute(lesson_id: str) -> claims.Figures:
    """{"holds", "figures"} of a lesson, measured now from its own answer."""
    return claims.measure_with(lesson_id, answer)


@cache
def measure(lesson_id: str) -> claims.Figures:
    """The lesson's claim: the stored measurement while it is current, else measured now."""
    return claims.stored(lesson_id) or compute(lesson_id)


def claim(lesson_id: str, lang: str = "en") -> dict[str, Any]:
    """The claim in words (one language) with its measured figures."""
    return claims.worded(lesson_id, measure(lesson_id), lang)


def measure_all() -> dict[str, claims.Figures]:
    """Every lesson measured now (to store them: `claims.write_store`)."""
    return {lesson_id: compute(lesson_id) for lesson_id in BY_ID}


# --- a network lesson over several seeds ------------------------------------------------------------


def seeded_lesson(lesson_id: str) -> Lesson:
    """The lesson, if it is measured over seeds (else a 422 naming the lessons that are)."""
    lesson = BY_ID[lesson_id]
    if not lesson.seeds:
        ids = ", ".join(i for i, x in BY_ID.items() if x.seeds)
        raise invalid(("scenario_id",), text("error.lesson.no_seeds", id=lesson_id, ids=ids), lesson_id)
    return lesson


def seeds_problems(request: dict[str, Any], seeds: list[int]) -> list[Any]:
    """The network problem of ``request`` once per seed (`scenarios.seeded`), validated as POST
    /api/v1/networks validates a body."""
    return [build_network_problem(NetworkRequest.model_validate(seeded(request, s)))[0] for s in seeds]


def seeds_answer(request: dict[str, Any], seeds: list[int]) -> Answer:
    """``request`` (a POST /api/v1/networks body) trained once per seed by the network service (each
    training kept in its memory of trained runs, `service_networks.trained`), each run's answer as
    that endpoint's, summarized across the seeds (`app.lessons.seeds.summary`: means, spreads, bands)."""
    answers = []
    for problem in seeds_problems(request, seeds):
        training, _ = trained(problem)
        answers.append([run_answer(c, r) for c, r in zip(training.problem.runs, training.results, strict=True)])
    return seeds_summary(answers, seeds, request["epochs"])


def lesson_seeds(lesson_id: str) -> Answer:
    """GET /api/v1/scenarios/{id}/seeds: the lesson's runs over its seeds (`seeds_answer`)."""
    return answer(seeded_lesson(lesson_id).seeds_body(), "seeds")


def lesson_seeds_work(lesson_id: str) -> float:
    """Estimated seconds of `lesson_seeds`: the trainings not yet in memory."""
    body = seeded_lesson(lesson_id).seeds_body()
    problems = seeds_problems(body["request"], body["seeds"])
    return sum(training_estimate(p) for p in problems if training_key(p) not in TRAININGS)


# --- single answers ------------------------------------------------------------------------------


def trajectories_answer(request: dict[str, Any]) -> Answer:
    """The answer of POST /api/v1/trajectories to a request body."""
    return trajectories(build_problem(TrajectoryRequest.model_validate(request)))


def ewa(req: EwaRequest) -> Answer:
    """vₜ = βvₜ₋₁ + (1−β)θₜ (v₀ = 0) for each β, with the bias-corrected vₜ/(1−βᵗ) and the window 1/(1−β)."""
    return averages(req.series, req.betas, req.bias_correction)


def schedule_preview(req: SchedulePreviewRequest) -> Answer:
    """The schedule's learning rate at every step (not for one that reads the loss: it has none without a run)."""
    spec = SCHEDULES[req.schedule.name]
    if spec.reads_loss:
        raise invalid(
            ("schedule", "name"),
            text("error.preview.reads_loss", id=spec.id),
            spec.id,
        )
    t = np.arange(req.steps)
    chain = tuple(Link(c.milestone, SCHEDULES[c.name], c.params) for c in req.schedule.chain)
    lr = learning_rates(spec, req.schedule.params, req.lr, t, req.schedule.warmup_steps, chain)
    return {"t": t.tolist(), "lr": lr.tolist()}


# --- many runs in lockstep: sweeps, basins, races --------------------------------------------------


def _lockstep_only(optimizer: str, loc: tuple[Any, ...]) -> None:
    """Sweeps, basins and races step many rows in lockstep: element-wise optimizers only."""
    spec = OPTIMIZERS[optimizer]
    if spec.networks_only:
        raise invalid(loc, networks_only(spec), optimizer)
    if spec.driver != "loop":
        raise invalid(
            loc,
            text("error.lockstep", name=text(f"optimizer.{optimizer}.name"), id=optimizer),
            optimizer,
        )


def _single_run(
    req: SweepRequest | BasinRequest, start: Any = None, steps: int | None = None, **run: Any
) -> tuple[Problem, RunConfig]:
    """The equivalent single-run trajectories request: one definition of a run for both endpoints
    (``steps``, ``run``: a chained sweep's cell's steps, chain and batch size)."""
    _lockstep_only(req.optimizer, ("optimizer",))
    fields: dict[str, Any] = {"batch_size": req.batch_size, **run}
    try:
        body = TrajectoryRequest(
            surface=req.surface,
            start=start,
            steps=req.steps if steps is None else steps,
            tolerance=req.tolerance,
            seed=req.seed,
            runs=[
                RunRequest(
                    optimizer=req.optimizer,
                    params=req.params,
                    schedule=req.schedule,
                    noise_std=req.noise_std,
                    **fields,
                )
            ],
        )
        problem = build_problem(body)
    except (ValidationError, InvalidRequest) as err:  # report them as fields of this request
        raise InvalidFields(
            [
                {
                    "type": e["type"],
                    "loc": ("body", *[p for p in e["loc"] if p not in ("body", "runs", 0)]),
                    "msg": e["msg"],
                }
                for e in err.errors()
            ]
        ) from None
    return problem, problem.runs[0]


def _axis(
    req: SweepRequest, which: str, problem: Problem, link: str | None = None, param: str | None = None
) -> tuple[str, list[float]]:
    """An axis's name and values: ``batch_size``, or a hyperparameter (``param``, default the axis's
    name) of ``link`` (an optimizer id, default the sweep's)."""
    axis = getattr(req, which)
    optimizer, name = link or req.optimizer, param or axis.name
    spec = OPTIMIZERS[optimizer]
    values = axis_values(axis.model_dump())
    surface = problem.surface
    if axis.name == "batch_size":
        if not isinstance(surface, DatasetSurface):
            raise invalid((which, "name"), text("error.sweep.batch_size"), axis.name)
        m = surface.model.data.m
        if any(v != int(v) or not 1 <= v <= m for v in values):
            raise invalid((which,), text("error.sweep.batch_sizes", m=m), values)
        return axis.name, [float(int(v)) for v in values]
    p = spec.spec(name)
    if p is None or p.kind != "float":
        sweepable = ["lr"] + [q.name for q in spec.params if q.kind == "float" and q.name != "lr"]
        if isinstance(surface, DatasetSurface):
            sweepable.append("batch_size")
        raise invalid(
            (which, "name"),
            text("error.sweep.param", name=repr(axis.name), id=optimizer, sweepable=", ".join(sweepable)),
            axis.name,
        )
    try:
        return name, [p.coerce(v, owner("optimizer", optimizer)) for v in values]
    except ValueError as err:
        raise invalid((which,), explain(err), values) from None


class SweepAnswers(Memory[Answer, bytes]):
    """Sweep answers by request, kept as JSON bytes (an answer larger than an eighth of the bound is
    not kept). A sweep is deterministic and a lesson's request is fixed: a class opening the lesson
    is answered from memory after the first visit (or the start-up's warm-up, `warm_up`); other
    sweeps are computed each time (`lesson_sweeps`)."""

    ENTRY_SHARE = 8

    def _store(self, value: Answer) -> bytes:
        return orjson.dumps(value)

    def _load(self, stored: bytes) -> Answer:
        out: Answer = orjson.loads(stored)  # a fresh copy for each caller
        return out

    def _size(self, key: bytes, stored: bytes) -> int:
        return len(key) + len(stored)


SWEEP_CACHE_BYTES = 1_000_000  # per worker: a lesson's sweep answer is ~10 kB
SWEEPS = SweepAnswers(SWEEP_CACHE_BYTES)


class Sweep(NamedTuple):
    """A sweep built and checked, not yet stepped: its rows, its axes and what the answer adds
    (``key``: its request, under which its answer is remembered; a remembered one has no rows)."""

    job: LockstepJob | ChainJob
    xs: list[float]
    ys: list[float]
    extra: dict[str, Any]
    key: bytes = b""

    def result(self) -> Answer:
        hit = SWEEPS.get(self.key) if self.key else None
        if hit is not None:
            return hit
        out = {**sweep_result(self.job, self.xs, self.ys), **self.extra}
        if self.key:
            SWEEPS.put(self.key, out)
        return out


def build_sweep(req: SweepRequest) -> Sweep:
    """Every cell of the sweep as a row (validated: errors are 422s before any step); a chain's
    cells one after another through the chain runner (`_chain_job`)."""
    problem, run = _single_run(req, req.start)
    chained = len(req.optimizers or ()) > 1 or any(_link_param(req, w)[0] for w in ("x_param", "y_param"))
    axis = _chain_axis if chained else _axis
    x_name, xs = axis(req, "x_param", problem)
    y_name, ys = axis(req, "y_param", problem)
    if x_name == y_name:
        raise invalid(("y_param", "name"), text("error.sweep.same_axes"), y_name)
    extra: dict[str, Any] = {}
    if req.epochs is not None:
        if not isinstance(problem.surface, DatasetSurface):
            raise invalid(("epochs",), text("error.sweep.epochs"), req.epochs)
        batch = float(run.batch_size or problem.surface.model.data.m)  # a dataset run always has one
        sizes = ys if y_name == "batch_size" else xs if x_name == "batch_size" else [batch]
        per_size = {int(b): epoch_steps(problem, int(b), req.epochs) for b in sizes}
        work = sum(per_size[int(b)] for b in sizes) * (len(xs) if y_name == "batch_size" else len(ys))
        extra = {"epochs": req.epochs, "steps_by_batch_size": {str(b): n for b, n in per_size.items()}}
    else:
        work = len(xs) * len(ys) * problem.steps
    if work > MAX_SWEEP_WORK:
        raise invalid(
            ("steps",),
            text("error.sweep.work", work=f"{work:,}", limit=f"{MAX_SWEEP_WORK:,}"),
            problem.steps,
        )
    key = req.model_dump_json().encode()
    if key not in lesson_sweeps():  # only a lesson's fixed request is remembered; others stream as ever
        key = b""
    elif SWEEPS.get(key) is not None:  # remembered: no rows to step (the stream sends the result at once)
        return Sweep(LockstepJob([], len(xs) * len(ys), 0), xs, ys, extra, key)
    if chained:
        return Sweep(_chain_job(req, problem, run, {x_name: xs}, {y_name: ys}), xs, ys, extra, key)
    return Sweep(sweep_job(problem, run, x_name, xs, y_name, ys, req.epochs), xs, ys, extra, key)


# --- sweeps of an optimizer chain: when to switch, and at what rate --------------------------------


def _link_param(req: SweepRequest, which: str) -> tuple[bool, int, str]:
    """Whether an axis names a link of a chain, and which link and what of it: ``milestone`` (link
    1's), ``optimizers.<j>.milestone``, ``optimizers.<j>.<param>``; a plain name is link 0's."""
    name = getattr(req, which).name
    if name == "milestone":
        j, param = 1, "milestone"
    elif name.startswith("optimizers."):
        _, index, param = [*name.split(".", 2), "", ""][:3]
        if not index.isdigit() or not param:
            raise invalid((which, "name"), text("error.sweep.link_name", name=repr(name)), name)
        j = int(index)
    else:
        return False, 0, name
    n = len(req.optimizers or ()) or 1
    if j >= n:
        key = "error.sweep.no_chain" if n < 2 else "error.sweep.link"
        raise invalid((which, "name"), text(key, name=repr(name), index=j, last=n - 1), name)
    if param == "milestone" and j == 0:
        raise invalid((which, "name"), text("error.sweep.first_milestone", name=repr(name)), name)
    if j and req.optimizers is not None and req.optimizers[j].rule is not None:
        raise invalid((which, "name"), text("error.sweep.swats", name=repr(name), index=j), name)
    return True, j, param


def _chain_axis(req: SweepRequest, which: str, problem: Problem) -> tuple[str, list[float]]:
    """A chained sweep's axis: its name as ``optimizers.<j>.<what>`` (link 0's hyperparameters and
    ``batch_size`` plain) and its values (a milestone's whole)."""
    _, j, param = _link_param(req, which)
    if param == "milestone":
        axis = getattr(req, which)
        values = axis_values(axis.model_dump())
        bad = next((v for v in values if v != int(v)), None)
        if bad is not None:
            raise invalid((which,), text("error.sweep.milestone_whole", name=axis.name, value=f"{bad:g}"), values)
        return f"optimizers.{j}.milestone", [float(int(v)) for v in values]
    if j == 0:
        return _axis(req, which, problem, None, param)
    assert req.optimizers is not None
    return f"optimizers.{j}.{param}", _axis(req, which, problem, req.optimizers[j].optimizer, param)[1]


def _split(name: str) -> tuple[int, str]:
    """(link, what) of a chained sweep's axis name (link 0 for a plain one)."""
    parts = name.split(".", 2)
    return (int(parts[1]), parts[2]) if len(parts) == 3 else (0, name)


def _chain_job(
    req: SweepRequest, problem: Problem, run: RunConfig, x: dict[str, list[float]], y: dict[str, list[float]]
) -> LockstepJob | ChainJob:
    """Every cell's chain checked (its milestones whole, within its run, strictly increasing, on
    epoch boundaries: else a 422 naming the cell's axis values), then the job that runs them."""
    grid = dict(zip([*x, *y], (g.ravel() for g in np.meshgrid(*x.values(), *y.values())), strict=True))
    cells = next(iter(grid.values())).size
    links = req.optimizers or []
    data = problem.surface.model.data.m if isinstance(problem.surface, DatasetSurface) else None
    batch = grid.get("batch_size", np.full(cells, float(run.batch_size or data or 1))).astype(np.int64)
    steps = np.full(cells, problem.steps, dtype=np.int64)
    per_epoch = np.ones(cells, dtype=np.int64)
    for b in np.unique(batch):
        if req.epochs is not None:
            steps[batch == b] = epoch_steps(problem, int(b), req.epochs)
        if data is not None:
            per_epoch[batch == b] = updates_per_epoch(problem.surface, replace(run, batch_size=int(b)))
    swats = next((link for link in links if link.rule is not None), None)  # its switch placed per cell
    if swats is not None and (per_epoch > 1).any():
        k = int(np.argmax(per_epoch > 1))
        error = text("switch_swats.error.batches", batch_size=int(batch[k]), per_epoch=int(per_epoch[k]))
        raise invalid(("optimizers", 1, "rule"), error, swats.rule)
    timed = [] if swats is not None else links[1:]
    milestones = np.empty((cells, len(timed)), dtype=np.int64)
    for j, link in enumerate(timed, start=1):
        column = grid.get(f"optimizers.{j}.milestone")
        if column is None:
            if link.milestone is None:
                raise invalid(("optimizers", j, "milestone"), text("error.sweep.no_milestone", index=j), None)
            column = np.full(cells, link.milestone)
        milestones[:, j - 1] = column
    _check_cells(req, grid, milestones, steps, per_epoch, batch)
    if links[1:]:
        chain = [link.model_copy(update={"milestone": int(m)}) for link, m in zip(timed, milestones[0], strict=True)]
        problem, run = _single_run(
            req,
            req.start,
            int(steps[0]),
            optimizers=[links[0], *chain] if timed else links,
            batch_size=run.batch_size and int(batch[0]),
        )

    swept = [(*_split(name), values.tolist()) for name, values in grid.items()]
    swept = [(j, what, values) for j, what, values in swept if what not in ("milestone", "batch_size")]
    at, sizes, lengths = milestones.tolist(), batch.tolist(), steps.tolist()
    problems = {n: replace(problem, steps=n) for n in set(lengths)}

    def cell(k: int) -> tuple[Problem, RunConfig]:
        params = [dict(run.params), *(dict(s.params) for s in run.switches)]
        for j, what, values in swept:
            params[j][what] = values[k]
        switches = tuple(Switch(m, s.optimizer, p) for m, s, p in zip(at[k], run.switches, params[1:], strict=True))
        cfg = replace(run, params=params[0], switches=switches, batch_size=sizes[k] if run.batch_size else None)
        return problems[lengths[k]], cfg

    row_params = {(j, what): np.asarray(values) for j, what, values in swept}
    return chain_job(cell, cells, lengths, np.column_stack([steps, batch, milestones]), row_params)


def _check_cells(
    req: SweepRequest,
    grid: dict[str, np.ndarray],
    milestones: np.ndarray,
    steps: np.ndarray,
    per_epoch: np.ndarray,
    batch: np.ndarray,
) -> None:
    """A 422 at the first cell whose chain a single run would refuse, naming its axis values."""
    if not milestones.size:
        return
    low = milestones < 1
    high = milestones >= steps[:, None]
    order = np.zeros_like(low)
    order[:, 1:] = np.diff(milestones, axis=1) <= 0
    epoch = milestones % per_epoch[:, None] != 0
    for bad, key in ((low | high, "error.switch.steps"), (order, "error.switch.order"), (epoch, "error.switch.epoch")):
        hit = np.argwhere(bad)
        if not hit.size:
            continue
        k, j = (int(v) for v in hit[0])
        axes = dict(zip(("x_param", "y_param"), grid.items(), strict=False))  # x's, then y's (unless the same)
        # the axis of this milestone, else of another one, else the link's own milestone
        late = [(w,) for w, (name, _) in axes.items() if name == f"optimizers.{j + 1}.milestone"]
        other = [(w,) for w, (name, _) in axes.items() if name.endswith(".milestone")]
        loc = next(iter(late or other), ("optimizers", j + 1, "milestone"))
        cell = ", ".join(f"{getattr(req, w).name} = {values[k]:g}" for w, (_, values) in axes.items())
        error = text(
            key,
            milestone=int(milestones[k, j]),
            last=int(steps[k]) - 1,
            milestones=milestones[k].tolist(),
            batch_size=int(batch[k]),
            per_epoch=int(per_epoch[k]),
        )
        raise invalid(loc, text("error.sweep.cell", cell=cell, error=error), milestones[k].tolist())


@cache
def lesson_sweeps() -> frozenset[bytes]:
    """The sweep lessons' requests, validated, as `SWEEPS` keys them."""
    return frozenset(
        SweepRequest.model_validate(lesson.request).model_dump_json().encode()
        for lesson in BY_ID.values()
        if lesson.kind == "sweep"
    )


def run_job(job: LockstepJob | ChainJob, deadline: float | None = None) -> None:
    """Every row to its end, checking the deadline (monotonic seconds) between slices."""
    while not job.done:
        if deadline is not None and time.monotonic() > deadline:
            raise ComputeTimeout
        job.advance(50)


def sweep(req: SweepRequest, deadline: float | None = None) -> Answer:
    """`final_loss[j][i]` (null where diverged), `steps_taken` and `status` for `y_values[j]`, `x_values[i]`."""
    built = build_sweep(req)
    run_job(built.job, deadline)
    return built.result()


def sweep_answer(request: dict[str, Any]) -> Answer:
    """The answer of POST /api/v1/sweeps to a request body."""
    return sweep(SweepRequest.model_validate(request))


# the lessons' sweeps at start-up (~0.5 s each on a loaded 2-core machine), then the seeds (~2 s)
WARM_UP_SECONDS = 20.0


def warm_up(stop: threading.Event, seconds: float = WARM_UP_SECONDS) -> int:
    """Compute every sweep lesson's answer into `SWEEPS`, and train every seed of the seeded network
    lessons into the network service's memory (`service_networks.warm_up`, in the time left), so
    that their first visitor is answered from memory. Bounded (its own deadline, the estimates
    admitted, the cache's byte bound) and cancellable (``stop``, checked between slices of rows).
    Returns how many sweeps were computed."""
    done = 0
    started = time.monotonic()
    with _deadline.within(seconds):
        for lesson in BY_ID.values():
            if lesson.kind != "sweep":
                continue
            built = build_sweep(SweepRequest.model_validate(lesson.request))
            while not built.job.done:
                if stop.is_set():
                    return done
                built.job.advance(50)
            built.result()
            done += 1
    # the seeded network lessons: every seed's training into the network service's memory
    bodies = [body for lesson in BY_ID.values() if lesson.seeds for body in lesson.seeded()]
    left = seconds - (time.monotonic() - started)
    if bodies and left > 0 and not stop.is_set():
        warm_networks(bodies, stop, left)
    return done


def basins(req: BasinRequest, deadline: float | None = None) -> Answer:
    """Which minimum (index into `minima`, −1 for none or diverged) each start on an n × n grid reaches."""
    problem, run = _single_run(req)
    if req.n * req.n * problem.steps > MAX_SWEEP_WORK:
        raise invalid(
            ("n",),
            text("error.basins.work", work=f"{req.n * req.n * problem.steps:,}", limit=f"{MAX_SWEEP_WORK:,}"),
            req.n,
        )
    job, xs, ys = basin_job(problem, run, req.n)
    run_job(job, deadline)
    return basin_result(job, xs, ys, list(problem.surface.minima))


def race(req: RaceRequest) -> Answer:
    """Each optimizer's lr tuned on a log grid by `objective`, and the race request of the tuned ones."""
    run: dict[str, Any] = {}
    if req.batch_size is not None:
        run["batch_size"] = req.batch_size
    if req.noise_std:
        run["noise_std"] = req.noise_std
    for i, o in enumerate(req.optimizers):
        _lockstep_only(o, ("optimizers", i))
    unknown = [k for k in req.params if k not in req.optimizers]
    if unknown:
        raise invalid(("params", unknown[0]), text("error.race.params", ids=", ".join(req.optimizers)), unknown[0])
    fixed = {o: {k: v for k, v in req.params.get(o, {}).items() if k != "lr"} for o in req.optimizers}
    body = {
        "surface": req.surface,
        "start": req.start,
        "steps": req.steps,
        "tolerance": req.tolerance,
        "seed": req.seed,
        "runs": [{"optimizer": o, "params": fixed[o], **run} for o in req.optimizers],
    }
    try:
        problem = build_problem(TrajectoryRequest.model_validate(body))
    except ValidationError as err:  # a bad fixed hyperparameter: report it as this request's field
        raise InvalidFields(
            [{"type": e["type"], "loc": ("body", "params"), "msg": e["msg"]} for e in err.errors()]
        ) from None
    noisy = any(is_noisy(problem, r) for r in problem.runs)
    seeds = list(range(req.seed, req.seed + req.seeds)) if noisy else [req.seed]
    factor = len(seeds) * (1.5 if req.extend else 1.0)
    if req.n * len(req.optimizers) * req.steps * factor > MAX_SWEEP_WORK:
        raise invalid(("n",), text("error.race.work", limit=f"{MAX_SWEEP_WORK:,}"), req.n)
    lrs = np.geomspace(req.lr_min, req.lr_max, req.n)
    curves = [tune(problem, r, lrs, req.objective, seeds, req.extend) for r in problem.runs]
    surface = req.surface if isinstance(req.surface, str) else req.surface.model_dump()
    tuned = {
        "surface": surface,
        "start": list(problem.start),
        "steps": req.steps,
        "tolerance": req.tolerance,
        "seed": req.seed,
        "runs": [
            {
                "optimizer": c["optimizer"],
                "params": {**fixed[c["optimizer"]], "lr": c["best_lr"]},
                **run,
                "label": f"{OPTIMIZERS[c['optimizer']].name} (tuned α={c['best_lr']:.3g})",
            }
            for c in curves
        ],
    }
    edges = [
        {"optimizer": c["optimizer"], "at_edge": c["at_edge"], "best_lr": c["best_lr"]} for c in curves if c["at_edge"]
    ]
    return {
        "objective": req.objective,
        "tolerance": req.tolerance,
        "seeds": seeds,
        "noisy": noisy,
        "curves": curves,
        "request": tuned,
        "at_edge": edges,
    }
