"""Every lesson's claim holds on its own API answer: a lesson whose claim fails breaks the build."""

from __future__ import annotations

import pytest

from app.api.service_lessons import measure
from app.lessons.claims import CLAIMS
from app.lessons.scenarios import BY_ID, LESSONS


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda lesson: lesson.id)
def test_claim_holds_on_the_lessons_own_answer(client, lesson):
    body = client.get(f"/api/v1/scenarios/{lesson.id}/claim").json()
    s = next(s for s in client.get("/api/v1/scenarios").json() if s["id"] == lesson.id)
    path = {"sweep": "/api/v1/sweeps", "ewa": "/api/v1/ewa", "network": "/api/v1/networks"}.get(
        lesson.kind, "/api/v1/trajectories"
    )
    # a lesson over seeds: its answer is that of its request trained once per seed
    answer = client.get(f"/api/v1/scenarios/{lesson.id}/seeds") if s["seeds"] else client.post(path, json=s["request"])
    assert answer.status_code == 200, answer.text
    args = [answer.json(), lesson]
    if "compare" in s:
        args.append(client.post(path, json=s["compare"]).json())
    measured = CLAIMS[lesson.id](*args)  # measured again from the public API's answer
    assert measured["holds"], (lesson.id, measured["figures"])
    assert (
        measured["figures"] == pytest.approx(body["figures"])
        if not any(isinstance(v, list) for v in body["figures"].values())
        else measured["figures"] == body["figures"]
    )
    assert body["holds"] is True and s["claim"]["figures"] == body["figures"]


def test_every_lesson_has_a_claim_and_texts():
    from app.i18n import catalogue

    assert set(CLAIMS) == set(BY_ID)
    keys = catalogue()
    for lesson in LESSONS:
        for k in (f"scenario.{lesson.id}.title", f"scenario.{lesson.id}.text", f"claim.{lesson.id}"):
            assert k in keys, k
        measure(lesson.id)


def test_momentum_forms_coincide_and_are_flagged_for_the_page():
    lesson = BY_ID["momentum-bowl"]
    assert lesson.coincide == ((1, 2),)
    assert measure("momentum-bowl")["figures"]["gap"] < 1e-9


def test_adam_without_correction_takes_longer_first_steps():
    f = measure("adam-bias-correction")["figures"]
    assert f["first_ratio"] == pytest.approx(0.1 / 0.001**0.5, rel=1e-6)  # ε = 1e-8 aside
    assert f["min_ratio"] > 1  # longer, not shorter, for each of the first 10 steps


def test_stored_claims_are_measured_on_the_current_lessons():
    """data/claims.json (what GET /scenarios serves at once) is current: regenerate it with
    `python -m tools.lesson_claims` after changing a lesson or the engine."""
    import json

    from app.api.service_lessons import compute
    from app.lessons.claims import STORE, fingerprint

    stored = json.loads(STORE.read_text(encoding="utf-8"))
    assert set(stored) == set(BY_ID)
    for lesson_id, lesson in BY_ID.items():
        assert stored[lesson_id]["fingerprint"] == fingerprint(lesson), (
            f"{lesson_id}: stale, run python -m tools.lesson_claims"
        )
        fresh = compute(lesson_id)
        assert stored[lesson_id]["holds"] is fresh["holds"] is True
        for k, v in fresh["figures"].items():
            assert stored[lesson_id]["figures"][k] == (pytest.approx(v, rel=1e-9) if not isinstance(v, list) else v), (
                lesson_id,
                k,
            )


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_run_label_and_claim_text_resolves(lang):
    from app.api.service_lessons import claim
    from app.i18n import catalogue
    from app.lessons.scenarios import Label

    keys = catalogue()
    for lesson in LESSONS:
        for req in (lesson.request, lesson.compare or {}):
            for run in req.get("runs", []):
                label: Label = run["label"]
                if label.key:
                    assert f"scenario.{lesson.id}.label.{label.key}" in keys, (lesson.id, label.key)
                if label.opt:
                    assert f"optimizer.{label.opt}.name" in keys
        body = lesson.render(lang)
        for r in body["request"].get("runs", []):
            assert "scenario." not in r["label"] and "optimizer." not in r["label"] and r["label"]
        text = claim(lesson.id, lang)["text"]
        assert "{" not in text and "claim." not in text
