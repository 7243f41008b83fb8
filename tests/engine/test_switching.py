"""Optimizer chains (a run's ``optimizers``): torch's trajectories of two optimizers in sequence on
one tensor (tests/golden/torch_switch_golden.json, tools/make_golden_switch.py), the fresh state at
a switch, the whole run's clock (schedule, noise, mini-batches) going on across it."""

import json
from pathlib import Path

import numpy as np
import pytest

from app.api.schemas import TrajectoriesPublic, TrajectoryRequest
from app.api.service import TrajectoryStream, build_problem, iter_stream, trajectories

GOLDEN = json.loads((Path(__file__).parent.parent / "golden/torch_switch_golden.json").read_text())["cases"]


def _runs(request: dict) -> list[dict]:
    return trajectories(build_problem(TrajectoryRequest.model_validate(request)))["runs"]


def _close(got: list, want: list, key: str) -> None:
    got_a, want_a = np.array(got, dtype=float), np.array(want, dtype=float)
    assert got_a.shape == want_a.shape, key
    scale = max(float(np.max(np.abs(want_a))), 1.0)
    np.testing.assert_allclose(got_a, want_a, rtol=1e-9, atol=1e-12 * scale, err_msg=key)


@pytest.mark.parametrize("case", GOLDEN, ids=[c["name"] for c in GOLDEN])
def test_chain_matches_torch(case: dict) -> None:
    run = _runs(case["request"])[0]
    exp = case["expected"]
    links = case["request"]["runs"][0]["optimizers"]
    assert run["status"] == "max_steps" and run["steps_taken"] == case["request"]["steps"]
    assert run["switches"] == [link["milestone"] for link in links[1:]]
    assert [link["optimizer"] for link in run["optimizers"]] == [link["optimizer"] for link in links]
    for key in ("x", "y", "loss", "lr", "grad_norm"):
        _close(run[key], exp[key], key)
    if "evals" in exp:  # L-BFGS as the last link: its evaluations numbered with the whole run's updates
        assert run["evals"]["step"] == exp["evals"]["step"]
        for key in ("x", "y", "loss"):
            _close(run["evals"][key], exp["evals"][key], f"evals.{key}")


def test_golden_cases_span_surfaces_schedules_and_a_closure_link() -> None:
    surfaces = {c["request"]["surface"] for c in GOLDEN}
    assert len(surfaces) >= 2
    runs = [c["request"]["runs"][0] for c in GOLDEN]
    assert any(r.get("schedule") for r in runs)
    assert any(r["optimizers"][-1]["optimizer"] == "lbfgs" for r in runs)
    assert any(len(r["optimizers"]) > 2 for r in runs)


ROSEN = {"surface": "rosenbrock", "start": [-1.2, 1.0], "steps": 200}
ADAM = {"optimizer": "adam", "params": {"lr": 0.02}}


def test_state_restarts_at_the_switch() -> None:
    """Adam → Adam with the same params is not Adam: at the milestone the bias correction
    restarts (Adam's first step is lr·sign(g)); from there on it is a fresh Adam from the point
    reached, bit for bit."""
    k = 80
    chain, plain = _runs({**ROSEN, "runs": [{"optimizers": [ADAM, {**ADAM, "milestone": k}]}, ADAM]})
    assert chain["x"][: k + 1] == plain["x"][: k + 1] and chain["y"][: k + 1] == plain["y"][: k + 1]
    assert abs(chain["x"][k + 1] - plain["x"][k + 1]) > 1e-4  # not the plain run's next step
    # the fresh Adam's first update moves each coordinate by lr (its ĝ/√v̂ is ±1)
    np.testing.assert_allclose(abs(chain["x"][k + 1] - chain["x"][k]), 0.02, rtol=1e-6)
    fresh = _runs({**ROSEN, "start": [chain["x"][k], chain["y"][k]], "steps": 200 - k, "runs": [ADAM]})[0]
    assert chain["x"][k:] == fresh["x"] and chain["y"][k:] == fresh["y"] and chain["loss"][k:] == fresh["loss"]


def test_the_run_clock_goes_on_across_a_switch() -> None:
    """GD → GD (no state) with one schedule and noise is the plain run: the schedule's rate, the
    noise draws and (on a dataset) the mini-batches of each update are the whole run's."""
    sched = {"name": "cosine", "params": {"t_max": 200, "eta_min": 0.0001}}
    gd = {"optimizer": "gd", "params": {"lr": 0.001}}
    body = {
        **ROSEN,
        "seed": 5,
        "runs": [{"optimizers": [gd, {**gd, "milestone": 70}], "schedule": sched, "noise_std": 0.5}],
    }
    body["runs"].append({**gd, "schedule": sched, "noise_std": 0.5})
    chain, plain = _runs(body)
    for key in ("x", "y", "loss", "lr", "grad_norm"):
        assert chain[key] == plain[key], key
    data = {"surface": "logistic_regression", "steps": 120, "seed": 3}
    gd = {"optimizer": "gd", "params": {"lr": 0.5}}
    chain, plain = _runs(
        {**data, "runs": [{"optimizers": [gd, {**gd, "milestone": 40}], "batch_size": 100}, {**gd, "batch_size": 100}]}
    )
    assert chain["switches"] == [40]
    for key in ("x", "y", "loss", "lr", "grad_norm", "batch_loss"):
        assert chain[key] == plain[key], key


def test_the_schedule_takes_each_links_lr_as_its_base() -> None:
    sched = {"name": "exponential", "params": {"gamma": 0.99}}
    mom = {"optimizer": "momentum", "params": {"lr": 0.0005, "variant": "classic"}}
    chain, adam, momentum = _runs(
        {
            **ROSEN,
            "runs": [
                {"optimizers": [ADAM, {**mom, "milestone": 50}], "schedule": sched},
                {**ADAM, "schedule": sched},
                {**mom, "schedule": sched},
            ],
        }
    )
    assert chain["lr"][:50] == adam["lr"][:50] and chain["lr"][50:] == momentum["lr"][50:]


def test_stream_joins_to_the_answer_and_ends_with_the_switches() -> None:
    body = {
        **ROSEN,
        "steps": 400,
        "runs": [
            {
                "optimizers": [
                    ADAM,
                    {"milestone": 30, "optimizer": "gd", "params": {"lr": 1e-4}},
                    {"milestone": 333, "optimizer": "nesterov", "params": {"lr": 1e-4}},
                ]
            }
        ],
    }
    problem = build_problem(TrajectoryRequest.model_validate(body))
    answer = trajectories(problem)["runs"][0]
    events = list(iter_stream(problem))
    assert events[0][0] == "meta" and [o["optimizer"] for o in events[0][1]["runs"][0]["optimizers"]] == [
        "adam",
        "gd",
        "nesterov",
    ]
    points = [e for name, e in events if name == "points"]
    assert len(points) > 3  # slices cross the milestones
    for key in ("x", "y", "loss", "lr", "grad_norm"):
        assert [v for p in points for v in p[key]] == list(answer[key]), key
    assert events[-1] == ("done", {"runs": [{"status": "max_steps", "steps_taken": 400, "switches": [30, 333]}]})
    # the route's stream drops each slice once sent: the legs still start where the last one ended
    stream, sent = TrajectoryStream(problem, trim=True), []
    while not stream.finished:
        sent.extend(v for ev in stream.next_events() for v in ev["x"])
    assert sent == list(answer["x"])
    assert TrajectoriesPublic.model_validate(trajectories(problem)).runs[0].switches == [30, 333]


def test_a_run_that_ends_before_a_milestone_lists_no_switch() -> None:
    body = {
        "surface": "elongated_bowl",
        "start": [-9, 3],
        "steps": 500,
        "tolerance": 1e-3,
        "runs": [{"optimizers": [{"optimizer": "gd", "params": {"lr": 0.4}}, {"milestone": 400, "optimizer": "adam"}]}],
    }
    run = _runs(body)[0]
    assert run["status"] == "converged" and run["steps_taken"] < 400 and run["switches"] == []


def test_state_of_links_with_and_without_a_quantity() -> None:
    """include_state: Adam's effective rates, then null where GD (no such quantity) runs."""
    body = {
        **ROSEN,
        "steps": 20,
        "include_state": True,
        "runs": [{"optimizers": [ADAM, {"milestone": 12, "optimizer": "gd", "params": {"lr": 1e-4}}]}],
    }
    state = _runs(body)[0]["state"]
    assert all(v is not None for v in state["eff_lr_x"][:12]) and state["eff_lr_x"][12:] == [None] * 8
    assert len(state["gx"]) == 20 and all(v is not None for v in state["gx"])
