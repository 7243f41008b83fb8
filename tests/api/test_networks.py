"""POST /api/v1/networks (the contract's answer), /networks/plane (another plane of the same runs, from
the cache), GET /networks/catalogue and the network limits; bad and costly bodies are 4xx that name
the field and the limit."""

from __future__ import annotations

import copy
import math
from typing import Any

import numpy as np
import pytest

from app.api import service_networks
from app.api.schemas_networks import (
    NETWORK_EXAMPLE,
    NETWORK_MAX_DEPTH,
    NETWORK_MAX_EPOCHS,
    NETWORK_MAX_GRID,
    NETWORK_MAX_PARAMETERS,
    NETWORK_MAX_SAMPLES,
    NETWORK_MAX_UPDATES,
    NETWORK_MAX_WIDTH,
    NetworkRequest,
)
from app.engine.network import DataConfig, ModelConfig, Network, make_data
from app.i18n import messages
from tests.conftest import networks_answer

# the contract's example, shorter (the same shape: 3 runs, mini-batches of 64 on 225 train samples)
BODY: dict[str, Any] = {**copy.deepcopy(NETWORK_EXAMPLE), "epochs": 60}
BODY["runs"][0]["params"]["lr"] = 0.05
BODY["runs"][1]["params"]["lr"] = 0.05
BODY["runs"][2]["params"]["lr"] = 0.01


@pytest.fixture(scope="module")
def answer(client) -> dict[str, Any]:
    return networks_answer(client, BODY)


def test_the_schema_example_is_the_contract_s(client) -> None:
    schema = client.get("/openapi.json").json()["components"]["schemas"]["NetworkRequest"]
    assert schema["examples"] == [NETWORK_EXAMPLE]
    r = client.post("/api/v1/networks", json=NETWORK_EXAMPLE)
    assert r.status_code == 200, r.text[:500]
    runs = r.json()["runs"]
    assert [run["steps_taken"] for run in runs] == [2000 * 4] * 3  # ⌈225 / 64⌉ updates per epoch


def test_the_answer_has_the_contract_s_fields(answer) -> None:
    net = Network(ModelConfig(hidden=(5, 2), activation="relu", init="he", seed=3))
    assert answer["parameters"] == net.size == 5 * 3 + 2 * 6 + 3
    assert answer["layout"] == [
        {"name": "W1", "shape": [5, 2]},
        {"name": "b1", "shape": [5]},
        {"name": "W2", "shape": [2, 5]},
        {"name": "b2", "shape": [2]},
        {"name": "W3", "shape": [1, 2]},
        {"name": "b3", "shape": [1]},
    ]
    data = make_data(DataConfig(**BODY["data"]))
    assert answer["data"]["train"]["x"] == data.x_train.tolist()
    assert answer["data"]["train"]["y"] == [int(v) for v in data.y_train]
    assert answer["data"]["test"]["y"] == [int(v) for v in data.y_test]
    assert len(answer["data"]["train"]["x"]) == 225 and len(answer["data"]["test"]["x"]) == 75
    assert answer["init"] == net.init().tolist()
    for run in answer["runs"]:
        n = run["steps_taken"]
        assert run["status"] == "max_steps" and n == 60 * 4
        for key in ("train_loss", "test_loss", "train_accuracy", "test_accuracy"):
            assert len(run[key]) == 61, key  # index 0 at init
        assert len(run["batch_loss"]) == len(run["lr"]) == n
        assert len(run["final"]) == answer["parameters"]
        path = run["path"]
        assert path["step"][0] == 0 and path["step"][-1] == n
        k = len(path["step"])
        assert all(len(path[f]) == k for f in ("a", "b", "loss", "plane_loss", "off_plane", "params"))
        assert path["params"][0] == answer["init"] and path["params"][-1] == run["final"]
        assert 0.0 <= run["captured"] <= 1.0
    gd, momentum, adam = answer["runs"]
    assert (gd["label"], momentum["label"], adam["label"]) == ("Gradient descent", "Momentum", "Adam")
    assert adam["params"] == {
        "lr": 0.01,
        "beta1": 0.9,
        "beta2": 0.999,
        "eps": 1e-8,
        "bias_correction": True,
        "amsgrad": False,
    }
    assert adam["batch_size"] == 64 and adam["schedule"]["name"] == "cosine"
    assert adam["lr"][0] == 0.01 and adam["lr"][1] == pytest.approx(0.01 * (1 + math.cos(math.pi / 10000)) / 2)
    assert answer["request"]["plane"] == {"kind": "pca", "n": 41, "run": 0, "seed": 0}


def test_the_values_are_the_network_s(answer) -> None:
    """Recomputed independently: the losses at init, the path's plane coordinates and losses, the grid."""
    net = Network(ModelConfig(hidden=(5, 2)))
    data = make_data(DataConfig(**BODY["data"]))
    init = np.asarray(answer["init"])
    plane = answer["plane"]
    origin, d = np.asarray(plane["origin"]), np.asarray(plane["directions"])
    assert d.shape == (2, answer["parameters"])
    assert np.allclose(d @ d.T, np.eye(2), atol=1e-12)
    for run in answer["runs"]:
        assert run["train_loss"][0] == pytest.approx(net.loss(init, data.x_train, data.y_train), rel=1e-12)
        assert run["test_loss"][0] == pytest.approx(net.loss(init, data.x_test, data.y_test), rel=1e-12)
        final = np.asarray(run["final"])
        assert run["train_loss"][-1] == pytest.approx(net.loss(final, data.x_train, data.y_train), rel=1e-12)
        assert run["train_accuracy"][-1] == pytest.approx(net.accuracy(final, data.x_train, data.y_train))
        path = run["path"]
        thetas = np.asarray(path["params"])
        a, b = (thetas - origin) @ d[0], (thetas - origin) @ d[1]
        assert np.allclose(path["a"], a, atol=1e-9) and np.allclose(path["b"], b, atol=1e-9)
        proj = origin + np.outer(a, d[0]) + np.outer(b, d[1])
        assert np.allclose(path["off_plane"], np.linalg.norm(thetas - proj, axis=1), atol=1e-9)
        for i in (0, len(thetas) // 2, len(thetas) - 1):
            assert path["loss"][i] == pytest.approx(net.loss(thetas[i], data.x_train, data.y_train), rel=1e-9)
            assert path["plane_loss"][i] == pytest.approx(net.loss(proj[i], data.x_train, data.y_train), rel=1e-9)
    n = len(plane["a"])
    assert n == 41 and len(plane["b"]) == 41 and len(plane["loss"]) == 41
    for j, i in ((0, 0), (20, 7), (40, 40)):
        theta = origin + plane["a"][i] * d[0] + plane["b"][j] * d[1]
        assert plane["loss"][j][i] == pytest.approx(net.loss(theta, data.x_train, data.y_train), rel=1e-9)
    assert len(plane["explained"]) == 2 and 0 < plane["random_walk"] < 1


def test_the_same_body_gives_the_same_bytes(client) -> None:
    body = {**BODY, "epochs": 5, "plane": {"kind": "random", "n": 9, "seed": 4}}
    first = client.post("/api/v1/networks", json=body)
    service_networks.TRAININGS._items.clear()  # trained again: the same bytes, not a cached copy
    service_networks.TRAININGS.bytes = 0
    assert client.post("/api/v1/networks", json=body).content == first.content
    assert client.post("/api/v1/networks", json={**body, "seed": 1}).content != first.content


def test_the_limits_are_served_once(client) -> None:
    served = client.get("/api/v1/limits").json()
    assert served["network_max_samples"] == NETWORK_MAX_SAMPLES
    assert served["network_max_width"] == NETWORK_MAX_WIDTH
    assert served["network_max_depth"] == NETWORK_MAX_DEPTH
    assert served["network_max_parameters"] == NETWORK_MAX_PARAMETERS
    assert served["network_max_epochs"] == NETWORK_MAX_EPOCHS
    assert served["network_max_updates"] == NETWORK_MAX_UPDATES
    assert served["network_max_grid"] == NETWORK_MAX_GRID
    catalogue = client.get("/api/v1/networks/catalogue").json()
    assert catalogue["limits"] == {k: v for k, v in served.items() if k.startswith("network_")}
    schema = client.get("/openapi.json").json()["components"]["schemas"]
    assert schema["PlaneRequest"]["properties"]["n"]["maximum"] == NETWORK_MAX_GRID
    assert schema["DataRequest"]["properties"]["samples"]["maximum"] == NETWORK_MAX_SAMPLES
    assert schema["ModelRequest"]["properties"]["hidden"]["items"]["maximum"] == NETWORK_MAX_WIDTH


def test_the_catalogue(client) -> None:
    out = client.get("/api/v1/networks/catalogue").json()
    assert [d["id"] for d in out["data_sets"]] == ["moons", "circles", "spirals", "xor", "gauss"]
    assert all(d["name"] and d["description"] for d in out["data_sets"])
    assert {"pca", "pca_equal", "random", "line", "hessian"} <= {p["id"] for p in out["planes"]}
    assert [a["id"] for a in out["activations"]] == ["relu", "tanh", "sigmoid"]
    assert [i["id"] for i in out["inits"]] == ["he", "xavier"]
    assert all(e["name"] and e["description"] for e in out["activations"] + out["inits"] + out["planes"])
    assert NetworkRequest.model_validate(out["example"]).model_dump(mode="json")["epochs"] == 2000
    zh = client.get("/api/v1/networks/catalogue?lang=zh").json()
    assert next(p for p in zh["planes"] if p["id"] == "pca")["name"] == messages("zh")["plane.pca.name"]
    assert zh["data_sets"][0]["name"] == messages("zh")["network.data.moons.name"] != out["data_sets"][0]["name"]
    assert [p["id"] for p in zh["planes"]] == [p["id"] for p in out["planes"]]


def _error(client, body: dict[str, Any], path: str = "/api/v1/networks") -> str:
    r = client.post(path, json=body)
    assert r.status_code == 422, r.text[:300]
    return r.text


def _with(**changes: Any) -> dict[str, Any]:
    body = copy.deepcopy(BODY)
    for key, value in changes.items():
        where, _, field = key.partition("__")
        if field:
            body[where][field] = value
        else:
            body[where] = value
    return body


def test_bodies_over_a_limit_are_422s_naming_the_field_and_the_limit(client) -> None:
    text = _error(client, _with(model__hidden=[5, NETWORK_MAX_WIDTH + 1]))
    assert '"hidden",1' in text and str(NETWORK_MAX_WIDTH) in text
    text = _error(client, _with(model__hidden=[1] * (NETWORK_MAX_DEPTH + 1)))
    assert "hidden" in text and str(NETWORK_MAX_DEPTH) in text
    text = _error(client, _with(model__hidden=[64, 64]))  # widths within bounds, P over it
    assert "P = 4,417" in text and f"{NETWORK_MAX_PARAMETERS:,}" in text
    text = _error(client, _with(data__samples=NETWORK_MAX_SAMPLES + 1))
    assert '"samples"' in text and str(NETWORK_MAX_SAMPLES) in text
    text = _error(client, _with(epochs=NETWORK_MAX_EPOCHS + 1))
    assert '"epochs"' in text and str(NETWORK_MAX_EPOCHS) in text
    text = _error(client, _with(plane={"kind": "pca", "n": NETWORK_MAX_GRID + 1}))
    assert '"n"' in text and str(NETWORK_MAX_GRID) in text
    runs = [{"optimizer": "gd", "batch_size": 1}] * 16
    text = _error(client, {**BODY, "epochs": 100, "runs": runs})  # 16 × 100 × 225 updates
    assert '"epochs"' in text and "360,000 updates" in text and f"{NETWORK_MAX_UPDATES:,}" in text


def test_bad_bodies_are_422s_that_say_why(client) -> None:
    text = _error(client, _with(data__name="iris"))
    assert "moons" in text and "gauss" in text
    assert "lrr" in _error(client, _with(runs=[{"optimizer": "gd", "params": {"lrr": 0.1}}]))
    assert "extra_forbidden" in _error(client, {**BODY, "epoch": 3})
    text = _error(client, _with(runs=[{"optimizer": "lbfgs"}]))
    assert "lbfgs" in text and "adam" in text and '"optimizer"' in text
    text = _error(client, _with(runs=[{"optimizer": "gd", "batch_size": 226}]))
    assert "batch_size" in text and "225" in text
    assert "noise_std" in _error(client, _with(runs=[{"optimizer": "gd", "noise_std": 0.5}]))
    assert "plane.run = 3" in _error(client, _with(plane={"kind": "line", "run": 3}))
    text = _error(client, _with(data__samples=8, data__test_fraction=0.05))
    assert "test_fraction" in text and "0 test" in text
    raw = '{"epochs": NaN, "runs": [{"optimizer": "gd"}]}'
    r = client.post("/api/v1/networks", content=raw, headers={"content-type": "application/json"})
    assert r.status_code == 422 and "NaN" in r.text


def test_a_large_answer_is_refused_before_any_work(client) -> None:
    body = {
        "model": {"hidden": [40, 40]},
        "epochs": 50,
        "runs": [{"optimizer": "adam", "batch_size": 1}] * 16,
        "points": 1000,
    }
    text = _error(client, body)  # 16 runs × 1,000 points × 1,881 parameters
    assert '"points"' in text and "more than the server's limit of 64 MB per answer" in text


def test_a_costly_body_is_refused_before_any_work(client) -> None:
    body = {
        "data": {"samples": 5000},
        "model": {"hidden": [40, 40, 15]},
        "epochs": 20000,
        "runs": [{"optimizer": "adam"}] * 16,
        "points": 2,
        "plane": {"kind": "hessian", "n": NETWORK_MAX_GRID},
    }
    r = client.post("/api/v1/networks", json=body)
    assert r.status_code == 422 and "longer than the server's limit" in r.text, r.text[:300]
    r = client.post("/api/v1/networks/stream", json=body)
    assert r.status_code == 422 and "longer than the server's limit" in r.text, r.text[:300]


def test_another_plane_comes_from_the_cache(client, answer) -> None:
    assert client.post("/api/v1/networks", json=BODY).json() == answer  # trained (again) and cached
    r = client.post("/api/v1/networks/plane", json=BODY)  # the answer's own plane: the same values
    assert r.status_code == 200, r.text[:300]
    same = r.json()
    assert same["cached"] is True
    assert same["plane"] == answer["plane"]
    for on_plane, run in zip(same["runs"], answer["runs"], strict=True):
        assert on_plane["captured"] == run["captured"]
        assert on_plane["path"] == {k: run["path"][k] for k in ("a", "b", "loss", "plane_loss", "off_plane")}
    other = client.post("/api/v1/networks/plane", json={**BODY, "plane": {"kind": "line", "run": 2, "n": 11}}).json()
    assert other["cached"] is True and other["plane"]["kind"] == "line" and len(other["plane"]["a"]) == 11
    adam = other["runs"][2]
    assert adam["captured"] == pytest.approx(1.0)  # the line plane holds its run's displacement
    fresh = {**BODY, "seed": 12345, "epochs": 3}
    assert client.post("/api/v1/networks/plane", json=fresh).json()["cached"] is False  # trained
    assert client.post("/api/v1/networks/plane", json=fresh).json()["cached"] is True


def test_the_training_cache_is_bounded_in_bytes() -> None:
    trainings = []
    for seed in range(3):
        req = NetworkRequest.model_validate({**BODY, "epochs": 2, "seed": seed})
        problem, _ = service_networks.build_network_problem(req)
        training, _ = service_networks.trained(problem)
        trainings.append((service_networks.training_key(problem), training))
    size = service_networks.training_bytes(trainings[0][1])
    assert size > trainings[0][1].results[0].thetas.nbytes
    cache = service_networks.TrainingCache(max_bytes=2 * size + size // 2)
    for key, training in trainings:
        cache.put(key, training)
    assert len(cache) == 2 and cache.bytes <= cache.max_bytes
    assert cache.get(trainings[0][0]) is None and cache.get(trainings[2][0]) is trainings[2][1]
    tiny = service_networks.TrainingCache(max_bytes=size - 1)
    tiny.put(trainings[0][0], trainings[0][1])
    assert len(tiny) == 0  # larger than the bound: not kept


def test_the_matrix_optimizers_train_networks_only(client) -> None:
    body = {"epochs": 30, "runs": [{"optimizer": o} for o in ("adafactor", "muon", "lamb")], "plane": {"n": 5}}
    r = client.post("/api/v1/networks", json=body)
    assert r.status_code == 200, r.text[:300]
    for run in r.json()["runs"]:
        assert run["status"] == "max_steps" and run["train_loss"][-1] < run["train_loss"][0], run["label"]
    r = client.post("/api/v1/trajectories", json={"surface": "rosenbrock", "runs": [{"optimizer": "muon"}]})
    assert r.status_code == 422 and "POST /api/v1/networks" in r.text
