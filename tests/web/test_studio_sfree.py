"""Schedule-Free AdamW in the studio: its average x and its sequence z drawn beside the path y
(thin, dashed, legend-labelled), equal to the API's numbers; the inspector's lines for it and for
the Polyak step size."""

from __future__ import annotations

import json
import urllib.parse

from tests.web.conftest import ARTIFACTS
from tests.web.studio_helpers import settled
from tests.web.test_studio_inspector import _check

RUNS = [
    {"o": "schedule_free_adamw", "p": {"lr": 0.1, "beta1": 0.9}},  # the permalink's short keys
    {"o": "polyak_sgd", "p": {"lr": 1.0, "max_learning_rate": 0.002}},
]
COMPANIONS = (
    "() => document.getElementById('map').data.filter(t => t.meta && (t.meta.role === 'avg' || t.meta.role === 'z'))"
    ".map(t => [t.meta.run, t.meta.role, Array.from(t.x), Array.from(t.y), t.line.dash, t.line.width])"
)


def test_schedule_free_draws_x_and_z_and_both_inspect(watched, live_server) -> None:
    page = watched
    page.set_viewport_size({"width": 1400, "height": 1000})
    page.goto(live_server + f"/#s=rosenbrock&r={urllib.parse.quote(json.dumps(RUNS))}")
    settled(page)
    d = page.evaluate("() => window.optiviz.model.result.runs[0]")
    drawn = {(run, role): (x, y, dash, width) for run, role, x, y, dash, width in page.evaluate(COMPANIONS)}
    assert set(drawn) == {(0, "avg"), (0, "z")}  # Polyak has no companions
    x, y, dash, width = drawn[(0, "avg")]
    assert dash == "solid" and width < 2
    assert len(x) == len(d["x"]) and x[0] == d["x"][0] and x[1:] == d["state"]["mx"] and y[1:] == d["state"]["my"]
    zx, _zy, dash, _ = drawn[(0, "z")]
    assert dash == "dash" and len(zx) == len(d["x"])
    for t in (1, 50, len(zx) - 1):  # y = β₁x + (1 − β₁)z
        assert abs(0.9 * x[t] + 0.1 * zx[t] - d["x"][t]) <= 1e-12 * max(1.0, abs(d["x"][t]))
    legend = page.text_content("#legend")
    assert "Schedule-Free AdamW α=0.1: average" in legend and "z (AdamW sequence)" in legend
    # no "−v" arrow for a run whose internals are points
    notes = page.evaluate("() => (document.getElementById('map').layout.annotations || []).map(a => a.text)")
    assert "−v" not in notes
    page.locator("#map-wrap").screenshot(path=str(ARTIFACTS / "studio_sfree_map.png"))

    page.locator("#scrub").fill("40")
    data = _check(page, 0, 40)
    assert "average (" in page.text_content("#internals-body")  # not read as a velocity
    assert {"ν", "ν̂", "αᵢ", "z", "cₜ", "x′", "y", "Δθ"} <= {line["symbol"] for line in data["lines"]}
    page.locator("#inspector").scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "studio_inspector_sfree.png"))
    page.select_option("#inspect-run", "1")
    data = _check(page, 1, 40)
    assert {"f − f*", "‖sg‖²", "γ", "αᵢ", "Δθ"} <= {line["symbol"] for line in data["lines"]}
    page.locator("#inspector").scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "studio_inspector_polyak.png"))
    assert page.errors == [] and page.foreign == []


def test_companions_legend_in_chinese(watched, live_server) -> None:
    page = watched
    page.goto(live_server + f"/?lang=zh#s=rosenbrock&r={urllib.parse.quote(json.dumps(RUNS[:1]))}")
    settled(page)
    assert "平均点" in page.text_content("#legend")
    assert page.errors == [] and page.foreign == []
