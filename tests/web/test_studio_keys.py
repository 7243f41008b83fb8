"""The studio by keyboard, by link and on a phone: arrow keys step a parameter by its own scale, the
sliders are reached with Tab, the permalink keeps the scrubbed iteration (copy link), copy buttons
answer, Play keeps its width, L-BFGS's Δθ = 0 is explained, and a phone shows no keyboard hint,
whole table headers and arrows that fit the map."""

from __future__ import annotations

import json
import math
import urllib.parse
from pathlib import Path

import pytest

from tests.web.studio_helpers import api, ready, sent_request, settled

SHOTS = Path("/tmp/shots-keys")
PHONE = {"viewport": {"width": 390, "height": 844}, "has_touch": True, "is_mobile": True, "device_scale_factor": 2}
CLIPBOARD = ["clipboard-read", "clipboard-write"]


@pytest.fixture(scope="module")
def en(live_server):
    return api(live_server, "/api/v1/messages?lang=en")["messages"]


@pytest.fixture(scope="module")
def zh(live_server):
    return api(live_server, "/api/v1/messages?lang=zh")["messages"]


def shot(page, name, locator=None):
    SHOTS.mkdir(parents=True, exist_ok=True)
    (page.locator(locator) if locator else page).screenshot(path=str(SHOTS / f"{name}.png"))


def field(page, run, name):
    return page.locator(f'fieldset[data-run="{run}"] input[type=number][data-param="{name}"]')


def slider(page, run, name):
    return page.locator(f'fieldset[data-run="{run}"] input[type=range][data-slider="{name}"]')


def sent(page, run, name):
    """The value of a run's parameter in the request whose answer is drawn."""
    ready(page)
    return sent_request(page)["runs"][run]["params"][name]


def status_kind(page, run):
    return page.get_attribute(f'[data-status="{run}"]', "data-kind")


def test_arrow_keys_step_by_the_parameters_scale(watched, live_server) -> None:
    page = watched
    page.goto(live_server + "/")  # the elongated bowl: GD and momentum at α = 0.49
    settled(page)
    lr = field(page, 1, "lr")
    assert lr.input_value() == "0.49"
    lr.focus()
    page.keyboard.press("ArrowUp")  # ×10^(1/20), two significant digits: 0.49 → 0.55 (not 1.49)
    assert lr.input_value() == "0.55"
    assert sent(page, 1, "lr") == 0.55
    page.wait_for_function("() => window.optiviz.model.result.done")
    assert status_kind(page, 1) != "diverged"
    page.keyboard.press("ArrowDown")  # and back
    assert lr.input_value() == "0.49" and sent(page, 1, "lr") == 0.49
    page.keyboard.press("Shift+ArrowUp")  # a quarter decade: 0.49 × 1.78
    assert lr.input_value() == "0.87" and sent(page, 1, "lr") == 0.87
    # GD's α down: 0.49 → 0.44 (not −0.51, an invalid value)
    gd = field(page, 0, "lr")
    gd.focus()
    page.keyboard.press("ArrowDown")
    assert gd.input_value() == "0.44" and sent(page, 0, "lr") == 0.44
    # a linear parameter: a round hundredth of its range (β ∈ [0, 0.999]: 0.9 → 0.91), a tenth with Shift
    beta = field(page, 1, "beta")
    beta.focus()
    page.keyboard.press("ArrowUp")
    assert beta.input_value() == "0.91" and sent(page, 1, "beta") == 0.91
    page.keyboard.press("Shift+ArrowDown")  # to the tenths' grid, then a tenth
    assert beta.input_value() == "0.9" and sent(page, 1, "beta") == 0.9
    page.keyboard.press("Shift+ArrowDown")
    assert beta.input_value() == "0.8" and sent(page, 1, "beta") == 0.8
    # at a bound the value stops there (β < 1: 0.999 is the slider's end)
    beta.fill("0.995")
    assert sent(page, 1, "beta") == 0.995
    page.keyboard.press("ArrowUp")
    assert beta.input_value() == "0.999"
    page.keyboard.press("ArrowUp")
    assert beta.input_value() == "0.999" and sent(page, 1, "beta") == 0.999
    shot(page, "keys-card", 'fieldset[data-run="1"]')
    # the tolerance too: from 0 up to 1e-6 (not to 1, which would stop every run at once), then ×10^(1/20)
    page.locator("#tolerance").focus()
    page.keyboard.press("ArrowUp")
    assert page.locator("#tolerance").input_value() == "1e-6"
    page.keyboard.press("ArrowUp")
    assert page.locator("#tolerance").input_value() == "1.1e-6"
    ready(page)
    assert sent_request(page)["tolerance"] == 1.1e-6
    assert page.errors == []


def test_tab_reaches_the_slider_and_its_arrows_step_alike(watched, live_server) -> None:
    page = watched
    page.goto(live_server + "/")
    settled(page)
    field(page, 1, "lr").focus()
    page.keyboard.press("Tab")  # the field, then its slider
    assert page.evaluate("() => document.activeElement.dataset.sliderFor") == "runs.1.params.lr"
    for key, want in (("ArrowUp", 0.55), ("ArrowRight", 0.62), ("ArrowLeft", 0.55), ("PageDown", 0.31)):
        page.keyboard.press(key)
        assert field(page, 1, "lr").input_value() == str(want)
        assert sent(page, 1, "lr") == want
    # the slider shows the value (its position is the value's on the log scale), and keeps the focus
    assert page.evaluate("() => document.activeElement.dataset.sliderFor") == "runs.1.params.lr"
    pos = int(slider(page, 1, "lr").input_value())
    lo, hi = 1e-4, 10.0  # the catalogue's slider range of α
    assert abs(pos / 1000 - math.log(0.31 / lo) / math.log(hi / lo)) < 0.002
    # and Shift+Tab goes back to the field
    page.keyboard.press("Shift+Tab")
    assert page.evaluate("() => document.activeElement.dataset.path") == "runs.1.params.lr"
    shot(page, "keys-slider-focus", 'fieldset[data-run="1"]')
    assert page.errors == []


# Every text a button shows from now on (the "copied ✓" lasts 1.5 s: a loaded machine may read the
# button before the copy is written or after the label came back), and the live region's.
WATCH = """(id) => {
  const b = document.getElementById(id);
  window.__shown = [];
  window.__said = [];
  new MutationObserver(() => window.__shown.push(b.textContent))
    .observe(b, { childList: true, characterData: true, subtree: true });
  new MutationObserver(() => window.__said.push(document.getElementById('copy-status')?.textContent))
    .observe(document.body, { childList: true, characterData: true, subtree: true });
}"""


def copied(page, done: str, live: str) -> None:
    """Await the button's "copied" label and the live region's announcement (seen by the watcher
    installed before the click)."""
    page.wait_for_function("(t) => window.__shown.includes(t)", arg=done)
    page.wait_for_function("(t) => window.__said.includes(t)", arg=live)


def test_copy_link_keeps_the_scrubbed_iteration(browser, live_server, en) -> None:
    ctx = browser.new_context(viewport={"width": 1366, "height": 768}, permissions=CLIPBOARD)
    page = ctx.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(live_server + "/")
    settled(page)
    page.locator("#scrub").fill("57")
    page.wait_for_function("() => location.hash.includes('it=57')")
    page.evaluate(WATCH, "copy-link")
    page.click("#copy-link")
    copied(page, en["studio.copy.done"], en["studio.copy.done_live"])
    link = page.evaluate("() => navigator.clipboard.readText()")
    assert link == page.url and "it=57" in link
    shot(page, "keys-copied", ".toolbar")
    page.wait_for_function("(t) => document.getElementById('copy-link').textContent === t", arg=en["studio.copy.link"])
    # the link opens at iteration 57, paused, the inspector there
    fresh = ctx.new_page()
    fresh.goto(link)
    ready(fresh)
    fresh.wait_for_function("() => window.optiviz.player.it === 57 && !window.optiviz.player.playing")
    assert fresh.locator("#scrub").input_value() == "57"
    assert "57" in fresh.text_content("#iteration")
    fresh.wait_for_function("() => document.getElementById('inspector').dataset.t === '57'", timeout=20000)
    # the paths are drawn up to iteration 57
    ends = fresh.evaluate(
        "() => document.getElementById('map').data.filter(t => t.meta && t.meta.role === 'path')"
        ".map(t => [t.meta.run, t.x.length, t.x[t.x.length - 1], t.y[t.y.length - 1]])"
    )
    runs = fresh.evaluate("() => window.optiviz.model.result.runs.map(r => [r.x[57], r.y[57]])")
    assert ends and all(n == 58 and [x, y] == runs[i] for i, n, x, y in ends)
    shot(fresh, "keys-link-opened")
    # an edit follows the new run to its end again: the iteration leaves the link
    fresh.locator('fieldset[data-run="0"] input[type=number][data-param="lr"]').fill("0.3")
    fresh.wait_for_function("() => !location.hash.includes('it=')")
    settled(fresh)
    assert errors == []
    ctx.close()


def test_code_copy_says_copied_then_reverts(browser, live_server, en) -> None:
    ctx = browser.new_context(viewport={"width": 1366, "height": 768}, permissions=CLIPBOARD)
    page = ctx.new_page()
    page.goto(live_server + "/")
    settled(page)
    page.click("#export-torch")
    page.wait_for_function("() => document.getElementById('code-export').dataset.ready === '1'", timeout=30000)
    page.evaluate(WATCH, "code-copy")
    page.click("#code-copy")
    copied(page, en["studio.copy.done"], en["studio.copy.done_live"])
    assert page.evaluate("() => navigator.clipboard.readText()") == page.locator("#code-text").input_value()
    shot(page, "keys-code-copied", "#code-export")
    page.wait_for_function(
        "(t) => document.getElementById('code-copy').textContent === t", arg=en["studio.export.copy"]
    )
    assert page.get_attribute("#code-copy", "data-copied") is None
    ctx.close()


def test_play_keeps_its_width(watched, live_server, en, zh) -> None:
    page = watched
    page.goto(live_server + "/")
    settled(page)
    width = "() => document.getElementById('play').getBoundingClientRect().width"
    fits = "() => { const b = document.getElementById('play'); return b.scrollWidth <= b.clientWidth; }"
    page.locator("#speed").fill("0")  # a quarter of the speed: time to see it playing
    paused = page.evaluate(width)
    assert page.text_content("#play") == en["studio.play"] and page.evaluate(fits)
    page.click("#play")
    page.wait_for_function("(t) => document.getElementById('play').textContent === t", arg=en["studio.pause"])
    assert page.evaluate(width) == paused and page.evaluate(fits)
    shot(page, "keys-play-playing", ".playback")
    page.click("#play")
    page.click("#lang-switch")
    page.wait_for_function("(t) => document.getElementById('play').textContent === t", arg=zh["studio.play"])
    assert page.evaluate(width) == paused and page.evaluate(fits)
    page.click("#play")
    page.wait_for_function("(t) => document.getElementById('play').textContent === t", arg=zh["studio.pause"])
    assert page.evaluate(width) == paused and page.evaluate(fits)
    shot(page, "keys-play-zh", ".playback")
    assert page.errors == []


LBFGS = [{"o": "lbfgs", "p": {"lr": 1.0}}]


def test_lbfgs_zero_step_is_explained(watched, live_server, en, zh) -> None:
    page = watched
    page.goto(live_server + f"/#s=rosenbrock&n=30&r={urllib.parse.quote(json.dumps(LBFGS))}")
    settled(page)
    # torch's LBFGS reaches the valley floor in two steps, then stops each step before its line search
    answer = api(live_server, "/api/v1/inspect", {**sent_request(page), "run": 0, "t": 5})
    assert answer["stop"] == "descent"
    step = next(line for line in answer["lines"] if line["symbol"] == "Δθ")
    assert (step["x"], step["y"]) == (0.0, 0.0)

    def at(t):
        page.locator("#scrub").fill(str(t))
        page.wait_for_function(
            "() => { const b = document.getElementById('inspector');"
            f" return b.dataset.ready === '1' && b.dataset.t === '{t}'; }}",
            timeout=20000,
        )
        return page.text_content("#inspect-note")

    assert at(0) == ""  # the first step moves: no note
    note = at(5)
    assert note.startswith(en["studio.inspect.zero_descent"].split("{")[0]) and "1e-9" in note
    page.locator("#inspector").scroll_into_view_if_needed()
    shot(page, "keys-lbfgs-note")
    page.click("#lang-switch")
    page.wait_for_function(
        "(t) => document.getElementById('inspect-note').textContent.startsWith(t)",
        arg=zh["studio.inspect.zero_descent"].split("{")[0],
        timeout=20000,
    )
    shot(page, "keys-lbfgs-note-zh", "#inspector")
    assert page.errors == []


def _plot_box(page, div="map"):
    """The axes' box on the page (equal aspect: narrower than the plot's domain)."""
    return page.evaluate(
        f"""() => {{ const d = document.getElementById('{div}'); const r = d.getBoundingClientRect();
        const x = d._fullLayout.xaxis, y = d._fullLayout.yaxis;
        return [r.left + x._offset, r.top + y._offset, x._length, y._length]; }}"""
    )


def test_phone_no_key_hint_whole_headers_arrows_on_the_map(browser, live_server) -> None:
    ctx = browser.new_context(**PHONE)
    page = ctx.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    for lang in ("en", "zh"):
        page.goto(live_server + f"/#s=logistic_regression&lang={lang}")
        page.reload()
        settled(page)
        assert page.locator(".shortcuts").is_hidden()  # no keyboard on a touch screen
        # the summary's headers are whole: the table fits its box, no header is cut
        page.locator("table.summary").scroll_into_view_if_needed()
        box = page.evaluate(
            "() => { const s = document.querySelector('table.summary').parentElement;"
            " return [s.scrollWidth, s.clientWidth]; }"
        )
        assert box[0] <= box[1]
        assert page.evaluate(
            "() => [...document.querySelectorAll('table.summary th')].every(th => th.scrollWidth <= th.clientWidth"
            " && th.getBoundingClientRect().right <= th.closest('.scroll').getBoundingClientRect().right + 0.5)"
        )
        shot(page, f"keys-phone-summary-{lang}")
    # the internals' arrows and their labels stay on the map, short beside its size
    page.goto(live_server + "/#lang=en")
    page.reload()
    settled(page)
    page.locator("#scrub").fill("12")
    page.wait_for_function("() => window.optiviz.player.it === 12")
    ready(page)
    page.wait_for_function(
        "() => document.getElementById('map').data.some(t => t.meta && t.meta.role === 'arrow-labels' && t.x.length)"
    )
    left, top, w, h = _plot_box(page)
    # the arrows' shafts are line markers as long as the shaft (px); the labels a text trace
    shafts, labels = page.evaluate(
        """() => { const d = document.getElementById('map'); const fl = d._fullLayout;
        const marks = d.data.find(t => t.meta && t.meta.role === 'marks');
        const text = d.data.find(t => t.meta && t.meta.role === 'arrow-labels');
        const r = d.getBoundingClientRect();
        const shafts = marks.marker.symbol.map((s, k) => s === 'line-ew' ? marks.marker.size[k] : null)
          .filter(v => v !== null);
        const labels = text.x.map((x, k) => [r.left + fl.xaxis._offset + fl.xaxis.l2p(x),
          r.top + fl.yaxis._offset + fl.yaxis.l2p(text.y[k])]);
        return [shafts, labels]; }"""
    )
    assert shafts and max(shafts) <= 0.25 * min(w, h)
    assert labels
    for x, y in labels:
        assert left <= x <= left + w and top <= y <= top + h
    shot(page, "keys-phone-arrows", "#map-wrap")
    assert errors == []
    ctx.close()


def test_the_keyboard_hint_shows_on_a_desktop(watched, live_server) -> None:
    watched.goto(live_server + "/")
    ready(watched)
    assert watched.locator(".shortcuts").is_visible()
