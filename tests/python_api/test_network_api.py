"""`optiviz.train`: the network request in process and over HTTP, its NumPy views, another plane,
records and the figure (the landscape with every path, the losses per epoch)."""

from __future__ import annotations

import numpy as np
import pytest

import optiviz
from app.registry import OPTIMIZERS

RUNS = [
    {"optimizer": "gd", "params": {"lr": 0.3}, "batch_size": 32},
    {"optimizer": "momentum", "params": {"lr": 0.3, "beta": 0.9}, "batch_size": 32, "label": "动量 momentum"},
    {"optimizer": "adam", "params": {"lr": 0.02}, "schedule": {"name": "cosine", "params": {"t_max": 30}}},
]
OPTIONS = dict(
    data={"name": "circles", "samples": 160, "noise": 0.1, "seed": 2},
    model={"hidden": [6, 4], "activation": "tanh"},
    epochs=30,
    seed=1,
    plane={"kind": "pca", "n": 9},
)


@pytest.fixture(scope="module")
def res() -> optiviz.NetworkResult:
    return optiviz.train(RUNS, **OPTIONS)


def test_train_gives_the_rest_apis_bytes(client, res) -> None:
    """In process, the same validation, numbers and bytes as POST /api/v1/networks."""
    body = optiviz.network_body(RUNS, **OPTIONS)
    assert res.request == body
    answer = client.post("/api/v1/networks", json=body)
    assert answer.status_code == 200, answer.text
    assert res.to_json() == answer.content


def test_numpy_views_follow_the_contract(res) -> None:
    """P, the layout in torch's order, the data, the init, per-epoch and per-update arrays, the
    recorded path and the plane, as NumPy arrays of the contract's shapes."""
    assert res.parameters == 2 * 6 + 6 + 6 * 4 + 4 + 4 + 1
    assert [(layer["name"], layer["shape"]) for layer in res.layout] == [
        ("W1", [6, 2]),
        ("b1", [6]),
        ("W2", [4, 6]),
        ("b2", [4]),
        ("W3", [1, 4]),
        ("b3", [1]),
    ]
    assert res.init.shape == (res.parameters,)
    assert res.x_train.shape == (120, 2) and res.y_train.shape == (120,)  # 160 samples, a quarter held out
    assert res.x_test.shape == (40, 2) and set(np.unique(res.y_test)) <= {0.0, 1.0}
    per_epoch = 120 // 32 + 1
    for r, asked in zip(res.runs, RUNS, strict=True):
        assert r.optimizer == asked["optimizer"] and r.status == "max_steps"
        updates = 30 * (per_epoch if "batch_size" in asked else 1)
        assert r.steps_taken == updates and r.lr.shape == r.batch_loss.shape == (updates,)
        for key in ("train_loss", "test_loss", "train_accuracy", "test_accuracy"):
            assert getattr(r, key).shape == (31,), key
        assert r.train_loss[-1] < r.train_loss[0]
        assert r.path["step"][0] == 0 and r.path["step"][-1] == updates
        assert r.path["params"].shape == (len(r.path["step"]), res.parameters)
        np.testing.assert_array_equal(r.path["params"][0], res.init)
        np.testing.assert_array_equal(r.path["params"][-1], r.final)
        assert all(r.path[k].shape == r.path["step"].shape for k in ("a", "b", "loss", "plane_loss", "off_plane"))
        assert 0.0 <= r.captured <= 1.0 + 1e-12
    assert res.runs[1].label == "动量 momentum"
    plane = res.plane
    assert plane["loss"].shape == (9, 9) and plane["directions"].shape == (2, res.parameters)
    np.testing.assert_allclose(plane["directions"] @ plane["directions"].T, np.eye(2), atol=1e-12)
    # the path's coordinates are the projections onto the plane's directions (the contract's rule)
    r = res.runs[2]
    a, b = ((r.path["params"] - plane["origin"]) @ plane["directions"].T).T
    np.testing.assert_allclose(a, r.path["a"], atol=1e-9)
    np.testing.assert_allclose(b, r.path["b"], atol=1e-9)


def test_points_bound_the_recorded_parameters() -> None:
    few = optiviz.train(RUNS[:1], **{**OPTIONS, "epochs": 5, "points": 4})
    assert list(few.request) == ["data", "model", "epochs", "seed", "runs", "points", "plane"]
    assert few.runs[0].path["params"].shape == (4, few.parameters)
    assert few.runs[0].path["step"][[0, -1]].tolist() == [0, few.runs[0].steps_taken]


def test_records_one_row_per_run_and_epoch(res) -> None:
    rows = res.to_records()
    assert len(rows) == 3 * 31
    assert rows[31] == {
        "run": 1,
        "label": "动量 momentum",
        "optimizer": "momentum",
        "epoch": 0,
        "train_loss": float(res.runs[1].train_loss[0]),
        "test_loss": float(res.runs[1].test_loss[0]),
        "train_accuracy": float(res.runs[1].train_accuracy[0]),
        "test_accuracy": float(res.runs[1].test_accuracy[0]),
    }
    assert rows[0]["train_loss"] == rows[31]["train_loss"]  # one init for every run


def test_another_plane_without_retraining(client, res) -> None:
    """`with_plane` asks POST /api/v1/networks/plane: the same runs (losses, parameters), their
    paths on the new plane, the plane endpoint's numbers."""
    other = res.with_plane({"kind": "random", "n": 7, "seed": 3})
    assert other.plane["kind"] == "random" and other.plane["loss"].shape == (7, 7)
    assert other.request["plane"] == {"kind": "random", "n": 7, "seed": 3}
    part = client.post("/api/v1/networks/plane", json=other.request).json()
    for r, before, on_plane in zip(other.runs, res.runs, part["runs"], strict=True):
        np.testing.assert_array_equal(r.train_loss, before.train_loss)
        np.testing.assert_array_equal(r.path["params"], before.path["params"])
        np.testing.assert_array_equal(r.path["a"], on_plane["path"]["a"])
        assert r.captured == on_plane["captured"]
    assert [r.captured for r in other.runs] != [r.captured for r in res.runs]
    line = res.with_plane("line")
    assert line.plane["kind"] == "line" and line.runs[0].captured > 0.99  # run 0's init→final line holds it


def test_figure_draws_the_landscape_paths_and_losses(res) -> None:
    """Left: the plane's loss as a contour under every path (from the shared start); right: each
    run's train and test loss per epoch, in its optimizer's colour; the fidelity in the legend."""
    fig = res.figure()
    by_role: dict[str, list] = {}
    for t in fig.data:
        by_role.setdefault(t.meta["role"], []).append(t)
    (land,) = by_role["landscape"]
    np.testing.assert_array_equal(np.asarray(land.z), res.plane["loss"])
    np.testing.assert_array_equal(np.asarray(land.x), res.plane["a"])
    for i, r in enumerate(res.runs):
        path, start = by_role["path"][i], by_role["start"][i]
        np.testing.assert_array_equal(np.asarray(path.x), r.path["a"])
        np.testing.assert_array_equal(np.asarray(path.y), r.path["b"])
        assert (start.x[0], start.y[0]) == (r.path["a"][0], r.path["b"][0])
        assert path.name == f"{r.label} ({100 * r.captured:.0f} % on the plane)"
        np.testing.assert_array_equal(np.asarray(by_role["train_loss"][i].y), r.train_loss)
        np.testing.assert_array_equal(np.asarray(by_role["test_loss"][i].y), r.test_loss)
        assert path.line.color == by_role["train_loss"][i].line.color == OPTIMIZERS[r.optimizer].color
    assert "% explained (a random walk:" in fig.layout.annotations[0].text
    # the colour bar sits between the panels, clear of the map and of the loss panel's tick labels
    # and axis title (it once overlapped them): at least 9 % of the width left for those
    bar = land.colorbar
    assert bar.xanchor == "left" and fig.layout.xaxis.domain[1] < bar.x < fig.layout.xaxis2.domain[0] - 0.09


def test_torch_script_is_the_export(client, res) -> None:
    """The request as a PyTorch script: POST /api/v1/networks/export's text."""
    script = res.torch_script()
    assert script == client.post("/api/v1/networks/export", json=res.request).text
    assert "torch.optim.Adam([p]" in script and "EWAMomentum([p]" in script


def test_bad_input_raises_what_the_422_says(client) -> None:
    with pytest.raises(optiviz.ValidationError) as err:
        optiviz.train([{"optimizer": "adam", "params": {"lr": -1}}], epochs=3)
    assert [tuple(e["loc"]) for e in err.value.errors] == [("body", "runs", 0)]
    assert "lr" in str(err.value)
    with pytest.raises(optiviz.ValidationError) as err:
        optiviz.train([{"optimizer": "gd"}], model={"hidden": [64, 64, 64, 64]})
    detail = client.post("/api/v1/networks", json={"runs": [{"optimizer": "gd"}], "model": {"hidden": [64] * 4}})
    assert detail.status_code == 422
    assert [e["msg"] for e in err.value.errors] == [e["msg"] for e in detail.json()["detail"]]
    with pytest.raises(TypeError, match="'epoch'"):
        optiviz.train([{"optimizer": "gd"}], epoch=3)  # type: ignore[call-arg]


def test_client_trains_on_a_live_server(server, res) -> None:
    """`Client.train` asks the server: the same bytes as in process; another plane and the figure
    from the server too."""
    api = optiviz.Client(server)
    remote = api.train(RUNS, **OPTIONS)
    assert remote.to_json() == res.to_json()
    other = remote.with_plane("pca_equal")
    assert other.plane["kind"] == "pca_equal"
    assert other.to_json() == res.with_plane("pca_equal").to_json()
    paths = [t for t in remote.figure().data if t.meta["role"] == "path"]
    assert [t.line.color for t in paths] == [OPTIMIZERS[r.optimizer].color for r in remote.runs]
    assert remote.torch_script() == res.torch_script()  # a text answer, gzip-compressed on the wire
    with pytest.raises(optiviz.ValidationError):
        api.train([{"optimizer": "gd"}], epochs=0)


def test_an_optimizer_chain_trains_in_process(client) -> None:
    """A run's ``optimizers`` (Adam, then SGD with momentum from update 50, inside an epoch): the
    result says where it switched, the REST API's bytes; a bad milestone is a `ValidationError`."""
    chain = [
        {"optimizer": "adam", "params": {"lr": 0.02}},
        {"milestone": 50, "optimizer": "sgd", "params": {"lr": 0.1, "momentum": 0.9}},
    ]
    runs = [{"optimizers": chain, "batch_size": 32}, RUNS[0]]
    res = optiviz.train(runs, **OPTIONS)
    run, plain = res.runs
    assert run.optimizer == "adam" and run.switches == [50] and run.steps_taken == 30 * 4
    assert run.optimizers is not None and [o["optimizer"] for o in run.optimizers] == ["adam", "sgd"]
    assert run.optimizers[1]["milestone"] == 50 and run.optimizers[1]["params"]["momentum"] == 0.9
    assert run.lr[49] == 0.02 and run.lr[50] == 0.1
    assert plain.optimizers is None and plain.switches is None
    assert res.to_json() == client.post("/api/v1/networks", json=optiviz.network_body(runs, **OPTIONS)).content
    with pytest.raises(optiviz.ValidationError, match="milestone 120 is not within run 0"):
        optiviz.train([{"optimizers": [chain[0], {**chain[1], "milestone": 120}], "batch_size": 32}], **OPTIONS)
