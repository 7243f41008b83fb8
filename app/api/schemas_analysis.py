"""Schemas of the analysis endpoints (``…Request`` in, ``…Public`` out): the step inspector,
curvature, gradient noise, export as code, the formula check."""

from __future__ import annotations

from pydantic import BaseModel, Field, StrictInt

from .schemas import MAX_EXPRESSION, MAX_STEPS, Coord, StrictModel, SurfaceRequestBase, TrajectoryRequest

# --- POST /api/v1/inspect --------------------------------------------------------------------------


class InspectRequest(TrajectoryRequest):
    """A trajectories request, and which update of which run to inspect."""

    run: StrictInt = Field(0, ge=0, description="Index of the run in `runs`.")
    t: StrictInt = Field(0, ge=0, le=MAX_STEPS, description="The update (from point t to t + 1).")


class InspectLine(BaseModel):
    symbol: str
    formula: str
    x: float | None
    y: float | None


class InspectLink(BaseModel):
    index: int = Field(description="The link of `optimizers` whose rule made this update (0: the first).")
    optimizer: str = Field(description="Its optimizer id.")
    start: int = Field(description="The update at which it took over (0 for the first link).")
    step: int = Field(description="t − start: its own update count, from which its bias corrections restart.")


class InspectPublic(BaseModel):
    run: int
    t: int
    optimizer: str
    label: str
    theta: list[float]
    lr: float
    g: list[float]
    known: bool = Field(description="False: no inspector for this optimizer yet (g, lr and the step only).")
    note: str | None
    lines: list[InspectLine]
    stop: str | None = Field(
        None,
        description="L-BFGS: why its step(closure) ended: 'tolerance_grad' (max |gᵢ| ≤ tolerance_grad), "
        "'descent' (g·d > −tolerance_change: ended before its line search, Δθ = 0), 'tolerance_change', "
        "'max_iter' or 'max_eval'; null for the others.",
    )
    link: InspectLink | None = Field(
        None,
        description="A run with an optimizer chain (`optimizers`) only: the link active at update t, whose rule, "
        "params and local step (fresh state from `start` on) the lines use; `lr` stays the whole run's schedule. "
        "Absent for a run without chain.",
    )


# --- POST /api/v1/curvature ------------------------------------------------------------------------


class CurvatureRequest(SurfaceRequestBase):
    point: tuple[Coord, Coord] = Field(description="[x, y] where to take the Hessian.")


class HeavyBall(BaseModel):
    lr: float
    beta: float


class CurvaturePublic(BaseModel):
    point: list[float]
    hessian: list[list[float]]
    eigenvalues: list[float] = Field(description="λmin, λmax (ascending).")
    eigenvectors: list[list[float]] = Field(description="The unit eigen-directions of λmin and λmax.")
    gd_threshold: float | None = Field(
        description="2/λmax: GD diverges along the steepest direction above it (null if λmax ≤ 0)."
    )
    quadratic: bool = Field(description="The Hessian is the same everywhere (a quadratic surface).")
    condition_number: float | None = Field(description="κ = λmax/λmin on a positive-definite quadratic.")
    gd_optimal_lr: float | None = Field(description="2/(λmin + λmax) on a positive-definite quadratic.")
    heavy_ball: HeavyBall | None = Field(description="Polyak's optimal (α, β) on a positive-definite quadratic.")


# --- POST /api/v1/gradient_noise -------------------------------------------------------------------


class GradientNoiseRequest(SurfaceRequestBase):
    point: tuple[Coord, Coord] = Field(description="[w, b] where to take the per-sample gradients.")
    batch_size: StrictInt = Field(1, ge=1, description="B: the mini-batch covariance is Σ/B·(m − B)/(m − 1).")


class Axis(BaseModel):
    length: float
    direction: list[float]


class GradientNoisePublic(BaseModel):
    point: list[float]
    samples: int
    batch_size: int
    mean: list[float] = Field(description="The full-batch gradient (mean of the per-sample gradients).")
    covariance: list[list[float]] = Field(description="Σ: covariance of the per-sample gradients (1/m).")
    batch_covariance: list[list[float]] = Field(description="Covariance of a mini-batch gradient.")
    axes: list[Axis] = Field(description="The 1σ ellipse of the mini-batch gradient.")


# --- POST /api/v1/export ---------------------------------------------------------------------------


class ExportPublic(BaseModel):
    torch: str | None = Field(
        description="A self-contained PyTorch script (torch.optim, float64); null if not exportable."
    )
    optax: str | None = Field(description="The same as an optax script; null if not exportable.")
    curl: str = Field(description="The curl command that asks this API for the same trajectories.")
    notes: dict[str, str] = Field(description="Why a script is null, by script.")


# --- POST /api/v1/expressions/check ----------------------------------------------------------------


class ExpressionCheckRequest(StrictModel):
    expression: str = Field(max_length=10 * MAX_EXPRESSION, examples=["x^2 + 10*y^2"])


class ExpressionCheckPublic(StrictModel):
    valid: bool
    display: str | None = None
    detail: str | None = None
    position: int | None = None
    length: int | None = None
    operations: int | None = Field(None, description="Operations per evaluation of the value and the gradient.")
