"""Export as code: a studio state as a self-contained PyTorch (or optax) script.

The scripts reproduce what the API draws: the same surface formula (the checked formula tree is
translated, never the user's text), the same start, steps, tolerance, schedules (warm-up as
torch's ``SequentialLR(LinearLR, …)``) and the same seeded gradient noise (the script draws it
with NumPy exactly as the engine does). Every piece of user text (labels) reaches the script as a
``json.dumps`` literal.

What is known about each optimizer in torch/optax is written once, in the tables
``TORCH_OPTIMIZERS`` and ``OPTAX_OPTIMIZERS`` below, keyed by the registry's ids; each schedule's
counterparts are declared beside its function (`app.engine.schedules`), and where a library lacks
one the script copies the engine's own source. The scripts' loops are real Python files,
``app/export/templates/*.py``. An id missing from a table (e.g. a newly registered optimizer) is not guessed: the export
says so in ``notes`` and the script is ``null``.

Dataset surfaces (both scripts): the script makes the same data and mini-batch order (the
engine's own generator function and ``BatchOrder``, copied into it) and steps each scheduler after
every update or after each epoch's last one (``per``); ReduceLROnPlateau gets the full-data loss
at the new point, as in the engine (`app.engine.feedback`). L-BFGS and damped Newton take every
closure call of an update on that update's mini-batch (Newton's Hessian there: the engine's central
differences of the mini-batch gradient).

Optimizers torch.optim has not (the course's EWA momentum, Adam without bias correction, damped
Newton, optax's Lion, Schedule-Free AdamW and Polyak step size) are small ``torch.optim.Optimizer``
classes written into the script when used, with the engine's formulas in its order of operations.
"""

from __future__ import annotations

import ast
import inspect
import json
import math
import textwrap
from collections.abc import Callable, Mapping
from functools import cache
from importlib import resources
from typing import Any

from ..engine import schedules
from ..engine.datasets import DatasetSurface
from ..engine.expression import Bin, Call, Const, Neg, Node, Var, parse_expression
from ..engine.hessian import NoCurvature, formula_of
from ..engine.runner import BatchOrder, Problem, RunConfig, updates_per_epoch
from ..engine.schedules import COPY, Counterpart, ScheduleSpec

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
        raise NotExportable("a dataset surface has no formula in x, y: the scripts write its data and loss instead")
    try:
        text = formula_of(s)  # the surface's own formula (built-in or typed)
    except NoCurvature:
        raise NotExportable(f"no formula for the surface {s.id!r} to export") from None
    return parse_expression(text).tree


# --- optimizers --------------------------------------------------------------------------------
# Each entry: params → Python source of the optimizer over the parameter tensor ``p`` (torch) or
# of the optax transformation taking the schedule ``lr`` (optax). Custom classes the source uses
# are in _TORCH_HELPERS and emitted only when used.

_EWA_MOMENTUM = '''
class EWAMomentum(torch.optim.Optimizer):
    """The course's momentum (torch has no such form): v <- beta*v + (1 - beta)*g,
    theta <- theta - lr*v, or lr*v/(1 - beta^t) with bias correction. beta is the group's
    "momentum", the value OneCycleLR(cycle_momentum=True) cycles."""

    def __init__(self, params, lr, momentum, bias_correction):
        super().__init__(params, dict(lr=lr, momentum=momentum, bias_correction=bias_correction))

    @torch.no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            beta = group["momentum"]
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
    def step(self, closure=None):
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


_LION = '''
class Lion(torch.optim.Optimizer):
    """Lion as optax.lion (torch.optim has none): c = (1 - b1)*g + b1*m; m <- (1 - b2)*g + b2*m;
    theta <- theta - lr*(sign(c) + wd*theta). Every axis moves by lr (plus the decay) each step."""

    def __init__(self, params, lr, betas, weight_decay):
        super().__init__(params, dict(lr=lr, betas=betas, weight_decay=weight_decay))

    @torch.no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            (b1, b2), lr = group["betas"], group["lr"]
            for p in group["params"]:
                st = self.state[p]
                if not st:
                    st["m"] = torch.zeros_like(p)
                c = (1.0 - b1) * p.grad + b1 * st["m"]
                st["m"] = (1.0 - b2) * p.grad + b2 * st["m"]
                p.add_(-lr * (torch.sign(c) + group["weight_decay"] * p))
'''

_SCHEDULE_FREE = '''
class ScheduleFreeAdamW(torch.optim.Optimizer):
    """Schedule-Free AdamW as optax.contrib.schedule_free_adamw, its operations in its order
    (torch.optim has none; the schedulefree package folds Adam's bias correction into the rate and
    the weights, so its path differs). The parameter is y, where the gradient is taken:
      z <- z - lr*(g/(sqrt(nu_hat) + eps) + wd*y),  nu <- b2*nu + (1 - b2)*g^2,
      x <- (1 - c)*x + c*z,  c = w/sum(w),  w = (largest lr so far)^power,
      y <- b1*x + (1 - b1)*z.
    x, the average to evaluate, is state["x"]; like optax it is recomputed from y and z each step."""

    def __init__(self, params, lr, betas, eps, weight_decay, weight_lr_power):
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                                      weight_lr_power=weight_lr_power))

    @torch.no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            (b1, b2), lr, eps, wd = group["betas"], group["lr"], group["eps"], group["weight_decay"]
            for y in group["params"]:
                st = self.state[y]
                if not st:
                    st.update(t=0, z=y.detach().clone(), nu=torch.zeros_like(y), wsum=0.0, lr_max=0.0)
                st["lr_max"] = max(st["lr_max"], lr)
                weight = st["lr_max"] ** group["weight_lr_power"]
                total = st["wsum"] + weight
                # jnp.nan_to_num(0/0 or inf/inf, nan=0); a nan weight stays nan
                c = 0.0 if total == 0.0 or (math.isinf(weight) and math.isinf(total)) else weight / total
                g, z = y.grad, st["z"]
                st["nu"] = (1.0 - b2) * (g * g) + b2 * st["nu"]
                nu_hat = st["nu"] / (1.0 - b2 ** float(st["t"] + 1))
                u = 1.0 / (nu_hat.sqrt() + eps) * g
                if wd != 0.0:
                    u = u + wd * y
                z_new = z + -lr * u
                x = (1.0 - c) * ((y - (1.0 - b1) * z) / b1) + c * z_new
                y_new = b1 * x + (1.0 - b1) * z_new
                y.add_(y_new - y)
                st.update(t=st["t"] + 1, z=z_new, wsum=total, x=x)
'''

_POLYAK = '''
class PolyakSGD(torch.optim.Optimizer):
    """SGD with the Polyak step size as optax.polyak_sgd (torch.optim has none):
    theta <- theta + gamma*(-lr*g),  gamma = min((f(theta) - f_min)/(|lr*g|^2 + eps), max_lr),
    lr the schedule's (optax's scaling); sps+: the gap's positive part; gamma = 0 where
    |lr*g|^2 + eps <= the float64 epsilon. step(closure): the closure returns f at the current
    point. The rate used, lr*gamma (the studio's lr chart), is left in param_groups[0]["effective_lr"]."""

    def __init__(self, params, lr, max_lr, f_min, eps, plus):
        super().__init__(params, dict(lr=lr, max_lr=max_lr, f_min=f_min, eps=eps, plus=plus))

    @torch.no_grad()
    def step(self, closure):
        with torch.enable_grad():
            loss = closure()
        group = self.param_groups[0]
        p, s = group["params"][0], group["lr"]
        u = -s * p.grad
        n2 = (u[0] * u[0] + u[1] * u[1]).item()
        gap = loss.item() - group["f_min"]
        if group["plus"] and gap < 0.0:
            gap = 0.0
        if n2 + group["eps"] <= 2.220446049250313e-16:
            gamma = 0.0
        else:
            gamma = gap / (n2 + group["eps"])
            if not gamma <= group["max_lr"]:  # jnp.minimum (nan kept)
                gamma = group["max_lr"] if gamma == gamma else gamma
        p.add_(gamma * u)
        group["effective_lr"] = s * gamma
        return loss
'''


def _torch_momentum(p: dict[str, Any]) -> tuple[str, str | None]:
    if p["variant"] == "classic":
        return f"torch.optim.SGD([p], lr={p['lr']!r}, momentum={p['beta']!r})", None
    return (
        f"EWAMomentum([p], lr={p['lr']!r}, momentum={p['beta']!r}, bias_correction={bool(p['bias_correction'])!r})",
        _EWA_MOMENTUM,
    )


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
    return (
        f"torch.optim.{cls}([p], lr={p['lr']!r}, betas={betas}, eps={p['eps']!r}, amsgrad={bool(p['amsgrad'])!r}{extra})",
        None,
    )


# L-BFGS and damped Newton take a closure: the script gets a second loop for them (and the damped
# Newton step, which torch.optim has not: torch.autograd.functional.hessian of f). `run` is
# redefined to send those runs there; the others go to the loop above, unchanged.
_TORCH_CLOSURE = '''
class DampedNewton(torch.optim.Optimizer):
    """θ ← θ − lr·(H + λI)⁻¹g with the exact Hessian of f (torch.optim has no Newton method). Where
    H + λI is not positive definite, H's eigenvalues are replaced by their absolute values
    (saddle-free Newton); a direction with |μ| + λ = 0 is left out."""

    def __init__(self, params, lr=1.0, damping=0.0):
        super().__init__(params, {"lr": lr, "damping": damping})
        # the Hessian at a point (a tensor of 2): exact, of f (the run sets its own on a data set)
        self.hessian = lambda v: torch.autograd.functional.hessian(lambda w: f(w[0], w[1]), v)

    @torch.no_grad()
    def step(self, closure):
        with torch.enable_grad():
            loss = closure()
        group = self.param_groups[0]
        p, lam = group["params"][0], group["damping"]
        h = self.hessian(p.detach().clone())
        a, b, c = h[0, 0].item(), h[0, 1].item(), h[1, 1].item()
        gx, gy = p.grad[0].item(), p.grad[1].item()
        A, C = a + lam, c + lam
        det = A * C - b * b
        if A > 0.0 and det > 0.0:  # the 2×2 solve in closed form
            d = torch.tensor([(C * gx - b * gy) / det, (A * gy - b * gx) / det])
        else:
            mu, v = torch.linalg.eigh(torch.tensor([[a, b], [b, c]]))
            d = torch.zeros(2)
            for i in range(2):
                den = abs(mu[i].item()) + lam
                if den != 0.0 and math.isfinite(den):
                    d += (v[0, i] * gx + v[1, i] * gy) / den * v[:, i]
        p.sub_(group["lr"] * d)
        return loss


CLOSURE_OPTIMIZERS = (torch.optim.LBFGS, DampedNewton)
_run_each_update = run
'''

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
    # closure optimizers: one update = one opt.step(closure) (the script's closure loop, _TORCH_CLOSURE)
    "lbfgs": lambda p: (
        f"torch.optim.LBFGS([p], lr={p['lr']!r}, max_iter={p['max_iter']!r}, "
        f"max_eval={(p['max_eval'] or None)!r}, tolerance_grad={p['tolerance_grad']!r}, "
        f"tolerance_change={p['tolerance_change']!r}, history_size={p['history_size']!r}, "
        f"line_search_fn={('strong_wolfe' if p['line_search_fn'] == 'strong_wolfe' else None)!r})",
        _TORCH_CLOSURE,
    ),
    "newton": lambda p: (f"DampedNewton([p], lr={p['lr']!r}, damping={p['damping']!r})", _TORCH_CLOSURE),
    # optax's, written as small torch.optim.Optimizer classes (the engine's formulas, in its order)
    "lion": lambda p: (
        f"Lion([p], lr={p['lr']!r}, betas=({p['beta1']!r}, {p['beta2']!r}), weight_decay={p['weight_decay']!r})",
        _LION,
    ),
    "schedule_free_adamw": lambda p: (
        f"ScheduleFreeAdamW([p], lr={p['lr']!r}, betas=({p['beta1']!r}, {p['beta2']!r}), eps={p['eps']!r}, "
        f"weight_decay={p['weight_decay']!r}, weight_lr_power={p['weight_lr_power']!r})",
        _SCHEDULE_FREE,
    ),
    "polyak_sgd": lambda p: (
        f"PolyakSGD([p], lr={p['lr']!r}, max_lr={p['max_learning_rate']!r}, f_min={p['f_min']!r}, eps={p['eps']!r}, "
        f"plus={p['variant'] == 'sps+'!r})",
        _POLYAK,
    ),
}

# registered optimizers the PyTorch script cannot reproduce, with the reason (none today: optax's
# Lion, Schedule-Free AdamW and Polyak step size are small Optimizer classes in the script above)
TORCH_REFUSED: dict[str, str] = {}


# --- schedules ---------------------------------------------------------------------------------
# Derived from each schedule's declaration (`app.engine.schedules`): its torch.optim.lr_scheduler
# or optax counterpart and their arguments, or COPY, where the script copies the engine's own
# source of the schedule (`_engine_source`) and calls it. No schedule is restated here.


def _call(name: str, args: Mapping[str, Any], first: str = "") -> str:
    """``name(first, k=v, ...)`` with every value written as its repr."""
    return f"{name}({', '.join([*([first] if first else []), *(f'{k}={v!r}' for k, v in args.items())])})"


def _torch_one(spec: ScheduleSpec, params: dict[str, Any], lr: float) -> str | None:
    """One scheduler over ``opt`` (None: none, the optimizer's constant rate)."""
    if isinstance(spec.torch, Counterpart):
        return _call(f"L.{spec.torch.name}", spec.torch.arguments(params, lr), "opt")
    if spec.torch is None:
        return None
    assert spec.fn is not None  # COPY: LambdaLR multiplies the run's lr by the engine's function at base 1
    return f"L.LambdaLR(opt, lambda t: float({_call(spec.fn.__name__, params, 'np.asarray(t), 1.0')}))"


def _links(run: RunConfig) -> list[tuple[ScheduleSpec, dict[str, Any]]]:
    """The run's schedule and the links chained after it."""
    return [(run.schedule, run.schedule_params), *((c.spec, c.params) for c in run.chain)]


def _engine_copies(run: RunConfig, lib: str) -> list[Any]:
    """The engine's schedule functions (or rule classes) the run's script for ``lib`` calls."""
    out: list[Any] = [spec.rule or spec.fn for spec, _ in _links(run) if getattr(spec, lib) == COPY]
    if lib == "optax":
        out += [schedules.sequential] if run.chain else []
        out += [schedules.warm_up] if run.warmup_steps else []
        if run.schedule.cycles_momentum(run.schedule_params):
            out.append(run.schedule.momentum)
    return out


def _engine_source(objs: list[Any]) -> list[str]:
    """The engine's own source of these functions and classes of `app.engine.schedules`, and of the
    module's functions they use, each once, callees first, without their decorators."""
    done: dict[str, list[str]] = {}

    def visit(obj: Any) -> None:
        if obj.__name__ in done:
            return
        done[obj.__name__] = []  # (its own name inside it is no callee)
        tree = ast.parse(textwrap.dedent(inspect.getsource(obj)))
        definition = tree.body[0]
        assert isinstance(definition, ast.FunctionDef | ast.ClassDef)
        for node in ast.walk(ast.Module(body=definition.body, type_ignores=[])):  # not its declaration
            dep = getattr(schedules, node.id, None) if isinstance(node, ast.Name) else None
            if (inspect.isfunction(dep) or inspect.isclass(dep)) and dep.__module__ == schedules.__name__:
                visit(dep)
        lines = inspect.getsource(obj).splitlines()
        del done[obj.__name__]  # after its callees
        done[obj.__name__] = [*lines[definition.lineno - 1 :], "", ""]  # from its def/class line

    for obj in objs:
        visit(obj)
    return [line for lines in done.values() for line in lines]


def _updates(problem: Problem, run: RunConfig) -> int:
    """Updates per step of a schedule (an epoch's when it counts epochs)."""
    return updates_per_epoch(problem.surface, run) if run.per == "epoch" else 1


_ONE_CYCLE = "OneCycleLR"  # torch's class that raises past its total_steps (the studio holds its last rate)


def _torch_scheduler(run: RunConfig, problem: Problem | None = None) -> str:
    """The scheduler expression over ``opt``. A OneCycleLR that would run past its total_steps (torch
    raises there; the studio holds the last rate and momentum) is the script's ``OneCycleLRHeld``."""
    out = _torch_scheduler_links(run)
    held = False
    starts = [0, *(c.milestone for c in run.chain)]
    for (spec, p), begin, end in zip(_links(run), starts, [*starts[1:], None], strict=True):
        if problem is None or not (isinstance(spec.torch, Counterpart) and spec.torch.name == _ONE_CYCLE):
            continue
        span = (end if end is not None else math.ceil(problem.steps / _updates(problem, run))) - begin
        if begin == 0:
            span -= run.warmup_steps  # the cycle starts after the warm-up
        held = held or span > p["total_steps"]
    return out.replace(f"L.{_ONE_CYCLE}(", f"{_ONE_CYCLE}Held(") if held else out


def _torch_scheduler_links(run: RunConfig) -> str:
    lr = run.params["lr"]
    identity = "L.ConstantLR(opt, factor=1.0, total_iters=0)"
    if run.chain:
        subs = [_torch_one(spec, p, lr) or identity for spec, p in _links(run)]
        milestones = [c.milestone for c in run.chain]
        return f"L.SequentialLR(opt, [{', '.join(subs)}], milestones={milestones!r})"
    main = _torch_one(run.schedule, run.schedule_params, lr)
    w = run.warmup_steps
    if not w:
        return main or "None"
    warm = f"L.LinearLR(opt, start_factor={1.0 / w!r}, end_factor=1.0, total_iters={w - 1})"
    out = f"L.SequentialLR(opt, [{warm}, {main or identity}], milestones=[{w}])"
    if run.schedule.initial_lr is not None:  # it writes its start rate into the group: the warm-up's first
        out = f"starting_at({out}, {lr!r} * {1.0 / w!r})"
    return out


def _optax_piece(spec: ScheduleSpec, params: dict[str, Any], base: float) -> str:
    """The optax script's schedule as a function of a NumPy step count, from the rate ``base``: the
    optax counterpart (on a float64 count), or the engine's function."""
    if isinstance(spec.optax, Counterpart):
        return f"f64({_call('optax.' + spec.optax.name, spec.optax.arguments(params, base))})"
    assert spec.fn is not None
    return _call("partial", params, f"{spec.fn.__name__}, base={base!r}")


def _optax_schedule(run: RunConfig) -> str:
    """The run's lr schedule in the optax script: the engine's `sequential` over a chain (with the rate
    each link starts from, `link_rates`), its `warm_up` around a warm-up, else the schedule."""
    lr = run.params["lr"]
    if run.chain:
        links = _links(run)
        starts = [0, *(c.milestone for c in run.chain)]
        pieces = [
            f"({m!r}, {_optax_piece(spec, p, base)})"
            for m, (spec, p), base in zip(starts, links, schedules.link_rates(links, lr), strict=True)
        ]
        return f"partial(sequential, links=[{', '.join(pieces)}])"
    main = _optax_piece(run.schedule, run.schedule_params, lr)
    w = run.warmup_steps
    return f"partial(warm_up, base={lr!r}, warmup_steps={w!r}, after={main})" if w else main


@cache
def _template(name: str) -> str:
    """The part of app/export/templates/<name>.py the scripts copy: what follows its marker line."""
    text = resources.files(__name__).joinpath("templates", f"{name}.py").read_text(encoding="utf-8")
    return text.split(_MARK, 1)[1].strip("\n")


_MARK = "# --- the script ---\n"


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


def _constants(problem: Problem, dataset: bool) -> list[str]:
    """The scripts' constants: the start, the steps, the stopping rule, the seed, the bound."""
    return [
        f"START = [{problem.start[0]!r}, {problem.start[1]!r}]",
        f"STEPS = {problem.steps!r}",
        f"TOLERANCE = {float(problem.tolerance)!r}  # stop when the true gradient's norm is below this (0: never)",
        f"SEED = {problem.seed!r}  # seeds the " + ("mini-batch order" if dataset else "gradient noise"),
        f"BOUND = {problem.surface.bound!r}  # leaving |x|, |y| <= BOUND counts as diverged",
    ]


def _formula(problem: Problem, tree: Node, lib: int) -> list[str]:
    """The surface as the scripts' ``f(x, y)`` over torch tensors (lib 0) or JAX arrays (lib 1)."""
    return [
        "def f(x, y):",
        f"    # {json.dumps(problem.surface.formula, ensure_ascii=True)}",
        f"    return {python_source(tree, lib)}",
    ]


def torch_script(problem: Problem) -> str:
    dataset = isinstance(problem.surface, DatasetSurface)
    tree = None if dataset else surface_tree(problem)
    helpers: dict[str, str] = {}
    copies: list[Any] = []  # the engine's schedule functions the scripts calls
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
            helpers[helper] = helper
        sched = _torch_scheduler(run, problem)
        if f"{_ONE_CYCLE}Held(" in sched:
            helpers["one_cycle_held"] = _template("one_cycle_held")
        copies += _engine_copies(run, "torch")
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
        "",
        "from __future__ import annotations",
        "",
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
        *_constants(problem, dataset),
        "",
        "",
        *(
            _dataset_source(problem, any(r.optimizer.id == "newton" for r in problem.runs))[:-1]
            if tree is None
            else _formula(problem, tree, 0)
        ),
        "",
        "",
        *[line for h in helpers.values() if h is not _TORCH_CLOSURE for line in (*h.strip("\n").splitlines(), "", "")],
        *_engine_source(copies),
        _template("torch_schedulers"),
        "",
        "",
        _template("torch_dataset_loop" if dataset else "torch_loop"),
        "",
        "",
        *(
            [
                *_TORCH_CLOSURE.strip("\n").splitlines(),
                "",
                "",
                _template("torch_dataset_closure_run" if dataset else "torch_closure_run"),
                "",
                "",
            ]
            if _TORCH_CLOSURE in helpers
            else []
        ),
        "# (label, optimizer, scheduler, batch size, scheduler per epoch, clip by value, clip by norm)"
        if dataset
        else "# (label, optimizer, scheduler, gradient noise std, clip by value, clip by norm)",
        "RUNS = [",
        *run_lines,
        "]",
        "",
        _template("main"),
        "",
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
        raise NotExportable(
            "optax has no Adam without bias correction, and its amsgrad takes the maximum of the "
            "corrected v (torch: of the raw v); use the PyTorch script"
        )
    if wd is None:
        return f"optax.adam(lr, b1={p['beta1']!r}, b2={p['beta2']!r}, eps={p['eps']!r})"
    return f"optax.adamw(lr, b1={p['beta1']!r}, b2={p['beta2']!r}, eps={p['eps']!r}, weight_decay={wd!r})"


def _optax_sgd(p: dict[str, Any]) -> str:
    """torch SGD: g + wd·θ, then buf ← μ·buf + g (the first buf is g), nesterov g + μ·buf: optax's
    add_decayed_weights and trace. torch's dampening (buf ← μ·buf + (1 − d)·g after the first,
    undamped step) optax's trace has not."""
    if p["dampening"]:
        raise NotExportable(
            "optax's trace has no dampening (torch: buf <- momentum*buf + (1 - dampening)*g after "
            "an undamped first step); use the PyTorch script or dampening 0"
        )
    return (
        f"optax.chain(optax.add_decayed_weights({p['weight_decay']!r}), optax.trace(decay={p['momentum']!r}, "
        f"nesterov={bool(p['nesterov'])!r}), optax.scale_by_learning_rate(lr))"
    )


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
    # optax's schedule_free_adamw as its chain; the wrapper and the base read the same injected lr,
    # the rate of the update (its weights use the largest lr so far), as the engine does
    "schedule_free_adamw": lambda p: (
        "optax.contrib.schedule_free(optax.chain(optax.scale_by_rms(decay="
        f"{p['beta2']!r}, eps={p['eps']!r}, eps_in_sqrt=False, bias_correction=True), optax.add_decayed_weights("
        f"{p['weight_decay']!r}), optax.scale_by_learning_rate(lr)), learning_rate=lr, "
        f"b1={p['beta1']!r}, weight_lr_power={p['weight_lr_power']!r})"
    ),
    "sgd": lambda p: _optax_sgd(p),
    # torch Adamax: u = max(β₂u, |g| + ε), θ ← θ − lr/(1 − β₁ᵗ)·m/u: optax's scale_by_adamax; weight
    # decay is torch's L2 term added to the gradient first
    "adamax": lambda p: (
        f"optax.chain(optax.add_decayed_weights({p['weight_decay']!r}), optax.adamax(lr, b1={p['beta1']!r}, "
        f"b2={p['beta2']!r}, eps={p['eps']!r}))"
    ),
    "polyak_sgd": lambda p: (
        f"optax.polyak_sgd(max_learning_rate={p['max_learning_rate']!r}, scaling=lr, f_min={p['f_min']!r}, "
        f"eps={p['eps']!r}, variant={p['variant']!r})"
    ),
}

# optimizers optax has no exact counterpart of: why there is no optax script (the PyTorch one reproduces them)
OPTAX_REFUSED: dict[str, str] = {
    # optax's scale_by_rprop returns the previous step's sign·step size (its first update is 0): its
    # path is torch's one update late (checked: x_optax[t + 1] = x_torch[t])
    "rprop": "optax's rprop applies each step one update late (its first update is 0), so its path lags torch's "
    "Rprop by one step; use the PyTorch script",
    "nadam": "optax's nadam is Dozat's form without torch's momentum-decay schedule μₜ = β₁(1 − ½·0.96^(t·ψ)); use "
    "the PyTorch script",
    "radam": "optax's radam adds ε to the bias-corrected √v̂ and rectifies from ρₜ ≥ 5 (torch: ε to the raw √v, "
    "ρₜ > 5); use the PyTorch script",
    "asgd": "optax has no averaged SGD (ASGD); use the PyTorch script",
    "lbfgs": "optax's lbfgs runs its own zoom line search and scaling, not torch's LBFGS step; use the PyTorch script",
    "newton": "optax has no Newton method (the exact Hessian); use the PyTorch script",
}

# the lr drawn where it is not the schedule's: Polyak's effective rate s·γ (a function of the
# schedule's lr s, the loss and the gradient), written into the script
_OPTAX_RATES: dict[str, Callable[[dict[str, Any]], str]] = {
    "polyak_sgd": lambda p: (
        f"polyak_rate({p['f_min']!r}, {p['max_learning_rate']!r}, {p['eps']!r}, {p['variant'] == 'sps+'!r})"
    ),
}


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
    cycle = run.schedule.momentum
    if cycle is not None and run.schedule.cycles_momentum(run.schedule_params):
        name = feedback.momentum_name(run.optimizer)
        params[name] = _Name("mom")
        w = run.warmup_steps
        at = f"np.asarray(max(int(t) - {w!r}, 0))"  # the cycle starts after the warm-up
        momentum = f"lambda t: float({_call(cycle.__name__, run.schedule_params, at)})"
    ctor = make(params)
    if momentum != "None" and "mom" not in ctor:
        raise NotExportable(f"no momentum to cycle in the optax form of {run.optimizer.id!r}")
    args = "lr, mom" if momentum != "None" else "lr"
    rule = run.schedule.rule
    if rule is not None:  # the engine's rule (one row), fed with the losses by the loop
        schedule = "None"
        plateau = f"lambda: {_call(rule.__name__, run.schedule_params, repr(run.params['lr']) + ', 1')}"
    else:
        schedule, plateau = _optax_schedule(run), "None"
    rate = _OPTAX_RATES.get(run.optimizer.id)
    rate_text = rate(run.params) if rate else "None"
    clip = "None" if run.clip == (0.0, 0.0) else f"({(run.clip[0] or None)!r}, {(run.clip[1] or None)!r})"
    head = f"{run.batch_size!r}, {run.per == 'epoch'!r}" if dataset else f"{float(run.noise_std)!r}"
    return (
        f"    ({run.label!r}, lambda {args}: {ctor},\n     {schedule}, {head},\n"
        f"     {rate_text}, {momentum}, {plateau}, {clip}),"
    )


def optax_script(problem: Problem) -> str:
    dataset = isinstance(problem.surface, DatasetSurface)
    tree = None if dataset else surface_tree(problem)
    run_lines = [_optax_run_line(problem, run, dataset) for run in problem.runs]
    clip = any(run.clip != (0.0, 0.0) for run in problem.runs)
    lines = [
        '"""optiviz export: the studio\'s runs with optax (JAX, float64).',
        "",
        "Run: python this_file.py        (prints each run's end point; --json prints every array)",
        "Needs: jax, optax, numpy.",
        '"""',
        "",
        "from __future__ import annotations",
        "",
        *(["import collections"] if dataset else []),
        "import json",
        "import math",
        "import sys",
        "from functools import partial",
        "",
        "import jax",
        "",
        'jax.config.update("jax_enable_x64", True)',
        "import jax.numpy as jnp  # noqa: E402",
        "import numpy as np  # noqa: E402",
        "import optax  # noqa: E402",
        "",
        *_constants(problem, dataset),
        "",
        "",
        *(
            _dataset_source(problem, lib="jnp")[:-1]
            if tree is None
            else [
                *_formula(problem, tree, 1),
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
        *_engine_source([obj for run in problem.runs for obj in _engine_copies(run, "optax")]),
        *([_template("optax_clip"), "", ""] if clip else ["clipping = None", "", ""]),
        _template("optax_common"),
        "",
        "",
        _template("optax_dataset_loop" if dataset else "optax_loop"),
        "",
        "",
        *([_template("polyak_rate"), "", ""] if any(r.optimizer.id in _OPTAX_RATES for r in problem.runs) else []),
        (
            "# (label, optimizer over the rate lr [and momentum mom], lr schedule, "
            + ("batch size, schedule per epoch, " if dataset else "gradient noise std, ")
            + "the lr drawn, momentum schedule, plateau, (clip by value, clip by norm))"
        ),
        "RUNS = [",
        *run_lines,
        "]",
        "",
        _template("main"),
        "",
    ]
    return "\n".join(lines)
