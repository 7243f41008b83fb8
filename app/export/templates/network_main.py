"""The end of a network's PyTorch script: run every spec of RUNS, print each run's end (or every
array with --json).

A template: the exporter copies what follows the marker line below into the script; the lines
above it (imports, the script's names from `_script`) are there for the linters only.
"""

from __future__ import annotations

import json
import sys

from ._script import RUNS
from .torch_network import run

# --- the script ---

if __name__ == "__main__":
    results = [dict(run(*spec[1:]), label=spec[0]) for spec in RUNS]
    if "--json" in sys.argv:
        print(json.dumps({"runs": results}))
    else:
        for r in results:
            print(
                f"{r['label']}: {r['status']} after {r['steps_taken']} updates, train loss "
                f"{r['train_loss'][-1]:.6g} (accuracy {r['train_accuracy'][-1]:.3f}), test loss "
                f"{r['test_loss'][-1]:.6g} (accuracy {r['test_accuracy'][-1]:.3f})"
            )
