"""The lessons: scenarios, EWA, sweeps (with a progress stream), basin maps, schedule previews."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Annotated, Any, Literal

import numpy as np
from fastapi import APIRouter, Depends, Header, Query
from fastapi.exceptions import RequestValidationError
from fastapi.sse import EventSourceResponse, ServerSentEvent
from pydantic import ValidationError

from ...engine.datasets import DatasetSurface
from ...engine.schedules import Link, learning_rates
from ...i18n import LANGS, pick_lang
from ...lessons import claims
from ...lessons.ewa import averages
from ...lessons.race import is_noisy, tune
from ...lessons.scenarios import BY_ID
from ...lessons.scenarios import scenarios as lesson_list
from ...lessons.sweeps import axis_values, basin_job, basin_result, epoch_steps, sweep_job, sweep_result
from ...registry import OPTIMIZERS, SCHEDULES
from .. import compute
from ..schemas import RunRequest, TrajectoryRequest
from ..schemas_lessons import (
    MAX_SWEEP_WORK,
    BasinRequest,
    EwaRequest,
    RaceRequest,
    SchedulePreviewRequest,
    SweepRequest,
)
from ..service import ComputeTimeout, InvalidRequest, build_problem, invalid, trajectories
from ..strict import ORJSONResponse, StrictJSONRoute, dumps

router = APIRouter(prefix="/api/v1", tags=["lessons"], route_class=StrictJSONRoute)


LangQuery = Annotated[str | None, Query(description=f"language of the texts: one of {', '.join(LANGS)} (default en)")]
AcceptLanguage = Annotated[str | None, Header()]


@router.get("/scenarios", summary="Guided scenarios, each with its measured claim")
def scenarios(lang: LangQuery = None, accept_language: AcceptLanguage = None) -> list[dict[str, Any]]:
    """Named, ready requests (for POST /api/v1/trajectories, or /sweeps when `kind` is "sweep"), each
    with `claim`: a measurable assertion on its own runs, `holds` and the measured `figures`, and
    the claim in words. `compare` (if present) is a second request drawn beside the first. Texts in
    `?lang=` or `Accept-Language` (English by default); ids, formulas and numbers are shared."""
    chosen = pick_lang(lang, accept_language)
    out = lesson_list(chosen)
    for s in out:
        s["claim"] = claims.claim(s["id"], chosen)
    return out


ScenarioId = Literal[tuple(BY_ID)]  # type: ignore[valid-type]  # the registry's ids: any other is a 422 naming them


@router.get("/scenarios/{scenario_id}/claim", summary="One lesson's claim with its measured figures")
def scenario_claim(
    scenario_id: ScenarioId, lang: LangQuery = None, accept_language: AcceptLanguage = None
) -> dict[str, Any]:
    """`holds`, the measured `figures` and the claim's `text` in `?lang=` / `Accept-Language`."""
    return claims.claim(scenario_id, pick_lang(lang, accept_language))


def trajectories_answer(request: dict[str, Any]) -> dict[str, Any]:
    """The answer of POST /api/v1/trajectories to `request` (for the lessons' claims)."""
    return trajectories(build_problem(TrajectoryRequest.model_validate(request)))


def ewa_answer(request: dict[str, Any]) -> dict[str, Any]:
    """The answer of POST /api/v1/ewa to `request` (for the lessons' claims)."""
    req = EwaRequest.model_validate(request)
    return averages(req.series, req.betas, req.bias_correction)


def sweep_answer(request: dict[str, Any]) -> dict[str, Any]:
    """The answer of POST /api/v1/sweeps to `request` (for the lessons' claims)."""
    job, xs, ys, extra = _build_sweep(SweepRequest.model_validate(request))
    job.run_to_end()
    return {**sweep_result(job, xs, ys), **extra}


@router.post("/ewa", summary="Exponentially weighted averages of a series")
def ewa(req: EwaRequest) -> ORJSONResponse:
    """vₜ = βvₜ₋₁ + (1−β)θₜ (v₀ = 0) for each β, with the bias-corrected vₜ/(1−βᵗ) and the window 1/(1−β)."""
    return ORJSONResponse(dumps(averages(req.series, req.betas, req.bias_correction)))


@router.post("/schedules/preview", summary="A schedule's learning rate at every step")
def schedule_preview(req: SchedulePreviewRequest) -> ORJSONResponse:
    spec = SCHEDULES[req.schedule.name]
    if spec.reads_loss:
        raise invalid(
            ("schedule", "name"),
            f"'{spec.id}' reads the loss: it has no rate without a run (POST /api/v1/trajectories draws its rates)",
            spec.id,
        )
    t = np.arange(req.steps)
    chain = tuple(Link(c.milestone, SCHEDULES[c.name], c.params) for c in req.schedule.chain)
    lr = learning_rates(spec, req.schedule.params, req.lr, t, req.schedule.warmup_steps, chain)
    return ORJSONResponse(dumps({"t": t.tolist(), "lr": lr.tolist()}))


def _lockstep_only(optimizer: str, loc: tuple[Any, ...]) -> None:
    """Sweeps, basins and races step many rows in lockstep: element-wise optimizers only."""
    spec = OPTIMIZERS[optimizer]
    if spec.driver != "loop":
        raise invalid(
            loc,
            f"{spec.name} ('{optimizer}') is not element-wise (its updates evaluate the loss several "
            "times, or need the Hessian): it runs as single trajectories only, not in sweeps, basin maps "
            "or races",
            optimizer,
        )


def _single_run(req: SweepRequest | BasinRequest, start: Any = None):
    """The equivalent single-run trajectories request: one definition of a run for both endpoints."""
    _lockstep_only(req.optimizer, ("optimizer",))
    try:
        body = TrajectoryRequest(
            surface=req.surface,
            start=start,
            steps=req.steps,
            tolerance=req.tolerance,
            seed=req.seed,
            runs=[
                RunRequest(
                    optimizer=req.optimizer,
                    params=req.params,
                    schedule=req.schedule,
                    batch_size=req.batch_size,
                    noise_std=req.noise_std,
                )
            ],
        )
        problem = build_problem(body)
    except (ValidationError, RequestValidationError, InvalidRequest) as err:  # report them as fields of this request
        raise RequestValidationError(
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


def _axis(req: SweepRequest, which: str, problem) -> tuple[str, list[float]]:
    axis = getattr(req, which)
    spec = OPTIMIZERS[req.optimizer]
    values = axis_values(axis.model_dump())
    if axis.name == "batch_size":
        if not isinstance(problem.surface, DatasetSurface):
            raise invalid((which, "name"), "batch_size can be swept on dataset surfaces only", axis.name)
        m = problem.surface.model.data.m
        if any(v != int(v) or not 1 <= v <= m for v in values):
            raise invalid((which,), f"batch sizes must be whole numbers from 1 to m = {m}", values)
        return axis.name, [float(int(v)) for v in values]
    p = spec.spec(axis.name)
    if p is None or p.kind != "float":
        sweepable = ["lr"] + [q.name for q in spec.params if q.kind == "float" and q.name != "lr"]
        if isinstance(problem.surface, DatasetSurface):
            sweepable.append("batch_size")
        raise invalid(
            (which, "name"),
            f"cannot sweep {axis.name!r} for '{req.optimizer}'; sweepable: {', '.join(sweepable)}",
            axis.name,
        )
    try:
        return axis.name, [p.coerce(v, f"optimizer '{req.optimizer}'") for v in values]
    except ValueError as err:
        raise invalid((which,), str(err), values) from None


def _build_sweep(req: SweepRequest):
    problem, run = _single_run(req, req.start)
    x_name, xs = _axis(req, "x_param", problem)
    y_name, ys = _axis(req, "y_param", problem)
    if x_name == y_name:
        raise invalid(("y_param", "name"), "the two axes must sweep different parameters", y_name)
    extra: dict[str, Any] = {}
    if req.epochs is not None:
        if not isinstance(problem.surface, DatasetSurface):
            raise invalid(("epochs",), "epochs can be given on dataset surfaces only", req.epochs)
        sizes = ys if y_name == "batch_size" else xs if x_name == "batch_size" else [run.batch_size]
        per_size = {int(b): epoch_steps(problem, int(b), req.epochs) for b in sizes}
        work = sum(per_size[int(b)] for b in sizes) * (len(xs) if y_name == "batch_size" else len(ys))
        extra = {"epochs": req.epochs, "steps_by_batch_size": {str(b): n for b, n in per_size.items()}}
    else:
        work = len(xs) * len(ys) * problem.steps
    if work > MAX_SWEEP_WORK:
        raise invalid(
            ("steps",),
            f"cells × steps = {work:,} is over the limit of {MAX_SWEEP_WORK:,}: fewer cells or steps",
            problem.steps,
        )
    return sweep_job(problem, run, x_name, xs, y_name, ys, req.epochs), xs, ys, extra


def _run_job(job, deadline: float) -> None:
    while not job.done:
        if time.monotonic() > deadline:
            raise ComputeTimeout
        job.advance(50)


def _sweep(req: SweepRequest) -> bytes:
    job, xs, ys, extra = _build_sweep(req)
    _run_job(job, compute.deadline())
    return dumps({**sweep_result(job, xs, ys), **extra})


@router.post("/sweeps", summary="Sweep two hyperparameters")
async def sweeps(req: SweepRequest) -> ORJSONResponse:
    """`final_loss[j][i]` (null where diverged), `steps_taken` and `status` for `y_values[j]`, `x_values[i]`;
    each cell equals the single run of POST /api/v1/trajectories with the same settings."""
    return ORJSONResponse(await compute.run_heavy(_sweep, req))


async def sweep_from(req: SweepRequest) -> tuple[Any, list[float], list[float], dict[str, Any]]:
    """Validated and built before the stream begins: errors are plain 422s, never mid-stream."""
    return await compute.run_heavy(_build_sweep, req)


@router.post("/sweeps/stream", response_class=EventSourceResponse, summary="Sweep with progress events")
async def sweeps_stream(
    built: Annotated[tuple[Any, list[float], list[float], dict[str, Any]], Depends(sweep_from)],
) -> AsyncIterator[ServerSentEvent]:
    """`progress` events ({"done": fraction}) while the rows step, then one `result` event."""
    job, xs, ys, extra = built
    deadline = compute.deadline()
    while not job.done:
        if time.monotonic() > deadline:
            yield ServerSentEvent(event="error", raw_data=dumps({"detail": compute.timeout_error().detail}).decode())
            return
        await compute.run_chunk(job.advance, 25)  # under the deadline; checked just above
        yield ServerSentEvent(event="progress", raw_data=dumps({"done": job.progress}).decode())
    yield ServerSentEvent(event="result", raw_data=dumps({**sweep_result(job, xs, ys), **extra}).decode())


def _basins(req: BasinRequest) -> bytes:
    problem, run = _single_run(req)
    if req.n * req.n * problem.steps > MAX_SWEEP_WORK:
        raise invalid(
            ("n",), f"n² × steps = {req.n * req.n * problem.steps:,} is over the limit of {MAX_SWEEP_WORK:,}", req.n
        )
    job, xs, ys = basin_job(problem, run, req.n)
    _run_job(job, compute.deadline())
    return dumps(basin_result(job, xs, ys, list(problem.surface.minima)))


@router.post("/basins", summary="Basins of attraction")
async def basins(req: BasinRequest) -> ORJSONResponse:
    """Which minimum (index into `minima`, −1 for none or diverged) each start on an n × n grid reaches."""
    return ORJSONResponse(await compute.run_heavy(_basins, req))


def _race(req: RaceRequest) -> bytes:
    run: dict[str, Any] = {}
    if req.batch_size is not None:
        run["batch_size"] = req.batch_size
    if req.noise_std:
        run["noise_std"] = req.noise_std
    for i, o in enumerate(req.optimizers):
        _lockstep_only(o, ("optimizers", i))
    unknown = [k for k in req.params if k not in req.optimizers]
    if unknown:
        raise invalid(
            ("params", unknown[0]), f"params are given per raced optimizer: {', '.join(req.optimizers)}", unknown[0]
        )
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
        raise RequestValidationError(
            [{"type": e["type"], "loc": ("body", "params"), "msg": e["msg"]} for e in err.errors()]
        ) from None
    noisy = any(is_noisy(problem, r) for r in problem.runs)
    seeds = list(range(req.seed, req.seed + req.seeds)) if noisy else [req.seed]
    factor = len(seeds) * (1.5 if req.extend else 1.0)
    if req.n * len(req.optimizers) * req.steps * factor > MAX_SWEEP_WORK:
        raise invalid(("n",), f"n × optimizers × steps × seeds is over the limit of {MAX_SWEEP_WORK:,}", req.n)
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
    return dumps(
        {
            "objective": req.objective,
            "tolerance": req.tolerance,
            "seeds": seeds,
            "noisy": noisy,
            "curves": curves,
            "request": tuned,
            "at_edge": edges,
        }
    )


@router.post("/race", summary="Fair race: tune each learning rate, then race")
async def race(req: RaceRequest) -> ORJSONResponse:
    """For each optimizer, every lr of a log grid as one lockstep computation; the best by `objective`
    (final loss, or steps to reach `tolerance`) goes into `request`, ready for POST /api/v1/trajectories.

    The tuning runs with the request's `tolerance` and the race request carries the same one. A best
    lr at the edge of the grid is flagged per curve (`at_edge`: "low", "high" or null), after the grid
    was extended once on that side (`extended`) unless `extend` is false. Noisy runs are judged by
    the median over `seeds` seeds, with `spread` = [lowest, highest] final loss per lr."""
    return ORJSONResponse(await compute.run_heavy(_race, req))
