"""Sweeps of an optimizer chain (issue 21): when to switch, and at what rate. Every cell is the
single run of POST /api/v1/trajectories with that chain; bad axes are clear 422s (en + zh); a
plain sweep answers as before."""

from __future__ import annotations

import time
import tracemalloc

import pytest

from app.api.schemas_lessons import SweepRequest
from app.api.service_lessons import build_sweep, sweep
from app.engine import cost
from app.engine import deadline as engine_deadline
from app.lessons.sweeps import ChainJob, ChainRows, LockstepJob
from tests.conftest import parse_sse

ADAM = {"optimizer": "adam", "params": {"lr": 0.05}}
MOMENTUM = {"optimizer": "momentum", "params": {"beta": 0.9}}
MILESTONES = [40, 150, 300, 450]
RATES = [1e-4, 3e-3, 0.05]  # the last one diverges after an early switch
CHAIN = {
    "surface": "rosenbrock",
    "start": [-1.5, 2.0],
    "steps": 600,
    "tolerance": 1e-7,
    "seed": 0,
    "optimizers": [ADAM, MOMENTUM],
    "x_param": {"name": "milestone", "values": MILESTONES},
    "y_param": {"name": "optimizers.1.lr", "values": RATES},
}
RUN_FIELDS = ("surface", "start", "steps", "tolerance", "seed")


def single(client, body, optimizers, **run):
    """The single run of POST /api/v1/trajectories with ``optimizers`` and the sweep's settings."""
    req = {k: body[k] for k in RUN_FIELDS if k in body}
    req["runs"] = [{"optimizers": optimizers, **run}]
    r = client.post("/api/v1/trajectories", json=req)
    assert r.status_code == 200, r.text
    return r.json()["runs"][0]


def assert_cell(answer, j, i, one):
    """Cell [j][i] of a sweep is the single run: status, updates, final loss (null where it
    diverged) and the updates at which a later link took over."""
    assert answer["status"][j][i] == one["status"]
    assert answer["steps_taken"][j][i] == one["steps_taken"]
    assert answer["switches"][j][i] == one.get("switches", [])
    if one["status"] == "diverged":
        assert answer["final_loss"][j][i] is None
    else:
        assert answer["final_loss"][j][i] == one["loss"][-1]  # the same run: the same float


@pytest.fixture(scope="module")
def chain_sweep(client):
    r = client.post("/api/v1/sweeps", json=CHAIN)
    assert r.status_code == 200, r.text
    return r.json()


def test_every_cell_of_a_milestone_by_rate_sweep_is_the_single_chained_run(client, chain_sweep):
    a = chain_sweep
    assert a["x_values"] == MILESTONES and a["y_values"] == RATES
    assert len(a["final_loss"]) == len(RATES) and all(len(row) == len(MILESTONES) for row in a["final_loss"])
    statuses = set()
    for j, lr in enumerate(RATES):
        for i, m in enumerate(MILESTONES):
            one = single(
                client, CHAIN, [ADAM, {**MOMENTUM, "milestone": m, "params": {**MOMENTUM["params"], "lr": lr}}]
            )
            assert_cell(a, j, i, one)
            statuses.add(one["status"])
    assert "diverged" in statuses  # the grid shows both sides of the rate
    # the switch step matters: at the slowest rate, switching later (more Adam) ends lower here
    slow = a["final_loss"][0]
    assert slow == sorted(slow, reverse=True) and slow[0] > 10 * slow[-1]


def test_the_whole_run_s_clock_goes_on_across_the_switch(client):
    """Gradient noise and a whole-run cosine schedule: a later link takes the draws and the rates of
    the updates it makes (its leg's clock), in every cell as in the single run."""
    body = {
        **CHAIN,
        "surface": "himmelblau",
        "start": [0.5, -3.0],
        "steps": 400,
        "seed": 7,
        "noise_std": 0.3,
        "schedule": {"name": "cosine", "params": {"t_max": 400}},
        "x_param": {"name": "milestone", "values": [60, 200, 333]},
        "y_param": {"name": "optimizers.1.beta", "values": [0.5, 0.95]},
    }
    a = client.post("/api/v1/sweeps", json=body).json()
    for j, beta in enumerate([0.5, 0.95]):
        for i, m in enumerate([60, 200, 333]):
            link = {"optimizer": "momentum", "milestone": m, "params": {"beta": beta}}
            one = single(client, body, [ADAM, link], noise_std=0.3, schedule=body["schedule"])
            assert_cell(a, j, i, one)
    assert len({v for row in a["final_loss"] for v in row}) == 6


SEQUENTIAL = {
    "name": "constant",
    "chain": [{"milestone": 100, "name": "step", "params": {"step_size": 20, "gamma": 0.5}}],
}


def test_a_swept_rate_follows_a_chained_schedule(client):
    """torch's SequentialLR (`schedule.chain`) over the whole run: a rate swept per row (link 0's in
    a plain sweep, link 1's in a chain) follows it as the single run's does (lockstep rows once
    took the first schedule alone)."""
    plain = {**PLAIN, "tolerance": 0.0, "schedule": SEQUENTIAL, "x_param": {"name": "lr", "values": [0.01, 0.05]}}
    plain["y_param"] = {"name": "beta1", "values": [0.9]}
    a = client.post("/api/v1/sweeps", json=plain).json()
    for i, lr in enumerate([0.01, 0.05]):
        req = {k: plain[k] for k in RUN_FIELDS}
        req["runs"] = [
            {"optimizer": "adam", "params": {"beta2": 0.999, "lr": lr, "beta1": 0.9}, "schedule": SEQUENTIAL}
        ]
        one = client.post("/api/v1/trajectories", json=req).json()["runs"][0]
        assert a["final_loss"][0][i] == one["loss"][-1] and a["status"][0][i] == one["status"]
    chained = {**CHAIN, "steps": 300, "tolerance": 0.0, "schedule": SEQUENTIAL}
    chained["x_param"] = {"name": "milestone", "values": [50, 150]}
    chained["y_param"] = {"name": "optimizers.1.lr", "values": [1e-4, 1e-3]}
    a = client.post("/api/v1/sweeps", json=chained).json()
    for j, lr in enumerate([1e-4, 1e-3]):
        for i, m in enumerate([50, 150]):
            link = {**MOMENTUM, "milestone": m, "params": {**MOMENTUM["params"], "lr": lr}}
            assert_cell(a, j, i, single(client, chained, [ADAM, link], schedule=SEQUENTIAL))


def test_a_cell_that_stops_before_its_milestone_has_no_switch(client):
    body = {
        **CHAIN,
        "surface": "round_bowl",
        "start": [1.0, 1.0],
        "tolerance": 1e-6,
        "optimizers": [{"optimizer": "adam", "params": {"lr": 0.1}}, MOMENTUM],
        "x_param": {"name": "milestone", "values": [20, 590]},
        "y_param": {"name": "optimizers.1.lr", "values": [0.01]},
    }
    a = client.post("/api/v1/sweeps", json=body).json()
    assert a["switches"][0][0] == [20] and a["switches"][0][1] == []
    for i, m in enumerate([20, 590]):
        link = {**MOMENTUM, "milestone": m, "params": {**MOMENTUM["params"], "lr": 0.01}}
        assert_cell(a, 0, i, single(client, body, [body["optimizers"][0], link]))
    assert a["status"][0][1] == "converged" and a["steps_taken"][0][1] < 590


def test_link_zero_and_a_three_link_chain(client):
    """A plain name is link 0's; optimizers.2.milestone moves the third link's switch."""
    gd = {"optimizer": "gd", "params": {"lr": 1e-3}}
    body = {
        **CHAIN,
        "optimizers": [ADAM, {**MOMENTUM, "milestone": 100}, gd],
        "x_param": {"name": "lr", "values": [0.01, 0.05]},
        "y_param": {"name": "optimizers.2.milestone", "values": [200, 400]},
    }
    a = client.post("/api/v1/sweeps", json=body).json()
    for j, m in enumerate([200, 400]):
        for i, lr in enumerate([0.01, 0.05]):
            chain = [{**ADAM, "params": {"lr": lr}}, {**MOMENTUM, "milestone": 100}, {**gd, "milestone": m}]
            assert_cell(a, j, i, single(client, body, chain))
    assert a["switches"][1][0] == [100, 400]


def test_milestones_on_epoch_boundaries_of_a_dataset_surface(client):
    """logistic_regression has m = 1000 samples: an epoch of batch 100 is 10 updates, of 200 five."""
    adam = {"optimizer": "adam", "params": {"lr": 0.05}}
    body = {
        "surface": "logistic_regression",
        "steps": 60,
        "seed": 2,
        "optimizers": [adam, {"optimizer": "momentum", "params": {"lr": 0.1}}],
        "x_param": {"name": "milestone", "values": [20, 40]},
        "y_param": {"name": "batch_size", "values": [100, 200]},
    }
    a = client.post("/api/v1/sweeps", json=body)
    assert a.status_code == 200, a.text
    for j, b in enumerate([100, 200]):
        for i, ms in enumerate([20, 40]):
            link = {"optimizer": "momentum", "params": {"lr": 0.1}, "milestone": ms}
            assert_cell(a.json(), j, i, single(client, body, [adam, link], batch_size=b))
    bad = client.post("/api/v1/sweeps", json={**body, "x_param": {"name": "milestone", "values": [20, 15]}})
    assert bad.status_code == 422
    msg = bad.json()["detail"][0]["msg"]
    assert (
        msg.startswith("the cell milestone = 15, batch_size = 100: milestone 15 is not an epoch")
        and "multiple of 10" in msg
    )


def test_a_chain_sweep_by_epochs(client):
    """With `epochs`, a cell of batch b runs epochs·⌈m / b⌉ updates: 30 for batch 100, 15 for 200;
    each cell is the single chained run of that many updates, its milestone within it."""
    adam = {"optimizer": "adam", "params": {"lr": 0.05}}
    body = {
        "surface": "logistic_regression",
        "epochs": 3,
        "seed": 4,
        "optimizers": [adam, {"optimizer": "momentum", "milestone": 10}],
        "x_param": {"name": "optimizers.1.lr", "values": [0.01, 0.1]},
        "y_param": {"name": "batch_size", "values": [100, 200]},
    }
    a = client.post("/api/v1/sweeps", json=body).json()
    assert a["steps_by_batch_size"] == {"100": 30, "200": 15}
    for j, b in enumerate([100, 200]):
        for i, lr in enumerate([0.01, 0.1]):
            link = {"optimizer": "momentum", "params": {"lr": lr}, "milestone": 10}
            assert_cell(a, j, i, single(client, {**body, "steps": 30 if b == 100 else 15}, [adam, link], batch_size=b))
    late = {**body, "optimizers": [adam, {"optimizer": "momentum", "milestone": 20}]}
    r = client.post("/api/v1/sweeps", json=late)
    assert r.status_code == 422
    detail = r.json()["detail"][0]
    assert detail["loc"] == ["body", "optimizers", 1, "milestone"]
    assert detail["msg"].startswith("the cell optimizers.1.lr = 0.01, batch_size = 200: milestone 20 is not within")


def test_the_stream_of_a_chain_sweep_ends_with_the_json_answer(client, chain_sweep):
    events = parse_sse(client.post("/api/v1/sweeps/stream", json=CHAIN).text)
    progress = [d["done"] for e, d in events if e == "progress"]
    assert events[-1][0] == "result" and len(progress) >= 2
    assert progress == sorted(progress) and progress[-1] == 1.0
    assert events[-1][1] == chain_sweep


BAD = [
    ({"x_param": {"name": "optimizers.5.lr", "values": [0.1]}}, ("x_param", "name"), "no link 5", "没有第 5 环"),
    (
        {"optimizers": None, "optimizer": "adam", "x_param": {"name": "milestone", "values": [100]}},
        ("x_param", "name"),
        "give the chain",
        "请在 optimizers 中给出优化器链",
    ),
    (
        {"x_param": {"name": "milestone", "values": [100.5]}},
        ("x_param",),
        "milestone = 100.5 is not a whole",
        "100.5 不是整数",
    ),
    (
        {"x_param": {"name": "milestone", "min": 10, "max": 20, "n": 4}},
        ("x_param",),
        "is not a whole number",
        "不是整数",
    ),
    (
        {
            "optimizers": [ADAM, MOMENTUM, {"optimizer": "gd", "milestone": 200}],
            "x_param": {"name": "milestone", "values": [100, 200, 250]},
        },
        ("x_param",),
        "the cell milestone = 200, optimizers.1.lr = 0.0001: the milestones of optimizers must be strictly "
        "increasing, got [200, 200]",
        "格子 milestone = 200, optimizers.1.lr = 0.0001：optimizers 的 milestone 必须严格递增，收到 [200, 200]",
    ),
    (
        {"x_param": {"name": "milestone", "values": [100, 600]}},
        ("x_param",),
        "milestone 600 is not within the run",
        "milestone 600 不在运行范围内",
    ),
    (
        {"x_param": {"name": "optimizers.0.milestone", "values": [10]}},
        ("x_param", "name"),
        "has no milestone to sweep",
        "没有可扫描的 milestone",
    ),
    (
        {"x_param": {"name": "optimizers.x.lr", "values": [10]}},
        ("x_param", "name"),
        "is not an axis of a chain",
        "不是优化器链的坐标轴",
    ),
    (
        {"y_param": {"name": "optimizers.1.beta2", "values": [0.9]}},
        ("y_param", "name"),
        "cannot sweep 'optimizers.1.beta2' for 'momentum'",
        "不能为 'momentum' 扫描",
    ),
    (
        {"x_param": {"name": "lr", "values": [0.1]}, "y_param": {"name": "optimizers.0.lr", "values": [0.1]}},
        ("y_param", "name"),
        "different parameters",
        "不同的参数",
    ),
    (
        {"x_param": {"name": "lr", "values": [0.1]}},
        ("optimizers", 1, "milestone"),
        "needs a milestone, or an axis",
        "需要 milestone",
    ),
    ({"optimizer": "momentum"}, (), "is not the first link", "不是 optimizers 的第一环"),
]


@pytest.mark.parametrize(("change", "loc", "en", "zh"), BAD)
def test_bad_chain_sweeps_are_clear_422s_in_english_and_chinese(client, change, loc, en, zh):
    body = {k: v for k, v in {**CHAIN, **change}.items() if v is not None}
    for lang, words in (("en", en), ("zh", zh)):
        r = client.post(f"/api/v1/sweeps?lang={lang}", json=body)
        assert r.status_code == 422, r.text
        detail = r.json()["detail"][0]
        assert words in detail["msg"], detail
        assert tuple(detail["loc"][1 : 1 + len(loc)]) == loc, detail
        assert client.post(f"/api/v1/sweeps/stream?lang={lang}", json=body).status_code == 422


PLAIN = {
    "surface": "rosenbrock",
    "start": [-1.5, 2.0],
    "steps": 300,
    "tolerance": 1e-5,
    "seed": 0,
    "optimizer": "adam",
    "params": {"beta2": 0.999},
    "x_param": {"name": "lr", "values": [1e-3, 0.03, 0.9]},
    "y_param": {"name": "beta1", "values": [0.0, 0.9]},
}


def test_a_plain_sweep_answers_as_before(client):
    plain = client.post("/api/v1/sweeps", json=PLAIN).json()
    assert set(plain) == {"x_values", "y_values", "final_loss", "steps_taken", "status"}
    # a one-link chain is the plain sweep (the lockstep rows), byte for byte
    one_link = {**PLAIN, "optimizers": [{"optimizer": "adam", "params": {"beta2": 0.999}}]}
    del one_link["optimizer"], one_link["params"]
    assert client.post("/api/v1/sweeps", json=one_link).content == client.post("/api/v1/sweeps", json=PLAIN).content
    # link 0's hyperparameter named as a link's goes through the chain runner: the same cells
    by_link = client.post(
        "/api/v1/sweeps", json={**one_link, "x_param": {**PLAIN["x_param"], "name": "optimizers.0.lr"}}
    ).json()
    assert by_link["switches"] == [[[]] * 3] * 2
    for key in ("x_values", "y_values", "steps_taken", "status"):
        assert by_link[key] == plain[key]
    for row, plain_row in zip(by_link["final_loss"], plain["final_loss"], strict=True):
        assert row == pytest.approx(plain_row, rel=1e-9)


def test_a_closure_optimizer_as_the_last_link(client):
    """L-BFGS from the milestone on: each cell is the single run (the chain runner's closure leg)."""
    lbfgs = {"optimizer": "lbfgs", "params": {}}
    body = {
        **CHAIN,
        "steps": 60,
        "tolerance": 0.0,
        "optimizers": [ADAM, lbfgs],
        "x_param": {"name": "milestone", "values": [10, 30]},
        "y_param": {"name": "optimizers.1.lr", "values": [0.5, 1.0]},
    }
    a = client.post("/api/v1/sweeps", json=body).json()
    for j, lr in enumerate([0.5, 1.0]):
        for i, m in enumerate([10, 30]):
            assert_cell(a, j, i, single(client, body, [ADAM, {**lbfgs, "milestone": m, "params": {"lr": lr}}]))
    events = parse_sse(client.post("/api/v1/sweeps/stream", json=body).text)  # cell by cell, streamed
    progress = [d["done"] for e, d in events if e == "progress"]
    assert progress == sorted(progress) and progress[-1] == 1.0 and events[-1] == ("result", a)


def test_a_swats_chain_places_its_switch_in_every_cell(client):
    """Adam → SGD by SWATS's rule: the Adam link's hyperparameters swept, each cell's switch step
    and rate found by its own run (cell by cell through the chain runner), as the single run's."""
    swats = {"rule": "swats", "optimizer": "sgd", "tolerance": 1e-7}
    body = {
        "surface": "himmelblau",
        "start": [-0.3, -0.9],
        "steps": 1100,
        "optimizers": [{"optimizer": "adam", "params": {"lr": 0.005}}, swats],
        "x_param": {"name": "lr", "values": [0.004, 0.005]},
        "y_param": {"name": "beta1", "values": [0.9]},
    }
    r = client.post("/api/v1/sweeps", json=body)
    assert r.status_code == 200, r.text
    a = r.json()
    for i, lr in enumerate([0.004, 0.005]):
        one = single(client, body, [{"optimizer": "adam", "params": {"lr": lr, "beta1": 0.9}}, swats])
        assert_cell(a, 0, i, one)
        assert a["swats"][0][i] == one["swats"]
    assert a["swats"][0][1]["step"] == 1015  # tests/api/test_swats.py's run
    for axis in ({"name": "milestone", "values": [10]}, {"name": "optimizers.1.momentum", "values": [0.5]}):
        bad = client.post("/api/v1/sweeps?lang=zh", json={**body, "y_param": axis})
        assert bad.status_code == 422 and "SWATS 规则" in bad.json()["detail"][0]["msg"]


LBFGS_LAST = {"optimizer": "lbfgs", "params": {"max_iter": 2}}


def test_memory_is_one_slice_of_the_running_cell_not_its_trajectory():
    """Cells with a closure optimizer last run one by one through the chain runner: two cells of
    20,000 updates, whose trajectories' five lists would hold 100,000 floats (> 3 MB); the sweep
    keeps a slice of the running cell and the cells' ends."""
    body = {
        **CHAIN,
        "steps": 20_000,
        "tolerance": 0.0,
        "optimizers": [{"optimizer": "adam", "params": {"lr": 1e-3}}, LBFGS_LAST],
        "x_param": {"name": "milestone", "values": [19_980, 19_990]},
        "y_param": {"name": "optimizers.1.lr", "values": [0.1]},
    }
    req = SweepRequest.model_validate(body)
    assert isinstance(build_sweep(req).job, ChainJob)
    sweep(req)  # compiled, cached
    tracemalloc.start()
    try:
        answer = sweep(req)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert answer["steps_taken"] == [[20_000, 20_000]] and answer["switches"] == [[[19_980], [19_990]]]
    assert peak < 1.5e6, peak


def test_the_work_estimate_admits_by_the_cost_of_the_path_taken():
    """Element-wise links: rows alike (the same milestones) step in lockstep leg by leg, costed as
    lockstep rows per leg; a closure optimizer last: cell by cell through the chain runner, each
    cell costed by its legs (`cost.chain_cell`). A sweep estimated over the admitted time is
    refused before any step."""
    rows = build_sweep(SweepRequest.model_validate(CHAIN)).job
    assert isinstance(rows, LockstepJob) and len(rows.groups) == len(MILESTONES)
    assert all(isinstance(g.runs, ChainRows) and g.rows.size == len(RATES) for g in rows.groups)
    one_by_one = {**CHAIN, "optimizers": [ADAM, LBFGS_LAST], "y_param": {"name": "optimizers.1.lr", "values": [0.5, 1]}}
    job = build_sweep(SweepRequest.model_validate(one_by_one)).job
    assert isinstance(job, ChainJob)
    cells = [job.cell(k) for k in range(job.total_rows)]
    assert [c[1].switches[0].milestone for c in cells] == MILESTONES * 2
    assert [c[1].switches[0].params["lr"] for c in cells] == [0.5] * 4 + [1.0] * 4
    assert job.estimate == pytest.approx(sum(cost.chain_cell(*c) for c in cells))
    big = {**CHAIN, "steps": 20_000, "x_param": {"name": "milestone", "min": 100, "max": 19_900, "n": 100}}
    big["y_param"] = {"name": "optimizers.1.lr", "min": 1e-5, "max": 1e-2, "n": 25, "scale": "log"}
    engine_deadline.bind(time.monotonic() + 0.5)
    try:
        with pytest.raises(engine_deadline.DeadlineExceeded) as refused:
            build_sweep(SweepRequest.model_validate(big))
    finally:
        engine_deadline.bind(None)
    # 100 groups (one per milestone) of 25 rows, two legs each over the 20,000 updates
    group = 2 * cost.ROWS_LEG + 20_000 * (cost.ROWS_STEP + 25 * cost.ROW_STEP)
    assert refused.value.estimate == pytest.approx(100 * group)
