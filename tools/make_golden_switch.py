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
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from golden_cases import cases
from make_golden import chain_reference

torch.set_default_dtype(torch.float64)
OUT = Path(__file__).resolve().parent.parent / "tests/golden/torch_switch_golden.json"


def reference(case: dict) -> dict:
    run = case["request"]["runs"][0]
    return chain_reference(case["request"], run["optimizers"], run.get("schedule"))


def main() -> None:
    done = [dict(c, expected=reference(c)) for c in cases("torch_switch")]
    OUT.write_text(json.dumps({"torch_version": torch.__version__, "cases": done}))
    print(f"wrote {len(done)} cases to {OUT} ({OUT.stat().st_size / 1e6:.2f} MB)")


if __name__ == "__main__":
    main()
