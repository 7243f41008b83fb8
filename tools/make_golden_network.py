"""Golden data for the network engine, made with torch (float64): gradients and training runs.

Run with an interpreter that has torch (never a runtime dependency of the app):

    .venv-torch/bin/python tools/make_golden_network.py   # writes tests/golden/torch_network_golden.json

(the engine's network modules import the compiled kernels: with the app's packages on the path,
``PYTHONPATH=.venv/lib/python3.11/site-packages``, when the torch interpreter lacks numba/pydantic).

- ``gradients``: the mean BCE and its gradient by torch autograd for a few networks (depths,
  activations) at perturbed parameters, on a few samples;
- ``training``: per-epoch train and test losses, and each update's mini-batch loss and lr, of one
  run per case, as a PyTorch user trains: ``nn.Sequential`` of ``nn.Linear`` layers (the
  activation between them), ``BCEWithLogitsLoss``, ``torch.optim`` over ``model.parameters()``
  (the optimizers and schedulers of tools/make_golden.py), the gradient clipped with
  ``clip_grad_value_`` then ``clip_grad_norm_``, ``scheduler.step()`` after each update (or each
  epoch, ``per="epoch"``), ReduceLROnPlateau stepped after each epoch with the epoch's train loss;
  the final parameters (``final``);
- ``chains``: the same for optimizer chains (``run.optimizers``, as in a request): at each
  milestone a NEW torch.optim optimizer on ``model.parameters()`` and the run's scheduler advanced
  to the milestone; the parameters at each milestone (``switch_params``) too.

The torch side takes the engine's data and initial parameters (app/engine/network/data.py and
model.py, NumPy only: loaded without the package's ``__init__``, which imports the compiled engine)
and draws the mini-batch order as the engine documents it (app.engine.runner.BatchOrder): per epoch
``numpy.random.default_rng([seed, 2]).permutation(n_train)``, cut into batches in order.

tests/engine/network/test_model.py and test_train.py compare the engine with them, without torch.
"""

from __future__ import annotations

import itertools
import json
import math
import sys
import types
import warnings
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(ROOT))
_pkg = types.ModuleType("app.engine.network")  # the NumPy modules only (see the docstring)
_pkg.__path__ = [str(ROOT / "app/engine/network")]
sys.modules["app.engine.network"] = _pkg

from make_golden import OPTIMIZERS, _argument, scheduler  # noqa: E402

from app.engine.network.data import DataConfig, make_data  # noqa: E402
from app.engine.network.model import ModelConfig, Network  # noqa: E402

torch.set_default_dtype(torch.float64)
OUT = ROOT / "tests/golden/torch_network_golden.json"

ACT = {"relu": torch.nn.ReLU, "tanh": torch.nn.Tanh, "sigmoid": torch.nn.Sigmoid}

COURSE = {
    "data": {"name": "moons", "samples": 300, "noise": 0.2, "test_fraction": 0.25, "seed": 3},
    "model": {"hidden": [5, 2], "activation": "relu", "init": "he", "seed": 3},
    "epochs": 30,
    "seed": 0,
}


def _case(run: dict, **over: object) -> dict:
    return {**COURSE, **over, "run": run}


CASES = [
    _case({"optimizer": "gd", "params": {"lr": 0.1}, "batch_size": 64}),
    _case({"optimizer": "momentum", "params": {"lr": 0.05, "beta": 0.9, "variant": "classic"}, "batch_size": 64}),
    _case({"optimizer": "nesterov", "params": {"lr": 0.05, "beta": 0.9}, "batch_size": 64}),
    _case({"optimizer": "adam", "params": {"lr": 0.01}, "batch_size": 64}),
    _case({"optimizer": "adamw", "params": {"lr": 0.01, "weight_decay": 0.01}, "batch_size": 64}),
    _case({"optimizer": "nadam", "params": {"lr": 0.01}, "batch_size": 64}),
    _case({"optimizer": "radam", "params": {"lr": 0.01}, "batch_size": 64}),
    # full batch, a schedule per update and clipping by norm
    _case(
        {
            "optimizer": "adam",
            "params": {"lr": 0.05},
            "batch_size": None,
            "schedule": {"name": "cosine", "params": {"t_max": 40, "eta_min": 0.001}, "warmup_steps": 5},
            "clip_norm": 0.1,
        },
        epochs=40,
    ),
    # mini-batches, a schedule per epoch, clipping by value, tanh and Xavier
    _case(
        {
            "optimizer": "momentum",
            "params": {"lr": 0.1, "beta": 0.9, "variant": "classic"},
            "batch_size": 50,
            "schedule": {"name": "step", "params": {"step_size": 5, "gamma": 0.5}, "per": "epoch"},
            "clip_value": 0.05,
        },
        model={"hidden": [8], "activation": "tanh", "init": "xavier", "seed": 1},
    ),
    # ReduceLROnPlateau on each epoch's train loss
    _case(
        {
            "optimizer": "gd",
            "params": {"lr": 0.5},
            "batch_size": 32,
            "schedule": {"name": "reduce_on_plateau", "params": {"patience": 1, "factor": 0.5, "threshold": 0.01}},
        },
        data={"name": "circles", "samples": 200, "noise": 0.1, "test_fraction": 0.2, "seed": 4},
        model={"hidden": [6, 6], "activation": "tanh", "init": "he", "seed": 2},
    ),
]

# optimizer chains (`optimizers`, as in a request): at each milestone a NEW torch.optim optimizer on
# model.parameters() (fresh state), with the run's scheduler advanced to the milestone (the schedule
# runs on the whole run's clock, each link's lr its base); the mini-batch order goes on unchanged
CHAINS = [
    # Adam → SGD with momentum, mini-batches, one cosine on the whole run, a switch inside an epoch
    _case(
        {
            "optimizers": [
                {"optimizer": "adam", "params": {"lr": 0.01}},
                {"milestone": 50, "optimizer": "sgd", "params": {"lr": 0.1, "momentum": 0.9}},
            ],
            "batch_size": 64,
            "schedule": {"name": "cosine", "params": {"t_max": 120, "eta_min": 0.001}},
        },
    ),
    # RMSprop → Nesterov, a schedule per epoch with warm-up, clipping by norm, tanh and Xavier
    _case(
        {
            "optimizers": [
                {"optimizer": "rmsprop", "params": {"lr": 0.01, "beta": 0.9}},
                {"milestone": 37, "optimizer": "nesterov", "params": {"lr": 0.05, "beta": 0.9}},
            ],
            "batch_size": 50,
            "schedule": {"name": "step", "params": {"step_size": 5, "gamma": 0.5}, "per": "epoch", "warmup_steps": 2},
            "clip_norm": 0.5,
        },
        model={"hidden": [8], "activation": "tanh", "init": "xavier", "seed": 1},
    ),
    # Adam → Adam (its state starts again: bias correction from step 1) → GD, full batch
    _case(
        {
            "optimizers": [
                {"optimizer": "adam", "params": {"lr": 0.05}},
                {"milestone": 15, "optimizer": "adam", "params": {"lr": 0.01, "beta2": 0.99}},
                {"milestone": 30, "optimizer": "gd", "params": {"lr": 0.5}},
            ],
            "batch_size": None,
        },
        epochs=40,
    ),
]

GRADIENTS = [
    {"hidden": [5, 2], "activation": "relu"},
    {"hidden": [4], "activation": "tanh"},
    {"hidden": [3, 3], "activation": "sigmoid"},
    {"hidden": [], "activation": "relu"},
]


def torch_model(hidden: list[int], activation: str, theta: np.ndarray) -> torch.nn.Sequential:
    widths = [2, *hidden, 1]
    layers: list[torch.nn.Module] = []
    for i, (a, b) in enumerate(itertools.pairwise(widths)):
        layers.append(torch.nn.Linear(a, b))
        if i < len(widths) - 2:
            layers.append(ACT[activation]())
    model = torch.nn.Sequential(*layers)
    torch.nn.utils.vector_to_parameters(torch.tensor(theta), model.parameters())
    return model


def gradient(spec: dict) -> dict:
    d = make_data(DataConfig(samples=40, seed=2))
    net = Network(ModelConfig(hidden=tuple(spec["hidden"]), activation=spec["activation"], seed=1))
    theta = net.init() + 0.2 * np.random.default_rng(5).standard_normal(net.size)
    model = torch_model(spec["hidden"], spec["activation"], theta)
    x, y = torch.tensor(d.x_train), torch.tensor(d.y_train)
    loss = torch.nn.BCEWithLogitsLoss()(model(x).squeeze(1), y)
    loss.backward()
    grad = torch.cat([p.grad.reshape(-1) for p in model.parameters()])
    out = dict(spec, theta=theta.tolist(), x=d.x_train.tolist(), y=d.y_train.tolist())
    return dict(out, loss=loss.item(), grad=grad.tolist())


def train(case: dict) -> dict:
    cfg = DataConfig(**case["data"])
    mc = case["model"]
    d = make_data(cfg)
    net = Network(
        ModelConfig(hidden=tuple(mc["hidden"]), activation=mc["activation"], init=mc["init"], seed=mc["seed"])
    )
    init = net.init()
    model = torch_model(mc["hidden"], mc["activation"], init)
    run = case["run"]
    links = run.get("optimizers") or [{"optimizer": run["optimizer"], "params": run["params"]}]
    milestones = [link["milestone"] for link in links[1:]]
    sched_req = run.get("schedule")
    per_epoch_sched = bool(sched_req) and sched_req.get("per") == "epoch"
    fn = torch.nn.BCEWithLogitsLoss()
    xt, yt = torch.tensor(d.x_train), torch.tensor(d.y_train)
    xs, ys = torch.tensor(d.x_test), torch.tensor(d.y_test)
    n = xt.shape[0]
    size = min(run["batch_size"] or n, n)
    rng = np.random.default_rng([case["seed"], 2])
    out: dict[str, list] = {"train_loss": [], "test_loss": [], "batch_loss": [], "lr": [], "switch_params": []}

    def parameters() -> list[float]:
        return torch.nn.utils.parameters_to_vector(model.parameters()).tolist()

    def measure() -> float:
        with torch.no_grad():
            train_loss = fn(model(xt).squeeze(1), yt).item()
            out["train_loss"].append(train_loss)
            out["test_loss"].append(fn(model(xs).squeeze(1), ys).item())
        return train_loss

    def link(j: int, t: int) -> tuple:
        """Link j's optimizer on the model's parameters, fresh, from update t: the run's scheduler
        advanced to t (stepped as often as the run's has been by then)."""
        prm = links[j]["params"]
        cls, args = OPTIMIZERS[links[j]["optimizer"]]
        opt = getattr(torch.optim, cls)(
            model.parameters(), lr=prm["lr"], **{k: _argument(s, prm) for k, s in args.items()}
        )
        sched, reads_loss = scheduler(opt, prm["lr"], sched_req)
        with warnings.catch_warnings():  # stepping a scheduler before its optimizer: on purpose
            warnings.simplefilter("ignore")
            for _ in range(0 if sched is None else t // math.ceil(n / size) if per_epoch_sched else t):
                sched.step()
        return opt, sched, reads_loss

    opt, sched, reads_loss = link(0, 0)
    measure()
    t = 0
    for _ in range(case["epochs"]):
        order = rng.permutation(n) if size < n else np.arange(n)
        for k in range(math.ceil(n / size)):
            if t in milestones:
                out["switch_params"].append(parameters())
                opt, sched, reads_loss = link(milestones.index(t) + 1, t)
            idx = torch.tensor(order[k * size : (k + 1) * size])
            opt.zero_grad()
            loss = fn(model(xt[idx]).squeeze(1), yt[idx])
            loss.backward()
            if run.get("clip_value"):
                torch.nn.utils.clip_grad_value_(model.parameters(), run["clip_value"])
            if run.get("clip_norm"):
                torch.nn.utils.clip_grad_norm_(model.parameters(), run["clip_norm"])
            out["batch_loss"].append(loss.item())
            out["lr"].append(opt.param_groups[0]["lr"])
            opt.step()
            t += 1
            if sched is not None and not reads_loss and not per_epoch_sched:
                sched.step()
        train_loss = measure()
        if reads_loss:
            sched.step(train_loss)
        elif sched is not None and per_epoch_sched:
            sched.step()
    out["final"] = parameters()
    return dict(case, init=init.tolist(), expected=out)


def main() -> None:
    golden = {
        "torch_version": torch.__version__,
        "gradients": [gradient(g) for g in GRADIENTS],
        "training": [train(c) for c in CASES],
        "chains": [train(c) for c in CHAINS],
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(golden))
    print(f"wrote {len(CASES)} training cases to {OUT} ({OUT.stat().st_size / 1e6:.2f} MB)")


if __name__ == "__main__":
    main()
