"""What the golden tools' cases share: the format of a case (a trajectories request with one run)
and the starts they use, each with its surface."""

from __future__ import annotations

BOWL = ("elongated_bowl", [-9, 3])
ROSENBROCK = ("rosenbrock", [-1.2, 1.0])
HIMMELBLAU = ("himmelblau", [-0.3, -0.9])
CAMEL = ("six_hump_camel", [-1.6, -0.9])
SADDLE = ("saddle", [0.001, 1.8])
BEALE = ("beale", [1.0, 1.5])


def case(name, surface, start, steps, optimizer, params, schedule=None, **fields):
    run = {"optimizer": optimizer, "params": params, **fields}
    if schedule:
        run["schedule"] = schedule
    return {"name": name, "request": {"surface": surface, "start": start, "steps": steps, "runs": [run]}}
