"""What a class sees in the studio: every run in its own colour (the optimizer in the legend and the
dash), a small multiple with its own run's noise ellipse only, loss axes that can be read, and PNGs
for slides with a title and without empty bands or colliding charts."""

from __future__ import annotations

import base64
import itertools
import json
import urllib.parse

from tests.web.conftest import ARTIFACTS
from tests.web.studio_helpers import api, decode_png, settled

PATH_STYLES = (
    "() => document.getElementById('map').data.filter(t => t.meta && t.meta.role === 'path')"
    ".map(t => [t.meta.run, t.line.color.toLowerCase(), t.line.dash])"
)
SWATCHES = (
    "() => [...document.querySelectorAll('.run-card')].map(c => [getComputedStyle(c.querySelector('.swatch'))"
    ".backgroundColor, c.querySelector('input[type=color]').value.toLowerCase()])"
)


def opened(page, url: str):
    """The studio at `url`, its answer drawn and played to the end."""
    page.goto(url)
    settled(page)
    return page


def rgb(hex_colour: str) -> str:
    r, g, b = (int(hex_colour[k : k + 2], 16) for k in (1, 3, 5))
    return f"rgb({r}, {g}, {b})"


def registry_colours(base: str) -> dict[str, str]:
    return {o["id"]: o["color"].lower() for o in api(base, "/api/v1/optimizers")}


def test_runs_of_one_optimizer_are_told_apart_by_colour(watched, live_server):
    page = opened(watched, live_server + "/#s=logistic_regression")
    runs = page.evaluate("() => window.optiviz.store.get().runs")
    styles = page.evaluate(PATH_STYLES)
    gd = [(i, c, d) for i, c, d in styles if runs[i]["optimizer"] == "gd"]
    assert len(gd) == 3  # GD at full batch, batch 32, batch 1
    assert len({c for _, c, _ in styles}) == len(styles)  # every drawn path in its own colour
    assert gd[0][1] == registry_colours(live_server)["gd"]  # the first GD keeps the registry's colour
    assert len({d for _, _, d in gd}) == 3  # …and the optimizer stays in the dash
    # the charts draw the same colours
    chart = page.evaluate(
        "() => document.getElementById('charts').data.filter(t => t.xaxis === 'x' && t.showlegend !== false)"
        ".map(t => t.line.color.toLowerCase())"
    )
    assert chart == [c for _, c, _ in styles]
    # the legend names the optimizer and the batch sizes, each line in its run's colour and dash
    items = page.evaluate(
        "() => [...document.querySelectorAll('#legend .legend-item[data-legend]')].map(b => [b.textContent,"
        " getComputedStyle(b.querySelector('.legend-line')).borderTopColor,"
        " [...b.querySelector('.legend-line').classList].find(c => c.startsWith('dash-'))])"
    )
    assert [text for text, _, _ in items[:3]] == [
        "Gradient descent α=1",
        "Gradient descent α=1 (batch 32)",
        "Gradient descent α=0.3 (batch 1)",
    ]
    assert [(rgb(c), f"dash-{d}") for _, c, d in styles] == [(c, d) for _, c, d in items]
    # the run cards' swatches and colour inputs show the colour drawn
    assert page.evaluate(SWATCHES) == [[rgb(c), c] for _, c, _ in styles]
    page.screenshot(path=str(ARTIFACTS / "studio-look-logistic.png"))
    assert page.errors == []


def test_an_added_run_gets_a_new_colour_and_a_chosen_one_wins(watched, live_server):
    page = opened(watched, live_server + "/")
    before = page.evaluate(PATH_STYLES)
    page.click('.run-card[data-run="0"] button[data-action="dup"]')  # a second run of the first optimizer
    grown = f"() => document.body.dataset.ready === '1' && ({PATH_STYLES})().length === {len(before) + 1}"
    page.wait_for_function(grown)
    settled(page)
    styles = page.evaluate(PATH_STYLES)
    runs = page.evaluate("() => window.optiviz.store.get().runs")
    twin = [i for i, r in enumerate(runs) if r["optimizer"] == runs[0]["optimizer"]][1]
    colours = [c for _, c, _ in styles]
    assert len(set(colours)) == len(colours), colours  # the copy is in a colour of its own
    assert [c for _, c, _ in before] == [c for i, c, _ in styles if i != twin]  # the others keep theirs
    assert styles[twin][2] != styles[0][2]  # dashed: the same optimizer
    assert page.evaluate(SWATCHES)[twin] == [rgb(colours[twin]), colours[twin]]
    # a colour chosen in the run card wins, and the permalink keeps it
    page.locator(f'.run-card[data-run="{twin}"] input[type=color]').fill("#123456")
    page.wait_for_function(f"() => ({PATH_STYLES})()[{twin}][1] === '#123456'")
    settled(page)
    assert page.evaluate(SWATCHES)[twin] == [rgb("#123456"), "#123456"]
    page.wait_for_function("() => location.hash.includes('123456')")
    page.reload()
    settled(page)
    assert page.evaluate(PATH_STYLES)[twin][1] == "#123456"
    assert page.evaluate(SWATCHES)[twin] == [rgb("#123456"), "#123456"]
    page.screenshot(path=str(ARTIFACTS / "studio-look-added-run.png"))
    assert page.errors == []


def test_each_small_multiple_shows_its_own_runs_noise_ellipse(watched, live_server):
    page = opened(watched, live_server + "/#s=logistic_regression&v=multiples")
    page.evaluate("() => window.optiviz.player.seek(10)")  # early: the ellipses are large
    page.check("#curv-show")
    page.wait_for_function(
        "() => window.optiviz.noises && [...document.querySelectorAll('#multiples .small-map .fg')]"
        ".some(d => (d.layout.shapes || []).length)"
    )
    request = page.evaluate("() => window.optiviz.model.result.request.runs")
    m = page.evaluate("() => window.optiviz.model.result.surface.dataset.m")
    panels = page.evaluate(
        "() => [...document.querySelectorAll('#multiples .small-map')].map(d => [+d.dataset.small,"
        " (d.querySelector('.fg').layout.shapes || []).map(s => s.name || '')"
        ".filter(name => name.startsWith('noise-'))])"
    )
    assert [i for i, _ in panels] == list(range(len(request)))
    for i, names in panels:
        mini = request[i].get("batch_size", m) < m
        assert names == ([f"noise-{i}"] if mini else []), (i, names)  # the full batch's panel has none
    assert any(names for _, names in panels)
    page.locator("#multiples").screenshot(path=str(ARTIFACTS / "studio-look-multiples-noise.png"))
    assert page.errors == []


TICKS = (
    "(k) => [...document.getElementById('charts').querySelectorAll('g.' + k + ' text')].map(t => {"
    " const b = t.getBoundingClientRect(); return [b.left, b.right, b.top, b.bottom]; })"
)
PLOTS = (
    "() => Object.fromEntries([...document.getElementById('charts').querySelectorAll('.nsewdrag')]"
    ".map(r => { const b = r.getBoundingClientRect();"
    " return [r.dataset.subplot, [b.left, b.right, b.top, b.bottom]]; }))"
)


def test_loss_axis_on_a_data_set_is_readable(watched, live_server):
    """Mini-batch losses span ~10 decades: the axis labels every few decades, ≥ 28 px apart."""
    page = opened(watched, live_server + "/#s=logistic_regression")
    plots = page.evaluate(PLOTS)
    height = plots["xy"][3] - plots["xy"][2]
    for axis in ("ytick", "y3tick"):
        labels = sorted(page.evaluate(TICKS, axis), key=lambda b: b[2])
        assert 2 <= len(labels) <= height / 28, (axis, len(labels), height)
        assert all(b[2] - a[3] >= 8 for a, b in itertools.pairwise(labels)), labels
    page.locator("#charts").screenshot(path=str(ARTIFACTS / "studio-look-loss-axis.png"))


def test_side_by_side_charts_do_not_collide(watched, live_server):
    """Each chart's tick labels sit clear of the chart on its left, on the page and in its PNG."""
    page = opened(watched, live_server + "/#s=logistic_regression")
    plots = page.evaluate(PLOTS)
    for left, labels in (("xy", "y2tick"), ("x2y2", "y3tick")):
        boxes = page.evaluate(TICKS, labels)
        assert boxes and min(b[0] for b in boxes) >= plots[left][1] + 6, (left, plots[left], boxes)
    url = page.evaluate("async () => await window.optiviz.exports.chartsPNG()")
    w, _h, _rows = decode_png(url)
    assert w > page.evaluate("document.getElementById('charts').clientWidth")
    with open(ARTIFACTS / "studio-look-charts.png", "wb") as f:
        f.write(base64.b64decode(url.split(",", 1)[1]))


def longest_white_band(rows, top: int) -> int:
    """The widest run of white columns between the first and the last inked column, below `top`."""
    width = len(rows[0]) // 4
    inked = [any(min(r[4 * x : 4 * x + 3]) < 235 for r in rows[top:]) for x in range(width)]
    first, last = inked.index(True), width - 1 - inked[::-1].index(True)
    band = longest = 0
    for x in range(first, last + 1):
        band = 0 if inked[x] else band + 1
        longest = max(longest, band)
    return longest


def test_map_png_has_a_title_and_no_empty_band(watched, live_server):
    page = opened(watched, live_server + "/")  # the elongated bowl at equal aspect: narrower than the map's box
    url = page.evaluate("async () => await window.optiviz.exports.mapPNG()")
    w, _h, rows = decode_png(url)
    title_band = 30 * 2
    dark = sum(1 for y in range(title_band) for x in range(0, w, 2) if rows[y][4 * x] < 100)
    assert dark > 200  # the title is written
    assert longest_white_band(rows, title_band) < 60  # no empty band between the map and its legend
    with open(ARTIFACTS / "studio-look-map.png", "wb") as f:
        f.write(base64.b64decode(url.split(",", 1)[1]))
    # the title names the surface and the optimizers, in the page's language
    surfaces = {s["id"]: s["name"] for s in api(live_server, "/api/v1/surfaces?lang=zh")}
    runs = [{"o": "gd", "p": {"lr": 0.1}}, {"o": "gd", "p": {"lr": 0.05}}]
    page.goto(live_server + f"/?lang=zh#s=saddle&lang=zh&r={urllib.parse.quote(json.dumps(runs))}")
    settled(page)
    page.evaluate("async () => await window.optiviz.exports.mapPNG()")
    title = page.evaluate("window.optiviz.lastPNGTitle")
    assert title.startswith(surfaces["saddle"]) and "步" in title and "steps" not in title
    assert page.errors == []
