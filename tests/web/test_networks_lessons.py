"""The network lessons on the networks page, acted out by a learner: opened from the lessons page
(English and Chinese), the lesson's text and measured claim read above the views, the plane switched
without leaving the lesson, back to the free page; "Tune α for this network" on a small body, its
curves read and its rates applied; a tuning too costly refused in words. What the page shows is
checked against the API's own answers. Screenshots go to /tmp/shots-net2/."""

from __future__ import annotations

import re
from pathlib import Path

from tests.web.studio_helpers import api
from tests.web.test_networks_page import PAGE, drawn

SHOTS = Path("/tmp/shots-net2")
CJK = re.compile(r"[\u4e00-\u9fff]")
RAW_KEY = re.compile(r"\b(net|netx|network_planes|network_api)\.[a-z_]+\.[\w.-]+")


def shot(page, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def trained(page, timeout=90000):
    """Trained and the plane drawn (playback may go on)."""
    page.wait_for_function(
        f"() => document.body.dataset.phase === 'done' && {PAGE}.result && {PAGE}.result.plane "
        "|| document.body.dataset.ready === 'error'",
        timeout=timeout,
    )
    assert page.evaluate("document.body.dataset.ready") != "error", page.inner_text("#net-error")
    page.evaluate(f"() => {PAGE}.player.pause()")


def lesson_of(base, lang, lesson_id):
    return next(
        s for s in api(base, f"/api/v1/scenarios?lang={lang}") if s["id"] == lesson_id and s["kind"] == "network"
    )


def test_a_learner_opens_the_assignment_lesson_reads_its_claim_and_switches_the_plane(watched, live_server):
    page = watched
    page.goto(f"{live_server}/lessons?lang=en")
    page.click("#scenario-list a[data-id=network-assignment]")
    page.wait_for_url(re.compile(r".*/networks\?lang=en#lesson=network-assignment$"))
    trained(page)
    lesson = lesson_of(live_server, "en", "network-assignment")
    # the page trains exactly the lesson's request (its 800 epochs, its labels in English)
    body = page.evaluate(f"() => {PAGE}.request")
    want = lesson["request"]
    for key in ("data", "model", "epochs", "seed"):
        assert body[key] == want[key], key
    assert [(r["optimizer"], r["params"], r["batch_size"], r["label"]) for r in body["runs"]] == [
        (r["optimizer"], r["params"], r["batch_size"], r["label"]) for r in want["runs"]
    ]
    assert body["epochs"] == 800
    # the lesson above the views: its title, its text, its measured claim
    page.wait_for_selector("#net-lesson", state="visible")  # the panel renders on the next frame
    assert page.inner_text("#net-lesson-title") == lesson["title"]
    assert page.inner_text("#net-lesson-text") == lesson["explanation"]
    claim = page.inner_text("#net-lesson-claim")
    assert lesson["claim"]["text"] in claim and lesson["claim"]["holds"] is True
    assert "Adam" in claim and "%" in claim
    box = page.locator("#net-lesson").bounding_box()
    assert box["y"] < page.locator(".net-land").bounding_box()["y"]
    # the plane drawn at once on a canvas when it came before Plotly was parsed, then Plotly's figure
    # in its place
    preview, contour = page.evaluate(f"() => [{PAGE}.firstPreview ?? null, {PAGE}.firstLandscape]")
    assert contour > 0 and (preview is None or preview < contour)
    assert not page.is_visible("#net-land-preview")
    # the landscape: each run's end marked; GD's and momentum's short paths zoomed in an inset
    answer = api(live_server, "/api/v1/networks", body)
    ends = drawn(page, "net-landscape", "ends")
    assert len(ends) == 1 and len(ends[0][1]) == 3
    adam_end = answer["runs"][2]["path"]["a"][-1]
    assert adam_end in ends[0][1]
    inset = {run for run, _, _ in drawn(page, "net-landscape", "inset")}
    assert inset == {0, 1}  # GD and momentum barely move at α = 0.0007; Adam does not need the zoom
    layout = page.evaluate("() => document.getElementById('net-landscape').layout")
    assert layout["xaxis2"]["domain"][1] < 0.5 and layout["yaxis2"]["domain"][0] > 0.5
    # the landscape fills its panel: no large empty area under it
    plot = page.locator("#net-landscape").bounding_box()
    panel = page.locator(".net-land").bounding_box()
    assert plot["height"] >= 0.8 * panel["height"] - 60 and plot["height"] >= plot["width"] - 2
    drawn_h = page.evaluate("() => document.getElementById('net-landscape')._fullLayout.height")
    assert abs(drawn_h - plot["height"]) < 3
    # every run card in the sidebar is whole: nothing of the sidebar is hidden behind a scroll
    assert page.evaluate(
        "() => { const s = document.getElementById('net-controls'); return s.scrollHeight <= s.clientHeight + 1; }"
    )
    cards = page.locator("#net-runs .run-card")
    assert cards.count() == 3
    shot(page, "lesson-assignment-en")

    # another plane: no retraining, still the lesson, and the hash keeps both
    page.select_option("#net-plane", "random")
    trained(page)
    page.wait_for_function(f"() => {PAGE}.result.plane.kind === 'random'")
    assert page.evaluate(f"() => {PAGE}.sent") == {"train": 1, "plane": 1}
    page.wait_for_selector("#net-lesson", state="visible")  # the panel renders on the next frame
    hash_ = page.evaluate("() => location.hash")
    assert "lesson=network-assignment" in hash_ and "pl=random" in hash_ and "r=" not in hash_
    # the link opened afresh: the same lesson on the same plane
    page.goto(f"{live_server}/networks{hash_}")
    page.reload()
    trained(page)
    assert page.evaluate(f"() => {PAGE}.request.plane.kind") == "random"
    page.wait_for_selector("#net-lesson", state="visible")  # the panel renders on the next frame

    # back to the free page: the same runs, no lesson panel, the state's own permalink
    page.click("#net-lesson-leave")
    page.wait_for_function("() => !location.hash.includes('lesson=')")
    page.wait_for_selector("#net-lesson", state="hidden")
    assert "r=" in page.evaluate("() => location.hash")
    assert page.evaluate(f"() => {PAGE}.sent.train") == 1
    # an edit on the free page is the page's own state; the assignment button opens the lesson again
    page.click("#net-assignment")
    page.wait_for_function("() => location.hash.includes('lesson=network-assignment')")
    page.wait_for_selector("#net-lesson", state="visible")  # the panel renders on the next frame
    assert page.errors == [] and page.foreign == []


def test_the_free_page_opens_on_the_assignment_lessons_request(watched, live_server):
    page = watched
    page.goto(f"{live_server}/networks")
    page.wait_for_function(f"() => {PAGE}.request")
    lesson = lesson_of(live_server, "en", "network-assignment")
    body = page.evaluate(f"() => {PAGE}.request")
    assert body["epochs"] == lesson["request"]["epochs"] == 800
    assert [r["params"] for r in body["runs"]] == [r["params"] for r in lesson["request"]["runs"]]
    page.wait_for_selector("#net-lesson", state="hidden")
    # a lesson link whose request was edited is the edited state, not the lesson
    page.goto(f"{live_server}/networks#lesson=network-assignment&ep=30")
    page.reload()
    trained(page)
    assert page.evaluate(f"() => {PAGE}.request.epochs") == 30
    page.wait_for_selector("#net-lesson", state="hidden")


def test_a_learner_tunes_alpha_for_the_network_and_the_rates_are_applied(watched, live_server):
    page = watched
    page.goto(f"{live_server}/networks#ep=20&lang=en")
    trained(page)
    body = page.evaluate(f"() => {PAGE}.request")
    sent = page.evaluate(f"() => {PAGE}.sent.train")
    # every text the status shows, kept as it changes (a quick tuning is done before a read could see it)
    page.evaluate(
        """() => { const el = document.getElementById('net-tune-status'); window.tuneTexts = [];
        new MutationObserver(() => window.tuneTexts.push(el.innerText))
          .observe(el, {childList: true, subtree: true, characterData: true}); }"""
    )
    page.click("#net-tune")
    page.wait_for_function("() => ['done', 'error'].includes(document.body.dataset.tune)", timeout=90000)
    running = [t for t in page.evaluate("() => window.tuneTexts") if "Gradient descent" in t]
    # while it runs, the optimizers by their names, not their ids
    assert running and all("Momentum" in t and "Adam" in t and "adam" not in t for t in running), running
    assert page.evaluate("document.body.dataset.tune") == "done", page.inner_text("#net-tune-status")
    answer = api(live_server, "/api/v1/networks/tune", {**body, "n": 9, "seeds": 3})
    # the tuning curves: final train loss against the rate, log x, a band over the seeds (mini-batches),
    # the best starred
    tuned = drawn(page, "net-tune-chart", "tune")
    assert sorted(r for r, _, _ in tuned) == [0, 1, 2]
    for run, xs, ys in tuned:
        curve = answer["curves"][run]
        assert xs == curve["lrs"] and ys == curve["final_loss"]
    assert len(drawn(page, "net-tune-chart", "spread")) == 3 and answer["noisy"] is True
    best = {run: xs[0] for run, xs, _ in drawn(page, "net-tune-chart", "best")}
    assert best == {c["run"]: c["best_lr"] for c in answer["curves"]}
    assert page.evaluate("() => document.getElementById('net-tune-chart').layout.xaxis.type") == "log"
    # which optimizer wins at its best rate, in words
    names = {o["id"]: o["name"] for o in page.evaluate(f"() => {PAGE}.optimizers")}
    winner = answer["curves"][answer["ranking"][0]]
    verdict = page.inner_text("#net-tune-verdict")
    assert f"{names[winner['optimizer']]} wins" in verdict, verdict
    # the tuned rates applied: the page trains again with each run at its best
    trained(page)
    assert page.evaluate(f"() => {PAGE}.sent.train") == sent + 1
    lrs = page.evaluate(f"() => {PAGE}.request.runs.map(r => r.params.lr)")
    assert lrs == [r["params"]["lr"] for r in answer["request"]["runs"]] == [c["best_lr"] for c in answer["curves"]]
    assert page.evaluate(f"() => {PAGE}.result.runs.map(r => r.lr[0])") == lrs
    page.wait_for_function("() => document.getElementById('net-tune-chart').data")
    shot(page, "tuned-en")
    assert page.errors == [] and page.foreign == []


def test_a_tuning_too_costly_is_refused_with_the_servers_words_and_a_suggestion(watched, live_server):
    page = watched
    page.goto(f"{live_server}/networks#ep=3000&lang=en")
    trained(page)
    page.click("#net-tune")
    page.wait_for_function("() => ['done', 'error'].includes(document.body.dataset.tune)", timeout=30000)
    assert page.evaluate("document.body.dataset.tune") == "error"
    text = page.inner_text("#net-tune-status")
    assert "more than the limit" in text and "try fewer epochs (e.g. 750)" in text, text
    assert page.evaluate(f"() => {PAGE}.request.runs.map(r => r.params.lr)") == [0.0007] * 3  # nothing applied


def test_in_chinese_the_lr_decay_lesson_on_a_phone(watched, live_server):
    page = watched
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server}/lessons?lang=zh")
    page.wait_for_selector("#scenario-list a[data-id=network-lr-decay]")
    page.evaluate("() => document.querySelector('#scenario-list a[data-id=network-lr-decay]').click()")
    page.wait_for_url(re.compile(r".*/networks\?lang=zh#lesson=network-lr-decay$"))
    trained(page)
    lesson = lesson_of(live_server, "zh", "network-lr-decay")
    assert page.inner_text("#net-lesson-title") == lesson["title"] and CJK.search(lesson["title"])
    assert lesson["claim"]["text"] in page.inner_text("#net-lesson-claim")
    assert CJK.search(page.inner_text("#net-lesson-claim"))
    assert [r["label"] for r in page.evaluate(f"() => {PAGE}.request.runs")] == [
        r["label"] for r in lesson["request"]["runs"]
    ]
    # the lesson asks for each run's learning rate per update: drawn beside the landscape
    assert page.is_visible("#net-lr-chart")
    lr = page.evaluate(
        "() => document.getElementById('net-lr-chart').data.map(t => [t.meta.run, t.y[0], t.y[t.y.length - 1]])"
    )
    assert len(lr) == 5 and all(first == 0.1 for _, first, _ in lr)
    assert lr[0][2] == 0.1 and lr[2][2] < 0.01  # constant; 0.95^epoch after 200 epochs
    # the phone: nothing wider than the screen, the fidelity table stacked (a column name beside each value)
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth + 1")
    assert not page.is_visible(".net-fid-table thead")
    cell = page.locator("#net-fid-body tr").first.locator("[data-field=captured]")
    assert CJK.search(page.evaluate("(c) => getComputedStyle(c, '::before').content", cell.element_handle()))
    table = page.locator("#net-fid-table").bounding_box()
    assert table["width"] <= 390
    assert not RAW_KEY.search(page.inner_text("body"))
    shot(page, "lesson-lr-decay-zh-phone")
    # switched to English: the lesson stays, its labels in English
    page.click("#lang-switch")
    page.wait_for_function("() => document.documentElement.lang === 'en'")
    en = lesson_of(live_server, "en", "network-lr-decay")
    page.wait_for_function(f"() => {PAGE}.request.runs[0].label === {en['request']['runs'][0]['label']!r}")
    assert page.inner_text("#net-lesson-title") == en["title"]
    assert "lang=en" in page.evaluate("() => location.hash") and "lesson=network-lr-decay" in page.evaluate(
        "() => location.hash"
    )
    assert page.errors == [] and page.foreign == []
