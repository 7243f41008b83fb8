"""Export of optimizer chains (issue 21, Adam first, then momentum): the PyTorch and the optax script
create the next optimizer at the milestone from the reached point with a fresh state (torch: a new
``torch.optim`` optimizer on the same tensor, its scheduler stepped to the run's clock; optax: a
fresh ``opt.init(p)``, the schedule a function of the whole run's step with the link's lr as its
base) and reproduce the API's trajectories to 1e-9. Where a script cannot (optax has no torch
L-BFGS, no Newton method), it is null and its note names the link and why; the other is written.

The round trips run the scripts with the torch/JAX interpreter (tests/export/conftest.py).
"""

from __future__ import annotations

import pytest

from app.registry import SCHEDULE_IDS, SCHEDULES
from tests.export.test_export_code import _compare_evals, _compare_script


def _chain(first: dict, *later: tuple[int, dict], **run: object) -> dict:
    """A run whose optimizer is ``first``, then each ``(milestone, link)`` of ``later``."""
    return {"optimizers": [first, *({"milestone": m, **link} for m, link in later)], **run}


ADAM = {"optimizer": "adam", "params": {"lr": 0.05}}
MOMENTUM = {"optimizer": "momentum", "params": {"lr": 0.001}}
SGD_MOMENTUM = {"optimizer": "sgd", "params": {"lr": 0.002, "momentum": 0.9}}

# the cases on a formula surface: both scripts reproduce them
ROSENBROCK = {
    "surface": "rosenbrock",
    "start": [-1.2, 1.0],
    "steps": 150,
    "seed": 3,
    "runs": [
        _chain(ADAM, (40, MOMENTUM), label="Adam → momentum"),
        _chain(ADAM, (60, SGD_MOMENTUM), schedule={"name": "cosine", "params": {"t_max": 150}}, label="cosine"),
        _chain(
            {"optimizer": "rmsprop", "params": {"lr": 0.01}},
            (30, {"optimizer": "nesterov", "params": {"lr": 0.001}}),
            (90, {"optimizer": "gd", "params": {"lr": 0.0005}}),
            schedule={"name": "step", "params": {"step_size": 25, "gamma": 0.5}, "warmup_steps": 10},
            noise_std=0.3,
            label="rmsprop → nesterov → gd, warm-up + step, noise",
        ),
        _chain(ADAM, (50, ADAM), label="Adam → Adam (a fresh state)"),
    ],
}

CUSTOM = {
    "surface": {"expression": "x^2 + 3*sin(y)^2 - 0.5*x*y + sqrt(1 + x^2)", "x_range": [-3, 3], "y_range": [-3, 3]},
    "start": [2.0, 1.5],
    "steps": 100,
    "runs": [_chain(ADAM, (30, {"optimizer": "nesterov", "params": {"lr": 0.01}}), noise_std=0.2, label="typed")],
}

# mini-batches: milestones on an epoch's first update (logistic_regression: 1000 samples)
DATASET = {
    "surface": "logistic_regression",
    "steps": 60,
    "seed": 4,
    "runs": [
        _chain(
            {"optimizer": "adam", "params": {"lr": 0.1}},
            (20, {"optimizer": "momentum", "params": {"lr": 0.05}}),
            batch_size=100,
            label="Adam → momentum, batches of 100",
        ),
        _chain(
            {"optimizer": "rmsprop", "params": {"lr": 0.01}},
            (40, {"optimizer": "nesterov", "params": {"lr": 0.1}}),
            batch_size=50,
            clip_value=1.0,
            schedule={"name": "step", "per": "epoch", "params": {"step_size": 2, "gamma": 0.5}},
            label="per epoch, clipped",
        ),
    ],
}


# what each script writes: where the next optimizer takes over, how a link's optimizer is written
WRITES = {"torch": ("take_over(p, *starts[t]", "lambda p: "), "optax": ("state = opt.init(p)", "lambda lr: ")}


@pytest.mark.parametrize("target", ["torch", "optax"])
@pytest.mark.parametrize("body", [ROSENBROCK, CUSTOM, DATASET], ids=["rosenbrock", "custom formula", "data set"])
def test_the_script_of_a_chain_reproduces_it(client, request, target, body) -> None:
    """The PyTorch script (a new torch.optim optimizer at each milestone) and the optax script (a
    fresh opt.init(p) there) switch at the same updates and draw the same paths, rates, gradient
    norms (and batch costs) as the API, to 1e-9; each later optimizer is written at its milestone."""
    py = request.getfixturevalue("py" if target == "torch" else "jax_py")
    api, got = _compare_script(client, body, py, target)
    assert all(r["switches"] for r in api)  # every run did switch
    assert [g["switches"] for g in got] == [a["switches"] for a in api]
    if body is DATASET:
        for g, a in zip(got, api, strict=True):
            assert g["batch_loss"] == pytest.approx(a["batch_loss"], rel=1e-9, abs=1e-12)
    script = client.post("/api/v1/export", json=body).json()[target]
    takes_over, optimizer = WRITES[target]
    assert takes_over in script
    for run in body["runs"]:
        for link in run["optimizers"][1:]:
            assert f"({link['milestone']}, {optimizer}" in script


# every schedule over the whole run's clock: the new optimizer's scheduler stepped to the milestone
# (torch), the schedule of the run's step from the link's lr (optax); warm-ups on every other one
EVERY_SCHEDULE = {
    "surface": "elongated_bowl",
    "steps": 150,
    "runs": [
        *(
            _chain(
                ADAM,
                (50, {"optimizer": "sgd", "params": {"lr": 0.01, "momentum": 0.9}}),
                schedule={"name": sid, "warmup_steps": 7 * (i % 2)},
                label=sid,
            )
            for i, sid in enumerate(s for s in SCHEDULE_IDS if not SCHEDULES[s].reads_loss)
        ),
        _chain(
            ADAM,
            (20, {"optimizer": "gd", "params": {"lr": 0.02}}),
            schedule={
                "name": "constant_factor",
                "params": {"factor": 0.5, "total_iters": 50},
                "chain": [{"milestone": 60, "name": "exponential", "params": {"gamma": 0.98}}],
            },
            label="a chained schedule across the switch",
        ),
    ],
}


def test_every_schedule_across_a_switch_torch(client, py) -> None:
    api, _ = _compare_script(client, EVERY_SCHEDULE, py, "torch")
    assert all(r["switches"] for r in api)


def test_every_schedule_across_a_switch_optax(client, jax_py) -> None:
    _compare_script(client, EVERY_SCHEDULE, jax_py, "optax")


def test_a_closure_last_link_in_torch_and_optax_says_why(client, py) -> None:
    """Adam → L-BFGS (every closure call of its updates, at the run's update index) and Adam → damped
    Newton: the PyTorch script reproduces them; optax has neither, so its script is null and the
    note names the link and the reason (the PyTorch one is written: a refusal for optax only)."""
    body = {
        "surface": "rosenbrock",
        "start": [-1.2, 1.0],
        "steps": 110,
        "runs": [
            _chain({"optimizer": "adam", "params": {"lr": 0.02}}, (100, {"optimizer": "lbfgs"}), label="Adam → L-BFGS"),
            _chain(ADAM, (30, {"optimizer": "lbfgs", "params": {"max_iter": 3, "history_size": 4}}), noise_std=0.3),
            _chain(ADAM, (30, {"optimizer": "newton", "params": {"lr": 0.5}}), label="Adam → Newton"),
        ],
    }
    _compare_evals(client, body, py)
    api = client.post("/api/v1/trajectories", json=body).json()["runs"]
    assert min(api[0]["evals"]["step"]) == 100  # L-BFGS's evaluations counted on the run's clock
    r = client.post("/api/v1/export", json=body)
    assert r.status_code == 200
    ex = r.json()
    assert ex["torch"] and ex["optax"] is None and "torch" not in ex["notes"]
    note = ex["notes"]["optax"]
    assert "link from update 100" in note and "lbfgs" in note and "PyTorch" in note, note


def test_closure_links_on_a_data_set_in_torch(client, py) -> None:
    """Adam → L-BFGS and SGD → damped Newton on mini-batches: each closure call of an update on that
    update's batch of the whole run, Newton's Hessian from the batch gradient (kept to L-BFGS with
    few inner iterations, as for a plain run: test_round_trip_lbfgs_and_newton_on_data_sets)."""
    body = {
        "surface": "logistic_regression",
        "steps": 40,
        "seed": 5,
        "runs": [
            _chain(
                {"optimizer": "adam", "params": {"lr": 0.1}},
                (20, {"optimizer": "lbfgs", "params": {"max_iter": 2, "history_size": 5}}),
                batch_size=100,
            ),
            _chain(
                {"optimizer": "adam", "params": {"lr": 0.1}},
                (10, {"optimizer": "lbfgs", "params": {"lr": 0.3, "line_search_fn": "none", "max_iter": 1}}),
                batch_size=100,
            ),
            _chain(
                {"optimizer": "sgd", "params": {"lr": 0.1}},
                (20, {"optimizer": "newton", "params": {"lr": 0.5}}),
                batch_size=50,
            ),
        ],
    }
    _compare_evals(client, body, py)


def test_a_run_that_converges_before_its_milestone(client, py) -> None:
    """No switch where the run stops first: the script stops there too, with the same status."""
    body = {
        "surface": "round_bowl",
        "steps": 150,
        "tolerance": 1e-3,
        "runs": [_chain({"optimizer": "gd", "params": {"lr": 0.3}}, (120, MOMENTUM))],
    }
    api, got = _compare_script(client, body, py, "torch")
    assert api[0]["status"] == "converged" and api[0]["switches"] == got[0]["switches"] == []


# SWATS (a link placed by Keskar & Socher's rule): the export runs the Adam link to place it, then
# writes the concrete chain; the step and rate as tests/api/test_swats.py finds them here
SWATS = {
    "surface": "himmelblau",
    "start": [-0.3, -0.9],
    "steps": 1100,
    "runs": [
        {
            "optimizers": [
                {"optimizer": "adam", "params": {"lr": 0.005}},
                {"rule": "swats", "optimizer": "sgd", "tolerance": 1e-7},
            ],
            "label": "SWATS",
        },
        {
            "optimizers": [
                {"optimizer": "adam", "params": {"lr": 0.005}},
                {"rule": "swats", "optimizer": "sgd", "tolerance": 1e-30},
            ],
            "label": "never fires",
        },
    ],
}


@pytest.mark.parametrize("target", ["torch", "optax"])
def test_a_swats_chain_is_written_placed(client, request, target) -> None:
    """A SWATS link is written as the chain SWATS placed: Adam, then SGD(momentum μ, dampening 0,
    lr (1 − μ)Λ) from its step k, said in a comment above the run; one whose criterion never fired
    is its Adam link alone, said so too. Both reproduce the API's runs to 1e-9."""
    py = request.getfixturevalue("py" if target == "torch" else "jax_py")
    api, got = _compare_script(client, SWATS, py, target)
    k, rate = api[0]["swats"]["step"], api[0]["swats"]["lr"]
    assert api[0]["switches"] == got[0]["switches"] == [k] and api[1]["swats"]["step"] is None
    script = client.post("/api/v1/export", json=SWATS).json()[target]
    assert f"the switch after update {k}, rate Λ = {rate!r}" in script and "never fired on this run" in script
    assert f"({k}, lambda " in script and repr((1.0 - 0.9) * rate) in script


# links written by the script's own classes (torch) or with the lr drawn computed (optax's Polyak)
OWN_CLASSES = {
    "surface": "himmelblau",
    "start": [-0.3, -0.9],
    "steps": 120,
    "seed": 2,
    "runs": [
        _chain({"optimizer": "gd", "params": {"lr": 0.002}}, (50, {"optimizer": "schedule_free_adamw"})),
        _chain(
            {"optimizer": "lion", "params": {"lr": 0.005}},
            (40, {"optimizer": "polyak_sgd", "params": {"lr": 1.0, "max_learning_rate": 0.01}}),
        ),
    ],
}


@pytest.mark.parametrize("target", ["torch", "optax"])
def test_links_of_the_scripts_own_classes_and_rates(client, request, target) -> None:
    """Schedule-Free AdamW, Lion and Polyak as links: the torch script's own Optimizer classes, the
    optax script's drawn rate of Polyak's link; the same paths and drawn rates to 1e-9."""
    py = request.getfixturevalue("py" if target == "torch" else "jax_py")
    api, got = _compare_script(client, OWN_CLASSES, py, target)
    assert [g["switches"] for g in got] == [a["switches"] for a in api] == [[50], [40]]


def test_optax_names_the_link_it_cannot_write(client, py) -> None:
    """A later link optax has no exact form of (Adagrad's ε, ASGD): its script is null and the note
    names the link; the PyTorch script reproduces the run."""
    body = {
        "surface": "himmelblau",
        "start": [-0.3, -0.9],
        "steps": 80,
        "runs": [_chain(ADAM, (40, {"optimizer": "adagrad", "params": {"lr": 0.1}}))],
    }
    ex = client.post("/api/v1/export", json=body).json()
    assert ex["optax"] is None and ex["notes"]["optax"].startswith("the optimizer chain's link from update 40: ")
    assert "adagrad" in ex["notes"]["optax"] and "PyTorch" in ex["notes"]["optax"]
    _compare_script(client, body, py, "torch")
    body["runs"][0]["optimizers"][1] = {"milestone": 40, "optimizer": "asgd", "params": {"lr": 0.0005}}
    note = client.post("/api/v1/export", json=body).json()["notes"]["optax"]
    assert note.startswith("the optimizer chain's link from update 40: ") and "ASGD" in note
    _compare_script(client, body, py, "torch")
