"""The network page in Chromium, acted out by a learner: open it, run the course's assignment (it
opens on it), read the landscape and the fidelity numbers, switch the plane (no retraining), scrub,
export a PNG, open it in Chinese and on a phone. What the page shows is checked against the API's
own answer for the same body. Screenshots go to /tmp/shots-net/ (and tests/artifacts/)."""

from __future__ import annotations

import math
import re
from pathlib import Path

from tests.web.conftest import ARTIFACTS
from tests.web.studio_helpers import api

SHOTS = Path("/tmp/shots-net")
CJK = re.compile(r"[\u4e00-\u9fff]")
RAW_KEY = re.compile(r"\b(net|network_planes|network_api)\.[\w.-]+")
PAGE = "window.optivizNetworks"


def shot(page, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
    page.screenshot(path=str(ARTIFACTS / f"networks-{name}.png"), full_page=True)


def quick_playback(page, speed=25):
    """The playback after each training at ``speed``× (0.2 s instead of 5 s), for a test whose point
    is what is drawn at the end, not the animation; a new page load plays at 1× again."""
    page.wait_for_function(f"() => !!{PAGE}.player")
    page.evaluate(f"(s) => {{ {PAGE}.player.speed = s; }}", speed)


def settled(page, timeout=90000):
    """Trained, the plane drawn, playback over."""
    page.wait_for_function(
        "() => document.body.dataset.ready === '1' || document.body.dataset.ready === 'error'", timeout=timeout
    )
    assert page.evaluate("document.body.dataset.ready") == "1", page.inner_text("#net-error")


def js_fmt(v, digits):
    """format.js's fmt for numbers in [1e-3, 1e5): `digits` significant digits, no trailing zeros."""
    text = f"{float(f'{v:.{digits}g}'):f}".rstrip("0").rstrip(".")
    return text


def drawn(page, div, role):
    return page.evaluate(
        f"() => document.getElementById('{div}').data.filter(t => t.meta && t.meta.role === '{role}')"
        ".map(t => [t.meta.run, Array.from(t.x), Array.from(t.y)])"
    )


def test_a_learner_runs_the_assignment_reads_the_fidelity_and_switches_the_plane(watched, live_server):
    page = watched
    page.goto(f"{live_server}/networks")
    settled(page)
    body = page.evaluate(f"() => {PAGE}.request")
    # the page opens on the course's assignment
    assert body["data"]["name"] == "moons" and body["data"]["samples"] == 300 and body["data"]["noise"] == 0.2
    assert body["model"] == {"hidden": [5, 2], "activation": "relu", "init": "he", "seed": body["model"]["seed"]}
    assert [(r["optimizer"], r["params"]["lr"], r["batch_size"]) for r in body["runs"]] == [
        ("gd", 0.0007, 64),
        ("momentum", 0.0007, 64),
        ("adam", 0.0007, 64),
    ]
    assert body["plane"]["kind"] == "pca"
    shot(page, "desktop-assignment")

    # it was streamed: the curves grew slice by slice while a progress bar said how far training was
    events = page.evaluate(f"() => {PAGE}.events")
    assert events["meta"] == 1 and events["plane"] == 1 and events["done"] == 1
    # (the default lesson is trained at the server's start-up: its runs may come in one slice each; a
    # body trained while streaming comes in many, see test_a_bad_setting_is_refused…)
    assert events["epochs"] >= 3 and events["progress"] >= 1
    # the streamed answer, joined, is the JSON answer of the same body
    answer = api(live_server, "/api/v1/networks", body)
    shown = page.evaluate(f"() => {PAGE}.result")
    for mine, theirs in zip(shown["runs"], answer["runs"], strict=True):
        for key in ("train_loss", "test_accuracy", "batch_loss", "captured", "steps_taken", "status"):
            assert mine[key] == theirs[key], key
        assert mine["path"]["a"] == theirs["path"]["a"] and mine["path"]["step"] == theirs["path"]["step"]

    # the landscape: the plane's loss, every run's path at its plane coordinates, the current points
    contour = page.evaluate("() => document.getElementById('net-landscape').data[0]")
    assert contour["type"] == "contour" and contour["x"] == answer["plane"]["a"]
    assert contour["customdata"] == answer["plane"]["loss"]
    paths = drawn(page, "net-landscape", "path")
    # the longest path first (drawn under), the short ones on top
    assert sorted(p[0] for p in paths) == [0, 1, 2] and paths[0][0] == 2
    for run, xs, ys in paths:
        assert xs == answer["runs"][run]["path"]["a"] and ys == answer["runs"][run]["path"]["b"]
    colours = {o["id"]: o["color"] for o in page.evaluate(f"() => {PAGE}.optimizers")}
    lines = page.evaluate(
        "() => Object.fromEntries(document.getElementById('net-landscape').data"
        ".filter(t => t.meta && t.meta.role === 'path').map(t => [t.meta.run, t.line.color]))"
    )
    assert lines == {"0": colours["gd"], "1": colours["momentum"], "2": colours["adam"]}

    # the fidelity numbers a learner reads: captured share per run, as the API computed it
    rows = page.locator("#net-fid-body tr")
    assert rows.count() == 3
    for i, run in enumerate(answer["runs"]):
        cell = rows.nth(i).locator("[data-field=captured]").inner_text()
        assert cell == f"{js_fmt(100 * run['captured'], 3)} %"
        off = max(v for v in run["path"]["off_plane"] if v is not None)
        assert rows.nth(i).locator("[data-field=off_max]").inner_text().startswith(js_fmt(off, 3))
    # PCA: the explained variance against the random-walk baseline, in numbers and in words
    ex = answer["plane"]["explained"]
    assert page.is_visible("#net-explained")
    text = page.inner_text("#net-explained-text")
    assert js_fmt(100 * (ex[0] + ex[1]), 3) in text and js_fmt(100 * answer["plane"]["random_walk"], 3) in text
    # a path mostly off the plane gets a plain warning
    poor = [i for i, r in enumerate(answer["runs"]) if r.get("fidelity", {}).get("mostly_off_plane")]
    assert page.locator("#net-warnings li").count() >= len(poor)
    assert not RAW_KEY.search(page.inner_text("#net-fidelity"))

    # the decision boundary of every run, over the train and test points
    for i in range(3):
        div = f"#net-boundaries [data-boundary='{i}']"
        traces = page.evaluate(f'() => document.querySelector("{div}").data.length')
        assert traces >= 4

    # the curves: train/test loss and accuracy per epoch, the mini-batch loss per update
    loss = page.evaluate("() => document.getElementById('net-curve-loss').data.map(t => t.y.length)")
    assert loss == [body["epochs"] + 1] * 6
    batch = page.evaluate("() => document.getElementById('net-curve-batch').data.map(t => t.y.length)")
    assert batch == [r["steps_taken"] for r in answer["runs"]]

    # scrub to the start: every current point is the shared init, each boundary at update 0
    page.eval_on_selector(
        "#net-scrub", "(s) => { s.value = '0'; s.dispatchEvent(new Event('input', {bubbles: true})); }"
    )
    page.wait_for_function(f"() => {PAGE}.player.it === 0")
    page.wait_for_function(
        "() => document.querySelector(\"#net-boundaries [data-boundary='2']\").layout.title.text.includes(' 0 ')"
    )
    current = drawn(page, "net-landscape", "current")[0]
    assert current[1] == [r["path"]["a"][0] for r in answer["runs"]]
    assert page.inner_text("#net-epoch").startswith("epoch 0 ")
    # a step forward moves the timeline by one epoch
    page.click("#net-fwd")
    page.wait_for_function(f"() => {PAGE}.player.it === 1")

    # switching the plane draws the same runs on another plane: no retraining
    trained = page.evaluate(f"() => {PAGE}.sent.train")
    page.select_option("#net-plane", "random")
    settled(page)
    assert page.evaluate(f"() => {PAGE}.sent") == {"train": trained, "plane": 1}
    assert page.evaluate(f"() => {PAGE}.result.plane.kind") == "random"
    random_answer = api(live_server, "/api/v1/networks/plane", {**body, "plane": {**body["plane"], "kind": "random"}})
    # the new plane's contour is drawn alone in its frame, the paths in a later one: await them (≤ 10 s)
    want = {run: r["path"]["a"] for run, r in enumerate(random_answer["runs"])}
    for _ in range(100):
        if all(xs == want[run] for run, xs, _ys in drawn(page, "net-landscape", "path")):
            break
        page.wait_for_timeout(100)
    for run, xs, _ys in drawn(page, "net-landscape", "path"):
        assert xs == random_answer["runs"][run]["path"]["a"]
    assert not page.is_visible("#net-explained")  # no PCA: no explained variance
    # a random plane holds little of any path: the table says so
    captured = [float(c.replace("%", "")) for c in page.locator("[data-field=captured]").all_inner_texts()]
    assert captured == [float(js_fmt(100 * r["captured"], 3)) for r in random_answer["runs"]]
    # the line plane of Adam's run holds all of Adam's displacement
    page.select_option("#net-plane", "line")
    page.select_option("#net-plane-run", "2")
    settled(page)
    assert page.evaluate(f"() => {PAGE}.request.plane") == {**body["plane"], "kind": "line", "run": 2}
    assert page.locator("#net-fid-body tr").nth(2).locator("[data-field=captured]").inner_text() == "100 %"
    assert page.evaluate(f"() => {PAGE}.sent.train") == trained
    shot(page, "desktop-line-plane")

    # PNG for a slide
    with page.expect_download() as dl:
        page.click("#net-png-landscape")
    data = Path(dl.value.path()).read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000

    # the runs as a PyTorch script
    with page.expect_download() as dl:
        page.click("#net-export-torch")
    script = Path(dl.value.path()).read_text(encoding="utf-8")
    assert dl.value.suggested_filename == "optiviz_network.py" and "import torch" in script

    # the permalink holds the state: opened again, it shows the same plane of the same runs
    link = page.get_attribute("#net-permalink", "href")
    assert "pl=line" in link and "pr=2" in link
    assert page.errors == [] and page.foreign == []


def test_in_chinese_and_on_a_phone(watched, live_server):
    page = watched
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server}/networks#ep=150&lang=en")
    quick_playback(page)
    settled(page)
    body = page.evaluate(f"() => {PAGE}.request")
    assert body["epochs"] == 150
    # a narrow viewport stacks the panels: the fidelity panel under the landscape, nothing wider than the screen
    land = page.locator(".net-land").bounding_box()
    fid = page.locator("#net-fidelity").bounding_box()
    assert fid["y"] >= land["y"] + land["height"] - 1 and abs(fid["x"] - land["x"]) < 2
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth + 1")
    assert not page.is_visible("#net-controls")  # the settings open with the bar's button
    page.click("#controls-toggle")
    assert page.is_visible("#net-dataset")
    shot(page, "phone-en")

    # the language switch: every text in Chinese, nothing retrained
    page.click("#lang-switch")
    page.wait_for_function("() => document.documentElement.lang === 'zh-CN'")
    page.wait_for_function("() => /[\\u4e00-\\u9fff]/.test(document.getElementById('net-status').textContent)")
    assert page.evaluate(f"() => {PAGE}.sent") == {"train": 1, "plane": 0}
    for sel in (
        "#net-fidelity h2",
        "#net-explained-text",
        ".net-curves + .scroll th",
        "#net-epoch",
        "#net-dataset-desc",
    ):
        assert CJK.search(page.inner_text(sel)), sel
    title = page.evaluate("() => document.getElementById('net-curve-loss').layout.title.text")
    assert CJK.search(title)
    assert not RAW_KEY.search(page.inner_text("body"))
    assert "lang=zh" in page.evaluate("() => location.hash")
    shot(page, "phone-zh")

    # a permalink opened afresh keeps the language and the settings
    page.goto(f"{live_server}/networks#ep=150&lang=zh&pl=pca_equal")
    quick_playback(page)
    settled(page)
    assert page.evaluate(f"() => {PAGE}.request.plane.kind") == "pca_equal"
    assert CJK.search(page.inner_text("#net-fidelity h2"))
    assert page.errors == [] and page.foreign == []


def test_a_bad_setting_is_refused_in_words_and_nothing_is_sent(watched, live_server):
    page = watched
    # a plane chosen while the runs still train is the plane drawn (after the stream's own plane)
    page.goto(f"{live_server}/networks#ep=600")
    quick_playback(page)
    page.wait_for_function(f"() => {PAGE}.sent.train === 1 && document.getElementById('net-plane').options.length > 1")
    page.select_option("#net-plane", "random")
    settled(page)
    assert page.evaluate(f"() => {PAGE}.result.plane.kind") == "random"
    assert page.evaluate(f"() => {PAGE}.sent.train") == 1
    # trained while streaming: the curves grew slice by slice, with a progress bar
    events = page.evaluate(f"() => {PAGE}.events")
    assert events["epochs"] >= 2 * 3 and events["progress"] >= 2
    page.goto(f"{live_server}/networks#ep=40")
    page.reload()
    quick_playback(page)
    settled(page)
    limits = api(live_server, "/api/v1/limits")
    sent = page.evaluate(f"() => {PAGE}.sent.train")
    # hidden widths over the served limit: the field is marked, no request goes out
    page.fill("#net-hidden", f"5, {limits['network_max_width'] + 1}")
    page.dispatch_event("#net-hidden", "change")
    assert page.get_attribute("#net-hidden", "aria-invalid") is not None
    assert page.evaluate(f"() => {PAGE}.sent.train") == sent
    # a valid change retrains: the new network's parameter count is shown
    page.fill("#net-hidden", "8")
    page.dispatch_event("#net-hidden", "change")
    settled(page)
    assert page.evaluate(f"() => {PAGE}.request.model.hidden") == [8]
    p = page.evaluate(f"() => {PAGE}.result.parameters")
    assert p == 8 * 2 + 8 + 8 + 1 and f"{p} " in page.inner_text("#net-arch")
    # the run cards write the request: Adam's learning rate and a cosine schedule
    page.fill("#net-run2-lr", "")
    page.fill("#net-run2-lr", "0.01")
    page.dispatch_event("#net-run2-lr", "change")
    settled(page)
    page.click("[data-run='2'] details.sched summary")
    page.select_option("#net-run2-sched", "cosine")
    settled(page)
    adam = page.evaluate(f"() => {PAGE}.request.runs[2]")
    assert adam["params"]["lr"] == 0.01 and adam["schedule"]["name"] == "cosine"
    assert page.evaluate(f"() => {PAGE}.result.runs[2].lr[0]") == 0.01
    # a permalink with hostile values falls back to the defaults
    page.goto(f"{live_server}/networks#ep=-5&h=1e9&ds=nope&r=[{{%22o%22:%22nope%22}}]")
    page.reload()
    quick_playback(page)
    settled(page)
    req = page.evaluate(f"() => {PAGE}.request")
    assert req["epochs"] >= 1 and req["model"]["hidden"] == [5, 2] and req["data"]["name"] == "moons"
    assert req["runs"][0]["optimizer"] in {o["id"] for o in page.evaluate(f"() => {PAGE}.optimizers")}
    assert math.isfinite(req["runs"][0]["params"].get("lr", 1.0))


def test_the_studio_and_the_lessons_link_to_the_network_page(page, live_server):
    for path in ("/", "/lessons"):
        page.goto(f"{live_server}{path}")
        link = page.locator("#nav-networks")
        assert link.get_attribute("href") == "networks"
        page.wait_for_function("() => document.getElementById('nav-networks').textContent === 'Networks'")
    page.click("#nav-networks")
    page.wait_for_url(f"{live_server}/networks")
    settled(page)
