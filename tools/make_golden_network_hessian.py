"""Generate the golden exact Hessians of a network's train loss with torch autograd (float64).

Run with an interpreter that has torch (never a runtime dependency of the app):

    .venv-torch/bin/python tools/make_golden_network_hessian.py   # writes tests/golden/network_hessian_golden.json

Each case is a torch ``nn.Sequential(nn.Linear(2, h₁), act, …, nn.Linear(h_L, 1))`` whose parameters
are one flat vector θ (weights [out, in] row-major, then biases, layer by layer: the project's
layout), the loss ``BCEWithLogitsLoss`` (mean) on seeded data, and its Hessian in θ by
``torch.autograd.functional.hessian``. tests/engine/network/test_planes.py compares the plane
module's Hessian (central differences of the analytic gradient) with it to 1e-6, without torch.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch
from torch.func import functional_call

torch.set_default_dtype(torch.float64)
OUT = Path(__file__).resolve().parent.parent / "tests/golden/network_hessian_golden.json"
ACTS = {"tanh": torch.nn.Tanh, "relu": torch.nn.ReLU, "sigmoid": torch.nn.Sigmoid}
CASES = [((5, 3), "tanh", 0), ((4,), "sigmoid", 1), ((6, 4), "relu", 2)]


def case(hidden: tuple[int, ...], activation: str, seed: int) -> dict[str, object]:
    rng = np.random.default_rng(seed)
    widths = (2, *hidden, 1)
    layers: list[torch.nn.Module] = []
    for i in range(len(widths) - 1):
        layers.append(torch.nn.Linear(widths[i], widths[i + 1]))
        if i < len(widths) - 2:
            layers.append(ACTS[activation]())
    model = torch.nn.Sequential(*layers)
    names = [n for n, _ in model.named_parameters()]
    shapes = [p.shape for _, p in model.named_parameters()]
    sizes = [p.numel() for _, p in model.named_parameters()]
    theta = torch.tensor(rng.normal(0.0, 0.8, sum(sizes)))
    x = torch.tensor(rng.normal(0.0, 1.0, (40, 2)))
    y = torch.tensor((rng.uniform(size=40) < 0.5).astype(float))

    def loss(flat: torch.Tensor) -> torch.Tensor:
        parts = dict(
            zip(names, (t.reshape(s) for t, s in zip(torch.split(flat, sizes), shapes, strict=True)), strict=True)
        )
        z = functional_call(model, parts, (x,))[:, 0]
        return torch.nn.functional.binary_cross_entropy_with_logits(z, y)

    hess = torch.autograd.functional.hessian(loss, theta)
    return {
        "hidden": list(hidden),
        "activation": activation,
        "theta": theta.tolist(),
        "x": x.tolist(),
        "y": y.tolist(),
        "loss": float(loss(theta)),
        "hessian": hess.tolist(),
    }


def main() -> None:
    OUT.write_text(json.dumps({"cases": [case(*c) for c in CASES]}) + "\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
