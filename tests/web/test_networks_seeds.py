"""The network lesson over seeds on the networks page (Adam, momentum): the page trains the lesson's
first seed as any lesson, and above the views draws each run's mean over the seeds with its band
(lowest to highest seed) for the train loss and the test accuracy, the very numbers of GET
/api/v1/scenarios/{id}/seeds, in each run's colour; its claim with the measured figures, in English
and in Chinese. Screenshots go to /tmp/shots-lesson/."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.web.studio_helpers import api
from tests.web.test_networks_lessons import lesson_of, trained
from tests.web.test_networks_page import PAGE
from tests.web.test_zh_pages import english_on

SHOTS = Path("/tmp/shots-lesson")
CJK = re.compile(r"[\u4e00-\u9fff]")
LESSON = "network-adam-momentum"


def traces(page, div, role):
    return page.evaluate(
        f"() => document.getElementById('{div}').data.filter(t => t.meta && t.meta.role === '{role}')"
        ".map(t => ({run: t.meta.run, key: t.meta.key, x: Array.from(t.x), y: Array.from(t.y),"
        " color: t.line.color || t.fillcolor, fill: t.fill || null, name: t.name || ''}))"
    )


def seeds_drawn(page):
    page.wait_for_function(f"() => ['{LESSON}', 'error'].includes(document.body.dataset.seeds)", timeout=90000)
    assert page.evaluate("document.body.dataset.seeds") == LESSON, page.inner_text("#net-seeds-hint")


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_lesson_draws_each_runs_mean_and_band_over_its_seeds(watched, live_server, lang):
    page = watched
    page.goto(f"{live_server}/networks?lang={lang}#lesson={LESSON}")
    trained(page)
    seeds_drawn(page)
    lesson = lesson_of(live_server, lang, LESSON)
    answer = api(live_server, f"/api/v1/scenarios/{LESSON}/seeds")
    # the page trains the lesson's own request: its first seed
    body = page.evaluate(f"() => {PAGE}.request")
    assert body["seed"] == body["model"]["seed"] == answer["seeds"][0] == lesson["seeds"][0]
    # Adam → momentum: the page sends the lesson's chain, the stream's answer switched where it says
    chain = lesson["request"]["runs"][2]["optimizers"]
    assert body["runs"][2]["optimizers"] == chain and "params" not in body["runs"][2]
    at = chain[1]["milestone"]
    assert page.evaluate(f"() => {PAGE}.result.runs[2].switches") == [at]
    # its card says so: momentum from update 380, at epoch 20 (19 updates an epoch)
    card = page.inner_text("#net-runs [data-run='2'] .net-run-switch")
    assert str(at) in card and "20" in card
    colors = page.evaluate(
        "() => document.getElementById('net-curve-loss').data"
        ".filter(t => t.meta && t.meta.key === 'train_loss').map(t => t.line.color)"
    )
    for div, key in (("net-seeds-loss", "train_loss"), ("net-seeds-acc", "test_accuracy")):
        means, bands = traces(page, div, "mean"), traces(page, div, "band")
        assert [m["run"] for m in means] == [b["run"] for b in bands] == list(range(len(answer["runs"])))
        for m, b, run in zip(means, bands, answer["runs"], strict=True):
            want = run[key]
            assert m["y"] == want["mean"] and m["x"] == list(range(answer["epochs"] + 1))
            assert b["y"] == want["hi"] + want["lo"][::-1] and b["fill"] == "toself"
            assert m["color"] == b["color"] == colors[m["run"]]  # the run's own colour, as its other curves
            assert m["name"] == lesson["request"]["runs"][m["run"]]["label"]
            assert max(h - lo for h, lo in zip(want["hi"], want["lo"], strict=True)) > 0  # a real band
    # the switch marked on both charts of the seeds, at its epoch, in the switched run's colour
    for div in ("net-seeds-loss", "net-seeds-acc"):
        shapes = page.evaluate(f"() => document.getElementById('{div}').layout.shapes")
        assert [(sh["x0"], sh["line"]["color"]) for sh in shapes] == [(at / 19, colors[2])]
    # the hint says what the band is; the claim carries the measured figures
    hint = page.inner_text("#net-seeds-hint")
    claim = page.inner_text("#net-lesson-claim")
    assert lesson["claim"]["text"] in claim and lesson["claim"]["holds"] is True
    f = lesson["claim"]["figures"]
    assert f["seeds"] == len(answer["seeds"]) and str(f["seeds"]) in hint
    assert f"{f['adam_test']:.3g}" in claim and f"{f['momentum_test']:.3g}" in claim
    title = page.evaluate("() => document.getElementById('net-seeds-loss').layout.title.text")
    if lang == "zh":
        for text in (hint, claim, title, page.inner_text("#net-lesson-text")):
            assert CJK.search(text)
            # no English words but names: the optimizers, torch.optim.SGD, the data set, "epoch"
            assert not re.findall(r"\b(?!Adam\b|SGD\b|ReLU\b|torch\b|optim\b|moons\b|epoch\b)[A-Za-z]{3,}\b", text), (
                text
            )
    else:
        assert "lowest" in hint and "mean" in hint and not CJK.search(hint + claim + title)
    if lang == "zh":  # the whole page, as tests/web/test_zh_pages.py reads one: no English fragment
        assert english_on(page) == {}
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.locator("#net-lesson").screenshot(path=str(SHOTS / f"seeds-{lang}.png"))
    page.screenshot(path=str(SHOTS / f"page-{lang}.png"), full_page=True)


def test_leaving_the_lesson_hides_the_seeds(watched, live_server):
    page = watched
    page.goto(f"{live_server}/networks?lang=en#lesson={LESSON}")
    trained(page)
    seeds_drawn(page)
    page.click("#net-lesson-leave")
    page.wait_for_function("() => document.body.dataset.lesson === '' && document.body.dataset.seeds === ''")
    assert not page.is_visible("#net-seeds")


def test_the_switched_run_keeps_its_switch_in_a_permalink_once_the_lesson_is_left(watched, live_server):
    """Fewer epochs leave the lesson (its runs are then written into the link): the link keeps the
    switched run's chain, and opening it trains the same chain again."""
    page = watched
    page.goto(f"{live_server}/networks?lang=en#lesson={LESSON}")
    trained(page)
    chain = lesson_of(live_server, "en", LESSON)["request"]["runs"][2]["optimizers"]
    page.fill("#net-epochs", "30")
    page.press("#net-epochs", "Enter")
    page.wait_for_function(f"() => {PAGE}.request.epochs === 30 && document.body.dataset.lesson === ''")
    trained(page)
    assert page.evaluate(f"() => {PAGE}.result.runs[2].switches") == [chain[1]["milestone"]]
    link = page.get_attribute("#net-permalink", "href")
    assert "lesson=" not in link
    page.goto(f"{live_server}/{link}")
    page.reload()
    trained(page)
    body = page.evaluate(f"() => {PAGE}.request")
    assert body["epochs"] == 30 and body["runs"][2]["optimizers"] == chain
    assert page.evaluate(f"() => {PAGE}.result.runs[2].switches") == [chain[1]["milestone"]]


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_switch_epoch_lesson_draws_final_values_against_the_switch_epoch(watched, live_server, lang):
    page = watched
    when = "network-switch-when"
    page.goto(f"{live_server}/networks?lang={lang}#lesson={when}")
    trained(page)
    page.wait_for_function(f"() => ['{when}', 'error'].includes(document.body.dataset.seeds)", timeout=90000)
    answer = api(live_server, f"/api/v1/scenarios/{when}/seeds")
    lesson = lesson_of(live_server, lang, when)
    epochs = [run["optimizers"][1]["milestone"] / 19 for run in lesson["request"]["runs"]]
    for div, key in (("net-seeds-loss", "train_loss"), ("net-seeds-acc", "test_accuracy")):
        (trace,) = page.evaluate(
            f"() => document.getElementById('{div}').data.filter(t => t.meta && t.meta.role === 'by-switch')"
            ".map(t => ({x: Array.from(t.x), y: Array.from(t.y), up: Array.from(t.error_y.array),"
            " down: Array.from(t.error_y.arrayminus)}))"
        )
        mean = [r[key]["mean"][-1] for r in answer["runs"]]
        assert trace["x"] == epochs == [1, 5, 10, 20, 40, 70, 90] and trace["y"] == mean
        assert trace["up"] == pytest.approx([r[key]["hi"][-1] - m for r, m in zip(answer["runs"], mean, strict=True)])
        assert trace["down"] == pytest.approx([m - r[key]["lo"][-1] for r, m in zip(answer["runs"], mean, strict=True)])
    claim = page.inner_text("#net-lesson-claim")
    assert lesson["claim"]["text"] in claim and lesson["claim"]["holds"] is True
    if lang == "zh":
        assert CJK.search(claim) and english_on(page) == {}
    page.locator("#net-lesson").screenshot(path=str(SHOTS / f"switch-when-{lang}.png"))
