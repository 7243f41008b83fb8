"""The end of both scripts: run every spec of RUNS, print the end points (or every array with --json).

A template: the exporter copies what follows the marker line below into the script; the lines
above it (imports, the script's names from `_script`) are there for the linters only.
"""

from __future__ import annotations

import json
import sys

from ._script import RUNS, run

# --- the script ---

if __name__ == "__main__":
    results = [dict(run(*spec[1:]), label=spec[0]) for spec in RUNS]
    if "--json" in sys.argv:
        print(json.dumps({"runs": results}))
    else:
        for r in results:
            print(
                f"{r['label']}: {r['status']} after {r['steps_taken']} steps at "
                f"({r['x'][-1]:.6g}, {r['y'][-1]:.6g}), loss {r['loss'][-1]:.6g}"
            )
            if "switches" in r:  # an optimizer chain
                print(f"  switched to the next optimizer at updates {r['switches']}")
            if "average" in r:  # ASGD, Schedule-Free: the averaged iterate, the point to evaluate
                print(f"  averaged iterate at ({r['average']['x'][-1]:.6g}, {r['average']['y'][-1]:.6g})")
