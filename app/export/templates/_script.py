"""The names an exported script defines around the templates, as the templates see them.

For the linters and the type checker only: the exporter writes these names into each script (the
start, the surface's ``f`` or the data set, the optimizers' classes), and copies only the parts of
the templates after their marker lines, never this module.
"""

from __future__ import annotations

from typing import Any

START: list[float]  # the start point
STEPS: int  # the updates of a run
TOLERANCE: float  # stop when the true gradient's norm is below this (0: never)
SEED: int  # seeds the gradient noise or the mini-batch order
BOUND: float  # leaving |x|, |y| <= BOUND counts as diverged
RUNS: list[tuple[Any, ...]]  # (label, optimizer, schedule, ...) of every run

# a formula surface
f: Any  # f(x, y), the surface over tensors (torch) or arrays (JAX)
value_and_grad: Any  # the optax script's jitted value and gradient of f at p

# a dataset surface
X: Any  # the inputs, as tensors (torch) or arrays (JAX)
Y: Any  # the targets
M: int  # the number of samples
LOSS: Any  # LOSS(w, b, x, y): the cost of the model on the samples x, y
RESIDUAL: Any  # RESIDUAL(w, b, x, y): the cost's derivative in the model's output (NumPy)
BatchOrder: Any  # the engine's mini-batch order (app.engine.runner.BatchOrder, copied)
_data: Any  # the data set, as NumPy arrays (x, y)

# the PyTorch script
run: Any  # the script's run (a loop template)
closure_update: Any  # the update of L-BFGS and damped Newton (torch_closure_run, torch_dataset_closure_run)

# the optax script
make: Any  # the optimizer with its injected rate (optax_common)
set_rates: Any  # sets the injected rate and momentum (optax_common)
clipping: Any  # the gradient clipping (optax_clip), or None

# a network (app.export.network)
EPOCHS: int  # the epochs of every run
LAYOUT: list[tuple[str, tuple[int, ...]]]  # (name, shape) of each tensor, torch nn.Sequential order
INIT: list[float]  # the P initial parameters, shared by every run
ACTIVATION: str  # of the hidden layers
X_TRAIN: Any  # the train inputs (n, 2), a float64 tensor
Y_TRAIN: Any  # the train labels (n,), 0.0 / 1.0
X_TEST: Any
Y_TEST: Any
