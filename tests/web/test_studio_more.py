"""The studio for a classroom: PNG exports, hostile permalinks, Chinese, live sliders, small details."""

import json
import urllib.parse

from tests.web.conftest import ARTIFACTS
from tests.web.studio_helpers import api, decode_png, drawn_paths, ready, sent_request, settled

HOSTILE_LABEL = '<a href="http://evil.example">x</a><span style="font-size:60px">big</span>'


def test_map_png_has_the_contour_axes_and_legend_on_white(watched, live_server):
    watched.goto(live_server + "/")
    settled(watched)
    watched.evaluate("() => { window.optiviz.lastPNG = null; }")
    with watched.expect_download() as dl:
        watched.click("#export-png")
    assert dl.value.suggested_filename == "optiviz-map.png"
    url = watched.evaluate("window.optiviz.lastPNG")
    w, h, rows = decode_png(url)
    map_w, map_h = watched.evaluate(
        "() => [document.getElementById('map').clientWidth * 2, document.getElementById('map').clientHeight * 2]"
    )
    # the map (its empty margins cut off) under a title, a legend strip on its right
    layout = watched.evaluate("window.optiviz.lastPNGLayout")
    px, py, pw, ph = layout["picture"]
    lx, ly, _lw, _lh = layout["legend"]
    assert 0.6 * map_w < pw <= map_w and 0.6 * map_h < ph <= map_h and py > 0 and lx >= px + pw
    assert w > pw and h >= py + ph
    assert rows[0][:4] == b"\xff\xff\xff\xff"  # white, not transparent
    grey = colored = 0
    for y in range(py, py + ph, 3):
        row = rows[y]
        for x in range(px, px + pw, 3):
            r, g, b = row[4 * x : 4 * x + 3]
            if abs(r - g) < 10 and abs(g - b) < 10 and 60 < r < 240:
                grey += 1
            elif max(r, g, b) - min(r, g, b) > 60:
                colored += 1
    cells = (pw // 3) * (ph // 3)
    assert grey > 0.2 * cells, f"contour pixels: {grey} of {cells}"  # the contour is in the picture
    assert colored > 200  # and the coloured paths
    legend = 0
    for y in range(ly, h, 2):
        legend += sum(1 for x in range(lx, w, 2) if rows[y][4 * x] < 120)
    assert legend > 50  # the legend's text and lines
    with open(ARTIFACTS / "studio-export-map.png", "wb") as f:
        import base64

        f.write(base64.b64decode(url.split(",", 1)[1]))
    with watched.expect_download():
        watched.click("#export-charts")
    w2, _h2, _ = decode_png(watched.evaluate("window.optiviz.lastPNG"))
    assert w2 > watched.evaluate("document.getElementById('charts').clientWidth * 2")
    assert watched.errors == []


def test_a_crafted_permalink_cannot_rewrite_the_page(watched, live_server):
    runs = [
        {"o": "gd", "p": {"lr": 0.1}, "c": "red;position:fixed;inset:0", "l": HOSTILE_LABEL},
        {"o": "adam", "p": {"lr": 0.3}, "c": '#12ab34"><img src=x onerror=alert(1)>', "l": "<b>bold</b> & <i>"},
    ]
    watched.goto(live_server + f"/#r={urllib.parse.quote(json.dumps(runs))}")
    settled(watched)
    colours = {o["id"]: o["color"].lower() for o in api(live_server, "/api/v1/optimizers")}
    # colours: anything but #rrggbb is replaced by the optimizer's registry colour
    assert watched.evaluate("window.optiviz.store.get().runs.map(r => r.color)") == [None, None]
    line_colours = watched.evaluate(
        "() => document.getElementById('map').data.filter(t => t.meta && t.meta.role === 'path').map(t => t.line.color)"
    )
    assert [c.lower() for c in line_colours] == [colours["gd"], colours["adam"]]
    # no element outside the app's own: no link, no styled span, no image, nothing fixed over the page
    assert watched.locator("a[href*='evil']").count() == 0
    assert watched.locator("span[style*='font-size']").count() == 0
    assert watched.locator("img").count() == 0
    fixed = watched.evaluate(
        "() => [...document.querySelectorAll('body *')].filter(e => getComputedStyle(e).position === 'fixed').length"
    )
    assert fixed == 0
    assert watched.locator("svg a").count() == 0  # Plotly turns <a href> in names into links: escaped, it cannot
    # the label reads as plain text everywhere it is shown
    assert HOSTILE_LABEL in watched.text_content("#legend")
    assert HOSTILE_LABEL in watched.text_content("#summary-body")
    names = watched.evaluate(
        "() => document.getElementById('map').data.filter(t => t.meta && t.meta.role === 'path').map(t => t.name)"
    )
    assert all("<" not in n for n in names) and "&lt;a href" in names[0]
    watched.check("#view-multiples")
    watched.wait_for_selector(".small-map .fg .main-svg")
    assert (
        watched.locator("#multiples a").count() == 0 and watched.locator("#multiples span[style*='60px']").count() == 0
    )
    assert HOSTILE_LABEL in watched.text_content("#multiples")
    watched.screenshot(path=str(ARTIFACTS / "studio-hostile.png"))
    assert watched.errors == []


def test_language_switch_shows_chinese_and_keeps_the_runs(watched, live_server):
    watched.goto(live_server + "/#s=saddle")
    settled(watched)
    runs = watched.evaluate("JSON.stringify(window.optiviz.store.get().runs)")
    paths = drawn_paths(watched)
    watched.click("#lang-switch")
    watched.wait_for_function("() => document.documentElement.lang === 'zh-CN'")
    ready(watched)
    zh = api(live_server, "/api/v1/messages?lang=zh")["messages"]
    watched.wait_for_function("(t) => document.getElementById('play').textContent === t", arg=zh["studio.play"])
    assert zh["studio.runs.title"] in watched.text_content("#sidebar")
    assert zh["studio.summary.title"] in watched.text_content("main")
    assert "lang=zh" in watched.url
    assert watched.evaluate("JSON.stringify(window.optiviz.store.get().runs)") == runs
    assert drawn_paths(watched) == paths
    watched.screenshot(path=str(ARTIFACTS / "studio-zh.png"), full_page=True)
    # the permalink opens in Chinese
    watched.goto(watched.url.replace("#", "#x=1&"))
    watched.reload()
    settled(watched)
    assert watched.text_content("#play") == zh["studio.play"]
    assert watched.errors == []


def test_slider_drag_redraws_live(watched, live_server):
    watched.goto(live_server + "/")
    settled(watched)
    slider = watched.locator('[data-run="0"] input[type=range][data-slider="lr"]')
    box = slider.bounding_box()
    watched.evaluate("""() => { window.__lengths = []; const m = document.getElementById('map');
      const seen = () => {
        const t = m.data.find(t => t.meta && t.meta.run === 0 && t.meta.role === 'path');
        if (t) window.__lengths.push(t.x[t.x.length - 1]);
      };
      m.on('plotly_afterplot', seen); }""")
    y = box["y"] + box["height"] / 2
    watched.mouse.move(box["x"] + box["width"] * 0.55, y)
    watched.mouse.down()
    for k in range(12):
        watched.mouse.move(box["x"] + box["width"] * (0.55 - 0.02 * k), y)
        watched.wait_for_timeout(60)
    watched.mouse.up()
    ready(watched)
    ends = watched.evaluate("window.__lengths")
    assert len(set(ends)) >= 3  # paths redrawn while dragging, not only at release
    lr = sent_request(watched)["runs"][0]["params"]["lr"]
    assert watched.locator('[data-run="0"] input[type=number][data-param="lr"]').input_value() == str(lr)


def test_controls_read_sensibly(watched, live_server):
    runs = [
        {"o": "adam", "p": {"lr": 0.3, "eps": 1e-6, "bias_correction": False}},
        {"o": "adam", "p": {"lr": 0.3}, "s": {"name": "cosine_restarts", "params": {"t_0": 60}, "warmup_steps": 30}},
        {"o": "gd", "p": {"lr": 0.123456789}},
    ]
    watched.goto(live_server + f"/#r={urllib.parse.quote(json.dumps(runs))}")
    settled(watched)
    assert watched.locator('[data-run="0"] input[type=number][data-param="eps"]').input_value() == "1e-6"
    legend = watched.text_content("#legend")
    assert "Adam α=0.3 (ε=1e-6, no bias corr.)" in legend
    assert "Gradient descent α=0.1235" in legend and legend.count("α=") == 3
    # the second Adam is dashed: same registry colour, another line style
    dashes = watched.evaluate(
        "() => document.getElementById('map').data.filter(t => t.meta && t.meta.role === 'path').map(t => t.line.dash)"
    )
    assert dashes[:2] == ["solid", "dash"]
    # step counts get a log slider over a sane range: t₀ = 60 sits well inside, not at the left end
    pos = watched.evaluate(
        '() => +document.querySelector(\'[data-run="1"] input[type=range][data-slider="t_0"]\').value'
    )
    assert 300 < pos < 600
    # a label never cut: the warm-up label is shown whole
    label = watched.locator('[data-run="1"] label[for="run1-s-warmup_steps"]')
    assert label.evaluate("e => e.scrollWidth <= e.clientWidth + 1")
    # a run label of one's own
    watched.fill('[data-run="1"] input[data-label="1"]', "Adam with restarts")
    watched.wait_for_function("() => document.getElementById('legend').textContent.includes('Adam with restarts')")
    assert "Adam with restarts" in urllib.parse.unquote_plus(watched.url)
    # rates across orders of magnitude (a restart schedule) on a log axis; log axes label powers of ten only
    assert watched.evaluate("() => document.getElementById('charts')._fullLayout.yaxis2.type") == "log"
    ticks = watched.evaluate("() => [...document.querySelectorAll('#charts .ytick text')].map(t => t.textContent)")
    assert ticks and not any(t.strip() in ("2", "5") for t in ticks)


def test_empty_state_and_equal_aspect_toggle(watched, live_server):
    watched.goto(live_server + "/")
    settled(watched)
    # the lr chart of constant rates starts at 0 (not −0.5 to 1)
    y2 = watched.evaluate("() => document.getElementById('charts')._fullLayout.yaxis2.range")
    assert y2[0] == 0 and 0.49 < y2[1] < 0.6
    assert watched.is_checked("#equal")  # on by default where the ranges allow
    xa, ya = watched.evaluate(
        "() => { const f = document.getElementById('map')._fullLayout;"
        " return [f.xaxis._length / (f.xaxis.range[1] - f.xaxis.range[0]),"
        " f.yaxis._length / (f.yaxis.range[1] - f.yaxis.range[0])]; }"
    )
    assert abs(xa - ya) / xa < 0.02
    watched.uncheck("#equal")
    watched.wait_for_function("() => location.hash.includes('eq=0')")
    for i in range(4):
        watched.click(f'[data-legend="{i}"]')
    watched.wait_for_selector("#empty", state="visible")
    assert watched.is_hidden("#charts")
    watched.click('[data-legend="2"]')
    watched.wait_for_selector("#empty", state="hidden")
    assert list(drawn_paths(watched)) == [2]


def test_summary_reads_right_on_the_plateau_and_added_runs_show_alpha(watched, live_server):
    watched.goto(live_server + "/#s=plateau&tol=0.001")
    settled(watched)
    rows = watched.evaluate(
        "() => [...document.querySelectorAll('#summary-body tr')].map(r => [...r.cells].map(c => c.textContent))"
    )
    gd = rows[0]
    assert gd[0].startswith("Gradient descent α=0.3")
    assert gd[3] != "0" and "flat" in gd[3]  # GD stuck on the plateau has not "converged at once"
    # the card and the summary say the same thing
    assert watched.text_content('[data-status="0"]') in gd[1]
    watched.click("#add-run")
    ready(watched)
    legend = watched.text_content("#legend")
    assert legend.count("α=") == 5


def test_rmsprop_stall_is_explained(watched, live_server):
    runs = [{"o": "rmsprop", "p": {"lr": 0.1}}]
    watched.goto(live_server + f"/#r={urllib.parse.quote(json.dumps(runs))}")
    settled(watched)
    note = watched.text_content("#summary-notes")
    assert "α" in note and "oscillat" in note


def test_keyboard_skip_link_and_shortcuts(watched, live_server):
    watched.goto(live_server + "/#n=100")
    settled(watched)
    url = watched.url
    watched.keyboard.press("Tab")
    assert watched.evaluate("document.activeElement.className") == "skip"
    watched.keyboard.press("Enter")
    assert watched.evaluate("document.activeElement.id") == "play"
    assert watched.url == url  # the permalink is untouched
    assert "Space" in watched.text_content(".shortcuts")
    watched.evaluate("document.activeElement.blur()")
    watched.keyboard.press("ArrowLeft")
    assert watched.evaluate("window.optiviz.player.it") == 99


def test_scrubbing_does_not_fight_the_stream(watched, live_server):
    runs = [{"o": "gd", "p": {"lr": 1e-4 * (1 + i)}} for i in range(16)]
    watched.goto(live_server + f"/#n=20000&r={urllib.parse.quote(json.dumps(runs))}")
    watched.wait_for_function(
        "() => { const r = window.optiviz.model && window.optiviz.model.result;"
        " return r && !r.done && r.runs[0].x.length > 20; }",
        timeout=30000,
    )
    watched.locator("#scrub").fill("10")
    assert watched.evaluate("window.optiviz.player.playing") is False
    ready(watched, timeout=120000)
    assert watched.evaluate("window.optiviz.player.it") == 10
    assert {len(x) for x, _ in drawn_paths(watched).values()} == {11}


def test_dataset_surface_batch_then_rate_both_hold(watched, live_server):
    watched.goto(live_server + "/#s=linear_regression")
    settled(watched)
    field = watched.locator('[data-run="0"] input[type=number][data-param="batch_size"]')
    assert field.input_value() == "1000"  # batch GD: m
    field.fill("64")
    ready(watched)
    watched.locator('[data-run="0"] input[type=number][data-param="lr"]').fill("0.02")
    ready(watched)
    run = sent_request(watched)["runs"][0]
    assert run["batch_size"] == 64 and run["params"]["lr"] == 0.02
    want = api(
        live_server, "/api/v1/trajectories", {k: v for k, v in sent_request(watched).items() if k != "include_state"}
    )["runs"][0]
    assert drawn_paths(watched)[0] == (want["x"], want["y"])
    assert "(batch 64)" in watched.text_content("#legend")


def test_the_run_limit_comes_from_the_server(watched, live_server):
    limits = api(live_server, "/api/v1/limits")
    watched.goto(live_server + "/")
    settled(watched)
    start = watched.locator(".run-card").count()
    for n in range(start + 1, limits["max_runs"] + 1):
        watched.click("#add-run")
        # the button sits below the cards, which grow at the next frame: await each card before the next
        # click, or a click aimed before the render lands on the card that pushed the button down
        watched.wait_for_function(f"() => document.querySelectorAll('.run-card').length === {n}", timeout=30000)
    watched.wait_for_function("() => document.getElementById('add-run').disabled", timeout=30000)
    watched.click("#add-run", force=True)  # a click on the disabled button adds nothing
    ready(watched, timeout=60000)
    assert len(sent_request(watched)["runs"]) == limits["max_runs"]
    assert watched.locator(".run-card").count() == limits["max_runs"]


def test_removing_runs_one_after_another_keeps_the_page_whole(watched, live_server) -> None:
    """Two runs removed in a row, the second before the first's answer: no error on the page (the
    previous answer, with more runs than the state, is never drawn with the new runs' styles), and
    the map, the legend and the summary end with the two runs left."""
    watched.goto(live_server + "/")
    ready(watched, 60000)
    assert watched.evaluate("() => window.optiviz.state.runs.length") == 4
    for _ in range(2):
        watched.click('button[data-action="remove"][data-run="0"]')
    watched.wait_for_function("() => window.optiviz.state.runs.length === 2")
    ready(watched, 60000)
    watched.wait_for_function("() => document.querySelectorAll('#summary-body tr').length === 2")
    paths = watched.evaluate(
        "() => document.getElementById('map').data.filter((t) => t.meta && t.meta.role === 'path').length"
    )
    assert paths == 2
    assert watched.errors == []
