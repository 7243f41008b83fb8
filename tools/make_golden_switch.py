"""Golden trajectories of optimizer chains (a run's ``optimizers``), made with torch (float64).

    .venv-torch/bin/python tools/make_golden_switch.py   # writes tests/golden/torch_switch_golden.json

What a PyTorch user writes to switch optimizers mid-run: one tensor, the first link's
torch.optim optimizer for its updates, then at each milestone a NEW optimizer of the next link on
the same tensor (fresh state: Adam's bias correction restarts, a velocity at zero). The schedule
runs on the whole run's clock: each new optimizer gets the run's scheduler (tools/make_golden.py's
`scheduler`), with its lr as the base, advanced to the milestone (``scheduler.step()`` that many
times before its first update). A closure optimizer (L-BFGS) as the last link steps with
``opt.step(closure)``, its evaluations recorded with the whole run's update index.

The cases are the [torch_switch] table of tools/golden_cases.toml (a run's ``optimizers``);
tests/engine/test_switching.py compares the engine with them to 1e-9 relative, without torch.
"""

from __future__ import annotations

import json
import sys
import warnings
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from golden_cases import cases
from make_golden import SURFACES, make_optimizer, scheduler

torch.set_default_dtype(torch.float64)
OUT = Path(__file__).resolve().parent.parent / "tests/golden/torch_switch_golden.json"
DEFAULT_LR = {"lbfgs": 1.0}


def _link_optimizer(link: dict, p: torch.Tensor):
    prm = link.get("params", {})
    if link["optimizer"] == "lbfgs":
        return torch.optim.LBFGS(
            [p],
            lr=prm.get("lr", 1.0),
            max_iter=prm.get("max_iter", 20),
            max_eval=prm.get("max_eval") or None,
            tolerance_grad=prm.get("tolerance_grad", 1e-7),
            tolerance_change=prm.get("tolerance_change", 1e-9),
            history_size=prm.get("history_size", 100),
            line_search_fn=None if prm.get("line_search_fn") == "none" else "strong_wolfe",
        )
    return make_optimizer(link["optimizer"], p, prm)


def reference(case: dict) -> dict:
    req = case["request"]
    run = req["runs"][0]
    links = run["optimizers"]
    f = SURFACES[req["surface"]]
    p = torch.tensor([float(v) for v in req["start"]], requires_grad=True)
    steps = req["steps"]
    bounds = [0, *(link["milestone"] for link in links[1:]), steps]
    xs, ys, losses, lrs, norms = [float(req["start"][0])], [float(req["start"][1])], [], [], []
    ev: dict[str, list] = {"step": [], "x": [], "y": [], "loss": []}
    for j, link in enumerate(links):
        opt = _link_optimizer(link, p)  # a new optimizer on the same tensor: fresh state
        lr = link.get("params", {}).get("lr", DEFAULT_LR.get(link["optimizer"]))
        sched, _ = scheduler(opt, lr, run.get("schedule"))
        if sched is not None:
            with warnings.catch_warnings():  # stepping a scheduler before its optimizer: on purpose
                warnings.simplefilter("ignore")
                for _ in range(bounds[j]):
                    sched.step()
        for t in range(bounds[j], bounds[j + 1]):
            first: list[tuple[float, float]] = []

            def closure(t=t, first=first, opt=opt, link=link):
                opt.zero_grad()
                loss = f(p[0], p[1])
                loss.backward()
                if link["optimizer"] == "lbfgs":
                    ev["step"].append(t)
                    ev["x"].append(p[0].item())
                    ev["y"].append(p[1].item())
                    ev["loss"].append(loss.item())
                if not first:
                    first.append((loss.item(), p.grad.norm().item()))
                return loss

            lrs.append(opt.param_groups[0]["lr"])
            if link["optimizer"] == "lbfgs":
                opt.step(closure)
            else:
                closure()
                opt.step()
            if sched is not None:
                sched.step()
            losses.append(first[0][0])
            norms.append(first[0][1])
            xs.append(p[0].item())
            ys.append(p[1].item())
    losses.append(f(p[0], p[1]).item())
    out = {"x": xs, "y": ys, "loss": losses, "lr": lrs, "grad_norm": norms}
    if any(link["optimizer"] == "lbfgs" for link in links):
        out["evals"] = ev
    return out


def main() -> None:
    done = [dict(c, expected=reference(c)) for c in cases("torch_switch")]
    OUT.write_text(json.dumps({"torch_version": torch.__version__, "cases": done}))
    print(f"wrote {len(done)} cases to {OUT} ({OUT.stat().st_size / 1e6:.2f} MB)")


if __name__ == "__main__":
    main()
