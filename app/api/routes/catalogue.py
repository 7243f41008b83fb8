"""The catalogue: what the engine offers, with every parameter's default and range.

Names and descriptions come in `?lang=` or `Accept-Language` (English by default, unchanged),
from the message catalogue (``app/i18n/catalogue.json``: ``surface.<id>.name``,
``optimizer.<id>.description``, ``schedule.param.<name>``…); ids, formulas and numbers are shared.

Beyond the contract's fields: each surface's ``suggested_lr`` ({optimizer: lr}, measured by
tools/suggested_lr.py), a schedule parameter's ``follows_steps`` (a length that spans the run: its
share of the run's steps), and ``GET /api/v1/surfaces/custom``, the formula "Custom formula…" opens on.
"""

from __future__ import annotations

import copy
from functools import lru_cache
from typing import Any

from fastapi import APIRouter

from ...i18n import DEFAULT_LANG, messages
from ...registry import OPTIMIZERS, SCHEDULES, SURFACES, custom_public, surface_public
from ..deps import Lang
from ..schemas import CatalogueSurfacePublic, CustomDefaultPublic, OptimizerPublic, SchedulePublic

router = APIRouter(prefix="/api/v1", tags=["catalogue"])

_SURFACES = [surface_public(s) for s in SURFACES.values()]
_OPTIMIZERS = [o.public() for o in OPTIMIZERS.values()]
_SCHEDULES = [s.public() for s in SCHEDULES.values()]


def _t(table: dict[str, str], *keys: str) -> str | None:
    for k in keys:
        if k in table:
            return table[k]
    return None


def _translate(items: list[dict[str, Any]], kind: str, lang: str) -> list[dict[str, Any]]:
    table = messages(lang)
    out = copy.deepcopy(items)
    for item in out:
        base = f"{kind}.{item['id']}"
        for field in ("name", "description"):
            item[field] = _t(table, f"{base}.{field}") or item[field]
        if "dataset" in item:
            item["dataset"]["description"] = _t(table, f"{base}.dataset") or item["dataset"]["description"]
        for p in item.get("params", []):
            p["description"] = _t(table, f"{base}.param.{p['name']}", f"{kind}.param.{p['name']}") or p["description"]
    return out


@lru_cache
def translated(kind: str, lang: str) -> list[dict[str, Any]]:
    items = {"surface": _SURFACES, "optimizer": _OPTIMIZERS, "schedule": _SCHEDULES}[kind]
    return items if lang == DEFAULT_LANG else _translate(items, kind, lang)


@router.get("/surfaces", response_model=list[CatalogueSurfacePublic], summary="Built-in surfaces")
def surfaces(lang: Lang) -> list[dict[str, Any]]:
    return translated("surface", lang)


@router.get("/surfaces/custom", response_model=CustomDefaultPublic, summary="The formula a custom surface opens on")
def custom_surface() -> dict[str, Any]:
    return custom_public()


@router.get("/optimizers", response_model=list[OptimizerPublic], summary="Optimizers")
def optimizers(lang: Lang) -> list[dict[str, Any]]:
    return translated("optimizer", lang)


@router.get("/schedules", response_model=list[SchedulePublic], summary="Learning-rate schedules")
def schedules(lang: Lang) -> list[dict[str, Any]]:
    return translated("schedule", lang)
