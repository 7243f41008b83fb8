"""The networks' fair race: "tune α" for the runs of a network body, and the race of several
optimizers each at its tuned rate. Each handler builds and checks the tuning (422 before any work),
then trains it under the request's deadline with its estimate admitted first, and answers
`NetworkRacePublic` as orjson bytes."""

from __future__ import annotations

from fastapi import APIRouter

from .. import compute
from .. import service_network_race as race
from ..schemas_network_race import NetworkRacePublic, NetworkRaceRequest, NetworkTuneRequest
from ..strict import ORJSONResponse, StrictJSONRoute
from .answers import json_answer, post_answer

router = APIRouter(prefix="/api/v1", tags=["networks"], route_class=StrictJSONRoute)


async def _answer(built: race.Tuning) -> ORJSONResponse:
    return await json_answer(race.tune, built, work=built.work)


@post_answer(router, "/networks/tune", NetworkRacePublic, "Tune each run's learning rate on this network")
async def post_network_tune(req: NetworkTuneRequest) -> ORJSONResponse:
    """The body of POST /api/v1/networks and how to tune. For each run, every lr of a log grid
    (`lr_min`…`lr_max`, `n` points) is trained on the same network, from the same init, with the
    run's other settings unchanged, and scored by `objective` (the final train loss, or the epochs
    to reach a train loss of `tolerance`). Mini-batch runs are trained with `seeds` seeds of the
    batch order and judged by the median, with `spread` = [lowest, highest] final loss per lr. A
    best lr at the edge of the grid is flagged (`at_edge`) after the grid was extended once on that
    side (`extended`) unless `extend` is false. `request` is the body with every run at its best
    lr, ready for POST /api/v1/networks."""
    built = await compute.run_heavy(race.build_tune, req, work=0.0)  # the data set: light
    return await _answer(built)


@post_answer(router, "/networks/race", NetworkRacePublic, "Fair race on a network: tune each lr, then race")
async def post_network_race(req: NetworkRaceRequest) -> ORJSONResponse:
    """Each optimizer of `optimizers` (with its fixed `params`, all but lr) as one run of this
    network, its lr tuned as by POST /api/v1/networks/tune; `request` races the tuned ones (a POST
    /api/v1/networks body, each run labelled with its tuned α)."""
    built = await compute.run_heavy(race.build_race, req, work=0.0)
    return await _answer(built)
