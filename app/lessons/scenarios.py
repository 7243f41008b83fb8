"""The lessons: named, ready requests, each with a claim it makes measurable on its own runs.

Every lesson's surface, start and hyperparameters were chosen by measurement
(``python -m tools.lesson_scan`` prints the candidates and their figures), so that the point is
plain to see. Texts are not here: titles, explanations, run labels and claims live in the message
catalogue (``app/i18n/lessons.json``, keys ``scenario.<id>.title`` / ``.text`` / ``.label.<name>``,
``claim.<id>``); formulas are shared by both languages and sit here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from ..engine.datasets import DATASETS, LinearRegression
from ..engine.network import DataConfig
from ..i18n import text
from ..registry import OPTIMIZERS


@dataclass(frozen=True)
class Worded:
    """A formula with words around it ("classical: v ← βv + g", "α·(t + 1)/W for t < W"): the
    formula is shared, the words are the catalogue's ``formula.<key>`` with a ``{formula}`` slot."""

    key: str
    formula: str

    def render(self, lang: str) -> str:
        return text(f"formula.{self.key}", lang, formula=self.formula)


@dataclass(frozen=True)
class Label:
    """A run label: a catalogue key (``scenario.<id>.label.<name>``) or the optimizer's name, plus a
    shared suffix (numbers, formulas), e.g. ``Label(opt="gd", suffix="α = 0.45")``."""

    key: str | None = None
    opt: str | None = None
    suffix: str = ""

    def render(self, lesson_id: str, lang: str) -> str:
        head = (
            text(f"scenario.{lesson_id}.label.{self.key}", lang)
            if self.key
            else text(f"optimizer.{self.opt}.name", lang)
            if self.opt
            else ""
        )
        return f"{head} {self.suffix}".strip()


def _run(opt: str, label: Label | str, **params: Any) -> dict[str, Any]:
    """A run of the request; ``label`` a `Label`, or a suffix after the optimizer's own name."""
    if isinstance(label, str):
        label = Label(opt=opt, suffix=label)
    extra: dict[str, Any] = {k: params.pop(k) for k in ("schedule", "batch_size", "noise_std") if k in params}
    return {"optimizer": opt, "label": label, "params": params, **extra}


def _gd_to_adam(
    surface: str, start: list[float], lrs: tuple[float, float, float, float], momentum: str, **variant: Any
) -> dict[str, Any]:
    """A request of 300 steps from ``start``: GD, momentum (β = 0.9; ``momentum`` its label key,
    ``variant`` its other parameters), RMSprop and Adam, each at its α of ``lrs``, each labelled by it."""
    gd, mom, rms, adam = (f"α = {lr:g}" for lr in lrs)
    return {
        "surface": surface,
        "start": start,
        "steps": 300,
        "runs": [
            _run("gd", gd, lr=lrs[0]),
            _run("momentum", Label(momentum, suffix=mom), lr=lrs[1], beta=0.9, **variant),
            _run("rmsprop", rms, lr=lrs[2]),
            _run("adam", adam, lr=lrs[3]),
        ],
    }


def _switch(label: Label, at: int, *links: tuple[str, dict[str, Any]], **extra: Any) -> dict[str, Any]:
    """A run whose optimizer changes at update ``at`` (the API's optimizer chain, `optimizers`): the
    first link's optimizer and params, then the second's from update ``at`` on, with fresh state."""
    (first, p0), (second, p1) = links
    chain = [{"optimizer": first, "params": p0}, {"milestone": at, "optimizer": second, "params": p1}]
    return {"optimizer": first, "label": label, "optimizers": chain, **extra}


def _batches(data: dict[str, Any], steps: int, *runs: tuple[Label, float, int]) -> dict[str, Any]:
    """A request of GD runs on a data set (seed 0), each (its label, α, batch size)."""
    return {
        **data,
        "steps": steps,
        "seed": 0,
        "runs": [_run("gd", label, lr=lr, batch_size=b) for label, lr, b in runs],
    }


def _epoch(name: str, **params: Any) -> dict[str, Any]:
    return {"name": name, "params": params, "per": "epoch"}


@dataclass(frozen=True)
class Lesson:
    id: str
    # "trajectories" (POST /api/v1/trajectories), "sweep" (POST /api/v1/sweeps), "ewa" (POST /api/v1/ewa)
    # or "network" (POST /api/v1/networks: the networks page draws it, /networks#lesson=<id>)
    kind: str
    request: dict[str, Any]
    formulas: tuple[str | Worded, ...]
    # a second request drawn beside the first (input normalization: the same data, standardized)
    compare: dict[str, Any] | None = None
    # the page draws these runs' learning rate beside the paths
    lr_chart: bool = False
    # dataset lessons compared per epoch: the page shows the first `epochs` epochs of each run
    epochs: int | None = None
    # pairs of runs whose paths coincide: the page draws the second dashed over the first
    coincide: tuple[tuple[int, int], ...] = ()
    # runs whose path (and loss) another run's covers in part: the page draws them wide and
    # translucent beneath, so that both stay visible
    under: tuple[int, ...] = ()
    # the map's view ({"x": [lo, hi], "y": [lo, hi]}) when the point is best seen zoomed in
    view: dict[str, list[float]] | None = None
    # draw each update's mini-batch cost under the full cost
    batch_cost: bool = False
    # the map draws only the last part of each path (the fraction the claim measures)
    tail: float | None = None
    # a network lesson measured over several seeds: its request is trained once per seed (the model's
    # init and the batch order seeded together, `seeded`), the page draws each run's mean and band
    # (GET /api/v1/scenarios/{id}/seeds) and the claim's figures are means and spreads over them
    seeds: tuple[int, ...] = ()
    # runs that differ only in when they switch optimizer: the page draws the seeds' final values
    # against each run's switch epoch
    by_switch: bool = False

    def seeds_body(self) -> dict[str, Any]:
        """What a seeded lesson's answer is asked with (kind "seeds"): its request (English labels:
        the numbers do not depend on them) and its seeds."""
        return {"request": self.render("en")["request"], "seeds": list(self.seeds)}

    def seeded(self) -> list[dict[str, Any]]:
        """The request once per seed of `seeds`."""
        body = self.seeds_body()
        return [seeded(body["request"], s) for s in body["seeds"]]

    def render(self, lang: str) -> dict[str, Any]:
        """The public form: texts in one language, labels filled, the request ready to post."""

        def req(r: dict[str, Any]) -> dict[str, Any]:
            out = {k: v for k, v in r.items() if k != "runs"}
            if "runs" in r:
                out["runs"] = [{**run, "label": run["label"].render(self.id, lang)} for run in r["runs"]]
            return out

        body: dict[str, Any] = {
            "id": self.id,
            "title": text(f"scenario.{self.id}.title", lang),
            "explanation": text(f"scenario.{self.id}.text", lang),
            # shared by both languages (as in English); `formulas_text` is what a page shows: their words translated
            "formulas": [f.render("en") if isinstance(f, Worded) else f for f in self.formulas],
            "formulas_text": [f.render(lang) if isinstance(f, Worded) else f for f in self.formulas],
            "kind": self.kind,
            "request": req(self.request),
            "lr_chart": self.lr_chart,
            "epochs": self.epochs,
            "coincide": [list(p) for p in self.coincide],
            "under": list(self.under),
            "view": self.view,
            "batch_cost": self.batch_cost,
            "tail": self.tail,
            "seeds": list(self.seeds),
            "by_switch": self.by_switch,
        }
        if self.compare is not None:
            body["compare"] = req(self.compare)
        return body


# --- the same data, standardized: its exact quadratic loss as a formula ------------------------


def _standardized_linear_regression() -> tuple[dict[str, Any], float, float]:
    """J(w', b') of ŷ = w'·x' + b' with x' = (x − μ)/σ on the linear_regression data: a round bowl.

    Returns the custom surface, the raw Hessian's condition number and the standardized one's (1)."""
    lin = next(d for d in DATASETS if d.id == "linear_regression").model
    assert isinstance(lin, LinearRegression)
    x, y = lin.data.x, lin.data.y
    xs = (x - x.mean()) / x.std()
    c, my, myy = float((xs * y).mean()), float(y.mean()), float((y * y).mean())
    # J = ½(w'²·mean(x'²) + 2w'b'·mean(x') + b'² − 2w'·mean(x'y) − 2b'·mean(y) + mean(y²)), mean(x') = 0, mean(x'²) = 1
    expr = f"0.5*(x^2 + y^2) - {c:.6f}*x - {my:.6f}*y + {0.5 * myy:.6f}"
    h = [[lin._mxx, lin._mx], [lin._mx, 1.0]]
    tr, det = h[0][0] + h[1][1], h[0][0] * h[1][1] - h[0][1] ** 2
    lam_max = tr / 2 + math.sqrt(tr * tr / 4 - det)
    lam_min = tr / 2 - math.sqrt(tr * tr / 4 - det)
    surface = {
        "expression": expr,
        "x_range": [round(c - 12.0, 1), round(c + 12.0, 1)],
        "y_range": [round(my - 26.0, 1), round(my + 6.0, 1)],
    }
    return surface, lam_max / lam_min, 1.0


STANDARDIZED, RAW_CONDITION, STANDARDIZED_CONDITION = _standardized_linear_regression()

ADAM_B1, ADAM_B2 = 0.9, 0.999

# the surfaces several lessons start from the same point on
BOWL = {"surface": "elongated_bowl", "start": [-9.0, 3.0]}
LINEAR = {"surface": "linear_regression", "start": [0.0, -4.0]}

LESSONS: tuple[Lesson, ...] = (
    Lesson(
        "batch-vs-minibatch",
        "trajectories",
        _batches(
            LINEAR,
            400,
            (Label("batch", suffix="(m = 1000)"), 0.02, 1000),
            (Label("mini", suffix="512"), 0.02, 512),
            (Label("mini", suffix="64"), 0.02, 64),
            (Label("sgd", suffix="(1)"), 0.02, 1),
        ),
        ("1 epoch = ⌈m / B⌉ × (θ ← θ − α·∇J_B(θ))", "B ∈ {m, 512, 64, 1}"),
        batch_cost=True,
        under=(0,),  # the mini-batches of 512 and 64 run along the full batch's path
    ),
    Lesson(
        "ewa-bias-correction",
        "ewa",
        {"betas": [0.9, 0.98], "bias_correction": True},
        ("vₜ = β·vₜ₋₁ + (1 − β)·θₜ,  v₀ = 0", "1/(1 − β)", "v̂ₜ = vₜ/(1 − βᵗ)"),
    ),
    Lesson(
        "momentum-bowl",
        "trajectories",
        {
            **BOWL,
            "steps": 120,
            "runs": [
                _run("gd", "α = 0.45", lr=0.45),
                _run("momentum", Label("ewa", suffix="β = 0.5, α = 1"), lr=1.0, beta=0.5, variant="ewa"),
                _run("momentum", Label("classic", suffix="β = 0.5, α = 0.5"), lr=0.5, beta=0.5, variant="classic"),
                _run("momentum", Label("ewa", suffix="β = 0.9, α = 1"), lr=1.0, beta=0.9, variant="ewa"),
            ],
        },
        ("v ← βv + (1−β)g,  θ ← θ − α·v", "v ← βv + g,  θ ← θ − α(1−β)·v   ≡"),
        coincide=((1, 2),),
    ),
    Lesson(
        "nesterov",
        "trajectories",
        {
            **BOWL,
            "steps": 150,
            "runs": [
                _run("momentum", Label("classic", suffix="β = 0.9, α = 0.15"), lr=0.15, beta=0.9, variant="classic"),
                _run("nesterov", "β = 0.9, α = 0.15", lr=0.15, beta=0.9),
            ],
        },
        (Worded("classical", "v ← βv + g,  θ ← θ − α·v"), Worded("nesterov", "v ← βv + g,  θ ← θ − α(g + βv)")),
    ),
    Lesson(
        "rmsprop",
        "trajectories",
        {
            **BOWL,
            "steps": 120,
            "runs": [
                _run("gd", "α = 0.45", lr=0.45),
                _run("rmsprop", "β = 0.9, α = 0.3", lr=0.3, beta=0.9),
                # the same with α decayed along a cosine to 0: near the minimum its steps shrink
                _run(
                    "rmsprop",
                    Label("cosine", suffix="β = 0.9, α = 0.3"),
                    lr=0.3,
                    beta=0.9,
                    schedule={"name": "cosine", "params": {"t_max": 120}},
                ),
            ],
        },
        ("s ← βs + (1−β)g²", "θ ← θ − α·g/(√s + ε)", "|α·g/√s| ≈ α  (g → 0, s → g²)"),
    ),
    Lesson(
        "adam-bias-correction",
        "trajectories",
        {
            **BOWL,
            "steps": 150,
            "runs": [
                _run("adam", "α = 0.3", lr=0.3),
                _run("adam", Label("nobias", suffix="α = 0.3"), lr=0.3, bias_correction=False),
            ],
        },
        (
            "m ← β₁m + (1−β₁)g,  v ← β₂v + (1−β₂)g²",
            "m̂ = m/(1−β₁ᵗ),  v̂ = v/(1−β₂ᵗ),  θ ← θ − α·m̂/(√v̂ + ε)",
            "t = 1, m/√v: α·(1−β₁)g/√((1−β₂)g²) = α·(1−β₁)/√(1−β₂) ≈ 3.16α",
        ),
    ),
    Lesson(
        "adagrad-dies",
        "trajectories",
        {
            "surface": "rosenbrock",
            "start": [-1.2, 1.0],
            "steps": 1500,
            "runs": [
                _run("adagrad", "α = 0.1", lr=0.1),
                _run("rmsprop", "α = 0.002", lr=0.002, beta=0.9),
            ],
        },
        ("AdaGrad: s ← s + g²", "RMSprop: s ← βs + (1−β)g²", "θ ← θ − α·g/(√s + ε)"),
        under=(0,),  # RMSprop runs on along AdaGrad's path
    ),
    Lesson(
        "lr-decay",
        "trajectories",
        {
            **LINEAR,
            "steps": 5000,
            "seed": 0,
            "runs": [
                _run("gd", Label("constant"), lr=0.04, batch_size=16),
                _run(
                    "gd",
                    Label(suffix="1/(1 + 0.1·epoch)"),
                    lr=0.04,
                    batch_size=16,
                    schedule=_epoch("inverse_time", decay_rate=0.1),
                ),
                _run(
                    "gd", Label(suffix="0.95^epoch"), lr=0.04, batch_size=16, schedule=_epoch("exponential", gamma=0.95)
                ),
                _run(
                    "gd", Label(suffix="1/√(epoch + 1)"), lr=0.04, batch_size=16, schedule=_epoch("inverse_sqrt", k=1.0)
                ),
                _run(
                    "gd", Label("staircase"), lr=0.04, batch_size=16, schedule=_epoch("step", step_size=10, gamma=0.5)
                ),
            ],
        },
        ("α/(1 + k·epoch)", "α·0.95^epoch", "α·k/√(epoch + 1)", "α·γ^⌊epoch/s⌋"),
        lr_chart=True,
        # around the minimum (2.99, 5.05): the constant rate wanders past the edges, the decays settle in the middle
        view={"x": [2.8, 3.2], "y": [4.86, 5.08]},
        tail=0.2,  # the last fifth of each path, as the claim measures
    ),
    Lesson(
        "warmup-cyclic-restarts",
        "trajectories",
        {
            "surface": "ackley",
            "start": [-3.2, 2.6],
            "steps": 400,
            "runs": [
                _run("gd", Label("constant", suffix="α = 0.01"), lr=0.01),
                _run("gd", Label("constant", suffix="α = 0.2"), lr=0.2),
                _run(
                    "gd",
                    Label("warmup", suffix="50 + cos"),
                    lr=0.2,
                    schedule={"name": "cosine", "params": {"t_max": 350}, "warmup_steps": 50},
                ),
                _run(
                    "gd",
                    Label("cyclic", suffix="0.01–0.2"),
                    lr=0.01,
                    schedule={"name": "cyclic", "params": {"max_lr": 0.2, "step_size_up": 50, "mode": "triangular"}},
                ),
                _run(
                    "gd",
                    Label("restarts", suffix="T₀ = 100"),
                    lr=0.2,
                    schedule={"name": "cosine_restarts", "params": {"t_0": 100, "t_mult": 1}},
                ),
            ],
        },
        (
            Worded("warmup", "α·(t + 1)/W"),
            "α + (max − α)·triangle(t)",
            "η_min + (α − η_min)(1 + cos(πT_cur/T_i))/2",
        ),
        lr_chart=True,
    ),
    Lesson(
        "saddle-plateau",
        "trajectories",
        _gd_to_adam("saddle", [0.001, 1.8], (0.01, 0.01, 0.02, 0.02), "classic", variant="classic"),
        ("f = x⁴/4 − x²/2 + y²/2", "∇f(0, 0) = 0, Hessian = diag(−1, 1)"),
    ),
    Lesson(
        "plateau",
        "trajectories",
        _gd_to_adam("plateau", [4.0, 3.0], (1.0, 1.0, 0.05, 0.1), "ewa"),
        ("f = 1 − exp(−(x² + y²)/2)", "|∇f(4, 3)| ≈ 1.9·10⁻⁵"),
        under=(0,),  # GD and momentum both stay at the start: momentum's mark and loss over GD's
    ),
    Lesson(
        "input-normalization",
        "trajectories",
        {
            **LINEAR,
            "steps": 1500,
            "tolerance": 1e-3,
            "runs": [_run("gd", Label("raw", suffix="α = 0.05"), lr=0.05)],
        },
        ("x' = (x − μ)/σ", "J(w, b) = ½(w²·E[x²] + 2wb·E[x] + b² − …)", "J(w', b') = ½(w'² + b'²) − …"),
        compare={
            "surface": STANDARDIZED,
            "start": LINEAR["start"],  # the same start, on the same data standardized
            "steps": 1500,
            "tolerance": 1e-3,
            "runs": [_run("gd", Label("standardized", suffix="α = 0.5"), lr=0.5)],
        },
    ),
    Lesson(
        "linear-scaling",
        "trajectories",
        _batches(
            {"surface": "logistic_regression"},
            1250,
            (Label("batchlr", suffix="8, α = 0.05"), 0.05, 8),
            (Label("batchlr", suffix="64, α = 0.4 (×8, ×8)"), 0.4, 64),
            (Label("batchlr", suffix="64, α = 0.05 (×8, ×1)"), 0.05, 64),
        ),
        ("B × k  ⇒  α × k", "⌈m / (kB)⌉ ≈ ⌈m / B⌉ / k"),
        epochs=10,
    ),
    Lesson(
        "batch-size-lr",
        "sweep",
        {
            "surface": "logistic_regression",
            "steps": 500,
            "epochs": 5,
            "seed": 0,
            "optimizer": "gd",
            "params": {},
            "x_param": {"name": "lr", "min": 0.003, "max": 10.0, "n": 25, "scale": "log"},
            "y_param": {"name": "batch_size", "values": [1, 2, 4, 8, 16, 32, 64, 128]},
        },
        ("α* ∝ B", "5 × ⌈m / B⌉ × (θ ← θ − α·∇J_B(θ))"),
    ),
)


# --- lessons on a real model: a small network (POST /api/v1/networks) ---------------------------

# the course's assignment: moons (300 samples, noise 0.2; a quarter held out), 2 → 5 → 2 → 1 ReLU, He init
ASSIGNMENT_DATA: dict[str, Any] = {"name": "moons", "samples": 300, "noise": 0.2, "test_fraction": 0.25, "seed": 3}
ASSIGNMENT_MODEL: dict[str, Any] = {"hidden": [5, 2], "activation": "relu", "init": "he", "seed": 3}
ASSIGNMENT_LR = 0.0007  # the course's rate: small, where Adam's per-parameter scaling shows
ASSIGNMENT_EPOCHS = 800  # the course runs 10,000: measured, 800 already show it and train in under a second
BATCH = 64
ASSIGNMENT_TRAIN = DataConfig(**ASSIGNMENT_DATA).n_train  # 225: a quarter of the 300 held out

# the toy lesson "lr-decay" on the network: plain mini-batch GD (batch 16, α = 0.1, 200 epochs), the
# toy's decays from epoch 0, and one step down late (×0.1 at epoch 150)
DECAY_EPOCHS, DECAY_LR, DECAY_BATCH, DECAY_LATE = 200, 0.1, 16, 150
DECAYS: tuple[tuple[Label, dict[str, Any]], ...] = (
    (Label(suffix="1/(1 + 0.1·epoch)"), _epoch("inverse_time", decay_rate=0.1)),
    (Label(suffix="0.95^epoch"), _epoch("exponential", gamma=0.95)),
    (Label("staircase"), _epoch("step", step_size=10, gamma=0.5)),
    (Label("late", suffix=f"×0.1 @ {DECAY_LATE}"), _epoch("multistep", milestones=[DECAY_LATE], gamma=0.1)),
)


def _network(epochs: int, *runs: dict[str, Any], seed: int = 0) -> dict[str, Any]:
    """A POST /api/v1/networks body on the assignment's data and model, on its default plane (joint PCA)."""
    return {
        "data": ASSIGNMENT_DATA,
        "model": ASSIGNMENT_MODEL,
        "epochs": epochs,
        "seed": seed,
        "runs": list(runs),
        "plane": {"kind": "pca", "n": 41},
    }


def seeded(request: dict[str, Any], seed: int) -> dict[str, Any]:
    """A network request with the model's init and the batch order both seeded by ``seed`` (the data
    set stays the same)."""
    return {**request, "seed": seed, "model": {**request["model"], "seed": seed}}


# Adam, momentum (and Adam → momentum) on a noisier, larger moons set with a wider network, over
# SWITCH_SEEDS seeds. Measured (python -m tools.lesson_claims network-adam-momentum): at these rates
# Adam's train loss falls faster in every seed, and all runs end near the same test accuracy (the
# data's noise bounds it); the lesson says so with its spread.
SWITCH_DATA: dict[str, Any] = {"name": "moons", "samples": 800, "noise": 0.3, "test_fraction": 0.25, "seed": 3}
SWITCH_MODEL: dict[str, Any] = {"hidden": [16, 16], "activation": "relu", "init": "he", "seed": 0}
SWITCH_EPOCHS, SWITCH_BATCH, SWITCH_SEEDS = 100, 32, (0, 1, 2, 3, 4)
SWITCH_ADAM_LR, SWITCH_MOMENTUM_LR, SWITCH_BETA = 0.01, 0.02, 0.9
SWITCH_TRAIN = DataConfig(**SWITCH_DATA).n_train  # 600
SWITCH_PER_EPOCH = math.ceil(SWITCH_TRAIN / SWITCH_BATCH)  # 19 updates
SWITCH_WHEN = (1, 5, 10, 20, 40, 70, 90)  # "network-switch-when": Adam → momentum at each of these epochs
SWITCH_EARLY = 10  # the epoch at which the claim compares the train losses ("Adam is fast")
SWITCH_EPOCH = 20  # Adam → momentum: the switch at this epoch's end (its first update after it)
SWITCH_ADAM: dict[str, Any] = {"lr": SWITCH_ADAM_LR}
SWITCH_MOMENTUM: dict[str, Any] = {"lr": SWITCH_MOMENTUM_LR, "beta": SWITCH_BETA, "variant": "classic"}


def _switching(*runs: dict[str, Any]) -> dict[str, Any]:
    """A POST /api/v1/networks body of the switching lessons: their data, model, epochs, first seed."""
    return {
        "data": SWITCH_DATA,
        "model": SWITCH_MODEL,
        "epochs": SWITCH_EPOCHS,
        "seed": SWITCH_SEEDS[0],
        "runs": list(runs),
        "plane": {"kind": "pca", "n": 41},
    }


def _adam_then_momentum(label: Label, epoch: int) -> dict[str, Any]:
    """Adam, then momentum from the end of ``epoch`` on."""
    at = epoch * SWITCH_PER_EPOCH
    return _switch(label, at, ("adam", SWITCH_ADAM), ("momentum", SWITCH_MOMENTUM), batch_size=SWITCH_BATCH)


SWITCH_FORMULAS = (
    Worded("sigmoid_output", "2 → 16 → 16 → 1, ReLU"),
    Worded("adam", "θ ← θ − α·m̂/(√v̂ + ε)"),
    Worded("classical", "v ← βv + g,  θ ← θ − α·v"),
    Worded("per_epoch", f"⌈{SWITCH_TRAIN} / {SWITCH_BATCH}⌉ = {SWITCH_PER_EPOCH}"),
)


NETWORK_LESSONS: tuple[Lesson, ...] = (
    Lesson(
        "network-assignment",
        "network",
        _network(
            ASSIGNMENT_EPOCHS,
            _run("gd", f"α = {ASSIGNMENT_LR:g}", lr=ASSIGNMENT_LR, batch_size=BATCH),
            _run("momentum", f"β = 0.9, α = {ASSIGNMENT_LR:g}", lr=ASSIGNMENT_LR, beta=0.9, batch_size=BATCH),
            _run("adam", f"α = {ASSIGNMENT_LR:g}", lr=ASSIGNMENT_LR, batch_size=BATCH),
        ),
        (
            "2 → 5 → 2 → 1, ReLU, sigmoid output",
            "J = −mean(y·log ŷ + (1 − y)·log(1 − ŷ))",
            f"⌈{ASSIGNMENT_TRAIN} / {BATCH}⌉ = {math.ceil(ASSIGNMENT_TRAIN / BATCH)} updates per epoch",
        ),
    ),
    Lesson(
        "network-lr-decay",
        "network",
        _network(
            DECAY_EPOCHS,
            _run("gd", Label("constant", suffix=f"α = {DECAY_LR:g}"), lr=DECAY_LR, batch_size=DECAY_BATCH),
            *(_run("gd", label, lr=DECAY_LR, batch_size=DECAY_BATCH, schedule=schedule) for label, schedule in DECAYS),
        ),
        ("α/(1 + k·epoch)", "α·0.95^epoch", "α·0.5^⌊epoch/10⌋", f"α·0.1 from epoch {DECAY_LATE}"),
        lr_chart=True,
    ),
    Lesson(
        "network-adam-momentum",
        "network",
        _switching(
            _run("adam", f"α = {SWITCH_ADAM_LR:g}", **SWITCH_ADAM, batch_size=SWITCH_BATCH),
            _run(
                "momentum",
                f"β = {SWITCH_BETA:g}, α = {SWITCH_MOMENTUM_LR:g}",
                **SWITCH_MOMENTUM,
                batch_size=SWITCH_BATCH,
            ),
            _adam_then_momentum(Label("switch", suffix=f"@ {SWITCH_EPOCH}"), SWITCH_EPOCH),
        ),
        (
            *SWITCH_FORMULAS,
            Worded("switch", f"t = {SWITCH_EPOCH} × {SWITCH_PER_EPOCH} = {SWITCH_EPOCH * SWITCH_PER_EPOCH}: v ← 0"),
        ),
        seeds=SWITCH_SEEDS,
    ),
    Lesson(
        "network-switch-when",
        "network",
        _switching(*(_adam_then_momentum(Label("when", suffix=f"@ {e}"), e) for e in SWITCH_WHEN)),
        (
            *SWITCH_FORMULAS,
            Worded("switch", f"t = e × {SWITCH_PER_EPOCH},  e ∈ {{{', '.join(map(str, SWITCH_WHEN))}}}"),
        ),
        seeds=SWITCH_SEEDS,
        by_switch=True,
    ),
)

LESSONS = LESSONS + NETWORK_LESSONS

BY_ID: dict[str, Lesson] = {lesson.id: lesson for lesson in LESSONS}


def scenarios(lang: str = "en") -> list[dict[str, Any]]:
    return [lesson.render(lang) for lesson in LESSONS]


assert all(run["optimizer"] in OPTIMIZERS for lesson in LESSONS for run in lesson.request.get("runs", []))
assert all(
    link["optimizer"] in OPTIMIZERS
    for lesson in LESSONS
    for run in lesson.request.get("runs", [])
    for link in run.get("optimizers", [])
)
