"""Export a network as code: the PyTorch script reproduces every run's per-epoch losses to 1e-9.

The round trip (`POST /api/v1/networks/export`, then the script run with an interpreter that has
torch: $OPTIVIZ_TORCH_PYTHON, else .venv-torch/bin/python, as in test_export_code.py) compares the
script's per-epoch train / test losses and accuracies, its mini-batch losses and rates, its status
and update count and its final parameters with the API's answer (`POST /api/v1/networks`).
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from app.registry import OPTIMIZERS
from tests.export.scripts import run_script

EXPORT = "/api/v1/networks/export"


def _body(runs, **extra):
    body = {
        "data": {"name": "moons", "samples": 120, "noise": 0.25, "test_fraction": 0.25, "seed": 5},
        "model": {"hidden": [6, 3], "activation": "tanh", "init": "xavier", "seed": 2},
        "epochs": 12,
        "seed": 4,
        "runs": runs,
        "plane": {"kind": "pca", "n": 5},
    }
    body.update(extra)
    return body


def _script(client, body) -> str:
    res = client.post(EXPORT, json=body)
    assert res.status_code == 200, res.text
    assert res.headers["content-type"].startswith("text/x-python")
    return res.text


def _run_script(py, script) -> list[dict]:
    out = run_script(py, script, "--json", timeout=300)
    assert out.returncode == 0, out.stderr[-4000:]
    runs: list[dict] = json.loads(out.stdout)["runs"]
    return runs


def _close(got, want, what, rtol=1e-9) -> None:
    g = np.array([np.nan if v is None else v for v in got], dtype=float)
    w = np.array([np.nan if v is None else v for v in want], dtype=float)
    assert g.shape == w.shape, f"{what}: {g.shape} values, the API has {w.shape}"
    np.testing.assert_allclose(g, w, rtol=rtol, atol=1e-12, equal_nan=True, err_msg=what)


def _compare(client, py, body, rtol=1e-9) -> list[dict]:
    api = client.post("/api/v1/networks", json=body)
    assert api.status_code == 200, api.text
    want = api.json()["runs"]
    got = _run_script(py, _script(client, body))
    assert [g["label"] for g in got] == [w["label"] for w in want]
    for g, w in zip(got, want, strict=True):
        assert (g["status"], g["steps_taken"]) == (w["status"], w["steps_taken"]), w["label"]
        for key in ("train_loss", "test_loss", "batch_loss", "lr", "final"):
            _close(g[key], w[key], f"{w['label']} {key}", rtol)
        for key in ("train_accuracy", "test_accuracy"):  # a share of samples: equal, but at a tie
            _close(g[key], w[key], f"{w['label']} {key}", 1e-12)
    return want


ELEMENT_WISE = {  # a rate each optimizer trains with on the small body in 12 epochs
    "gd": {"lr": 0.3},
    "momentum": {"lr": 0.1, "beta": 0.9},
    "nesterov": {"lr": 0.05},
    "adagrad": {"lr": 0.05},
    "rmsprop": {"lr": 0.005},
    "adadelta": {"lr": 1.0},
    "adam": {"lr": 0.01},
    "adamw": {"lr": 0.01},
    "sgd": {"lr": 0.05},
    "nadam": {"lr": 0.01},
    "radam": {"lr": 0.01},
    "adamax": {"lr": 0.01},
    "rprop": {"lr": 0.001},
    "asgd": {"lr": 0.1},
    "lion": {"lr": 0.001},
    "schedule_free_adamw": {"lr": 0.01},
    "polyak_sgd": {"lr": 0.5},
}


def test_every_network_optimizer_is_listed() -> None:
    """The round trip below covers every optimizer a network trains with element-wise."""
    loop = {oid for oid, s in OPTIMIZERS.items() if s.driver == "loop" and not s.hessian}
    assert loop == set(ELEMENT_WISE)


@pytest.mark.parametrize("half", [0, 1])
def test_round_trip_every_element_wise_optimizer(client, py, half) -> None:
    """Every element-wise optimizer (in two requests: at most 16 runs each), mini-batches of 32
    (the last one smaller), reshuffled each epoch: the script's losses are the engine's to 1e-9."""
    ids = list(ELEMENT_WISE)[half::2]
    runs = [{"optimizer": oid, "params": ELEMENT_WISE[oid], "batch_size": 32} for oid in ids]
    want = _compare(client, py, _body(runs))
    assert all(w["status"] == "max_steps" for w in want), [(w["label"], w["status"]) for w in want]
    assert all(w["steps_taken"] == 12 * 3 for w in want)  # 90 train samples: ⌈90 / 32⌉ updates an epoch


def test_round_trip_schedules_warm_up_clipping_full_batch(client, py) -> None:
    """Schedules per update and per epoch, a warm-up, a chain, ReduceLROnPlateau (stepped each
    epoch with the train loss), clipping by value and by norm, the full batch, variants."""
    runs = [
        {"optimizer": "gd", "params": {"lr": 0.5}, "clip_norm": 0.05},
        {
            "optimizer": "momentum",
            "params": {"lr": 0.05, "beta": 0.9, "variant": "classic"},
            "batch_size": 16,
            "clip_value": 0.02,
            "schedule": {"name": "step", "per": "epoch", "params": {"step_size": 3, "gamma": 0.5}},
        },
        {
            "optimizer": "adam",
            "params": {"lr": 0.02, "amsgrad": True},
            "batch_size": 40,
            "schedule": {"name": "cosine", "params": {"t_max": 30}, "warmup_steps": 5},
        },
        {
            "optimizer": "nesterov",
            "params": {"lr": 0.1},
            "batch_size": 64,
            "schedule": {
                "name": "linear",
                "params": {"start_factor": 0.2, "total_iters": 6},
                "chain": [{"milestone": 6, "name": "exponential", "params": {"gamma": 0.9}}],
            },
        },
        {
            "optimizer": "rmsprop",
            "params": {"lr": 0.01},
            "batch_size": 30,
            "schedule": {"name": "reduce_on_plateau", "params": {"patience": 1, "factor": 0.5}},
            "label": "plateau 平台",
        },
        {
            "optimizer": "adamw",
            "params": {"lr": 0.02},
            "batch_size": 45,
            "schedule": {"name": "cosine", "per": "epoch", "params": {"t_max": 12}, "warmup_steps": 3},
        },
        {  # past its total_steps: held at its last rate and momentum, as the studio does
            "optimizer": "adam",
            "params": {"lr": 0.01},
            "schedule": {"name": "one_cycle", "params": {"total_steps": 10, "cycle_momentum": True}},
        },
    ]
    _compare(client, py, _body(runs, epochs=15))


def test_round_trip_relu_deep_and_logistic_regression(client, py) -> None:
    """Other shapes: ReLU with He init on spirals, four hidden layers of 16, and logistic regression
    (no hidden layer) on gauss."""
    body = _body(
        [
            {"optimizer": "adam", "params": {"lr": 0.02}, "batch_size": 25},
            {"optimizer": "sgd", "params": {"lr": 0.5, "momentum": 0.9}, "batch_size": 25},
        ],
        data={"name": "spirals", "samples": 100, "noise": 0.1, "test_fraction": 0.2, "seed": 1},
        model={"hidden": [8], "activation": "relu", "init": "he", "seed": 0},
        epochs=10,
    )
    _compare(client, py, body)
    body["model"]["hidden"] = [16, 16, 16, 16]
    _compare(client, py, body)
    body["model"] = {"hidden": []}
    body["data"]["name"] = "gauss"
    _compare(client, py, body)


MATRIX = [  # the optimizers of weight matrices, each with its parameters' corners
    {"optimizer": "adafactor", "params": {"lr": 0.05}, "batch_size": 32},
    {"optimizer": "adafactor", "params": {"lr": 0.02, "weight_decay": 0.1, "d": 2.0}, "label": "Adafactor wd"},
    {"optimizer": "muon", "params": {"lr": 0.02}, "batch_size": 32},
    {
        "optimizer": "muon",
        "params": {"lr": 0.05, "nesterov": False, "adjust_lr_fn": "match_rms_adamw", "adamw_lr": 0.01},
        "batch_size": 20,
        "schedule": {"name": "cosine", "params": {"t_max": 40}},
        "label": "Muon cosine",
    },
    {"optimizer": "lamb", "params": {"lr": 0.01}, "batch_size": 32, "clip_norm": 0.5},
    {"optimizer": "lamb", "params": {"lr": 0.02, "weight_decay": 0.01}, "label": "LAMB wd"},
]


def test_every_matrix_optimizer_is_listed() -> None:
    assert {oid for oid, s in OPTIMIZERS.items() if s.driver == "matrix"} == {r["optimizer"] for r in MATRIX}


def test_round_trip_matrix_optimizers(client, py) -> None:
    """Adafactor (torch.optim's), Muon on the weights with AdamW on the biases (its Newton–Schulz
    in float64), LAMB (optax's rule as a small class): one leaf tensor per layer, 1e-9. (Muon's
    Newton–Schulz amplifies round-off: past ~800 updates the gap grows, see app.export.network.)"""
    script = _script(client, _body(MATRIX))
    assert "torch.optim.Adafactor(params" in script and "class Float64Muon(torch.optim.Muon)" in script
    _compare(client, py, _body(MATRIX))


def test_round_trip_the_course_assignment(client, py) -> None:
    """The contract's example, the course's assignment (moons, 2-5-2-1 ReLU, batches of 64, lr
    0.0007), over 200 epochs: GD, momentum, Adam with a cosine schedule."""
    from app.api.schemas_networks import NETWORK_EXAMPLE

    body = dict(NETWORK_EXAMPLE, epochs=200, plane={"kind": "pca", "n": 5})
    _compare(client, py, body)


def test_script_names_its_data_and_says_what_it_prints(client) -> None:
    """The script is self-contained: the data and init as exact literals, no optiviz import; a
    user's label reaches it as a literal only."""
    body = _body([{"optimizer": "adam", "params": {"lr": 0.01}, "label": "x'); import os  #"}])
    script = _script(client, body)
    compile(script, "script.py", "exec")
    assert "optiviz" not in script.split('"""', 2)[2].replace("optiviz export", "")
    assert "import app" not in script
    assert "import os" not in script.replace(repr("x'); import os  #"), "")
    answer = client.post("/api/v1/networks", json=body).json()
    for value in answer["init"]:
        assert repr(float(value)) in script
    for x1, x2 in answer["data"]["train"]["x"][:5]:
        assert f"[{float(x1)!r}, {float(x2)!r}]" in script


def test_bad_bodies_are_422(client) -> None:
    """The export validates as POST /api/v1/networks does, and names what it cannot write."""
    res = client.post(EXPORT, json=_body([{"optimizer": "adam", "params": {"lr": -1}}]))
    assert res.status_code == 422
    assert "lr" in res.text
    res = client.post(EXPORT, json=_body([{"optimizer": "lbfgs"}]))
    assert res.status_code == 422
    assert "lbfgs" in res.text or "L-BFGS" in res.text
    res = client.post(EXPORT, json={**_body([{"optimizer": "gd"}]), "model": {"hidden": [64, 64, 64, 64]}})
    assert res.status_code == 422


def test_round_trip_optimizer_chains(client, py) -> None:
    """Optimizer chains: at each milestone the script creates the next torch.optim optimizer on the
    same parameters (fresh state) with the run's scheduler advanced to the run's clock, and
    reproduces the run, its switches too, to 1e-9: Adam → SGD with momentum under one cosine with a
    switch inside an epoch; RMSprop → Nesterov → GD with a warm-up and a step per epoch and clipping;
    Adam → Adam, full batch; Muon → Adafactor (both of weight matrices)."""
    runs = [
        {
            "optimizers": [
                {"optimizer": "adam", "params": {"lr": 0.01}},
                {"milestone": 17, "optimizer": "sgd", "params": {"lr": 0.1, "momentum": 0.9}},
            ],
            "batch_size": 32,
            "schedule": {"name": "cosine", "params": {"t_max": 36, "eta_min": 0.001}},
        },
        {
            "optimizers": [
                {"optimizer": "rmsprop", "params": {"lr": 0.005}},
                {"milestone": 10, "optimizer": "nesterov", "params": {"lr": 0.05}},
                {"milestone": 40, "optimizer": "gd", "params": {"lr": 0.2}},
            ],
            "batch_size": 20,
            "clip_norm": 0.5,
            "schedule": {"name": "step", "per": "epoch", "params": {"step_size": 3, "gamma": 0.5}, "warmup_steps": 2},
        },
        {
            "optimizers": [
                {"optimizer": "adam", "params": {"lr": 0.03}},
                {"milestone": 6, "optimizer": "adam", "params": {"lr": 0.01}},
            ],
            "label": "Adam → Adam",
        },
        {
            "optimizers": [{"optimizer": "muon", "params": {"lr": 0.02}}, {"milestone": 20, "optimizer": "adafactor"}],
            "batch_size": 32,
        },
    ]
    body = _body(runs)
    want = _compare(client, py, body)
    got = _run_script(py, _script(client, body))
    assert [w["switches"] for w in want] == [[17], [10, 40], [6], [20]]
    assert [g["switches"] for g in got] == [w["switches"] for w in want]
    assert all(w["status"] == "max_steps" for w in want)


def test_a_chain_mixing_matrix_and_element_wise_optimizers_is_refused_with_its_reason(client) -> None:
    links = [{"optimizer": "adam", "params": {"lr": 0.01}}, {"milestone": 20, "optimizer": "muon"}]
    res = client.post(EXPORT, json=_body([{"optimizer": "gd"}, {"optimizers": links, "batch_size": 32}]))
    assert res.status_code == 422 and "mixes 'adam' and 'muon'" in res.text, res.text
    assert res.json()["detail"][0]["loc"] == ["body", "runs", 1, "optimizers"]
