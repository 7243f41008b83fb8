"""The studio as a visitor meets it, in headless Chromium: act like a user, assert what is drawn."""

import json
import time
import urllib.parse

from tests.web.conftest import ARTIFACTS
from tests.web.studio_helpers import api, api_runs, drawn_paths, full_paths, ready, sent_request, settled


def run_field(page, run: int, name: str):
    return page.locator(f'[data-run="{run}"] input[type=number][data-param="{name}"]')


def assert_drawn_is_api(page, live_server, run: int):
    """The drawn path of `run` is the API's path for the request the page sent."""
    want = api_runs(live_server, sent_request(page))[run]
    x, y = drawn_paths(page)[run]
    assert x == want["x"] and y == want["y"]


def test_loads_and_races_without_a_click(watched, live_server):
    t0 = time.perf_counter()
    watched.goto(live_server + "/")
    watched.wait_for_function(
        "() => { const m = document.getElementById('map'); return m.data && m.data.some(t => t.meta &&"
        " t.x.length > 1); }",
        timeout=15000,
    )
    first = time.perf_counter() - t0
    settled(watched)
    drawn = drawn_paths(watched)
    assert len(drawn) == 4 and all(len(x) == 301 for x, _ in drawn.values())  # the opening race, played to its end
    # paths are lines; markers only for start, current point and end
    modes = watched.evaluate(
        "() => document.getElementById('map').data.filter(t => t.meta).map(t => [t.meta.role, t.mode])"
    )
    assert {m for role, m in modes if role == "path"} == {"lines"}
    assert watched.errors == [] and watched.foreign == []
    # no "share"/"edit in chart studio" buttons
    assert (
        watched.locator(
            "[data-title*='Chart Studio'], [data-title*='chart studio'], [data-val='sendDataToCloud']"
        ).count()
        == 0
    )
    watched.screenshot(path=str(ARTIFACTS / "studio-default.png"), full_page=True)
    print(f"\npage load → first trajectory drawn: {first * 1000:.0f} ms")


def test_two_and_three_edits_in_one_card_all_hold(watched, live_server):
    watched.goto(live_server + "/")
    settled(watched)
    run_field(watched, 1, "lr").fill("0.2")
    ready(watched)
    run_field(watched, 1, "beta").fill("0.5")
    ready(watched)
    assert sent_request(watched)["runs"][1]["params"] == {"lr": 0.2, "beta": 0.5}
    assert run_field(watched, 1, "lr").input_value() == "0.2"
    assert_drawn_is_api(watched, live_server, 1)
    watched.select_option('[data-run="1"] select[data-param="variant"]', "classic")
    ready(watched)
    assert sent_request(watched)["runs"][1]["params"] == {"lr": 0.2, "beta": 0.5, "variant": "classic"}
    assert_drawn_is_api(watched, live_server, 1)
    # Adam: lr then β₁ then bias correction off
    run_field(watched, 3, "lr").fill("0.05")
    ready(watched)
    run_field(watched, 3, "beta1").fill("0.7")
    ready(watched)
    watched.locator('[data-run="3"] input[data-param="bias_correction"]').uncheck()
    ready(watched)
    p = sent_request(watched)["runs"][3]["params"]
    assert (p["lr"], p["beta1"], p["bias_correction"]) == (0.05, 0.7, False)
    assert_drawn_is_api(watched, live_server, 3)
    assert "Adam α=0.05 (β₁=0.7, no bias corr.)" in watched.text_content("#legend")
    # the permalink holds every edit
    assert '"beta":0.5' in urllib.parse.unquote(watched.url) and '"beta1":0.7' in urllib.parse.unquote(watched.url)
    assert watched.errors == []


def test_schedule_edits_in_a_row(watched, live_server):
    watched.goto(live_server + "/")
    settled(watched)
    watched.locator('[data-run="0"] details.sched summary').click()
    watched.select_option('[data-run="0"] select[data-path="runs.0.schedule.name"]', "cosine_restarts")
    ready(watched)
    run_field(watched, 0, "t_0").fill("60")
    ready(watched)
    run_field(watched, 0, "warmup_steps").fill("30")
    ready(watched)
    sched = sent_request(watched)["runs"][0]["schedule"]
    assert sched["name"] == "cosine_restarts" and sched["params"]["t_0"] == 60 and sched["warmup_steps"] == 30
    assert_drawn_is_api(watched, live_server, 0)
    # the lr chart shows the schedule: the drawn lr curve is the API's
    lr = watched.evaluate("() => document.getElementById('charts').data.filter(t => t.yaxis === 'y2')[0].y")
    assert list(lr) == api_runs(live_server, sent_request(watched))[0]["lr"]


def test_surface_switch_and_formula_after_playback_ended(watched, live_server):
    surfaces = {s["id"]: s for s in api(live_server, "/api/v1/surfaces")}
    watched.goto(live_server + "/")
    settled(watched)
    watched.select_option("#surface", "rosenbrock")
    settled(watched)
    contour = watched.evaluate(
        "() => { const c = document.getElementById('map-bg').data[0]; return [c.type, c.x[0], c.x[c.x.length -"
        " 1], c.y[0], c.y[c.y.length - 1]]; }"
    )
    ros = surfaces["rosenbrock"]
    assert contour == ["contour", *ros["x_range"], *ros["y_range"]]
    # the surface's own default runs: none diverges at step 1, paths start at its default start
    assert watched.evaluate("window.optiviz.store.get().runs.map(r => r.params.lr)") == [
        r["params"]["lr"] for r in ros["default_runs"]
    ]
    statuses = watched.evaluate("() => window.optiviz.model.result.runs.map(r => [r.status, r.steps_taken])")
    assert all(s != "diverged" for s, _ in statuses)
    assert all(x[0] == ros["default_start"][0] for x, _ in drawn_paths(watched).values())
    xr = watched.evaluate("() => document.getElementById('map')._fullLayout.xaxis.range")
    assert xr[0] >= ros["x_range"][0] - 1 and xr[1] <= ros["x_range"][1] + 1
    watched.select_option("#surface", "custom")
    settled(watched)
    watched.fill("#formula", "x^2 + 3*sin(y)^2")
    watched.wait_for_function("() => window.optiviz.store.get().expr === 'x^2 + 3*sin(y)^2'")
    settled(watched)
    contour = watched.evaluate(
        "() => { const c = document.getElementById('map-bg').data[0]; return [c.x[0], c.x[c.x.length - 1],"
        " c.z.length]; }"
    )
    assert contour == [-3, 3, 120]
    assert watched.errors == []


def test_formula_errors_in_place(watched, live_server):
    watched.goto(live_server + "/#s=custom")
    ready(watched)
    watched.fill("#formula", "x^2 + 10*z")
    watched.wait_for_function("() => document.getElementById('formula-error').textContent.length > 0")
    msg = watched.text_content("#formula-error")
    assert "'z'" in msg and "column" in msg
    assert watched.errors == []


def test_play_after_the_end_replays_to_the_end(watched, live_server):
    watched.goto(live_server + "/#n=150")
    settled(watched)
    for speed in ("2", "0"):  # 1× and ¼×: both used to jump to 0 and stop
        watched.locator("#speed").fill(speed)
        watched.click("#play")
        state = watched.evaluate("() => [window.optiviz.player.playing, window.optiviz.player.it]")
        assert state[0] is True and state[1] < 150
        watched.wait_for_function("() => window.optiviz.player.it > 3")
        if speed == "0":
            watched.click("#play")  # pause, then ▶ again goes on from there
            it = watched.evaluate("window.optiviz.player.it")
            watched.locator("#speed").fill("7")
            watched.click("#play")
            watched.wait_for_function(f"() => window.optiviz.player.it > {it}")
        watched.wait_for_function(
            "() => !window.optiviz.player.playing && window.optiviz.player.it === 150", timeout=20000
        )
        assert max(len(x) for x, _ in drawn_paths(watched).values()) == 151


def test_autoplay_from_a_lesson_link_reaches_the_last_iteration(watched, live_server):
    runs = [
        {"o": "gd", "p": {"lr": 0.002}, "c": "#0072B2"},
        {"o": "adam", "p": {"lr": 0.3}, "c": "#D55E00", "l": "Adam"},
    ]
    link = f"/#s=rosenbrock&p=-1.2,1&n=200&seed=0&tol=0&r={urllib.parse.quote(json.dumps(runs))}"
    for _ in range(3):
        watched.goto(live_server + "/lessons")  # from another page, as a lesson link does
        watched.goto(live_server + link)
        watched.wait_for_function("() => window.optiviz.player && window.optiviz.player.playing", timeout=15000)
        watched.wait_for_function(
            "() => window.optiviz.model.result && window.optiviz.model.result.done && !window.optiviz.player.playing",
            timeout=20000,
        )
        it, last = watched.evaluate(
            "() => [window.optiviz.player.it, Math.max(...window.optiviz.model.result.runs.map(r => r.x.length - 1))]"
        )
        assert it == last == 200
        ready(watched)
        assert [len(x) for x, _ in drawn_paths(watched).values()] == [201, 201]


def test_click_on_map_moves_the_start(watched, live_server):
    watched.goto(live_server + "/")
    settled(watched)
    start = full_paths(watched)[0]
    box = watched.locator("#map .nsewdrag").first.bounding_box()
    watched.mouse.click(box["x"] + box["width"] * 0.75, box["y"] + box["height"] * 0.25)
    watched.wait_for_function("() => window.optiviz.store.get().start !== null")
    ready(watched)
    moved = full_paths(watched)[0]
    assert (moved[0][0], moved[1][0]) != (start[0][0], start[1][0])
    assert moved[0][0] > 0 and moved[1][0] > 0  # right half, upper half of a symmetric range


def test_phone_tap_sets_the_start_and_the_page_fits(browser, live_server):
    ctx = browser.new_context(
        viewport={"width": 390, "height": 844}, has_touch=True, is_mobile=True, device_scale_factor=2
    )
    page = ctx.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(live_server + "/")
    settled(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    # controls first: the sticky toggle opens them above the map
    assert page.locator("#controls-toggle").is_visible()
    box = page.locator("#map .nsewdrag").first.bounding_box()
    page.touchscreen.tap(box["x"] + box["width"] * 0.75, box["y"] + box["height"] * 0.3)
    page.wait_for_function("() => window.optiviz.store.get().start !== null")
    ready(page)
    x0, y0 = page.evaluate("window.optiviz.store.get().start")
    assert x0 > 0 and y0 > 0
    assert page.evaluate("() => window.optiviz.model.result.runs[0].x[0]") == x0
    # charts in three rows
    grid = page.evaluate("() => document.getElementById('charts').layout.grid")
    assert grid["rows"] == 3 and grid["columns"] == 1
    page.screenshot(path=str(ARTIFACTS / "studio-phone.png"), full_page=True)
    page.click("#controls-toggle")
    page.wait_for_selector("#sidebar", state="visible")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(ARTIFACTS / "studio-phone-controls.png"))
    assert errors == []
    ctx.close()


def test_permalink_restores_the_comparison(watched, live_server, context):
    watched.goto(live_server + "/")
    settled(watched)
    watched.select_option('[data-run="2"] .opt-select', "adagrad")
    ready(watched)
    run_field(watched, 0, "lr").fill("0.2")
    ready(watched)
    url = watched.url
    want = full_paths(watched)
    fresh = context.new_page()
    fresh.goto(url)
    ready(fresh)
    assert fresh.evaluate("window.optiviz.store.get().runs.map(r => r.optimizer)") == [
        "gd",
        "momentum",
        "adagrad",
        "adam",
    ]
    assert full_paths(fresh) == want


def test_back_and_forward(watched, live_server):
    watched.goto(live_server + "/")
    ready(watched)
    watched.select_option("#surface", "rosenbrock")
    ready(watched)
    watched.go_back()
    watched.wait_for_function("() => window.optiviz.store.get().surface === 'elongated_bowl'")
    watched.go_forward()
    watched.wait_for_function("() => window.optiviz.store.get().surface === 'rosenbrock'")


def test_stream_grows_and_pause_stops_playback(watched, live_server):
    watched.goto(live_server + "/#n=3000")
    watched.wait_for_function("() => window.optiviz.player !== null && window.optiviz.player !== undefined")
    watched.evaluate("() => { window.optiviz.player.speed = 0.1; }")  # a 50 s playback: still going when we pause
    watched.wait_for_function("() => { const m = document.getElementById('map'); return m.data && m.data.length > 1; }")
    lengths = []
    for _ in range(8):
        lengths.append(max([len(x) for x, _ in drawn_paths(watched).values()] or [0]))
        watched.wait_for_timeout(120)
    assert lengths[-1] > lengths[0]  # the drawn paths grow over time
    assert watched.evaluate("() => window.optiviz.player.playing")
    watched.click("#play")  # pause
    it = watched.evaluate("window.optiviz.player.it")
    watched.wait_for_function(
        "() => Math.max(...document.getElementById('map').data.filter(t => t.meta && t.meta.role ==="
        f" 'path').map(t => t.x.length)) === {it + 1}"
    )
    ready(watched)
    assert watched.evaluate("window.optiviz.player.it") == it  # the finished stream did not move it
    watched.keyboard.press("ArrowRight")
    assert watched.evaluate("window.optiviz.player.it") == it + 1


def test_small_multiples_and_3d(watched, live_server):
    watched.goto(live_server + "/#s=himmelblau")
    settled(watched)
    watched.check("#view-multiples")
    watched.wait_for_selector(".small-map .fg .main-svg")
    assert watched.locator(".small-map").count() == 4
    watched.screenshot(path=str(ARTIFACTS / "studio-multiples.png"), full_page=True)
    box = watched.locator(".small-map .fg .nsewdrag").first.bounding_box()  # a click on a small map moves the start
    watched.mouse.click(box["x"] + box["width"] * 0.75, box["y"] + box["height"] * 0.25)
    watched.wait_for_function("() => { const s = window.optiviz.store.get().start; return s && s[0] > 0 && s[1] > 0; }")
    settled(watched)
    watched.check("#view-3d")
    watched.wait_for_function("() => { const d = document.getElementById('map3d').data; return d && d.length > 1; }")
    data = watched.evaluate("() => document.getElementById('map3d').data.map(t => [t.type, t.mode || ''])")
    assert data[0][0] == "surface" and ["scatter3d", "lines"] in data and ["scatter3d", "markers"] in data
    scene = watched.evaluate("() => document.getElementById('map3d').layout.scene")
    assert scene["aspectmode"] == "manual"
    watched.wait_for_timeout(500)
    watched.screenshot(path=str(ARTIFACTS / "studio-3d.png"))
    assert watched.errors == []


def test_tune_learning_rates_for_the_surface(watched, live_server):
    runs = [
        {"o": o, "p": {"lr": 0.4, **({"beta": 0.5} if o == "momentum" else {})}}
        for o in ("gd", "momentum", "rmsprop", "adam")
    ]
    sent = []
    watched.on("request", lambda r: sent.append(json.loads(r.post_data)) if r.url.endswith("/api/v1/race") else None)
    watched.goto(live_server + f"/#s=himmelblau&tol=0.001&seed=3&r={urllib.parse.quote(json.dumps(runs))}")
    settled(watched)
    diverged_before = watched.evaluate(
        "() => window.optiviz.model.result.runs.filter(r => r.status === 'diverged').length"
    )
    assert diverged_before >= 1  # the bowl's rates are too large here
    watched.click("#tune")
    watched.wait_for_function("() => document.getElementById('tune-status').textContent.includes('α =')", timeout=30000)
    ready(watched, timeout=30000)
    statuses = watched.evaluate("() => window.optiviz.model.result.runs.map(r => r.status)")
    assert "diverged" not in statuses
    # it tuned what the studio then runs: the same tolerance, seed and other hyperparameters
    assert sent and sent[0]["tolerance"] == 0.001 and sent[0]["seed"] == 3
    assert sent[0]["params"]["momentum"]["beta"] == 0.5 and "lr" not in sent[0]["params"]["momentum"]
    assert watched.errors == []
