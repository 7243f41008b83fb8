"""The lessons page in Chromium: every lesson draws and shows its measured claim, in English and in
Chinese, on a desktop and on a phone; the tools show what they will draw and run from the lessons."""

from __future__ import annotations

import json
import re
from urllib.parse import parse_qs

import pytest

from tests.web.conftest import ARTIFACTS

CJK = re.compile(r"[\u4e00-\u9fff]")
RAW_KEY = re.compile(r"\b(scenario|claim|lessons|optimizer|surface|schedule)\.[\w-]+\.[\w.-]+|\boptimizer\.None")


def ready(page, url):
    page.goto(url)
    page.wait_for_function("() => document.body.dataset.ready === '1' || document.body.dataset.error", timeout=60000)
    assert page.evaluate("document.body.dataset.error") is None


def show(page, sid):
    page.click(f'#scenario-list a[data-id="{sid}"]')
    page.wait_for_function(f"() => document.body.dataset.scenario === '{sid}'", timeout=60000)


def fmt_int(v):
    return f"{v:,}"


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_lesson_draws_and_states_its_measured_claim(watched, live_server, lang):
    """…and each lesson's studio link carries its full request in the page's language."""
    ready(watched, f"{live_server}/lessons?lang={lang}")
    scenarios = watched.evaluate("() => window.optivizLessons.scenarios")
    colours = {o["id"]: o["color"] for o in watched.evaluate("() => window.optivizLessons.catalogue.optimizers")}
    assert len(scenarios) >= 14
    for sc in scenarios:
        if sc["kind"] == "network":  # drawn by the networks page: the list links there
            href = watched.get_attribute(f'#scenario-list a[data-id="{sc["id"]}"]', "href")
            assert href == f"networks?lang={lang}#lesson={sc['id']}", href
            continue
        show(watched, sc["id"])
        claim = watched.inner_text("#sc-claim-text")
        assert claim == sc["claim"]["text"] and watched.get_attribute("#sc-claim", "data-holds") == "true"
        # the figures are in the words: every whole-number figure appears as written
        for k, v in sc["claim"]["figures"].items():
            if isinstance(v, int) and not isinstance(v, bool):
                assert fmt_int(v) in claim, (sc["id"], k, v, claim)
        assert json.loads(watched.get_attribute("#sc-claim", "data-figures")) == sc["claim"]["figures"]
        text = watched.inner_text("#scenario") + watched.inner_text(".lesson-nav")
        assert not RAW_KEY.search(text), (sc["id"], RAW_KEY.search(text).group(0))
        traces = watched.evaluate("() => (document.getElementById('sc-loss').data || []).length")
        assert traces > 0, sc["id"]
        if lang == "zh":
            assert CJK.search(watched.inner_text("#sc-title")) and CJK.search(claim)
        if sc["kind"] == "trajectories":
            check_studio_link(watched, sc, colours, lang)
            n_runs = len(sc["request"]["runs"])
            drawn = watched.evaluate(
                "() => document.getElementById('sc-map').data.filter(t => t.meta && t.meta.run !== undefined).length"
            )
            assert drawn == n_runs
            if sc["lr_chart"]:
                assert watched.evaluate("() => document.getElementById('sc-lr').data.length") == n_runs
        if sc is scenarios[0] or sc["id"] == "momentum-bowl":  # a CJK screenshot costs seconds in software rendering
            watched.screenshot(path=str(ARTIFACTS / f"lesson-{lang}-{sc['id']}.png"), full_page=False)
    page_text = watched.inner_text("body")
    assert not RAW_KEY.search(page_text)
    if lang == "zh":
        assert watched.evaluate("document.documentElement.lang") == "zh-CN"
    assert watched.errors == [] and watched.foreign == []


def test_coincident_momentum_paths_are_drawn_dashed_over_a_wide_line(watched, live_server):
    ready(watched, f"{live_server}/lessons#scenario=momentum-bowl")
    lines = watched.evaluate("""() => document.getElementById('sc-map').data
        .filter(t => t.meta && t.meta.run !== undefined)
        .map(t => ({run: t.meta.run, dash: t.line.dash || 'solid', width: t.line.width, n: t.x.length}))""")
    by_run = {line["run"]: line for line in lines}  # drawn beneath first, not in the runs' order
    ewa, classic = by_run[1], by_run[2]
    assert classic["dash"] == "dash" and ewa["width"] > classic["width"] and ewa["n"] == classic["n"]


def check_studio_link(page, sc, colours, lang):
    """The lesson's "open in the studio" link carries its full request (and the language)."""
    href = page.get_attribute("#sc-open", "href")
    q = parse_qs(href.split("#", 1)[1])
    req = sc["request"]
    assert q["lang"] == [lang]
    assert q["s"] == [req["surface"] if isinstance(req["surface"], str) else "custom"]
    assert int(q["n"][0]) == req["steps"] and int(q.get("seed", ["0"])[0]) == req.get("seed", 0)
    if "start" in req:
        assert [float(v) for v in q["p"][0].split(",")] == req["start"]
    if req.get("tolerance"):
        assert float(q["tol"][0]) == req["tolerance"]
    runs = json.loads(q["r"][0])
    assert len(runs) == len(req["runs"])
    for got, want in zip(runs, req["runs"], strict=True):
        assert got["o"] == want["optimizer"] and got["p"] == want["params"] and got["l"] == want["label"]
        assert got.get("b") == want.get("batch_size") and got.get("z", 0) == want.get("noise_std", 0)
        if want.get("schedule"):
            assert got["s"]["name"] == want["schedule"]["name"] and got["s"]["params"] == want["schedule"]["params"]
            assert got["s"]["warmup_steps"] == want["schedule"].get("warmup_steps", 0)
        first = next(r for r in req["runs"] if r["optimizer"] == want["optimizer"])
        if first is want:
            assert got["c"].lower() == colours[want["optimizer"]].lower()  # the registry's colour


def test_phone_tap_scrolls_to_the_lesson(watched, live_server):
    watched.set_viewport_size({"width": 390, "height": 844})
    ready(watched, f"{live_server}/lessons?lang=zh")
    watched.evaluate("window.scrollTo(0, 0)")
    show(watched, "plateau")
    watched.wait_for_function(
        "() => Math.abs(document.getElementById('scenario').getBoundingClientRect().top) < 80", timeout=10000
    )
    watched.screenshot(path=str(ARTIFACTS / "lessons-phone-zh.png"), full_page=False)
    assert watched.errors == []


def test_tools_preview_then_run_from_the_lessons(watched, live_server):
    ready(watched, f"{live_server}/lessons")
    # before any run: each tool says what it will draw and shows its axes
    for p in ("sw-will", "bs-will", "rc-will"):
        assert len(watched.inner_text(f"#{p}")) > 20
    for div in ("sw-plot", "bs-plot", "rc-plot"):
        assert watched.evaluate(f"() => !!document.getElementById('{div}')._fullLayout"), div
    assert watched.is_hidden("#rc-open")
    # schedules: small multiples, cyclic not flat, warm-up bound from GET /api/v1/limits
    shown = watched.evaluate("() => window.optivizLessons.shown")
    assert len(shown) >= 4 and "cyclic" in shown
    watched.wait_for_function("() => document.getElementById('sched-cyclic').data")
    lr = watched.evaluate("() => document.getElementById('sched-cyclic').data[0].y")
    assert max(lr) > 2 * min(lr)
    limit = watched.evaluate("() => window.optivizLessons.limits.max_warmup_steps")
    assert watched.get_attribute("#sc-cyclic-warmup_steps", "max") == str(limit)
    # a schedule that reads the loss is drawn from a run (its rate and that run's loss), with no warm-up
    watched.check('[data-schedule="reduce_on_plateau"]')
    watched.wait_for_function(
        "() => (document.getElementById('sched-reduce_on_plateau')?.data || []).length === 2", timeout=20000
    )
    cut = watched.evaluate("() => document.getElementById('sched-reduce_on_plateau').data[0].y")
    assert len(set(cut)) > 2 and cut[0] == 0.1 and min(cut) < 0.01
    assert watched.locator("#sc-reduce_on_plateau-warmup_steps").count() == 0
    watched.locator("#sched-reduce_on_plateau").scroll_into_view_if_needed()
    watched.screenshot(path=str(ARTIFACTS / "lessons_plateau_explorer.png"))
    # the sweep lesson: full-width heatmap, and its button fills and runs the sweep tool
    show(watched, "batch-size-lr")
    assert watched.evaluate("() => document.getElementById('sc-plots').classList.contains('single')")
    width = watched.evaluate(
        "() => document.getElementById('sc-loss')._fullLayout.width"
    )  # the drawn chart, not the box
    panel = watched.evaluate("() => document.getElementById('scenario').getBoundingClientRect().width")
    assert width > 0.9 * panel
    watched.click("#sc-sweep")
    watched.wait_for_function("() => document.body.dataset.sweep === 'done'", timeout=60000)
    assert watched.input_value("#sw-surface") == "logistic_regression" and watched.input_value("#sw-y") == "batch_size"
    assert watched.evaluate("() => document.getElementById('sw-plot').data[0].z.length") == 8
    # basins and the race
    watched.click("#bs-run")
    watched.wait_for_function("() => document.body.dataset.basins === 'done'", timeout=60000)
    watched.click("#rc-run")
    watched.wait_for_function("() => document.body.dataset.race === 'done'", timeout=60000)
    href = watched.get_attribute("#rc-open", "href")
    assert watched.is_visible("#rc-open") and href.startswith("./#")
    runs = json.loads(parse_qs(href.split("#", 1)[1])["r"][0])
    assert [r["o"] for r in runs] == ["gd", "momentum", "nesterov", "rmsprop", "adam"] and all(
        "lr" in r["p"] for r in runs
    )
    watched.select_option("#rc-surface", "himmelblau")
    assert watched.is_hidden("#rc-open")  # a new surface needs a new tuning
    watched.screenshot(path=str(ARTIFACTS / "lessons-tools.png"), full_page=True)
    assert watched.errors == []


def test_language_switch_keeps_the_lesson_in_the_url(watched, live_server):
    ready(watched, f"{live_server}/lessons#scenario=nesterov")
    watched.click("#lang-switch")
    watched.wait_for_function(
        "() => document.body.dataset.ready === '1' && document.documentElement.lang === 'zh-CN'", timeout=60000
    )
    assert "lang=zh" in watched.url and "scenario=nesterov" in watched.url
    assert CJK.search(watched.inner_text("#sc-title"))
    assert watched.errors == []


def test_ewa_lesson_opens_the_ewa_tool_with_its_betas(watched, live_server):
    ready(watched, f"{live_server}/lessons#scenario=ewa-bias-correction")
    watched.wait_for_function("() => document.body.dataset.scenario === 'ewa-bias-correction'")
    assert watched.is_hidden("#sc-map") and watched.is_hidden("#sc-open")
    assert watched.evaluate("() => document.getElementById('sc-loss').data.length") == 5  # data + 2 × (raw, corrected)
    watched.click("#sc-sweep")
    watched.wait_for_function("() => document.getElementById('ewa-plot').data.length === 5")
    assert watched.evaluate("() => window.optivizLessons.ewa.betas") == [0.9, 0.98]
    assert watched.errors == []


def test_race_on_a_dataset_surface_shows_the_median_and_spread_over_seeds(watched, live_server):
    ready(watched, f"{live_server}/lessons?lang=zh")
    watched.select_option("#rc-surface", "linear_regression")
    watched.click("#rc-run")
    watched.wait_for_function("() => document.body.dataset.race === 'done'", timeout=90000)
    fills = watched.evaluate("() => document.getElementById('rc-plot').data.filter(t => t.fill === 'tonexty').length")
    assert fills == 5
    assert CJK.search(watched.inner_text("#rc-notes")) and "32" in watched.inner_text("#rc-notes")
    runs = json.loads(parse_qs(watched.get_attribute("#rc-open", "href").split("#", 1)[1])["r"][0])
    assert all(r["b"] == 32 for r in runs)
    watched.locator("#race").screenshot(path=str(ARTIFACTS / "lessons-race-noisy-zh.png"))
    assert watched.errors == []


def test_a_lesson_opens_in_the_studio_with_the_same_runs(watched, live_server):
    ready(watched, f"{live_server}/lessons#scenario=warmup-cyclic-restarts")
    watched.wait_for_function("() => document.body.dataset.scenario === 'warmup-cyclic-restarts'")
    sc = watched.evaluate("() => window.optivizLessons.scenarios.find(s => s.id === 'warmup-cyclic-restarts')")
    watched.click("#sc-open")
    watched.wait_for_function("() => window.optiviz && document.body.dataset.ready === '1'", timeout=60000)
    state = watched.evaluate("() => window.optiviz.state")
    assert state["surface"] == sc["request"]["surface"] and state["steps"] == sc["request"]["steps"]
    assert state["start"] == sc["request"]["start"]
    for got, want in zip(state["runs"], sc["request"]["runs"], strict=True):
        assert (
            got["optimizer"] == want["optimizer"] and got["params"] == want["params"] and got["label"] == want["label"]
        )
        if want.get("schedule"):
            assert (
                got["schedule"]["name"] == want["schedule"]["name"]
                and got["schedule"]["params"] == want["schedule"]["params"]
            )
            assert got["schedule"]["warmup_steps"] == want["schedule"].get("warmup_steps", 0)
    assert watched.errors == []


def test_the_last_lesson_chosen_stays_drawn_when_an_earlier_one_answers_late(watched, live_server):
    """A learner clicks a lesson, then another before the first has loaded: the first must not draw
    over the second when its answer arrives (it did: the Chinese walk through the lessons stalled)."""
    ready(watched, f"{live_server}/lessons#scenario=plateau")
    held = []
    watched.route("**/api/v1/trajectories", lambda route: route.continue_() if held else held.append(route))
    watched.click('#scenario-list a[data-id="momentum-bowl"]')
    watched.wait_for_function("() => document.body.dataset.scenario === ''")
    assert len(held) == 1
    show(watched, "ewa-bias-correction")
    with watched.expect_event("requestfinished", lambda r: "/api/v1/trajectories" in r.url):
        held[0].continue_()
    watched.wait_for_load_state("networkidle")
    assert watched.evaluate("document.body.dataset.scenario") == "ewa-bias-correction"
    title = next(
        s["title"]
        for s in watched.evaluate("() => window.optivizLessons.scenarios")
        if s["id"] == "ewa-bias-correction"
    )
    assert watched.inner_text("#sc-title") == title
    assert watched.is_hidden("#sc-map")
    names = watched.evaluate("() => document.getElementById('sc-loss').data.map(t => t.name)")
    assert names and all("Momentum" not in (n or "") for n in names), names
    assert watched.errors == []


def test_the_page_renders_from_its_store_and_the_url_writes_it(watched, live_server):
    """The lessons page's state lives in a store, as the studio's: a change of state redraws the
    controls and charts; back and forward between lessons go through the URL into the store."""
    ready(watched, f"{live_server}/lessons#scenario=nesterov")
    watched.evaluate("() => window.optivizLessons.store.update({ shown: ['cosine', 'step'], ewaBetas: [0.7] })")
    watched.wait_for_function("() => document.querySelectorAll('#sched-grid .sched-card').length === 2")
    picked = watched.evaluate("() => [...document.querySelectorAll('[data-schedule]:checked')].map(b => b.value)")
    assert sorted(picked) == ["cosine", "step"]
    # the data, then β = 0.7 raw and corrected
    watched.wait_for_function("() => (document.getElementById('ewa-plot').data || []).length === 3")
    assert watched.input_value('#ewa-controls input[type="number"]') == "0.7"
    # a control writes the store
    watched.uncheck('[data-schedule="step"]')
    watched.wait_for_function("() => window.optivizLessons.shown.join() === 'cosine'")
    assert watched.locator("#sched-grid .sched-card").count() == 1
    show(watched, "plateau")
    assert "scenario=plateau" in watched.url
    watched.go_back()
    watched.wait_for_function("() => document.body.dataset.scenario === 'nesterov'", timeout=60000)
    assert watched.evaluate("() => window.optivizLessons.store.get().scenario") == "nesterov"
    assert watched.errors == []
