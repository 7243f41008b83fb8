"""The package's figures: every run its own colour, the optimizer in the legend and the dash (issue 20
point 2: gradient descent at batch 1, 32 and full batch drawn in one blue read as one tangle)."""

from __future__ import annotations

import itertools

import numpy as np

import optiviz
from app.registry import OPTIMIZERS, RUN_COLORS
from optiviz._colors import distance

BATCHES = [1, 32, None]  # None: the full batch


def _apart(colours: list[str]) -> bool:
    """Every two colours told apart at a glance (the rule's ΔE*ab)."""
    return all(distance(a, b) >= RUN_COLORS["far"] for a, b in itertools.combinations(colours, 2))


def _by_role(fig) -> dict[str, list]:
    out: dict[str, list] = {}
    for t in fig.data:
        if t.meta:
            out.setdefault(t.meta["role"], []).append(t)
    return out


def test_three_gd_runs_are_three_colours_named_gd() -> None:
    runs = [{"optimizer": "gd", "params": {"lr": 0.3}} | ({"batch_size": b} if b else {}) for b in BATCHES]
    res = optiviz.run(surface="logistic_regression", runs=runs, steps=20, seed=3)
    roles = _by_role(res.figure(n=30))
    paths, losses, starts = roles["path"], roles["loss"], roles["start"]
    colours = [p.line.color for p in paths]
    assert len(set(colours)) == 3 and _apart(colours), colours
    assert colours[0] == OPTIMIZERS["gd"].color  # the first run keeps the optimizer's colour
    assert colours[1:] == RUN_COLORS["spare"][:2]  # the others the first spare colours far enough from it
    assert [p.line.dash for p in paths] == RUN_COLORS["dashes"][:3]  # the k-th run of GD the k-th dash
    assert [t.line.color for t in losses] == [t.marker.color for t in starts] == colours  # every trace of a run
    assert [t.line.dash for t in losses] == RUN_COLORS["dashes"][:3]
    shown = [t.name for t in res.figure(n=30).data if t.showlegend is not False and t.meta]
    assert len(shown) == 3 and all(OPTIMIZERS["gd"].name in name for name in shown), shown
    assert [s["color"] for s in res.styles()] == colours


def test_network_figure_colours_each_run() -> None:
    """Two Adam runs of a network: two colours on the plane and in the loss curves; train solid and
    test dotted in each run's colour, the second path dashed."""
    runs = [{"optimizer": "adam", "params": {"lr": 0.02}}, {"optimizer": "adam", "params": {"lr": 0.005}}]
    res = optiviz.train(runs, data={"name": "moons", "samples": 80, "seed": 1}, model={"hidden": [4]}, epochs=3)
    roles = _by_role(res.figure())
    colours = [p.line.color for p in roles["path"]]
    assert colours[0] == OPTIMIZERS["adam"].color and _apart(colours), colours  # not the spare red by vermilion
    assert [p.line.dash for p in roles["path"]] == RUN_COLORS["dashes"][:2]
    assert [t.line.color for t in roles["train_loss"]] == [t.line.color for t in roles["test_loss"]] == colours
    assert {t.line.dash for t in roles["test_loss"]} == {"dot"}
    fig = res.figure()  # each path on a white halo drawn before it: green readable on the green scale
    order = [(t.meta["role"], t.meta.get("run")) for t in fig.data]
    assert all(order.index(("halo", i)) < order.index(("path", i)) for i in range(2))
    assert {t.line.color for t in roles["halo"]} == {"#FFFFFF"}
    assert np.isfinite(res.runs[1].train_loss).all()


def test_a_chain_marks_its_switch_on_the_map_and_the_loss_curve() -> None:
    chain = [
        {"optimizer": "adam", "params": {"lr": 0.1}},
        {"milestone": 40, "optimizer": "momentum", "params": {"lr": 1e-3}},
    ]
    res = optiviz.run(surface="rosenbrock", runs=[{"optimizers": chain}, {"optimizer": "adam"}], steps=120)
    r = res.runs[0]
    fig = res.figure(n=30)
    switch = _by_role(fig)["switch"]
    assert [(t.meta["run"], t.meta["step"], t.xaxis) for t in switch] == [(0, 40, "x"), (0, 40, "x2")]
    on_map, on_curve = switch
    assert (on_map.x[0], on_map.y[0]) == (r.x[40], r.y[40]) and (on_curve.x[0], on_curve.y[0]) == (40, r.loss[40])
    colour = _by_role(fig)["path"][0].line.color
    assert {t.marker.color for t in switch} == {colour} and on_map.legendgroup == "run0"
    assert "switch → momentum at step 40" in on_map.name


def test_a_swats_chain_says_where_its_criterion_switched() -> None:
    chain = [{"optimizer": "adam", "params": {"lr": 0.005}}, {"rule": "swats", "optimizer": "sgd", "tolerance": 1e-7}]
    res = optiviz.run(surface="himmelblau", runs=[{"optimizers": chain}], steps=1100)
    r = res.runs[0]
    assert r.label == "Adam → SGD (SWATS)" and r.swats is not None and r.switches == [r.swats["step"]]
    assert r.swats["step"] == 1015 and r.swats["lr"] > 0
    (on_map, _) = _by_role(res.figure(n=30))["switch"]
    assert on_map.meta["step"] == 1015 and (on_map.x[0], on_map.y[0]) == (r.x[1015], r.y[1015])
