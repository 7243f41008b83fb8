"""POST /api/v1/trajectories and /stream, and POST /api/v1/grid."""

import numpy as np
import pytest

from app.api.schemas import TrajectoryRequest
from tests.conftest import parse_sse, strict_loads

# the schema's own example (the API docs show it), and a run that diverges
EXAMPLE = TrajectoryRequest.model_config["json_schema_extra"]["examples"][0]
BODY = {**EXAMPLE, "runs": [*EXAMPLE["runs"], {"optimizer": "gd", "params": {"lr": 0.05}}]}


def test_contract_example(client) -> None:
    r = client.post("/api/v1/trajectories", json=BODY)
    assert r.status_code == 200
    body = strict_loads(r.text)
    assert body["surface"]["id"] == "rosenbrock"
    adam, mom, gd = body["runs"]
    assert adam["label"] == "Adam" and adam["optimizer"] == "adam"
    assert adam["params"] == {
        "lr": 0.05,
        "beta1": 0.9,
        "beta2": 0.999,
        "eps": 1e-8,
        "bias_correction": True,
        "amsgrad": False,
    }
    assert adam["schedule"]["name"] == "cosine" and adam["schedule"]["params"] == {"t_max": 500, "eta_min": 0.0}
    assert mom["label"] == "Momentum" and mom["schedule"]["name"] == "constant"
    for run in body["runs"]:
        n = run["steps_taken"]
        assert run["status"] in ("converged", "diverged", "max_steps")
        assert len(run["x"]) == len(run["y"]) == len(run["loss"]) == n + 1
        assert len(run["lr"]) == len(run["grad_norm"]) == n
        assert (run["x"][0], run["y"][0]) == (-1.2, 1.0)
    assert gd["status"] == "diverged"
    assert adam["lr"][0] == 0.05 and adam["lr"][250] == pytest.approx(0.025)


def test_default_start_and_defaults(client) -> None:
    r = client.post("/api/v1/trajectories", json={"surface": "himmelblau", "runs": [{"optimizer": "adam"}]})
    run = r.json()["runs"][0]
    assert [run["x"][0], run["y"][0]] == r.json()["surface"]["default_start"]
    assert run["steps_taken"] == 500 and run["params"]["lr"] == 0.01


def test_same_request_same_bytes(client) -> None:
    body = {
        "surface": "linear_regression",
        "steps": 300,
        "seed": 7,
        "runs": [
            {"optimizer": "adam", "params": {"lr": 0.1}, "batch_size": 16},
            {"optimizer": "gd", "params": {"lr": 0.001}, "batch_size": 1},
        ],
    }
    a = client.post("/api/v1/trajectories", json=body).content
    b = client.post("/api/v1/trajectories", json=body).content
    assert a == b
    noisy = {"surface": "elongated_bowl", "seed": 3, "runs": [{"optimizer": "rmsprop", "noise_std": 1.0}]}
    assert (
        client.post("/api/v1/trajectories", json=noisy).content
        == client.post("/api/v1/trajectories", json=noisy).content
    )
    other = client.post("/api/v1/trajectories", json={**body, "seed": 8}).content
    assert other != a


def test_dataset_runs_have_batch_loss(client) -> None:
    body = {
        "surface": "logistic_regression",
        "steps": 50,
        "runs": [{"optimizer": "gd", "params": {"lr": 0.1}, "batch_size": 32}],
    }
    run = client.post("/api/v1/trajectories", json=body).json()["runs"][0]
    assert run["batch_size"] == 32 and len(run["batch_loss"]) == 50


def test_custom_surface(client) -> None:
    body = {
        "surface": {"expression": "x^2 + 10*y^2", "x_range": [-3, 3], "y_range": [-3, 3]},
        "start": [2, 1],
        "steps": 100,
        "runs": [{"optimizer": "gd", "params": {"lr": 0.05}}],
    }
    r = client.post("/api/v1/trajectories", json=body)
    assert r.status_code == 200
    out = r.json()
    assert out["surface"]["kind"] == "custom" and out["surface"]["formula"] == "x^2 + 10 * y^2"
    run = out["runs"][0]
    assert run["x"][1] == pytest.approx(2 - 0.05 * 4) and run["y"][1] == pytest.approx(1 - 0.05 * 20)


def test_include_state(client) -> None:
    body = {
        "surface": "rosenbrock",
        "steps": 20,
        "include_state": True,
        "runs": [{"optimizer": "adam"}, {"optimizer": "gd", "params": {"lr": 0.001}}, {"optimizer": "rmsprop"}],
    }
    adam, gd, rms = client.post("/api/v1/trajectories", json=body).json()["runs"]
    assert len(adam["state"]["gx"]) == 20 and len(adam["state"]["mx"]) == 20 and len(adam["state"]["eff_lr_x"]) == 20
    # the step is the effective rate times the first moment
    step = adam["x"][1] - adam["x"][0]
    assert step == pytest.approx(-adam["state"]["eff_lr_x"][0] * adam["state"]["mx"][0], rel=1e-9)
    assert gd["state"]["mx"] is None and gd["state"]["eff_lr_x"] is None
    assert gd["x"][1] - gd["x"][0] == pytest.approx(-0.001 * gd["state"]["gx"][0])
    assert rms["state"]["mx"] is None and rms["state"]["eff_lr_y"] is not None
    plain = client.post("/api/v1/trajectories", json={**body, "include_state": False}).json()["runs"][0]
    assert "state" not in plain


def test_stream_joins_to_the_json_answer(client) -> None:
    body = {
        **BODY,
        "steps": 3000,
        "tolerance": 0,
        "runs": BODY["runs"]
        + [{"optimizer": "adadelta"}, {"optimizer": "adam", "params": {"lr": 0.01}, "noise_std": 0.3}],
    }
    whole = client.post("/api/v1/trajectories", json=body).json()
    r = client.post("/api/v1/trajectories/stream", json=body)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
    events = parse_sse(r.text)
    assert events[0][0] == "meta" and events[-1][0] == "done"
    meta = events[0][1]
    assert [run["params"] for run in meta["runs"]] == [run["params"] for run in whole["runs"]]
    joined = [{k: [] for k in ("x", "y", "loss", "lr", "grad_norm")} for _ in body["runs"]]
    counts = [0] * len(body["runs"])
    for name, data in events[1:-1]:
        assert name == "points"
        counts[data["run"]] += 1
        for k in joined[data["run"]]:
            joined[data["run"]][k] += data[k]
    for i, run in enumerate(whole["runs"]):
        for k in joined[i]:
            assert joined[i][k] == run[k], (i, k)
        assert events[-1][1]["runs"][i] == {"status": run["status"], "steps_taken": run["steps_taken"]}
    assert max(counts) >= 5  # computed and sent incrementally


def test_stream_validation_error_is_a_plain_422(client) -> None:
    r = client.post("/api/v1/trajectories/stream", json={"surface": "rosenbrock", "runs": [{"optimizer": "nope"}]})
    assert r.status_code == 422 and "adam" in r.text
    r = client.post(
        "/api/v1/trajectories/stream", json={"surface": "rosenbrock", "runs": [{"optimizer": "adam", "batch_size": 3}]}
    )
    assert r.status_code == 422 and "batch_size" in r.text


def test_grid(client) -> None:
    r = client.post("/api/v1/grid", json={"surface": "himmelblau", "n": 50})
    g = r.json()
    assert len(g["x"]) == len(g["y"]) == 50 and len(g["z"]) == 50 and len(g["z"][0]) == 50
    assert g["x"][0] == -5 and g["x"][-1] == 5
    j, i = 7, 31
    x, y = g["x"][i], g["y"][j]
    assert g["z"][j][i] == pytest.approx((x * x + y - 11) ** 2 + (x + y * y - 7) ** 2)


def test_grid_custom_with_holes_is_strict_json(client) -> None:
    r = client.post("/api/v1/grid", json={"surface": {"expression": "log(x) + y", "x_range": [-1, 1]}, "n": 5})
    g = strict_loads(r.text)
    assert g["z"][0][0] is None and g["z"][0][4] == pytest.approx(np.log(1.0) - 3)


def test_grid_dataset_surface(client) -> None:
    g = client.post("/api/v1/grid", json={"surface": "logistic_regression", "n": 20}).json()
    assert np.isfinite(np.array(g["z"], dtype=float)).all()


def test_limits_accepted(client) -> None:
    body = {"surface": "rosenbrock", "steps": 20000, "runs": [{"optimizer": "adam", "params": {"lr": 0.001}}] * 16}
    r = client.post("/api/v1/trajectories", json=body)
    assert r.status_code == 200 and len(r.json()["runs"]) == 16
    assert client.post("/api/v1/grid", json={"surface": "rosenbrock", "n": 200}).status_code == 200
    formula = "+".join(["x*y"] * 75)[:299].rstrip("+*")
    assert client.post("/api/v1/grid", json={"surface": {"expression": formula}, "n": 10}).status_code == 200
