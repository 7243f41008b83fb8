"""Golden trajectories for the schedules that read the run, made with torch (float64).

    .venv-torch/bin/python tools/make_golden_schedules.py   # writes tests/golden/torch_schedules_golden.json

The cases of tools/make_golden.py's format (one run per request), for

- ReduceLROnPlateau (mode "min"): ``scheduler.step(loss)`` after every ``opt.step()``, with the
  loss at the new point (the rule of app/engine/feedback.py);
- OneCycleLR(cycle_momentum=True): the expected ``momentum`` of each update is read from the
  optimizer before its step (``momentum``, or ``betas[0]`` of the Adam family);
- SequentialLR chains (the request's ``schedule.chain``), built from tools/make_golden.py's
  schedulers.

tests/engine/test_golden.py compares the engine with them to 1e-9 relative, without torch.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import torch
from torch.optim import lr_scheduler as L

sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_golden import SURFACES, case, make_optimizer, make_schedule

SURFACES = {**SURFACES, "plateau": lambda x, y: 1 - torch.exp(-0.5 * (x**2 + y**2))}

torch.set_default_dtype(torch.float64)
OUT = Path(__file__).resolve().parent.parent / "tests/golden/torch_schedules_golden.json"

PLATEAU_DEFAULTS = {
    "factor": 0.1,
    "patience": 10,
    "threshold": 1e-4,
    "threshold_mode": "rel",
    "cooldown": 0,
    "min_lr": 0.0,
    "eps": 1e-8,
}
ONE_CYCLE_DEFAULTS = {
    "pct_start": 0.3,
    "anneal_strategy": "cos",
    "div_factor": 25.0,
    "final_div_factor": 1e4,
    "three_phase": False,
    "base_momentum": 0.85,
    "max_momentum": 0.95,
}


def scheduler(opt, lr: float, sched: dict | None):
    """(scheduler, reads the loss)."""
    if sched is None:
        return None, False
    name, p = sched["name"], sched.get("params", {})
    if name == "reduce_on_plateau":
        p = {**PLATEAU_DEFAULTS, **p}
        return L.ReduceLROnPlateau(
            opt,
            mode="min",
            factor=p["factor"],
            patience=p["patience"],
            threshold=p["threshold"],
            threshold_mode=p["threshold_mode"],
            cooldown=p["cooldown"],
            min_lr=p["min_lr"],
            eps=p["eps"],
        ), True
    if name == "one_cycle" and p.get("cycle_momentum"):
        p = {**ONE_CYCLE_DEFAULTS, **p}
        s = L.OneCycleLR(
            opt,
            max_lr=lr,
            total_steps=p["total_steps"],
            pct_start=p["pct_start"],
            anneal_strategy=p["anneal_strategy"],
            div_factor=p["div_factor"],
            final_div_factor=p["final_div_factor"],
            three_phase=p["three_phase"],
            cycle_momentum=True,
            base_momentum=p["base_momentum"],
            max_momentum=p["max_momentum"],
        )
        return s, False
    if sched.get("chain"):
        links = [{"name": name, "params": p}, *sched["chain"]]
        subs = [make_schedule(opt, lr, link) for link in links]
        return L.SequentialLR(opt, subs, milestones=[c["milestone"] for c in sched["chain"]]), False
    return make_schedule(opt, lr, sched), False


def momentum_of(opt) -> float:
    g = opt.param_groups[0]
    return g["betas"][0] if "betas" in g else g["momentum"]


def reference(c: dict) -> dict:
    req = c["request"]
    run = req["runs"][0]
    f = SURFACES[req["surface"]]
    p = torch.tensor([float(v) for v in req["start"]], requires_grad=True)
    opt = make_optimizer(run["optimizer"], p, run["params"])
    sched, reads_loss = scheduler(opt, run["params"]["lr"], run.get("schedule"))
    cycled = bool(run.get("schedule", {}).get("params", {}).get("cycle_momentum"))
    xs, ys, losses, lrs, norms, moms = [float(req["start"][0])], [float(req["start"][1])], [], [], [], []
    for _ in range(req["steps"]):
        opt.zero_grad()
        loss = f(p[0], p[1])
        loss.backward()
        losses.append(loss.item())
        norms.append(p.grad.norm().item())
        lrs.append(opt.param_groups[0]["lr"])
        if cycled:
            moms.append(momentum_of(opt))
        opt.step()
        if reads_loss:
            with torch.no_grad():
                sched.step(f(p[0], p[1]).item())  # the loss at the new point
        elif sched is not None:
            sched.step()
        xs.append(p[0].item())
        ys.append(p[1].item())
    losses.append(f(p[0], p[1]).item())
    out = {"x": xs, "y": ys, "loss": losses, "lr": lrs, "grad_norm": norms}
    if cycled:
        out["momentum"] = moms
    return out


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
        "himmelblau",
        [-0.3, -0.9],
        300,
        "adam",
        {"lr": 0.3},
        plateau(patience=3, factor=0.5, threshold=1e-3),
    ),
    case(
        "plateau_abs_cooldown_momentum",
        "elongated_bowl",
        [-9, 3],
        300,
        "momentum",
        {"lr": 0.3, "beta": 0.9, "variant": "classic"},
        plateau(patience=2, factor=0.3, threshold=1e-6, threshold_mode="abs", cooldown=4, min_lr=1e-3),
    ),
    case(
        "plateau_eps_rmsprop_bowl",
        "elongated_bowl",
        [-9, 3],
        300,
        "rmsprop",
        {"lr": 0.5},
        plateau(patience=0, factor=0.7, eps=1e-4),
    ),
    case("plateau_nadam_saddle", "saddle", [0.001, 1.8], 250, "nadam", {"lr": 0.2}, plateau(patience=8)),
    # OneCycleLR with momentum cycling: SGD's momentum, Nesterov, Adam's / NAdam's / RAdam's β₁
    case(
        "one_cycle_momentum_sgd_bowl", "elongated_bowl", [-9, 3], 200, "sgd", {"lr": 0.1, "momentum": 0.9}, cycle(200)
    ),
    case(
        "one_cycle_momentum_classic_rosenbrock",
        "rosenbrock",
        [-1.2, 1.0],
        300,
        "momentum",
        {"lr": 0.001, "beta": 0.9, "variant": "classic"},
        cycle(300, anneal_strategy="linear", three_phase=True),
    ),
    case(
        "one_cycle_beta1_adam_rosenbrock",
        "rosenbrock",
        [-1.2, 1.0],
        300,
        "adam",
        {"lr": 0.05},
        cycle(300, base_momentum=0.8, max_momentum=0.99),
    ),
    case(
        "one_cycle_beta1_nadam_himmelblau",
        "himmelblau",
        [-0.3, -0.9],
        200,
        "nadam",
        {"lr": 0.1},
        cycle(200, pct_start=0.4, div_factor=5.0),
    ),
    case(
        "one_cycle_beta1_radam_camel",
        "six_hump_camel",
        [-1.6, -0.9],
        200,
        "radam",
        {"lr": 0.05},
        cycle(200, three_phase=True),
    ),
    case(
        "one_cycle_beta1_adamax_himmelblau",
        "himmelblau",
        [-0.3, -0.9],
        200,
        "adamax",
        {"lr": 0.1},
        cycle(200, pct_start=0.2),
    ),
    case(
        "one_cycle_nesterov_himmelblau",
        "himmelblau",
        [-0.3, -0.9],
        200,
        "nesterov",
        {"lr": 0.002, "beta": 0.9},
        cycle(200),
    ),
    # SequentialLR: a LinearLR warm-up then cosine; a ramp longer than its milestone (cut there);
    # three links; a chain through OneCycleLR (which resets torch's initial_lr for every link)
    case(
        "chain_linear_cosine_adam",
        "rosenbrock",
        [-1.2, 1.0],
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
        "elongated_bowl",
        [-9, 3],
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
        "himmelblau",
        [-0.3, -0.9],
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
        "rosenbrock",
        [-1.2, 1.0],
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
    cases = [dict(c, expected=reference(c)) for c in CASES]
    OUT.write_text(json.dumps({"torch_version": torch.__version__, "cases": cases}))
    print(f"wrote {len(cases)} cases to {OUT} ({OUT.stat().st_size / 1e6:.2f} MB)")


if __name__ == "__main__":
    main()
