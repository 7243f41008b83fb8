"""Schemas of the network endpoints (``…Request`` in, ``…Public`` out): a small multilayer perceptron
trained on a 2D data set by several optimizers from one init, every path on one shared plane.

The limits are named constants here, written once: the fields' bounds use them and GET
/api/v1/limits serves them (``network_…``). A run takes exactly the fields of a run on a dataset
surface (`RunRequest`), validated by the same code. Defaults are the engine's
(`app.engine.network`: DataConfig, ModelConfig, PlaneConfig, NetworkProblem), never restated.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, model_validator

from ..engine.network import ACTIVATIONS, DATA_SETS, INITS, DataConfig, ModelConfig, Network, NetworkProblem
from ..engine.network.planes import PLANES, PlaneConfig
from ..i18n import text as t
from .schemas import MAX_RUNS, MAX_STEPS, Number, RunRequest, RunSettingsPublic, StrictModel

NETWORK_MAX_SAMPLES = 5_000  # data points generated (train and test together)
NETWORK_MIN_SAMPLES = 8
NETWORK_MAX_NOISE = 5.0
NETWORK_MAX_TEST_FRACTION = 0.5
NETWORK_MAX_WIDTH = 64  # neurons per hidden layer
NETWORK_MAX_DEPTH = 4  # hidden layers
NETWORK_MAX_PARAMETERS = 2_500  # P: the Hessian plane holds a P × P matrix (50 MB at this bound)
NETWORK_MAX_EPOCHS = 20_000
# epochs × updates per epoch, summed over the runs: each update's batch loss and lr are in the answer
NETWORK_MAX_UPDATES = MAX_RUNS * MAX_STEPS
NETWORK_MAX_GRID = 101  # plane grid points per axis (each a full pass over the train set)
NETWORK_MAX_POINTS = 1_000  # recorded points per run (each P parameters in the answer)
MAX_SEED = 2**32 - 1

_DATA = DataConfig()
_MODEL = ModelConfig()
_PLANE = PlaneConfig()
Width = Annotated[StrictInt, Field(ge=1, le=NETWORK_MAX_WIDTH)]
_POINTS: int = NetworkProblem.points  # the dataclass's default

if TYPE_CHECKING:
    DataSetId = str
    ActivationId = str
    InitId = str
    PlaneId = str
else:
    DataSetId = Literal[tuple(DATA_SETS)]
    ActivationId = Literal[tuple(ACTIVATIONS)]
    InitId = Literal[tuple(INITS)]
    PlaneId = Literal[tuple(PLANES)]


class DataRequest(StrictModel):
    """A 2D binary classification data set, generated from its seed (nothing downloaded)."""

    name: DataSetId = Field(_DATA.name, description=f"The data set: one of {', '.join(DATA_SETS)}.")
    samples: StrictInt = Field(
        _DATA.samples, ge=NETWORK_MIN_SAMPLES, le=NETWORK_MAX_SAMPLES, description="Points, train and test together."
    )
    noise: Number = Field(
        _DATA.noise, ge=0.0, le=NETWORK_MAX_NOISE, description="Std of the noise added to each point."
    )
    test_fraction: Number = Field(
        _DATA.test_fraction,
        ge=0.0,
        le=NETWORK_MAX_TEST_FRACTION,
        description="The share of the samples held out as the test set, after a seeded shuffle.",
    )
    seed: StrictInt = Field(_DATA.seed, ge=0, le=MAX_SEED, description="Seeds the points, their noise and the split.")


class ModelRequest(StrictModel):
    """A multilayer perceptron: 2 inputs, the hidden layers, one sigmoid output, mean binary cross-entropy."""

    hidden: list[Width] = Field(
        list(_MODEL.hidden),
        max_length=NETWORK_MAX_DEPTH,
        description=f"Hidden layer widths (empty: logistic regression); at most {NETWORK_MAX_PARAMETERS:,} "
        "parameters P in all.",
    )
    activation: ActivationId = Field(_MODEL.activation, description="The hidden layers' activation.")
    init: InitId = Field(_MODEL.init, description="He or Xavier (Glorot) normal init, drawn from `seed`.")
    seed: StrictInt = Field(_MODEL.seed, ge=0, le=MAX_SEED, description="Seeds the init, shared by every run.")

    @model_validator(mode="after")
    def _size(self) -> ModelRequest:
        size = Network(ModelConfig(hidden=tuple(self.hidden))).size
        if size > NETWORK_MAX_PARAMETERS:
            raise ValueError(
                t("error.network.size", hidden=self.hidden, size=f"{size:,}", limit=f"{NETWORK_MAX_PARAMETERS:,}")
            )
        return self


class PlaneRequest(StrictModel):
    """The plane of parameter space every path is drawn on."""

    kind: PlaneId = Field(_PLANE.kind, description=f"How the plane is chosen: one of {', '.join(PLANES)}.")
    n: StrictInt = Field(_PLANE.n, ge=2, le=NETWORK_MAX_GRID, description="Grid points per axis.")
    run: StrictInt = Field(
        _PLANE.run, ge=0, description="`line` and `hessian`: the run (index into `runs`) the plane is built from."
    )
    seed: StrictInt = Field(_PLANE.seed, ge=0, le=MAX_SEED, description="`random`: seeds the directions.")


NETWORK_EXAMPLE: dict[str, Any] = {
    "data": {"name": "moons", "samples": 300, "noise": 0.2, "test_fraction": 0.25, "seed": 3},
    "model": {"hidden": [5, 2], "activation": "relu", "init": "he", "seed": 3},
    "epochs": 2000,
    "seed": 0,
    "runs": [
        {"optimizer": "gd", "params": {"lr": 0.0007}, "batch_size": 64},
        {"optimizer": "momentum", "params": {"lr": 0.0007, "beta": 0.9}, "batch_size": 64},
        {
            "optimizer": "adam",
            "params": {"lr": 0.0007},
            "batch_size": 64,
            "schedule": {"name": "cosine", "params": {"t_max": 10000}},
        },
    ],
    "plane": {"kind": "pca", "n": 41},
}


class NetworkRequest(StrictModel):
    """Train a small network with several optimizers from the same init; draw every path on one plane."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, json_schema_extra={"examples": [NETWORK_EXAMPLE]})

    data: DataRequest = Field(default_factory=DataRequest)
    model: ModelRequest = Field(default_factory=ModelRequest)
    epochs: StrictInt = Field(
        100,
        ge=1,
        le=NETWORK_MAX_EPOCHS,
        description="Passes over the train set; each has ⌈train / batch_size⌉ updates.",
    )
    seed: StrictInt = Field(0, ge=0, le=MAX_SEED, description="Seeds the mini-batch order (reshuffled every epoch).")
    runs: list[RunRequest] = Field(
        min_length=1,
        max_length=MAX_RUNS,
        description="As on dataset surfaces: optimizer, params, schedule (`per`: step or epoch), batch_size "
        "(default: the whole train set), clip_norm, clip_value, label, and an optimizer chain `optimizers`, its "
        "milestones counted in updates of that run (0 < milestone < epochs × ⌈train / batch_size⌉, any update: "
        "the mini-batch of update t is the same with or without a switch).",
    )
    points: StrictInt = Field(
        _POINTS,
        ge=2,
        le=NETWORK_MAX_POINTS,
        description="The most recorded points per run (update 0 and the last included): each path's points and "
        "their parameters (`path.params`, for the decision boundary).",
    )
    plane: PlaneRequest = Field(default_factory=PlaneRequest)

    @model_validator(mode="after")
    def _plane_run(self) -> NetworkRequest:
        if self.plane.run >= len(self.runs):
            n = len(self.runs)
            raise ValueError(t("error.network.plane_run", run=self.plane.run, n=n, last=n - 1))
        return self

    def training_key(self) -> dict[str, Any]:
        """The body without its plane: what the trained runs depend on."""
        return self.model_dump(mode="json", exclude={"plane"})


# --- responses (sent as orjson bytes; tests/api/test_public_models.py checks them against these) -----


class LayerPublic(BaseModel):
    name: str = Field(description="W1, b1, W2, b2, … in the order of a torch nn.Sequential of nn.Linear.")
    shape: list[int] = Field(description="A weight [out, in], a bias [out].")


class SplitPublic(BaseModel):
    x: list[list[float]] = Field(description="The points [x1, x2].")
    y: list[int] = Field(description="Their classes, 0 or 1.")


class NetworkDataPublic(BaseModel):
    train: SplitPublic
    test: SplitPublic


class PathPublic(BaseModel):
    step: list[int] = Field(description="The recorded updates (first 0, last `steps_taken`).")
    params: list[list[float]] = Field(description="The P parameters at each recorded update (k × P).")
    a: list[float] = Field(description="Plane coordinates: a = (θ − origin)·d₁.")
    b: list[float] = Field(description="b = (θ − origin)·d₂.")
    loss: list[float | None] = Field(description="The true train loss at each recorded point.")
    plane_loss: list[float | None] = Field(description="The train loss at its projection onto the plane.")
    off_plane: list[float] = Field(description="Its distance from the plane, ‖θ − proj(θ)‖.")


class NetworkRunPublic(RunSettingsPublic):
    status: Literal["max_steps", "diverged"]
    steps_taken: int = Field(description="Updates made.")
    train_loss: list[float | None] = Field(description="Per epoch, index 0 at init, over the whole train set.")
    test_loss: list[float | None]
    train_accuracy: list[float | None]
    test_accuracy: list[float | None]
    batch_loss: list[float | None] = Field(description="The mini-batch loss of each update.")
    lr: list[float] = Field(description="The learning rate of each update.")
    switches: list[int] | None = Field(
        None,
        description="A run with an optimizer chain (`optimizers`): the updates at which a later link took over (the "
        "milestones the run reached before it ended). In the event stream, in the `done` event's runs.",
    )
    final: list[float] = Field(description="The P parameters at the end.")
    path: PathPublic
    captured: float | None = Field(
        description="‖proj(final − init)‖ / ‖final − init‖: the share of the run's displacement the plane shows."
    )
    fidelity: dict[str, Any] = Field(
        description="How far to trust the picture of this path: its displacement, largest distance from the plane, "
        "largest |plane − true| loss, whether it is mostly off the plane, and a warning (a message key and its "
        "values) or null."
    )


class NetworkPlanePublic(BaseModel):
    model_config = ConfigDict(extra="allow")  # the plane's fidelity extras (app.engine.network.planes)

    kind: str
    origin: list[float]
    directions: list[list[float]] = Field(description="Two orthonormal P-vectors d₁, d₂.")
    a: list[float]
    b: list[float]
    loss: list[list[float | None]] = Field(description="loss[j][i]: the train loss at origin + a[i]·d₁ + b[j]·d₂.")
    explained: list[float] | None = Field(description="PCA planes: the two components' variance ratios.")
    random_walk: float | None = Field(
        description="PCA planes: the ratio a random walk of the same length and dimension gives (the baseline)."
    )


class NetworksPublic(BaseModel):
    request: dict[str, Any] = Field(description="The request with every default filled in.")
    parameters: int = Field(description="P, the number of parameters.")
    layout: list[LayerPublic]
    data: NetworkDataPublic
    init: list[float]
    runs: list[NetworkRunPublic]
    plane: NetworkPlanePublic


class PlaneRunPublic(BaseModel):
    path: dict[str, list[Any]] = Field(description="a, b, loss, plane_loss, off_plane of the recorded points.")
    captured: float | None
    fidelity: dict[str, Any]


class NetworkPlaneAnswerPublic(BaseModel):
    plane: NetworkPlanePublic
    runs: list[PlaneRunPublic]
    cached: bool = Field(description="The trained runs came from this worker's cache (no retraining).")


class NamedPublic(BaseModel):
    model_config = ConfigDict(extra="allow")  # what the engine's entry states (its texts, defaults)

    id: str
    name: str
    description: str


class NetworkCataloguePublic(BaseModel):
    data_sets: list[NamedPublic]
    activations: list[NamedPublic] = Field(description="The hidden layers' activations (ids of `model.activation`).")
    inits: list[NamedPublic] = Field(description="The inits (ids of `model.init`).")
    planes: list[NamedPublic]
    limits: dict[str, int | float] = Field(description="The network limits, as GET /api/v1/limits serves them.")
    example: dict[str, Any] = Field(description="A ready POST /api/v1/networks body (the course's assignment).")
