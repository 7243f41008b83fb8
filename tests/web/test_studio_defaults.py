"""Defaults that do not mislead, in the studio: a schedule's length follows the run's steps until the
user types their own, "Custom formula…" opens on runs that converge, and a switched or added run
takes the rate measured for its optimizer on this surface."""

from __future__ import annotations

from pathlib import Path

from tests.web.studio_helpers import api, sent_request, settled

SHOTS = Path("/tmp/shots-defaults")

LAST_LR = "() => { const l = window.optiviz.model.result.runs[0].lr; return [l.length, l[l.length - 1], l[0]]; }"
DRAWN_LR = "() => Array.from(document.getElementById('charts').data.filter(t => t.yaxis === 'y2')[0].y)"


def _shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def _sent(page, js: str, timeout: int = 30000) -> None:
    """Wait until the request drawn answers `js` (on the sent request `r`), and it is drawn."""
    page.wait_for_function(
        f"() => {{ const m = window.optiviz.model.result; const r = m && m.request; return !!r && ({js}); }}",
        timeout=timeout,
    )
    settled(page)


def _steps(page, n: int) -> None:
    page.fill("#steps", str(n))
    _sent(page, f"r.steps === {n}")


def test_cosine_length_follows_the_steps_until_typed(watched, live_server) -> None:
    page = watched
    page.goto(live_server + "/")
    settled(page)
    assert page.evaluate("window.optiviz.state.steps") == 300
    page.locator('[data-run="0"] details.sched').evaluate("d => d.open = true")
    page.select_option("#run0-sched", "cosine")
    _sent(page, "r.runs[0].schedule && r.runs[0].schedule.name === 'cosine'")
    assert page.input_value("#run0-s-t_max") == "300"
    assert sent_request(page)["runs"][0]["schedule"]["params"]["t_max"] == 300
    n, last, first = page.evaluate(LAST_LR)
    drawn = page.evaluate(DRAWN_LR)
    assert n == 300 and drawn[-1] == last and drawn[0] == first
    assert last < 1e-4 * first  # the drawn rate ends at η_min = 0 (at 1,000 steps it ended at 83 % of α)
    _shot(page, "cosine_follows_300")

    _steps(page, 500)  # T follows the steps
    assert page.input_value("#run0-s-t_max") == "500"
    assert sent_request(page)["runs"][0]["schedule"]["params"]["t_max"] == 500
    n, last, first = page.evaluate(LAST_LR)
    assert n == 500 and last < 1e-4 * first

    page.fill("#run0-s-t_max", "200")  # typed: the user's own
    _sent(page, "r.runs[0].schedule.params.t_max === 200")
    _steps(page, 400)
    assert page.input_value("#run0-s-t_max") == "200"
    assert sent_request(page)["runs"][0]["schedule"]["params"]["t_max"] == 200
    assert page.errors == []


def test_one_cycle_and_milestones_follow_the_steps(watched, live_server) -> None:
    page = watched
    page.goto(live_server + "/#s=round_bowl&n=200")
    settled(page)
    page.locator('[data-run="0"] details.sched').evaluate("d => d.open = true")
    page.select_option("#run0-sched", "one_cycle")
    _sent(page, "r.runs[0].schedule && r.runs[0].schedule.name === 'one_cycle'")
    assert page.input_value("#run0-s-total_steps") == "200"
    n, last, first = page.evaluate(LAST_LR)
    lr = page.evaluate("() => window.optiviz.model.result.runs[0].lr")
    assert n == 200 and max(lr) == lr[59]  # it ramps up over 30 % of the run, then anneals far below the start
    assert last < first / 1000
    page.locator('[data-run="1"] details.sched').evaluate("d => d.open = true")
    page.select_option("#run1-sched", "multistep")
    _sent(page, "r.runs[1].schedule && r.runs[1].schedule.name === 'multistep'")
    assert page.input_value("#run1-s-milestones") == "50, 100, 150"
    _steps(page, 400)
    assert page.input_value("#run1-s-milestones") == "100, 200, 300"
    assert page.input_value("#run0-s-total_steps") == "400"
    assert page.errors == []


def test_custom_formula_opens_on_runs_that_converge(watched, live_server) -> None:
    page = watched
    page.goto(live_server + "/#s=custom")  # a link to the formula without runs
    settled(page)
    assert all(s != "diverged" for s in page.evaluate("() => window.optiviz.model.result.runs.map(r => r.status)"))
    page.goto(live_server + "/")
    settled(page)
    page.select_option("#surface", "custom")
    _sent(page, "typeof r.surface === 'object'")
    custom = api(live_server, "/api/v1/surfaces/custom")
    assert page.input_value("#formula") == custom["expression"]
    runs = page.evaluate(
        "() => window.optiviz.model.result.runs.map(r => [r.status, r.loss[0], r.loss[r.loss.length - 1]])"
    )
    assert len(runs) == len(custom["default_runs"]) >= 2
    for status, start, final in runs:
        assert status != "diverged" and final < 1e-3 * start  # visibly converged
    assert [r["params"]["lr"] for r in sent_request(page)["runs"]] == [
        r["params"]["lr"] for r in custom["default_runs"]
    ]
    _shot(page, "custom_converges")
    assert page.errors == []


def test_switch_and_add_take_the_suggested_rate(watched, live_server) -> None:
    page = watched
    surfaces = {s["id"]: s for s in api(live_server, "/api/v1/surfaces")}
    suggested = surfaces["rosenbrock"]["suggested_lr"]
    page.goto(live_server + "/#s=rosenbrock")
    settled(page)
    assert page.evaluate("window.optiviz.state.runs[0].optimizer") == "gd"
    page.select_option('[data-run="0"] select.opt-select', "lbfgs")
    _sent(page, "r.runs[0].optimizer === 'lbfgs'")
    assert float(page.input_value("#run0-lr")) == suggested["lbfgs"]
    status, start, final = page.evaluate(
        "() => { const r = window.optiviz.model.result.runs[0];"
        " return [r.status, r.loss[0], r.loss[r.loss.length - 1]]; }"
    )
    assert status != "diverged" and final < 1e-6 * start
    hint = page.inner_text('[data-suggested="0"]')
    assert "L-BFGS" in hint and "α = 1" in hint
    _shot(page, "switch_to_lbfgs")

    before = page.evaluate("window.optiviz.state.runs.length")
    page.click("#add-run")
    _sent(page, f"r.runs.length === {before + 1}")
    added = page.evaluate("window.optiviz.state.runs[window.optiviz.state.runs.length - 1]")
    assert added["params"]["lr"] == suggested[added["optimizer"]]
    assert float(page.input_value(f"#run{before}-lr")) == suggested[added["optimizer"]]
    assert page.errors == []
