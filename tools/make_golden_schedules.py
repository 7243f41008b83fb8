"""Golden trajectories for the schedules that read the run, made with torch (float64).

    .venv-torch/bin/python tools/make_golden_schedules.py   # writes tests/golden/torch_schedules_golden.json

The cases of tools/make_golden.py's format (one run per request), for

- ReduceLROnPlateau (mode "min"): ``scheduler.step(loss)`` after every ``opt.step()``, with the
  loss at the new point (the rule of app/engine/feedback.py);
- OneCycleLR(cycle_momentum=True): the expected ``momentum`` of each update is read from the
  optimizer before its step (``momentum``, or ``betas[0]`` of the Adam family);
- SequentialLR chains (the request's ``schedule.chain``), built from tools/make_golden.py's
  schedulers.

Its `reference` (one loop for all torch cases) and `scheduler` make them; the cases are the
[torch_schedules] table of tools/golden_cases.toml.

tests/engine/test_golden.py compares the engine with them to 1e-9 relative, without torch.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from golden_cases import cases
from make_golden import write

OUT = Path(__file__).resolve().parent.parent / "tests/golden/torch_schedules_golden.json"


CASES = cases("torch_schedules")


def main() -> None:
    write(CASES, OUT)


if __name__ == "__main__":
    main()
