"""Schedules that read the run, in the studio: ReduceLROnPlateau's cuts on the lr chart, OneCycleLR's
momentum on a right axis, a SequentialLR chain made with the controls, and the gradient-noise
ellipse of every visible run on a data set."""

from __future__ import annotations

import json
import urllib.parse

from tests.web.conftest import ARTIFACTS
from tests.web.studio_helpers import api_runs, sent_request, settled


def _link(surface: str, runs: list[dict], extra: str = "") -> str:
    return f"/#s={surface}&n=300{extra}&r={urllib.parse.quote(json.dumps(runs))}"


def test_plateau_cuts_and_cycled_momentum_are_drawn(watched, live_server) -> None:
    page = watched
    runs = [
        {
            "o": "adam",
            "p": {"lr": 0.3},
            "s": {"name": "reduce_on_plateau", "params": {"patience": 3, "factor": 0.5, "threshold": 0.001}},
        },
        {
            "o": "sgd",
            "p": {"lr": 0.005, "momentum": 0.9},
            "s": {"name": "one_cycle", "params": {"total_steps": 300, "cycle_momentum": True}},
        },
    ]
    page.goto(live_server + _link("himmelblau", runs, "&p=-0.3,-0.9"))
    settled(page)
    want = api_runs(live_server, sent_request(page))
    assert len(set(want[0]["lr"])) > 3 and "momentum" in want[1]
    charts = page.evaluate("""() => document.getElementById('charts').data
        .filter(t => t.yaxis === 'y2' || t.yaxis === 'y4').map(t => [t.yaxis, Array.from(t.y)])""")
    lr_lines = [y for axis, y in charts if axis == "y2"]
    mom_lines = [y for axis, y in charts if axis == "y4"]
    assert len(lr_lines) == 2 and len(mom_lines) == 1  # the momentum of the cycled run only
    assert len(set(lr_lines[0])) > 3  # the cuts: a staircase
    assert min(mom_lines[0]) < 0.86 and max(mom_lines[0]) > 0.94
    layout = page.evaluate(
        "() => { const l = document.getElementById('charts').layout; "
        "return [l.yaxis4.overlaying, l.yaxis4.side, l.annotations.map(a => a.text)]; }"
    )
    assert layout[0] == "y2" and layout[1] == "right" and any("momentum" in a for a in layout[2])
    page.locator("#charts").scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "studio_plateau_momentum.png"))
    assert page.errors == [] and page.foreign == []


def test_chain_made_with_the_controls(watched, live_server) -> None:
    page = watched
    runs = [
        {"o": "adam", "p": {"lr": 0.05}, "s": {"name": "linear", "params": {"start_factor": 0.1, "total_iters": 30}}}
    ]
    page.goto(live_server + _link("rosenbrock", runs, "&p=-1.2,1"))
    settled(page)
    page.click('button[data-action="chain-add"][data-run="0"]')
    page.wait_for_function(
        "() => (window.optiviz.model.result.request.runs[0].schedule.chain || []).length === 1"
        " && document.body.dataset.ready === '1'",
        timeout=20000,
    )
    page.fill("#run0-c0-milestone", "30")
    page.locator("#run0-c0-milestone").dispatch_event("input")
    page.select_option("#run0-c0", "exponential")
    page.wait_for_function(
        "() => { const c = window.optiviz.model.result.request.runs[0].schedule.chain; "
        "return c && c[0].name === 'exponential' && c[0].milestone === 30; }",
        timeout=20000,
    )
    settled(page)
    req = sent_request(page)
    assert req["runs"][0]["schedule"]["chain"] == [{"milestone": 30, "name": "exponential", "params": {}}]
    want = api_runs(live_server, req)[0]["lr"]
    drawn = page.evaluate("() => window.optiviz.model.result.runs[0].lr")
    assert drawn == want and drawn[29] == 0.05 * (0.1 + 0.9 * 29 / 30) and drawn[30] == 0.05
    summary = page.inner_text('[data-run="0"] .sched summary')
    assert "→" in summary and "@30" in summary
    page.locator('[data-run="0"] .sched').scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "studio_chain_controls.png"))
    page.click('button[data-action="chain-remove"][data-run="0"]')
    page.wait_for_function("() => !window.optiviz.model.result.request.runs[0].schedule.chain", timeout=20000)
    assert page.errors == [] and page.foreign == []


def test_noise_ellipse_for_every_visible_run(watched, live_server) -> None:
    page = watched
    page.goto(live_server + "/#s=linear_regression")
    settled(page)
    runs = page.evaluate("() => window.optiviz.model.result.request.runs")
    colors = page.evaluate(
        "() => window.optiviz.model.result.runs.map((_, i) => window.optiviz.look?.runs?.[i]?.color)"
    )
    page.check("#curv-show")
    page.wait_for_function(
        "() => window.optiviz.noises && (document.getElementById('map').layout.shapes || [])"
        ".filter(s => (s.name || '').startsWith('noise-')).length > 0",
        timeout=20000,
    )
    shapes = page.evaluate(
        "() => document.getElementById('map').layout.shapes.filter(s => (s.name || '').startsWith('noise-'))"
        ".map(s => [s.name, s.line.color, s.line.dash])"
    )
    noises = page.evaluate("() => window.optiviz.noises")
    minis = [i for i, r in enumerate(runs) if r.get("batch_size", 1000) < 1000]
    assert sorted(n["run"] for n in noises) == list(range(len(runs)))  # asked for every visible run
    assert sorted(int(name.split("-")[1]) for name, _, _ in shapes) == minis  # drawn where there is noise
    for name, color, _ in shapes:
        i = int(name.split("-")[1])
        assert color.lower() == next(n["color"] for n in noises if n["run"] == i).lower()
        if colors[i]:
            assert color.lower() == colors[i].lower()
    assert len({(c, d) for _, c, d in shapes}) == len(shapes)  # each in its colour, and dash within one colour
    # scrubbing moves every ellipse
    before = page.evaluate("() => window.optiviz.noises.map(n => n.center)")
    page.evaluate("() => window.optiviz.player.seek(8)")
    page.wait_for_function(
        f"() => JSON.stringify(window.optiviz.noises.map(n => n.center)) !== {json.dumps(json.dumps(before))}"
        " && (document.getElementById('map').layout.shapes || []).filter(s => (s.name || '').startsWith('noise-'))"
        ".length === 3",
        timeout=20000,
    )
    page.locator("#map").scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "studio_noise_every_run.png"))
    assert page.errors == [] and page.foreign == []


def test_schedule_controls_in_chinese(watched, live_server) -> None:
    page = watched
    runs = [
        {
            "o": "adam",
            "p": {"lr": 0.05},
            "s": {
                "name": "linear",
                "params": {"start_factor": 0.1, "total_iters": 30},
                "chain": [{"milestone": 30, "name": "cosine", "params": {"t_max": 270}}],
            },
        },
        {"o": "adam", "p": {"lr": 0.3}, "s": {"name": "reduce_on_plateau", "params": {"patience": 3}}},
    ]
    page.goto(live_server + "/?lang=zh" + _link("rosenbrock", runs, "&p=-1.2,1")[1:])
    settled(page)
    assert page.inner_text('button[data-action="chain-add"][data-run="0"]') == "+ 之后接另一个调度"
    assert "然后" in page.inner_text('[data-run="0"] .chain-link')
    assert "scheduler.step(loss)" in page.inner_text('[data-run="1"] .sched .hint')
    assert "平台期降低" in page.inner_text('[data-run="1"] .sched summary')
    page.locator('[data-run="1"] .sched').scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "studio_schedules_zh.png"), full_page=False)
    assert page.errors == [] and page.foreign == []
