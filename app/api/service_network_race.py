"""The networks' fair race: "tune α" for the runs of a network body, and the race of several
optimizers each at its tuned rate, from validated requests to public JSON.

The data flow: `NetworkTuneRequest` → the network problem (`service_networks.build_network_problem`,
the one resolution of a network body) → for each run, every rate of a log grid trained together
(`app.lessons.network_race`, the grid, seeds and edge of `app.lessons.tuning` as on the surfaces)
→ the curves and a POST /api/v1/networks body with every run at its best rate. The race
(`NetworkRaceRequest`) is the tuning of a body it writes: one run per optimizer.

The work is bounded (`NETWORK_MAX_TUNE_UPDATES`) and estimated (`Tuning.work`) before any of it;
free of FastAPI, like `app.api.service`. Texts in ``app/i18n/network_race.json``.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np
from pydantic import ValidationError

from ..engine.network import NetworkProblem
from ..i18n import text
from ..lessons import network_race
from .schemas_network_race import NETWORK_MAX_TUNE_UPDATES, NetworkRaceRequest, NetworkTuneRequest, TuningFields
from .service import InvalidFields, InvalidRequest, invalid
from .service_networks import build_network_problem

Answer = dict[str, Any]
TUNING_FIELDS = tuple(TuningFields.model_fields)


class Tuning(NamedTuple):
    """A tuning built and checked, not yet trained: the problem, the grid, the seeds, its cost."""

    problem: NetworkProblem
    body: Answer  # the POST /api/v1/networks body (plane included), lrs to be replaced
    fields: TuningFields
    lrs: np.ndarray
    seeds: list[int]  # the noisy runs' seeds
    noisy: list[bool]  # per run
    work: float  # estimated seconds
    updates: int  # the most updates it makes
    race: bool  # the runs get a "tuned α" label


def build_tune(req: NetworkTuneRequest, race: bool = False) -> Tuning:
    """The tuning of every run of ``req`` (validated: errors are 422s before any work)."""
    problem, _ = build_network_problem(req)
    lrs = np.geomspace(req.lr_min, req.lr_max, req.n)
    seeds = list(range(req.seed, req.seed + req.seeds))
    noisy = [network_race.is_noisy(problem, r) for r in problem.runs]
    counts = [len(seeds) if k else 1 for k in noisy]
    updates = sum(
        network_race.updates(problem, r, req.n, c, req.extend) for r, c in zip(problem.runs, counts, strict=True)
    )
    if updates > NETWORK_MAX_TUNE_UPDATES:
        raise invalid(
            ("n",),
            text("network_race.error.updates", updates=f"{updates:,}", limit=f"{NETWORK_MAX_TUNE_UPDATES:,}"),
            req.n,
        )
    work = sum(network_race.estimate(problem, r, lrs, c, req.extend) for r, c in zip(problem.runs, counts, strict=True))
    body = req.model_dump(mode="json", exclude=set(TUNING_FIELDS))
    fields = TuningFields.model_validate(req.model_dump(include=set(TUNING_FIELDS)))
    return Tuning(problem, body, fields, lrs, seeds, noisy, work, updates, race)


def tune(built: Tuning) -> Answer:
    """Each run's curve over the grid and the body of the race of the tuned rates."""
    f = built.fields
    curves = []
    for i, (run, noisy) in enumerate(zip(built.problem.runs, built.noisy, strict=True)):
        seeds = built.seeds if noisy else built.seeds[:1]
        curve = network_race.tune(built.problem, run, built.lrs, f.objective, f.tolerance, seeds, f.extend)
        curves.append({"run": i, **curve})
    body = {**built.body, "runs": [dict(r) for r in built.body["runs"]]}
    for run, c in zip(body["runs"], curves, strict=True):
        run["params"] = {**run["params"], "lr": c["best_lr"]}
        if built.race:
            name = text(f"optimizer.{c['optimizer']}.name")  # in the request's language, as the label
            run["label"] = text("network_race.label", name=name, lr=f"{c['best_lr']:.3g}")
    edges = [
        {"run": c["run"], "optimizer": c["optimizer"], "at_edge": c["at_edge"], "best_lr": c["best_lr"]}
        for c in curves
        if c["at_edge"]
    ]
    best = [c["score"][c["best_index"]] for c in curves]
    ranking = sorted(range(len(curves)), key=lambda i: (best[i] is None, best[i] if best[i] is not None else 0.0, i))
    return {
        "objective": f.objective,
        "tolerance": f.tolerance,
        "seeds": built.seeds if any(built.noisy) else built.seeds[:1],
        "noisy": any(built.noisy),
        "curves": curves,
        "request": body,
        "at_edge": edges,
        "ranking": ranking,
    }


def _located(loc: tuple[Any, ...], optimizers: list[str]) -> tuple[Any, ...]:
    """A field of the race's tuning body as the field of the race request the client sent."""
    if len(loc) >= 2 and loc[0] == "runs" and isinstance(loc[1], int):
        i, field, rest = loc[1], (loc[2] if len(loc) > 2 else "params"), loc[3:]  # the run itself: its params
        if field == "optimizer":
            return ("optimizers", i)
        if field == "params":
            return ("params", optimizers[i], *rest)
        return (field, *rest)
    return loc


def build_race(req: NetworkRaceRequest) -> Tuning:
    """The race as the tuning of a body with one run per optimizer (its errors as this request's fields)."""
    unknown = [k for k in req.params if k not in req.optimizers]
    if unknown:
        raise invalid(
            ("params", unknown[0]),
            text("network_race.error.params", optimizers=", ".join(req.optimizers)),
            unknown[0],
        )
    fixed = {o: {k: v for k, v in req.params.get(o, {}).items() if k != "lr"} for o in req.optimizers}
    batch = {} if req.batch_size is None else {"batch_size": req.batch_size}
    body = {
        **req.model_dump(mode="json", exclude={"optimizers", "params", "batch_size"}),
        "runs": [{"optimizer": o, "params": fixed[o], **batch} for o in req.optimizers],
    }
    try:
        return build_tune(NetworkTuneRequest.model_validate(body), race=True)
    except (ValidationError, InvalidRequest) as err:
        raise InvalidFields(
            [
                {
                    "type": e["type"],
                    "loc": ("body", *_located(tuple(p for p in e["loc"] if p != "body"), req.optimizers)),
                    "msg": e["msg"],
                }
                for e in err.errors()
            ]
        ) from None
