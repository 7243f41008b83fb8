"""Golden SWATS runs (a chain's second link with ``rule = "swats"``), made with torch (float64).

    .venv-torch/bin/python tools/make_golden_swats.py   # writes tests/golden/torch_swats_golden.json

What a PyTorch user writes for Keskar & Socher's SWATS (2017, Algorithm 1) on one tensor:
torch.optim.Adam's steps, each step p_k (the tensor's change) and the gradient g_k it was taken on
fed to the paper's criterion — γ_k = p_kᵀp_k / (−p_kᵀg_k), λ_k = β₂λ_{k−1} + (1 − β₂)γ_k, switch
after step k > 1 when |λ_k/(1 − β₂ᵏ) − γ_k| < ε (and Λ = λ_k/(1 − β₂ᵏ) > 0, with an update left)
— then a NEW torch.optim.SGD(momentum=β₁, dampening=0, lr=(1 − β₁)Λ) on the same tensor: the
paper's v = β₁v + g, θ −= (1 − β₁)Λv. Written here apart from the engine's
`app.engine.switching.swats_point`; tests/engine/test_swats.py compares the two.

The cases are the [torch_swats] table of tools/golden_cases.toml.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from golden_cases import cases
from make_golden import SURFACES, closure_update, make_optimizer

torch.set_default_dtype(torch.float64)
OUT = Path(__file__).resolve().parent.parent / "tests/golden/torch_swats_golden.json"


def reference(case: dict) -> dict:
    req = case["request"]
    adam, swats = req["runs"][0]["optimizers"]
    f, steps = SURFACES[req["surface"]], req["steps"]
    b1, b2 = adam.get("params", {}).get("beta1", 0.9), adam.get("params", {}).get("beta2", 0.999)
    mu, tol = swats.get("params", {}).get("momentum", b1), swats.get("tolerance", 1e-9)
    p = torch.tensor([float(v) for v in req["start"]], requires_grad=True)
    opt = make_optimizer(adam["optimizer"], p, adam.get("params", {}))
    xs, ys, lam, found = [p[0].item()], [p[1].item()], 0.0, {"step": None, "lr": None}
    for t in range(steps):
        before = p.detach().clone()
        closure_update(opt, f, p, t, None)
        xs.append(p[0].item())
        ys.append(p[1].item())
        if found["step"] is not None:
            continue
        k, step, g = t + 1, p.detach() - before, p.grad.detach()
        pg = torch.dot(step, g).item()
        if pg == 0.0:
            continue
        gamma = torch.dot(step, step).item() / -pg
        lam = b2 * lam + (1 - b2) * gamma
        rate = lam / (1 - b2**k)
        if k > 1 and abs(rate - gamma) < tol and rate > 0 and k < steps:
            found = {"step": k, "lr": rate}
            opt = torch.optim.SGD([p], lr=(1 - mu) * rate, momentum=mu, dampening=0)
    return {"x": xs, "y": ys, "swats": found}


def main() -> None:
    done = [dict(c, expected=reference(c)) for c in cases("torch_swats")]
    OUT.write_text(json.dumps({"torch_version": torch.__version__, "cases": done}))
    for c in done:
        print(c["name"], c["expected"]["swats"])
    print(f"wrote {len(done)} cases to {OUT}")


if __name__ == "__main__":
    main()
