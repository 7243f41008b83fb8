"""The golden tools' cases: the table of them (golden_cases.toml, a row each, one table for each
tool) and the format of a case (a trajectories request with one run)."""

from __future__ import annotations

import tomllib
from pathlib import Path

TABLE = Path(__file__).with_name("golden_cases.toml")


def case(name, surface, start, steps, optimizer=None, params=None, schedule=None, **fields):
    """A request of one run: its ``optimizer`` and ``params``, or an optimizer chain (``optimizers``)."""
    run = {"optimizer": optimizer, "params": params} if optimizer is not None else {}
    run.update(fields)
    if schedule:
        run["schedule"] = schedule
    return {"name": name, "request": {"surface": surface, "start": start, "steps": steps, "runs": [run]}}


def cases(tool: str) -> list[dict]:
    """The cases of one tool's table, in its order: each row the run's fields, from a start named
    in [starts] (``at``) or from its own ``surface`` and ``start``."""
    data = tomllib.loads(TABLE.read_text(encoding="utf-8"))
    out = []
    for name, row in data[tool].items():
        run = dict(row)
        surface, start = data["starts"][run.pop("at")] if "at" in run else (run.pop("surface"), run.pop("start"))
        out.append(case(name, surface, start, run.pop("steps"), **run))
    return out
