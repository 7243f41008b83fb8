"""Generate golden trajectories with torch.optim and torch.optim.lr_scheduler (float64).

Run with an interpreter that has torch (never a runtime dependency of the app):

    .venv-torch/bin/python tools/make_golden.py      # writes tests/golden/torch_golden.json

Each case (a row of the [torch] table of tools/golden_cases.toml) is a request body for POST
/api/v1/trajectories with one run; the expected arrays are what a PyTorch user gets: points x[t],
y[t], loss[t], the lr of update t (read from the optimizer before its step) and the norm of the
gradient it used (after clipping, for the cases with ``clip_value`` / ``clip_norm``:
torch.nn.utils.clip_grad_value_ then clip_grad_norm_); for ASGD also its averaged iterate ``ax``,
``ay`` after each update. tests/engine/test_golden.py compares the
engine with them to 1e-9 relative, without torch.
"""

from __future__ import annotations

import json
import math
import warnings
from pathlib import Path

import torch
from golden_cases import cases
from torch.optim import lr_scheduler as L

torch.set_default_dtype(torch.float64)
OUT = Path(__file__).resolve().parent.parent / "tests/golden/torch_golden.json"

SURFACES = {
    "rosenbrock": lambda x, y: (1 - x) ** 2 + 100 * (y - x**2) ** 2,
    "elongated_bowl": lambda x, y: 0.1 * x**2 + 2 * y**2,
    "himmelblau": lambda x, y: (x**2 + y - 11) ** 2 + (x + y**2 - 7) ** 2,
    "saddle": lambda x, y: x**4 / 4 - x**2 / 2 + y**2 / 2,
    "beale": lambda x, y: (1.5 - x + x * y) ** 2 + (2.25 - x + x * y**2) ** 2 + (2.625 - x + x * y**3) ** 2,
    "six_hump_camel": lambda x, y: (4 - 2.1 * x**2 + x**4 / 3) * x**2 + x * y + (-4 + 4 * y**2) * y**2,
    "rastrigin": lambda x, y: 20 + x**2 - 10 * torch.cos(2 * math.pi * x) + y**2 - 10 * torch.cos(2 * math.pi * y),
    "plateau": lambda x, y: 1 - torch.exp(-0.5 * (x**2 + y**2)),
}


# optiviz's optimizer → torch.optim class and its arguments; an argument is a constant, an optiviz
# parameter ``(name, default)``, or a tuple of those (torch's ``betas``, ``etas``, ``step_sizes``)
_EPS8, _WD = ("eps", 1e-8), ("weight_decay", 0.0)
_BETAS = (("beta1", 0.9), ("beta2", 0.999))
_DECOUPLED = ("decoupled_weight_decay", False)
OPTIMIZERS: dict[str, tuple[str, dict]] = {
    "gd": ("SGD", {}),
    "momentum": ("SGD", {"momentum": ("beta", 0.9)}),  # the classic variant only
    "nesterov": ("SGD", {"momentum": ("beta", 0.9), "nesterov": True}),
    "adagrad": ("Adagrad", {"eps": ("eps", 1e-10), "initial_accumulator_value": ("initial_accumulator", 0.0)}),
    "rmsprop": ("RMSprop", {"alpha": ("beta", 0.9), "eps": _EPS8}),
    "adadelta": ("Adadelta", {"rho": ("rho", 0.9), "eps": ("eps", 1e-6)}),
    "sgd": (
        "SGD",
        {
            "momentum": ("momentum", 0.9),
            "dampening": ("dampening", 0.0),
            "nesterov": ("nesterov", False),
            "weight_decay": _WD,
        },
    ),
    "rprop": (
        "Rprop",
        {
            "etas": (("etaminus", 0.5), ("etaplus", 1.2)),
            "step_sizes": (("step_size_min", 1e-6), ("step_size_max", 50.0)),
        },
    ),
    "asgd": ("ASGD", {"lambd": ("lambd", 1e-4), "alpha": ("alpha", 0.75), "t0": ("t0", 1e6), "weight_decay": _WD}),
    "nadam": (
        "NAdam",
        {
            "betas": _BETAS,
            "eps": _EPS8,
            "weight_decay": _WD,
            "momentum_decay": ("momentum_decay", 0.004),
            "decoupled_weight_decay": _DECOUPLED,
        },
    ),
    "radam": ("RAdam", {"betas": _BETAS, "eps": _EPS8, "weight_decay": _WD, "decoupled_weight_decay": _DECOUPLED}),
    "adamax": ("Adamax", {"betas": _BETAS, "eps": _EPS8, "weight_decay": _WD}),
    "adam": ("Adam", {"betas": _BETAS, "eps": _EPS8, "amsgrad": ("amsgrad", False)}),
    "adamw": (
        "AdamW",
        {"betas": _BETAS, "eps": _EPS8, "weight_decay": ("weight_decay", 0.01), "amsgrad": ("amsgrad", False)},
    ),
}


def _argument(spec, params: dict):
    if isinstance(spec, tuple) and spec and isinstance(spec[0], tuple):
        return tuple(_argument(s, params) for s in spec)
    if isinstance(spec, tuple):
        return params.get(*spec)
    return spec


def make_optimizer(opt: str, p: torch.Tensor, params: dict):
    if opt == "momentum":
        assert params.get("variant") == "classic"
    if opt not in OPTIMIZERS:
        raise ValueError(opt)
    cls, args = OPTIMIZERS[opt]
    return getattr(torch.optim, cls)([p], lr=params["lr"], **{k: _argument(s, params) for k, s in args.items()})


# optiviz's schedule → torch.optim.lr_scheduler class and its arguments: an optiviz parameter
# (its name: required; ``(name, default)``), a constant, or a function of the parameters and lr
SCHEDULES: dict[str, tuple[str, dict]] = {
    "step": ("StepLR", {"step_size": "step_size", "gamma": "gamma"}),
    "multistep": ("MultiStepLR", {"milestones": "milestones", "gamma": "gamma"}),
    "exponential": ("ExponentialLR", {"gamma": "gamma"}),
    "polynomial": ("PolynomialLR", {"total_iters": "total_steps", "power": "power"}),
    "cosine": ("CosineAnnealingLR", {"T_max": "t_max", "eta_min": ("eta_min", 0.0)}),
    "cosine_restarts": (
        "CosineAnnealingWarmRestarts",
        {"T_0": "t_0", "T_mult": "t_mult", "eta_min": ("eta_min", 0.0)},
    ),
    "cyclic": (
        "CyclicLR",
        {
            "base_lr": lambda p, lr: lr,
            "max_lr": "max_lr",
            "step_size_up": "step_size_up",
            "mode": "mode",
            "gamma": ("gamma", 1.0),
            "cycle_momentum": False,
        },
    ),
    "one_cycle": (
        "OneCycleLR",
        {
            "max_lr": lambda p, lr: lr,
            "total_steps": "total_steps",
            "pct_start": ("pct_start", 0.3),
            "anneal_strategy": ("anneal_strategy", "cos"),
            "div_factor": ("div_factor", 25.0),
            "final_div_factor": ("final_div_factor", 1e4),
            "three_phase": ("three_phase", False),
            "cycle_momentum": False,
        },
    ),
    "linear": ("LinearLR", {"start_factor": "start_factor", "end_factor": "end_factor", "total_iters": "total_iters"}),
    "constant_factor": ("ConstantLR", {"factor": "factor", "total_iters": "total_iters"}),
    "inverse_time": ("LambdaLR", {"lr_lambda": lambda p, lr: lambda t: 1.0 / (1.0 + p["decay_rate"] * t)}),
    "inverse_sqrt": ("LambdaLR", {"lr_lambda": lambda p, lr: lambda t: p["k"] / math.sqrt(t + 1.0)}),
}


def _schedule_argument(spec, p: dict, lr: float):
    if isinstance(spec, str):
        return p[spec]
    if isinstance(spec, tuple):
        return p.get(*spec)
    if callable(spec):
        return spec(p, lr)
    return spec


def build_schedule(optimizer, lr: float, entry: tuple[str, dict], p: dict):
    """The scheduler of a `SCHEDULES`-style entry for the schedule's parameters ``p``."""
    cls, args = entry
    return getattr(L, cls)(optimizer, **{k: _schedule_argument(a, p, lr) for k, a in args.items()})


def make_schedule(optimizer, lr: float, sched: dict | None):
    if sched is None:
        return None
    name, p = sched["name"], sched.get("params", {})
    if name not in SCHEDULES:
        raise ValueError(name)
    s = build_schedule(optimizer, lr, SCHEDULES[name], p)
    w = sched.get("warmup_steps", 0)
    if w:
        warm = L.LinearLR(optimizer, start_factor=1.0 / w, end_factor=1.0, total_iters=w - 1)
        s = L.SequentialLR(optimizer, [warm, s], milestones=[w])
    return s


# ReduceLROnPlateau (mode "min") and OneCycleLR with cycle_momentum, as
# `SCHEDULES` entries: each argument the schedule's parameter of that name, or its default
PLATEAU_DEFAULTS = {
    "factor": 0.1,
    "patience": 10,
    "threshold": 1e-4,
    "threshold_mode": "rel",
    "cooldown": 0,
    "min_lr": 0.0,
    "eps": 1e-8,
}
PLATEAU = ("ReduceLROnPlateau", {"mode": lambda p, lr: "min", **{k: (k, v) for k, v in PLATEAU_DEFAULTS.items()}})
ONE_CYCLE_MOMENTUM = (
    "OneCycleLR",
    {
        **SCHEDULES["one_cycle"][1],
        "cycle_momentum": True,
        "base_momentum": ("base_momentum", 0.85),
        "max_momentum": ("max_momentum", 0.95),
    },
)


def scheduler(opt, lr: float, sched: dict | None):
    """(scheduler, reads the loss)."""
    if sched is None:
        return None, False
    name, p = sched["name"], sched.get("params", {})
    if name == "reduce_on_plateau":
        return build_schedule(opt, lr, PLATEAU, p), True
    if name == "one_cycle" and p.get("cycle_momentum"):
        return build_schedule(opt, lr, ONE_CYCLE_MOMENTUM, p), False
    if sched.get("chain"):
        links = [{"name": name, "params": p}, *sched["chain"]]
        subs = [make_schedule(opt, lr, link) for link in links]
        return L.SequentialLR(opt, subs, milestones=[c["milestone"] for c in sched["chain"]]), False
    return make_schedule(opt, lr, sched), False


def momentum_of(opt) -> float:
    g = opt.param_groups[0]
    return g["betas"][0] if "betas" in g else g["momentum"]


class DampedNewton(torch.optim.Optimizer):
    """Damped Newton as optiviz defines it (torch.optim has none): θ ← θ − lr·(H + λI)⁻¹g with the
    exact Hessian (torch.autograd.functional.hessian of f); where H + λI is not positive definite,
    H's eigenvalues are replaced by their absolute values (torch.linalg.eigh)."""

    def __init__(self, params, f, lr=1.0, damping=0.0):
        super().__init__(params, {"lr": lr, "damping": damping})
        self.f = f

    @torch.no_grad()
    def step(self, closure):
        with torch.enable_grad():
            loss = closure()
        group = self.param_groups[0]
        p = group["params"][0]
        lam = group["damping"]
        h = torch.autograd.functional.hessian(lambda v: self.f(v[0], v[1]), p.detach().clone())
        a, c = h[0, 0] + lam, h[1, 1] + lam
        if a > 0 and a * c - h[0, 1] * h[1, 0] > 0:
            d = torch.linalg.solve(h + lam * torch.eye(2), p.grad)
        else:
            mu, v = torch.linalg.eigh(h)
            den = mu.abs() + lam
            coef = torch.where(den > 0, (v.T @ p.grad) / torch.where(den > 0, den, 1.0), 0.0)
            d = v @ coef
        p.add_(d, alpha=-group["lr"])
        return loss


def lbfgs(p: torch.Tensor, prm: dict):
    """torch's L-BFGS on ``p`` with optiviz's parameters ``prm`` (omitted ones: optiviz's defaults)."""
    return torch.optim.LBFGS(
        [p],
        lr=prm.get("lr", 1.0),
        max_iter=prm.get("max_iter", 20),
        max_eval=prm.get("max_eval") or None,
        tolerance_grad=prm.get("tolerance_grad", 1e-7),
        tolerance_change=prm.get("tolerance_change", 1e-9),
        history_size=prm.get("history_size", 100),
        line_search_fn=None if prm.get("line_search_fn") == "none" else "strong_wolfe",
    )


def closure_update(opt, f, p: torch.Tensor, t: int, ev: dict | None) -> tuple[float, float]:
    """Update t as one ``opt.step(closure)``: the loss and the gradient norm of its first
    evaluation; each evaluation (x, y, loss) of update t recorded in ``ev`` (None: not)."""
    first: list[tuple[float, float]] = []

    def closure():  # called within this step only
        opt.zero_grad()
        loss = f(p[0], p[1])
        loss.backward()
        if ev is not None:
            ev["step"].append(t)
            ev["x"].append(p[0].item())
            ev["y"].append(p[1].item())
            ev["loss"].append(loss.item())
        if not first:
            first.append((loss.item(), p.grad.norm().item()))
        return loss

    opt.step(closure)
    return first[0]


def link_optimizer(link: dict, p: torch.Tensor, f):
    """The torch optimizer of a run (or of a link of an optimizer chain) on ``p``; ``f`` the surface."""
    prm = link.get("params", {})
    if link["optimizer"] == "lbfgs":
        return lbfgs(p, prm)
    if link["optimizer"] == "newton":
        return DampedNewton([p], f, lr=prm.get("lr", 1.0), damping=prm.get("damping", 0.0))
    return make_optimizer(link["optimizer"], p, prm)


def chain_reference(req: dict, links: list[dict], schedule: dict | None) -> dict:
    """One update = one ``opt.step(closure)`` (torch's SGD and Adam evaluate it once, then update;
    L-BFGS as it needs, each of its evaluations (x, y, loss) recorded for that update). ``links``:
    the run's optimizers, each from its ``milestone`` on a NEW optimizer on the same tensor (fresh
    state: an optimizer chain; one link: a plain run), each with the run's scheduler advanced to its
    milestone (``scheduler.step()`` that many times: the schedule runs on the whole run's clock)."""
    f = SURFACES[req["surface"]]
    p = torch.tensor([float(v) for v in req["start"]], requires_grad=True)
    bounds = [0, *(link["milestone"] for link in links[1:]), req["steps"]]
    xs, ys, losses, lrs, norms = [float(req["start"][0])], [float(req["start"][1])], [], [], []
    ev: dict[str, list] = {"step": [], "x": [], "y": [], "loss": []}
    for j, link in enumerate(links):
        opt = link_optimizer(link, p, f)
        sched, _ = scheduler(opt, link.get("params", {}).get("lr", 1.0), schedule)
        if sched is not None and bounds[j]:
            with warnings.catch_warnings():  # stepping a scheduler before its optimizer: on purpose
                warnings.simplefilter("ignore")
                for _ in range(bounds[j]):
                    sched.step()
        for t in range(bounds[j], bounds[j + 1]):
            lrs.append(opt.param_groups[0]["lr"])
            loss, norm = closure_update(opt, f, p, t, ev if link["optimizer"] == "lbfgs" else None)
            if sched is not None:
                sched.step()
            losses.append(loss)
            norms.append(norm)
            xs.append(p[0].item())
            ys.append(p[1].item())
    losses.append(f(p[0], p[1]).item())
    out = {"x": xs, "y": ys, "loss": losses, "lr": lrs, "grad_norm": norms}
    if any(link["optimizer"] == "lbfgs" for link in links):
        out["evals"] = ev
    return out


def closure_reference(case: dict) -> dict:
    """L-BFGS and damped Newton: one step = one ``opt.step(closure)``; every closure call of
    L-BFGS is recorded as an evaluation (x, y, loss) of that step."""
    run = case["request"]["runs"][0]
    return chain_reference(case["request"], [run], run.get("schedule"))


def reference(case: dict) -> dict:
    req = case["request"]
    run = req["runs"][0]
    if run["optimizer"] in ("lbfgs", "newton"):
        return closure_reference(case)
    f = SURFACES[req["surface"]]
    p = torch.tensor([float(v) for v in req["start"]], requires_grad=True)
    opt = make_optimizer(run["optimizer"], p, run["params"])
    sched, reads_loss = scheduler(opt, run["params"]["lr"], run.get("schedule"))
    cycled = bool(run.get("schedule", {}).get("params", {}).get("cycle_momentum"))
    xs, ys, losses, lrs, norms, moms = [float(req["start"][0])], [float(req["start"][1])], [], [], [], []
    averaged: list[list[float]] = []
    for _ in range(req["steps"]):
        opt.zero_grad()
        loss = f(p[0], p[1])
        loss.backward()
        if "clip_value" in run:  # clipping as a PyTorch user writes it: value first, then norm
            torch.nn.utils.clip_grad_value_([p], run["clip_value"])
        if "clip_norm" in run:
            torch.nn.utils.clip_grad_norm_([p], run["clip_norm"])
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
        if run["optimizer"] == "asgd":  # the averaged iterate after each update
            averaged.append(opt.state[p]["ax"].tolist())
    losses.append(f(p[0], p[1]).item())
    out = {"x": xs, "y": ys, "loss": losses, "lr": lrs, "grad_norm": norms}
    if averaged:
        out["ax"], out["ay"] = [a[0] for a in averaged], [a[1] for a in averaged]
    if cycled:
        out["momentum"] = moms
    return out


CASES = cases("torch")


def write(cases: list[dict], out: Path) -> None:
    """Each case with its ``expected`` arrays, as a JSON fixture at ``out``."""
    done = [dict(c, expected=reference(c)) for c in cases]
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"torch_version": torch.__version__, "cases": done}))
    print(f"wrote {len(done)} cases to {out} ({out.stat().st_size / 1e6:.2f} MB)")


def main() -> None:
    write(CASES, OUT)


if __name__ == "__main__":
    main()
