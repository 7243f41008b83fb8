"""`import optiviz`: the REST API's numbers in process and over HTTP, figures, records, permalinks."""

from __future__ import annotations

import doctest
import math
from pathlib import Path

import numpy as np
import pytest

import optiviz
import optiviz._core
from app.registry import OPTIMIZERS

ROOT = Path(__file__).resolve().parents[2]

# same request → same bytes: built-in with a schedule and internals, a typed formula, mini-batches
CASES = [
    dict(
        surface="rosenbrock",
        start=[-1.2, 1.0],
        steps=300,
        tolerance=1e-8,
        include_state=True,
        runs=[
            {"optimizer": "adam", "params": {"lr": 0.05}, "schedule": {"name": "cosine", "params": {"t_max": 300}}},
            {"optimizer": "momentum", "params": {"lr": 0.002, "beta": 0.9}, "label": "heavy ball"},
        ],
    ),
    dict(
        surface={"expression": "x^2 + 10*y^2 + sin(3*x)", "x_range": [-3, 3], "y_range": [-2, 2]},
        steps=200,
        runs=[{"optimizer": "rmsprop", "params": {"lr": 0.01}}, {"optimizer": "gd", "params": {"lr": 0.04}}],
    ),
    dict(
        surface="logistic_regression",
        steps=100,
        seed=7,
        runs=[{"optimizer": "adamw", "batch_size": 8}, {"optimizer": "nesterov", "batch_size": 1}],
    ),
    dict(surface="booth", steps=100, runs=[{"optimizer": "adagrad", "noise_std": 0.5}], seed=3),
    dict(
        surface="himmelblau",
        steps=150,
        include_state=True,
        runs=[
            {
                "optimizer": "adam",
                "params": {"lr": 0.3},
                "schedule": {"name": "reduce_on_plateau", "params": {"patience": 3, "factor": 0.5}},
            },
            {
                "optimizer": "sgd",
                "params": {"lr": 0.002},
                "schedule": {"name": "one_cycle", "params": {"total_steps": 150, "cycle_momentum": True}},
            },
            {
                "optimizer": "gd",
                "params": {"lr": 0.01},
                "schedule": {"name": "constant", "chain": [{"milestone": 50, "name": "exponential"}]},
            },
        ],
    ),
    dict(
        surface="rosenbrock",
        steps=30,
        runs=[
            {"optimizer": "lbfgs", "params": {"max_iter": 3}, "noise_std": 0.2},
            {"optimizer": "newton", "params": {"lr": 0.5}},
        ],
        seed=2,
    ),
]


@pytest.mark.parametrize(
    "case", CASES, ids=["schedule+state", "formula", "mini-batches", "noise", "read the run", "lbfgs+newton"]
)
def test_run_gives_the_rest_apis_bytes(client, case) -> None:
    res = optiviz.run(**case)
    resp = client.post("/api/v1/trajectories", json=res.request)
    assert resp.status_code == 200
    assert res.to_json() == resp.content
    for r in res.runs:  # typed: NumPy float arrays, one point more than updates
        assert r.x.dtype == np.float64 and len(r.x) == r.steps_taken + 1 == len(r.lr) + 1
        assert r.status in ("converged", "diverged", "max_steps")
    if res.runs[0].optimizer == "lbfgs":  # its loss evaluations, typed (the update each belongs to as ints)
        assert res.runs[0].evals["step"].dtype == np.int64 and len(res.runs[0].evals["x"]) > 30
        assert res.runs[1].evals is None
        fig = res.figure(40)
        assert [t.meta["run"] for t in fig.data if t.meta and t.meta.get("role") == "evals"] == [0]
    if case.get("include_state"):
        assert set(res.runs[0].state) == {"gx", "gy", "mx", "my", "eff_lr_x", "eff_lr_y"}
        assert len(res.runs[0].state["gx"]) == res.runs[0].steps_taken


BAD = [
    (dict(surface="nope", runs=[{"optimizer": "adam"}]), ("body", "surface")),
    (dict(surface="booth", runs=[{"optimizer": "adam", "params": {"lrr": 1}}]), ("body", "runs", 0)),
    (dict(surface="booth", runs=[{"optimizer": "adam"}], steps=0), ("body", "steps")),
    (dict(surface="booth", runs=[{"optimizer": "adam", "batch_size": 4}]), ("body", "runs", 0, "batch_size")),
    (
        dict(surface={"expression": "x^2 +* y"}, runs=[{"optimizer": "adam"}]),
        ("body", "surface", "custom", "expression"),
    ),
]


@pytest.mark.parametrize("kwargs,loc", BAD)
def test_bad_input_raises_what_the_422_says(client, kwargs, loc) -> None:
    with pytest.raises(optiviz.ValidationError) as err:
        optiviz.run(**kwargs)
    resp = client.post("/api/v1/trajectories", json=optiviz.request_body(**kwargs))
    assert resp.status_code == 422
    detail = resp.json()["detail"]
    assert [tuple(e["loc"]) for e in err.value.errors] == [tuple(e["loc"]) for e in detail]
    assert [e["msg"] for e in err.value.errors] == [e["msg"] for e in detail]
    assert ".".join(str(p) for p in loc[1:]) in str(err.value)  # the message names the field


def test_numpy_arguments_are_plain_json() -> None:
    res = optiviz.run(
        surface="booth",
        start=np.array([1.0, 2.0]),
        steps=np.int64(5),
        runs=[{"optimizer": "gd", "params": {"lr": np.float32(0.05)}}],
    )
    assert res.request["start"] == [1.0, 2.0] and res.request["steps"] == 5 and res.runs[0].steps_taken == 5


def test_a_misspelt_option_is_refused() -> None:
    with pytest.raises(TypeError, match="'step'"):
        optiviz.run(surface="booth", runs=[{"optimizer": "gd"}], step=5)  # type: ignore[call-arg]
    assert optiviz.request_body("booth", [], steps=0, seed=0, include_state=False) == {
        "surface": "booth",
        "runs": [],
        "steps": 0,
        "seed": 0,
    }


def test_client_against_a_live_server(server, monkeypatch) -> None:
    seen = []
    decode = optiviz._core._decode
    monkeypatch.setattr(
        optiviz._core, "_decode", lambda raw, enc, strict=True: seen.append(enc) or decode(raw, enc, strict)
    )
    api = optiviz.Client(server + "/")
    for case in CASES[:3]:
        remote = api.run(**case)
        local = optiviz.run(**case)
        assert remote.to_json() == local.to_json()
    assert "gzip" in seen  # large answers come compressed, and are read
    with pytest.raises(optiviz.ValidationError) as err:
        api.run(surface="booth", runs=[{"optimizer": "adam"}], steps=0)
    assert [tuple(e["loc"]) for e in err.value.errors] == [("body", "steps")]
    fig = remote.figure(n=40)  # colours and grid from the server's catalogue and grid endpoint
    paths = [t for t in fig.data if t.meta and t.meta.get("role") == "path"]
    assert [t.line.color for t in paths] == [OPTIMIZERS[r.optimizer].color for r in remote.runs]
    assert np.array_equal(np.asarray(fig.data[0].x), np.linspace(*remote.surface["x_range"], 40))


def test_figure_traces() -> None:
    res = optiviz.run(**CASES[0])
    fig = res.figure(n=50)
    contour, minimum, *rest = fig.data
    assert (list(minimum.x), list(minimum.y)) == ([1.0], [1.0])  # Rosenbrock's minimum, marked
    assert contour.type == "contour" and np.shape(contour.z) == (50, 50)
    grid = res.grid(50)
    z = np.array(grid["z"], dtype=float)  # rosenbrock: log contours as in the studio
    zmin = z.min()
    assert np.allclose(contour.z, np.log10(z - zmin + max((z.max() - zmin) * 1e-6, 1e-12)))
    assert len(rest) == 3 * len(res.runs)
    for i, run in enumerate(res.runs):
        path, start, loss = rest[3 * i : 3 * i + 3]
        color = OPTIMIZERS[run.optimizer].color
        assert (path.type, path.mode, path.name, path.line.color) == ("scatter", "lines", run.label, color)
        assert np.array_equal(path.x, run.x) and np.array_equal(path.y, run.y)
        assert (start.x[0], start.y[0]) == (run.x[0], run.y[0]) and start.marker.color == color
        assert loss.xaxis == "x2" and loss.line.color == color and np.array_equal(loss.y, run.loss)
        assert path.legendgroup == start.legendgroup == loss.legendgroup  # one legend entry toggles both
        assert path.showlegend is not False and loss.showlegend is False
    assert fig.layout.yaxis2.type == "log"
    html = fig.to_html(include_plotlyjs=False, full_html=False)  # plotly's own export
    assert "heavy ball" in html


def test_to_records() -> None:
    res = optiviz.run(**CASES[0])
    records = res.to_records()
    assert len(records) == sum(len(r.x) for r in res.runs)
    first, last = records[0], records[len(res.runs[0].x) - 1]
    assert first == {
        "run": 0,
        "label": "Adam",
        "optimizer": "adam",
        "t": 0,
        "x": -1.2,
        "y": 1.0,
        "loss": res.runs[0].loss[0],
        "lr": res.runs[0].lr[0],
        "grad_norm": res.runs[0].grad_norm[0],
    }
    assert last["t"] == res.runs[0].steps_taken and math.isnan(last["lr"])
    assert records[len(res.runs[0].x)]["label"] == "heavy ball"
    assert all(type(v) in (int, float, str) for v in first.values())  # plain values: pandas, csv, json


def test_doctests() -> None:
    failures, tried = doctest.testmod(optiviz, optionflags=doctest.ELLIPSIS)  # its classes' docstrings too
    assert tried and not failures


def test_readme_example_runs() -> None:
    failures, tried = doctest.testfile(str(ROOT / "README.md"), module_relative=False, optionflags=doctest.ELLIPSIS)
    assert tried and not failures


def test_an_optimizer_chain_in_process() -> None:
    """A run's ``optimizers`` (Adam, then momentum from update 40): the result says where it switched."""
    chain = [
        {"optimizer": "adam", "params": {"lr": 0.02}},
        {"milestone": 40, "optimizer": "momentum", "params": {"lr": 0.0005, "variant": "classic"}},
    ]
    res = optiviz.run(surface="rosenbrock", runs=[{"optimizers": chain}], steps=100)
    run = res.runs[0]
    assert run.optimizer == "adam" and run.switches == [40] and len(run.x) == 101
    assert run.optimizers is not None and [o["optimizer"] for o in run.optimizers] == ["adam", "momentum"]
    with pytest.raises(optiviz.ValidationError, match="strictly increasing"):
        optiviz.run(surface="rosenbrock", runs=[{"optimizers": [chain[0], chain[1], chain[1]]}], steps=100)
