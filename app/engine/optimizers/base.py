"""What every optimizer module declares, and the pieces the modules compose.

An optimizer is one module of this package (`app.engine.optimizers.adam`, …), in the style of
optax: its docstring begins with its texts (`texts`: name, formula, description, convention) and
says the rule and where torch, optax and the course differ; its ``SPEC`` (an `OptimizerSpec`) is
`declare`d from the module itself: the choices (hyperparameters, colour, order, …) are written in
the call, the rest is found in the module by name: the factory (the rule over floats or NumPy
rows), the compiled rule the step loop runs (``step``, ``init``, ``bias``: its `Kernel`; its kind
number is derived from the registry's order, `kind_of`, and `app.engine.kernels.dispatch`
generates the loop's dispatch from the registry), the inspector's ``LINES`` (text with named
slots, `fill`) and how it exports (``TORCH`` or ``torch``: the torch class and its arguments, or a
template file in ``app/export/templates/`` for the ones torch lacks; ``OPTAX`` or ``optax``: the
optax transformation, or the reason there is none). The registry, the schema, the catalogue, the
inspector, the exports and the parametrized tests read these declarations; nothing else lists the
optimizers.

Each factory takes the hyperparameters (never stored in state) and returns an `Optimizer`:

- ``init(theta) -> state``: a typed, immutable NamedTuple;
- ``update(g, state, theta, lr) -> (theta_new, state)``.

All the element-wise optimizers serve every way the engine runs: ``theta``, ``g`` and the state
are Python floats (one coordinate of one run) or NumPy arrays (thousands of rows stepping in
lockstep). Hyperparameters may be floats or arrays that broadcast against the rows. ``xp`` is the
matching math backend (:mod:`app.engine.backend`).

The matrix optimizers (Adafactor, Muon, LAMB: ``driver="matrix"``) need a network's weight matrices:
their factory takes the network's ``layout`` after ``xp`` (``factory(xp, layout, **hyper)``: the
(name, shape) of each tensor, weights (out, in) and biases (out,)) and returns the same
`Optimizer` over the whole parameter vector (the tensors flattened and concatenated, a view per
tensor inside). They run on networks only: `OptimizerSpec.build` takes ``layout=``, and the 2D
surfaces refuse them.

Unlike optax, ``update`` returns the *new parameters*, not a delta: torch applies some updates
in place in a fixed order (AdamW decays ``theta`` before the Adam step), and returning
``theta_new`` lets the arithmetic follow torch.optim's order, so trajectories agree with PyTorch
to float64 round-off. The learning rate is an argument because the schedule owns it.
"""

from __future__ import annotations

import functools
import inspect
import math
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

from ..kernels import python_of, rules
from ..params import Catalogued, ParamSpec, docstring, entry_texts


class Optimizer(NamedTuple):
    init: Callable[[Any], Any]
    update: Callable[..., tuple[Any, Any]]


class Kernel(NamedTuple):
    """How the compiled step loop runs a rule (`app.engine.kernels.dispatch` dispatches on the kind):
    ``step(g, t, a, b, c, θ, lr, h, c1, c2, xp) -> (θ, a, b, c, moment, rate)``, one update of one
    coordinate with three state values and the hyperparameters ``h`` (the factory's arguments in
    order); ``init(θ, h) -> (a, b, c)`` before the first update (None: zeros); ``bias(t, h) -> (c1,
    c2)`` the values an update after t updates takes (None: 1, 1; Adam's bias corrections). All
    three compiled (`app.engine.kernels.jit`). ``inline``: see `app.engine.kernels.loop.updates`."""

    step: Callable[..., Any]
    init: Callable[..., Any] | None = None
    bias: Callable[..., Any] | None = None
    # the loop inlines the rule per kind (its lanes then vectorize: rules without per-element
    # branches); the others share one compiled copy that dispatches per update
    inline: bool = False


class NotExportable(ValueError):
    """A studio state a script cannot reproduce (the reason is the message)."""


# the inspector: a rule's lines, (symbol, formula, value (x, y) or a scalar (v, None)), from the
# update's context (params, the state before and after, lr, t, theta, g, step, ...)
Line = tuple[str, str, Any]
LinesFn = Callable[[dict[str, Any]], list[Line]]
# a module's lines as it writes them, ``LINES``: text, a line each, ``symbol ¦ formula ¦ value``,
# the formula with {named} text slots and the value the name of a number; `fill` fills both from
# the update's context and the rule's internals (the module's ``internals(ctx) -> dict``), and a
# line whose value the update has not (absent, None) is not shown
LineTemplate = tuple[str, str, str]


def templates(text: str) -> tuple[LineTemplate, ...]:
    """The lines of a ``LINES`` text: (symbol, formula, value name) each."""
    rows = [tuple(part.strip() for part in row.split("¦")) for row in text.splitlines() if row.strip()]
    if any(len(row) != 3 for row in rows):
        raise ValueError(f"an inspector line is not 'symbol ¦ formula ¦ value': {text!r}")
    return tuple((sym, formula, value) for sym, formula, value in rows)


# the exports: params -> (the torch optimizer over the tensor ``p``, the template file it needs
# or None); params -> the optax transformation over the schedule ``lr`` (or NotExportable)
TorchFn = Callable[[dict[str, Any]], tuple[str, str | None]]
OptaxFn = Callable[[dict[str, Any]], str]


# ---------------------------------------------------------------------------------------------
# states shared by several rules


class EmptyState(NamedTuple):
    pass


class VelocityState(NamedTuple):
    t: int  # updates done so far
    v: Any  # velocity / first moment


class AccumulatorState(NamedTuple):
    s: Any  # running sum or average of squared gradients


class RuleState(NamedTuple):
    t: int  # updates done so far
    a: Any  # the rule's three state values per coordinate (see each rule in kernels.rules)
    b: Any
    c: Any


EMPTY = EmptyState()


def zeros(theta: Any) -> Any:
    return theta * 0.0


# the plain-Python function of a compiled rule (the factories take floats or arrays)
py = python_of


def kind_of(kernel: Kernel | None) -> int:
    """The kind of a compiled rule: its place among the registry's distinct rules, in the registry's
    order (`app.engine.optimizers.KINDS`); -1 for a closure optimizer (it has none)."""
    from . import KINDS

    return -1 if kernel is None else KINDS[kernel]


def by_rule(kernel: Kernel, xp: Any, *hyper: Any) -> Optimizer:
    """An optimizer that calls the compiled rule itself, one coordinate at a time (the
    rules written with per-element branches: torch's sign tests, maxima and first-step
    initialisations); NumPy rows go through it element by element."""
    from ..kernels import loop

    kind = kind_of(kernel)
    h = tuple(hyper) + (0.0,) * (rules.HYPER - len(hyper))

    def one_init(theta: float, *hh: float) -> tuple[float, float, float]:
        result: tuple[float, float, float] = loop.init1(
            kind, np.array(hh, dtype=np.float64).reshape(-1, 1), float(theta)
        )
        return result

    def one_update(
        g: float, t: int, a: float, b: float, c: float, theta: float, lr: float, *hh: float
    ) -> tuple[float, float, float, float]:
        ht = np.array(hh, dtype=np.float64).reshape(-1, 1)
        theta, a, b, c, _, _ = loop.update1(
            kind, ht, float(g), int(t), float(a), float(b), float(c), float(theta), float(lr)
        )
        return theta, a, b, c

    each_init: Callable[..., Any] = one_init
    each_update: Callable[..., Any] = one_update
    if xp.name == "array":  # NumPy rows: the rule on each element
        each_init = np.vectorize(one_init, otypes=[float, float, float])
        each_update = np.vectorize(one_update, otypes=[float, float, float, float])

    def init(theta: Any) -> RuleState:
        return RuleState(0, *each_init(theta, *h))

    # one vector with scalar hyperparameters and lr (a network's parameters): the compiled rule
    # over all its coordinates in one call (`loop.update_each`: the same bits, no Python per element)
    vector = xp.name == "array" and all(np.ndim(v) == 0 for v in h)
    table = np.array(h, dtype=np.float64).reshape(-1, 1) if vector else None

    def update(g: Any, state: RuleState, theta: Any, lr: Any) -> tuple[Any, RuleState]:
        if table is not None and np.ndim(lr) == 0 and np.shape(g) == np.shape(theta) == np.shape(state.a) != ():
            shape = np.shape(theta)
            x, a, b, c = (np.array(v, dtype=np.float64).ravel() for v in (theta, state.a, state.b, state.c))
            grad = np.ascontiguousarray(g, dtype=np.float64).ravel()
            loop.update_each(kind, table, grad, state.t, a, b, c, x, float(lr))
            return x.reshape(shape), RuleState(state.t + 1, a.reshape(shape), b.reshape(shape), c.reshape(shape))
        theta, a, b, c = each_update(g, state.t, state.a, state.b, state.c, theta, lr, *h)
        return theta, RuleState(state.t + 1, a, b, c)

    return Optimizer(init, update)


def rule_factory(kernel: Kernel, params: tuple[ParamSpec, ...]) -> Callable[..., Optimizer]:
    """The factory of a module that writes no factory: its compiled rule one coordinate at a time
    (`by_rule`), the hyperparameters the params after lr, in order (a flag as 0/1)."""
    names = [q.name for q in params if q.name != "lr"]

    def factory(xp: Any, **hyper: Any) -> Optimizer:
        return by_rule(kernel, xp, *(float(v) if isinstance(v, bool) else v for v in (hyper[n] for n in names)))

    arg = inspect.Parameter.POSITIONAL_OR_KEYWORD
    factory.__signature__ = inspect.Signature([inspect.Parameter(n, arg) for n in ["xp", *names]])  # type: ignore[attr-defined]
    return factory


# ---------------------------------------------------------------------------------------------
# hyperparameters several optimizers share


def lr_param(default: float) -> ParamSpec:
    return ParamSpec(
        "lr",
        default,
        1e-6,
        100.0,
        "learning rate α (the base of the schedule)",
        log_scale=True,
        slider_min=1e-4,
        slider_max=10.0,
    )


def beta_param(name: str, default: float, what: str) -> ParamSpec:
    return ParamSpec(name, default, 0.0, 1.0, what, max_exclusive=True, slider_max=0.999)


def eps_param(
    default: float, name: str = "eps", what: str = "ε, added for numerical stability", slider_min: float = 1e-12
) -> ParamSpec:
    return ParamSpec(name, default, 0.0, 1.0, what, log_scale=True, slider_min=slider_min, slider_max=1e-1)


def wd_param(default: float, what: str) -> ParamSpec:
    return ParamSpec("weight_decay", default, 0.0, 10.0, what, slider_max=1.0)


def adam_params(lr: float) -> tuple[ParamSpec, ...]:
    return (
        lr_param(lr),
        beta_param("beta1", 0.9, "β₁, decay of the first-moment average (momentum)"),
        beta_param("beta2", 0.999, "β₂, decay of the second-moment average (RMSprop part)"),
        eps_param(1e-8),
        ParamSpec("bias_correction", True, description="divide the averages by 1 − βᵗ", kind="bool"),
        ParamSpec("amsgrad", False, description="use the running maximum of v (AMSGrad)", kind="bool"),
    )


def rms_params(lr: float, name: str, what: str, eps: float) -> tuple[ParamSpec, ...]:
    """The RMSprop family's hyperparameters: lr, the decay of its average(s) of g² (0.9), ε."""
    return lr_param(lr), beta_param(name, 0.9, what), eps_param(eps)


def adam_decay_params(lr: float, *between: ParamSpec, flag: str = "") -> tuple[ParamSpec, ...]:
    """The Adam family's hyperparameters (β₁, β₂, ε) with torch's weight decay λ, L2 or decoupled
    (``decoupled_weight_decay``, last; ``between``: the rule's own, before it)."""
    flag_text = f"decay θ directly, as AdamW{flag}"
    return (
        *adam_params(lr)[:4],
        wd_param(0.0, "λ, weight decay (L2, or decoupled)"),
        *between,
        ParamSpec("decoupled_weight_decay", False, description=flag_text, kind="bool"),
    )


# the exports written as code with the params in {named} slots (`code`): a module's ``TORCH`` (its
# torch optimizer over ``p``; ``TORCH_TEMPLATE``: the template file that defines it, if any) and
# ``OPTAX`` (over the schedule ``lr``), where the mapping is only names
ADAM_ARGS = "lr={lr}, betas=({beta1}, {beta2}), eps={eps}"  # the Adam family's first torch arguments


def code(template: str, p: dict[str, Any]) -> str:
    """The code of an export template with the params' values (their reprs) in its slots."""
    return template.format_map({k: repr(v) for k, v in p.items()})


def adam_args(p: dict[str, Any]) -> str:
    """The Adam family's first torch arguments: ``lr=…, betas=(β₁, β₂), eps=…``."""
    return code(ADAM_ARGS, p)


# ---------------------------------------------------------------------------------------------
# the inspector's lines the rules compose (weight decay, as the rules apply it)

L2 = "g′ ¦ g′ = g + λθ ¦ g_l2\n"
DECAY = "θ′ ¦ θ′ = θ·(1 − αλ) ¦ theta_decayed\n" + L2
# the Adam family's moments
MOMENTS = "m ¦ m ← β₁m + (1−β₁)g ¦ m\nv ¦ v ← β₂v + (1−β₂)g² ¦ v\n"


def decay_values(c: dict[str, Any], wd: Any, decoupled: Any = False) -> dict[str, Any]:
    """The weight decay's values, as `rules.decay` applies it: torch's L2 term, the gradient the
    rule then uses (``g_l2``: g′ = g + λθ; ``gname``: its name in the formulas), or decoupled
    (``theta_decayed``: θ·(1 − αλ) first); none where λ = 0."""
    if not wd:
        return {"gname": "g"}
    if decoupled:
        return {"gname": "g", "theta_decayed": c["theta"] * (1.0 - c["lr"] * wd)}
    return {"gname": "g′", "g_l2": c["g"] + wd * c["theta"]}


def fill(text: str, internals: Callable[[dict[str, Any]], dict[str, Any]] | None) -> LinesFn:
    """The inspector's lines of a module: its ``LINES`` text, the slots filled from the update's
    context and the rule's internals (see `LineTemplate`)."""
    template = templates(text)

    def lines(c: dict[str, Any]) -> list[Line]:
        values = {**c, **(internals(c) if internals is not None else {})}
        return [
            (sym, formula.format_map(values), values[slot])
            for sym, formula, slot in template
            if values.get(slot) is not None
        ]

    return lines


# ---------------------------------------------------------------------------------------------
# the declaration


# what a matrix optimizer's factory takes after ``xp``: the network's tensors, (name, shape) each
LAYOUT = "layout"
Layout = tuple[tuple[str, tuple[int, ...]], ...]


@functools.cache
def factory_args(factory: Callable[..., Optimizer]) -> tuple[tuple[str, Any], ...]:
    """(name, default) of a factory's hyperparameters, in order (after ``xp``, and a matrix
    optimizer's ``layout``)."""
    return tuple(
        (p.name, p.default) for p in list(inspect.signature(factory).parameters.values())[1:] if p.name != LAYOUT
    )


def takes_layout(factory: Callable[..., Optimizer]) -> bool:
    """A matrix optimizer's factory: ``factory(xp, layout, **hyper)``."""
    names = list(inspect.signature(factory).parameters)
    return len(names) > 1 and names[1] == LAYOUT


def layout_of(layout: Any) -> Layout:
    """A network's layout as (name, shape) pairs: from `app.engine.network.Layer` objects (``name``,
    ``shape``) or from pairs; loud on anything else."""
    out = []
    for item in layout:
        name, shape = (item.name, item.shape) if hasattr(item, "shape") else item
        shape = tuple(int(n) for n in shape)
        if not 1 <= len(shape) <= 2 or min(shape) < 1:
            raise ValueError(f"a layout tensor is a weight (out, in) or a bias (out,): {name!r} has shape {shape}")
        out.append((str(name), shape))
    if not out:
        raise ValueError("a layout has at least one tensor")
    return tuple(out)


# the seconds one NumPy call on a network's small tensors takes (its overhead: the matrix
# optimizers' cost models count their calls; measured against Adam's update, ~12 calls, 25 µs)
CALL = 2e-6


def weights_and_biases(layout: Layout) -> tuple[int, int]:
    """How many weight matrices and how many biases a layout holds (the matrix optimizers' costs)."""
    weights = sum(len(shape) == 2 for _, shape in layout)
    return weights, len(layout) - weights


def tensors(theta: Any, layout: Layout) -> list[Any]:
    """The network's tensors in a parameter vector ``theta`` (…, P): views, each (…, *shape) (the
    leading dims kept: several runs' vectors at once)."""
    sizes = [math.prod(shape) for _, shape in layout]
    if sum(sizes) != theta.shape[-1]:
        raise ValueError(f"a parameter vector of {theta.shape[-1]} values for a layout of {sum(sizes)}")
    lead, out, at = theta.shape[:-1], [], 0
    for (_, shape), size in zip(layout, sizes, strict=True):
        out.append(theta[..., at : at + size].reshape(lead + shape))
        at += size
    return out


_AXES = {1: (-1,), 2: (-2, -1)}  # a bias', a weight's own axes


def norm(x: Any, ndim: int) -> Any:
    """The Euclidean (Frobenius) norm of each tensor of ``x`` (…, *shape), ``ndim`` = len(shape):
    (…, 1, …) kept for broadcasting."""
    return np.sqrt(np.add.reduce(x * x, axis=_AXES[ndim], keepdims=True))


def flat(parts: list[Any], layout: Layout) -> Any:
    """The parameter vector (…, P) of the network's tensors (`tensors` undone)."""
    rows = [p.reshape((*p.shape[: p.ndim - len(shape)], -1)) for p, (_, shape) in zip(parts, layout, strict=True)]
    return np.concatenate(rows, axis=-1)


@dataclass(frozen=True)
class OptimizerSpec(Catalogued):
    factory: Callable[..., Optimizer] | None = None
    convention: str = ""
    kernel: Kernel | None = None  # how the loop runs it (element-wise optimizers)
    color: str = "#000000"  # one colour per optimizer, everywhere (studio, lessons, figures)
    # "loop": element-wise, the compiled step loop (single runs and lanes); "closure": the whole
    # gradient vector and several evaluations per step (app.engine.closure; single runs only);
    # "matrix": per tensor of a network's weights (`build` with ``layout=``; networks only)
    driver: str = "loop"
    # what include_state's mx, my hold: "vector" (a velocity / moment, drawn as an arrow) or
    # "iterate" (a sequence of points, the averaged iterate: drawn as a thin path beside the run's)
    moment: str = "vector"
    # y = βx + (1 − β)z: the name of the hyperparameter β (Schedule-Free's β₁), so that the third
    # sequence z = (y − βx)/(1 − β) can be drawn from the path y and the average x
    interpolation: str | None = None
    # the place in the catalogue (the registry lists the optimizers by it)
    order: int = 0
    # the rule's first hyperparameter is a momentum (SGD's β, the Adam family's β₁): a schedule can
    # cycle it (torch OneCycleLR sets ``momentum`` or ``betas[0]``)
    cycles_momentum: bool = False
    # the step takes the exact Hessian (the dataset scripts then define the mini-batch's Hessian)
    hessian: bool = False
    # the inspector's lines of one update (app.inspect fills the context; `fill` makes them)
    lines: LinesFn | None = None
    # the inspector's replay of an update where the factory cannot take it alone: ctx → the new
    # point (Polyak's step size needs the loss the run used)
    replay: Callable[[dict[str, Any]], Any] | None = None
    # the exports (app.export): the torch optimizer, or why there is none; the optax one, or why not
    torch: TorchFn | None = None
    torch_refused: str | None = None
    torch_network: TorchFn | None = None  # a matrix optimizer on a network (app/export/network.py)
    optax: OptaxFn | None = None
    optax_refused: str | None = None
    # the lr drawn where it is not the schedule's (Polyak's s·γ): the optax script's call of its rate
    # function, and the template file that defines that function
    optax_rate: OptaxFn | None = None
    optax_rate_template: str | None = None
    # a matrix optimizer's cost model: (layout, params) → the seconds one update takes on a network
    # of that layout (NumPy calls per tensor, `CALL` each; the network's cost estimate adds it)
    cost: Callable[[Layout, dict[str, Any]], float] | None = None

    @functools.cached_property
    def rule(self) -> int:
        """The kind of update rule in the compiled step loop (derived: `kind_of`; kept, the runners
        read it per step)."""
        return kind_of(self.kernel)

    @property
    def networks_only(self) -> bool:
        """A matrix optimizer: it needs a network's weight matrices, the 2D surfaces refuse it."""
        return self.driver == "matrix"

    def build(self, xp: Any, params: dict[str, Any], *, layout: Any = None) -> Optimizer:
        """An optimizer from resolved params (``lr`` is the schedule's, not the factory's: a matrix
        factory that names ``lr`` gets it as the schedule's base). A matrix optimizer needs the
        network's ``layout`` (`layout_of`); the element-wise ones ignore it."""
        assert self.factory is not None
        hyper = {k: v for k, v in params.items() if k != "lr"}
        if self.driver != "matrix":
            return self.factory(xp, **hyper)
        if layout is None:
            raise TypeError(f"{self.name} ('{self.id}') works on a network's weight matrices: build it with layout=")
        if "lr" in dict(factory_args(self.factory)):
            hyper["lr"] = params["lr"]
        return self.factory(xp, layout_of(layout), **hyper)

    def update_seconds(self, layout: Any, params: dict[str, Any]) -> float:
        """The seconds one update takes beyond the element-wise cost the network's estimate counts:
        a matrix optimizer's cost model on the network's ``layout``; 0 for the others."""
        return 0.0 if self.cost is None else self.cost(layout_of(layout), params)

    def hyper(self, params: dict[str, Any]) -> list[Any]:
        """The hyperparameters as the compiled rule takes them: the factory's arguments in order
        (a choice as its index in the catalogue's choices, a flag as 0/1); values may be arrays."""
        assert self.factory is not None
        out: list[Any] = []
        for name, default in factory_args(self.factory):
            value = params.get(name, default)
            spec = self.spec(name)
            if spec is not None and spec.kind == "choice":
                value = float(spec.choices.index(value))
            elif isinstance(value, bool):
                value = float(value)
            out.append(value)
        return out + [0.0] * (rules.HYPER - len(out))

    def public(self) -> dict[str, Any]:
        out = super().public()
        out["convention"] = self.convention
        out["color"] = self.color
        out["driver"] = self.driver
        out["networks_only"] = self.networks_only
        out["moment"] = self.moment
        out["interpolation"] = self.interpolation
        return out


# the names a module's namespace gives its declaration (by convention: see `declare`)
_BY_NAME = ("replay", "torch", "torch_network", "optax", "optax_rate", "cost")


def texts(doc: str) -> dict[str, Any]:
    """The texts of an optimizer from its module's docstring, which begins with them (`entry_texts`:
    ``Name: formula``, then a paragraph of description), then one ``Convention: ...`` (where torch,
    optax and the course differ, in short); a paragraph's lines are joined by spaces."""
    out: dict[str, Any]
    out, rest = entry_texts(doc)
    label = "Convention: "
    if not rest or not rest[0].startswith(label):
        raise ValueError(f"an optimizer's docstring has no {label!r} paragraph third: {doc[:200]!r}")
    out["convention"] = " ".join(rest[0].split("\n"))[len(label) :]
    return out


def declare(module: str, params: tuple[ParamSpec, ...], *, inline: bool = False, **fields: Any) -> OptimizerSpec:
    """A module's ``SPEC``, read from the module itself (call it last, ``declare(__name__, ...)``).

    The id is the module's name; the texts begin its docstring (`texts`). The rest is found in its
    namespace by name: the ``factory`` (none: `rule_factory`, the compiled rule one coordinate at a
    time), the compiled rule (``step``, with ``init`` and ``bias`` where the module has them:
    `Kernel`, ``inline`` its flag; none: a matrix optimizer, ``driver="matrix"``, where the factory
    takes the ``layout`` after ``xp``, else a closure optimizer, ``driver="closure"``), the inspector's
    lines (``LINES``, filled with ``internals``: `fill`) and ``replay``, a matrix optimizer's cost
    model (``cost``), the exports: ``torch`` (or ``TORCH`` and ``TORCH_TEMPLATE``: `code`; or why
    there is none, ``TORCH_REFUSED``), ``torch_network`` (a matrix optimizer's torch form on a
    network), ``optax`` (or ``OPTAX``; or ``OPTAX_REFUSED``) and ``optax_rate``. ``fields``: the
    other `OptimizerSpec` fields (colour, order, ...), written once, here.
    """
    ns = vars(sys.modules[module])
    oid = module.rpartition(".")[2]
    found: dict[str, Any] = {key: ns[key] for key in _BY_NAME if key in ns}
    if "TORCH" in ns:
        torch, template = ns["TORCH"], ns.get("TORCH_TEMPLATE")
        found["torch"] = lambda p: (code(torch, p), template)
    if "OPTAX" in ns:
        found["optax"] = functools.partial(code, ns["OPTAX"])
    found.update({key.lower(): ns[key] for key in ("TORCH_REFUSED", "OPTAX_REFUSED") if key in ns})
    found["lines"] = fill(ns["LINES"], ns.get("internals"))
    if "step" in ns:
        found["kernel"] = Kernel(ns["step"], ns.get("init"), ns.get("bias"), inline)
        found["factory"] = ns.get("factory") or rule_factory(found["kernel"], params)
    else:
        found.update(factory=ns["factory"], driver="matrix" if takes_layout(ns["factory"]) else "closure")
    return OptimizerSpec(oid, params=params, **texts(docstring(sys.modules[module])), **found, **fields)
