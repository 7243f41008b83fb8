"""Routes that send pre-encoded orjson bytes (for speed) declare a ``…Public`` response model: the
bytes must be exactly that model — every declared field valid, no key it does not declare — so
the OpenAPI document cannot drift from what the server sends."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.routing import APIRoute
from pydantic import TypeAdapter

from app.api.strict import ORJSONResponse
from app.main import ROUTERS

TRAJ = {"surface": "rosenbrock", "start": [-1.2, 1.0], "steps": 30, "runs": [{"optimizer": "adam"}]}
# optimizer chains: Adam then momentum at update 10, and SWATS (switches where its criterion fires)
CHAIN = [{"optimizer": "adam", "params": {"lr": 0.05}}, {"milestone": 10, "optimizer": "momentum"}]
SWATS = [{"optimizer": "adam", "params": {"lr": 0.005}}, {"rule": "swats", "optimizer": "sgd", "tolerance": 1e-7}]

# per route (method, path): bodies that together reach every optional part of its answer
CASES: dict[tuple[str, str], list[dict[str, Any]]] = {
    ("POST", "/api/v1/trajectories"): [
        TRAJ,
        {**TRAJ, "include_state": True, "runs": [{"optimizer": "adam", "clip_norm": 1.0, "clip_value": 5.0}]},
        {"surface": "linear_regression", "steps": 12, "runs": [{"optimizer": "momentum", "batch_size": 100}]},
        {"surface": "himmelblau", "steps": 4, "runs": [{"optimizer": "lbfgs"}]},
        {
            "surface": "elongated_bowl",
            "steps": 20,
            "runs": [
                {
                    "optimizer": "momentum",
                    "schedule": {"name": "one_cycle", "params": {"total_steps": 20, "cycle_momentum": True}},
                },
                {
                    "optimizer": "adam",
                    "schedule": {"name": "linear", "chain": [{"milestone": 5, "name": "cosine"}]},
                },
            ],
        },
        {
            "surface": {"expression": "log(x) + y^2", "x_range": [0.5, 3], "y_range": [-1, 1]},
            "steps": 5,
            "runs": [{"optimizer": "gd"}],
        },
        {**TRAJ, "runs": [{"optimizers": CHAIN}, {"optimizers": SWATS}], "include_state": True},
    ],
    ("POST", "/api/v1/grid"): [
        {"surface": "himmelblau", "n": 5},
        {"surface": {"expression": "log(x)", "x_range": [-1, 1], "y_range": [-1, 1]}, "n": 4},  # holes: null
    ],
    ("POST", "/api/v1/inspect"): [
        {**TRAJ, "t": 3},
        {**TRAJ, "runs": [{"optimizer": "gd"}, {"optimizer": "lion"}], "run": 1, "t": 2},
        {**TRAJ, "runs": [{"optimizers": CHAIN}], "t": 12},
    ],
    ("POST", "/api/v1/curvature"): [
        {"surface": "rosenbrock", "point": [1.0, 1.0]},
        {"surface": "elongated_bowl", "point": [1.0, 1.0]},
        {"surface": "saddle", "point": [0.0, 0.0]},
    ],
    ("POST", "/api/v1/gradient_noise"): [{"surface": "linear_regression", "point": [0.0, 0.0], "batch_size": 8}],
    ("POST", "/api/v1/export"): [TRAJ, {**TRAJ, "runs": [{"optimizer": "nadam"}]}],
    ("POST", "/api/v1/ewa"): [{}, {"series": [1.0, 2.0, 3.0], "betas": [0.5], "bias_correction": False}],
    ("POST", "/api/v1/schedules/preview"): [{"schedule": {"name": "cosine", "params": {"t_max": 10}}, "steps": 12}],
    ("POST", "/api/v1/sweeps"): [
        {
            "surface": "rosenbrock",
            "start": [-1.5, 2.0],
            "steps": 50,
            "optimizer": "adam",
            "x_param": {"name": "lr", "min": 1e-3, "max": 10.0, "n": 3, "scale": "log"},
            "y_param": {"name": "beta1", "values": [0.0, 0.9]},
        },
        {
            "surface": "logistic_regression",
            "optimizer": "gd",
            "epochs": 1,
            "x_param": {"name": "lr", "values": [0.1, 1.0]},
            "y_param": {"name": "batch_size", "values": [100, 500]},
        },
        {
            "surface": "rosenbrock",
            "steps": 30,
            "optimizers": CHAIN,
            "x_param": {"name": "milestone", "values": [5, 10]},
            "y_param": {"name": "optimizers.1.lr", "values": [1e-4, 1e-3]},
        },
        {
            "surface": "himmelblau",
            "steps": 1100,
            "optimizers": SWATS,
            "x_param": {"name": "lr", "values": [0.005]},
            "y_param": {"name": "beta1", "values": [0.9]},
        },
    ],
    ("POST", "/api/v1/basins"): [
        {"surface": "himmelblau", "optimizer": "gd", "params": {"lr": 0.01}, "steps": 200, "n": 4}
    ],
    ("POST", "/api/v1/networks"): [
        {"epochs": 3, "runs": [{"optimizer": "adam", "batch_size": 64}, {"optimizer": "gd", "clip_norm": 1.0}]},
        {
            "model": {"hidden": []},
            "epochs": 2,
            "runs": [{"optimizer": "momentum", "clip_value": 1.0, "schedule": {"name": "step", "per": "epoch"}}],
            "plane": {"kind": "hessian", "n": 3},
        },
        {
            "epochs": 3,
            "runs": [{"optimizers": [{"optimizer": "adam"}, {"milestone": 7, "optimizer": "sgd"}], "batch_size": 64}],
        },
    ],
    ("POST", "/api/v1/networks/plane"): [
        {"epochs": 2, "runs": [{"optimizer": "gd"}], "plane": {"kind": "line", "n": 3}}
    ],
    ("POST", "/api/v1/networks/tune"): [
        {"epochs": 3, "runs": [{"optimizer": "adam", "batch_size": 64}, {"optimizer": "gd"}], "n": 3, "seeds": 2}
    ],
    ("POST", "/api/v1/networks/race"): [{"epochs": 3, "optimizers": ["gd", "adamw"], "n": 3, "lr_max": 1e-3}],
    ("POST", "/api/v1/race"): [
        {"surface": "elongated_bowl", "steps": 60, "n": 4, "optimizers": ["gd", "adam"]},
        {"surface": "linear_regression", "steps": 30, "n": 3, "optimizers": ["gd"], "batch_size": 50, "seeds": 2},
    ],
    ("GET", "/api/v1/scenarios/{scenario_id}/seeds"): [
        {"scenario_id": "network-adam-momentum"},
        {"scenario_id": "network-switch-when"},
    ],
}


def _bytes_routes() -> dict[tuple[str, str], Any]:
    """Every route whose handler returns pre-encoded bytes, with its declared response model."""
    out = {}
    for router in ROUTERS:
        for route in router.routes:
            assert isinstance(route, APIRoute)
            if route.endpoint.__annotations__.get("return") in (ORJSONResponse, "ORJSONResponse"):
                for method in route.methods:
                    out[(method, route.path)] = route.response_model
    return out


def test_every_bytes_route_declares_a_model_and_is_checked_here() -> None:
    routes = _bytes_routes()
    assert len(routes) >= 11
    assert all(model is not None for model in routes.values()), routes
    assert set(routes) == set(CASES)


def _differences(a: Any, b: Any, at: str = "") -> list[str]:
    """Where two decoded JSON values differ (key paths), for a readable failure."""
    if isinstance(a, dict) and isinstance(b, dict):
        out = [f"{at}.{k}: {'undeclared' if k in b else 'added'}" for k in a.keys() ^ b.keys()]
        return out + [d for k in a.keys() & b.keys() for d in _differences(a[k], b[k], f"{at}.{k}")]
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return [d for i, (x, y) in enumerate(zip(a, b, strict=True)) for d in _differences(x, y, f"{at}[{i}]")]
    return [] if a == b else [f"{at}: {a!r:.60} != {b!r:.60}"]


def _exactly(model: Any, data: Any) -> None:
    adapter = TypeAdapter(model)
    parsed = adapter.validate_python(data)  # every declared field present (or defaulted) and valid
    dumped = adapter.dump_python(parsed, mode="json", exclude_unset=True)
    assert dumped == data, sorted(set(_differences(dumped, data)))[:10]  # and nothing undeclared


@pytest.mark.parametrize(("method", "path"), list(CASES), ids=lambda v: str(v))
def test_bytes_are_exactly_the_declared_model(client, method: str, path: str) -> None:
    model = _bytes_routes()[(method, path)]
    for body in CASES[(method, path)]:
        # a GET's body names its path's parameters
        r = client.get(path.format(**body)) if method == "GET" else client.request(method, path, json=body)
        assert r.status_code == 200, (body, r.text[:500])
        _exactly(model, r.json())


def test_a_drifting_answer_fails_the_check() -> None:
    from app.api.schemas_lessons import SchedulePreviewPublic

    _exactly(SchedulePreviewPublic, {"t": [0, 1], "lr": [0.1, 0.05]})
    with pytest.raises(AssertionError):
        _exactly(SchedulePreviewPublic, {"t": [0, 1], "lr": [0.1, 0.05], "momentum": [0.9, 0.9]})  # undeclared
    with pytest.raises(ValueError):
        _exactly(SchedulePreviewPublic, {"t": [0, 1]})  # a declared field missing
