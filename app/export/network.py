"""Export a network request as a runnable PyTorch script that reproduces every run's per-epoch
train / test losses and accuracies, its mini-batch losses and its learning rates (float64, to ~1e-9).

What the script holds, and why each piece gives the engine's numbers:
- the data: the generated train and test arrays themselves, every float written as its ``repr``
  (exact), so the script needs neither the generators nor the same NumPy;
- the init: the P initial parameters, written the same way (shared by every run);
- the mini-batch order: the engine's own `app.engine.runner.BatchOrder`, copied by ``inspect``,
  seeded with the request's ``seed``;
- the model: an MLP whose tensors are torch's ``nn.Linear`` weights and biases, the loss torch's
  ``binary_cross_entropy_with_logits`` (``app/export/templates/torch_network.py``). An element-wise
  optimizer trains ONE flat float64 vector ``p`` whose views the tensors are, as the engine does
  (the studio's ``torch`` / ``TORCH`` of its module, over ``[p]``); the optimizers of weight
  matrices (``driver == "matrix"``) train one leaf tensor per layer (`MATRIX_TORCH`);
- the schedules: each schedule's torch ``Counterpart`` or a copy of the engine's function, warm-up
  as ``SequentialLR(LinearLR, …)``, exactly as the studio's scripts (`app.export`); stepped after
  every update or each epoch's last, ReduceLROnPlateau after each epoch with the train loss, as
  the network's training (`app.engine.network.train`);
- an optimizer chain (a run's ``optimizers``): at each milestone a NEW torch.optim optimizer on
  the same parameters (fresh state), its scheduler (the run's, with that link's lr as its base)
  stepped as often as the run's had been by then: the schedule runs on the whole run's clock, as
  in the engine; the mini-batch order goes on unchanged.

torch runs on one thread (its small tensors only contend on more). An optimizer without a torch
form is refused with its reason (`RunNotExportable`, the run's index), never guessed.

Measured: the contract's example (the course's assignment: GD, momentum, Adam, 2,000 epochs of
mini-batches of 64, 8,000 updates each) reproduces the API's per-epoch losses to 2.3e-15 relative
and the final parameters to 2.3e-14. Optimizer chains (tests/export/test_export_network.py: Adam →
SGD under one cosine, RMSprop → Nesterov → GD with a per-epoch step, Adam → Adam, Muon → Adafactor)
reproduce the final parameters to 1.2e-15 and the losses to 4.4e-16 relative. A chain that mixes an
optimizer of weight matrices with element-wise ones is refused (`RunNotExportable`). A chaotic run
(a rate so large that the loss jumps tenfold from epoch to epoch) amplifies float64 round-off past
1e-9 within a hundred updates, in any two implementations. Muon's Newton–Schulz iteration amplifies
round-off too (its quintic's slope at 0 is 3.4, five times over): on the course's network at lr 0.02
it agrees to 5e-16 for 200 epochs (800 updates), then the gap grows about tenfold every 5 epochs
(1e-13 at epoch 240, 8e-10 at 260, 2e-5 at 300); NumPy's and torch's matrix products round
differently, so no script closes it.
"""

from __future__ import annotations

import inspect
import json
import math
from typing import TYPE_CHECKING, Any

import numpy as np

from ..engine.network import Network, make_data
from ..engine.optimizers import OPTIMIZERS, NotExportable
from ..engine.optimizers.base import TorchFn
from ..engine.problem import legs
from ..engine.runner import BatchOrder
from . import (
    _ONE_CYCLE,
    TORCH_OPTIMIZERS,
    TORCH_REFUSED,
    _counterpart,
    _engine_copies,
    _engine_source,
    template,
    torch_scheduler,
)

if TYPE_CHECKING:
    from ..engine.network import NetworkProblem

_PER_LINE = 4  # samples (or parameters) per line of the script's data


class RunNotExportable(NotExportable):
    """A run the script cannot reproduce: ``index`` in the request's runs, the reason the message."""

    def __init__(self, index: int, reason: str) -> None:
        super().__init__(reason)
        self.index = index


def _floats(values: np.ndarray) -> list[str]:
    """A float array's values as exact Python literals (repr round-trips a float64)."""
    return [repr(float(v)) for v in np.asarray(values, dtype=np.float64).ravel()]


def _array_lines(name: str, values: np.ndarray, columns: int, note: str, tensor: bool = True) -> list[str]:
    """``NAME = torch.tensor([...])`` (or a plain list) with exact literals: rows of ``columns``
    values (a 2-D array of that many columns: one list per row), _PER_LINE rows per line."""
    flat = _floats(values)
    items = [f"[{', '.join(flat[i : i + columns])}]" for i in range(0, len(flat), columns)] if columns > 1 else flat
    body = [f"    {', '.join(items[i : i + _PER_LINE])}," for i in range(0, len(items), _PER_LINE)]
    head, tail = ("torch.tensor([", "])") if tensor else ("[", "]")
    if not items:
        return [f"{name} = {'torch.zeros((0, 2))' if columns > 1 else head + tail}  # {note}"]
    return [f"{name} = {head}  # {note}", *body, tail]


def _schedule_steps(problem: NetworkProblem, per_epoch: bool, updates: int) -> int:
    """How many times a run's scheduler steps: once per update, or per epoch."""
    return problem.epochs if per_epoch else problem.epochs * updates


# The optimizers that work on a network's weight matrices (``driver == "matrix"``; their modules refuse
# the studio's 2D scripts): their torch form over the list of the network's tensors ``params`` (one
# leaf tensor per layer), and the template that defines it, each declared by its module
# (``torch_network``): torch.optim's Adafactor; Muon on the 2-D weights with AdamW on the rest
# (torch's documentation), its Newton–Schulz in float64; LAMB, which torch.optim has not, as a small
# class (optax's rule).
MATRIX_TORCH: dict[str, TorchFn] = {oid: s.torch_network for oid, s in OPTIMIZERS.items() if s.torch_network}

_SECONDS_PER_NUMBER = 2e-6  # writing one float's repr into the script, with the data's generation (measured ~1e-6)


def script_work(problem: NetworkProblem) -> float:
    """The cost estimate (seconds) of writing the script: its numbers (the data and the init)."""
    return (3 * problem.data.samples + Network(problem.model).size) * _SECONDS_PER_NUMBER


def torch_network_script(problem: NetworkProblem) -> str:
    """The script's text (raises `NotExportable` with the reason when a run has no torch form)."""
    net = Network(problem.model)
    data = make_data(problem.data)
    init = net.init()
    m = int(data.x_train.shape[0])
    helpers: dict[str, str] = {}
    copies: list[Any] = []
    run_lines = []
    for i, run in enumerate(problem.runs):
        per_epoch = run.per == "epoch"
        updates = math.ceil(m / min(run.batch_size or m, m)) if m else 1
        steps = _schedule_steps(problem, per_epoch, updates)
        # the run's links (one for a run of one optimizer): each from its milestone on, a new optimizer
        # with the run's scheduler advanced to it (`app.engine.problem.legs`)
        parts = legs(run, problem.epochs * updates)
        matrix = run.optimizer.driver == "matrix"
        links = []
        for cfg, t0, _ in parts:
            spec = cfg.optimizer
            if not (spec.driver == "loop" or spec.driver == "matrix") or spec.hessian:
                raise RunNotExportable(
                    i,
                    f"no PyTorch script for {spec.id!r} on a network: it takes "
                    f"{'the exact Hessian' if spec.hessian else 'a closure'} (the network's training refuses it)",
                )
            if (spec.driver == "matrix") != matrix:
                raise RunNotExportable(
                    i,
                    f"no PyTorch script for an optimizer chain that mixes {run.optimizer.id!r} and {spec.id!r}: "
                    "the optimizers of weight matrices train one tensor per layer, the element-wise ones one flat "
                    "vector (the script keeps one of the two for a run)",
                )
            try:
                made = MATRIX_TORCH if matrix else TORCH_OPTIMIZERS
                ctor, helper = _counterpart("PyTorch", made, TORCH_REFUSED, spec.id)(cfg.params)
            except NotExportable as err:
                raise RunNotExportable(i, str(err)) from None
            if helper:
                helpers[helper] = template(helper)
            sched = torch_scheduler(cfg, steps)
            if f"{_ONE_CYCLE}Held(" in sched:
                helpers["one_cycle_held"] = template("one_cycle_held")
            copies += _engine_copies(cfg, "torch")
            links.append(f"({t0!r}, lambda {'params' if matrix else 'p'}: {ctor}, lambda opt: {sched})")
        clip = ", ".join(f"{v!r}" if v else "None" for v in run.clip)
        chain = links[0] if len(links) == 1 else ("\n      " + ",\n      ".join(links) + ",\n    ")
        run_lines.append(
            f"    ({run.label!r}, [{chain}],\n     {run.batch_size!r}, {per_epoch!r}, {clip}, {matrix!r}),"
        )
    if helpers:  # the script's own optimizer classes: the base of their step first
        helpers = {"base": template("torch_rule"), **helpers}
    layout = ", ".join(f"({layer.name!r}, {tuple(layer.shape)!r})" for layer in net.layout)
    d, mc = problem.data, problem.model
    lines = [
        '"""optiviz export: a small network trained with every run\'s torch.optim optimizer (float64).',
        "",
        f"Data {json.dumps(d.name)}: {d.samples} samples, noise {d.noise!r}, test fraction {d.test_fraction!r},",
        f"seed {d.seed}; model: hidden {list(mc.hidden)!r}, {mc.activation}, {mc.init} init from seed {mc.seed}.",
        "",
        "Run: python this_file.py        (prints each run's end; --json prints every array)",
        "Needs: torch, numpy.",
        '"""',
        "",
        "from __future__ import annotations",
        "",
        "import json",
        "import math",
        "import sys",
        "import warnings",
        "",
        "import numpy as np",
        "import torch",
        "from torch.optim import lr_scheduler as L",
        "",
        "torch.set_default_dtype(torch.float64)",
        "torch.set_num_threads(1)  # small tensors: more threads only contend (68 ms a step at 2 threads, 1.6 ms at 1)",
        "",
        f"EPOCHS = {problem.epochs!r}",
        f"SEED = {problem.seed!r}  # seeds the mini-batch order",
        f"ACTIVATION = {mc.activation!r}  # of the hidden layers; the output is one logit (sigmoid)",
        "# each tensor's name and shape, as torch's nn.Sequential of nn.Linear yields them: weight [out, in], bias",
        f"LAYOUT = [{layout}]",
        "",
        *_array_lines("INIT", init, 1, f"the {net.size} initial parameters, row-major in LAYOUT's order", False),
        *_array_lines("X_TRAIN", data.x_train, 2, "the generated train inputs"),
        *_array_lines("Y_TRAIN", data.y_train, 1, "their labels, 0 / 1"),
        *_array_lines("X_TEST", data.x_test, 2, "the held-out test inputs"),
        *_array_lines("Y_TEST", data.y_test, 1, "their labels"),
        "",
        "",
        *inspect.getsource(BatchOrder).strip("\n").splitlines(),
        "",
        "",
        *[line for h in helpers.values() for line in (*h.strip("\n").splitlines(), "", "")],
        *_engine_source(copies),
        template("torch_schedulers"),
        "",
        "",
        template("torch_network"),
        "",
        "",
        "# (label, the run's optimizers: [(from update, optimizer over the flat parameters p or the layers' tensors",
        "#  params, its scheduler), ...] (more than one: an optimizer chain, each a new optimizer at its update),",
        "#  batch size, scheduler per epoch, clip by value, clip by norm, one tensor per layer)",
        "RUNS = [",
        *run_lines,
        "]",
        "",
        template("network_main"),
        "",
    ]
    return "\n".join(lines)
