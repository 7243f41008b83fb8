"""What makes the studio fluid (issue 20, point 4), acted out: a slider drag and playback redraw the
paths and markers with Plotly.restyle, never a new figure and never the contour; what is drawn at
the end is exactly the server's last answer; the controls are on screen before Plotly has arrived.
The speed itself is measured by `python -m bench.browser` (a ratio to a baseline of the same run),
not here."""

from __future__ import annotations

from .studio_helpers import api_runs, drawn_paths, full_paths, ready, sent_request, settled

# Count the Plotly calls per element id (wrapping the global the studio calls at each use), and keep
# the contour trace drawn now, to tell later whether it was replaced.
WATCH = """() => {
  const calls = (window.__calls = {});
  for (const name of ['newPlot', 'react', 'restyle', 'update', 'relayout', 'extendTraces', 'animate', 'purge']) {
    const f = Plotly[name];
    Plotly[name] = function (gd, ...rest) {
      const key = `${name}:${typeof gd === 'string' ? gd : gd.id || gd.className}`;
      calls[key] = (calls[key] || 0) + 1;
      return f.call(this, gd, ...rest);
    };
  }
  window.__contour = document.getElementById('map-bg').data[0];
}"""
CALLS = "() => window.__calls"
SAME_CONTOUR = "() => document.getElementById('map-bg').data[0] === window.__contour"


def drag(page, run: int = 0, moves: int = 14) -> None:
    """Drag run `run`'s lr slider leftwards with the mouse, a move every 40 ms, as a hand does."""
    slider = page.locator(f'[data-run="{run}"] input[type=range][data-slider="lr"]')
    box = slider.bounding_box()
    y = box["y"] + box["height"] / 2
    page.mouse.move(box["x"] + box["width"] * 0.6, y)
    page.mouse.down()
    for k in range(moves):
        page.mouse.move(box["x"] + box["width"] * (0.6 - 0.02 * k), y)
        page.wait_for_timeout(40)
    page.mouse.up()


def test_slider_drag_restyles_the_paths_and_ends_on_the_last_answer(watched, live_server):
    watched.goto(live_server + "/")
    settled(watched)
    watched.evaluate(WATCH)
    watched.evaluate("""() => { window.__ends = []; const m = document.getElementById('map');
      m.on('plotly_afterplot', () => {
        const t = m.data.find(t => t.meta && t.meta.run === 0 && t.meta.role === 'path');
        if (t && t.x.length) window.__ends.push(t.x[t.x.length - 1]);
      }); }""")
    lr0 = sent_request(watched)["runs"][0]["params"]["lr"]
    drag(watched)
    settled(watched)
    calls = watched.evaluate(CALLS)
    # the answers of the drag were drawn as they came (several different paths), each by a restyle
    # of the drawn traces: no new figure on the paths' layer, the contour below never touched
    assert len(set(watched.evaluate("window.__ends"))) >= 3
    assert calls.get("restyle:map", 0) >= 3
    assert calls.get("react:map", 0) == 0 and calls.get("newPlot:map", 0) == 0
    assert not any(k.endswith(":map-bg") for k in calls)
    assert watched.evaluate(SAME_CONTOUR)
    # no stale drawing: the paths on screen are the server's answer to the last slider position
    request = sent_request(watched)
    assert request["runs"][0]["params"]["lr"] < lr0
    answer = api_runs(live_server, request)
    drawn = drawn_paths(watched)
    assert sorted(drawn) == list(range(len(answer)))
    for i, run in enumerate(answer):
        assert drawn[i] == (run["x"], run["y"])
    # the run's label (its α) followed the slider on the map too (a restyle of the trace's name)
    name = watched.evaluate(
        "() => document.getElementById('map').data.find(t => t.meta && t.meta.run === 0 && t.meta.role === 'path').name"
    )
    assert watched.locator('[data-legend="0"]').inner_text().strip() == name
    assert watched.errors == [] and watched.foreign == []


def test_playback_restyles_and_ends_on_the_exact_last_point(watched, live_server):
    watched.goto(live_server + "/#n=300")
    settled(watched)
    watched.evaluate(WATCH)
    # the normal speed: the run plays over ~5 s, so a loaded machine (CI's 4 workers with browsers,
    # 250 ms frames) still draws well over 10 frames; at 4× speed it once drew 6 there
    watched.evaluate("() => { window.optiviz.player.speed = 1; }")
    watched.click("#play")  # at the end: replays from iteration 0
    watched.wait_for_function("() => window.optiviz.player.playing")
    watched.wait_for_function("() => !window.optiviz.player.playing", timeout=30000)
    ready(watched)
    calls = watched.evaluate(CALLS)
    # every frame was a restyle of the paths' layer (many of them), no new figure, no contour, and the
    # charts were not redrawn for their cursor either
    assert calls.get("restyle:map", 0) >= 10
    assert calls.get("react:map", 0) == 0 and calls.get("newPlot:map", 0) == 0
    assert not any(k.endswith(":map-bg") for k in calls)
    assert calls.get("react:charts", 0) == 0 and calls.get("relayout:charts", 0) == 0
    assert watched.evaluate(SAME_CONTOUR)
    # it ends on the exact last point: whole paths, each run's current point at its last point
    assert watched.evaluate("window.optiviz.player.it") == 300
    full = full_paths(watched)
    drawn = drawn_paths(watched)
    for i, (x, y) in enumerate(full):
        assert drawn[i] == (x, y)
    marks = watched.evaluate(
        "() => { const t = document.getElementById('map').data.find(t => t.meta && t.meta.role === 'marks');"
        " return t.x.map((x, k) => [x, t.y[k], t.marker.symbol[k], t.marker.size[k]]); }"
    )
    heads = {(x, y) for x, y, symbol, size in marks if symbol == "circle" and size == 11}
    assert heads == {(x[-1], y[-1]) for x, y in full}
    # the charts' cursor sits at the last iteration
    cursor = watched.evaluate("() => document.getElementById('charts').layout.shapes.map(s => s.x0)")
    assert cursor == [300, 300, 300]
    assert watched.errors == [] and watched.foreign == []


def test_playback_frame_moves_the_chart_cursor_where_plotly_draws_it(watched, live_server):
    """The cursor moved without a Plotly call is where Plotly itself would draw it."""
    watched.goto(live_server + "/#n=300")
    settled(watched)
    watched.evaluate("() => window.optiviz.player.seek(120)")
    watched.wait_for_function("() => document.getElementById('charts').layout.shapes[0].x0 === 120")
    moved = watched.evaluate(
        "() => [...document.querySelectorAll('#charts .shapelayer path[data-index]')]"
        ".map(p => p.getBoundingClientRect().x)"
    )
    watched.evaluate("() => Plotly.relayout(document.getElementById('charts'), {})")  # Plotly draws them anew
    redrawn = watched.evaluate(
        "() => [...document.querySelectorAll('#charts .shapelayer path[data-index]')]"
        ".map(p => p.getBoundingClientRect().x)"
    )
    assert len(moved) == 3 and all(abs(a - b) < 0.6 for a, b in zip(moved, redrawn, strict=True))


def test_controls_are_drawn_before_plotly_arrives(watched, live_server):
    held = []
    watched.route("**/static/vendor/plotly.min.js", lambda route: held.append(route))
    watched.goto(live_server + "/")
    # Plotly held back: the page is usable, its controls filled from the catalogue
    watched.wait_for_function(
        "() => document.getElementById('surface').options.length > 0"
        " && document.querySelectorAll('#runs [data-run]').length > 0"
    )
    assert watched.evaluate("() => window.Plotly === undefined")
    assert watched.locator("#play").is_visible() and watched.locator("#surface").is_visible()
    # the opening race's request went out before Plotly ran
    watched.wait_for_function(
        "() => performance.getEntriesByType('resource').some(e => e.name.includes('trajectories/stream'))"
    )
    assert held, "the page asked for Plotly"
    for route in held:
        route.continue_()
    settled(watched)
    assert len(drawn_paths(watched)) == 4
    assert watched.errors == [] and watched.foreign == []
