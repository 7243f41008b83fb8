"""The studio's permalink scheme, written once: the keys of its URL hash
(``#s=rosenbrock&n=300&r=[{"o": "adam", "p": {"lr": 0.1}}]``).

``GET /api/v1/permalink`` serves them to the front end (static/js/state.js reads and writes the hash
with them); ``optiviz``'s ``studio_url`` writes its links with them. A key never changes once
published: old links must keep opening (add a key, never rename one).
"""

from __future__ import annotations

# the studio's state → its key in the hash
STATE_KEYS: dict[str, str] = {
    "surface": "s",
    "expr": "f",
    "xr": "xr",
    "yr": "yr",
    "start": "p",
    "steps": "n",
    "seed": "seed",
    "tolerance": "tol",
    "view": "v",
    "threeD": "3d",
    "arrows": "ar",
    "equal": "eq",
    "lang": "lang",
    "runs": "r",
    "it": "it",  # the scrubbed iteration (absent: the end of the runs)
}

# a run of the state's `runs` → its key in the run's JSON object
RUN_KEYS: dict[str, str] = {
    "optimizer": "o",
    "params": "p",
    "color": "c",
    "schedule": "s",
    "batch_size": "b",
    "noise_std": "z",
    "label": "l",
    "hidden": "h",
    # an optimizer chain's later links (its switches): [{"milestone": k | "rule": "swats", "optimizer", "params"}]
    "links": "w",
}
