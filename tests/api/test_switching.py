"""Optimizer chains through the API: the answers' fields, and a clear 422 for every bad chain."""

import pytest

from tests.conftest import parse_sse, strict_loads

ROSEN = {"surface": "rosenbrock", "start": [-1.2, 1.0], "steps": 200}
ADAM = {"optimizer": "adam", "params": {"lr": 0.02}}
MOM = {"milestone": 100, "optimizer": "momentum", "params": {"lr": 0.0005, "variant": "classic"}}


def _body(run: dict, **fields) -> dict:
    return {**ROSEN, **fields, "runs": [run]}


def test_answer_and_stream_say_where_the_links_switch(client) -> None:
    body = _body({"optimizers": [ADAM, MOM], "label": "Adam → momentum"})
    r = client.post("/api/v1/trajectories", json=body)
    assert r.status_code == 200
    run = strict_loads(r.text)["runs"][0]
    assert run["optimizer"] == "adam" and run["params"]["lr"] == 0.02 and run["params"]["beta2"] == 0.999
    assert [link.get("milestone") for link in run["optimizers"]] == [None, 100]
    assert run["optimizers"][1]["params"] == {"lr": 0.0005, "beta": 0.9, "variant": "classic", "bias_correction": False}
    assert run["switches"] == [100] and len(run["x"]) == 201
    events = parse_sse(client.post("/api/v1/trajectories/stream", json=body).text)
    assert events[0][1]["runs"][0]["optimizers"] == run["optimizers"]
    assert events[-1] == ("done", {"runs": [{"status": "max_steps", "steps_taken": 200, "switches": [100]}]})
    # the resolved run, sent back, is the same run (optimizer and params equal to the first link's)
    again = {k: run[k] for k in ("label", "optimizer", "params", "optimizers")}
    r2 = client.post("/api/v1/trajectories", json=_body(again))
    assert r2.status_code == 200 and strict_loads(r2.text)["runs"][0]["x"] == run["x"]


def test_a_chain_without_a_label_is_named_by_its_links(client) -> None:
    body = {**ROSEN, "runs": [{"optimizers": [ADAM, MOM]}, {"optimizers": [ADAM, MOM]}, ADAM]}
    runs = strict_loads(client.post("/api/v1/trajectories", json=body).text)["runs"]
    assert [r["label"] for r in runs] == ["Adam → Momentum @ 100", "Adam → Momentum @ 100 #2", "Adam"]


def test_a_run_without_a_chain_answers_as_before(client) -> None:
    run = strict_loads(client.post("/api/v1/trajectories", json=_body(ADAM)).text)["runs"][0]
    assert "optimizers" not in run and "switches" not in run


BAD = [
    ("order", {"optimizers": [ADAM, {**MOM, "milestone": 120}, {**MOM, "milestone": 80}]}, "strictly increasing"),
    ("repeated", {"optimizers": [ADAM, MOM, MOM]}, "strictly increasing"),
    ("at_steps", {"optimizers": [ADAM, {**MOM, "milestone": 200}]}, "between 1 and steps − 1 (199)"),
    ("past_steps", {"optimizers": [ADAM, {**MOM, "milestone": 5000}]}, "milestone 5000"),
    ("zero", {"optimizers": [ADAM, {**MOM, "milestone": 0}]}, "milestone"),
    ("first_milestone", {"optimizers": [{**ADAM, "milestone": 3}, MOM]}, "takes no milestone"),
    ("no_milestone", {"optimizers": [ADAM, {"optimizer": "gd"}]}, "needs a milestone"),
    (
        "closure_middle",
        {"optimizers": [ADAM, {"milestone": 50, "optimizer": "lbfgs"}, MOM]},
        "closure optimizer in the middle",
    ),
    ("unknown", {"optimizers": [ADAM, {**MOM, "optimizer": "adamm"}]}, "adamw"),
    ("unknown_param", {"optimizers": [ADAM, {**MOM, "params": {"lrr": 0.1}}]}, "lrr"),
    ("matrix", {"optimizers": [ADAM, {**MOM, "optimizer": "muon", "params": {}}]}, "muon"),
    ("other_optimizer", {"optimizer": "gd", "optimizers": [ADAM, MOM]}, "not the first link"),
    ("other_params", {"optimizer": "adam", "params": {"lr": 0.5}, "optimizers": [ADAM, MOM]}, "optimizers[0].params"),
    ("empty", {"optimizers": []}, "optimizers"),
    ("plateau", {"optimizers": [ADAM, MOM], "schedule": {"name": "reduce_on_plateau"}}, "reads the loss"),
]


@pytest.mark.parametrize("run,needle", [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_chains_are_a_clear_422(client, run: dict, needle: str) -> None:
    for path in ("/api/v1/trajectories", "/api/v1/trajectories/stream"):
        r = client.post(path, json=_body(run))
        assert r.status_code == 422, (path, r.text)
        detail = r.json()["detail"]
        assert any("runs" in e["loc"] for e in detail), detail
        assert needle in r.text, r.text


def test_a_dataset_milestone_falls_on_an_epoch(client) -> None:
    gd = {"optimizer": "gd", "params": {"lr": 0.5}}
    body = {
        "surface": "logistic_regression",
        "steps": 100,
        "runs": [{"optimizers": [gd, {**gd, "milestone": 45}], "batch_size": 100}],
    }
    r = client.post("/api/v1/trajectories", json=body)
    assert r.status_code == 422 and "multiple of 10" in r.text
    assert r.json()["detail"][0]["loc"] == ["body", "runs", 0, "optimizers", 1, "milestone"]
    body["runs"][0]["optimizers"][1]["milestone"] = 50
    assert client.post("/api/v1/trajectories", json=body).status_code == 200


@pytest.mark.parametrize(
    "path,extra,needle",
    [
        ("/api/v1/export", {}, "export"),
    ],
)
def test_where_chains_do_not_run_yet_a_422_says_so(client, path: str, extra: dict, needle: str) -> None:
    r = client.post(path, json={**_body({"optimizers": [ADAM, MOM]}), **extra})
    assert r.status_code == 422 and needle in r.text, r.text


def test_the_422_is_in_chinese_too(client) -> None:
    r = client.post("/api/v1/trajectories?lang=zh", json=_body({"optimizers": [ADAM, {**MOM, "milestone": 300}]}))
    assert r.status_code == 422 and "不在运行范围内" in r.text


def test_a_links_error_points_at_the_link(client) -> None:
    """Polyak's f* on a typed formula, missing in the second link: the 422 is located there."""
    polyak = {"optimizer": "polyak_sgd", "params": {"f_min": 0.0}}
    body = {
        "surface": {"expression": "x^2 + 3*y^2"},
        "steps": 60,
        "runs": [{"optimizers": [polyak, {"milestone": 20, "optimizer": "polyak_sgd"}], "noise_std": 0.1}],
    }
    r = client.post("/api/v1/trajectories", json=body)
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == [
        "body",
        "runs",
        0,
        "optimizers",
        1,
        "params",
        "f_min",
    ]
    body["runs"][0]["optimizers"][1]["params"] = {"f_min": 0.0}
    run = client.post("/api/v1/trajectories", json=body).json()["runs"][0]
    assert run["switches"] == [20] and len(run["x"]) == 61
