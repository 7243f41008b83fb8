"""L-BFGS in the studio: its loss evaluations drawn as markers along its path (growing with
playback), counted in the run card, and its step inspector lines; damped Newton alongside."""

from __future__ import annotations

import json
import urllib.parse

from tests.web.conftest import ARTIFACTS
from tests.web.studio_helpers import api_runs, settled

RUNS = [
    {"o": "lbfgs", "p": {"lr": 1.0, "max_iter": 2}},
    {"o": "newton", "p": {"lr": 0.5, "damping": 0.1}},
    {"o": "adam", "p": {"lr": 0.05}},
]
EVALS = (
    "() => document.getElementById('map').data.filter(t => t.meta && t.meta.role === 'evals')"
    ".map(t => [t.meta.run, Array.from(t.x), Array.from(t.y), t.mode, t.marker.size])"
)


def _open(page, base, lang="en"):
    page.goto(base + f"/#s=rosenbrock&n=40&lang={lang}&r={urllib.parse.quote(json.dumps(RUNS))}")
    settled(page)


def test_lbfgs_evaluations_are_drawn_counted_and_follow_playback(watched, live_server) -> None:
    page = watched
    _open(page, live_server)
    request = page.evaluate("() => window.optiviz.model.result.request")
    ev = api_runs(live_server, request)[0]["evals"]
    drawn = page.evaluate(EVALS)
    assert len(drawn) == 1  # L-BFGS only: Newton evaluates once per step, at the path's own points
    run, xs, ys, mode, size = drawn[0]
    assert run == 0 and mode == "markers" and size < 8  # small markers; the path stays a line
    assert (xs, ys) == (ev["x"], ev["y"])
    assert len(xs) > 40  # several evaluations per step
    hover = page.evaluate(
        "() => document.getElementById('map').data.find(t => t.meta && t.meta.role === 'evals').hovertemplate"
    )
    assert "loss evaluation of step %{customdata[0]}" in hover and "%{customdata[1]" in hover
    status = page.locator("[data-status='0']").inner_text()
    assert f"{len(ev['x'])} function evaluations" in status
    assert "function evaluations" not in page.locator("[data-status='1']").inner_text()
    assert f"{len(ev['x'])} function evaluations" in page.locator("#summary-body").inner_text()
    page.locator("#map-wrap").screenshot(path=str(ARTIFACTS / "studio-lbfgs-rosenbrock-map.png"))
    page.screenshot(path=str(ARTIFACTS / "studio-lbfgs-rosenbrock.png"), full_page=True)
    # scrubbed back to point 5: the evaluations of updates 0..4 only
    page.locator("#scrub").fill("5")
    want = sum(1 for s in ev["step"] if s < 5)
    page.wait_for_function(
        f"() => document.getElementById('map').data.find(t => t.meta && t.meta.role === 'evals').x.length === {want}"
    )
    page.keyboard.press("ArrowRight")
    want6 = sum(1 for s in ev["step"] if s < 6)
    page.wait_for_function(
        f"() => document.getElementById('map').data.find(t => t.meta && t.meta.role === 'evals').x.length === {want6}"
    )
    # the 3D view: the same evaluations (those inside the display range) on the surface
    page.locator("#scrub").fill("40")
    page.evaluate("() => document.getElementById('view-3d').click()")
    inside = sum(
        1 for x, y in zip(ev["x"], ev["y"], strict=True) if -2 <= x <= 2 and -1 <= y <= 3
    )  # Rosenbrock's range
    page.wait_for_function(
        "() => { const d = document.getElementById('map3d'); const t = d.data && d.data.find("
        f"t => t.meta && t.meta.role === 'evals'); return t && t.x.length === {inside}; }}",
        timeout=20000,
    )
    assert page.errors == [] and page.foreign == []


def test_lbfgs_inspector_and_chinese_run_card(watched, live_server) -> None:
    page = watched
    _open(page, live_server, "zh")
    assert "次函数求值" in page.locator("[data-status='0']").inner_text()
    page.locator("#scrub").fill("3")
    page.select_option("#inspect-run", "0")
    page.wait_for_function(
        "() => { const b = document.getElementById('inspector'); return b.dataset.ready === '1' "
        "&& b.dataset.run === '0' && b.dataset.t === '3'; }",
        timeout=20000,
    )
    data = page.evaluate("() => window.optiviz.inspected")
    lines = {line["symbol"]: (line["x"], line["y"]) for line in data["lines"]}
    ev = page.evaluate("() => window.optiviz.model.result.runs[0].evals.step")
    assert lines["evals"] == (ev.count(3), None) and {"g", "k", "d", "t", "Δθ"} <= set(lines)
    st = page.evaluate("() => window.optiviz.model.result.runs[0].state")
    assert lines["H̃g"] == (st["mx"][3], st["my"][3])
    assert page.locator("#inspect-body tr").count() == len(data["lines"])
    page.select_option("#inspect-run", "1")
    page.wait_for_function(
        "() => document.getElementById('inspector').dataset.run === '1' && window.optiviz.inspected.run === 1",
        timeout=20000,
    )
    assert {"H₁", "H₂", "μ", "d"} <= {line["symbol"] for line in page.evaluate("() => window.optiviz.inspected.lines")}
    page.locator("#inspector").scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "studio-lbfgs-inspector-zh.png"))
    assert page.errors == [] and page.foreign == []


def test_switching_a_run_to_lbfgs_in_the_sidebar_counts_its_evaluations(watched, live_server) -> None:
    """The card's status follows the new answer even when it has as many events as the old one."""
    page = watched
    page.goto(live_server + "/#s=rosenbrock")
    settled(page)
    page.locator("#runs select").first.select_option("lbfgs")
    page.wait_for_function(
        "() => { const r = window.optiviz.model.result; return r && r.done && r.request.runs[0].optimizer === 'lbfgs'"
        " && document.body.dataset.ready === '1'; }",
        timeout=30000,
    )
    n = page.evaluate("() => window.optiviz.model.result.runs[0].evals.x.length")
    page.wait_for_function(
        f"() => document.querySelector(\"[data-status='0']\").textContent.includes('{n} function evaluations')"
    )
    assert (
        page.locator("[data-status='0'] + *, [data-status='1']").first.inner_text().count("function evaluations") == 0
    )
    assert page.evaluate(EVALS)[0][0] == 0
    assert page.errors == [] and page.foreign == []
