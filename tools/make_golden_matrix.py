"""Golden steps of the matrix optimizers (Adafactor, Muon + AdamW, LAMB) on a network's layout,
made with torch 2.13 and optax (float64).

Run with the interpreter that has torch, jax and optax (never runtime dependencies of the app):

    .venv-torch/bin/python tools/make_golden_matrix.py   # writes tests/golden/torch_matrix_golden.json

The layout is a 2→5→2→1 MLP's (torch ``nn.Sequential`` of ``nn.Linear``: W1 (5, 2), b1, W2 (2, 5),
b2, W3 (1, 2), b3; P = 30), from one fixed parameter vector (weights drawn, biases 0: the zero-norm
rules of LAMB's trust ratio and Adafactor's ε₂ are taken). The loss is a quadratic
L(θ) = ½(θ − c)ᵀA(θ − c) + ¼·Σ(θ − c)⁴/10 on the vector of the model's parameters (A symmetric
positive definite, c drawn), so each gradient depends on where the optimizer went; torch's
autograd (or jax's) gives it per tensor. Each case runs K = 20 updates with a rate per update
(warm-up then decay: the schedule's lrₜ), and records every parameter vector.

- Adafactor: ``torch.optim.Adafactor(model.parameters(), ...)`` (foreach off: its single-tensor
  code).
- Muon: ``torch.optim.Muon`` on the 2D weights and ``torch.optim.AdamW`` on the biases, as torch's
  documentation recommends; the AdamW part's rate at each update adamw_lr·lrₜ/lr (one scheduler per
  optimizer with the same factor). torch's Newton–Schulz casts to bfloat16: the golden run makes
  that one cast a float64 copy (``Tensor.bfloat16`` patched during the step, torch's own code
  otherwise); the same case with torch as shipped (bfloat16) is recorded beside it, for the
  deviation it shows (``bf16_max_rel``).
- LAMB: ``optax.lamb`` over the model's tensors (a list pytree), its rate a schedule of the count.

``training``: the same optimizers train the course's network (moons, 2→5→2→1 ReLU, He init,
mini-batches of 64) for a few epochs as a PyTorch user does, with torch's autograd gradients
(LAMB: optax's update of torch's gradients); the data, the initial parameters and the batch order
are the engine's, as tools/make_golden_network.py (net-engine's tool, whose pieces this reuses)
takes them. The per-epoch train and test losses and each mini-batch's loss are recorded.
"""

from __future__ import annotations

import json
from pathlib import Path

import jax

jax.config.update("jax_enable_x64", True)

import jax.numpy as jnp  # noqa: E402
import make_golden_network as network  # noqa: E402  (tools/: the engine's data, init and batch order)
import numpy as np  # noqa: E402
import optax  # noqa: E402
import torch  # noqa: E402

OUT = Path(__file__).resolve().parent.parent / "tests/golden/torch_matrix_golden.json"
torch.set_default_dtype(torch.float64)
torch.set_num_threads(1)

LAYOUT = [("W1", (5, 2)), ("b1", (5,)), ("W2", (2, 5)), ("b2", (2,)), ("W3", (1, 2)), ("b3", (1,))]
P = sum(int(np.prod(s)) for _, s in LAYOUT)
K = 20
QUARTIC = 0.1


def problem() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """θ₀ (weights drawn, biases 0), A (SPD, condition ≈ 10²) and c, from a fixed seed."""
    rng = np.random.default_rng(19)
    theta0 = np.concatenate(
        [rng.normal(0.0, 0.7, int(np.prod(s))) if len(s) == 2 else np.zeros(s[0]) for _, s in LAYOUT]
    )
    q, _ = np.linalg.qr(rng.normal(size=(P, P)))
    a = (q * np.geomspace(0.05, 5.0, P)) @ q.T
    a = (a + a.T) / 2
    c = rng.normal(0.0, 0.5, P)
    return theta0, a, c


def rates(lr: float) -> list[float]:
    """lrₜ of the K updates: a linear warm-up over 4 updates, then ×0.9 each update."""
    return [lr * min(1.0, (t + 1) / 4) * 0.9 ** max(0, t - 3) for t in range(K)]


CASES = [
    (
        "adafactor",
        "defaults",
        {
            "lr": 0.01,
            "beta2_decay": -0.8,
            "eps1": float(np.finfo(float).eps),
            "eps2": 1e-3,
            "d": 1.0,
            "weight_decay": 0.0,
        },
    ),
    # lr above 1/√t (ρₜ = 1/√t), a clipping d, weight decay, another decay exponent
    (
        "adafactor",
        "clipped",
        {"lr": 0.8, "beta2_decay": -0.5, "eps1": 1e-30, "eps2": 1e-2, "d": 1.5, "weight_decay": 0.05},
    ),
    (
        "muon",
        "defaults",
        {
            "lr": 0.02,
            "momentum": 0.95,
            "nesterov": True,
            "ns_steps": 5,
            "eps": 1e-7,
            "adjust_lr_fn": "original",
            "weight_decay": 0.1,
            "adamw_lr": 1e-3,
            "adamw_beta1": 0.9,
            "adamw_beta2": 0.999,
            "adamw_eps": 1e-8,
            "adamw_weight_decay": 0.01,
        },
    ),
    (
        "muon",
        "plain_rms",
        {
            "lr": 0.05,
            "momentum": 0.8,
            "nesterov": False,
            "ns_steps": 3,
            "eps": 1e-7,
            "adjust_lr_fn": "match_rms_adamw",
            "weight_decay": 0.0,
            "adamw_lr": 0.02,
            "adamw_beta1": 0.8,
            "adamw_beta2": 0.99,
            "adamw_eps": 1e-6,
            "adamw_weight_decay": 0.1,
        },
    ),
    ("lamb", "defaults", {"lr": 0.01, "beta1": 0.9, "beta2": 0.999, "eps": 1e-6, "weight_decay": 0.0}),
    ("lamb", "decayed", {"lr": 0.05, "beta1": 0.8, "beta2": 0.99, "eps": 1e-8, "weight_decay": 0.01}),
]


def torch_loss(params: list[torch.Tensor], a: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
    d = torch.cat([p.reshape(-1) for p in params]) - c
    return 0.5 * d @ (a @ d) + 0.25 * QUARTIC * torch.sum(d**4)


def model(theta: np.ndarray) -> torch.nn.Sequential:
    """The 2→5→2→1 network whose parameters() are the layout's tensors, set from θ."""
    net = torch.nn.Sequential(
        torch.nn.Linear(2, 5), torch.nn.ReLU(), torch.nn.Linear(5, 2), torch.nn.ReLU(), torch.nn.Linear(2, 1)
    )
    at = 0
    with torch.no_grad():
        for (name, shape), p in zip(LAYOUT, net.parameters(), strict=True):
            assert tuple(p.shape) == shape, name
            n = int(np.prod(shape))
            p.copy_(torch.tensor(theta[at : at + n]).reshape(shape))
            at += n
    return net


class Float64NewtonSchulz:
    """During Muon's step, ``Tensor.bfloat16`` (the one cast in torch's Newton–Schulz) returns a
    copy in the tensor's own dtype: torch's code, in float64."""

    def __enter__(self) -> None:
        self.saved = torch.Tensor.bfloat16
        torch.Tensor.bfloat16 = lambda self, *_args, **_kw: self.clone()  # type: ignore[method-assign]

    def __exit__(self, *exc: object) -> None:
        torch.Tensor.bfloat16 = self.saved  # type: ignore[method-assign]


def torch_optimizers(optimizer: str, p: dict, params: list[torch.Tensor]) -> list[torch.optim.Optimizer]:
    """torch's Adafactor over every tensor, or Muon over the 2D weights and AdamW over the rest (its
    rate adamw_lr); single-tensor code (foreach off)."""
    if optimizer == "adafactor":
        eps = (p["eps1"], p["eps2"])
        args = {"beta2_decay": p["beta2_decay"], "eps": eps, "d": p["d"], "weight_decay": p["weight_decay"]}
        return [torch.optim.Adafactor(params, lr=p["lr"], **args, foreach=False)]
    muon = {k: p[k] for k in ("weight_decay", "momentum", "nesterov", "eps", "ns_steps", "adjust_lr_fn")}
    adamw = {
        "betas": (p["adamw_beta1"], p["adamw_beta2"]),
        "eps": p["adamw_eps"],
        "weight_decay": p["adamw_weight_decay"],
    }
    return [
        torch.optim.Muon([q for q in params if q.ndim == 2], lr=p["lr"], **muon),
        torch.optim.AdamW([q for q in params if q.ndim != 2], lr=p["adamw_lr"], **adamw, foreach=False),
    ]


def run_torch(optimizer: str, p: dict, theta0: np.ndarray, a: np.ndarray, c: np.ndarray, bf16: bool = False):
    net = model(theta0)
    params = list(net.parameters())
    at, ct = torch.tensor(a), torch.tensor(c)
    lrs = rates(p["lr"])
    opts = torch_optimizers(optimizer, p, params)
    factors = [1.0] if optimizer == "adafactor" else [1.0, p["adamw_lr"] / p["lr"]]  # the schedule's factor on both
    thetas, losses = [theta0.tolist()], []
    for t in range(K):
        for opt, factor in zip(opts, factors, strict=True):
            opt.zero_grad()
            for group in opt.param_groups:
                group["lr"] = lrs[t] * factor
        loss = torch_loss(params, at, ct)
        loss.backward()
        losses.append(float(loss.detach()))
        for opt in opts:
            if optimizer == "muon" and not bf16 and isinstance(opt, torch.optim.Muon):
                with Float64NewtonSchulz():
                    opt.step()
            else:
                opt.step()
        thetas.append(torch.cat([q.detach().reshape(-1) for q in params]).tolist())
    return thetas, losses


def run_optax(p: dict, theta0: np.ndarray, a: np.ndarray, c: np.ndarray):
    lrs = jnp.asarray(rates(p["lr"]))
    opt = optax.lamb(
        learning_rate=lambda count: lrs[count],
        b1=p["beta1"],
        b2=p["beta2"],
        eps=p["eps"],
        weight_decay=p["weight_decay"],
    )
    sizes = [int(np.prod(s)) for _, s in LAYOUT]
    cuts = np.cumsum(sizes)[:-1].tolist()
    params = [jnp.asarray(x).reshape(s) for x, (_, s) in zip(np.split(theta0, cuts), LAYOUT, strict=True)]
    aj, cj = jnp.asarray(a), jnp.asarray(c)

    def loss_fn(ps):
        d = jnp.concatenate([q.reshape(-1) for q in ps]) - cj
        return 0.5 * d @ (aj @ d) + 0.25 * QUARTIC * jnp.sum(d**4)

    state = opt.init(params)
    thetas, losses = [theta0.tolist()], []
    for _ in range(K):
        loss, g = jax.value_and_grad(loss_fn)(params)
        losses.append(float(loss))
        updates, state = opt.update(g, state, params)
        params = optax.apply_updates(params, updates)
        thetas.append(np.concatenate([np.asarray(q).reshape(-1) for q in params]).tolist())
    return thetas, losses


TRAINING = [
    ("adafactor", {"lr": 0.05}),
    ("muon", {"lr": 0.02, "adamw_lr": 0.01}),
    ("lamb", {"lr": 0.02, "weight_decay": 0.01}),
]
TRAINING_EPOCHS = 15


def steppers(optimizer: str, p: dict, model: torch.nn.Module):
    """The update of one mini-batch after backward(): torch's optimizers, or optax's LAMB on
    torch's gradients."""
    defaults = next(c for o, name, c in CASES if o == optimizer and name == "defaults")
    p = {**defaults, **p}
    params = list(model.parameters())
    if optimizer == "lamb":
        opt = optax.lamb(p["lr"], b1=p["beta1"], b2=p["beta2"], eps=p["eps"], weight_decay=p["weight_decay"])
        state = [opt.init([jnp.asarray(q.detach().numpy()) for q in params])]

        def lamb_step() -> None:
            now = [jnp.asarray(q.detach().numpy()) for q in params]
            updates, state[0] = opt.update([jnp.asarray(q.grad.numpy()) for q in params], state[0], now)
            with torch.no_grad():
                for q, new in zip(params, optax.apply_updates(now, updates), strict=True):
                    q.copy_(torch.tensor(np.asarray(new)))

        return lamb_step, lambda: [q.grad.zero_() for q in params if q.grad is not None]
    opts = torch_optimizers(optimizer, p, params)

    def step() -> None:
        with Float64NewtonSchulz():
            for opt in opts:
                opt.step()

    return step, lambda: [opt.zero_grad() for opt in opts]


def training(optimizer: str, p: dict) -> dict:
    case = network.COURSE
    mc = case["model"]
    d = network.make_data(network.DataConfig(**case["data"]))
    net = network.Network(
        network.ModelConfig(hidden=tuple(mc["hidden"]), activation=mc["activation"], init=mc["init"], seed=mc["seed"])
    )
    model = network.torch_model(mc["hidden"], mc["activation"], net.init())
    step, zero = steppers(optimizer, p, model)
    fn = torch.nn.BCEWithLogitsLoss()
    xt, yt, xs, ys = (torch.tensor(a) for a in (d.x_train, d.y_train, d.x_test, d.y_test))
    n, size = xt.shape[0], 64
    rng = np.random.default_rng([case["seed"], 2])  # the engine's batch order (runner.BatchOrder)
    out: dict[str, list[float]] = {"train_loss": [], "test_loss": [], "batch_loss": []}

    def measure() -> None:
        with torch.no_grad():
            out["train_loss"].append(fn(model(xt).squeeze(1), yt).item())
            out["test_loss"].append(fn(model(xs).squeeze(1), ys).item())

    measure()
    for _ in range(TRAINING_EPOCHS):
        order = rng.permutation(n)
        for k in range(-(-n // size)):
            idx = torch.tensor(order[k * size : (k + 1) * size])
            zero()
            loss = fn(model(xt[idx]).squeeze(1), yt[idx])
            loss.backward()
            out["batch_loss"].append(loss.item())
            step()
        measure()
    run = {"optimizer": optimizer, "params": p, "batch_size": size}
    return {**{k: case[k] for k in ("data", "model", "seed")}, "epochs": TRAINING_EPOCHS, "run": run, "expected": out}


def main() -> None:
    theta0, a, c = problem()
    cases = []
    for optimizer, name, p in CASES:
        if optimizer == "lamb":
            thetas, losses = run_optax(p, theta0, a, c)
            reference = f"optax {optax.__version__} lamb"
        else:
            thetas, losses = run_torch(optimizer, p, theta0, a, c)
            reference = f"torch {torch.__version__} " + ("Adafactor" if optimizer == "adafactor" else "Muon + AdamW")
        case = {
            "optimizer": optimizer,
            "name": name,
            "params": p,
            "lr": rates(p["lr"]),
            "reference": reference,
            "thetas": thetas,
            "losses": losses,
        }
        if optimizer == "muon":  # torch as shipped: Newton–Schulz in bfloat16
            shipped, _ = run_torch(optimizer, p, theta0, a, c, bf16=True)
            gold, bf = np.array(thetas), np.array(shipped)
            case["bf16_max_rel"] = float(np.max(np.abs(bf - gold)) / np.max(np.abs(gold)))
        cases.append(case)
        print(f"{optimizer:10s} {name:10s} loss {losses[0]:.6g} → {losses[-1]:.6g}", case.get("bf16_max_rel", ""))
    out = {
        "layout": [[n, list(s)] for n, s in LAYOUT],
        "quartic": QUARTIC,
        "theta0": theta0.tolist(),
        "a": a.tolist(),
        "c": c.tolist(),
        "cases": cases,
        "training": [training(o, p) for o, p in TRAINING],
    }
    for t in out["training"]:
        loss = t["expected"]["train_loss"]
        print(f"training {t['run']['optimizer']:10s} train loss {loss[0]:.4f} → {loss[-1]:.4f}")
    OUT.write_text(json.dumps(out, indent=None, separators=(",", ":")) + "\n", encoding="utf-8")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
