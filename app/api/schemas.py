"""Request and response schemas of API v1 (``…Request`` in, ``…Public`` out).

Every request model forbids unknown fields (a typo such as ``lrr`` must not run with the
default) and non-finite numbers. Optimizer, schedule and surface ids, and each optimizer's and
schedule's parameters, are checked against the registry, and errors name the valid choices.
"""

from __future__ import annotations

import unicodedata
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    PrivateAttr,
    StrictBool,
    StrictInt,
    Tag,
    field_validator,
    model_validator,
)

from ..i18n import explain
from ..i18n import text as t
from ..registry import OPTIMIZER_IDS, OPTIMIZERS, SCHEDULE_IDS, SCHEDULES, SURFACE_IDS, SURFACES
from ..settings import get_settings

_settings = get_settings()
MAX_RUNS = _settings.max_runs
MAX_STEPS = _settings.max_steps
MAX_GRID = _settings.max_grid
MAX_EXPRESSION = _settings.max_expression_length
MAX_COORD = 1e6  # display ranges and starts live within ±1e6
MAX_LABEL = 80
_UNPRINTABLE = frozenset(("Cc", "Cf", "Cs", "Co", "Zl", "Zp"))  # Unicode categories a label may not hold

OptimizerId = Literal[OPTIMIZER_IDS]  # type: ignore[valid-type]
ScheduleId = Literal[SCHEDULE_IDS]  # type: ignore[valid-type]


class StrictModel(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


def _number(v: Any) -> Any:
    """JSON numbers only: no true/false, no numeric strings."""
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise ValueError(t("error.number", kind=type(v).__name__))
    return v


Number = Annotated[float, BeforeValidator(_number)]
# limits written before the validator, so that the OpenAPI schema has them as JSON Schema keywords
# (minimum, maximum, exclusiveMinimum); after it, pydantic writes them as ge/le/gt, which clients ignore
Coord = Annotated[float, Field(ge=-MAX_COORD, le=MAX_COORD), BeforeValidator(_number)]
Clip = Annotated[float, Field(gt=0.0, le=1e12), BeforeValidator(_number)]  # a clipping threshold


def _check_range(v: tuple[float, float], name: str) -> tuple[float, float]:
    if not v[0] < v[1]:
        raise ValueError(t("error.range", name=name, value=list(v)))
    return v


class CustomSurfaceRequest(StrictModel):
    """A surface typed by the user: a formula in x and y over a display range."""

    expression: str = Field(
        min_length=1,
        max_length=MAX_EXPRESSION,
        description="Formula in x and y: numbers, + - * / ** ^ (power), parentheses, "
        "sin cos tan exp log sqrt abs tanh sinh cosh atan, pi, e.",
        examples=["x^2 + 10*y^2"],
    )
    x_range: tuple[Coord, Coord] = Field((-3.0, 3.0), description="[low, high] of x for display and grids")
    y_range: tuple[Coord, Coord] = Field((-3.0, 3.0), description="[low, high] of y for display and grids")

    @field_validator("x_range")
    @classmethod
    def _x(cls, v: tuple[float, float]) -> tuple[float, float]:
        return _check_range(v, "x_range")

    @field_validator("y_range")
    @classmethod
    def _y(cls, v: tuple[float, float]) -> tuple[float, float]:
        return _check_range(v, "y_range")

    @field_validator("expression")
    @classmethod
    def _text(cls, v: str) -> str:
        # the cheap checks only (length, characters, parentheses): parsing and compiling happen
        # once per formula, off the event loop (app.api.service.formula)
        from ..engine.expression import ExpressionError, check_text

        try:
            return check_text(v)
        except ExpressionError as err:
            raise ValueError(explain(err)) from None


def _surface_kind(v: Any) -> str:
    return "builtin" if isinstance(v, str) else "custom"


SurfaceField = Annotated[
    Annotated[str, Tag("builtin")] | Annotated[CustomSurfaceRequest, Tag("custom")],
    Discriminator(_surface_kind),
    Field(
        description=f"A built-in surface id ({', '.join(SURFACE_IDS)}) or a custom surface object.",
        examples=["rosenbrock", {"expression": "x^2 + 10*y^2", "x_range": [-3, 3], "y_range": [-3, 3]}],
    ),
]


def check_surface_id(v: Any) -> Any:
    if isinstance(v, CustomSurfaceRequest):
        return v
    if not isinstance(v, (str, dict)):
        example = '{"expression": ..., "x_range": [low, high], "y_range": [low, high]}'
        raise ValueError(t("error.surface.type", example=example))
    if isinstance(v, str) and v not in SURFACES:
        raise ValueError(t("error.surface.unknown", id=repr(v), valid=", ".join(SURFACE_IDS)))
    return v


MAX_CHAIN = 8


class ChainLinkRequest(StrictModel):
    """One more schedule of a chain: from step ``milestone`` on, it runs from its own step 0."""

    milestone: StrictInt = Field(ge=1, le=MAX_STEPS, description="The step (epoch) at which this schedule takes over.")
    name: ScheduleId = Field(description="Schedule id (see GET /api/v1/schedules); not one that reads the loss.")
    params: dict[str, Any] = Field(default_factory=dict, description="Its parameters; omitted ones default.")

    @model_validator(mode="after")
    def _params(self) -> ChainLinkRequest:
        if SCHEDULES[self.name].reads_loss:
            raise ValueError(t("error.chain.reads_loss", id=self.name))
        self.params = SCHEDULES[self.name].resolve(self.params, "schedule")
        return self


class ScheduleRequest(StrictModel):
    name: ScheduleId = Field("constant", description="Schedule id (see GET /api/v1/schedules).")
    params: dict[str, Any] = Field(default_factory=dict, description="Schedule parameters; omitted ones default.")
    warmup_steps: StrictInt = Field(
        0, ge=0, le=MAX_STEPS, description="Linear warm-up: lr·(t + 1)/W for t < W, then the schedule at t − W."
    )
    per: Literal["step", "epoch"] = Field(
        "step", description="What t counts: updates, or epochs (dataset surfaces only)."
    )
    chain: list[ChainLinkRequest] = Field(
        default_factory=list,
        max_length=MAX_CHAIN,
        description="torch SequentialLR: further schedules, each from its milestone on (increasing), restarted at "
        "its step 0 there. Instead of warmup_steps (chain a 'linear' one first). Empty: this schedule alone.",
    )

    @model_validator(mode="after")
    def _params(self) -> ScheduleRequest:
        spec = SCHEDULES[self.name]
        self.params = spec.resolve(self.params, "schedule")
        if self.chain:
            if spec.reads_loss:
                raise ValueError(t("error.chain.reads_loss", id=self.name))
            if self.warmup_steps:
                raise ValueError(t("error.chain.warmup"))
            milestones = [link.milestone for link in self.chain]
            if milestones != sorted(set(milestones)):
                raise ValueError(t("error.chain.milestones", milestones=milestones))
            if any(p.get("cycle_momentum") for p in (self.params, *(link.params for link in self.chain))):
                raise ValueError(t("error.chain.cycle_momentum"))
        if spec.reads_loss and self.warmup_steps:
            raise ValueError(t("error.warmup.reads_loss", id=self.name))
        return self


SWATS_TOLERANCE = 1e-9  # Keskar & Socher's ε


class OptimizerLinkRequest(StrictModel):
    """One link of an optimizer chain: from update ``milestone`` on (the first link: from update 0,
    no milestone), this optimizer, started afresh at the point reached."""

    milestone: StrictInt | None = Field(
        None,
        ge=1,
        le=MAX_STEPS,
        description="The update at which this optimizer takes over (0 < milestone < steps, increasing); "
        "omitted on the first link.",
    )
    optimizer: OptimizerId = Field(description="Optimizer id (see GET /api/v1/optimizers).")
    params: dict[str, Any] = Field(
        default_factory=dict, description="Its hyperparameters; omitted ones take the catalogue's defaults."
    )
    rule: Literal["swats"] | None = Field(
        None,
        description="Optional, instead of `milestone`: SWATS (Keskar & Socher 2017, Algorithm 1) picks the switch "
        "and the SGD rate Λ from the Adam steps. Only as the second and last link, optimizer 'sgd', after "
        "'adam' or 'adamw'; no `lr` (SWATS sets it: lr = (1 − momentum)·Λ, dampening 0: the paper's "
        "v = β₁v + g, θ −= (1 − β₁)Λv); `momentum` defaults to the Adam link's beta1. The answer's `swats` "
        "gives the update k and Λ (null: the criterion never fired, the run stays Adam).",
    )
    tolerance: float | None = Field(
        None,
        gt=0.0,
        le=1.0,
        allow_inf_nan=False,
        description=f"With `rule` 'swats' only: its ε, the switch when |λₖ/(1 − β₂ᵏ) − γₖ| < ε (default "
        f"{SWATS_TOLERANCE:g}, the paper's).",
    )

    _given: set[str] = PrivateAttr(default_factory=set)  # the params given (before the defaults)

    @model_validator(mode="after")
    def _params(self) -> OptimizerLinkRequest:
        self._given = set(self.params)
        if self.rule is not None:
            swats_link(self)
        elif self.tolerance is not None:
            raise ValueError(t("switch_swats.error.tolerance"))
        self.params = OPTIMIZERS[self.optimizer].resolve(self.params, "optimizer")
        if self.rule is not None:  # SWATS sets the lr: none in the resolved link either
            del self.params["lr"]
            self.tolerance = SWATS_TOLERANCE if self.tolerance is None else self.tolerance
        return self


def swats_link(link: OptimizerLinkRequest) -> None:
    """A SWATS link's own rules: an SGD link, no milestone, no lr, no dampening (the paper's form)."""
    if link.milestone is not None:
        raise ValueError(t("switch_swats.error.milestone", milestone=link.milestone))
    if link.optimizer != "sgd":
        raise ValueError(t("switch_swats.error.optimizer", id=link.optimizer))
    if "lr" in link.params:
        raise ValueError(t("switch_swats.error.lr", lr=link.params["lr"]))
    if link.params.get("dampening", 0.0) != 0.0:
        raise ValueError(t("switch_swats.error.dampening", dampening=link.params["dampening"]))


def _chain_or_optimizer(schema: dict[str, Any]) -> None:
    """The JSON Schema of a run: `optimizer` is required unless `optimizers` (a chain) is given."""
    schema["required"] = [name for name in schema.get("required", []) if name != "optimizer"]
    if not schema["required"]:
        del schema["required"]
    schema["anyOf"] = [{"required": ["optimizer"]}, {"required": ["optimizers"]}]


def first_link(data: Any) -> Any:
    """A request's body without ``optimizer``: its chain's first link's (the check of a given one
    comes after; a run's and a sweep's)."""
    links = data.get("optimizers") if isinstance(data, dict) else None
    if isinstance(links, list) and links and isinstance(links[0], dict) and "optimizer" not in data:
        data = {**data, "optimizer": links[0].get("optimizer")}
    return data


class RunRequest(StrictModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, json_schema_extra=_chain_or_optimizer)

    optimizer: OptimizerId = Field(
        description="Optimizer id (see GET /api/v1/optimizers). May be omitted when `optimizers` is given (then "
        "its first link's; if given, it must be that one)."
    )
    params: dict[str, Any] = Field(
        default_factory=dict, description="Hyperparameters; omitted ones take the catalogue's defaults."
    )
    label: str | None = Field(None, max_length=MAX_LABEL, description="Name shown in legends.")
    schedule: ScheduleRequest | None = Field(None, description="Learning-rate schedule; constant when omitted.")
    batch_size: StrictInt | None = Field(
        None,
        ge=1,
        description="Dataset surfaces: samples per update (m = batch GD, 1 = stochastic). Default m.",
    )
    noise_std: Number = Field(
        0.0, ge=0.0, le=1e6, description="Analytic surfaces: std of Gaussian noise added to each gradient component."
    )
    clip_value: Clip | None = Field(
        None,
        description="Clip each gradient component to [−c, c] (torch clip_grad_value_), after the noise, before the "
        "update. Off when omitted.",
    )
    clip_norm: Clip | None = Field(
        None,
        description="Scale the gradient by min(1, c/(‖g‖ + 1e-6)) (torch clip_grad_norm_), after clip_value. Off "
        "when omitted. grad_norm and the state's gx, gy report the clipped gradient.",
    )
    optimizers: list[OptimizerLinkRequest] | None = Field(
        None,
        min_length=1,
        max_length=MAX_CHAIN,
        description='An optimizer chain (SWATS\'s idea: Adam first, then SGD): `[{"optimizer": "adam", '
        '"params": {...}}, {"milestone": k, "optimizer": "momentum", "params": {...}}]`. From each '
        "milestone on, that optimizer runs from the point reached with FRESH state, as a new torch.optim "
        "optimizer created on the same tensor. Replaces `optimizer` and `params` (which, if given, must be "
        "the first link's). The `schedule` runs on the whole run's clock: the lr of update t is the schedule at "
        "t with the active link's `lr` as its base (torch: each new optimizer gets the same scheduler, "
        "advanced to the milestone); for a schedule that restarts at a switch, chain one at the same "
        "milestone (`schedule.chain`). A closure optimizer (L-BFGS, Newton) only as the last link. Not with a "
        "schedule that reads the loss or cycles the momentum. On dataset surfaces with mini-batches, a "
        "milestone falls on an epoch's first update. Trajectories and networks (JSON and stream); the answer's "
        "`switches` lists the updates at which a later link took over.",
    )

    @field_validator("label")
    @classmethod
    def _label(cls, v: str | None) -> str | None:
        # a label reaches legends and the exported scripts, which print it to the user's terminal:
        # no escape sequences (ESC, BEL, C1), no bidi overrides or line breaks
        bad = next(((i, ch) for i, ch in enumerate(v or "") if unicodedata.category(ch) in _UNPRINTABLE), None)
        if bad is not None:
            raise ValueError(t("error.label.control", code=f"{ord(bad[1]):04X}", position=bad[0]))
        return v

    @model_validator(mode="before")
    @classmethod
    def _first_link(cls, data: Any) -> Any:
        return first_link(data)

    @model_validator(mode="after")
    def _params(self) -> RunRequest:
        given = "params" in self.model_fields_set
        self.params = OPTIMIZERS[self.optimizer].resolve(self.params, "optimizer")
        if self.optimizers is not None:
            check_chain(self.optimizers)
            self.params = first_link_params(self.optimizer, self.params, given, self.optimizers[0])
        return self


def first_link_params(
    optimizer: str, params: dict[str, Any], given: bool, first: OptimizerLinkRequest
) -> dict[str, Any]:
    """The params of a request with a chain (a run's, a sweep's): its first link's, which
    ``optimizer`` and ``params`` (resolved; ``given``: in the body) must be."""
    if optimizer != first.optimizer:
        raise ValueError(t("error.switch.optimizer", id=optimizer, first=first.optimizer))
    if given and params != first.params:
        raise ValueError(t("error.switch.params"))
    return first.params


def check_chain(links: list[OptimizerLinkRequest]) -> None:
    """An optimizer chain's own rules: the first link without a milestone, the others with
    increasing ones, a closure optimizer only last; a SWATS link only second and last, after Adam."""
    if links[0].milestone is not None:
        raise ValueError(t("error.switch.first_milestone", milestone=links[0].milestone))
    rules = [j for j, link in enumerate(links) if link.rule is not None]
    if rules:
        if rules != [1] or len(links) != 2 or links[0].optimizer not in ("adam", "adamw"):
            raise ValueError(t("switch_swats.error.place", index=rules[0], first=links[0].optimizer, n=len(links)))
        if "momentum" not in links[1]._given:  # the paper's: SGD's momentum is Adam's β₁
            links[1].params["momentum"] = links[0].params["beta1"]
        return
    given = [link.milestone for link in links[1:]]
    if None in given:
        raise ValueError(t("error.switch.no_milestone", index=given.index(None) + 1))
    milestones = [m for m in given if m is not None]
    if milestones != sorted(set(milestones)):
        raise ValueError(t("error.switch.order", milestones=milestones))
    for j, link in enumerate(links[:-1]):
        if OPTIMIZERS[link.optimizer].driver == "closure":
            raise ValueError(t("error.switch.closure", id=link.optimizer, index=j))


class SurfaceRequestBase(StrictModel):
    surface: SurfaceField

    @field_validator("surface", mode="before")
    @classmethod
    def _surface_id(cls, v: Any) -> Any:
        return check_surface_id(v)


class TrajectoryRequest(SurfaceRequestBase):
    """Run one or more optimizers from the same start on the same surface."""

    model_config = ConfigDict(
        extra="forbid",
        allow_inf_nan=False,
        json_schema_extra={
            "examples": [
                {
                    "surface": "rosenbrock",
                    "start": [-1.2, 1.0],
                    "steps": 500,
                    "tolerance": 1e-8,
                    "seed": 0,
                    "runs": [
                        {
                            "optimizer": "adam",
                            "params": {"lr": 0.05, "beta1": 0.9},
                            "label": "Adam",
                            "schedule": {"name": "cosine", "params": {"t_max": 500}, "warmup_steps": 0},
                        },
                        {"optimizer": "momentum", "params": {"lr": 0.002, "beta": 0.9, "variant": "classic"}},
                    ],
                }
            ]
        },
    )

    start: tuple[Coord, Coord] | None = Field(None, description="[x, y]; the surface's default start when omitted.")
    steps: StrictInt = Field(500, ge=1, le=MAX_STEPS, description="Number of updates per run.")
    tolerance: Number = Field(
        0.0, ge=0.0, le=1e6, description="Stop a run when the true gradient norm falls below this (0: never)."
    )
    seed: StrictInt = Field(0, ge=0, le=2**32 - 1, description="Seeds mini-batch order and gradient noise.")
    runs: list[RunRequest] = Field(min_length=1, max_length=MAX_RUNS)
    include_state: StrictBool = Field(
        False,
        description="Also return each run's optimizer internals per update in `state`: the gradient "
        "used (gx, gy), the velocity / first moment after the update (mx, my; null for methods without "
        "one; the averaged iterate for ASGD and Schedule-Free, whose catalogue entry says moment: 'iterate') and "
        "the per-axis effective learning rate (eff_lr_x, eff_lr_y; null for non-adaptive methods).",
    )


class GridRequest(SurfaceRequestBase):
    model_config = ConfigDict(
        extra="forbid", allow_inf_nan=False, json_schema_extra={"examples": [{"surface": "himmelblau", "n": 120}]}
    )
    n: StrictInt = Field(120, ge=2, le=MAX_GRID, description="Points per axis.")


# --- responses (the JSON answers; those sent as orjson bytes are checked against these models by
# tests/api/test_public_models.py) ------------------------------------------------------------------


class ParamPublic(BaseModel):
    name: str
    default: Any
    min: float | None
    max: float | None
    description: str
    type: str
    scale: str
    choices: list[str] | None = None
    min_exclusive: bool = Field(False, description="The value must be > min (not ≥).")
    max_exclusive: bool = Field(False, description="The value must be < max (not ≤).")
    slider_min: float | None = Field(None, description="Controls: low end of the slider (apart from min).")
    slider_max: float | None = Field(None, description="Controls: high end of the slider (apart from max).")
    slider_scale: Literal["linear", "log"] | None = Field(None, description="Controls: the slider's scale.")
    follows_steps: float | list[float] | None = Field(
        None,
        description="A length that spans the run: its share of the run's steps (a list of shares for a list of "
        "steps, e.g. milestones). The studio fills it from the run's steps (for a chain's link: the steps it "
        "runs) and keeps it following them until the user types their own; an omitted value still takes "
        "`default` (the share of 1,000 steps). Null: a length of its own (a restart period, a warm-up ramp).",
    )


class OptimizerPublic(BaseModel):
    id: str
    name: str
    formula: str
    description: str
    convention: str
    color: str = Field(description="The colour this optimizer is drawn in, everywhere (#rrggbb).")
    driver: Literal["loop", "closure", "matrix"] = Field(
        "loop",
        description="loop: element-wise, one gradient per update (trajectories, sweeps, basins, races); closure: "
        "needs the whole gradient and several loss evaluations per update (L-BFGS, damped Newton): trajectories "
        "only, with `evals` in each run of the answer; matrix: per weight matrix of a network (Adafactor, Muon, "
        "LAMB): networks only.",
    )
    networks_only: bool = Field(
        False, description="The optimizer needs a network's weight matrices: the 2D surfaces refuse it (422)."
    )
    moment: Literal["vector", "iterate"] = Field(
        "vector",
        description="What include_state's mx, my hold: a vector (velocity, moment) or an iterate (the "
        "averaged point of ASGD and Schedule-Free, drawn as a thin path).",
    )
    interpolation: str | None = Field(
        None, description="Schedule-Free: the parameter β with y = βx + (1 − β)z, so z = (y − β·mx)/(1 − β)."
    )
    params: list[ParamPublic]


class SchedulePublic(BaseModel):
    id: str
    name: str
    formula: str
    description: str
    reference: str
    reads_loss: bool = Field(
        False, description="The rate depends on the run's losses (ReduceLROnPlateau): no preview without a run."
    )
    params: list[ParamPublic]


class RunColorsPublic(BaseModel):
    """How runs are coloured (the studio, the lessons, the Python package's figures): the first run of an
    optimizer in the optimizer's `color`; a further run in the first of `spare` at least `far` from every
    colour already drawn (else the one of them farthest from those); a colour the user chose wins; the
    k-th run of one optimizer dashed with the k-th of `dashes` (cyclically)."""

    spare: list[str] = Field(description="Colours for a further run of an optimizer (#rrggbb), tried in order.")
    far: float = Field(description="ΔE*ab (CIE 1976, D65) from which two colours are told apart at a glance.")
    dashes: list[str] = Field(description="Plotly dashes: the k-th run of an optimizer takes the k-th.")


class SurfacePublic(BaseModel):
    id: str | None = None
    name: str
    kind: Literal["analytic", "dataset", "custom"]
    description: str
    formula: str
    x_range: list[float]
    y_range: list[float]
    minima: list[list[float]]
    default_start: list[float]
    log_contours: bool
    f_min: float | None = Field(
        None,
        description="The minimum value f* (the Polyak step size's default f_min); null where the surface is "
        "unbounded below or a typed formula. A dataset's is its full-data minimum loss.",
    )
    dataset: dict[str, Any] | None = None
    expression: str | None = None
    default_runs: list[dict[str, Any]] = Field(
        default_factory=list,
        description="Runs the studio opens this surface with (a trajectories request's `runs`), "
        "learning rates chosen by measurement so that the description holds.",
    )


class CatalogueSurfacePublic(SurfacePublic):
    """A built-in surface as the catalogue lists it (GET /api/v1/surfaces)."""

    suggested_lr: dict[str, float] = Field(
        default_factory=dict,
        description="The learning rate suggested for each optimizer on this surface ({optimizer id: lr}, every "
        "optimizer that runs on surfaces): the fair race's best final loss on a log grid, from `default_start` "
        "over the studio's 300 steps, the other hyperparameters at their defaults, full batch, no noise "
        "(measured by tools/suggested_lr.py). The studio gives it to a run whose optimizer is switched and to a "
        "run it adds.",
    )


class CustomDefaultPublic(BaseModel):
    """The typed formula the studio's "Custom formula…" opens on, with runs that suit it."""

    expression: str
    x_range: list[float]
    y_range: list[float]
    default_runs: list[dict[str, Any]] = Field(
        description="The runs it opens with (a trajectories request's `runs`): the studio's four optimizers at their "
        "suggested rates on this formula."
    )
    suggested_lr: dict[str, float] = Field(
        description="The learning rate suggested for each optimizer on this formula, measured as a built-in "
        "surface's `suggested_lr`."
    )


RunStatus = Literal["converged", "diverged", "max_steps", "stopped"]


class RunSettingsPublic(BaseModel):
    """A run as resolved (defaults filled): what a surface's run and a network's run both answer."""

    label: str
    optimizer: str
    params: dict[str, Any]
    schedule: dict[str, Any]
    batch_size: int | None = None
    noise_std: float
    clip_value: float | None = None
    clip_norm: float | None = None
    optimizers: list[dict[str, Any]] | None = Field(
        None,
        description="An optimizer chain, resolved (defaults filled): the first link's `optimizer` and `params` "
        "are the run's; each later one has its `milestone`. Absent for a run of one optimizer.",
    )


class SwatsPublic(BaseModel):
    step: int | None = Field(
        description="The update k at which SGD took over (after Adam's k-th step, the paper's), or null."
    )
    lr: float | None = Field(
        description="Λ, SWATS's SGD rate; the SGD link's lr is (1 − momentum)·Λ (torch SGD, dampening 0), or null."
    )


class RunPublic(RunSettingsPublic):
    x: list[float]
    y: list[float]
    loss: list[float]
    lr: list[float]
    grad_norm: list[float]
    batch_loss: list[float] | None = None
    momentum: list[float] | None = Field(
        None,
        description="A one_cycle schedule with cycle_momentum: the momentum (SGD's β, the Adam family's β₁) of "
        "each update, as torch sets it.",
    )
    state: dict[str, list[float | None] | None] | None = None
    evals: dict[str, list[float | int | None]] | None = Field(
        None,
        description="Closure optimizers only (L-BFGS): every loss evaluation of every update, in order, as four "
        "parallel arrays: `step` (the update t it belongs to, 0-based: one update is one optimizer.step(closure) "
        "call, which evaluates the loss at several points, the line search's trials included), `x`, `y` (where) and "
        "`loss` (what the closure returned: the mini-batch loss on dataset surfaces; null where not finite). The "
        "number of function evaluations is len(x). In the event stream each `points` event carries the `evals` of "
        "its updates.",
    )
    status: RunStatus
    steps_taken: int
    switches: list[int] | None = Field(
        None,
        description="A run with an optimizer chain: the updates at which a later link took over (the "
        "milestones the run reached; update t is made by the link of the last switch <= t). In the event stream, "
        "in the `done` event's runs.",
    )
    swats: SwatsPublic | None = Field(
        None,
        description="A chain whose second link has `rule` 'swats' only: where SWATS switched (also in "
        "`switches`) and its SGD rate Λ; nulls when its criterion never fired. In the event stream, in the `done` "
        "event's runs.",
    )


class TrajectoriesPublic(BaseModel):
    surface: SurfacePublic
    runs: list[RunPublic]


class ContourPublic(BaseModel):
    log: bool = Field(description="Levels of log10(z − zmin + eps) (values spanning decades), else of z.")
    zmin: float | None = Field(description="The lowest value (log levels only).")
    eps: float | None = Field(description="Added before the log, so the minimum has a level (log levels only).")


class GridPublic(BaseModel):
    x: list[float]
    y: list[float]
    z: list[list[float | None]]
    contour: ContourPublic = Field(description="How a contour map draws these values (the studio's rule).")
