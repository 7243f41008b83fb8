"""Every documented error: a 4xx that names the field and the reason; never a 5xx."""

import pytest

OK_RUN = {"optimizer": "adam"}


def post(client, body, path="/api/v1/trajectories"):
    return client.post(path, json=body)


CASES = [
    ({"surface": "rosenbrok", "runs": [OK_RUN]}, ["surface"], ["rosenbrock", "himmelblau"]),
    ({"surface": "rosenbrock", "runs": [{"optimizer": "adamm"}]}, ["runs", 0, "optimizer"], ["'adam'", "'gd'"]),
    (
        {"surface": "rosenbrock", "runs": [{"optimizer": "adam", "schedule": {"name": "cosin"}}]},
        ["runs", 0, "schedule", "name"],
        ["'cosine'"],
    ),
    ({"surface": "rosenbrock", "runs": [{"optimizer": "adam", "params": {"lrr": 0.1}}]}, ["runs", 0], ["'lrr'", "lr"]),
    ({"surface": "rosenbrock", "runs": [OK_RUN], "stepz": 3}, ["stepz"], ["Extra inputs"]),
    ({"surface": "rosenbrock", "runs": [{"optimizer": "adam", "lable": "x"}]}, ["runs", 0, "lable"], ["Extra"]),
    ({"surface": "rosenbrock", "runs": [{"optimizer": "adam", "params": {"lr": -1}}]}, ["runs", 0], ["'lr'", ">="]),
    ({"surface": "rosenbrock", "runs": [{"optimizer": "adam", "params": {"beta1": 1.0}}]}, ["runs", 0], ["beta1", "<"]),
    (
        {"surface": "rosenbrock", "runs": [{"optimizer": "adam", "params": {"amsgrad": "yes"}}]},
        ["runs", 0],
        ["amsgrad"],
    ),
    ({"surface": "rosenbrock", "runs": [{"optimizer": "momentum", "params": {"variant": "x"}}]}, ["runs", 0], ["ewa"]),
    (
        {
            "surface": "rosenbrock",
            "runs": [{"optimizer": "adam", "schedule": {"name": "step", "params": {"step_size": 0}}}],
        },
        ["runs", 0, "schedule"],
        ["step_size"],
    ),
    ({"surface": "rosenbrock", "steps": 20001, "runs": [OK_RUN]}, ["steps"], ["20000"]),
    ({"surface": "rosenbrock", "steps": 0, "runs": [OK_RUN]}, ["steps"], ["1"]),
    ({"surface": "rosenbrock", "runs": [OK_RUN] * 17}, ["runs"], ["16"]),
    ({"surface": "rosenbrock", "runs": []}, ["runs"], ["at least 1"]),
    ({"surface": "rosenbrock", "start": [1, "a"], "runs": [OK_RUN]}, ["start", 1], ["number"]),
    ({"surface": "rosenbrock", "start": [1e5, 0], "runs": [OK_RUN]}, ["start"], ["outside"]),
    (
        {"surface": {"expression": "log(x)", "x_range": [-1, 1]}, "start": [-0.5, 0], "runs": [OK_RUN]},
        ["start"],
        ["cannot start"],
    ),
    ({"surface": {"expression": "x^2 + q"}, "runs": [OK_RUN]}, ["surface", "custom", "expression"], ["'q'", "column"]),
    ({"surface": {"expression": "x" * 301}, "runs": [OK_RUN]}, ["surface", "custom", "expression"], ["300"]),
    ({"surface": {"expression": "x", "x_range": [1, -1]}, "runs": [OK_RUN]}, ["surface", "custom", "x_range"], ["low"]),
    ({"surface": 5, "runs": [OK_RUN]}, ["surface"], ["built-in surface id"]),
    (
        {"surface": "rosenbrock", "runs": [{"optimizer": "adam", "batch_size": 8}]},
        ["runs", 0, "batch_size"],
        ["dataset"],
    ),
    (
        {"surface": "linear_regression", "runs": [{"optimizer": "adam", "batch_size": 5000}]},
        ["runs", 0, "batch_size"],
        ["1000"],
    ),
    (
        {"surface": "linear_regression", "runs": [{"optimizer": "adam", "noise_std": 1.0}]},
        ["runs", 0, "noise_std"],
        ["batch_size"],
    ),
    (
        {"surface": "rosenbrock", "runs": [{"optimizer": "adam", "schedule": {"name": "step", "per": "epoch"}}]},
        ["runs", 0, "schedule", "per"],
        ["dataset"],
    ),
    ({"surface": "rosenbrock", "tolerance": -1, "runs": [OK_RUN]}, ["tolerance"], ["0"]),
    ({"surface": "rosenbrock", "seed": -1, "runs": [OK_RUN]}, ["seed"], ["0"]),
    (
        {"surface": "rosenbrock", "runs": [{"optimizer": "adam", "clip_norm": 0}]},
        ["runs", 0, "clip_norm"],
        ["greater than 0"],
    ),
    # labels are printed by the exported scripts: no terminal escapes (OSC 52 clipboard, OSC 8 links), no bidi
    *(
        ({"surface": "rosenbrock", "runs": [{"optimizer": "adam", "label": label}]}, ["runs", 0, "label"], [why])
        for label, why in [
            ("Adam\x1b]52;c;ZWNobyBoaQ==\x07", "U+001B at position 4"),
            ("\x1b]8;;https://x.invalid\x1b\\Adam\x1b]8;;\x1b\\", "control character"),
            ("Adam\x9b31m", "U+009B"),
            ("Adam\u202e", "U+202E"),
            ("Ad\nam", "U+000A"),
        ]
    ),
]


@pytest.mark.parametrize(("body", "loc", "words"), CASES, ids=[str(c[1]) for c in CASES])
@pytest.mark.parametrize("path", ["/api/v1/trajectories", "/api/v1/trajectories/stream"])
def test_error_names_field_and_reason(client, body, loc, words, path) -> None:
    r = post(client, body, path)
    assert r.status_code == 422, r.text
    detail = r.json()["detail"]
    match = [d for d in detail if d["loc"][1 : 1 + len(loc)] == loc]
    assert match, detail
    msg = " ".join(d["msg"] for d in match)
    for w in words:
        assert w in msg, (w, msg)


def test_a_label_may_hold_any_printable_text(client) -> None:
    label = "Adam β₁=0.9 · 学习率 0.01 ✓"
    r = post(client, {"surface": "booth", "steps": 3, "runs": [{"optimizer": "adam", "label": label}]})
    assert r.status_code == 200 and r.json()["runs"][0]["label"] == label


@pytest.mark.parametrize("token", [b"NaN", b"Infinity", b"-Infinity"])
def test_non_finite_tokens_refused(client, token) -> None:
    raw = b'{"surface": "rosenbrock", "start": [' + token + b', 1], "runs": [{"optimizer": "adam"}]}'
    r = client.post("/api/v1/trajectories", content=raw, headers={"content-type": "application/json"})
    assert r.status_code == 422 and "NaN" in r.text


@pytest.mark.parametrize(
    "raw",
    [
        b"{",
        b"[]",
        b"null",
        b'"x"',
        b"",
        b"\xff\xfe",
        b"{" * 5000 + b"}" * 5000,
        b'{"surface": "rosenbrock", "runs": [{"optimizer": "adam", "params": 1e999}]}',
    ],
)
def test_broken_bodies_are_4xx(client, raw) -> None:
    r = client.post("/api/v1/trajectories", content=raw, headers={"content-type": "application/json"})
    assert 400 <= r.status_code < 500
    assert "Traceback" not in r.text and "/work" not in r.text and "site-packages" not in r.text


def test_body_too_large(client) -> None:
    raw = b'{"surface": "rosenbrock", "runs": [{"optimizer": "adam", "label": "' + b"x" * 2_000_000 + b'"}]}'
    r = client.post("/api/v1/trajectories", content=raw, headers={"content-type": "application/json"})
    assert r.status_code == 413 and "limit" in r.json()["detail"]


def test_grid_errors(client) -> None:
    assert client.post("/api/v1/grid", json={"surface": "rosenbrock", "n": 201}).status_code == 422
    assert client.post("/api/v1/grid", json={"surface": "rosenbrock", "n": 1}).status_code == 422
    r = client.post("/api/v1/grid", json={"surface": "nope"})
    assert r.status_code == 422 and "rosenbrock" in r.text
    assert client.post("/api/v1/grid", json={"surface": "rosenbrock", "m": 3}).status_code == 422


def test_wrong_method_and_path(client) -> None:
    assert client.get("/api/v1/trajectories").status_code == 405
    assert client.get("/api/v1/nothing").status_code == 404


def test_closure_optimizers_refuse_a_schedule_that_reads_the_loss(client) -> None:
    """L-BFGS and Newton evaluate the loss several times per update: ReduceLROnPlateau is refused by
    name, not run as a constant rate."""
    for opt in ("lbfgs", "newton"):
        r = client.post(
            "/api/v1/trajectories",
            json={
                "surface": "rosenbrock",
                "steps": 20,
                "runs": [{"optimizer": opt, "schedule": {"name": "reduce_on_plateau", "params": {"patience": 2}}}],
            },
        )
        assert r.status_code == 422, r.text
        d = r.json()["detail"][0]
        assert d["loc"][-2:] == ["schedule", "name"] and "reduce_on_plateau" in d["msg"]
