"""A fair race on a network: each run's learning rate tuned on a log grid by the training itself.

Every rate of the grid is one run of the same `NetworkProblem` (the same data, init, epochs,
schedule, batch size, clipping and other hyperparameters: only ``lr`` differs), all trained
together by `app.engine.network.train` (one batched backward pass per update for the whole grid),
so the run at the best rate is exactly the run POST /api/v1/networks then trains. The grid, the
seeds and the edge are `app.lessons.tuning`'s, as on the surfaces.

- ``final_loss``: the train loss (mean binary cross-entropy over the whole train set) after the
  last epoch; a diverged run scores +inf.
- ``epochs_to_tolerance``: the first epoch whose train loss is at most ``tolerance`` (0: already
  at the init); a run that never reaches it ranks after every one that does, by its final loss
  (``epochs + 1 + loss``), as on the surfaces with steps.
- Noisy runs (mini-batches smaller than the train set) are run with several seeds of the batch
  order and judged by the median; a full-batch run is deterministic and runs with one seed.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

import numpy as np

from ..engine.network import NetworkProblem, train
from ..engine.network import estimate as training_estimate
from ..engine.problem import RunConfig
from ..engine.runner import DIVERGED
from .tuning import Scores, extension, tune_grid

OBJECTIVES = ("final_loss", "epochs_to_tolerance")
TUNE_POINTS = 2  # recorded parameters per run while tuning: the init and the end (no landscape)


def is_noisy(problem: NetworkProblem, run: RunConfig) -> bool:
    """Whether the run's result depends on the batch order's seed (mini-batches)."""
    n = problem.data.n_train
    return run.batch_size is not None and run.batch_size < n


def grid_problem(problem: NetworkProblem, run: RunConfig, lrs: np.ndarray, seed: int) -> NetworkProblem:
    """``run`` at every rate of ``lrs``, as the runs of one problem with the batch seed ``seed``."""
    runs = tuple(replace(run, params={**run.params, "lr": float(lr)}) for lr in lrs)
    return replace(problem, seed=seed, runs=runs, points=TUNE_POINTS)


def reached(train_loss: list[float | None], tolerance: float) -> int | None:
    """The first epoch whose train loss is at most ``tolerance``, or None."""
    return next((e for e, v in enumerate(train_loss) if v is not None and v <= tolerance), None)


def scores(problem: NetworkProblem, run: RunConfig, lrs: np.ndarray, objective: str, tolerance: float) -> Scores:
    """Every rate of ``lrs`` trained with the problem's seed and scored by ``objective``."""
    training = train(grid_problem(problem, run, lrs, problem.seed))
    loss: list[float | None] = []
    score: list[float] = []
    epochs: list[int | None] = []
    for r in training.results:
        last = r.train_loss[-1] if r.train_loss else None
        final = None if r.status == DIVERGED or last is None or not math.isfinite(last) else float(last)
        loss.append(final)
        e = None if r.status == DIVERGED else reached(r.train_loss, tolerance)
        epochs.append(e)
        if objective == "final_loss":
            score.append(final if final is not None else math.inf)
        else:
            score.append(float(e) if e is not None else problem.epochs + 1 + (final if final is not None else math.inf))
    res = training.results
    first: dict[str, list[Any]] = {
        "epochs_to_tolerance": epochs,
        "steps_taken": [r.steps_taken for r in res],
        "status": [r.status for r in res],
        "train_accuracy": [r.train_accuracy[-1] if r.status != DIVERGED else None for r in res],
        "test_loss": [r.test_loss[-1] if r.status != DIVERGED else None for r in res],
    }
    return Scores(score, loss, first)


def tune(
    problem: NetworkProblem,
    run: RunConfig,
    lrs: np.ndarray,
    objective: str,
    tolerance: float,
    seeds: list[int],
    extend: bool = False,
) -> dict[str, Any]:
    """One run's curve over the grid ``lrs``: its optimizer and label, then `tuning.tune_grid`'s."""

    def measure(rates: np.ndarray, seed: int) -> Scores:
        return scores(replace(problem, seed=seed), run, rates, objective, tolerance)

    return {"optimizer": run.optimizer.id, "label": run.label, **tune_grid(measure, lrs, seeds, extend, score=True)}


def estimate(problem: NetworkProblem, run: RunConfig, lrs: np.ndarray, seeds: int, extend: bool) -> float:
    """Seconds the tuning of ``run`` takes at most (the larger extension counted when ``extend``)."""
    one = training_estimate(grid_problem(problem, run, lrs, problem.seed))
    if extend and lrs.size >= 2:
        more = max(extension(lrs, "low").size, extension(lrs, "high").size)
        one += training_estimate(grid_problem(problem, run, lrs[:more], problem.seed)) if more else 0.0
    return seeds * one


def updates(problem: NetworkProblem, run: RunConfig, lrs: int, seeds: int, extend: bool) -> int:
    """The updates the tuning of ``run`` makes at most, summed over its rates and seeds."""
    n = problem.data.n_train
    per_run = problem.epochs * math.ceil(n / min(run.batch_size or n, n))
    rates = lrs + (max(1, lrs // 2) if extend else 0)
    return per_run * rates * seeds
