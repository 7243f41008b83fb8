"""The studio's optimizer switch (issue 21): a run card gets "add a switch" (a step, the next
optimizer and its parameters, or SWATS's rule), the request sends the chain, the answer's switches
are marked on the map (a marker at the point reached, the path after it dotted) and on the charts
(a line at k in the run's colour), playback and scrubbing move them with a restyle, the permalink
keeps the switch, the inspector says which optimizer is active, the export sends the chain. In
English and Chinese, on a desktop and on a phone."""

from __future__ import annotations

import json
import urllib.parse
from pathlib import Path

import optiviz
from tests.web.studio_helpers import api, api_runs, full_paths, sent_request, settled

SHOTS = Path("/tmp/shots-studio")
STEPS = 300
ADAM = {"o": "adam", "p": {"lr": 0.1}}
GD = {"o": "gd", "p": {"lr": 0.002}}

# the diamonds of the map's marks trace (a switch's marker): [x, y, hover text, colour]
SWITCH_MARKS = """() => {
  const t = document.getElementById('map').data.find(t => t.meta && t.meta.role === 'marks');
  const out = [];
  t.marker.symbol.forEach((s, k) => {
    if (s === 'diamond') out.push([t.x[k], t.y[k], t.hovertext[k], t.marker.color[k]]);
  });
  return out;
}"""
# the path's pieces after a switch: [link, xs, ys, colour, dash]
AFTER = """() => document.getElementById('map').data.filter(t => t.meta && t.meta.role === 'path-after')
  .map(t => [t.meta.kind, Array.from(t.x), Array.from(t.y), t.line.color, t.line.dash])"""
CHART_LINES = """() => (document.getElementById('charts').layout.shapes || [])
  .filter(s => (s.name || '').startsWith('switch-')).map(s => [s.xref, s.x0, s.line.color])"""


def _open(page, base: str, runs: list[dict], extra: str = "") -> None:
    query = urllib.parse.urlencode({"s": "rosenbrock", "n": STEPS, "r": json.dumps(runs)})
    page.goto(f"{base}/#{query}{extra}")
    settled(page, timeout=90000)


def _shot(page, name: str, **kw) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / name), **kw)


def _add_switch(page, run: int = 0, optimizer: str = "momentum") -> None:
    page.click(f'[data-run="{run}"] details.switch summary')
    n = page.evaluate(f"() => window.optiviz.state.runs[{run}].links.length")
    page.click(f'[data-run="{run}"] button[data-action="switch-add"]')
    page.wait_for_function(f"() => window.optiviz.state.runs[{run}].links.length === {n + 1}", timeout=10000)
    page.select_option(f'[data-run="{run}"] select[data-path="runs.{run}.links.{n}.optimizer"]', optimizer)
    page.wait_for_function(
        f"() => window.optiviz.state.runs[{run}].links[{n}].optimizer === '{optimizer}'", timeout=10000
    )
    settled(page, timeout=90000)


def _scrub(page, it: int) -> None:
    page.evaluate(
        "it => { const s = document.getElementById('scrub'); s.value = it;"
        " s.dispatchEvent(new Event('input', {bubbles: true})); }",
        it,
    )
    # drawn: the first optimizer's path reaches `it` or its switch, whichever comes first
    page.wait_for_function(
        "it => window.optiviz.player.it === it && document.getElementById('map').data"
        ".find(t => t.meta && t.meta.role === 'path' && t.meta.run === 0).x.length"
        " === Math.min(it, window.optiviz.model.result.runs[0].switches[0] ?? it) + 1",
        arg=it,
        timeout=20000,
    )


def test_a_switch_is_sent_and_marked_on_the_map_the_path_and_the_charts(watched, live_server):
    page = watched
    _open(page, live_server, [ADAM, GD])
    # a card without a switch sends exactly what it sent before
    assert sent_request(page)["runs"][0] == {"optimizer": "adam", "params": {"lr": 0.1}}
    assert page.evaluate(SWITCH_MARKS) == [] and page.evaluate(CHART_LINES) == []
    page.select_option("#inspect-run", "1")  # the inspector on the other run (the chained one has its own test)

    _add_switch(page)
    run = sent_request(page)["runs"][0]
    k = STEPS // 2  # a new switch goes halfway through the run
    momentum_lr = page.evaluate("() => window.optiviz.state.runs[0].links[0].params.lr")
    assert run == {
        "optimizer": "adam",
        "optimizers": [
            {"optimizer": "adam", "params": {"lr": 0.1}},
            {"milestone": k, "optimizer": "momentum", "params": {"lr": momentum_lr}},
        ],
    }
    assert sent_request(page)["runs"][1] == {"optimizer": "gd", "params": {"lr": 0.002}}
    truth = api_runs(live_server, sent_request(page))[0]
    assert truth["switches"] == [k]
    color = page.evaluate("() => window.optiviz.look.runs[0].color")

    # the map: one diamond at the point reached at the switch, in the run's colour, saying what happened
    [(x, y, text, mark_color)] = page.evaluate(SWITCH_MARKS)
    assert (x, y) == (truth["x"][k], truth["y"][k])
    label = f"Adam α=0.1 → Momentum α={momentum_lr:g} @ {k}"
    assert mark_color == color and text == f"{label}: switch → Momentum at step {k}"
    # the path after it: the same colour, dotted, from that point on
    [(link, xs, ys, after_color, dash)] = page.evaluate(AFTER)
    assert link == "1" and after_color == color and dash == "dot"
    assert xs == truth["x"][k:] and ys == truth["y"][k:]
    # the charts: a line at k on each of the three, in the run's colour; the legend says the chain
    assert sorted(page.evaluate(CHART_LINES)) == [["x", k, color], ["x2", k, color], ["x3", k, color]]
    assert page.inner_text('#legend [data-legend="0"]') == label
    assert page.inner_text('[data-run="0"] details.switch summary') == f"Switch optimizer: Adam → Momentum @ {k}"
    _shot(page, "switch-added.png", full_page=True)

    # the step changed twice in a row: the marker follows to the newest one
    field = '[data-run="0"] input[data-path="runs.0.links.0.milestone"]'
    page.fill(field, "100")
    page.fill(field, "60")
    page.wait_for_function("() => window.optiviz.state.runs[0].links[0].milestone === 60", timeout=10000)
    settled(page, timeout=90000)
    truth = api_runs(live_server, sent_request(page))[0]
    assert sent_request(page)["runs"][0]["optimizers"][1]["milestone"] == 60 and truth["switches"] == [60]
    [(x, y, _, _)] = page.evaluate(SWITCH_MARKS)
    assert (x, y) == (truth["x"][60], truth["y"][60])
    assert [s[1] for s in page.evaluate(CHART_LINES)] == [60, 60, 60]

    # scrubbing across it: the marker and the dotted piece appear when the path reaches k, with a
    # restyle of the drawn figure (no new figure per frame)
    page.evaluate("""() => { window.__figures = 0; for (const f of ['react', 'newPlot']) {
      const orig = Plotly[f];
      Plotly[f] = function (div, ...a) {
        if (div && div.id === 'map') window.__figures++;
        return orig.call(this, div, ...a);
      };
    } }""")
    for it, marked in ((59, False), (60, True), (61, True), (30, False), (200, True)):
        _scrub(page, it)
        assert (page.evaluate(SWITCH_MARKS) != []) == marked, it
        [(_, xs, _, _, _)] = page.evaluate(AFTER)
        assert len(xs) == (it - 60 + 1 if it >= 60 else 0), it
    assert page.evaluate("() => window.__figures") == 0
    assert page.evaluate(CHART_LINES)[0][1] == 60  # the switch's line stays where it is while the cursor moves
    _shot(page, "switch-scrubbed.png")

    # removing the switch: the card sends what it sent before, nothing is marked
    page.click('[data-run="0"] button[data-action="switch-remove"]')
    page.wait_for_function("() => window.optiviz.state.runs[0].links.length === 0", timeout=10000)
    settled(page, timeout=90000)
    assert sent_request(page)["runs"][0] == {"optimizer": "adam", "params": {"lr": 0.1}}
    assert page.evaluate(SWITCH_MARKS) == [] and page.evaluate(AFTER) == [] and page.evaluate(CHART_LINES) == []
    assert "Switch optimizer: none" in page.inner_text('[data-run="0"] details.switch summary')
    assert page.errors == [] and page.foreign == []


def test_the_permalink_keeps_the_switch_and_old_ones_open_as_before(watched, live_server):
    page = watched
    _open(page, live_server, [GD, ADAM])  # the chained run second: the inspector shows the first
    _add_switch(page, run=1, optimizer="nesterov")
    page.fill('[data-run="1"] input[data-path="runs.1.links.0.params.beta"]', "0.8")
    page.wait_for_function("() => window.optiviz.state.runs[1].links[0].params.beta === 0.8", timeout=10000)
    settled(page, timeout=90000)
    sent = sent_request(page)
    link = page.evaluate("() => location.href")
    page.goto("about:blank")
    page.goto(link)
    settled(page, timeout=90000)
    assert sent_request(page) == sent  # the reload sends the same chain
    assert page.input_value('[data-run="1"] select[data-path="runs.1.links.0.optimizer"]') == "nesterov"
    assert page.input_value('[data-run="1"] input[data-path="runs.1.links.0.milestone"]') == str(STEPS // 2)
    assert page.input_value('[data-run="1"] input[data-path="runs.1.links.0.params.beta"]') == "0.8"
    assert len(page.evaluate(SWITCH_MARKS)) == 1
    # a permalink written before switches existed opens as it did: no chain in its request
    _open(page, live_server, [ADAM, GD])
    assert sent_request(page)["runs"] == [
        {"optimizer": "adam", "params": {"lr": 0.1}},
        {"optimizer": "gd", "params": {"lr": 0.002}},
    ]
    assert page.evaluate("() => window.optiviz.state.runs.map(r => r.links)") == [[], []]
    hash_runs = json.loads(urllib.parse.parse_qs(page.evaluate("() => location.hash")[1:])["r"][0])
    assert all("w" not in r for r in hash_runs)
    assert page.errors == []


def test_the_switch_count_follows_the_served_limit(watched, live_server):
    """At most the API's chain (max_optimizer_links links, the first included); the limit is the schema's."""
    page = watched
    limits = api(live_server, "/api/v1/limits")
    schema = api(live_server, "/openapi.json")["components"]["schemas"]["RunRequest"]["properties"]["optimizers"]
    assert limits["max_optimizer_links"] == schema["anyOf"][0]["maxItems"]
    served = {**limits, "max_optimizer_links": 3}
    page.route(
        "**/api/v1/limits",
        lambda route: route.fulfill(status=200, content_type="application/json", body=json.dumps(served)),
    )
    links = [{"milestone": 40 * (k + 1), "optimizer": "gd", "params": {"lr": 0.001}} for k in range(4)]
    _open(page, live_server, [GD, {**ADAM, "w": links}])
    # a permalink with more links than the server allows opens with the allowed number
    assert [x["milestone"] for x in sent_request(page)["runs"][1]["optimizers"][1:]] == [40, 80]
    add = 'button[data-action="switch-add"][data-run="1"]'
    assert page.locator(add).is_disabled()
    page.click('[data-run="1"] button[data-action="switch-remove"][data-link="1"]')
    settled(page, timeout=90000)
    assert not page.locator(add).is_disabled()
    assert [x["milestone"] for x in sent_request(page)["runs"][1]["optimizers"][1:]] == [40]
    assert page.errors == []


def test_the_switch_in_chinese_and_on_a_phone(watched, live_server):
    page = watched
    page.set_viewport_size({"width": 390, "height": 844})
    links = [{"milestone": 120, "optimizer": "momentum", "params": {"lr": 0.005}}]
    _open(page, live_server, [GD, {**ADAM, "w": links}], "&lang=zh")
    page.click("#controls-toggle")  # a phone shows the controls on demand
    box = page.locator('[data-run="1"] details.switch')
    box.scroll_into_view_if_needed()
    text = box.inner_text()
    assert page.inner_text('[data-run="1"] details.switch summary') == "切换优化器：Adam → 动量（第 120 步起）"
    for word in ("然后", "切换步", "切换时机", "指定的步", "添加切换"):
        assert word in text, word
    # no English left in the control (names and formulas aside)
    for word in ("switch", "Switch", "then", "at step", "a step", "add a"):
        assert word not in text, word
    options = page.locator('[data-run="1"] select[data-path="runs.1.links.0.when"] option').all_inner_texts()
    assert options == ["指定的步", "SWATS 规则（Keskar 与 Socher，2017）"]
    [(_, _, hover, _)] = page.evaluate(SWITCH_MARKS)
    assert hover == "Adam α=0.1 → 动量 α=0.005（第 120 步起）：第 120 步切换 → 动量"
    # the phone: nothing wider than the screen, the switch's controls inside it
    width = page.evaluate("() => window.innerWidth")
    assert page.evaluate("() => document.documentElement.scrollWidth") <= width
    right = page.evaluate(
        "() => Math.max(...[...document.querySelectorAll('[data-run=\"1\"] .switch-link *')]"
        ".map(e => e.getBoundingClientRect().right))"
    )
    assert right <= width
    box.screenshot(path=str(SHOTS / "switch-phone-zh-card.png"))
    page.locator("#map-wrap").scroll_into_view_if_needed()
    _shot(page, "switch-phone-zh-map.png")
    assert page.errors == []


def _inspected(page, it: int) -> dict:
    _scrub(page, it)
    page.wait_for_function(
        "it => { const b = document.getElementById('inspector');"
        " return b.dataset.ready === '1' && b.dataset.t === String(it); }",
        arg=it,
        timeout=30000,
    )
    return page.evaluate("() => window.optiviz.inspected")


def test_a_switch_added_scrubbed_across_and_exported(watched, live_server):
    """The issue's browser test: a user adds a switch, scrubs across it (the inspector says which
    optimizer is active) and exports (the scripts of the chain, the CSV's optimizer per update)."""
    page = watched
    _open(page, live_server, [ADAM, GD])
    _add_switch(page)
    page.fill('[data-run="0"] input[data-path="runs.0.links.0.milestone"]', "60")
    page.wait_for_function("() => window.optiviz.state.runs[0].links[0].milestone === 60", timeout=10000)
    settled(page, timeout=90000)
    before = _inspected(page, 59)
    assert before["link"] == {"index": 0, "optimizer": "adam", "start": 0, "step": 59}
    assert page.get_attribute("#inspector", "data-link") == "0"
    assert page.inner_text("#inspect-link") == "Active optimizer: Adam (link 1 of 2, from step 0 on; its update 60)"
    after = _inspected(page, 60)
    assert after["link"] == {"index": 1, "optimizer": "momentum", "start": 60, "step": 0}
    assert page.get_attribute("#inspector", "data-link") == "1"
    assert page.inner_text("#inspect-link") == "Active optimizer: Momentum (link 2 of 2, from step 60 on; its update 1)"
    # its update starts from the point the switch reached
    truth = api_runs(live_server, sent_request(page))[0]
    assert after["theta"] == [truth["x"][60], truth["y"][60]]
    _inspected(page, 59)  # back across it
    assert page.get_attribute("#inspector", "data-link") == "0"
    page.locator("#inspector").screenshot(path=str(SHOTS / "switch-inspector.png"))

    chain = sent_request(page)["runs"][0]["optimizers"]
    assert [link.get("milestone") for link in chain] == [None, 60]
    for kind in ("torch", "optax"):
        with page.expect_request("**/api/v1/export") as asked:
            page.click(f"#export-{kind}")
        assert json.loads(asked.value.post_data)["runs"][0]["optimizers"] == chain
        page.wait_for_function("() => document.getElementById('code-export').dataset.ready === '1'", timeout=60000)
        script = page.input_value("#code-text")
        assert "(60, lambda" in script  # the next optimizer, created at the switch (the export's chain)
        page.locator("#code-export").screenshot(path=str(SHOTS / f"switch-export-{kind}.png"))
    # the CSV: each update's optimizer is the link active there
    with page.expect_download() as down:
        page.click("#export-csv")
    rows = [line.split(",") for line in Path(down.value.path()).read_text().splitlines()[1:]]
    first = [r for r in rows if r[0] == "0"]
    assert {r[2] for r in first[:60]} == {"adam"} and {r[2] for r in first[60:]} == {"momentum"}
    assert page.errors == []


def test_a_swats_switch_is_sent_and_marked_where_the_rule_fired(watched, live_server):
    page = watched
    # Rosenbrock from its start with Adam at α = 1e-4: the projected rates agree at once (k = 2)
    query = urllib.parse.urlencode({"s": "rosenbrock", "n": 50, "r": json.dumps([{"o": "adam", "p": {"lr": 1e-4}}])})
    page.goto(f"{live_server}/#{query}")
    settled(page, timeout=90000)
    _add_switch(page, optimizer="sgd")
    page.select_option('[data-run="0"] select[data-path="runs.0.links.0.when"]', "swats")
    page.wait_for_function("() => window.optiviz.state.runs[0].links[0].rule === 'swats'", timeout=10000)
    settled(page, timeout=90000)
    # SWATS sets the step and SGD's rate: the link has neither
    assert sent_request(page)["runs"][0]["optimizers"][1] == {"rule": "swats", "optimizer": "sgd", "params": {}}
    assert page.locator('[data-run="0"] input[data-path="runs.0.links.0.params.lr"]').count() == 0
    assert page.inner_text('#legend [data-legend="0"]') == "Adam α=1e-4 → SGD (torch, every flag) @ SWATS"
    truth = api_runs(live_server, sent_request(page))[0]
    k = truth["swats"]["step"]
    assert k == 2 and truth["switches"] == [k]
    [(x, y, _, _)] = page.evaluate(SWITCH_MARKS)
    assert (x, y) == (truth["x"][k], truth["y"][k])
    assert f"SWATS switched at step {k}" in page.inner_text('[data-status="0"]')
    _shot(page, "switch-swats.png")
    # a permalink keeps the rule
    link = page.evaluate("() => location.href")
    page.goto("about:blank")
    page.goto(link)
    settled(page, timeout=90000)
    assert sent_request(page)["runs"][0]["optimizers"][1] == {"rule": "swats", "optimizer": "sgd", "params": {}}
    # another first optimizer than Adam/AdamW: the rule is not offered, the switch gets a step
    page.select_option('[data-run="0"] select[data-path="runs.0.optimizer"]', "rmsprop")
    settled(page, timeout=90000)
    assert "milestone" in sent_request(page)["runs"][0]["optimizers"][1]
    assert page.locator('[data-run="0"] select[data-path="runs.0.links.0.when"]').count() == 0
    assert page.errors == []


def test_the_python_apis_studio_url_opens_the_chain(watched, live_server):
    page = watched
    chain = [
        {"optimizer": "adam", "params": {"lr": 0.1}},
        {"milestone": 50, "optimizer": "momentum", "params": {"lr": 0.005}},
    ]
    # the chained run second: the inspector shows the first
    res = optiviz.run(
        surface="rosenbrock", steps=120, runs=[{"optimizer": "gd", "params": {"lr": 0.002}}, {"optimizers": chain}]
    )
    page.goto(res.studio_url(live_server + "/"))
    settled(page, timeout=90000)
    run = res.runs[1]
    assert sent_request(page)["runs"][1]["optimizers"] == run.optimizers
    assert full_paths(page) == [[list(r.x), list(r.y)] for r in res.runs]
    [(x, y, _, _)] = page.evaluate(SWITCH_MARKS)
    assert (x, y) == (run.x[50], run.y[50]) and run.switches == [50]
    assert page.errors == []


def test_on_a_data_set_a_new_switch_falls_on_an_epochs_first_update(watched, live_server):
    """Mini-batches of 32 of 1,000 samples: an epoch is 32 updates, and the API takes a switch only there."""
    page = watched
    query = urllib.parse.urlencode(
        {"s": "linear_regression", "n": STEPS, "r": json.dumps([{"o": "adam", "p": {"lr": 0.1}, "b": 32}])}
    )
    page.goto(f"{live_server}/#{query}")
    settled(page, timeout=90000)
    _add_switch(page, optimizer="gd")
    milestone = sent_request(page)["runs"][0]["optimizers"][1]["milestone"]
    assert milestone % 32 == 0 and abs(milestone - STEPS / 2) <= 16
    assert page.inner_text("#run-error") == ""
    assert page.evaluate("() => window.optiviz.model.result.runs[0].switches") == [milestone]
