"""Export as code: a studio state as a self-contained PyTorch (or optax) script.

The scripts reproduce what the API draws: the same surface formula (the checked formula tree is
translated, never the user's text), the same start, steps, tolerance, schedules (warm-up as
torch's ``SequentialLR(LinearLR, …)``) and the same seeded gradient noise (the script draws it
with NumPy exactly as the engine does). Every piece of user text (labels) reaches the script as a
``json.dumps`` literal.

What is known about each optimizer in torch/optax is written once, in its own module
(`app.engine.optimizers.<id>`: ``SPEC.torch``, ``SPEC.optax`` or the reasons there are none); the
tables ``TORCH_OPTIMIZERS`` and ``OPTAX_OPTIMIZERS`` below are read from the registry. Each
schedule's is in ``TORCH_SCHEDULES``, keyed by the registry's ids. An optimizer or schedule without
a mapping is not guessed: the export says so in ``notes`` and the script is ``null``.

Dataset surfaces (both scripts): the script makes the same data and mini-batch order (the
engine's own generator function and ``BatchOrder``, copied into it) and steps each scheduler after
every update or after each epoch's last one (``per``); ReduceLROnPlateau gets the full-data loss
at the new point, as in the engine (`app.engine.feedback`). L-BFGS and damped Newton take every
closure call of an update on that update's mini-batch (Newton's Hessian there: the engine's central
differences of the mini-batch gradient).

Optimizers torch.optim has not (the course's EWA momentum, Adam without bias correction, damped
Newton, optax's Lion, Schedule-Free AdamW and Polyak step size) are small ``torch.optim.Optimizer``
classes copied into the script when used, with the engine's formulas in its order of operations:
real Python files in ``app/export/templates/`` (linted and type-checked), named by the optimizer's
module.
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..engine.datasets import DatasetSurface
from ..engine.expression import Bin, Call, Const, Neg, Node, Var, parse_expression
from ..engine.optimizers import OPTIMIZERS, NotExportable
from ..engine.optimizers.base import OptaxFn, TorchFn
from ..engine.runner import BatchOrder, Problem, RunConfig, updates_per_epoch

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
        raise NotExportable("a dataset surface has no formula in x, y: the scripts write its data and loss instead")
    if s.id == "custom":
        text = s.extra.get("expression") or s.formula
    elif s.id in SURFACE_FORMULAS:
        text = SURFACE_FORMULAS[s.id]
    else:
        raise NotExportable(f"no formula for the surface {s.id!r} in the exporter yet")
    return parse_expression(text).tree


# --- optimizers --------------------------------------------------------------------------------
# Each optimizer's module (app.engine.optimizers.<id>) declares its torch optimizer over the
# parameter tensor ``p`` and its optax transformation over the schedule ``lr`` (or why there is
# none); the classes torch lacks are template files (app/export/templates/), copied into the
# script when used. The tables below are read from the registry.

_TEMPLATES = Path(__file__).resolve().parent / "templates"
_TEMPLATE_MARK = "# --- copied into the script from here (the lines above only make this file check) ---\n"
# the template of the closure optimizers (L-BFGS, damped Newton): it also switches the script's loop
CLOSURE_TEMPLATE = "torch_closure"


@functools.cache
def template(name: str) -> str:
    """The text of a template file after its marker line (what the script copies)."""
    text = (_TEMPLATES / f"{name}.py").read_text(encoding="utf-8")
    return text.split(_TEMPLATE_MARK, 1)[1].strip("\n") + "\n"


TORCH_OPTIMIZERS: dict[str, TorchFn] = {oid: s.torch for oid, s in OPTIMIZERS.items() if s.torch is not None}
# registered optimizers the PyTorch script cannot reproduce, with the reason (none today)
TORCH_REFUSED: dict[str, str] = {oid: s.torch_refused for oid, s in OPTIMIZERS.items() if s.torch_refused}


_CLOSURE_RUN = '''


def run(make_optimizer, make_scheduler, noise_std, clip_value=None, clip_norm=None):
    """L-BFGS and damped Newton: one update is one opt.step(closure) call, whose closure (the loss,
    its gradient, the noise draw of the update, clipping) may be called several times; each call
    is recorded in out["evals"]. Other optimizers: the loop above."""
    p = torch.tensor(START, requires_grad=True)
    opt = make_optimizer(p)
    if not isinstance(opt, CLOSURE_OPTIMIZERS):
        return _run_each_update(make_optimizer, make_scheduler, noise_std, clip_value, clip_norm)
    sched = make_scheduler(opt)
    noise = np.random.default_rng([SEED, 1]).standard_normal((STEPS, 2)) * noise_std if noise_std else None
    out = {"x": [START[0]], "y": [START[1]], "loss": [], "lr": [], "grad_norm": []}
    evals = {"step": [], "x": [], "y": [], "loss": []}
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
        first = []
        mark = len(evals["x"])

        def closure():
            opt.zero_grad()
            loss = f(p[0], p[1])
            loss.backward()
            if noise is not None:
                p.grad += torch.from_numpy(noise[t])
            if clip_value is not None:
                torch.nn.utils.clip_grad_value_([p], clip_value)
            if clip_norm is not None:
                torch.nn.utils.clip_grad_norm_([p], clip_norm)
            for key, v in (("step", t), ("x", p[0].item()), ("y", p[1].item()), ("loss", loss.item())):
                evals[key].append(v)
            if not first:
                first.append((loss.item(), p.grad.clone()))
            return loss

        lr = opt.param_groups[0]["lr"]
        before = p.detach().clone()
        opt.step(closure)
        if sched is not None:
            sched.step()
        if not (math.isfinite(f(p[0], p[1]).item()) and math.isfinite(first[0][0])
                and p.detach().abs().max().item() <= BOUND):
            status = "converged" if bool((first[0][1] == 0).all()) else "diverged"
            with torch.no_grad():
                p.copy_(before)
            for values in evals.values():
                del values[mark:]
            break
        out["lr"].append(lr)
        out["grad_norm"].append(first[0][1].norm().item())
        out["x"].append(p[0].item())
        out["y"].append(p[1].item())
    out["status"], out["steps_taken"] = status, len(out["lr"])
    if isinstance(opt, torch.optim.LBFGS):
        out["evals"] = evals
    return out
'''

_DATASET_CLOSURE_RUN = '''
def batch_hessian(idx):
    """The Hessian of the cost on the samples idx as the studio takes it on a data set: central
    differences of the mini-batch gradient, step 1e-5*max(1, |theta_i|), symmetrised."""
    def grad(w, b):  # in NumPy, the studio's own formula (the same bits: the differences divide by 2e-5)
        x, y = _data.x[idx], _data.y[idx]
        r = RESIDUAL(w, b, x, y)
        return float(np.mean(r * x)), float(np.mean(r))

    def hessian(v):
        x, y = v[0].item(), v[1].item()
        hx, hy = 1e-5 * max(1.0, abs(x)), 1e-5 * max(1.0, abs(y))
        (gxp, gyp), (gxm, gym) = grad(x + hx, y), grad(x - hx, y)
        (gxq, gyq), (gxn, gyn) = grad(x, y + hy), grad(x, y - hy)
        b = 0.5 * ((gyp - gym) / (2 * hx) + (gxq - gxn) / (2 * hy))
        return torch.tensor([[(gxp - gxm) / (2 * hx), b], [b, (gyq - gyn) / (2 * hy)]])
    return hessian


def run(make_optimizer, make_scheduler, batch_size, per_epoch, clip_value=None, clip_norm=None):
    """L-BFGS and damped Newton on a data set: one update is one opt.step(closure) call, every call
    of its closure on the same mini-batch (recorded in out["evals"]: the batch cost there). Other
    optimizers: the loop above."""
    p = torch.tensor(START, requires_grad=True)
    opt = make_optimizer(p)
    if not isinstance(opt, CLOSURE_OPTIMIZERS):
        return _run_each_update(make_optimizer, make_scheduler, batch_size, per_epoch, clip_value, clip_norm)
    sched = make_scheduler(opt)
    order = BatchOrder(M, batch_size, SEED)
    every = order.per_epoch if per_epoch else 1
    out = {"x": [START[0]], "y": [START[1]], "loss": [loss_on(p, None).item()], "lr": [], "grad_norm": [],
           "batch_loss": []}
    evals = {"step": [], "x": [], "y": [], "loss": []}
    status = "max_steps"
    for t in range(STEPS + 1):
        if TOLERANCE > 0:
            opt.zero_grad()
            loss_on(p, None).backward()
            if p.grad.norm().item() < TOLERANCE:
                status = "converged"  # the full-data gradient
                break
        if t == STEPS:
            break
        idx = order.indices(t)
        if isinstance(opt, DampedNewton):
            opt.hessian = batch_hessian(idx)
        first = []
        mark = len(evals["x"])

        def closure():
            opt.zero_grad()
            cost = loss_on(p, idx)
            cost.backward()
            if clip_value is not None:
                torch.nn.utils.clip_grad_value_([p], clip_value)
            if clip_norm is not None:
                torch.nn.utils.clip_grad_norm_([p], clip_norm)
            for key, v in (("step", t), ("x", p[0].item()), ("y", p[1].item()), ("loss", cost.item())):
                evals[key].append(v)
            if not first:
                first.append((cost.item(), p.grad.clone()))
            return cost

        lr = opt.param_groups[0]["lr"]
        before = p.detach().clone()
        opt.step(closure)
        new_loss = loss_on(p, None).item()
        if not (math.isfinite(new_loss) and math.isfinite(first[0][0]) and p.detach().abs().max().item() <= BOUND):
            status = "converged" if bool((first[0][1] == 0).all()) else "diverged"
            with torch.no_grad():
                p.copy_(before)
            for values in evals.values():
                del values[mark:]
            break
        if sched is not None and (t + 1) % every == 0:
            step_scheduler(sched, new_loss)
        out["lr"].append(lr)
        out["grad_norm"].append(first[0][1].norm().item())
        out["batch_loss"].append(first[0][0])
        out["x"].append(p[0].item())
        out["y"].append(p[1].item())
        out["loss"].append(new_loss)
    out["status"], out["steps_taken"] = status, len(out["lr"])
    if isinstance(opt, torch.optim.LBFGS):
        out["evals"] = evals
    return out
'''


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
    "one_cycle": lambda p, lr: (
        f"L.OneCycleLR(opt, max_lr={lr!r}, total_steps={p['total_steps']!r}, pct_start={p['pct_start']!r}, "
        f"anneal_strategy={p['anneal_strategy']!r}, div_factor={p['div_factor']!r}, "
        f"final_div_factor={p['final_div_factor']!r}, three_phase={bool(p['three_phase'])!r}, "
        f"cycle_momentum={bool(p['cycle_momentum'])!r}"
        + (
            f", base_momentum={p['base_momentum']!r}, max_momentum={p['max_momentum']!r})"
            if p["cycle_momentum"]
            else ")"
        )
    ),
    "linear": lambda p, lr: (
        f"L.LinearLR(opt, start_factor={p['start_factor']!r}, end_factor={p['end_factor']!r}, "
        f"total_iters={p['total_iters']!r})"
    ),
    "constant_factor": lambda p, lr: f"L.ConstantLR(opt, factor={p['factor']!r}, total_iters={p['total_iters']!r})",
    # stepped with the loss at the new point (the run loop below calls step(loss) for it)
    "reduce_on_plateau": lambda p, lr: (
        f"L.ReduceLROnPlateau(opt, mode='min', factor={p['factor']!r}, patience={p['patience']!r}, "
        f"threshold={p['threshold']!r}, threshold_mode={p['threshold_mode']!r}, cooldown={p['cooldown']!r}, "
        f"min_lr={p['min_lr']!r}, eps={p['eps']!r})"
    ),
}


def _updates(problem: Problem, run: RunConfig) -> int:
    """Updates per step of a schedule (an epoch's when it counts epochs)."""
    return updates_per_epoch(problem.surface, run) if run.per == "epoch" else 1


def _one_torch_scheduler(spec_id: str, params: dict[str, Any], lr: float) -> str | None:
    make = TORCH_SCHEDULES.get(spec_id)
    if make is None:
        raise NotExportable(f"no torch.optim.lr_scheduler for the schedule {spec_id!r} in the exporter yet")
    return make(params, lr)


def _torch_scheduler(run: RunConfig, problem: Problem | None = None) -> str:
    """The scheduler expression over ``opt``. A OneCycleLR that would run past its total_steps (torch
    raises there; the studio holds the last rate and momentum) is the script's ``OneCycleLRHeld``."""
    out = _torch_scheduler_links(run, problem)
    held = False
    links = [(run.schedule.id, run.schedule_params), *((c.spec.id, c.params) for c in run.chain)]
    starts = [0, *(c.milestone for c in run.chain)]
    for (sid, p), begin, end in zip(links, starts, [*starts[1:], None], strict=True):
        if problem is None or sid != "one_cycle":
            continue
        span = (end if end is not None else math.ceil(problem.steps / _updates(problem, run))) - begin
        if begin == 0:
            span -= run.warmup_steps  # the cycle starts after the warm-up
        held = held or span > p["total_steps"]
    return out.replace("L.OneCycleLR(", "OneCycleLRHeld(") if held else out


_ONE_CYCLE_HELD = '''
class OneCycleLRHeld(L.OneCycleLR):
    """torch's OneCycleLR, held at its last rate (and momentum) from total_steps on, as the studio
    draws it (torch raises when stepped past total_steps)."""

    def step(self, epoch=None):
        if self.last_epoch + 1 < self.total_steps:
            super().step()
'''


def _torch_scheduler_links(run: RunConfig, problem: Problem | None = None) -> str:
    lr = run.params["lr"]
    links = [(run.schedule.id, run.schedule_params), *((c.spec.id, c.params) for c in run.chain)]
    if run.chain:
        subs = [_one_torch_scheduler(sid, p, lr) or "L.ConstantLR(opt, factor=1.0, total_iters=0)" for sid, p in links]
        milestones = [c.milestone for c in run.chain]
        return f"L.SequentialLR(opt, [{', '.join(subs)}], milestones={milestones!r})"
    main = _one_torch_scheduler(run.schedule.id, run.schedule_params, lr)
    w = run.warmup_steps
    if not w:
        return main or "None"
    warm = f"L.LinearLR(opt, start_factor={1.0 / w!r}, end_factor=1.0, total_iters={w - 1})"
    if main is None:
        main = "L.ConstantLR(opt, factor=1.0, total_iters=0)"
    out = f"L.SequentialLR(opt, [{warm}, {main}], milestones=[{w}])"
    if run.schedule.id == "one_cycle":  # OneCycleLR writes its start rate into the group: the warm-up's first
        out = f"starting_at({out}, {lr!r} * {1.0 / w!r})"
    return out


_STEP_SCHEDULER = '''
def step_scheduler(sched, loss):
    """After an update (an epoch): ReduceLROnPlateau reads the loss at the new point."""
    if isinstance(sched, L.ReduceLROnPlateau):
        sched.step(loss)
    else:
        sched.step()


def starting_at(sched, lr):
    """The scheduler with the first rate set to lr: torch's OneCycleLR writes its own start rate,
    max_lr/div_factor, as the group's initial_lr, and SequentialLR would start a warm-up before it
    from that (the warm-up's LinearLR then goes on from the group's rate)."""
    for group in sched.optimizer.param_groups:
        group["lr"] = lr
    return sched


def record_average(out, opt, p):
    """The averaged iterate after an update, where the optimizer keeps one (ASGD's ax,
    Schedule-Free's x): drawn as a thin path beside the run's, out["average"]."""
    st = opt.state[p]
    avg = st["x"] if "x" in st else st.get("ax")
    if avg is not None:
        out.setdefault("average", {"x": [], "y": []})
        out["average"]["x"].append(avg[0].item())
        out["average"]["y"].append(avg[1].item())
'''

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
        opt.step(lambda: loss)  # the loss at the current point: the Polyak step size reads it, the others ignore it
        lr = opt.param_groups[0].get("effective_lr", lr)  # Polyak: the rate it used
        new_loss = f(p[0], p[1]).item()
        if sched is not None:
            step_scheduler(sched, new_loss)
        if not (math.isfinite(new_loss) and p.detach().abs().max().item() <= BOUND):
            status = "converged" if bool((p.grad == 0).all()) else "diverged"
            with torch.no_grad():
                p.copy_(before)
            break
        out["lr"].append(lr)
        out["grad_norm"].append(gnorm)
        out["x"].append(p[0].item())
        out["y"].append(p[1].item())
        record_average(out, opt, p)
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
    "            print(f\"{r['label']}: {r['status']} after {r['steps_taken']} steps at "
    "({r['x'][-1]:.6g}, {r['y'][-1]:.6g}), loss {r['loss'][-1]:.6g}\")",
    '            if "average" in r:  # ASGD, Schedule-Free: the averaged iterate, the point to evaluate',
    "                print(f\"  averaged iterate at ({r['average']['x'][-1]:.6g}, {r['average']['y'][-1]:.6g})\")",
    "",
]


# --- dataset surfaces ---------------------------------------------------------------------------
# The script makes the same data (the engine's own generator function, copied by inspect, with the
# fixed data seed), draws the same mini-batches (the engine's BatchOrder class, copied the same
# way, seeded with the request's seed) and writes each model's loss in torch; a checksum of the
# data guards against a NumPy whose generator would differ.

DATASET_LOSSES: dict[str, str] = {  # the batch cost of each dataset surface's model, over tensors x, y
    "linear_regression": "0.5 * torch.mean((w * x + b - y) ** 2)",
    "logistic_regression": "torch.mean(torch.logaddexp(torch.zeros_like(x), w * x + b) - y * (w * x + b))",
}
DATASET_RESIDUALS: dict[str, str] = {  # the cost's derivative in the model's output, in NumPy (as app.engine.datasets)
    "linear_regression": "w * x + b - y",
    "logistic_regression": "np.exp(w * x + b - np.logaddexp(0.0, w * x + b)) - y",
}
_DATASET_MAKERS = {"linear_regression": "_linear_data", "logistic_regression": "_logistic_data"}

_DATASET_LOOP = '''
def loss_on(p, idx):
    """The cost of (w, b) = p on the samples idx (None: all of them, in stored order)."""
    x, y = (X, Y) if idx is None else (X[idx], Y[idx])
    w, b = p[0], p[1]
    return LOSS(w, b, x, y)


def run(make_optimizer, make_scheduler, batch_size, per_epoch, clip_value=None, clip_norm=None):
    """One run as the studio draws it: (w, b) after t updates, the full-data loss there; per update
    the lr, the norm of the mini-batch gradient it used (after clipping) and that batch's cost. The
    scheduler steps after every update, or (per_epoch) after each epoch's last update."""
    p = torch.tensor(START, requires_grad=True)
    opt = make_optimizer(p)
    sched = make_scheduler(opt)
    order = BatchOrder(M, batch_size, SEED)
    every = order.per_epoch if per_epoch else 1
    out = {"x": [START[0]], "y": [START[1]], "loss": [loss_on(p, None).item()], "lr": [], "grad_norm": [],
           "batch_loss": []}
    status = "max_steps"
    for t in range(STEPS + 1):
        if TOLERANCE > 0:
            opt.zero_grad()
            loss_on(p, None).backward()
            if p.grad.norm().item() < TOLERANCE:
                status = "converged"  # the full-data gradient
                break
        if t == STEPS:
            break
        opt.zero_grad()
        cost = loss_on(p, order.indices(t))
        cost.backward()
        if clip_value is not None:
            torch.nn.utils.clip_grad_value_([p], clip_value)
        if clip_norm is not None:
            torch.nn.utils.clip_grad_norm_([p], clip_norm)
        lr, gnorm = opt.param_groups[0]["lr"], p.grad.norm().item()
        opt.step()
        new_loss = loss_on(p, None).item()
        if not (math.isfinite(new_loss) and math.isfinite(cost.item()) and p.detach().abs().max().item() <= BOUND):
            status = "converged" if bool((p.grad == 0).all()) else "diverged"
            break
        if sched is not None and (t + 1) % every == 0:
            step_scheduler(sched, new_loss)
        out["lr"].append(lr)
        out["grad_norm"].append(gnorm)
        out["batch_loss"].append(cost.item())
        out["x"].append(p[0].item())
        out["y"].append(p[1].item())
        out["loss"].append(new_loss)
        record_average(out, opt, p)
    out["status"], out["steps_taken"] = status, len(out["lr"])
    return out
'''


def _dataset_source(problem: Problem, newton: bool = False, lib: str = "torch") -> list[str]:
    """The data, the batch order and the loss of a dataset surface, as script lines: the engine's
    own generator and `BatchOrder` copied by inspect, a checksum of the data, the loss over torch
    tensors (``lib="torch"``) or JAX arrays (``lib="jnp"``, the optax script)."""
    import inspect

    from ..engine import datasets

    s = problem.surface
    assert isinstance(s, DatasetSurface)
    if s.id not in DATASET_LOSSES or getattr(s.model, "l2", 0.0):
        what = "torch" if lib == "torch" else "optax"
        raise NotExportable(f"no {what} loss for the dataset surface {s.id!r} in the exporter yet")
    maker = _DATASET_MAKERS[s.id]
    data = s.model.data
    arrays = "torch.from_numpy" if lib == "torch" else "jnp.asarray"
    return [
        f"DATA_SEED = {datasets.DATA_SEED!r}  # fixed: the data set is part of the surface",
        'Data = collections.namedtuple("Data", "x y")',
        "",
        "",
        *inspect.getsource(getattr(datasets, maker)).strip("\n").splitlines(),
        "",
        "",
        f"_data = {maker}()",
        f"assert abs(float(_data.x.sum()) - {float(data.x.sum())!r}) < 1e-9 and "
        f'abs(float(_data.y.sum()) - {float(data.y.sum())!r}) < 1e-9, "this NumPy draws other data"',
        f"X, Y = {arrays}(_data.x), {arrays}(_data.y)",
        "M = X.shape[0]",
        "",
        "",
        "def LOSS(w, b, x, y):",
        f"    # {json.dumps(s.formula, ensure_ascii=True)}",
        f"    return {DATASET_LOSSES[s.id] if lib == 'torch' else DATASET_LOSSES[s.id].replace('torch.', 'jnp.')}",
        "",
        "",
        *(
            [
                "def RESIDUAL(w, b, x, y):",
                "    # dJ/dw = mean(RESIDUAL*x), dJ/db = mean(RESIDUAL) (NumPy, for damped Newton's Hessian)",
                f"    return {DATASET_RESIDUALS[s.id]}",
                "",
                "",
            ]
            if newton
            else []
        ),
        *inspect.getsource(BatchOrder).strip("\n").splitlines(),
        "",
    ]


def torch_script(problem: Problem) -> str:
    dataset = isinstance(problem.surface, DatasetSurface)
    tree = None if dataset else surface_tree(problem)
    helpers: dict[str, str] = {}
    run_lines = []
    for run in problem.runs:
        make = TORCH_OPTIMIZERS.get(run.optimizer.id)
        if make is None:
            oid = run.optimizer.id
            raise NotExportable(
                f"no PyTorch script for {oid!r}: {TORCH_REFUSED[oid]}"
                if oid in TORCH_REFUSED
                else f"no PyTorch counterpart for the optimizer {oid!r} in the exporter yet"
            )
        ctor, helper = make(run.params)
        if helper:
            helpers[helper] = template(helper)
        sched = _torch_scheduler(run, problem)
        if "OneCycleLRHeld(" in sched:
            helpers[_ONE_CYCLE_HELD] = _ONE_CYCLE_HELD
        clip = ", ".join(f"{v!r}" if v else "None" for v in run.clip)
        if dataset:
            run_lines.append(
                f"    ({run.label!r}, lambda p: {ctor},\n"
                f"     lambda opt: {sched}, {run.batch_size!r}, {run.per == 'epoch'!r}, {clip}),"
            )
            continue
        run_lines.append(
            f"    ({run.label!r}, lambda p: {ctor},\n     lambda opt: {sched}, {float(run.noise_std)!r}, {clip}),"
        )
    lines = [
        '"""optiviz export: the studio\'s runs with torch.optim (float64).',
        "",
        "Run: python this_file.py        (prints each run's end point; --json prints every array)",
        "Needs: torch, numpy.",
        '"""',
        *(["import collections"] if dataset else []),
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
        f"SEED = {problem.seed!r}  # seeds the " + ("mini-batch order" if dataset else "gradient noise"),
        f"BOUND = {problem.surface.bound!r}  # leaving |x|, |y| <= BOUND counts as diverged",
        "",
        "",
        *(
            _dataset_source(problem, any(r.optimizer.hessian for r in problem.runs))[:-1]
            if dataset
            else [
                "def f(x, y):",
                f"    # {json.dumps(problem.surface.formula, ensure_ascii=True)}",
                f"    return {python_source(tree, 0)}",
            ]
        ),
        "",
        "",
        *[line for k, h in helpers.items() if k != CLOSURE_TEMPLATE for line in (*h.strip("\n").splitlines(), "", "")],
        _STEP_SCHEDULER.strip("\n"),
        "",
        "",
        _DATASET_LOOP.strip("\n") if dataset else _TORCH_LOOP.strip("\n"),
        "",
        "",
        *(
            [
                *template(CLOSURE_TEMPLATE).strip("\n").splitlines(),
                "",
                "",
                *(_DATASET_CLOSURE_RUN if dataset else _CLOSURE_RUN).strip("\n").splitlines(),
                "",
                "",
            ]
            if CLOSURE_TEMPLATE in helpers
            else []
        ),
        "# (label, optimizer, scheduler, batch size, scheduler per epoch, clip by value, clip by norm)"
        if dataset
        else "# (label, optimizer, scheduler, gradient noise std, clip by value, clip by norm)",
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
# Each entry: params → the optax transformation over the rate ``lr`` (and ``mom``, where a one-cycle
# schedule cycles the momentum), or NotExportable where optax's formula differs from torch's
# (checked by the round trip). The script wraps it in ``optax.inject_hyperparams`` and sets each
# update's lr (and momentum) on the host: schedules are plain float64 functions of the step count
# in the engine's closed forms (optax's own linear and exponential schedules compute in float32
# and drift by ~1e-8), ReduceLROnPlateau is torch's rule fed with the loss after each update (or
# epoch), as the engine does.


OPTAX_OPTIMIZERS: dict[str, OptaxFn] = {oid: s.optax for oid, s in OPTIMIZERS.items() if s.optax is not None}
# optimizers optax has no exact counterpart of: why there is no optax script (the PyTorch one reproduces them)
OPTAX_REFUSED: dict[str, str] = {oid: s.optax_refused for oid, s in OPTIMIZERS.items() if s.optax_refused}
# the lr drawn where it is not the schedule's (Polyak's effective rate s·γ): the script's function of it
_OPTAX_RATES: dict[str, OptaxFn] = {oid: s.optax_rate for oid, s in OPTIMIZERS.items() if s.optax_rate is not None}


OPTAX_SCHEDULES: dict[str, Callable[[dict[str, Any], float], str]] = {
    "constant": lambda p, lr: f"lambda t: {lr!r} + 0.0 * t",
    "step": lambda p, lr: f"lambda t: {lr!r} * {p['gamma']!r} ** jnp.floor(t / {p['step_size']!r})",
    "multistep": lambda p, lr: (
        f"optax.piecewise_constant_schedule({lr!r}, {dict.fromkeys(p['milestones'], p['gamma'])!r})"
    ),
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


OPTAX_SCHEDULES.update(
    {
        "linear": lambda p, lr: (
            f"lambda t: {lr!r} * ({p['start_factor']!r} + ({p['end_factor']!r} - {p['start_factor']!r}) * "
            f"jnp.minimum(t, {p['total_iters']!r}) / {p['total_iters']!r})"
        ),
        "constant_factor": lambda p, lr: (
            f"lambda t: {lr!r} * jnp.where(t < {p['total_iters']!r}, {p['factor']!r}, 1.0)"
        ),
    }
)


# the engine's own closed forms (app.engine.schedules, copied into the script by inspect) for the
# schedules optax has no float64 counterpart of; each is called on a NumPy integer step count
_ENGINE_SCHEDULE_FNS: dict[str, tuple[str, ...]] = {
    "cosine_restarts": ("_restart_position", "cosine_restarts"),
    "cyclic": ("cyclic",),
    "one_cycle": ("_one_cycle_phases", "_one_cycle_anneal", "one_cycle"),
    "one_cycle_momentum": ("_one_cycle_phases", "_one_cycle_anneal", "one_cycle_momentum"),
}


def _engine_schedule(name: str) -> Callable[[dict[str, Any], float], str]:
    return lambda p, lr: f"lambda t: {name}(np.asarray(int(t)), {lr!r}, **{dict(p)!r})"


OPTAX_SCHEDULES.update({sid: _engine_schedule(sid) for sid in ("cosine_restarts", "cyclic", "one_cycle")})

# ReduceLROnPlateau: the engine's rule (torch's, mode="min"), on the host; optax.contrib.reduce_on_plateau
# is not used: it scales the updates (not the rate: Schedule-Free and Polyak would differ), counts
# patience with >= (torch: >) and averages the losses it reads over accumulation_size
_PLATEAU = '''
class Plateau:
    """torch ReduceLROnPlateau(mode="min"): step(loss) after each update (epoch) with the loss at the new
    point; after more than `patience` steps without a loss below best*(1 - threshold) ("rel") or
    best - threshold ("abs"), lr <- max(lr*factor, min_lr) if that lowers it by more than eps; then
    `cooldown` steps in which bad steps are not counted."""

    def __init__(self, lr, factor, patience, threshold, threshold_mode, cooldown, min_lr, eps):
        self.lr, self.best, self.bad, self.cool = lr, math.inf, 0, 0
        self.factor, self.patience, self.threshold, self.rel = factor, patience, threshold, threshold_mode == "rel"
        self.cooldown, self.min_lr, self.eps = cooldown, min_lr, eps

    def step(self, loss):
        if loss < (self.best * (1.0 - self.threshold) if self.rel else self.best - self.threshold):
            self.best, self.bad = loss, 0
        else:
            self.bad += 1
        if self.cool > 0:
            self.cool -= 1
            self.bad = 0
        if self.bad > self.patience:
            new = max(self.lr * self.factor, self.min_lr)
            if self.lr - new > self.eps:
                self.lr = new
            self.cool, self.bad = self.cooldown, 0
'''

# gradient clipping as optax transformations: optax.clip is torch's clip_grad_value_; torch's
# clip_grad_norm_ multiplies by min(1, c/(‖g‖ + 1e-6)), optax.clip_by_global_norm by c/‖g‖ (a
# relative difference of 1e-6/‖g‖), so the script writes torch's rule with optax.stateless
_OPTAX_CLIP = '''
def clipping(clip_value, clip_norm):
    """torch's clip_grad_value_ then clip_grad_norm_ (the studio's order; None: off), chained as optax
    transformations. Applied to the gradient before the optimizer (equivalent to chaining it in front)
    so the loop can record the norm of the clipped gradient, as the studio draws it."""
    parts = []
    if clip_value is not None:
        parts.append(optax.clip(clip_value))
    if clip_norm is not None:
        parts.append(optax.stateless(lambda g, params=None: g * jnp.minimum(clip_norm / (jnp.linalg.norm(g) + 1e-6), 1.0)))
    return optax.chain(*parts)
'''


def _optax_one(spec_id: str, params: dict[str, Any], lr: float) -> str:
    make = OPTAX_SCHEDULES.get(spec_id)
    if make is None:
        raise NotExportable(f"no optax schedule for {spec_id!r} in the exporter yet; use the PyTorch script")
    return make(params, lr)


def _optax_schedule(run: RunConfig) -> str:
    lr = run.params["lr"]
    if run.chain:  # SequentialLR: each link from its milestone on, from its own step 0 (float64 lambdas)
        # torch's OneCycleLR sets the optimizer's initial_lr to max_lr/div_factor when it is built: the
        # other links start from that rate (app.engine.schedules.learning_rates)
        links = [(run.schedule.id, run.schedule_params), *((c.spec.id, c.params) for c in run.chain)]
        cycles = [p["div_factor"] for sid, p in links if sid == "one_cycle"]
        other = lr / cycles[-1] if cycles else lr
        out = _optax_one(run.schedule.id, run.schedule_params, lr if run.schedule.id == "one_cycle" else other)
        for c in run.chain:
            nxt = _optax_one(c.spec.id, c.params, lr if c.spec.id == "one_cycle" else other)
            out = (
                f"(lambda a, b: lambda t: jnp.where(t < {c.milestone!r}, a(t), b(jnp.maximum(t - {c.milestone!r}, 0))))"
                f"({out}, {nxt})"
            )
        return out
    main = _optax_one(run.schedule.id, run.schedule_params, lr)
    w = run.warmup_steps
    if not w:
        return main
    # warm-up lr·(t + 1)/W for t < W, then the schedule at t − W (float64 throughout)
    return f"(lambda main: lambda t: jnp.where(t < {w!r}, {lr!r} * (t + 1.0) / {w!r}, main(jnp.maximum(t - {w!r}, 0))))({main})"


_OPTAX_COMMON = '''
def make(make_optimizer, lr, mom):
    """The optimizer with its rate (and cycled momentum) as injected hyperparameters: the loop sets
    them before every update. The loss reaches every update as `value` (Polyak reads it)."""
    hyper = {"lr": lr} if mom is None else {"lr": lr, "mom": mom}
    return optax.with_extra_args_support(optax.inject_hyperparams(make_optimizer)(**hyper))


def set_rates(state, lr, mom):
    state.hyperparams["lr"] = jnp.asarray(lr, jnp.float64)
    if mom is not None:
        state.hyperparams["mom"] = jnp.asarray(mom, jnp.float64)
'''

_OPTAX_LOOP = """
def run(make_optimizer, schedule, noise_std, rate=None, momentum=None, plateau=None, clip=None):
    \"\"\"One run as the studio draws it: x[t], y[t] after t updates, the loss there, and per update the lr
    and the norm of the gradient it used (after noise and clipping). `schedule(t)`: the lr of update t;
    `momentum(t)`: its cycled momentum; `plateau`: makes a Plateau, fed with the loss after each
    update (then it sets the lr); `rate`: the lr drawn where it is not the schedule's.\"\"\"
    p = jnp.array(START)
    plateau = plateau() if plateau is not None else None  # a fresh rule for each run
    lr0 = plateau.lr if plateau is not None else float(schedule(0))
    opt = make(make_optimizer, lr0, None if momentum is None else momentum(0))
    state = opt.init(p)
    clipper = clipping(*clip) if clip else None
    noise = np.random.default_rng([SEED, 1]).standard_normal((STEPS, 2)) * noise_std if noise_std else None
    out = {"x": [START[0]], "y": [START[1]], "loss": [], "lr": [], "grad_norm": []}
    status = "max_steps"
    for t in range(STEPS + 1):
        loss, g = value_and_grad(p)
        out["loss"].append(float(loss))
        if TOLERANCE > 0 and float(jnp.linalg.norm(g)) < TOLERANCE:
            status = "converged"  # the true (noise-free) gradient is small enough
            break
        if t == STEPS:
            break
        if noise is not None:
            g = g + jnp.asarray(noise[t])
        if clipper is not None:
            g, _ = clipper.update(g, clipper.init(p))
        lr = plateau.lr if plateau is not None else float(schedule(t))
        set_rates(state, lr, None if momentum is None else momentum(t))
        drawn = lr if rate is None else rate(lr, loss, g)
        updates, new_state = opt.update(g, state, p, value=loss)
        new_p = optax.apply_updates(p, updates)
        new_loss = float(f(new_p[0], new_p[1]))
        if plateau is not None:
            plateau.step(new_loss)
        if not (math.isfinite(new_loss) and float(jnp.max(jnp.abs(new_p))) <= BOUND):
            status = "converged" if bool((g == 0).all()) else "diverged"
            break
        p, state = new_p, new_state
        out["lr"].append(drawn)
        out["grad_norm"].append(float(jnp.linalg.norm(g)))
        out["x"].append(float(p[0]))
        out["y"].append(float(p[1]))
    out["status"], out["steps_taken"] = status, len(out["lr"])
    return out
"""

_OPTAX_DATASET_LOOP = """
def loss_on(p, idx):
    \"\"\"The cost of (w, b) = p on the samples idx (None: all of them, in stored order).\"\"\"
    x, y = (X, Y) if idx is None else (X[idx], Y[idx])
    return LOSS(p[0], p[1], x, y)


batch_value_and_grad = jax.value_and_grad(loss_on)


def run(make_optimizer, schedule, batch_size, per_epoch, rate=None, momentum=None, plateau=None, clip=None):
    \"\"\"One run as the studio draws it: (w, b) after t updates, the full-data loss there; per update the
    lr, the norm of the mini-batch gradient it used (after clipping) and that batch's cost. Schedules
    count updates, or (per_epoch) epochs; the Plateau reads the full-data loss after every update, or
    after each epoch's last one.\"\"\"
    p = jnp.array(START)
    order = BatchOrder(M, batch_size, SEED)
    every = order.per_epoch if per_epoch else 1
    plateau = plateau() if plateau is not None else None  # a fresh rule for each run
    lr0 = plateau.lr if plateau is not None else float(schedule(0))
    opt = make(make_optimizer, lr0, None if momentum is None else momentum(0))
    state = opt.init(p)
    clipper = clipping(*clip) if clip else None
    out = {"x": [START[0]], "y": [START[1]], "loss": [float(loss_on(p, None))], "lr": [], "grad_norm": [],
           "batch_loss": []}
    status = "max_steps"
    for t in range(STEPS + 1):
        if TOLERANCE > 0 and float(jnp.linalg.norm(batch_value_and_grad(p, None)[1])) < TOLERANCE:
            status = "converged"  # the full-data gradient
            break
        if t == STEPS:
            break
        cost, g = batch_value_and_grad(p, order.indices(t))
        if clipper is not None:
            g, _ = clipper.update(g, clipper.init(p))
        k = t // every
        lr = plateau.lr if plateau is not None else float(schedule(k))
        set_rates(state, lr, None if momentum is None else momentum(k))
        drawn = lr if rate is None else rate(lr, cost, g)
        updates, new_state = opt.update(g, state, p, value=cost)
        new_p = optax.apply_updates(p, updates)
        new_loss = float(loss_on(new_p, None))
        if not (math.isfinite(new_loss) and math.isfinite(float(cost)) and float(jnp.max(jnp.abs(new_p))) <= BOUND):
            status = "converged" if bool((g == 0).all()) else "diverged"
            break
        if plateau is not None and (t + 1) % every == 0:
            plateau.step(new_loss)
        p, state = new_p, new_state
        out["lr"].append(drawn)
        out["grad_norm"].append(float(jnp.linalg.norm(g)))
        out["batch_loss"].append(float(cost))
        out["x"].append(float(p[0]))
        out["y"].append(float(p[1]))
        out["loss"].append(new_loss)
    out["status"], out["steps_taken"] = status, len(out["lr"])
    return out
"""


class _Name(str):
    """A name written into the script as itself (the injected momentum ``mom``), not as a literal."""

    def __repr__(self) -> str:
        return str(self)


def _optax_run_line(problem: Problem, run: RunConfig, dataset: bool) -> str:
    from ..engine import feedback

    make = OPTAX_OPTIMIZERS.get(run.optimizer.id)
    if make is None:
        oid = run.optimizer.id
        raise NotExportable(
            f"no optax script for {oid!r}: {OPTAX_REFUSED[oid]}"
            if oid in OPTAX_REFUSED
            else f"no optax counterpart for the optimizer {oid!r} in the exporter yet"
        )
    params = dict(run.params)
    momentum = "None"
    if feedback.cycles_momentum(run.schedule, run.schedule_params):
        name = feedback.momentum_name(run.optimizer)
        params[name] = _Name("mom")
        w = run.warmup_steps
        momentum = (
            f"lambda t: float(one_cycle_momentum(np.asarray(max(int(t) - {w!r}, 0)), **{dict(run.schedule_params)!r}))"
        )
    ctor = make(params)
    if momentum != "None" and "mom" not in ctor:
        raise NotExportable(f"no momentum to cycle in the optax form of {run.optimizer.id!r}")
    args = "lr, mom" if momentum != "None" else "lr"
    if run.schedule.reads_loss:
        schedule = "None"
        plateau = f"lambda: Plateau({run.params['lr']!r}, **{dict(run.schedule_params)!r})"
    else:
        schedule, plateau = f"f64({_optax_schedule(run)})", "None"
    rate = _OPTAX_RATES.get(run.optimizer.id)
    rate_text = rate(run.params) if rate else "None"
    clip = "None" if run.clip == (0.0, 0.0) else f"({(run.clip[0] or None)!r}, {(run.clip[1] or None)!r})"
    head = f"{run.batch_size!r}, {run.per == 'epoch'!r}" if dataset else f"{float(run.noise_std)!r}"
    return (
        f"    ({run.label!r}, lambda {args}: {ctor},\n     {schedule}, {head},\n"
        f"     {rate_text}, {momentum}, {plateau}, {clip}),"
    )


def _optax_templates(problem: Problem) -> list[str]:
    """The template files the optax script's runs need (their rate functions), each once."""
    names = (r.optimizer.optax_rate_template for r in problem.runs if r.optimizer.id in _OPTAX_RATES)
    return list(dict.fromkeys(n for n in names if n))


def optax_script(problem: Problem) -> str:
    import inspect

    from ..engine import schedules

    dataset = isinstance(problem.surface, DatasetSurface)
    tree = None if dataset else surface_tree(problem)
    run_lines = [_optax_run_line(problem, run, dataset) for run in problem.runs]
    body = "\n".join(run_lines)
    engine_fns: dict[str, None] = {}
    for sid, names in _ENGINE_SCHEDULE_FNS.items():
        if f"{sid}(np.asarray" in body:
            engine_fns.update(dict.fromkeys(names))
    engine_src = [
        line
        for name in engine_fns
        for line in (*inspect.getsource(getattr(schedules, name)).strip("\n").splitlines(), "", "")
    ]
    plateau = any(run.schedule.reads_loss for run in problem.runs)
    clip = any(run.clip != (0.0, 0.0) for run in problem.runs)
    lines = [
        '"""optiviz export: the studio\'s runs with optax (JAX, float64).',
        "",
        "Run: python this_file.py        (prints each run's end point; --json prints every array)",
        "Needs: jax, optax, numpy.",
        '"""',
        *(["import collections"] if dataset else []),
        "import json",
        "import math",
        "import sys",
        *(["from typing import Any  # in the engine's schedule functions below"] if engine_src else []),
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
        f"SEED = {problem.seed!r}  # seeds the " + ("mini-batch order" if dataset else "gradient noise"),
        f"BOUND = {problem.surface.bound!r}  # leaving |x|, |y| <= BOUND counts as diverged",
        "",
        "",
        *(
            _dataset_source(problem, lib="jnp")[:-1]
            if dataset
            else [
                "def f(x, y):",
                f"    # {json.dumps(problem.surface.formula, ensure_ascii=True)}",
                f"    return {python_source(tree, 1)}",
                "",
                "",
                "value_and_grad = jax.jit(jax.value_and_grad(lambda p: f(p[0], p[1])))",
            ]
        ),
        "",
        "",
        "def f64(schedule):",
        '    """The schedule on a float64 step count (JAX would divide an int32 one in float32)."""',
        "    return lambda t: schedule(jnp.asarray(t, jnp.float64))",
        "",
        "",
        *engine_src,
        *([_PLATEAU.strip("\n"), "", ""] if plateau else []),
        *([_OPTAX_CLIP.strip("\n"), "", ""] if clip else ["clipping = None", "", ""]),
        _OPTAX_COMMON.strip("\n"),
        "",
        "",
        (_OPTAX_DATASET_LOOP if dataset else _OPTAX_LOOP).strip("\n"),
        "",
        "",
        *[line for name in _optax_templates(problem) for line in (template(name).strip("\n"), "", "")],
        (
            "# (label, optimizer over the rate lr [and momentum mom], lr schedule, "
            + ("batch size, schedule per epoch, " if dataset else "gradient noise std, ")
            + "the lr drawn, momentum schedule, plateau, (clip by value, clip by norm))"
        ),
        "RUNS = [",
        *run_lines,
        "]",
        "",
        *_MAIN,
    ]
    return "\n".join(lines)
