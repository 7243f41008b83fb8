"""Golden trajectories for the schedules that read the run, made with torch (float64).

    .venv-torch/bin/python tools/make_golden_schedules.py   # writes tests/golden/torch_schedules_golden.json

The cases of tools/make_golden.py's format (one run per request), for

- ReduceLROnPlateau (mode "min"): ``scheduler.step(loss)`` after every ``opt.step()``, with the
  loss at the new point (the rule of app/engine/feedback.py);
- OneCycleLR(cycle_momentum=True): the expected ``momentum`` of each update is read from the
  optimizer before its step (``momentum``, or ``betas[0]`` of the Adam family);
- SequentialLR chains (the request's ``schedule.chain``), built from tools/make_golden.py's
  schedulers.

Its `reference` (one loop for all torch cases) and `scheduler` make them; this file holds the cases.

tests/engine/test_golden.py compares the engine with them to 1e-9 relative, without torch.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from golden_cases import BOWL, CAMEL, HIMMELBLAU, ROSENBROCK, SADDLE, case
from make_golden import write

OUT = Path(__file__).resolve().parent.parent / "tests/golden/torch_schedules_golden.json"


def plateau(**params) -> dict:
    return {"name": "reduce_on_plateau", "params": params}


def cycle(total_steps: int, **params) -> dict:
    return {"name": "one_cycle", "params": {"total_steps": total_steps, "cycle_momentum": True, **params}}


def chain(first: dict, *links: tuple[int, dict]) -> dict:
    return {**first, "chain": [{"milestone": m, **link} for m, link in links]}


CASES = [
    # ReduceLROnPlateau: GD oscillating across the valley, Adam circling a minimum, abs threshold,
    # cooldown, min_lr, and an eps that stops the reductions
    case(
        "plateau_gd_plateau",
        "plateau",
        [3.0, 2.5],
        300,
        "gd",
        {"lr": 2.0},
        plateau(patience=5, factor=0.5, threshold=1e-3),
    ),
    case(
        "plateau_adam_himmelblau",
        *HIMMELBLAU,
        300,
        "adam",
        {"lr": 0.3},
        plateau(patience=3, factor=0.5, threshold=1e-3),
    ),
    case(
        "plateau_abs_cooldown_momentum",
        *BOWL,
        300,
        "momentum",
        {"lr": 0.3, "beta": 0.9, "variant": "classic"},
        plateau(patience=2, factor=0.3, threshold=1e-6, threshold_mode="abs", cooldown=4, min_lr=1e-3),
    ),
    case(
        "plateau_eps_rmsprop_bowl",
        *BOWL,
        300,
        "rmsprop",
        {"lr": 0.5},
        plateau(patience=0, factor=0.7, eps=1e-4),
    ),
    case("plateau_nadam_saddle", *SADDLE, 250, "nadam", {"lr": 0.2}, plateau(patience=8)),
    # OneCycleLR with momentum cycling: SGD's momentum, Nesterov, Adam's / NAdam's / RAdam's β₁
    case("one_cycle_momentum_sgd_bowl", *BOWL, 200, "sgd", {"lr": 0.1, "momentum": 0.9}, cycle(200)),
    case(
        "one_cycle_momentum_classic_rosenbrock",
        *ROSENBROCK,
        300,
        "momentum",
        {"lr": 0.001, "beta": 0.9, "variant": "classic"},
        cycle(300, anneal_strategy="linear", three_phase=True),
    ),
    case(
        "one_cycle_beta1_adam_rosenbrock",
        *ROSENBROCK,
        300,
        "adam",
        {"lr": 0.05},
        cycle(300, base_momentum=0.8, max_momentum=0.99),
    ),
    case(
        "one_cycle_beta1_nadam_himmelblau",
        *HIMMELBLAU,
        200,
        "nadam",
        {"lr": 0.1},
        cycle(200, pct_start=0.4, div_factor=5.0),
    ),
    case(
        "one_cycle_beta1_radam_camel",
        *CAMEL,
        200,
        "radam",
        {"lr": 0.05},
        cycle(200, three_phase=True),
    ),
    case(
        "one_cycle_beta1_adamax_himmelblau",
        *HIMMELBLAU,
        200,
        "adamax",
        {"lr": 0.1},
        cycle(200, pct_start=0.2),
    ),
    case(
        "one_cycle_nesterov_himmelblau",
        *HIMMELBLAU,
        200,
        "nesterov",
        {"lr": 0.002, "beta": 0.9},
        cycle(200),
    ),
    # SequentialLR: a LinearLR warm-up then cosine; a ramp longer than its milestone (cut there);
    # three links; a chain through OneCycleLR (which resets torch's initial_lr for every link)
    case(
        "chain_linear_cosine_adam",
        *ROSENBROCK,
        300,
        "adam",
        {"lr": 0.05},
        chain(
            {"name": "linear", "params": {"start_factor": 0.1, "end_factor": 1.0, "total_iters": 30}},
            (30, {"name": "cosine", "params": {"t_max": 270, "eta_min": 0.001}}),
        ),
    ),
    case(
        "chain_cut_ramp_exponential_gd",
        *BOWL,
        200,
        "gd",
        {"lr": 0.4},
        chain(
            {"name": "linear", "params": {"start_factor": 0.2, "end_factor": 1.0, "total_iters": 50}},
            (20, {"name": "exponential", "params": {"gamma": 0.98}}),
        ),
    ),
    case(
        "chain_three_sgd_himmelblau",
        *HIMMELBLAU,
        200,
        "sgd",
        {"lr": 0.01, "momentum": 0.8},
        chain(
            {"name": "constant_factor", "params": {"factor": 0.25, "total_iters": 100}},
            (15, {"name": "step", "params": {"step_size": 20, "gamma": 0.5}}),
            (90, {"name": "cosine_restarts", "params": {"t_0": 30, "t_mult": 2, "eta_min": 0.0}}),
        ),
    ),
    case(
        "chain_linear_one_cycle_adam",
        *ROSENBROCK,
        300,
        "adam",
        {"lr": 0.05},
        chain(
            {"name": "linear", "params": {"start_factor": 0.2, "end_factor": 1.0, "total_iters": 20}},
            (20, {"name": "one_cycle", "params": {"total_steps": 280}}),
        ),
    ),
]


def main() -> None:
    write(CASES, OUT)


if __name__ == "__main__":
    main()
