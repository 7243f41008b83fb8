"""The planes a network's paths are drawn on, and how faithful each picture is.

A network has P parameters; a picture has two axes. Every run is projected onto ONE shared plane,
``origin + a·d₁ + b·d₂`` with d₁, d₂ orthonormal P-vectors, and the train loss is evaluated on an
n × n grid of it: ``loss[j][i]`` = train loss at ``origin + a[i]·d₁ + b[j]·d₂``. A recorded point
θ has the coordinates a = (θ − origin)·d₁, b = (θ − origin)·d₂ and lies ‖θ − origin − a·d₁ − b·d₂‖
away from the plane: the contour under a path is that path's loss only where that distance is 0.

Each plane is one function below, declared with `plane`: its id is the function's name, its
docstring begins with its catalogue texts (``Name: formula``, then the description; the Chinese
in app/i18n/network_planes.json). The reference tools differ:

- The origin. Li et al.'s ``projection.py`` centres the PCA on the final weights and projects with
  ``dot(w − w_final, d)/‖d‖``; sklearn's PCA (which it calls) centres the points on their mean.
  The PCA planes here pass through the points' (weighted) mean, the affine plane closest to them:
  measured on the notes' case (2→16→16→1 tanh, moons, 1,000 samples, GD / momentum / Adam, 1,500
  full-batch steps) the median |plane − true| loss along the paths is 0.006–0.019 there, against
  0.15–0.35 for the same directions moved to pass through the init (the start then reads true,
  every later point worse). The random and line planes pass through the shared init (every run
  starts there, and the line is drawn from it); the Hessian plane through its run's final
  parameters, where the Hessian is taken. `PlaneSpec.origin` says which.
- Li et al.'s random directions keep their filter-normalized lengths (axes in "filter units"); here
  they are then orthonormalized so that a and b are distances in parameter space, like every other
  plane's, and the projection formulas above hold exactly.

Fidelity, per run (`landscape`): ``captured`` = ‖proj(final − init)‖ / ‖final − init‖, the share of
the run's displacement the plane shows (1.0 by convention for a run that did not move: there is
nothing to show, and the run is flagged ``moved: false``); ``loss`` (the true train loss at the
recorded points), ``plane_loss`` (the train loss at their projections onto the plane),
``off_plane``; and plain warnings when the path is mostly off the plane (it shows less than half
the displacement, or strays farther than half the path's extent) or when the contour misreads its
loss (the median |plane − true| loss above a tenth of the start's loss). For the PCA planes the
two components' variance ratios come with the ratio a random walk of the same length and dimension
gives (`random_walk_share`): a random walk's PCA already puts ~76 % of its variance in PC1 + PC2
(Antognini & Sohl-Dickstein 2018), so "explained" is read against that.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np

from .. import deadline
from ..params import docstring, entry_texts
from .model import Network

if TYPE_CHECKING:
    from .train import NetworkProblem, Training

Progress = Callable[[float], None]

CHUNK_BYTES = 8 << 20  # the parameter vectors built at once for the grid (and the Hessian's gradients)
PROGRESS_STEPS = 20  # the grid is evaluated in at least this many chunks (each a progress report)
MARGIN = 0.1  # the grid reaches this share of the drawn points' span beyond them on each side
MIN_ASPECT = 0.25  # an axis spans at least this share of the other's (a flat path still gets a picture)
FULL_HESSIAN = 700  # P up to which the Hessian plane takes the whole matrix (2P gradients); above, Lanczos
LANCZOS_STEPS = 150  # the most Hessian-vector products of Lanczos (2 gradients each)
LANCZOS_TOL = 1e-8  # Lanczos stops when the top-2 Ritz pairs' residuals are below this share of |λ₁|
FD_STEP = 2.0**-17  # the Hessian's central-difference step (≈ ε^(1/3) of float64): error ~1e-10
WALKS = 8  # seeded random walks averaged for the baseline (its mean moves < 0.01 between seeds)
WALK_SEED = 20180  # fixed: the baseline depends on (points, dimension) only
WARN_CAPTURED = 0.5  # a path is "mostly off the plane" when the plane shows less than half its displacement,
WARN_OFF = 0.5  # or it strays from the plane by more than half its own extent
WARN_GAP = 0.1  # the contour misreads a path when its median |plane − true| loss exceeds this share of its start's loss

# cost model (seconds of one core, measured with `net.losses` on 1,000 samples, 400 vectors, on the
# project's 2-core machine under load, rounded up ~1.5-2x): a sample at one parameter vector costs
# 370 ns (2→16→16→1 tanh), 580 ns (2→5→2→1 relu), 420 ns (2→64→32→1 relu), 670 ns (2→48→48→1 tanh)
LOSS_SAMPLE = 6e-7  # s: one sample at one parameter vector, whatever its size (the passes' fixed work)
LOSS_NEURON = 5e-9  # s: one neuron of one sample (its activation, bias, loss)
LOSS_MAC = 2e-10  # s: one multiply-add of one sample (batched matmul)
GRAD_FACTOR = 3.0  # a gradient costs this many loss evaluations (measured 2.0-2.5)
SVD_UNIT = 1e-9  # s per n·p·min(n, p) of an SVD or a Gram product (measured 4-5.5e-10)
EIGH_UNIT = 4e-10  # s per P³ of the Hessian's eigen-decomposition (measured 2e-10 at P = 2,545)
FIXED = 5e-3  # s: the plane's vectors, its checks and the answer's lists


@dataclass(frozen=True)
class PlaneConfig:
    kind: str = "pca"
    n: int = 41  # grid points per axis
    run: int = 0  # the run of the line and Hessian planes
    seed: int = 0  # the random plane's directions (and any fallback direction)


@dataclass
class Plane:
    kind: str
    origin: np.ndarray  # (P,)
    directions: np.ndarray  # (2, P), orthonormal
    explained: list[float] | None = None  # PCA planes: the two components' variance ratios
    random_walk: float | None = None  # PCA planes: PC1 + PC2 share of a random walk of the same size
    extra: dict[str, Any] = field(default_factory=dict)  # the plane's own facts (eigenvalues, its run...)


@dataclass(frozen=True)
class PlaneSpec:
    id: str
    name: str
    formula: str
    description: str
    reference: str
    origin: str  # "mean", "init" or "final": where the plane passes
    uses_run: bool  # built from one run (`PlaneConfig.run`)
    fn: Callable[[PlaneConfig, Training, Progress | None], Plane]

    def public(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "formula": self.formula,
            "description": self.description,
            "reference": self.reference,
            "origin": self.origin,
            "uses_run": self.uses_run,
        }


PLANES: dict[str, PlaneSpec] = {}  # in catalogue order: the order of the declarations below

_F = TypeVar("_F", bound=Callable[..., Plane])


def plane(reference: str, origin: str = "init", uses_run: bool = False) -> Callable[[_F], _F]:
    """Declares the function below as a plane: its id is its name, its texts begin its docstring."""

    def register(fn: _F) -> _F:
        texts = entry_texts(docstring(fn))[0]
        PLANES[fn.__name__] = PlaneSpec(
            fn.__name__, **texts, reference=reference, origin=origin, uses_run=uses_run, fn=fn
        )
        return fn

    return register


# --- vectors ---------------------------------------------------------------------------------------


def _unit(v: np.ndarray) -> np.ndarray | None:
    n = float(np.linalg.norm(v))
    return v / n if n > 0 and math.isfinite(n) else None


def _orthonormal(first: np.ndarray | None, second: np.ndarray | None, size: int, seed: int) -> np.ndarray:
    """(2, P): first normalized, second with its part along first removed (twice: Gram–Schmidt's
    round-off), normalized. A missing or degenerate vector is replaced by a seeded Gaussian one."""
    rng = np.random.default_rng([seed, 7919])
    out: list[np.ndarray] = []
    for v in (first, second):
        for attempt in range(4):
            w = rng.standard_normal(size) if v is None or attempt else np.array(v, dtype=float)
            for d in out:
                w = w - (w @ d) * d
                w = w - (w @ d) * d
            u = _unit(w)
            if u is not None and (v is None or attempt or float(np.linalg.norm(w)) > 1e-9 * float(np.linalg.norm(v))):
                out.append(u)
                break
        else:  # pragma: no cover - four Gaussian draws all parallel to d₁
            raise ArithmeticError("no direction orthogonal to d₁ found")
    return np.stack(out)


def _orient(d: np.ndarray, toward: np.ndarray) -> np.ndarray:
    """d or −d: the one pointing along ``toward`` (ties: the largest component positive), so that
    the same inputs always give the same picture (an SVD's or eigen-solver's sign is arbitrary)."""
    s = float(d @ toward)
    if s == 0.0 or not math.isfinite(s):
        s = float(d[int(np.argmax(np.abs(d)))])
    return -d if s < 0 else d


def _finite_rows(thetas: np.ndarray) -> np.ndarray:
    return thetas[np.all(np.isfinite(thetas), axis=1)]


def _run(cfg: PlaneConfig, training: Training) -> int:
    runs = len(training.results)
    if not 0 <= cfg.run < runs:
        raise ValueError(f"plane run must be between 0 and {runs - 1} (the runs' indices), got {cfg.run}")
    return cfg.run


def _displacements(training: Training) -> np.ndarray:
    """(R, P): each run's final − init, non-finite ones (a diverged run) as 0."""
    disp = np.stack([r.final for r in training.results]) - training.init
    return np.where(np.all(np.isfinite(disp), axis=1, keepdims=True), disp, 0.0)


# --- the planes --------------------------------------------------------------------------------------


def _pca(
    training: Training, seed: int, equal: bool, about: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, list[float]]:
    """(the centre, the top-2 principal axes, their variance ratios) of every run's finite recorded
    parameters about their weighted mean (or about the point ``about``: the uncentred second
    moment, the plane through that point closest to them), the points weighted: each by 1/N
    (sklearn's PCA of the stacked points), or (``equal``) the points of run r each by
    1/(k_r·v_r), v_r their mean squared distance from their own mean (or from ``about``; a run
    that did not move: 1), so that every path brings the same variance."""
    paths = [_finite_rows(r.thetas) for r in training.results]
    paths = [p for p in paths if len(p)]
    x = np.concatenate(paths) if paths else training.init[None, :]
    if equal:
        own = [float(np.mean(np.sum((p - (p.mean(axis=0) if about is None else about)) ** 2, axis=1))) for p in paths]
        w = np.concatenate([np.full(len(p), 1 / (len(p) * (v or 1.0))) for p, v in zip(paths, own, strict=True)])
        w /= w.sum()
    else:
        w = np.full(len(x), 1.0 / len(x))
    centre = w @ x if about is None else about
    _, s, vt = np.linalg.svd((x - centre) * np.sqrt(w)[:, None], full_matrices=False)
    var = s * s
    total = float(var.sum())
    explained = [float(var[k] / total) if total > 0 and k < len(var) else 0.0 for k in range(2)]
    big = s[0] if len(s) else 0.0
    first = vt[0] if len(s) > 0 and s[0] > 0 else None
    second = vt[1] if len(s) > 1 and s[1] > 1e-12 * big else None
    dirs = _orthonormal(first, second, training.net.size, seed)
    toward = _displacements(training).sum(axis=0)
    return np.array(centre, dtype=float), np.stack([_orient(d, toward) for d in dirs]), explained


def _walk_baseline(training: Training, centred: bool = True) -> float:
    points = max(int(np.sum(np.all(np.isfinite(r.thetas), axis=1))) for r in training.results)
    return random_walk_share(points, training.net.size, centred)


@plane("Li et al. 2018, projection.py; sklearn PCA(2)", origin="mean")
def pca(cfg: PlaneConfig, training: Training, progress: Progress | None = None) -> Plane:
    """Joint PCA: d₁, d₂ = the top principal axes of all runs' recorded parameters

    The two directions along which every run's recorded parameters vary most, all runs' points
    together: a long path weighs more than a short one. The plane passes through the points' mean
    (as sklearn's PCA): of all planes it lies closest to the recorded points, but the shared start
    is usually off it, so its plane loss is not its true loss (see the fidelity chart)."""
    mean, dirs, explained = _pca(training, cfg.seed, equal=False)
    return Plane("pca", mean, dirs, explained, _walk_baseline(training))


@plane("Li et al. 2018, projection.py, with each path weighted equally", origin="mean")
def pca_equal(cfg: PlaneConfig, training: Training, progress: Progress | None = None) -> Plane:
    """PCA, paths equal: d₁, d₂ = the top principal axes, each path weighing the same

    Like the joint PCA, but each run's points are weighted so that every path brings the same
    variance: a run that travels far does not take the plane for itself, a short one is not
    left off it. The plane passes through the points' weighted mean."""
    mean, dirs, explained = _pca(training, cfg.seed, equal=True)
    return Plane("pca_equal", mean, dirs, explained, _walk_baseline(training))


@plane("Goodfellow et al. 2015's start, with Li et al.'s PCA (uncentred about the init), paths equal")
def pca_init(cfg: PlaneConfig, training: Training, progress: Progress | None = None) -> Plane:
    """PCA through the start: d₁, d₂ = the top principal axes of the paths' moves from the init

    The plane through the shared initial parameters that lies closest to every path, each path
    weighing the same (the principal axes of θ − θ₀, not centred on the points' mean): every path
    starts on it and the start's plane loss is its true loss, at the price of lying farther from the
    rest of the paths than the PCA planes. Its explained variance is read against a random walk's
    of the same kind (also about its start: ≈ 90 % in two components for long walks)."""
    start, dirs, explained = _pca(training, cfg.seed, equal=True, about=training.init)
    return Plane("pca_init", start, dirs, explained, _walk_baseline(training, centred=False))


def filter_normalized(v: np.ndarray, reference: np.ndarray, layout: Sequence[Any]) -> np.ndarray:
    """Li et al.'s ``normalize_direction(d, w, 'filter')`` with ``ignore='biasbn'``: each output
    neuron's row of incoming weights rescaled to the norm of that row of ``reference``
    (``d·‖w‖/(‖d‖ + 1e-10)``), biases (1-D tensors) zeroed."""
    out = np.zeros_like(v)
    at = 0
    for layer in layout:
        size = layer.size
        if len(layer.shape) == 2:
            d = v[at : at + size].reshape(layer.shape)
            w = reference[at : at + size].reshape(layer.shape)
            scale = np.linalg.norm(w, axis=1) / (np.linalg.norm(d, axis=1) + 1e-10)
            out[at : at + size] = (d * scale[:, None]).ravel()
        at += size
    return out


@plane("Li et al. 2018, net_plotter.py normalize_direction(d, w, 'filter'), ignore='biasbn'")
def random(cfg: PlaneConfig, training: Training, progress: Progress | None = None) -> Plane:
    """Random, filter-normalized: d₁, d₂ = Gaussian directions scaled filter by filter

    Two seeded Gaussian directions, each neuron's incoming weights rescaled to the norm of that
    neuron's initial weights, biases left out (as Li et al.), then made orthonormal: d₁ keeps its
    shape across neurons with one overall scale, d₂ loses its small part along d₁. The plane passes
    through the shared initial parameters; the paths' moves mostly leave it."""
    rng = np.random.default_rng(cfg.seed)
    net = training.net
    v = [filter_normalized(rng.standard_normal(net.size), training.init, net.layout) for _ in range(2)]
    return Plane("random", training.init.copy(), _orthonormal(v[0], v[1], net.size, cfg.seed))


@plane("Goodfellow, Vinyals & Saxe 2015", uses_run=True)
def line(cfg: PlaneConfig, training: Training, progress: Progress | None = None) -> Plane:
    """Init → final line: d₁ = the run's final − init, d₂ = its path's main residual

    d₁ points from the shared initial parameters to one run's final parameters; d₂ is the main
    direction (the top singular vector) of that run's recorded points' residuals from this line.
    The plane holds all of that run's displacement."""
    k = _run(cfg, training)
    result = training.results[k]
    disp = result.final - training.init
    d1 = _unit(disp) if np.all(np.isfinite(disp)) else None
    if d1 is None:
        raise ValueError(f"run {k} ({result.label}) did not move from the initial parameters (or diverged): no line")
    rel = _finite_rows(result.thetas) - training.init
    resid = rel - np.outer(rel @ d1, d1)
    _, s, vt = np.linalg.svd(resid, full_matrices=False)
    second = vt[0] if len(s) and s[0] > 1e-9 * float(np.linalg.norm(disp)) else None
    dirs = _orthonormal(d1, second, training.net.size, cfg.seed)
    return Plane(
        "line", training.init.copy(), np.stack([dirs[0], _orient(dirs[1], resid.sum(axis=0))]), extra={"run": k}
    )


def hessian_matrix(training: Training, theta: np.ndarray, progress: Progress | None = None) -> np.ndarray:
    """The train loss's exact Hessian at theta (P × P, symmetric): central differences of the
    analytic gradient, column k = (g(θ + h·e_k) − g(θ − h·e_k)) / (the step really taken), with
    h = 2⁻¹⁷; the gradients batched (``net.loss_grads``), in memory-bounded chunks. The error is
    ~1e-10 (checked against torch.autograd.functional.hessian); at a ReLU kink the Hessian does not
    exist and a column straddling it reads the jump."""
    net, x, y = training.net, training.data.x_train, training.data.y_train
    p = net.size
    chunk = max(1, CHUNK_BYTES // (16 * p))
    cols = np.empty((p, p))
    for start in range(0, p, chunk):
        deadline.check()
        ks = np.arange(start, min(start + chunk, p))
        up = np.repeat(theta[None, :], len(ks), axis=0)
        down = up.copy()
        up[np.arange(len(ks)), ks] += FD_STEP
        down[np.arange(len(ks)), ks] -= FD_STEP
        taken = up[np.arange(len(ks)), ks] - down[np.arange(len(ks)), ks]
        _, g = net.loss_grads(np.concatenate([up, down]), x, y)
        cols[ks] = (g[: len(ks)] - g[len(ks) :]) / taken[:, None]
        if progress is not None:
            progress(float(ks[-1] + 1) / p)
    return 0.5 * (cols + cols.T)


def hessian_products(training: Training, theta: np.ndarray, vectors: np.ndarray) -> np.ndarray:
    """H·v for each unit row v of vectors (K, P), H the train loss's Hessian at theta: central
    differences of the analytic gradient along v, (g(θ + h·v) − g(θ − h·v)) / 2h (h = 2⁻¹⁷), the
    2K gradients in one batch. Error ~1e-10, as the columns of `hessian_matrix`."""
    net, x, y = training.net, training.data.x_train, training.data.y_train
    _, g = net.loss_grads(np.concatenate([theta + FD_STEP * vectors, theta - FD_STEP * vectors]), x, y)
    out: np.ndarray = (g[: len(vectors)] - g[len(vectors) :]) / (2 * FD_STEP)
    return out


def top_eigenpairs(
    training: Training, theta: np.ndarray, seed: int, progress: Progress | None = None
) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
    """The Hessian's two largest eigenvalues, their unit eigenvectors (2, P) and how they were found.

    Up to P = `FULL_HESSIAN` the whole matrix (`hessian_matrix`, 2P gradients) and ``numpy.linalg.eigh``.
    Above, Lanczos on its products (`hessian_products`, 2 gradients each) with full
    reorthogonalization from a seeded start, until both Ritz pairs' residuals ‖H·v − λ·v‖ (read
    from the tridiagonal matrix) are below `LANCZOS_TOL`·|λ₁|, or `LANCZOS_STEPS` products: the
    answer says the method, the products and the larger relative residual."""
    p = training.net.size
    if p <= FULL_HESSIAN:
        values, vectors = np.linalg.eigh(hessian_matrix(training, theta, progress))
        info = {"method": "full", "products": p, "residual": 0.0, "lowest_eigenvalue": float(values[0])}
        return values[[-1, -2]], vectors[:, [-1, -2]].T, info
    steps = min(p, LANCZOS_STEPS)
    basis = np.empty((steps + 1, p))
    q = np.random.default_rng([seed, 104729]).standard_normal(p)
    basis[0] = q / np.linalg.norm(q)
    alphas: list[float] = []
    betas: list[float] = []
    residual = math.inf
    ritz = np.zeros(2)
    s = np.zeros((1, 2))
    for j in range(steps):
        deadline.check()
        w = hessian_products(training, theta, basis[j][None, :])[0]
        alphas.append(float(w @ basis[j]))
        for _ in range(2):  # full reorthogonalization, twice: the Ritz vectors stay orthonormal
            w -= basis[: j + 1].T @ (basis[: j + 1] @ w)
        beta = float(np.linalg.norm(w))
        t = np.diag(alphas) + np.diag(betas, 1) + np.diag(betas, -1)
        theta_t, s_t = np.linalg.eigh(t)
        ritz, s = theta_t[[-1, -2]] if j else np.array([theta_t[-1], 0.0]), s_t[:, [-1, -2]] if j else s_t
        residual = float(np.max(np.abs(beta * s[-1]))) / max(abs(float(ritz[0])), 1e-300)
        if progress is not None:
            progress((j + 1) / steps)
        if j and (residual <= LANCZOS_TOL or beta <= 1e-12 * abs(float(ritz[0]))):
            break
        betas.append(beta)
        basis[j + 1] = w / beta
    m = len(alphas)
    vectors = s.T @ basis[:m]
    info = {"method": "lanczos", "products": m, "residual": residual}
    return ritz, vectors, info


@plane("the exact Hessian's top-2 eigenvectors (e.g. Yao et al. 2020, PyHessian)", origin="final", uses_run=True)
def hessian(cfg: PlaneConfig, training: Training, progress: Progress | None = None) -> Plane:
    """Hessian: d₁, d₂ = the top-2 eigenvectors of the train loss's Hessian at the run's end

    The two directions in which the train loss curves up most steeply at one run's final
    parameters (the largest eigenvalues of its exact Hessian). The plane passes through those
    final parameters: the picture is the local shape of the minimum the run found, and the paths
    mostly arrive from off the plane."""
    k = _run(cfg, training)
    result = training.results[k]
    if not np.all(np.isfinite(result.final)):
        raise ValueError(f"run {k} ({result.label}) diverged: its final parameters have no Hessian")
    values, vectors, info = top_eigenpairs(training, result.final, cfg.seed, progress)
    toward = result.final - training.init  # the init at negative a, b: the run arrives from there
    dirs = _orthonormal(vectors[0], vectors[1], training.net.size, cfg.seed)
    extra = {"run": k, "eigenvalues": [float(v) for v in values], "hessian": info}
    return Plane("hessian", result.final.copy(), np.stack([_orient(d, toward) for d in dirs]), extra=extra)


# --- the baseline ----------------------------------------------------------------------------------


@functools.lru_cache(maxsize=64)
def random_walk_share(points: int, dimension: int, centred: bool = True) -> float:
    """The mean PC1 + PC2 variance share of `WALKS` seeded Gaussian random walks of ``points``
    points (points − 1 steps from a start) in ``dimension`` dimensions, centred on their mean as
    sklearn's PCA. Exact in law for any dimension at O(points²·min(points, dimension)): when
    dimension ≥ steps the steps' Gram matrix is Wishart, drawn by Bartlett's decomposition L·Lᵀ (L
    lower-triangular, L_ii ~ χ(dimension − i), L_ij ~ N(0, 1) below), and the walk is the running
    sum of L's rows. For long
    walks in many dimensions it tends to 6/π²·(1 + 1/4) ≈ 0.76 (Antognini & Sohl-Dickstein 2018);
    a walk of 2 points, or one in 1 or 2 dimensions, gives 1. Not ``centred`` (the second moment
    about the start, `pca_init`'s): 8/π²·(1 + 1/9) ≈ 0.90."""
    steps = points - 1
    if steps < 2 or dimension <= 2:
        return 1.0
    rng = np.random.default_rng(WALK_SEED)
    shares = []
    for _ in range(WALKS):
        if dimension < steps:
            s = rng.standard_normal((steps, dimension))
        else:
            s = np.tril(rng.standard_normal((steps, steps)), -1)
            s[np.diag_indices(steps)] = np.sqrt(rng.chisquare(dimension - np.arange(steps)))
        walk = np.vstack([np.zeros(s.shape[1]), np.cumsum(s, axis=0)])
        if centred:
            walk -= walk.mean(axis=0)
        shares.append(_top_two_share(walk.T @ walk))
    return float(np.mean(shares))


def _top_two_share(gram: np.ndarray) -> float:
    """(λ₁ + λ₂) / trace of a symmetric positive semi-definite matrix, its top two eigenvalues by
    subspace iteration from a fixed start (6 vectors, Rayleigh–Ritz each round: a walk's spectrum
    falls as 1/k², so λ₇/λ₂ ≈ 0.08 and a dozen rounds reach round-off) instead of a full
    eigen-decomposition (8× faster for a walk of 1,000 points)."""
    total = float(np.trace(gram))
    m = gram.shape[0]
    if m <= 12:
        values = np.linalg.eigvalsh(gram)
        return float((values[-1] + values[-2]) / total)
    q = np.linalg.qr(np.cos(np.outer(np.arange(m) + 0.5, np.arange(6) + 0.5) * (math.pi / m)))[0]
    top = 0.0
    for _ in range(200):
        q = np.linalg.qr(gram @ q)[0]
        values = np.linalg.eigvalsh(q.T @ gram @ q)
        now = float(values[-1] + values[-2])
        if abs(now - top) <= 1e-13 * now:
            break
        top = now
    return now / total


# --- projections and the grid ------------------------------------------------------------------------


def make_plane(cfg: PlaneConfig, training: Training, progress: Progress | None = None) -> Plane:
    """The plane ``cfg.kind`` of these runs (`PLANES`); `ValueError` naming a bad kind or run."""
    spec = PLANES.get(cfg.kind)
    if spec is None:
        raise ValueError(f"plane kind must be one of {', '.join(map(repr, PLANES))}, got {cfg.kind!r}")
    if not training.results:
        raise ValueError("a plane needs at least one run")
    return spec.fn(cfg, training, progress)


def coordinates(p: Plane, thetas: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(a, b, off-plane distance) of each row of thetas (K, P): a = (θ − origin)·d₁, b = (θ − origin)·d₂,
    ‖θ − origin − a·d₁ − b·d₂‖ (computed from the residual itself, not as a difference of squares)."""
    rel = np.atleast_2d(thetas) - p.origin
    ab = rel @ p.directions.T
    resid = rel - ab @ p.directions
    return ab[:, 0].copy(), ab[:, 1].copy(), np.sqrt(np.einsum("ij,ij->i", resid, resid))


def on_plane(p: Plane, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(K, P): origin + a·d₁ + b·d₂, in that order of operations (the grid's points and the
    projections of the paths' points)."""
    return p.origin + np.outer(a, p.directions[0]) + np.outer(b, p.directions[1])


def grid_axes(p: Plane, a: np.ndarray, b: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """n values per axis covering the origin and every finite drawn point (a, b) with a `MARGIN`
    each side; an axis spans at least `MIN_ASPECT` of the other (1 if nothing moved)."""
    ok = np.isfinite(a) & np.isfinite(b)
    lo = np.array([min(0.0, float(a[ok].min(initial=0.0))), min(0.0, float(b[ok].min(initial=0.0)))])
    hi = np.array([max(0.0, float(a[ok].max(initial=0.0))), max(0.0, float(b[ok].max(initial=0.0)))])
    span = hi - lo
    want = np.maximum(span, MIN_ASPECT * span[::-1])
    want = np.where(want > 0, want, 1.0)
    centre = 0.5 * (lo + hi)
    half = 0.5 * want * (1 + 2 * MARGIN)
    return np.linspace(centre[0] - half[0], centre[0] + half[0], n), np.linspace(
        centre[1] - half[1], centre[1] + half[1], n
    )


def grid_loss(
    p: Plane, training: Training, a: np.ndarray, b: np.ndarray, progress: Progress | None = None
) -> np.ndarray:
    """(len(b), len(a)): ``loss[j][i]`` = train loss at origin + a[i]·d₁ + b[j]·d₂, by ``net.losses``
    on chunks of at most `CHUNK_BYTES` of parameter vectors, checking the deadline between chunks."""
    net, x, y = training.net, training.data.x_train, training.data.y_train
    aa, bb = np.meshgrid(a, b)
    aa, bb = aa.ravel(), bb.ravel()
    out = np.empty(len(aa))
    chunk = max(1, min(CHUNK_BYTES // (8 * net.size), -(-len(aa) // PROGRESS_STEPS)))
    for start in range(0, len(aa), chunk):
        deadline.check()
        stop = min(start + chunk, len(aa))
        out[start:stop] = net.losses(on_plane(p, aa[start:stop], bb[start:stop]), x, y)
        if progress is not None:
            progress(stop / len(aa))
    return out.reshape(len(b), len(a))


def _floats(v: np.ndarray) -> list[float | None]:
    return [float(t) if math.isfinite(t) else None for t in np.asarray(v, dtype=float).tolist()]


def _percent(v: float) -> str:
    return f"{100 * v:.0f}"


def _fidelity(p: Plane, training: Training) -> list[dict[str, Any]]:
    """Per run: its path on the plane, its true and plane losses, and its fidelity figures."""
    net, x, y = training.net, training.data.x_train, training.data.y_train
    thetas = np.concatenate([r.thetas for r in training.results])
    a, b, off = coordinates(p, thetas)
    ok = np.all(np.isfinite(thetas), axis=1)  # a diverged run's last points: no loss, no projection
    loss, plane_loss = np.full(len(thetas), np.nan), np.full(len(thetas), np.nan)
    loss[ok] = net.losses(thetas[ok], x, y)
    plane_loss[ok] = net.losses(on_plane(p, a[ok], b[ok]), x, y)
    paths = []
    at = 0
    for r, disp in zip(training.results, _displacements(training), strict=True):
        k = slice(at, at + len(r.thetas))
        at += len(r.thetas)
        norm = float(np.linalg.norm(disp))
        moved = norm > 0
        captured = min(1.0, float(np.linalg.norm(p.directions @ disp)) / norm) if moved else 1.0
        extent = float(np.max(np.linalg.norm(_finite_rows(r.thetas) - r.thetas[0], axis=1), initial=0.0))
        offs = off[k][np.isfinite(off[k])]
        most_off = float(offs.max(initial=0.0))
        gaps = np.abs(plane_loss[k] - loss[k])
        gaps = gaps[np.isfinite(gaps)]
        median_gap = float(np.median(gaps)) if len(gaps) else 0.0
        start = float(loss[k][0]) if math.isfinite(loss[k][0]) else 0.0
        off_plane = moved and (captured < WARN_CAPTURED or most_off > WARN_OFF * extent)
        warnings: list[dict[str, Any]] = []
        if off_plane:
            values = {"label": r.label, "captured": _percent(captured), "off_plane": f"{most_off:.3g}"}
            warnings.append(
                {"key": "network_planes.warning.off_plane", "values": {**values, "extent": f"{extent:.3g}"}}
            )
        if median_gap > WARN_GAP * start:
            values = {"label": r.label, "median": f"{median_gap:.3g}", "max": f"{float(gaps.max()):.3g}"}
            warnings.append({"key": "network_planes.warning.loss_gap", "values": values})
        if not moved:
            warnings.append({"key": "network_planes.warning.still", "values": {"label": r.label}})
        paths.append(
            {
                "step": [int(s) for s in r.steps],
                "a": _floats(a[k]),
                "b": _floats(b[k]),
                "loss": _floats(loss[k]),
                "plane_loss": _floats(plane_loss[k]),
                "off_plane": _floats(off[k]),
                "captured": captured,
                "moved": moved,
                "displacement": norm,
                "max_off_plane": most_off,
                "median_loss_gap": median_gap,
                "max_loss_gap": float(gaps.max(initial=0.0)),
                "mostly_off_plane": off_plane,
                "warnings": warnings,
            }
        )
    return paths


def landscape(cfg: PlaneConfig, training: Training, progress: Progress | None = None) -> dict[str, Any]:
    """The plane, the loss on its n × n grid and every run's path on it with its fidelity, as
    plain data (lists of floats, None where not finite). ``progress(fraction)`` after each chunk."""
    if cfg.n < 2:
        raise ValueError(f"plane n (grid points per axis) must be at least 2, got {cfg.n}")
    deadline.admit(estimate(cfg, training.problem))
    hess = cfg.kind == "hessian"
    done = 0.3 if hess else 0.0  # share of the work before the grid (the Hessian's gradients)

    def step(lo: float, hi: float) -> Progress | None:
        return None if progress is None else (lambda f: progress(lo + (hi - lo) * f))

    p = make_plane(cfg, training, step(0.0, done))
    paths = _fidelity(p, training)
    xs = [np.asarray([v if v is not None else np.nan for v in q[c]], dtype=float) for q in paths for c in "ab"]
    a, b = grid_axes(p, np.concatenate(xs[0::2]), np.concatenate(xs[1::2]), cfg.n)
    loss = grid_loss(p, training, a, b, step(done, 1.0))
    body: dict[str, Any] = {
        "kind": p.kind,
        "origin": _floats(p.origin),
        "directions": [_floats(d) for d in p.directions],
        "a": _floats(a),
        "b": _floats(b),
        "loss": [_floats(row) for row in loss],
        "explained": p.explained,
        "random_walk": p.random_walk,
        "origin_at": PLANES[p.kind].origin,
        **p.extra,
    }
    warnings = []
    if p.explained is not None and p.random_walk is not None and sum(p.explained) <= p.random_walk:
        values = {"explained": _percent(sum(p.explained)), "random_walk": _percent(p.random_walk)}
        warnings.append({"key": "network_planes.warning.random_walk", "values": values})
    body["warnings"] = warnings
    return {"plane": body, "paths": paths, "captured": [q["captured"] for q in paths]}


def estimate(cfg: PlaneConfig, problem: NetworkProblem) -> float:
    """Seconds for `landscape`, before any work: the n² grid and 2 evaluations per recorded point
    (true and plane loss), each a pass over the samples (`LOSS_SAMPLE`, `LOSS_NEURON`, `LOSS_MAC`),
    the PCA's SVD and its random-walk baseline, the line's residual SVD, and for the Hessian 2P
    gradients and a P × P eigen-decomposition."""
    net = Network(problem.model)
    macs = sum(layer.size for layer in net.layout if len(layer.shape) == 2)
    neurons = sum(net.widths[1:])
    per_eval = problem.data.samples * (LOSS_SAMPLE + LOSS_NEURON * neurons + LOSS_MAC * macs)
    k = problem.points
    points = k * len(problem.runs)
    p = net.size
    evals = float(cfg.n * cfg.n + 2 * points)
    work = 0.0
    if cfg.kind in ("pca", "pca_equal", "pca_init"):
        work += SVD_UNIT * (points * p * min(points, p) + WALKS * k * k * min(k, p))
    elif cfg.kind == "line":
        work += SVD_UNIT * k * p * min(k, p)
    elif cfg.kind == "hessian" and p <= FULL_HESSIAN:
        evals += 2 * p * GRAD_FACTOR
        work += EIGH_UNIT * p**3
    elif cfg.kind == "hessian":
        steps = min(p, LANCZOS_STEPS)
        evals += 2 * steps * GRAD_FACTOR
        work += SVD_UNIT * 4 * steps * steps * p
    return float(FIXED + evals * per_eval + work)
