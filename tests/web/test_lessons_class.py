"""The lessons page as a class sees it: every run its own colour, legends clear of the paths, every
run of a lesson visible on its map and its loss chart, no stale chart under a new lesson's title
(with a "computing…" state meanwhile), and a phone's legends beside the map, not over it."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.web.test_lessons_page import ready, show

SHOTS = Path("/tmp/shots-lessons")

# For a drawn chart: each run's points in pixels, which of them no trace drawn later covers (a later
# opaque line or marker whose stroke hides the run's whole stroke there, within a pixel), and the
# legend's box if Plotly drew one. Points are sampled (at most 400 a run); later lines are segments.
GEOMETRY = """(id) => {
  const gd = document.getElementById(id);
  const fl = gd._fullLayout, xa = fl.xaxis, ya = fl.yaxis;
  const box = gd.getBoundingClientRect();
  const pix = (tr) => tr.x.map((x, k) => [xa._offset + xa.l2p(xa.d2l(x)), ya._offset + ya.l2p(ya.d2l(tr.y[k]))])
    .filter(([a, b]) => Number.isFinite(a) && Number.isFinite(b));
  const radius = (tr) => (tr.mode === 'markers' ? (tr.marker?.size ?? 6) / 2 : (tr.line?.width ?? 2) / 2);
  const drawn = gd.data.map((tr, k) => ({ k, tr, pts: pix(tr), r: radius(tr),
    run: tr.meta?.run ?? tr.meta?.end,
    opaque: (tr.opacity ?? 1) >= 0.6 && tr.type !== 'contour' && !String(tr.marker?.symbol ?? '').endsWith('-open') }));
  const segDist = (p, a, b) => {
    const dx = b[0] - a[0], dy = b[1] - a[1], l2 = dx * dx + dy * dy;
    const u = l2 ? Math.max(0, Math.min(1, ((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / l2)) : 0;
    return Math.hypot(p[0] - a[0] - u * dx, p[1] - a[1] - u * dy);
  };
  const inside = ([x, y]) => x >= xa._offset && x <= xa._offset + xa._length
    && y >= ya._offset && y <= ya._offset + ya._length;
  const runs = {};
  for (const d of drawn) {
    if (d.tr.meta?.run === undefined && d.tr.meta?.end === undefined) continue;
    const later = drawn.filter((e) => e.k > d.k && e.opaque && e.run !== d.run && e.pts.length);
    const step = Math.max(1, Math.ceil(d.pts.length / 400));
    const sample = d.pts.filter((_, i) => i % step === 0);
    const covered = (p) => later.some((e) => {
      const reach = e.r + 1 - d.r;
      if (reach < 0) return false;
      const near = (q) => Math.hypot(p[0] - q[0], p[1] - q[1]) <= reach;
      if (e.tr.mode === 'markers' || e.pts.length === 1) return e.pts.some(near);
      for (let i = 1; i < e.pts.length; i++) if (segDist(p, e.pts[i - 1], e.pts[i]) <= reach) return true;
      return false;
    });
    const seen = sample.filter((p) => inside(p) && !covered(p));
    const r = runs[d.run] ||= { run: d.run, name: '', seen: 0, xs: [], all: [] };
    if (d.tr.name && d.tr.showlegend !== false) r.name = d.tr.name;
    r.seen += seen.length;
    r.xs.push(...seen.map((p) => p[0]));
    r.all.push(...d.pts);
  }
  const lg = gd.querySelector('.legend');
  const legend = lg && fl.showlegend ? (() => { const b = lg.getBoundingClientRect();
    return [b.left - box.left, b.top - box.top, b.right - box.left, b.bottom - box.top]; })() : null;
  return { width: xa._length, legend, runs: Object.values(runs).map((r) => ({ run: r.run, name: r.name, seen: r.seen,
    span: r.xs.length ? Math.max(...r.xs) - Math.min(...r.xs) : 0, all: r.all })) };
}"""


def _lessons(page) -> list[dict]:
    return [s for s in page.evaluate("() => window.optivizLessons.scenarios") if s["kind"] == "trajectories"]


def _charts(page) -> list[str]:
    return [c for c in ("sc-map", "sc-map2", "sc-loss", "sc-lr") if page.is_visible(f"#{c}")]


def test_every_run_of_a_lesson_has_its_own_colour_and_the_legend_names_it(watched, live_server):
    ready(watched, f"{live_server}/lessons")
    for sc in _lessons(watched):
        show(watched, sc["id"])
        runs = [r for req in (sc["request"], sc.get("compare")) if req for r in req["runs"]]
        lines = watched.evaluate("""() => ['sc-map', 'sc-map2'].flatMap((id) => document.getElementById(id).hidden ? []
            : document.getElementById(id).data.filter((t) => t.meta && t.meta.run !== undefined)
              .sort((a, b) => a.meta.run - b.meta.run)
              .map((t) => ({ color: t.line.color.toLowerCase(), dash: t.line.dash, name: t.name })))""")
        colours = [line["color"] for line in lines]
        assert len(colours) == len(runs) and len(set(colours)) == len(runs), (sc["id"], colours)
        # the optimizer is in the legend and the dash: the runs of one optimizer have distinct dashes
        # (the studio's rule, colors.js: its k-th run the k-th of 4 dashes)
        coinciding = {p[1] for p in sc["coincide"]}
        for opt in {r["optimizer"] for r in runs}:
            mine = [i for i, r in enumerate(runs) if r["optimizer"] == opt and i not in coinciding][:4]
            dashes = [lines[i]["dash"] for i in mine]
            assert len(set(dashes)) == len(dashes), (sc["id"], opt, dashes)
        # the loss chart: the same colour for the same run
        loss = watched.evaluate("""() => document.getElementById('sc-loss').data
            .filter((t) => t.meta && t.meta.run !== undefined && t.showlegend !== false)
            .map((t) => t.line.color.toLowerCase())""")
        assert loss == colours, (sc["id"], loss, colours)
        # the page's legend: one entry per run, in the run's colour, named as the run
        legend = watched.evaluate("""() => [...document.querySelectorAll('#sc-legend li[data-run]')]
            .map((li) => ({ color: li.querySelector('line').getAttribute('stroke').toLowerCase(),
              text: li.textContent.trim() }))""")
        assert [e["color"] for e in legend] == colours
        assert [e["text"] for e in legend] == [line["name"] for line in lines]
    SHOTS.mkdir(exist_ok=True)
    show(watched, "batch-vs-minibatch")
    watched.locator("#scenario").screenshot(path=str(SHOTS / "class-colours-batch.png"))
    assert watched.errors == []


@pytest.mark.parametrize("viewport", [(1366, 768), (390, 844)], ids=["desktop", "phone"])
def test_no_legend_covers_a_path_and_every_run_is_visible(watched, live_server, viewport):
    """For each lesson: no legend box holds a drawn point of a run, and every run is visible on
    each chart (some of its points inside the plot area and not under a run drawn later); on the
    loss chart each run spans at least 5% of the width (a 15-step run beside a 1,500-step one)."""
    watched.set_viewport_size({"width": viewport[0], "height": viewport[1]})
    ready(watched, f"{live_server}/lessons")
    problems = []
    for sc in _lessons(watched):
        show(watched, sc["id"])
        for chart in _charts(watched):
            g = watched.evaluate(GEOMETRY, chart)
            for r in g["runs"]:
                if g["legend"]:
                    x0, y0, x1, y1 = g["legend"]
                    inside = [p for p in r["all"] if x0 <= p[0] <= x1 and y0 <= p[1] <= y1]
                    if inside:
                        problems.append((sc["id"], chart, r["name"], "under the legend", len(inside)))
                if r["seen"] == 0:
                    problems.append((sc["id"], chart, r["name"] or r["run"], "hidden"))
                if chart == "sc-loss" and r["span"] < 0.05 * g["width"]:
                    problems.append((sc["id"], chart, r["name"], "a sliver", r["span"]))
    assert problems == [], problems
    assert watched.errors == []


def test_a_new_lesson_clears_the_last_one_at_once_and_says_it_is_computing(watched, live_server):
    """A learner goes through the lessons in a row, then picks the slow sweep lesson and, before it
    answers, another one: the previous charts are gone at once, the chart area says it computes, the
    late sweep answer never draws under the lesson chosen after it."""
    ready(watched, f"{live_server}/lessons#scenario=momentum-bowl")
    for sid in ("nesterov", "rmsprop", "plateau"):
        show(watched, sid)
    held = []
    watched.route("**/api/v1/sweeps**", lambda route: held.append(route))
    watched.click('#scenario-list a[data-id="batch-size-lr"]')
    watched.wait_for_function("() => document.body.dataset.computing === 'batch-size-lr'", timeout=30000)
    title = watched.inner_text("#sc-title")
    state = watched.evaluate("""() => ({
        drawn: ['sc-map', 'sc-map2', 'sc-loss', 'sc-lr'].filter((id) => document.getElementById(id)._fullLayout),
        busy: !document.getElementById('sc-busy').hidden, text: document.getElementById('sc-busy-text').textContent,
        legend: document.querySelectorAll('#sc-legend li').length })""")
    assert state["drawn"] == [] and state["legend"] == 0, state  # nothing of the plateau lesson is left
    assert state["busy"] and title in state["text"], (state, title)
    SHOTS.mkdir(exist_ok=True)
    watched.locator("#scenario").screenshot(path=str(SHOTS / "class-computing.png"))
    watched.wait_for_function("() => document.body.dataset.computing === 'batch-size-lr'")
    # before the sweep answers, the learner goes on to the input-normalization lesson
    show(watched, "input-normalization")
    assert watched.is_hidden("#sc-busy")
    assert held, "the sweep lesson asked for its sweep"
    for route in held:
        route.continue_()
    watched.wait_for_load_state("networkidle")
    sc = next(s for s in watched.evaluate("() => window.optivizLessons.scenarios") if s["id"] == "input-normalization")
    assert (
        watched.inner_text("#sc-title") == sc["title"]
        and watched.evaluate("document.body.dataset.scenario") == sc["id"]
    )
    assert watched.evaluate("() => document.getElementById('sc-loss').data.every((t) => t.type !== 'heatmap')")
    names = watched.evaluate("() => document.getElementById('sc-loss').data.map((t) => t.name)")
    assert names == [sc["request"]["runs"][0]["label"], sc["compare"]["runs"][0]["label"]]
    assert watched.is_hidden("#sc-busy")
    # and the sweep lesson, chosen again, draws its heatmap once its answer comes
    watched.unroute("**/api/v1/sweeps**")
    show(watched, "batch-size-lr")
    assert watched.evaluate("() => document.getElementById('sc-loss').data[0].type") == "heatmap"
    assert watched.is_hidden("#sc-busy")
    assert watched.errors == []


def test_on_a_phone_the_legend_is_beside_the_map_and_the_ewa_legend_clear_of_its_dates(watched, live_server):
    watched.set_viewport_size({"width": 390, "height": 844})
    ready(watched, f"{live_server}/lessons?lang=zh#scenario=plateau")
    watched.wait_for_function("() => document.body.dataset.scenario === 'plateau'", timeout=60000)
    legend = watched.locator("#sc-legend").bounding_box()
    plot = watched.evaluate("""() => { const gd = document.getElementById('sc-map'), b = gd.getBoundingClientRect(),
        s = gd._fullLayout._size; return { x: b.left + s.l, y: b.top + s.t + window.scrollY, w: s.w, h: s.h }; }""")
    legend["y"] += watched.evaluate("window.scrollY")
    assert legend["y"] + legend["height"] <= plot["y"]  # above the map's plot area, not over it
    assert watched.evaluate("() => !document.querySelector('#sc-map .legend')")
    SHOTS.mkdir(exist_ok=True)
    watched.locator("#scenario").screenshot(path=str(SHOTS / "class-phone-plateau-zh.png"))
    for sid, chart, legend_id in (("ewa-bias-correction", "sc-loss", "sc-legend"), (None, "ewa-plot", "ewa-legend")):
        if sid:
            show(watched, sid)
        watched.wait_for_function(f"() => (document.getElementById('{chart}').data || []).length >= 5", timeout=60000)
        overlap = watched.evaluate(
            """([chart, legend]) => { const l = document.getElementById(legend).getBoundingClientRect();
            const ticks = [...document.querySelectorAll(`#${chart} .xtick text, #${chart} .ytick text`)]
              .map((t) => t.getBoundingClientRect());
            const hit = (t) => t.left < l.right && l.left < t.right && t.top < l.bottom && l.top < t.bottom;
            const lg = document.querySelector(`#${chart} .legend`);
            return { ticks: ticks.length, hit: ticks.filter(hit).length,
              plotly: !!lg && document.getElementById(chart)._fullLayout.showlegend,
              entries: document.querySelectorAll(`#${legend} li`).length,
              traces: document.getElementById(chart).data.length }; }""",
            [chart, legend_id],
        )
        assert overlap["ticks"] > 3 and overlap["hit"] == 0 and not overlap["plotly"]
        assert overlap["entries"] == overlap["traces"], overlap
    watched.locator("#ewa").screenshot(path=str(SHOTS / "class-phone-ewa-zh.png"))
    assert watched.errors == []
