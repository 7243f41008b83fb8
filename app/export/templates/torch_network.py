"""The PyTorch script of a network request: the MLP over one flat parameter vector, its loss, and a
run (epochs of seeded mini-batches, the scheduler per update or per epoch, clipping).

A template: the exporter (`app.export.network`) copies what follows the marker line below into the
script; the lines above it (imports, the script's names from `_script`) are there for the linters
only.

The parameters are ONE float64 tensor ``p`` of P values, the layers' tensors its views (torch
``nn.Linear`` order: weight ``[out, in]`` row-major, then bias), as the engine keeps them: the
element-wise optimizers then see the whole vector, as in optiviz; per-tensor torch optimizers give
the same numbers for them (every operation is element-wise), and ``clip_grad_norm_`` clips by the
norm of the whole vector either way. The loss is torch's ``binary_cross_entropy_with_logits``
(mean), the engine's softplus(z) − y·z; ``nn.Sigmoid`` + ``nn.BCELoss`` would clamp log p at −100.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import torch
from torch.optim import lr_scheduler as L

from ._script import ACTIVATION, EPOCHS, INIT, LAYOUT, SEED, X_TEST, X_TRAIN, Y_TEST, Y_TRAIN, BatchOrder
from .torch_schedulers import clip_grad, step_scheduler

# --- the script ---

ACTIVATIONS = {"relu": torch.relu, "tanh": torch.tanh, "sigmoid": torch.sigmoid}


def tensors(p):
    """The layers' weights and biases: views of the flat parameter vector p, in LAYOUT's order (a
    list of them: already the tensors)."""
    if isinstance(p, list):
        return p
    out, at = [], 0
    for _, shape in LAYOUT:
        size = math.prod(shape)
        out.append(p[at : at + size].view(shape))
        at += size
    return out


def logits(p, x):
    """The network's output before its sigmoid: Linear, activation, …, Linear (one output)."""
    layers = tensors(p)
    z = x
    for i in range(0, len(layers), 2):
        z = torch.nn.functional.linear(z, layers[i], layers[i + 1])
        if i + 2 < len(layers):
            z = ACTIVATIONS[ACTIVATION](z)
    return z[:, 0]


def loss_on(p, x, y):
    """Mean binary cross-entropy of the sigmoid output, from the logits (torch's BCEWithLogitsLoss)."""
    return torch.nn.functional.binary_cross_entropy_with_logits(logits(p, x), y)


@torch.no_grad()
def measure(p, x, y):
    """(loss, accuracy) over a whole set: the share of samples whose P(y=1) > 1/2 matches y."""
    z = logits(p, x)
    loss = torch.nn.functional.binary_cross_entropy_with_logits(z, y).item()
    return loss, ((z > 0).double() == y).double().mean().item()


def record(out, p):
    """One epoch's (or the start's) losses and accuracies over the whole train and test sets; the
    train loss (not recorded when it is not finite: the run has diverged)."""
    measures = [(part, *measure(p, x, y)) for part, x, y in (("train", X_TRAIN, Y_TRAIN), ("test", X_TEST, Y_TEST))]
    if math.isfinite(measures[0][1]):
        for part, loss, acc in measures:
            out[f"{part}_loss"].append(loss if math.isfinite(loss) else None)
            out[f"{part}_accuracy"].append(acc if math.isfinite(acc) else None)
    return measures[0][1]


def parameters(per_tensor):
    """The run's parameters at INIT: one flat tensor (the layers its views), or (per_tensor, for
    the optimizers that work on weight matrices) one leaf tensor per layer; and the list of leaves."""
    if not per_tensor:
        p = torch.tensor(INIT, requires_grad=True)
        return p, [p]
    leaves = [q.clone().requires_grad_() for q in tensors(torch.tensor(INIT))]
    return leaves, leaves


def start(link, p, t, every):
    """A link (from update, make_optimizer, make_scheduler) of the run's optimizers from update t: a
    NEW optimizer on the same parameters p (fresh state, as a torch user who creates one there) and
    its scheduler stepped as often as the run's had been by then (t // every): the schedule runs on
    the whole run's clock, with the link's lr as its base. make_optimizer may give (optimizer,
    (other, factor), ...): the others step too, at the optimizer's rate times their factor (Muon's
    AdamW)."""
    _, make_optimizer, make_scheduler = link
    made = make_optimizer(p)
    opt, others = (made[0], made[1:]) if isinstance(made, tuple) else (made, ())
    sched = make_scheduler(opt)
    if sched is not None and t:
        with warnings.catch_warnings():  # stepping a scheduler before its optimizer: on purpose
            warnings.simplefilter("ignore")
            for _ in range(t // every):
                sched.step()
    return opt, others, sched


def run(links, batch_size, per_epoch, clip_value=None, clip_norm=None, per_tensor=False):
    """One run from INIT: EPOCHS epochs of ⌈m / batch_size⌉ updates (None: the whole set, one
    update); each epoch a fresh seeded permutation of the train set (BatchOrder). Per update the
    lr it used and its mini-batch's loss; per epoch (index 0: the start) the losses and accuracies.
    The scheduler steps after every update, or (per_epoch) after each epoch's last update;
    ReduceLROnPlateau after each epoch, with the train loss. A non-finite mini-batch loss or
    parameter stops the run, "diverged", before that update; a non-finite train loss after the
    epoch's updates (that epoch is not recorded). links: the run's optimizers (`start`), the first
    from update 0; each later one takes over at its update (an optimizer chain: its "switches")."""
    p, leaves = parameters(per_tensor)
    m = X_TRAIN.shape[0]
    order = BatchOrder(m, batch_size or m, SEED)
    every = order.per_epoch if per_epoch else 1
    link, switches = 0, []
    opt, others, sched = start(links[0], p, 0, every)
    plateau = isinstance(sched, L.ReduceLROnPlateau)
    out: dict[str, Any] = {
        key: [] for key in ("train_loss", "test_loss", "train_accuracy", "test_accuracy", "batch_loss", "lr")
    }
    record(out, p)
    status, t = "max_steps", 0
    for _ in range(EPOCHS):
        for _ in range(order.per_epoch):
            idx = order.indices(t)
            x, y = (X_TRAIN, Y_TRAIN) if idx is None else (X_TRAIN[idx], Y_TRAIN[idx])
            for o in (opt, *(o for o, _ in others)):
                o.zero_grad()
            cost = loss_on(p, x, y)
            if not math.isfinite(cost.item()):
                status = "diverged"
                break
            if link + 1 < len(links) and t == links[link + 1][0]:  # the next optimizer takes over
                link += 1
                switches.append(t)
                opt, others, sched = start(links[link], p, t, every)
            cost.backward()
            clip_grad(leaves, clip_value, clip_norm)
            lr, before = opt.param_groups[0]["lr"], [q.detach().clone() for q in leaves]
            for o, factor in others:
                for group in o.param_groups:
                    group["lr"] = lr * factor
            opt.step(lambda cost=cost: cost)  # the batch's loss (the Polyak step size reads it, the others not)
            for o, _ in others:
                o.step()
            lr = opt.param_groups[0].get("effective_lr", lr)  # Polyak: the rate it used
            if not all(bool(torch.isfinite(q).all()) for q in leaves):
                with torch.no_grad():
                    for q, b in zip(leaves, before, strict=True):
                        q.copy_(b)
                status = "diverged"
                break
            out["lr"].append(lr)
            out["batch_loss"].append(cost.item())
            t += 1
            if sched is not None and not plateau and t % every == 0:
                step_scheduler(sched, None)
        if status != "max_steps":
            break
        train_loss = record(out, p)
        if not math.isfinite(train_loss):
            status = "diverged"
            break
        if plateau:
            step_scheduler(sched, train_loss)
    out["status"], out["steps_taken"] = status, t
    if len(links) > 1:
        out["switches"] = switches
    out["final"] = torch.cat([q.detach().reshape(-1) for q in leaves]).tolist()
    return out
