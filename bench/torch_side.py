"""The torch half of the engine benchmark; runs under an interpreter that has torch.

Prints one JSON object of timings (seconds). Kept free of app imports.
"""

from __future__ import annotations

import json
import sys
import time

import torch

torch.set_default_dtype(torch.float64)

FACTORIES = {
    "gd": lambda p, lr: torch.optim.SGD([p], lr=lr),
    "momentum": lambda p, lr: torch.optim.SGD([p], lr=lr, momentum=0.9),
    "nesterov": lambda p, lr: torch.optim.SGD([p], lr=lr, momentum=0.9, nesterov=True),
    "adagrad": lambda p, lr: torch.optim.Adagrad([p], lr=lr),
    "rmsprop": lambda p, lr: torch.optim.RMSprop([p], lr=lr, alpha=0.9),
    "adadelta": lambda p, lr: torch.optim.Adadelta([p], lr=lr),
    "adam": lambda p, lr: torch.optim.Adam([p], lr=lr),
    "adamw": lambda p, lr: torch.optim.AdamW([p], lr=lr),
}


def rosenbrock(x, y):
    return (1 - x) ** 2 + 100 * (y - x**2) ** 2


def trajectories(runs, steps, start):
    """Each run as a PyTorch user writes it: recording x, y, loss, lr, grad norm per step."""
    out = []
    for opt_id, lr in runs:
        p = torch.tensor(start, requires_grad=True)
        opt = FACTORIES[opt_id](p, lr)
        xs, ys, losses, lrs, norms = [start[0]], [start[1]], [], [], []
        for _ in range(steps):
            opt.zero_grad()
            loss = rosenbrock(p[0], p[1])
            loss.backward()
            losses.append(loss.item())
            norms.append(p.grad.norm().item())
            lrs.append(opt.param_groups[0]["lr"])
            opt.step()
            xs.append(p[0].item())
            ys.append(p[1].item())
        out.append((xs, ys, losses, lrs, norms))
    return out


def batched_adam(rows, steps, start):
    p = torch.tensor([[start[0]] * rows, [start[1]] * rows], requires_grad=True)
    opt = torch.optim.Adam([p], lr=1e-3)
    t0 = time.perf_counter()
    for _ in range(steps):
        opt.zero_grad()
        rosenbrock(p[0], p[1]).sum().backward()
        opt.step()
    return time.perf_counter() - t0


def best(fn, repeat):
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    cfg = json.loads(sys.argv[1])
    start = cfg["start"]
    res = {"torch_version": torch.__version__, "threads": torch.get_num_threads()}
    for name, runs in cfg["requests"].items():
        res[name] = best(lambda runs=runs: trajectories(runs, cfg["steps"], start), cfg["repeat"])
    res["rows"] = {}
    for rows, steps in cfg["rows"]:
        res["rows"][str(rows)] = min(batched_adam(rows, steps, start) for _ in range(cfg["repeat"])) / (rows * steps)
    print(json.dumps(res))


if __name__ == "__main__":
    main()
