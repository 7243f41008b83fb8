"""A lesson's legend is a toggle, as a Plotly legend is: a click hides the run it names on every
chart of the lesson (its path and end on its map, its loss and mini-batch loss, its rate) and
strikes the entry through; a second click shows it again. The compared map's run is its own."""

from __future__ import annotations

from pathlib import Path

from tests.web.test_lessons_page import ready, show

SHOTS = Path("/tmp/shots-lessons")

# per chart: the visibility of each trace that belongs to a run, as (answer, run, role, visible)
VISIBLE = """() => Object.fromEntries(['sc-map', 'sc-map2', 'sc-loss', 'sc-lr'].map((id) => {
  const div = document.getElementById(id);
  if (div.hidden || !div.data) return [id, []];
  return [id, div.data.filter((t) => t.meta && (t.meta.run ?? t.meta.end ?? t.meta.batchOf) !== undefined)
    .map((t) => [t.meta.answer ?? (id === 'sc-map2' ? 1 : 0), t.meta.run ?? t.meta.end ?? t.meta.batchOf,
      t.meta.end !== undefined ? 'end' : t.meta.batchOf !== undefined ? 'batch' : 'line', t.visible !== false])];
}))"""


def _hidden(state: dict) -> set[tuple[str, int, int, str]]:
    return {(chart, a, run, role) for chart, rows in state.items() for a, run, role, shown in rows if not shown}


def _entries(page) -> list[dict]:
    return page.evaluate("""() => [...document.querySelectorAll('#sc-legend li[data-run] button')]
        .map((b) => ({ text: b.textContent.trim(), pressed: b.getAttribute('aria-pressed') }))""")


def test_a_legend_entry_hides_and_shows_its_run_on_every_chart(watched, live_server):
    ready(watched, f"{live_server}/lessons")
    show(watched, "batch-vs-minibatch")  # mini-batch losses drawn faintly beside each run's loss
    assert _hidden(watched.evaluate(VISIBLE)) == set()
    buttons = watched.locator("#sc-legend li[data-run] button")
    assert buttons.count() == 4 and {e["pressed"] for e in _entries(watched)} == {"true"}
    buttons.nth(2).click()
    watched.wait_for_function("() => document.getElementById('sc-map').data.some((t) => t.visible === false)")
    hidden = _hidden(watched.evaluate(VISIBLE))
    assert {(c, role) for c, _, run, role in hidden} == {
        ("sc-map", "line"),
        ("sc-map", "end"),
        ("sc-loss", "line"),
        ("sc-loss", "batch"),
    }
    assert {run for _, _, run, _ in hidden} == {2}
    assert [e["pressed"] for e in _entries(watched)] == ["true", "true", "false", "true"]
    SHOTS.mkdir(exist_ok=True)
    watched.locator("#scenario").screenshot(path=str(SHOTS / "legend-hidden-run.png"))
    buttons.nth(0).click()  # a second run hidden too: both stay hidden
    watched.wait_for_function("() => document.querySelectorAll('#sc-legend button[aria-pressed=false]').length === 2")
    watched.wait_for_function(
        "() => document.getElementById('sc-loss').data.filter((t) => t.visible === false).length === 4"
    )
    assert {run for _, _, run, _ in _hidden(watched.evaluate(VISIBLE))} == {0, 2}
    buttons.nth(2).click()
    buttons.nth(0).click()
    watched.wait_for_function("() => !document.querySelector('#sc-legend button[aria-pressed=false]')")
    watched.wait_for_function(
        "() => ['sc-map', 'sc-loss'].every((id) => document.getElementById(id).data.every((t) => t.visible !== false))"
    )
    assert watched.errors == []


def test_the_compared_maps_run_is_its_own_entry(watched, live_server):
    ready(watched, f"{live_server}/lessons")
    show(watched, "input-normalization")  # raw inputs on one map, the standardized ones on a second
    buttons = watched.locator("#sc-legend li[data-run] button")
    assert buttons.count() == 2
    buttons.nth(1).click()
    watched.wait_for_function("() => document.getElementById('sc-map2').data.some((t) => t.visible === false)")
    hidden = _hidden(watched.evaluate(VISIBLE))
    assert hidden == {("sc-map2", 1, 0, "line"), ("sc-map2", 1, 0, "end"), ("sc-loss", 1, 0, "line")}
    buttons.nth(1).click()
    watched.wait_for_function("() => document.getElementById('sc-map2').data.every((t) => t.visible !== false)")
    assert _hidden(watched.evaluate(VISIBLE)) == set()
    assert watched.errors == []


def test_the_ewa_legend_hides_its_series(watched, live_server):
    ready(watched, f"{live_server}/lessons")
    show(watched, "ewa-bias-correction")
    first = watched.locator("#sc-legend li button").first
    first.click()
    watched.wait_for_function(
        "() => document.getElementById('sc-loss').data.filter((t) => t.visible === false).length === 1"
    )
    first.click()
    watched.wait_for_function("() => document.getElementById('sc-loss').data.every((t) => t.visible !== false)")
    assert watched.errors == []
