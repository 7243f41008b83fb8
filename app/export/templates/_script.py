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
loss_on: Any  # loss_on(p, idx): the cost on the samples idx (None: all)
start_run: Any  # a run's start: (p, batch_size, per_epoch) on a data set, (noise_std) on a formula (the loops)
converged: Any  # converged(opt, p): the full-data gradient below TOLERANCE (torch_dataset_loop)
loss_at: Any  # loss_at(opt, p, out): the loss at p recorded, and whether it converged (torch_loop)

# the PyTorch script
DampedNewton: Any  # the damped Newton optimizer (written when used)
CLOSURE_OPTIMIZERS: Any  # the optimizers stepped with a closure (a tuple of classes)
step_scheduler: Any  # steps a scheduler after an update (torch_schedulers)
record_average: Any  # records the averaged iterate (torch_schedulers)
clip_grad: Any  # clips the gradient by value, then by norm (torch_schedulers)
run: Any  # the script's run (a loop template)
_run_each_update: Any  # the loop of one update per step, before a closure loop redefines run
record_eval: Any  # records one call of a closure update (torch_closure)
undo_update: Any  # undoes a closure update that left the finite region (torch_closure)
take_step: Any  # one closure update, False where torch's step raised ZeroDivisionError (torch_closure)
finish: Any  # a closure run's record with its status and evaluations (torch_closure)

# the optax script
make: Any  # the optimizer with its injected rate (optax_common)
set_rates: Any  # sets the injected rate and momentum (optax_common)
clipping: Any  # the gradient clipping (optax_clip), or None
