"""Fuzz (hypothesis, derandomized, bounded) POST /api/v1/networks/tune and /networks/race with the
network fuzzer's bodies (tests/property/test_networks_no_5xx.py) and hostile tuning fields: grid
sizes, lr ranges, seeds, objectives, tolerances, wrong types. Every answer is a 200 (strict JSON)
whose body POST /api/v1/networks accepts, or a 4xx that says why: never a 5xx."""

from __future__ import annotations

from collections import Counter
from typing import Any

from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.main import app
from tests.conftest import strict_loads
from tests.property.test_networks_no_5xx import HOSTILE, bodies

FUZZ = settings(
    max_examples=40,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@st.composite
def tunings(draw: Any) -> dict[str, Any]:
    """A network body and tuning fields within the limits, then, a third of the time, one tuning field hostile."""
    body: dict[str, Any] = draw(bodies())
    body.update(
        {
            "n": draw(st.sampled_from([2, 3])),
            "seeds": draw(st.sampled_from([1, 2])),
            "objective": draw(st.sampled_from(["final_loss", "epochs_to_tolerance"])),
            "tolerance": draw(st.sampled_from([0.0, 0.3, 1e6])),
            "lr_min": draw(st.sampled_from([1e-9, 1e-3])),
            "lr_max": draw(st.sampled_from([1e-2, 100.0])),
            "extend": draw(st.booleans()),
        }
    )
    if draw(st.integers(0, 2)) == 0:
        key = draw(st.sampled_from(["n", "seeds", "objective", "tolerance", "lr_min", "lr_max", "extend", "lrr"]))
        body[key] = draw(st.sampled_from([*HOSTILE, 201, 33, "steps", 1e7, 101.0]))
    return body


def race_of(body: dict[str, Any]) -> dict[str, Any]:
    """The race of the body's optimizers (its first run's batch size)."""
    runs = body.get("runs") if isinstance(body.get("runs"), list) else []
    out = {k: v for k, v in body.items() if k not in ("runs", "points")}
    out["optimizers"] = [r.get("optimizer") for r in runs if isinstance(r, dict)] or ["gd"]
    if runs and isinstance(runs[0], dict) and "batch_size" in runs[0]:
        out["batch_size"] = runs[0]["batch_size"]
    return out


CLIENT = TestClient(app, raise_server_exceptions=False)
STATUS: Counter[int] = Counter()
REASONS: Counter[str] = Counter()


def _check(path: str, body: dict[str, Any]) -> None:
    r = CLIENT.post(path, json=body)
    assert r.status_code < 500, (path, body, r.status_code, r.text[:300])
    out = strict_loads(r.text)
    STATUS[r.status_code] += 1
    if r.status_code != 200:
        REASONS[str(out["detail"])[:90]] += 1
        assert out["detail"], body
        return
    assert len(out["curves"]) == len(out["request"]["runs"]) and sorted(out["ranking"]) == list(
        range(len(out["curves"]))
    )
    raced = CLIENT.post("/api/v1/networks", json={**out["request"], "plane": {"kind": "pca", "n": 2}})
    assert raced.status_code == 200, (path, body, raced.text[:300])


@FUZZ
@given(tunings())
def _never_5xx(body: dict[str, Any]) -> None:
    _check("/api/v1/networks/tune", body)
    _check("/api/v1/networks/race", race_of(body))


def test_hostile_tuning_bodies_never_answer_5xx() -> None:
    STATUS.clear()
    _never_5xx()
    # the hostile bodies are not all refused: many are tuned, and their race body trains
    assert STATUS[200] >= 5 and STATUS[422] >= 10, (STATUS, REASONS.most_common(8))
