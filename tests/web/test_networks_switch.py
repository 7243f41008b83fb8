"""The networks page's optimizer switch (issue 21): a run card gets "+ add a switch" (at an epoch,
the next optimizer of the page's own list and its parameters, ×), the request sends the chain (its
milestone in updates: epoch × updates per epoch), the switch is marked on the landscape (a diamond
at the recorded path point of the switch's update, or the last one before it) and on the per-epoch
loss and accuracy charts (a dashed line at its epoch in the run's colour); edits move the marks,
removing it sends exactly the request without a switch, the permalink keeps it, the export sends
the chain. In English and Chinese, on a desktop and on a phone. Screenshots: /tmp/shots-netcards/."""

from __future__ import annotations

import json
import math
import urllib.parse
from pathlib import Path

from tests.web.studio_helpers import api
from tests.web.test_networks_page import PAGE, quick_playback, settled
from tests.web.test_zh_pages import english_on

SHOTS = Path("/tmp/shots-netcards")
EPOCHS = 60
BATCH = 15  # 225 training samples (300, a quarter held out): 15 updates an epoch, 900 in the run
PER = 15
ADAM = {"o": "adam", "p": {"lr": 0.02}, "b": BATCH}
CARD = "#net-runs fieldset[data-run='0']"
EPOCH_FIELD = f"{CARD} input[type=number][data-path='runs.0.links.0.epoch']"

# the landscape's switch diamonds: [run, a, b, hover text, colour]
DIAMONDS = """() => (document.getElementById('net-landscape').data || [])
  .filter(t => t.meta && t.meta.role === 'switch')
  .flatMap(t => t.meta.runs.map((r, k) => [r, t.x[k], t.y[k], t.text[k], t.marker.color[k], t.marker.symbol]))"""
# a chart's switch lines: [x0, colour, dash]
LINES = """(id) => (document.getElementById(id).layout.shapes || []).filter(s => (s.name || '').startsWith('switch-'))
  .map(s => [s.x0, s.line.color, s.line.dash])"""


def shot(page, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def open_page(page, base, runs, extra=""):
    # a coarse plane (11 × 11): the marks are the point, not the contours
    page.goto(f"{base}/networks#{urllib.parse.urlencode({'ep': EPOCHS, 'pn': 11, 'r': json.dumps(runs)})}{extra}")
    quick_playback(page)
    settled(page)


def request(page):
    return page.evaluate(f"() => {PAGE}.request")


def set_epoch(page, epoch):
    page.fill(EPOCH_FIELD, str(epoch))
    page.press(EPOCH_FIELD, "Enter")


def run_colour(page):
    return page.evaluate(
        "() => document.getElementById('net-curve-loss').data"
        ".find(t => t.meta && t.meta.key === 'train_loss').line.color"
    )


def assert_marked(page, base, epoch, nxt="Momentum"):
    """The marks of a switch at `epoch`: the diamond on the API's own path point, the charts' lines."""
    body = request(page)
    k = epoch * PER
    assert body["runs"][0]["optimizers"][1]["milestone"] == k
    answer = api(base, "/api/v1/networks", body)["runs"][0]
    assert answer["switches"] == [k]
    steps = answer["path"]["step"]
    j = max(q for q, s in enumerate(steps) if s <= k)  # the recorded update at the switch, or the last before it
    colour = run_colour(page)
    ((run, a, b, text, color, symbol),) = page.evaluate(DIAMONDS)
    assert (run, color, symbol) == (0, colour, "diamond")
    assert math.isclose(a, answer["path"]["a"][j], rel_tol=1e-9, abs_tol=1e-12)
    assert math.isclose(b, answer["path"]["b"][j], rel_tol=1e-9, abs_tol=1e-12)
    assert f"{nxt} at update {k} (epoch {epoch})" in text and f"update {steps[j]}" in text
    for chart in ("net-curve-loss", "net-curve-acc"):
        assert page.evaluate(LINES, chart) == [[epoch, colour, "dash"]], chart
    # the legend names the chain, and the card says where it switches
    names = page.evaluate("() => document.getElementById('net-curve-loss').data.map(t => t.name)")
    assert any(f"→ {nxt}" in n and f"@ {k}" in n for n in names), names
    assert f"update {k} (epoch {epoch})" in page.inner_text(f"{CARD} .net-run-switch")


def test_a_learner_adds_edits_and_removes_a_switch_on_a_run_card(watched, live_server):
    page = watched
    open_page(page, live_server, [ADAM])
    before = request(page)
    assert "optimizers" not in before["runs"][0] and page.evaluate(DIAMONDS) == []
    # "+ add a switch": halfway through the run (epoch 30 = update 450), another optimizer of the page's
    page.click(f"{CARD} .switch summary")
    page.click(f"{CARD} .switch-add")
    page.wait_for_selector(EPOCH_FIELD)
    assert page.input_value(EPOCH_FIELD) == "30"
    assert page.get_attribute(EPOCH_FIELD, "max") == str(EPOCHS - 1)
    offered = page.evaluate(
        f'() => [...document.querySelectorAll("{CARD} .switch-link select.opt-select option")].map(o => o.value)'
    )
    card_opts = page.evaluate(
        f'() => [...document.querySelectorAll("{CARD} .run-head select option")].map(o => o.value)'
    )
    assert offered == card_opts and "lbfgs" not in offered and "swats" not in offered
    assert page.locator(f"{CARD} .switch-link select[data-path$='.when']").count() == 0  # no SWATS rule on networks
    page.select_option(f"{CARD} .switch-link select.opt-select", "momentum")
    settled(page)
    link = request(page)["runs"][0]["optimizers"][1]
    assert link["optimizer"] == "momentum" and link["milestone"] == 30 * PER
    # the switch's params: the same generated controls as a card's (its α, β)
    page.wait_for_selector(f"{CARD} .switch-link input[type=number][data-path='runs.0.links.0.params.lr']")
    assert_marked(page, live_server, 30)
    shot(page, "switch-added")

    # the epoch edited twice in a row: the last one is trained and the marks follow it
    set_epoch(page, 10)
    set_epoch(page, 40)
    settled(page)
    assert_marked(page, live_server, 40)
    set_epoch(page, 12)
    settled(page)
    assert_marked(page, live_server, 12)
    shot(page, "switch-moved")

    # a second switch: halfway from the first to the end (epoch 36), another optimizer than the one before
    page.click(f"{CARD} .switch-add")
    page.wait_for_selector(f"{CARD} .switch-link[data-link='1']")
    settled(page)
    second = request(page)["runs"][0]["optimizers"][2]
    assert second["milestone"] == 36 * PER and second["optimizer"] != "momentum"
    page.click(f"{CARD} .switch-link[data-link='1'] button[data-action='switch-remove']")
    page.wait_for_function(f"() => {PAGE}.store.get().runs[0].links.length === 1")
    settled(page)

    # the permalink keeps the switch: opened afresh, the same chain is trained and drawn
    hash_ = page.evaluate("() => document.getElementById('net-permalink').getAttribute('href')").split("#", 1)[1]
    chain = request(page)["runs"][0]["optimizers"]
    page.goto(f"{live_server}/networks#{hash_}")
    quick_playback(page)
    settled(page)
    assert request(page)["runs"][0]["optimizers"] == chain
    assert page.input_value(EPOCH_FIELD) == "12"
    assert_marked(page, live_server, 12)

    # the export (the torch script) sends the chain
    with page.expect_request(lambda r: "/api/v1/networks/export" in r.url) as sent:
        page.click("#net-export-torch")
    assert json.loads(sent.value.post_data)["runs"][0]["optimizers"] == chain

    # removed: exactly the request without a switch, and no marks
    page.click(f"{CARD} button[data-action='switch-remove']")
    settled(page)
    assert request(page) == before
    assert page.evaluate(DIAMONDS) == [] and page.evaluate(LINES, "net-curve-loss") == []
    assert "k" not in json.loads(urllib.parse.parse_qs(page.evaluate("() => location.hash.slice(1)"))["r"][0])[0]
    assert page.errors == [] and page.foreign == []


def test_a_switch_in_chinese_and_on_a_phone(watched, live_server):
    page = watched
    page.set_viewport_size({"width": 390, "height": 844})
    chain = {**ADAM, "k": [{"milestone": 20 * PER, "optimizer": "momentum", "params": {"lr": 0.05}}]}
    open_page(page, live_server, [chain], "&lang=zh")
    link = request(page)["runs"][0]["optimizers"][1]
    assert link == {"milestone": 300, "optimizer": "momentum", "params": {"lr": 0.05}}
    page.click("#controls-toggle")
    page.wait_for_selector(EPOCH_FIELD)
    assert page.input_value(EPOCH_FIELD) == "20"
    page.wait_for_function("() => document.querySelectorAll('.modebar-btn[data-title]').length > 0", timeout=60000)
    assert english_on(page) == {}
    (diamond,) = page.evaluate(DIAMONDS)
    assert "第 300 次更新" in diamond[3] and "Momentum" not in page.inner_text(f"{CARD} .switch summary")
    # nothing wider than the phone's screen
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth + 1")
    box = page.locator(f"{CARD} .switch-link").bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390
    shot(page, "phone-zh-card")
    page.locator(CARD).screenshot(path=str(SHOTS / "phone-zh-card-only.png"))
    page.click("#controls-toggle")
    shot(page, "phone-zh")
    page.locator("#net-landscape").screenshot(path=str(SHOTS / "phone-zh-landscape.png"))
    assert page.errors == [] and page.foreign == []


def test_at_most_the_servers_number_of_optimizers_and_an_epoch_left(watched, live_server):
    page = watched
    most = api(live_server, "/api/v1/limits")["max_optimizer_links"]
    # a link with more switches than the server allows: the page keeps the first max − 1, offers no more
    links = [
        {"milestone": (2 + e) * PER, "optimizer": ("momentum", "sgd")[e % 2], "params": {}} for e in range(most + 1)
    ]
    open_page(page, live_server, [{**ADAM, "k": links}])
    assert len(request(page)["runs"][0]["optimizers"]) == most
    assert page.locator(f"{CARD} .switch-link").count() == most - 1
    assert page.is_disabled(f"{CARD} .switch-add")
    # one switch at the run's last epoch: no epoch left for another
    open_page(
        page, live_server, [{**ADAM, "k": [{"milestone": (EPOCHS - 1) * PER, "optimizer": "momentum", "params": {}}]}]
    )
    assert page.is_disabled(f"{CARD} .switch-add")
    page.fill(EPOCH_FIELD, "20")
    page.press(EPOCH_FIELD, "Enter")
    page.wait_for_function(f'() => !document.querySelector("{CARD} .switch-add").disabled')
    settled(page)
    assert page.errors == [] and page.foreign == []
