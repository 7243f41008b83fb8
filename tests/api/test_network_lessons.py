"""The lessons API serves the network lessons: `kind: "network"`, a ready POST /api/v1/networks body
with its run labels in the reader's language, the texts and the measured claim; what the networks
page reads for /networks#lesson=<id>."""

from __future__ import annotations

import re

import numpy as np
import pytest

from app.lessons.scenarios import LESSONS

NETWORK_IDS = [lesson.id for lesson in LESSONS if lesson.kind == "network"]
CJK = re.compile(r"[\u4e00-\u9fff]")


def network_lessons(client, lang: str = "en") -> list[dict]:
    return [s for s in client.get("/api/v1/scenarios", params={"lang": lang}).json() if s["kind"] == "network"]


def test_the_list_serves_network_lessons_last_with_their_body(client):
    body = client.get("/api/v1/scenarios").json()
    kinds = [s["kind"] for s in body]
    assert kinds[-len(NETWORK_IDS) :] == ["network"] * len(NETWORK_IDS)  # the lessons page opens the first, a surface
    assert "network" not in kinds[: -len(NETWORK_IDS)]
    for s in network_lessons(client):
        assert s["title"] and s["explanation"].count(". ") >= 3 and s["formulas"]
        assert s["claim"]["holds"] is True and s["claim"]["key"] == f"claim.{s['id']}"
        req = s["request"]
        assert set(req) == {"data", "model", "epochs", "seed", "runs", "plane"}
        assert all(run["label"] and "scenario." not in run["label"] for run in req["runs"])


def test_a_network_lessons_body_is_accepted_and_echoed(client):
    s = network_lessons(client)[0]
    r = client.post("/api/v1/networks", json=s["request"])
    assert r.status_code == 200, r.text
    ans = r.json()
    assert [run["label"] for run in ans["runs"]] == [run["label"] for run in s["request"]["runs"]]
    assert ans["request"]["epochs"] == s["request"]["epochs"] and ans["plane"]["kind"] == "pca"
    assert len(ans["plane"]["a"]) == len(ans["plane"]["b"]) == 41
    # the page switches plane without retraining: the same body with another plane comes from the cache
    other = client.post("/api/v1/networks/plane", json={**s["request"], "plane": {"kind": "random", "n": 21}})
    assert other.status_code == 200 and other.json()["cached"] is True


@pytest.mark.parametrize("lesson_id", NETWORK_IDS)
def test_the_claim_endpoint_works_for_network_lessons(client, lesson_id):
    en = client.get(f"/api/v1/scenarios/{lesson_id}/claim").json()
    zh = client.get(f"/api/v1/scenarios/{lesson_id}/claim", params={"lang": "zh"}).json()
    listed = next(s for s in network_lessons(client) if s["id"] == lesson_id)["claim"]
    assert en == listed and en["holds"] is True and zh["figures"] == en["figures"]
    assert CJK.search(zh["text"]) and not CJK.search(en["text"])


def test_network_lessons_in_chinese_keep_the_same_requests(client):
    for e, z in zip(network_lessons(client), network_lessons(client, "zh"), strict=True):
        assert e["id"] == z["id"] and e["formulas"] == z["formulas"]
        assert CJK.search(z["title"] + z["explanation"]) and not CJK.search(e["title"] + e["explanation"])
        strip = lambda r: {**r, "runs": [{k: v for k, v in run.items() if k != "label"} for run in r["runs"]]}  # noqa: E731
        assert strip(e["request"]) == strip(z["request"])
        labels = [run["label"] for run in z["request"]["runs"]]
        assert len(set(labels)) == len(labels)  # each run told apart in the legend


def test_decay_lesson_asks_for_the_learning_rate_chart(client):
    s = next(s for s in network_lessons(client) if s["id"] == "network-lr-decay")
    assert s["lr_chart"] is True
    assert [run.get("schedule", {}).get("name") for run in s["request"]["runs"]] == [
        None,
        "inverse_time",
        "exponential",
        "step",
        "multistep",
    ]


SEEDED = [lesson.id for lesson in LESSONS if lesson.seeds]


@pytest.mark.parametrize("lesson_id", SEEDED)
def test_a_seeded_lessons_answer_has_its_seeds_and_spread(client, lesson_id):
    s = next(s for s in network_lessons(client) if s["id"] == lesson_id)
    r = client.get(f"/api/v1/scenarios/{lesson_id}/seeds")
    assert r.status_code == 200, r.text
    ans = r.json()
    assert ans["seeds"] == s["seeds"] and len(ans["seeds"]) >= 5 and ans["band"] == "min-max"
    assert ans["epochs"] == s["request"]["epochs"]
    assert [run["optimizer"] for run in ans["runs"]] == [run["optimizer"] for run in s["request"]["runs"]]
    for run, asked in zip(ans["runs"], s["request"]["runs"], strict=True):
        assert run["status"] == ["max_steps"] * len(ans["seeds"])
        if "optimizers" in asked:  # a chain: resolved as the network endpoint resolves it, its switches per seed
            assert [link["optimizer"] for link in run["optimizers"]] == [
                link["optimizer"] for link in asked["optimizers"]
            ]
            assert run["switches"] == [[asked["optimizers"][1]["milestone"]]] * len(ans["seeds"])
        else:
            assert run.get("optimizers") is None and run.get("switches") is None
        for name in ("train_loss", "test_accuracy"):
            b = run[name]
            per_seed = np.asarray(b["seeds"], dtype=float)
            assert per_seed.shape == (len(ans["seeds"]), ans["epochs"] + 1)
            assert b["n"] == [len(ans["seeds"])] * (ans["epochs"] + 1)
            np.testing.assert_allclose(b["mean"], per_seed.mean(axis=0), rtol=1e-12)
            np.testing.assert_allclose(b["sd"], per_seed.std(axis=0), rtol=1e-9, atol=1e-15)
            assert b["lo"] == list(per_seed.min(axis=0)) and b["hi"] == list(per_seed.max(axis=0))
            assert all(lo <= m <= hi for lo, m, hi in zip(b["lo"], b["mean"], b["hi"], strict=True))
            assert max(np.subtract(b["hi"], b["lo"])) > 0  # the seeds differ: a real spread


def test_a_lesson_without_seeds_has_no_seeds_answer(client):
    r = client.get("/api/v1/scenarios/network-assignment/seeds")
    assert r.status_code == 422 and "network-assignment" in r.text and SEEDED[0] in r.text
    zh = client.get("/api/v1/scenarios/network-assignment/seeds", params={"lang": "zh"})
    assert zh.status_code == 422 and CJK.search(zh.text) and SEEDED[0] in zh.text
    assert client.get("/api/v1/scenarios/no-such-lesson/seeds").status_code == 422


def test_the_warm_up_trains_every_seed_of_the_seeded_lessons():
    """Start-up's lesson warm-up (after the sweeps) trains each seed into the network service's
    memory: the first class to open the lesson is answered without training."""
    import threading

    from app.api.service_lessons import seeds_problems, warm_up
    from app.api.service_networks import TRAININGS, training_key

    lessons = [lesson for lesson in LESSONS if lesson.seeds]
    keys = [training_key(p) for lesson in lessons for p in seeds_problems(**lesson.seeds_body())]
    assert len(keys) == sum(len(lesson.seeds) for lesson in lessons) >= 5
    TRAININGS.clear()
    stop = threading.Event()
    stop.set()
    warm_up(stop)
    assert not any(k in TRAININGS for k in keys)  # stopped: nothing trained
    warm_up(threading.Event())
    assert all(k in TRAININGS for k in keys)
