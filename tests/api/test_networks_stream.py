"""POST /api/v1/networks/stream: meta, progress, per-run epochs slices, the plane, done; joined, they
are exactly the JSON answer of POST /api/v1/networks for the same body, field by field."""

from __future__ import annotations

import copy
from typing import Any

from app.api import service_networks
from app.api.schemas_networks import NETWORK_EXAMPLE
from tests.conftest import parse_sse

BODY: dict[str, Any] = {**copy.deepcopy(NETWORK_EXAMPLE), "epochs": 400, "points": 50}
BODY["runs"].append({"optimizer": "rmsprop", "params": {"lr": 0.01}, "label": "RMSprop, full batch"})
BODY["plane"] = {"kind": "pca_equal", "n": 21}

PER_EPOCH = ("train_loss", "test_loss", "train_accuracy", "test_accuracy")
PER_UPDATE = ("batch_loss", "lr")


def _stream(client, body: dict[str, Any]) -> list[tuple[str, Any]]:
    r = client.post("/api/v1/networks/stream", json=body)
    assert r.status_code == 200, r.text[:300]
    assert r.headers["content-type"].startswith("text/event-stream")
    return parse_sse(r.text)


def _cold() -> None:
    """Forget the trained runs: the stream trains (and reports) from scratch."""
    service_networks.TRAININGS._items.clear()
    service_networks.TRAININGS.bytes = 0


def _join(events: list[tuple[str, Any]]) -> tuple[list[dict[str, Any]], list[int]]:
    """Each run as the stream tells it: its meta part, its slices joined in order, its plane part and
    its done part; and how many slices each run came in."""
    meta, plane, done = events[0][1], events[-2][1], events[-1][1]["runs"]
    runs = len(meta["request"]["runs"])
    joined: list[dict[str, Any]] = [
        {**{k: [] for k in (*PER_EPOCH, *PER_UPDATE)}, "path": {"step": [], "params": []}} for _ in range(runs)
    ]
    slices = [0] * runs
    for name, data in events:
        if name != "epochs":
            continue
        run = joined[data["run"]]
        assert data["from"] == len(run["train_loss"])  # each slice continues where the last one ended
        slices[data["run"]] += 1
        for k in (*PER_EPOCH, *PER_UPDATE):
            run[k] += data[k]
        for k in ("step", "params"):
            run["path"][k] += data["path"][k]
    rebuilt = [
        {
            **meta["request"]["runs"][i],
            **{k: joined[i][k] for k in (*PER_EPOCH, *PER_UPDATE)},
            **done[i],
            "path": {**joined[i]["path"], **plane["runs"][i]["path"]},
            "captured": plane["runs"][i]["captured"],
            "fidelity": plane["runs"][i]["fidelity"],
        }
        for i in range(runs)
    ]
    return rebuilt, slices


def test_the_slices_join_to_the_json_answer(client) -> None:
    _cold()
    events = _stream(client, BODY)
    whole = client.post("/api/v1/networks", json=BODY).json()
    names = [name for name, _ in events]
    assert names[0] == "meta" and names[-1] == "done" and names[-2] == "plane"
    assert set(names[1:-2]) == {"epochs", "progress"}
    meta = events[0][1]
    for key in ("request", "parameters", "layout", "data", "init"):
        assert meta[key] == whole[key], key
    assert events[-2][1]["plane"] == whole["plane"]
    rebuilt, slices = _join(events)
    assert min(slices) >= 3  # trained and sent a chunk at a time
    for i, run in enumerate(whole["runs"]):
        assert set(rebuilt[i]) == set(run), set(rebuilt[i]) ^ set(run)
        for key in run:
            assert rebuilt[i][key] == run[key], (i, key)


def test_progress_goes_from_training_to_the_plane(client) -> None:
    _cold()
    events = _stream(client, {**BODY, "plane": {"kind": "hessian", "run": 2, "n": 31}})
    progress = [data for name, data in events if name == "progress"]
    phases = [p["phase"] for p in progress]
    assert phases[0] == "train" and phases[-1] == "plane"
    assert phases == sorted(phases, key=("train", "plane").index)  # training first, then the plane
    train = [p for p in progress if p["phase"] == "train"]
    assert [p["epoch"] for p in train] == sorted(p["epoch"] for p in train)
    assert train[-1] == {"epoch": 400, "epochs": 400, "phase": "train", "fraction": 1.0}
    fractions = [p["fraction"] for p in progress if p["phase"] == "plane"]
    assert fractions == sorted(set(fractions)) and fractions[-1] == 1.0  # rising, each sent once
    assert all(p["epochs"] == 400 for p in progress)


def test_a_cached_training_streams_the_same_runs(client) -> None:
    body = {**BODY, "epochs": 30}
    _cold()
    cold = _stream(client, body)
    warm = _stream(client, body)  # from the cache: the same values, sent at once
    assert warm[0] == cold[0] and warm[-2:] == cold[-2:]
    assert _join(warm)[0] == _join(cold)[0]


def test_invalid_bodies_are_plain_422s_before_any_event(client) -> None:
    r = client.post("/api/v1/networks/stream", json={**BODY, "plane": {"kind": "contour"}})
    assert r.status_code == 422 and "pca_equal" in r.text
