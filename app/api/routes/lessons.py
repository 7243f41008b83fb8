"""The lessons: scenarios, EWA, sweeps (with a progress stream), basin maps, schedule previews, the
fair race. Each handler parses, calls `app.api.service_lessons` and returns its ``…Public`` answer
(as orjson bytes encoded in the worker thread where the answer is large)."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Annotated, Any, Literal

from fastapi import APIRouter, Depends
from fastapi.sse import EventSourceResponse, ServerSentEvent

from ...lessons.scenarios import BY_ID
from .. import compute
from .. import service_lessons as lessons
from ..deps import Lang
from ..schemas_lessons import (
    BasinRequest,
    BasinsPublic,
    ClaimPublic,
    EwaPublic,
    EwaRequest,
    RacePublic,
    RaceRequest,
    SchedulePreviewPublic,
    SchedulePreviewRequest,
    SeedsPublic,
    SweepPublic,
    SweepRequest,
)
from ..strict import ORJSONResponse, StrictJSONRoute, dumps
from .answers import json_answer

router = APIRouter(prefix="/api/v1", tags=["lessons"], route_class=StrictJSONRoute)

if TYPE_CHECKING:
    ScenarioId = str
else:
    ScenarioId = Literal[tuple(BY_ID)]  # the lessons' ids: any other is a 422 naming them


@router.get("/scenarios", summary="Guided scenarios, each with its measured claim")
def scenarios(lang: Lang) -> list[dict[str, Any]]:
    """Named, ready requests (for POST /api/v1/trajectories, /sweeps when `kind` is "sweep", /ewa when
    "ewa", /networks when "network": a network lesson, drawn by the networks page at
    /networks#lesson=<id>), each with `claim`: a measurable assertion on its own runs, `holds` and the
    measured `figures`, and the claim in words. `compare` (if present) is a second request drawn beside
    the first. Texts in `?lang=` or `Accept-Language` (English by default); ids, formulas and numbers are shared
    (`formulas_text`: the formulas with their words in the language asked)."""
    return lessons.scenarios(lang)


@router.get("/scenarios/{scenario_id}/claim", summary="One lesson's claim with its measured figures")
def scenario_claim(scenario_id: ScenarioId, lang: Lang) -> ClaimPublic:
    """`holds`, the measured `figures` and the claim's `text` in `?lang=` / `Accept-Language`."""
    return ClaimPublic.model_validate(lessons.claim(scenario_id, lang))


@router.get(
    "/scenarios/{scenario_id}/seeds",
    response_model=SeedsPublic,
    summary="A network lesson over its seeds: each run's mean, spread and band per epoch",
)
async def scenario_seeds(scenario_id: ScenarioId) -> ORJSONResponse:
    """A lesson measured over seeds (`seeds` non-empty in GET /api/v1/scenarios): its request trained
    once per seed (the model's init and the batch order both seeded by it; the same data), each as
    POST /api/v1/networks trains it, and per run the train loss and test accuracy of every epoch
    summarized across the seeds (mean, standard deviation, lowest and highest: the band drawn, and
    every seed's values). Its claim's figures are measured on this answer. A lesson without seeds:
    a 422 naming those that have them."""
    work = await compute.run_heavy(lessons.lesson_seeds_work, scenario_id, work=0.0)
    return await json_answer(lessons.lesson_seeds, scenario_id, work=work)


@router.post("/ewa", response_model=EwaPublic, summary="Exponentially weighted averages of a series")
def ewa(req: EwaRequest) -> ORJSONResponse:
    """vₜ = βvₜ₋₁ + (1−β)θₜ (v₀ = 0) for each β, with the bias-corrected vₜ/(1−βᵗ) and the window 1/(1−β)."""
    return ORJSONResponse(dumps(lessons.ewa(req)))


@router.post(
    "/schedules/preview", response_model=SchedulePreviewPublic, summary="A schedule's learning rate at every step"
)
def schedule_preview(req: SchedulePreviewRequest) -> ORJSONResponse:
    return ORJSONResponse(dumps(lessons.schedule_preview(req)))


@router.post("/sweeps", response_model=SweepPublic, summary="Sweep two hyperparameters")
async def sweeps(req: SweepRequest) -> ORJSONResponse:
    """`final_loss[j][i]` (null where diverged), `steps_taken` and `status` for `y_values[j]`, `x_values[i]`;
    each cell equals the single run of POST /api/v1/trajectories with the same settings."""
    return await json_answer(lessons.sweep, req, compute.deadline(), work=None)


async def sweep_from(req: SweepRequest) -> lessons.Sweep:
    """Validated and built before the stream begins: errors are plain 422s, never mid-stream."""
    return await compute.run_heavy(lessons.build_sweep, req)


@router.post("/sweeps/stream", response_class=EventSourceResponse, summary="Sweep with progress events")
async def sweeps_stream(built: Annotated[lessons.Sweep, Depends(sweep_from)]) -> AsyncIterator[ServerSentEvent]:
    """`progress` events ({"done": fraction}) while the rows step, then one `result` event."""
    job = built.job
    deadline = compute.deadline()
    while not job.done:
        if time.monotonic() > deadline:
            yield ServerSentEvent(event="error", raw_data=dumps({"detail": compute.timeout_error().detail}).decode())
            return
        await compute.run_chunk(job.advance, 25)  # under the deadline; checked just above
        yield ServerSentEvent(event="progress", raw_data=dumps({"done": job.progress}).decode())
    yield ServerSentEvent(event="result", raw_data=dumps(built.result()).decode())


@router.post("/basins", response_model=BasinsPublic, summary="Basins of attraction")
async def basins(req: BasinRequest) -> ORJSONResponse:
    """Which minimum (index into `minima`, −1 for none or diverged) each start on an n × n grid reaches."""
    return await json_answer(lessons.basins, req, compute.deadline(), work=None)


@router.post("/race", response_model=RacePublic, summary="Fair race: tune each learning rate, then race")
async def race(req: RaceRequest) -> ORJSONResponse:
    """For each optimizer, every lr of a log grid as one lockstep computation; the best by `objective`
    (final loss, or steps to reach `tolerance`) goes into `request`, ready for POST /api/v1/trajectories.

    The tuning runs with the request's `tolerance` and the race request carries the same one. A best
    lr at the edge of the grid is flagged per curve (`at_edge`: "low", "high" or null), after the grid
    was extended once on that side (`extended`) unless `extend` is false. Noisy runs are judged by
    the median over `seeds` seeds, with `spread` = [lowest, highest] final loss per lr."""
    return await json_answer(lessons.race, req, work=None)
