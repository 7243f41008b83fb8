"""Export as code: a studio state as a self-contained PyTorch (or optax) script.

The scripts reproduce what the API draws: the same surface formula (the checked formula tree is
translated, never the user's text), the same start, steps, tolerance, schedules (warm-up as
torch's ``SequentialLR(LinearLR, …)``) and the same seeded gradient noise (the script draws it
with NumPy exactly as the engine does). Every piece of user text (labels) reaches the script as a
``json.dumps`` literal.

What is known about each optimizer and schedule in torch/optax is written once, in the tables
``TORCH_OPTIMIZERS``, ``OPTAX_OPTIMIZERS`` and ``TORCH_SCHEDULES`` below, keyed by the registry's
ids. An id missing from a table (e.g. a newly registered optimizer) is not guessed: the export
says so in ``notes`` and the script is ``null``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import Any

from app.engine.datasets import DatasetSurface
from app.engine.expression import Bin, Call, Const, Neg, Node, Var, parse_expression
from app.engine.runner import Problem, RunConfig

# the built-in analytic surfaces in the formula language (checked against the engine's values in
# tests/export/test_export.py, for every surface in the registry)
SURFACE_FORMULAS: dict[str, str] = {
    "elongated_bowl": "0.1*x^2 + 2*y^2",
    "round_bowl": "0.5*(x^2 + y^2)",
    "saddle": "0.25*x^4 - 0.5*x^2 + 0.5*y^2",
    "plateau": "1 - exp(-0.5*(x^2 + y^2))",
    "rosenbrock": "(1 - x)^2 + 100*(y - x^2)^2",
    "himmelblau": "(x^2 + y - 11)^2 + (x + y^2 - 7)^2",
    "beale": "(1.5 - x + x*y)^2 + (2.25 - x + x*y^2)^2 + (2.625 - x + x*y^3)^2",
    "rastrigin": "20 + x^2 - 10*cos(2*pi*x) + y^2 - 10*cos(2*pi*y)",
    "ackley": "-20*exp(-0.2*sqrt(0.5*(x^2 + y^2))) - exp(0.5*(cos(2*pi*x) + cos(2*pi*y))) + e + 20",
    "booth": "(x + 2*y - 7)^2 + (2*x + y - 5)^2",
    "six_hump_camel": "(4 - 2.1*x^2 + x^4/3)*x^2 + x*y + (-4 + 4*y^2)*y^2",
    "monkey_saddle": "x^3 - 3*x*y^2",
    "matyas": "0.26*(x^2 + y^2) - 0.48*x*y",
}

_FN = {  # formula function → (torch, jax.numpy)
    "sin": ("torch.sin", "jnp.sin"),
    "cos": ("torch.cos", "jnp.cos"),
    "tan": ("torch.tan", "jnp.tan"),
    "exp": ("torch.exp", "jnp.exp"),
    "log": ("torch.log", "jnp.log"),
    "sqrt": ("torch.sqrt", "jnp.sqrt"),
    "abs": ("torch.abs", "jnp.abs"),
    "tanh": ("torch.tanh", "jnp.tanh"),
    "sinh": ("torch.sinh", "jnp.sinh"),
    "cosh": ("torch.cosh", "jnp.cosh"),
    "atan": ("torch.atan", "jnp.arctan"),
}
_PREC = {"+": 1, "-": 1, "*": 2, "/": 2, "neg": 3, "^": 4}


class NotExportable(ValueError):
    pass


def _has_var(n: Node) -> bool:
    if isinstance(n, Var):
        return True
    if isinstance(n, Const):
        return False
    if isinstance(n, Neg):
        return _has_var(n.a)
    if isinstance(n, Call):
        return _has_var(n.a)
    assert isinstance(n, Bin)
    return _has_var(n.a) or _has_var(n.b)


def python_source(n: Node, lib: int, parent: int = 0, right: bool = False) -> str:
    """The checked formula tree as Python source over tensors x, y (lib 0: torch, 1: jax.numpy).

    Only the tree's own node kinds are written: numbers as ``repr(float)``, the two variables,
    the operators and the allowed functions. Nothing of the user's text is copied.
    """
    if isinstance(n, Const):
        if not math.isfinite(n.value):
            raise NotExportable("the formula has a constant part that is not a finite number")
        text = repr(float(n.value))
        return f"({text})" if n.value < 0 and parent else text
    if isinstance(n, Var):
        if n.name not in ("x", "y"):
            raise NotExportable(f"unknown variable {n.name!r}")
        return n.name
    if isinstance(n, Call):
        inner = python_source(n.a, lib)
        if not _has_var(n.a):  # a constant argument: plain math (the torch functions take tensors)
            fn = "math.atan" if n.fn == "atan" else ("abs" if n.fn == "abs" else f"math.{n.fn}")
            return f"{fn}({inner})"
        return f"{_FN[n.fn][lib]}({inner})"
    if isinstance(n, Neg):
        text = "-" + python_source(n.a, lib, _PREC["neg"])
        return f"({text})" if parent >= _PREC["neg"] else text
    assert isinstance(n, Bin)
    op = "**" if n.op == "^" else n.op
    prec = _PREC[n.op]
    if n.op == "^":  # right-associative
        left, rightside = python_source(n.a, lib, prec + 1), python_source(n.b, lib, prec, True)
    else:
        left, rightside = python_source(n.a, lib, prec), python_source(n.b, lib, prec + 1, True)
    text = f"{left} {op} {rightside}"
    return f"({text})" if prec < parent or (prec == parent and right) else text


def surface_tree(problem: Problem) -> Node:
    s = problem.surface
    if isinstance(s, DatasetSurface):
        raise NotExportable(
            "dataset surfaces are not exported as code yet (their mini-batch order would have to be "
            "reproduced as well); use the JSON or curl export"
        )
    if s.id == "custom":
        text = s.extra.get("expression") or s.formula
    elif s.id in SURFACE_FORMULAS:
        text = SURFACE_FORMULAS[s.id]
    else:
        raise NotExportable(f"no formula for the surface {s.id!r} in the exporter yet")
    return parse_expression(text).tree


# --- optimizers --------------------------------------------------------------------------------
# Each entry: params → Python source of the optimizer over the parameter tensor ``p`` (torch) or
# of the optax transformation taking the schedule ``lr`` (optax). Custom classes the source uses
# are in _TORCH_HELPERS and emitted only when used.

_EWA_MOMENTUM = '''
class EWAMomentum(torch.optim.Optimizer):
    """The course's momentum (torch has no such form): v <- beta*v + (1 - beta)*g,
    theta <- theta - lr*v, or lr*v/(1 - beta^t) with bias correction."""

    def __init__(self, params, lr, beta, bias_correction):
        super().__init__(params, dict(lr=lr, beta=beta, bias_correction=bias_correction))

    @torch.no_grad()
    def step(self):
        for group in self.param_groups:
            beta = group["beta"]
            for p in group["params"]:
                st = self.state[p]
                if not st:
                    st["t"], st["v"] = 0, torch.zeros_like(p)
                st["t"] += 1
                st["v"] = beta * st["v"] + (1.0 - beta) * p.grad
                v = st["v"] / (1.0 - beta ** float(st["t"])) if group["bias_correction"] else st["v"]
                p.sub_(group["lr"] * v)
'''

_ADAM_NO_BIAS = '''
class AdamNoBiasCorrection(torch.optim.Optimizer):
    """Adam without bias correction (the course's demonstration; torch always corrects):
    theta <- theta*(1 - lr*wd); m <- lerp(m, g, 1 - beta1); v <- beta2*v + (1 - beta2)*g^2;
    theta <- theta - lr*m/(sqrt(v) + eps) (v: its running maximum with amsgrad)."""

    def __init__(self, params, lr, betas, eps, amsgrad, weight_decay):
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, amsgrad=amsgrad, weight_decay=weight_decay))

    @torch.no_grad()
    def step(self):
        for group in self.param_groups:
            (b1, b2), lr = group["betas"], group["lr"]
            for p in group["params"]:
                st = self.state[p]
                if not st:
                    st["m"], st["v"], st["vmax"] = (torch.zeros_like(p) for _ in range(3))
                p.mul_(1.0 - lr * group["weight_decay"])
                st["m"] = st["m"] + (1.0 - b1) * (p.grad - st["m"])
                st["v"] = st["v"] * b2 + (1.0 - b2) * p.grad * p.grad
                second = st["v"]
                if group["amsgrad"]:
                    st["vmax"] = torch.maximum(st["vmax"], st["v"])
                    second = st["vmax"]
                p.sub_(lr * st["m"] / (second.sqrt() + group["eps"]))
'''


def _torch_momentum(p: dict[str, Any]) -> tuple[str, str | None]:
    if p["variant"] == "classic":
        return f"torch.optim.SGD([p], lr={p['lr']!r}, momentum={p['beta']!r})", None
    return f"EWAMomentum([p], lr={p['lr']!r}, beta={p['beta']!r}, bias_correction={bool(p['bias_correction'])!r})", _EWA_MOMENTUM


def _torch_adam(p: dict[str, Any], wd: float | None) -> tuple[str, str | None]:
    betas = f"({p['beta1']!r}, {p['beta2']!r})"
    if not p["bias_correction"]:
        return (
            f"AdamNoBiasCorrection([p], lr={p['lr']!r}, betas={betas}, eps={p['eps']!r}, "
            f"amsgrad={bool(p['amsgrad'])!r}, weight_decay={(wd or 0.0)!r})",
            _ADAM_NO_BIAS,
        )
    cls = "Adam" if wd is None else "AdamW"
    extra = "" if wd is None else f", weight_decay={wd!r}"
    return f"torch.optim.{cls}([p], lr={p['lr']!r}, betas={betas}, eps={p['eps']!r}, amsgrad={bool(p['amsgrad'])!r}{extra})", None


TORCH_OPTIMIZERS: dict[str, Callable[[dict[str, Any]], tuple[str, str | None]]] = {
    "gd": lambda p: (f"torch.optim.SGD([p], lr={p['lr']!r})", None),
    "momentum": _torch_momentum,
    "nesterov": lambda p: (f"torch.optim.SGD([p], lr={p['lr']!r}, momentum={p['beta']!r}, nesterov=True)", None),
    "adagrad": lambda p: (
        f"torch.optim.Adagrad([p], lr={p['lr']!r}, eps={p['eps']!r}, "
        f"initial_accumulator_value={p['initial_accumulator']!r})",
        None,
    ),
    "rmsprop": lambda p: (f"torch.optim.RMSprop([p], lr={p['lr']!r}, alpha={p['beta']!r}, eps={p['eps']!r})", None),
    "adadelta": lambda p: (f"torch.optim.Adadelta([p], lr={p['lr']!r}, rho={p['rho']!r}, eps={p['eps']!r})", None),
    "adam": lambda p: _torch_adam(p, None),
    "adamw": lambda p: _torch_adam(p, p["weight_decay"]),
    "sgd": lambda p: (
        f"torch.optim.SGD([p], lr={p['lr']!r}, momentum={p['momentum']!r}, dampening={p['dampening']!r}, "
        f"nesterov={bool(p['nesterov'])!r}, weight_decay={p['weight_decay']!r})",
        None,
    ),
    "nadam": lambda p: (
        f"torch.optim.NAdam([p], lr={p['lr']!r}, betas=({p['beta1']!r}, {p['beta2']!r}), eps={p['eps']!r}, "
        f"weight_decay={p['weight_decay']!r}, momentum_decay={p['momentum_decay']!r}, "
        f"decoupled_weight_decay={bool(p['decoupled_weight_decay'])!r})",
        None,
    ),
    "radam": lambda p: (
        f"torch.optim.RAdam([p], lr={p['lr']!r}, betas=({p['beta1']!r}, {p['beta2']!r}), eps={p['eps']!r}, "
        f"weight_decay={p['weight_decay']!r}, decoupled_weight_decay={bool(p['decoupled_weight_decay'])!r})",
        None,
    ),
    "adamax": lambda p: (
        f"torch.optim.Adamax([p], lr={p['lr']!r}, betas=({p['beta1']!r}, {p['beta2']!r}), eps={p['eps']!r}, "
        f"weight_decay={p['weight_decay']!r})",
        None,
    ),
    "rprop": lambda p: (
        f"torch.optim.Rprop([p], lr={p['lr']!r}, etas=({p['etaminus']!r}, {p['etaplus']!r}), "
        f"step_sizes=({p['step_size_min']!r}, {p['step_size_max']!r}))",
        None,
    ),
    "asgd": lambda p: (
        f"torch.optim.ASGD([p], lr={p['lr']!r}, lambd={p['lambd']!r}, alpha={p['alpha']!r}, t0={p['t0']!r}, "
        f"weight_decay={p['weight_decay']!r})",
        None,
    ),
}

# optimizers torch.optim has not: why there is no PyTorch script (the optax script reproduces them)
TORCH_REFUSED: dict[str, str] = {
    "lion": "torch.optim has no Lion; use the optax script",
    "schedule_free_adamw": "torch.optim has no Schedule-Free AdamW (the schedulefree package's AdamWScheduleFree "
    "folds Adam's bias correction into the lr and the averaging weights, so its path differs); use the optax script",
    "polyak_sgd": "torch.optim has no Polyak step size (it needs the loss at every step); use the optax script",
}


# --- schedules ---------------------------------------------------------------------------------


def _lambda(body: str) -> str:
    return f"L.LambdaLR(opt, lambda t: {body})"


TORCH_SCHEDULES: dict[str, Callable[[dict[str, Any], float], str | None]] = {
    "constant": lambda p, lr: None,
    "step": lambda p, lr: f"L.StepLR(opt, step_size={p['step_size']!r}, gamma={p['gamma']!r})",
    "multistep": lambda p, lr: f"L.MultiStepLR(opt, milestones={list(p['milestones'])!r}, gamma={p['gamma']!r})",
    "exponential": lambda p, lr: f"L.ExponentialLR(opt, gamma={p['gamma']!r})",
    "inverse_time": lambda p, lr: _lambda(f"1.0 / (1.0 + {p['decay_rate']!r} * t)"),
    "inverse_sqrt": lambda p, lr: _lambda(f"{p['k']!r} / math.sqrt(t + 1.0)"),
    "polynomial": lambda p, lr: f"L.PolynomialLR(opt, total_iters={p['total_steps']!r}, power={p['power']!r})",
    "cosine": lambda p, lr: f"L.CosineAnnealingLR(opt, T_max={p['t_max']!r}, eta_min={p['eta_min']!r})",
    "cosine_restarts": lambda p, lr: (
        f"L.CosineAnnealingWarmRestarts(opt, T_0={p['t_0']!r}, T_mult={p['t_mult']!r}, eta_min={p['eta_min']!r})"
    ),
    "cyclic": lambda p, lr: (
        f"L.CyclicLR(opt, base_lr={lr!r}, max_lr={p['max_lr']!r}, step_size_up={p['step_size_up']!r}, "
        f"mode={p['mode']!r}, gamma={p['gamma']!r}, cycle_momentum=False)"
    ),
}


def _torch_scheduler(run: RunConfig) -> str:
    make = TORCH_SCHEDULES.get(run.schedule.id)
    if make is None:
        raise NotExportable(f"no torch.optim.lr_scheduler for the schedule {run.schedule.id!r} in the exporter yet")
    main = make(run.schedule_params, run.params["lr"])
    w = run.warmup_steps
    if not w:
        return main or "None"
    warm = f"L.LinearLR(opt, start_factor={1.0 / w!r}, end_factor=1.0, total_iters={w - 1})"
    if main is None:
        main = "L.ConstantLR(opt, factor=1.0, total_iters=0)"
    return f"L.SequentialLR(opt, [{warm}, {main}], milestones=[{w}])"


_TORCH_LOOP = '''
def run(make_optimizer, make_scheduler, noise_std, clip_value=None, clip_norm=None):
    """One run as the studio draws it: x[t], y[t] after t updates, the loss there, and per update
    the lr and the norm of the gradient it used (after noise and clipping)."""
    p = torch.tensor(START, requires_grad=True)
    opt = make_optimizer(p)
    sched = make_scheduler(opt)
    # the gradient noise: the same seeded draws as the studio's (NumPy's PCG64, seed [SEED, 1])
    noise = np.random.default_rng([SEED, 1]).standard_normal((STEPS, 2)) * noise_std if noise_std else None
    out = {"x": [START[0]], "y": [START[1]], "loss": [], "lr": [], "grad_norm": []}
    status = "max_steps"
    for t in range(STEPS + 1):
        opt.zero_grad()
        loss = f(p[0], p[1])
        loss.backward()
        out["loss"].append(loss.item())
        if TOLERANCE > 0 and p.grad.norm().item() < TOLERANCE:
            status = "converged"  # the true (noise-free) gradient is small enough
            break
        if t == STEPS:
            break
        if noise is not None:
            p.grad += torch.from_numpy(noise[t])
        if clip_value is not None:  # by value, then by norm (the studio's order)
            torch.nn.utils.clip_grad_value_([p], clip_value)
        if clip_norm is not None:
            torch.nn.utils.clip_grad_norm_([p], clip_norm)
        lr, gnorm = opt.param_groups[0]["lr"], p.grad.norm().item()
        before = p.detach().clone()
        opt.step()
        if sched is not None:
            sched.step()
        if not (math.isfinite(f(p[0], p[1]).item()) and p.detach().abs().max().item() <= BOUND):
            status = "converged" if bool((p.grad == 0).all()) else "diverged"
            with torch.no_grad():
                p.copy_(before)
            break
        out["lr"].append(lr)
        out["grad_norm"].append(gnorm)
        out["x"].append(p[0].item())
        out["y"].append(p[1].item())
    out["status"], out["steps_taken"] = status, len(out["lr"])
    return out
'''


# the end of both scripts: run every spec of RUNS, print the end points (or every array with --json)
_MAIN = [
    'if __name__ == "__main__":',
    "    results = [dict(run(*spec[1:]), label=spec[0]) for spec in RUNS]",
    '    if "--json" in sys.argv:',
    '        print(json.dumps({"runs": results}))',
    "    else:",
    "        for r in results:",
    '            print(f"{r[\'label\']}: {r[\'status\']} after {r[\'steps_taken\']} steps at '
    '({r[\'x\'][-1]:.6g}, {r[\'y\'][-1]:.6g}), loss {r[\'loss\'][-1]:.6g}")',
    "",
]


def torch_script(problem: Problem) -> str:
    tree = surface_tree(problem)
    helpers: dict[str, str] = {}
    run_lines = []
    for run in problem.runs:
        make = TORCH_OPTIMIZERS.get(run.optimizer.id)
        if make is None:
            oid = run.optimizer.id
            raise NotExportable(f"no PyTorch script for {oid!r}: {TORCH_REFUSED[oid]}" if oid in TORCH_REFUSED
                                else f"no PyTorch counterpart for the optimizer {oid!r} in the exporter yet")
        ctor, helper = make(run.params)
        if helper:
            helpers[helper] = helper
        sched = _torch_scheduler(run)
        clip = ", ".join(f"{v!r}" if v else "None" for v in run.clip)
        run_lines.append(
            f"    ({run.label!r}, lambda p: {ctor},\n"
            f"     lambda opt: {sched}, {float(run.noise_std)!r}, {clip}),"
        )
    lines = [
        '"""optiviz export: the studio\'s runs with torch.optim (float64).',
        "",
        "Run: python this_file.py        (prints each run's end point; --json prints every array)",
        "Needs: torch, numpy.",
        '"""',
        "import json",
        "import math",
        "import sys",
        "",
        "import numpy as np",
        "import torch",
        "from torch.optim import lr_scheduler as L",
        "",
        "torch.set_default_dtype(torch.float64)",
        "",
        f"START = [{problem.start[0]!r}, {problem.start[1]!r}]",
        f"STEPS = {problem.steps!r}",
        f"TOLERANCE = {float(problem.tolerance)!r}  # stop when the true gradient's norm is below this (0: never)",
        f"SEED = {problem.seed!r}  # seeds the gradient noise",
        f"BOUND = {problem.surface.bound!r}  # leaving |x|, |y| <= BOUND counts as diverged",
        "",
        "",
        "def f(x, y):",
        f"    # {json.dumps(problem.surface.formula, ensure_ascii=True)}",
        f"    return {python_source(tree, 0)}",
        "",
        "",
        *[line for h in helpers.values() for line in (*h.strip("\n").splitlines(), "", "")],
        _TORCH_LOOP.strip("\n"),
        "",
        "",
        "# (label, optimizer, scheduler, gradient noise std, clip by value, clip by norm)",
        "RUNS = [",
        *run_lines,
        "]",
        "",
        *_MAIN,
    ]
    return "\n".join(lines)


def export(problem: Problem, request_body: dict[str, Any], url: str) -> dict[str, Any]:
    """``{"torch": script | None, "optax": script | None, "curl": command, "notes": {...}}``."""
    notes: dict[str, str] = {}
    out: dict[str, Any] = {}
    try:
        out["torch"] = torch_script(problem)
    except NotExportable as err:
        out["torch"], notes["torch"] = None, str(err)
    try:
        out["optax"] = optax_script(problem)
    except NotExportable as err:
        out["optax"], notes["optax"] = None, str(err)
    body = json.dumps(request_body, ensure_ascii=False, separators=(",", ":")).replace("'", "'\\''")
    out["curl"] = f"curl -s '{url}' -H 'content-type: application/json' -d '{body}'"
    out["notes"] = notes
    return out


# --- optax --------------------------------------------------------------------------------------
# Each entry: params → the optax transformation over the schedule ``lr`` (a function of the update
# count), or NotExportable where optax's formula differs from torch's (checked by the round trip).
# Schedules are written as float64 lambdas in the engine's closed forms (optax's own linear and
# exponential schedules compute in float32 and drift by ~1e-8).


def _optax_unsupported(why: str) -> Callable[[dict[str, Any]], str]:
    def make(p: dict[str, Any]) -> str:
        raise NotExportable(why)

    return make


def _optax_momentum(p: dict[str, Any]) -> str:
    if p["variant"] == "classic":
        return f"optax.sgd(lr, momentum={p['beta']!r})"
    return f"optax.chain(optax.ema({p['beta']!r}, debias={bool(p['bias_correction'])!r}), optax.scale_by_learning_rate(lr))"


def _optax_adam(p: dict[str, Any], wd: float | None) -> str:
    if p["amsgrad"] or not p["bias_correction"]:
        raise NotExportable("optax has no Adam without bias correction, and its amsgrad takes the maximum of the "
                            "corrected v (torch: of the raw v); use the PyTorch script")
    if wd is None:
        return f"optax.adam(lr, b1={p['beta1']!r}, b2={p['beta2']!r}, eps={p['eps']!r})"
    return f"optax.adamw(lr, b1={p['beta1']!r}, b2={p['beta2']!r}, eps={p['eps']!r}, weight_decay={wd!r})"


OPTAX_OPTIMIZERS: dict[str, Callable[[dict[str, Any]], str]] = {
    "gd": lambda p: "optax.sgd(lr)",
    "momentum": _optax_momentum,
    "nesterov": lambda p: f"optax.sgd(lr, momentum={p['beta']!r}, nesterov=True)",
    "adagrad": _optax_unsupported("optax's adagrad puts ε inside the root (torch: outside); use the PyTorch script"),
    "rmsprop": lambda p: f"optax.rmsprop(lr, decay={p['beta']!r}, eps={p['eps']!r}, eps_in_sqrt=False)",
    "adadelta": lambda p: f"optax.adadelta(lr, rho={p['rho']!r}, eps={p['eps']!r})",
    "adam": lambda p: _optax_adam(p, None),
    "adamw": lambda p: _optax_adam(p, p["weight_decay"]),
    "lion": lambda p: f"optax.lion(lr, b1={p['beta1']!r}, b2={p['beta2']!r}, weight_decay={p['weight_decay']!r})",
    # optax's schedule_free_adamw as its chain, the wrapper reading the schedule one count earlier
    # (its count starts at 1, the base's at 0): both use the lr of the same update, as the engine does
    "schedule_free_adamw": lambda p: (
        "optax.contrib.schedule_free(optax.chain(optax.scale_by_rms(decay="
        f"{p['beta2']!r}, eps={p['eps']!r}, eps_in_sqrt=False, bias_correction=True), optax.add_decayed_weights("
        f"{p['weight_decay']!r}), optax.scale_by_learning_rate(lr)), learning_rate=lambda count: lr(count - 1), "
        f"b1={p['beta1']!r}, weight_lr_power={p['weight_lr_power']!r})"
    ),
    "polyak_sgd": lambda p: (
        f"optax.polyak_sgd(max_learning_rate={p['max_learning_rate']!r}, scaling=lr, f_min={p['f_min']!r}, "
        f"eps={p['eps']!r}, variant={p['variant']!r})"
    ),
}

# the lr drawn where it is not the schedule's: Polyak's effective rate s·γ (a function of the
# schedule's lr s, the loss and the gradient), written into the script
_OPTAX_RATES: dict[str, Callable[[dict[str, Any]], str]] = {
    "polyak_sgd": lambda p: f"polyak_rate({p['f_min']!r}, {p['max_learning_rate']!r}, {p['eps']!r}, "
    f"{p['variant'] == 'sps+'!r})",
}
_POLYAK_RATE = '''
def polyak_rate(f_min, max_lr, eps, plus):
    """The effective rate s·γ of optax.polyak_sgd, the lr the studio draws (optax divides by ‖s·g‖²)."""
    def rate(s, loss, g):
        u = -s * g
        n2 = jnp.sum(u * u)
        gap = loss - f_min
        if plus:
            gap = jnp.maximum(gap, 0.0)
        return float(s * jnp.where(n2 + eps <= jnp.finfo(float).eps, 0.0, jnp.minimum(gap / (n2 + eps), max_lr)))
    return rate
'''

OPTAX_SCHEDULES: dict[str, Callable[[dict[str, Any], float], str]] = {
    "constant": lambda p, lr: f"lambda t: {lr!r} + 0.0 * t",
    "step": lambda p, lr: f"lambda t: {lr!r} * {p['gamma']!r} ** jnp.floor(t / {p['step_size']!r})",
    "multistep": lambda p, lr: f"optax.piecewise_constant_schedule({lr!r}, {dict.fromkeys(p['milestones'], p['gamma'])!r})",
    "exponential": lambda p, lr: f"lambda t: {lr!r} * {p['gamma']!r} ** (1.0 * t)",
    "inverse_time": lambda p, lr: f"lambda t: {lr!r} / (1.0 + {p['decay_rate']!r} * t)",
    "inverse_sqrt": lambda p, lr: f"lambda t: {lr!r} * {p['k']!r} / jnp.sqrt(t + 1.0)",
    "polynomial": lambda p, lr: (
        f"lambda t: {lr!r} * (1.0 - jnp.minimum(t, {p['total_steps']!r}) / {p['total_steps']!r}) ** {p['power']!r}"
    ),
    "cosine": lambda p, lr: (
        f"lambda t: {p['eta_min']!r} + ({lr!r} - {p['eta_min']!r}) * (1.0 + jnp.cos(jnp.pi * t / {p['t_max']!r})) / 2.0"
    ),
}


def _optax_schedule(run: RunConfig) -> str:
    make = OPTAX_SCHEDULES.get(run.schedule.id)
    if make is None:
        raise NotExportable(f"no optax schedule for {run.schedule.id!r} in the exporter yet; use the PyTorch script")
    lr = run.params["lr"]
    main = make(run.schedule_params, lr)
    w = run.warmup_steps
    if not w:
        return main
    # warm-up lr·(t + 1)/W for t < W, then the schedule at t − W (float64 throughout)
    return f"(lambda main: lambda t: jnp.where(t < {w!r}, {lr!r} * (t + 1.0) / {w!r}, main(jnp.maximum(t - {w!r}, 0))))({main})"


_OPTAX_LOOP = """
def run(make_optimizer, schedule, noise_std, rate=None):
    \"\"\"One run as the studio draws it (see the PyTorch export for the conventions). The loss is passed
    to every update (`value`: the Polyak step size reads it; the others ignore it).\"\"\"
    opt = optax.with_extra_args_support(make_optimizer(schedule))
    p = jnp.array(START)
    state = opt.init(p)
    noise = np.random.default_rng([SEED, 1]).standard_normal((STEPS, 2)) * noise_std if noise_std else None
    out = {"x": [START[0]], "y": [START[1]], "loss": [], "lr": [], "grad_norm": []}
    status = "max_steps"
    for t in range(STEPS + 1):
        loss, g = value_and_grad(p)
        out["loss"].append(float(loss))
        if TOLERANCE > 0 and float(jnp.linalg.norm(g)) < TOLERANCE:
            status = "converged"
            break
        if t == STEPS:
            break
        if noise is not None:
            g = g + jnp.asarray(noise[t])
        lr = float(schedule(t)) if rate is None else rate(float(schedule(t)), loss, g)
        updates, new_state = opt.update(g, state, p, value=loss)
        new_p = optax.apply_updates(p, updates)
        if not (math.isfinite(float(f(new_p[0], new_p[1]))) and float(jnp.max(jnp.abs(new_p))) <= BOUND):
            status = "converged" if bool((g == 0).all()) else "diverged"
            break
        p, state = new_p, new_state
        out["lr"].append(lr)
        out["grad_norm"].append(float(jnp.linalg.norm(g)))
        out["x"].append(float(p[0]))
        out["y"].append(float(p[1]))
    out["status"], out["steps_taken"] = status, len(out["lr"])
    return out
"""


def optax_script(problem: Problem) -> str:
    tree = surface_tree(problem)
    run_lines = []
    for run in problem.runs:
        make = OPTAX_OPTIMIZERS.get(run.optimizer.id)
        if make is None:
            raise NotExportable(f"no optax counterpart for the optimizer {run.optimizer.id!r} in the exporter yet")
        if run.clip != (0.0, 0.0):  # optax's clip_by_global_norm has no torch-style 1e-6 in its divisor
            raise NotExportable("gradient clipping is exported with torch's semantics only: use the PyTorch script")
        ctor = make(run.params)
        rate = _OPTAX_RATES.get(run.optimizer.id)
        extra = f", {rate(run.params)}" if rate else ""
        run_lines.append(f"    ({run.label!r}, lambda lr: {ctor},\n     f64({_optax_schedule(run)}), {float(run.noise_std)!r}{extra}),")
    lines = [
        '"""optiviz export: the studio\'s runs with optax (JAX, float64).',
        "",
        "Run: python this_file.py        (prints each run's end point; --json prints every array)",
        "Needs: jax, optax, numpy.",
        '"""',
        "import json",
        "import math",
        "import sys",
        "",
        "import jax",
        "",
        'jax.config.update("jax_enable_x64", True)',
        "import jax.numpy as jnp  # noqa: E402",
        "import numpy as np  # noqa: E402",
        "import optax  # noqa: E402",
        "",
        f"START = [{problem.start[0]!r}, {problem.start[1]!r}]",
        f"STEPS = {problem.steps!r}",
        f"TOLERANCE = {float(problem.tolerance)!r}  # stop when the true gradient's norm is below this (0: never)",
        f"SEED = {problem.seed!r}  # seeds the gradient noise",
        f"BOUND = {problem.surface.bound!r}  # leaving |x|, |y| <= BOUND counts as diverged",
        "",
        "",
        "def f(x, y):",
        f"    # {json.dumps(problem.surface.formula, ensure_ascii=True)}",
        f"    return {python_source(tree, 1)}",
        "",
        "",
        "value_and_grad = jax.jit(jax.value_and_grad(lambda p: f(p[0], p[1])))",
        "",
        "",
        "def f64(schedule):",
        '    """The schedule on a float64 step count (optax passes an int32 one, which JAX divides in float32)."""',
        "    return lambda t: schedule(jnp.asarray(t, jnp.float64))",
        "",
        "",
        _OPTAX_LOOP.strip("\n"),
        "",
        "",
        *([_POLYAK_RATE.strip("\n"), "", ""] if any(r.optimizer.id in _OPTAX_RATES for r in problem.runs) else []),
        "# (label, optimizer over the schedule lr, schedule, gradient noise std[, the lr drawn])",
        "RUNS = [",
        *run_lines,
        "]",
        "",
        *_MAIN,
    ]
    return "\n".join(lines)
