"""The studio as a visitor meets it, in headless Chromium."""

import time

from tests.web.conftest import ARTIFACTS

PATHS = "() => document.getElementById('map').data.filter(t => t.meta && t.meta.role === 'path').map(t => [Array.from(t.x), Array.from(t.y)])"


def ready(page, timeout=15000):
    page.wait_for_function("() => document.body.dataset.ready === '1'", timeout=timeout)


def paths(page):
    return page.evaluate(PATHS)


def full_paths(page):
    return page.evaluate("() => window.optiviz.model.result.map(r => [r.x, r.y])")


def test_loads_and_races_without_a_click(watched, live_server):
    t0 = time.perf_counter()
    watched.goto(live_server + "/")
    watched.wait_for_function(
        "() => { const m = document.getElementById('map'); return m.data && m.data.some(t => t.meta && t.x.length > 1); }",
        timeout=15000)
    first = time.perf_counter() - t0
    ready(watched)
    drawn = paths(watched)
    assert len(drawn) >= 3 and all(len(x) >= 1 for x, _ in drawn)
    watched.wait_for_timeout(300)
    assert max(len(x) for x, _ in paths(watched)) > 1
    assert watched.errors == [] and watched.foreign == []
    watched.screenshot(path=str(ARTIFACTS / "studio-default.png"))
    print(f"\npage load → first trajectory drawn: {first * 1000:.0f} ms")


def test_hyperparameter_change_redraws(watched, live_server):
    watched.goto(live_server + "/#n=1000")
    ready(watched)
    watched.wait_for_function("() => !window.optiviz.player.playing", timeout=20000)  # the opening race is over
    watched.wait_for_timeout(300)
    before = full_paths(watched)
    watched.evaluate("() => { document.body.dataset.ready = ''; }")
    t0 = time.perf_counter()
    field = watched.locator('[data-run="0"] input[data-param="lr"]')
    field.fill("0.1")
    ready(watched)
    # the drawn path of run 0 is the new trajectory, to its last point
    watched.wait_for_function("""() => { const r = window.optiviz.model.result[0];
      const t = document.getElementById('map').data.find(t => t.meta && t.meta.run === 0 && t.meta.role === 'path');
      return r.done && t && t.x.length === r.x.length && t.x[t.x.length - 1] === r.x[r.x.length - 1]; }""")
    dt = time.perf_counter() - t0
    after = full_paths(watched)
    assert after[0] != before[0] and after[1] == before[1]
    assert watched.evaluate("location.hash").count("0.1") >= 1
    assert watched.errors == []
    print(f"\nhyperparameter change → updated trace (150 ms debounce included): {dt * 1000:.0f} ms")


def test_click_on_map_moves_the_start(watched, live_server):
    watched.goto(live_server + "/")
    ready(watched)
    start = full_paths(watched)[0]
    box = watched.locator("#map .nsewdrag").first.bounding_box()
    watched.evaluate("() => { document.body.dataset.ready = ''; }")
    watched.mouse.click(box["x"] + box["width"] * 0.75, box["y"] + box["height"] * 0.25)
    ready(watched)
    moved = full_paths(watched)[0]
    assert (moved[0][0], moved[1][0]) != (start[0][0], start[1][0])
    assert moved[0][0] > 0 and moved[1][0] > 0  # right half, upper half of a symmetric range


def test_formula_errors_in_place_and_good_formula_draws(watched, live_server):
    watched.goto(live_server + "/")
    ready(watched)
    watched.select_option("#surface", "custom")
    ready(watched)
    watched.fill("#formula", "x^2 + 10*z")
    watched.wait_for_function("() => document.getElementById('formula-error').textContent.length > 0")
    msg = watched.text_content("#formula-error")
    assert "'z'" in msg and "column" in msg
    watched.evaluate("() => { document.body.dataset.ready = ''; }")
    watched.fill("#formula", "x^2 + 3*sin(y)^2")
    watched.wait_for_function("() => document.getElementById('formula-error').textContent === ''")
    ready(watched)
    assert watched.evaluate("window.optiviz.model.surfaceKey").startswith("custom:x^2 + 3*sin(y)^2")
    contour = watched.evaluate("() => document.getElementById('map-bg').data[0]")
    assert contour["type"] == "contour" and len(contour["z"]) == 120
    assert watched.errors == []


def test_permalink_restores_the_comparison(watched, live_server, context):
    watched.goto(live_server + "/")
    ready(watched)
    watched.select_option('[data-run="2"] .opt-select', "adagrad")
    ready(watched)
    watched.locator('[data-run="0"] input[data-param="lr"]').fill("0.2")
    watched.wait_for_timeout(400)
    ready(watched)
    url = watched.url
    want = full_paths(watched)
    fresh = context.new_page()
    fresh.goto(url)
    ready(fresh)
    assert fresh.evaluate("window.optiviz.state.runs.map(r => r.optimizer)") == ["gd", "momentum", "adagrad", "adam"]
    assert full_paths(fresh) == want


def test_back_and_forward(watched, live_server):
    watched.goto(live_server + "/")
    ready(watched)
    watched.select_option("#surface", "rosenbrock")
    ready(watched)
    watched.go_back()
    watched.wait_for_function("() => window.optiviz.state.surface === 'elongated_bowl'")
    watched.go_forward()
    watched.wait_for_function("() => window.optiviz.state.surface === 'rosenbrock'")


def test_stream_grows_and_pause_stops_playback(watched, live_server):
    watched.goto(live_server + "/#n=3000")
    watched.wait_for_function("() => window.optiviz.player !== null")
    watched.evaluate("() => { window.optiviz.player.speed = 0.1; }")  # a 50 s playback: still going when we pause
    watched.wait_for_function("() => { const m = document.getElementById('map'); return m.data && m.data.length > 1; }")
    lengths = []
    for _ in range(8):
        lengths.append(max([len(x) for x, _ in paths(watched)] or [0]))
        watched.wait_for_timeout(120)
    assert lengths[-1] > lengths[0]  # the drawn paths grow over time
    assert watched.evaluate("() => window.optiviz.player.playing")
    watched.click("#play")  # pause
    watched.wait_for_timeout(500)  # the last frame in the render queue lands
    it = watched.evaluate("window.optiviz.player.it")
    shown = max(len(x) for x, _ in paths(watched))
    watched.wait_for_timeout(600)
    assert watched.evaluate("window.optiviz.player.it") == it
    assert max(len(x) for x, _ in paths(watched)) == shown
    watched.keyboard.press("ArrowRight")
    assert watched.evaluate("window.optiviz.player.it") == it + 1


def test_small_multiples_and_3d_screenshots(watched, live_server):
    watched.goto(live_server + "/#s=himmelblau")
    ready(watched)
    watched.wait_for_timeout(1500)
    watched.check("#view-multiples")
    watched.wait_for_selector(".small-map .fg .main-svg")
    assert watched.locator(".small-map").count() == 4
    watched.screenshot(path=str(ARTIFACTS / "studio-multiples.png"), full_page=True)
    watched.check("#view-3d")
    watched.wait_for_timeout(1500)
    types = watched.evaluate("() => document.getElementById('map3d').data.map(t => t.type)")
    assert types[0] == "surface" and "scatter3d" in types
    watched.screenshot(path=str(ARTIFACTS / "studio-3d.png"))
    assert watched.errors == []


def test_tune_learning_rates_for_the_surface(watched, live_server):
    watched.goto(live_server + "/#s=himmelblau")
    ready(watched)
    diverged_before = watched.evaluate("() => window.optiviz.model.result.filter(r => r.status === 'diverged').length")
    assert diverged_before >= 1  # the bowl's rates are too large here
    watched.evaluate("() => { document.body.dataset.ready = ''; }")
    watched.click("#tune")
    ready(watched, timeout=30000)
    statuses = watched.evaluate("() => window.optiviz.model.result.map(r => r.status)")
    assert "diverged" not in statuses
    assert "α =" in watched.text_content("#tune-status")
    assert watched.errors == []
