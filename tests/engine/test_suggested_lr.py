"""The suggested learning rates (app/engine/data/suggested_lr.json, tools/suggested_lr.py): one for
every built-in surface × optimizer that runs there, each one that does what a suggestion must: it
does not diverge, and the run makes clear progress, or no rate does clearly better."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

import pytest

from app.api.schemas import TrajectoryRequest
from app.api.service import InvalidRequest, build_problem, trajectories
from app.engine.surfaces import STUDIO
from app.registry import CUSTOM_DEFAULT, OPTIMIZERS, SUGGESTED_LR, SUGGESTED_LR_FILE, SURFACES, custom_public
from tools.suggested_lr import GRID, pick

DATA = json.loads(SUGGESTED_LR_FILE.read_text(encoding="utf-8"))
ON_SURFACES = [o.id for o in OPTIMIZERS.values() if not o.networks_only]
STATE_JS = Path(__file__).resolve().parents[2] / "static" / "js" / "state.js"
PROGRESS = 0.1  # clear progress: the loss falls by a tenth of the way to f* (the best rate's, where f* is unknown)
DECADES = [lr for lr in GRID if math.log10(lr).is_integer()]  # 1e-6 … 100


def _runs(surface: Any, rates: list[tuple[str, float]]) -> list[dict[str, Any]]:
    out = []
    for i in range(0, len(rates), 16):
        body = {
            "surface": surface,
            "steps": DATA["steps"],
            "tolerance": 0.0,
            "runs": [{"optimizer": o, "params": {"lr": lr}} for o, lr in rates[i : i + 16]],
        }
        out += trajectories(build_problem(TrajectoryRequest.model_validate(body)))["runs"]
    return out


def _runs_with_defaults(surface: str, optimizer: str) -> bool:
    body = {"surface": surface, "steps": 2, "runs": [{"optimizer": optimizer}]}
    try:
        build_problem(TrajectoryRequest.model_validate(body))
    except InvalidRequest:
        return False
    return True


def test_every_surface_and_optimizer_has_its_rate() -> None:
    assert list(SUGGESTED_LR) == list(SURFACES)
    for sid, table in SUGGESTED_LR.items():
        runs = [o for o in ON_SURFACES if _runs_with_defaults(sid, o)]  # Polyak without f*: none
        assert [o for o in runs if o in table] == list(table), sid
        for o in set(runs) - set(table):  # none only where every rate diverges
            assert all(r["status"] == "diverged" for r in _runs(sid, [(o, lr) for lr in DECADES])), (sid, o)
        assert all(1e-6 <= lr <= 100 and float(f"{lr:.2g}") == lr for lr in table.values())
    assert set(custom_public()["suggested_lr"]) <= set(ON_SURFACES)
    assert set(STUDIO) <= set(custom_public()["suggested_lr"])


def test_measured_over_the_studios_steps() -> None:
    steps = re.search(r'name: "steps", type: "int", def: (\d+)', STATE_JS.read_text(encoding="utf-8"))
    assert steps and int(steps.group(1)) == DATA["steps"]
    expr = re.search(r'name: "expr", type: "string", def: "([^"]+)"', STATE_JS.read_text(encoding="utf-8"))
    assert expr and expr.group(1) == CUSTOM_DEFAULT["expression"]  # a permalink's formula when it has none


@pytest.mark.parametrize("sid", [*SURFACES, "custom"])
def test_each_rate_does_not_diverge_and_makes_progress(sid: str) -> None:
    custom = sid == "custom"
    surface: Any = {k: CUSTOM_DEFAULT[k] for k in ("expression", "x_range", "y_range")} if custom else sid
    table = custom_public()["suggested_lr"] if custom else SUGGESTED_LR[sid]
    f_min = 0.0 if custom else SURFACES[sid].f_min
    for r in _runs(surface, list(table.items())):
        o, start, final = r["optimizer"], r["loss"][0], r["loss"][-1]
        assert r["status"] != "diverged" and final <= start, (sid, o)
        if f_min is not None and start - final >= PROGRESS * (start - f_min):
            continue
        # no clear progress (or f* unknown): no rate of the grid's decades does clearly better
        others = [x for x in _runs(surface, [(o, lr) for lr in DECADES]) if x["status"] != "diverged"]
        best = min([final, *(x["loss"][-1] for x in others)])
        assert final - best <= PROGRESS * (start - best) or start - best <= 1e-9 * abs(start), (sid, o, best)


def test_pick_prefers_the_default_among_the_good_rates() -> None:
    lrs = [0.01, 0.1, 1.0, 10.0]
    assert pick(lrs, [5.0, 1e-9, 1e-12, None], 10.0, 1.0) == 1.0  # the default does it
    assert pick(lrs, [5.0, 1e-9, 1e-12, None], 10.0, 0.01) == 0.1  # the nearest rate that does it
    assert pick(lrs, [5.0, 3.0, 1e-12, None], 10.0, 0.01) == 1.0  # one notch from divergence, if only it does
    assert pick(lrs, [None, None, None, None], 10.0, 1.0) is None  # every rate diverges: none
