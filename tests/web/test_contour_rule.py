"""The contour rule is the server's: the studio's map, the lessons' maps and `optiviz`'s figure
draw the levels the grid answer prescribes (log levels for values spanning decades)."""

from __future__ import annotations

import math

import numpy as np

import optiviz
from tests.web.studio_helpers import api, settled


def _drawn_by_rule(grid):
    rule = grid["contour"]
    if not rule["log"]:
        return grid["z"]
    return [[None if v is None else math.log10(v - rule["zmin"] + rule["eps"]) for v in row] for row in grid["z"]]


def test_the_studio_draws_the_grid_answers_levels(watched, live_server):
    watched.goto(f"{live_server}/#s=rosenbrock")
    settled(watched)
    grid = api(live_server, "/api/v1/grid", {"surface": "rosenbrock", "n": 120})
    assert grid["contour"]["log"] is True  # Rosenbrock's values span decades
    drawn = watched.evaluate("() => document.getElementById('map-bg').data[0].z")
    assert drawn == _drawn_by_rule(grid)
    watched.select_option("#surface", "elongated_bowl")
    settled(watched)
    plain = api(live_server, "/api/v1/grid", {"surface": "elongated_bowl", "n": 120})
    assert plain["contour"] == {"log": False, "zmin": None, "eps": None}
    assert watched.evaluate("() => document.getElementById('map-bg').data[0].z") == plain["z"]
    assert watched.errors == []


def test_the_python_figure_draws_the_same_levels(live_server):
    client = optiviz.Client(live_server)
    for surface in ("rosenbrock", "elongated_bowl"):
        res = client.run(surface, [{"optimizer": "adam"}], steps=5)
        contour = res.figure(n=60).data[0]
        want = np.array(_drawn_by_rule(api(live_server, "/api/v1/grid", {"surface": surface, "n": 60})), dtype=float)
        # NumPy's log10 (SIMD) may differ from libm's in the last bit: the same levels to round-off
        np.testing.assert_allclose(np.asarray(contour.z, dtype=float), want, rtol=1e-14, err_msg=surface)
