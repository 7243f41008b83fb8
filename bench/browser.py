"""The studio in headless Chromium, the four interaction figures of issue 20 each beside its goal and
a baseline measured in the same run:

1. slider drag: map redraws per second and the input lag of each pointer event (the event's time
   → the next frame painted after it was handled), against the same request alone (fetch + JSON)
   and a bare ``Plotly.react`` of the same traces in a scratch div;
2. playback: frames per second in which the drawn paths moved, against the page's idle frame rate;
3. number-field edit → the new answer drawn (charts and tables included), against the request alone;
4. navigation → the paths on screen (the canvas preview's or Plotly's; Plotly's contour and paths
   drawn beside it), against Plotly alone loading in a blank page of the same server.

Then the older figure: 16 runs × 20,000 steps drawn, against a bare Plotly figure.
``python -m bench.browser --quick`` measures the four goals only."""

from __future__ import annotations

import json
import statistics
import sys
import urllib.parse
import urllib.request

from tests.web.conftest import CHROMIUM, FLAGS

from .serve import served

WAIT_READY = "() => document.body.dataset.ready === '1' && !window.optiviz.player.playing"
GOALS = {"drag": 20.0, "lag": 50.0, "play": 30.0, "edit": 80.0, "nav": 1200.0}

# One full redraw of what is on screen (map layers + charts + tables), the data already in the page.
REDRAW = """async () => {
  const t0 = performance.now();
  await window.optiviz.renderer.redrawNow();
  return performance.now() - t0;
}"""

# Change the seed (a new request, same work): time until every point is in and drawn, charts included.
RERUN = """() => new Promise((resolve) => {
  const field = document.getElementById('seed');
  const t0 = performance.now();
  field.value = String(+field.value + 1);
  field.dispatchEvent(new Event('input', { bubbles: true }));
  const poll = () => {
    const o = window.optiviz;
    const drawn = document.getElementById('map').data.filter(t => t.meta && t.meta.role === 'path');
    const full = o.model.result && drawn.length
      && drawn.every(t => t.x.length === o.model.result.runs[t.meta.run].x.length);
    return document.body.dataset.ready === '1' && full ? resolve(performance.now() - t0) : requestAnimationFrame(poll);
  };
  requestAnimationFrame(poll);
})"""

FETCH = """async () => { const t0 = performance.now();
  const r = await fetch('api/v1/trajectories', { method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify(window.optiviz.model.result.request) }); await r.json(); return performance.now() - t0; }"""

# The same paths drawn in a scratch div: `mode` lines or lines+markers; `react` times a Plotly.react
# of the drawn figure (the studio's former way of redrawing the map on every answer).
BASELINE = """async (mode) => {
  const d = document.createElement('div');
  d.style.cssText = 'width:900px;height:500px;position:absolute;left:0;top:0';
  document.body.append(d);
  const traces = window.optiviz.model.result.runs
    .map(r => ({ type: 'scatter', mode, x: r.x, y: r.y, marker: { size: 3 } }));
  let t0 = performance.now();
  await Plotly.newPlot(d, traces, { showlegend: false });
  let ms = performance.now() - t0;
  if (mode === 'react') { t0 = performance.now(); await Plotly.react(d, traces.map(t => ({ ...t, x: t.x.slice() })),
    { showlegend: false }); ms = performance.now() - t0; }
  Plotly.purge(d); d.remove();
  return ms;
}"""

# Type a value into run 0's lr field; time until the new answer's paths are on the map (`map`: every
# drawn path is the newest answer's, whole) and until everything is drawn (`all`: charts and tables
# too, ready again).
EDIT = """(value) => new Promise((resolve) => {
  const field = document.querySelector('[data-run="0"] input[type=number][data-param="lr"]');
  const o = window.optiviz;
  const map = document.getElementById('map');
  const t0 = performance.now();
  const gen = o.model.gen;
  field.value = String(value);
  field.dispatchEvent(new Event('input', { bubbles: true }));
  let paths = null;
  const poll = () => {
    const now = performance.now();
    const res = o.model.result;
    if (paths === null && res && res.gen > gen && res.done && !o.model.queued) {
      const drawn = (map.data || []).filter(t => t.meta && t.meta.role === 'path');
      if (drawn.length && drawn.every(t => { const r = res.runs[t.meta.run].x;
        return t.x.length === r.length && t.x[t.x.length - 1] === r[r.length - 1]; })) paths = now - t0;
    }
    if (paths !== null && document.body.dataset.ready === '1') resolve({ map: paths, all: now - t0 });
    else requestAnimationFrame(poll);
  };
  requestAnimationFrame(poll);
})"""

# Drag run 0's lr slider for `ms`: a hand moves it every 16 ms; the browser hands the newest position
# to the page when its main thread is free (events that waited are coalesced, as Chromium does).
# Input lag of each pointer event: from its time to the first frame painted after it was handled
# (a rAF, then a task: after the paint). Map redraws: frames where run 0's drawn path changed.
DRAG = """(ms) => new Promise((resolve) => {
  const slider = document.querySelector('[data-run="0"] input[type=range][data-slider="lr"]');
  const map = document.getElementById('map');
  const end = () => {
    const t = (map.data || []).find(t => t.meta && t.meta.run === 0 && t.meta.role === 'path');
    return t && t.x.length ? `${t.x.length}:${t.x[t.x.length - 1]}` : null;
  };
  let redraws = 0;
  let last = end();
  const lags = [];
  const start = +slider.value;
  const t0 = performance.now();
  let next = 0;
  const frame = () => {
    const e = end();
    if (e !== last) { redraws++; last = e; }
    if (performance.now() - t0 < ms) requestAnimationFrame(frame);
  };
  requestAnimationFrame(frame);
  const pump = () => {
    const now = performance.now();
    const t = now - t0;
    if (t > ms) {
      const wait = () => (lags.length >= next ? resolve({ redraws: redraws / (t / 1000), lags, events: next })
        : setTimeout(wait, 20));
      wait();
      return;
    }
    const due = Math.floor(t / 16);
    if (due >= next) {
      const times = [];
      for (let k = next; k <= due; k++) times.push(t0 + 16 * k);
      next = due + 1;
      slider.value = String(Math.round(start - 250 * (t / ms)));
      slider.dispatchEvent(new Event('input', { bubbles: true }));
      const painted = () => { const p = performance.now(); for (const s of times) lags.push(p - s); };
      requestAnimationFrame(() => setTimeout(painted, 0));
    }
    setTimeout(pump, 4);
  };
  setTimeout(pump, 0);
})"""

# Play from 0 for `ms`: frames per second in which the drawn paths moved (run 0's drawn length).
PLAY = """(ms) => new Promise((resolve) => {
  const o = window.optiviz;
  const map = document.getElementById('map');
  const head = () => {
    const t = (map.data || []).find(t => t.meta && t.meta.run === 0 && t.meta.role === 'path');
    return t ? t.x.length : null;
  };
  o.player.seek(0);
  let frames = 0;
  let last = head();
  let t0 = null;
  const frame = (now) => {
    if (t0 === null) { t0 = now; o.player.play(); }
    const h = head();
    if (h !== last) { frames++; last = h; }
    if (now - t0 < ms && o.player.playing) requestAnimationFrame(frame);
    else { o.player.pause(); resolve(frames / ((now - t0) / 1000)); }
  };
  requestAnimationFrame(frame);
})"""

# The page's frame rate when nothing moves (the ceiling of any animation here).
IDLE = """(ms) => new Promise((resolve) => {
  let n = 0; let t0 = null;
  const frame = (now) => { if (t0 === null) t0 = now; else n++; if (now - t0 < ms) requestAnimationFrame(frame);
    else resolve(n / ((now - t0) / 1000)); };
  requestAnimationFrame(frame);
})"""

# Recorded from the navigation on (an init script): when the controls, Plotly, the paths on screen
# (the canvas preview's or Plotly's) and Plotly's contour and paths were first there, and the main
# thread's long tasks.
NAV_PROBE = """(() => {
  const nav = (window.__nav = { long: [] });
  try { new PerformanceObserver((l) => { for (const e of l.getEntries()) nav.long.push([e.startTime, e.duration]); })
    .observe({ type: 'longtask', buffered: true }); } catch (e) { /* not supported */ }
  const poll = () => {
    const now = performance.now();
    const sel = document.getElementById('surface');
    if (nav.controls === undefined && sel && sel.options.length) nav.controls = now;
    if (nav.plotly === undefined && window.Plotly) nav.plotly = now;
    const map = document.getElementById('map');
    const bg = document.getElementById('map-bg');
    const drawn = map && map.data && bg && bg.data
      && map.data.some((t) => t.meta && t.meta.role === 'path' && t.x.length > 0);
    // paths on screen: the canvas preview's (studio_preview.js) or Plotly's
    const preview = document.getElementById('map-preview');
    const previewed = preview && !preview.hidden && +preview.dataset.paths > 0;
    if (nav.shown === undefined && (drawn || previewed)) nav.shown = now;
    if (drawn) { nav.paths = now; return; }
    requestAnimationFrame(poll);
  };
  requestAnimationFrame(poll);
})()"""

# Plotly alone: a blank page of the same server runs the same script (the floor of a first draw).
PLOTLY_ALONE = """() => new Promise((resolve, reject) => {
  const s = document.createElement('script');
  s.src = 'static/vendor/plotly.min.js';
  const t0 = performance.now();
  s.onload = () => resolve(performance.now() - t0);
  s.onerror = reject;
  document.head.append(s);
})"""


def _pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(q * len(s)))]


def _verdict(ok: bool) -> str:
    return "meets the goal" if ok else "MISSES the goal"


def navigation(browser, base: str, rounds: int = 3) -> None:
    """4. navigation → paths drawn, a new browser context each round (nothing cached), then reloads."""
    cold, warm, plotly, controls, longest, frozen, shown = [], [], [], [], [], [], []
    for _ in range(rounds):
        ctx = browser.new_context(viewport={"width": 1366, "height": 768})
        page = ctx.new_page()
        page.add_init_script(NAV_PROBE)
        page.goto(f"{base}/")
        page.wait_for_function("() => window.__nav && window.__nav.paths !== undefined", timeout=60000)
        nav = page.evaluate("() => window.__nav")
        cold.append(nav["paths"])
        shown.append(nav.get("shown", nav["paths"]))
        plotly.append(nav.get("plotly", float("nan")))
        controls.append(nav.get("controls", float("nan")))
        longest.append(max((d for _, d in nav["long"]), default=0.0))
        frozen.append(sum(d for s, d in nav["long"] if s < nav["paths"]))
        page.reload()
        page.wait_for_function("() => window.__nav && window.__nav.paths !== undefined", timeout=60000)
        warm.append(page.evaluate("() => window.__nav.paths"))
        ctx.close()
    alone = []
    for _ in range(rounds):
        ctx = browser.new_context()
        page = ctx.new_page()
        page.goto(f"{base}/healthz")
        alone.append(page.evaluate(PLOTLY_ALONE))
        ctx.close()
    m = statistics.median(shown)
    print(
        f"navigation → paths on screen (canvas preview or Plotly; cold, a new context each): median {m:.0f} ms "
        f"(rounds {', '.join(f'{v:.0f}' for v in shown)}; goal ≤ {GOALS['nav']:.0f} ms: {_verdict(m <= GOALS['nav'])})"
    )
    print(
        f"  … Plotly's contour and paths drawn: median {statistics.median(cold):.0f} ms "
        f"(rounds {', '.join(f'{v:.0f}' for v in cold)}); reloaded (cached): median {statistics.median(warm):.0f} ms"
    )
    print(
        f"  controls filled at {statistics.median(controls):.0f} ms, "
        f"Plotly running at {statistics.median(plotly):.0f} ms; "
        f"longest main-thread task {statistics.median(longest):.0f} ms, long tasks before the paths "
        f"{statistics.median(frozen):.0f} ms in all; baseline: Plotly alone (fetched, parsed and run) in a blank "
        f"page of the same server: {statistics.median(alone):.0f} ms"
    )


def interaction(page, base: str) -> None:
    """1–3: drag, playback, edit on the studio's default state (4 runs × 300 steps)."""
    page.goto(f"{base}/#n=300")
    page.wait_for_function(WAIT_READY, timeout=60000)
    # 1. slider drag
    fetch = [page.evaluate(FETCH) for _ in range(7)]
    react = [page.evaluate(BASELINE, "react") for _ in range(3)]
    drags = [page.evaluate(DRAG, 3000) for _ in range(2)]
    page.wait_for_function(WAIT_READY, timeout=60000)
    rate = statistics.median(d["redraws"] for d in drags)
    lags = [v for d in drags for v in d["lags"]]
    lag = statistics.median(lags)
    f, r = statistics.median(fetch), statistics.median(react)
    print(
        f"slider drag (a hand's event every 16 ms, 3 s, twice): {rate:.1f} map redraws per second "
        f"(goal ≥ {GOALS['drag']:.0f}: {_verdict(rate >= GOALS['drag'])}); input lag per pointer event "
        f"median {lag:.0f} ms, p90 {_pct(lags, 0.9):.0f} ms, max {max(lags):.0f} ms over {len(lags)} events "
        f"(goal ≤ {GOALS['lag']:.0f} ms: {_verdict(lag <= GOALS['lag'])})"
    )
    print(
        f"  baseline: the same request alone (fetch + JSON) median {f:.1f} ms; a bare Plotly.react of the same "
        f"paths {r:.1f} ms → one after the other: {1000 / (f + r):.0f} redraws per second"
    )
    # 2. playback
    page.goto(f"{base}/#n=1000")
    page.wait_for_function(WAIT_READY, timeout=60000)
    idle = page.evaluate(IDLE, 1000)
    fps = [page.evaluate(PLAY, 2500) for _ in range(2)]
    page.wait_for_function(WAIT_READY, timeout=60000)
    fp = statistics.median(fps)
    print(
        f"playback (4 runs × 1000 steps, 2.5 s, twice): {fp:.1f} frames per second in which the paths moved "
        f"(goal ≥ {GOALS['play']:.0f}: {_verdict(fp >= GOALS['play'])}); baseline: the page's idle frame rate "
        f"{idle:.1f} per second"
    )
    # 3. number-field edit
    page.goto(f"{base}/#n=300")
    page.wait_for_function(WAIT_READY, timeout=60000)
    done = [page.evaluate(EDIT, v) for v in (0.11, 0.12, 0.13, 0.14, 0.15, 0.16, 0.17, 0.18, 0.19, 0.2, 0.21)]
    fetch = [page.evaluate(FETCH) for _ in range(7)]
    edits = [d["map"] for d in done]
    whole = [d["all"] for d in done]
    e = statistics.median(edits)
    print(
        f"number-field edit → the new 4 × 300 paths on the map: median {e:.0f} ms "
        f"(min {min(edits):.0f}, max {max(edits):.0f}; goal ≤ {GOALS['edit']:.0f} ms: {_verdict(e <= GOALS['edit'])}); "
        f"charts and tables too: median {statistics.median(whole):.0f} ms; "
        f"baseline: the same request alone (fetch + JSON) median {statistics.median(fetch):.1f} ms"
    )


def large(page, base: str) -> None:
    """16 runs × 20,000 steps drawn, against the same paths in a bare Plotly figure."""
    limits = json.loads(urllib.request.urlopen(f"{base}/api/v1/limits").read())
    n_runs, n_steps = limits["max_runs"], limits["max_steps"]
    # GD/momentum at rates that neither converge nor diverge
    opts = ["gd", "momentum", "nesterov", "rmsprop", "adam", "adamw", "adagrad", "adadelta"]
    runs = [{"o": opts[i % 8], "p": {"lr": 1e-4 * (1 + i)}} for i in range(n_runs)]
    page.goto(f"{base}/#s=elongated_bowl&n={n_steps}&tol=0&r={urllib.parse.quote(json.dumps(runs))}")
    page.wait_for_function(WAIT_READY, timeout=180000)
    points = page.evaluate("() => window.optiviz.model.result.runs.reduce((a, r) => a + r.x.length, 0)")
    page.evaluate("() => { window.optiviz.player.seek(window.optiviz.player.max); }")
    page.wait_for_function(WAIT_READY)
    redraw = [page.evaluate(REDRAW) for _ in range(3)]
    whole = page.evaluate(RERUN)
    server = page.evaluate(FETCH)
    lines = [page.evaluate(BASELINE, "lines") for _ in range(2)]
    markers = page.evaluate(BASELINE, "lines+markers")
    print(
        f"{n_runs} runs × {n_steps} steps ({points} points): full studio redraw (map layers + charts + tables) "
        f"median {statistics.median(redraw):.0f} ms (target ≤ 500 ms)"
    )
    print(
        f"  request → every point streamed in, paths and charts drawn: {whole:.0f} ms "
        f"(server compute included; the same request alone, fetch + JSON: {server:.0f} ms)"
    )
    print(
        f"  same paths in a bare Plotly figure: lines {statistics.median(lines):.0f} ms, "
        f"lines + markers (the old way) {markers:.0f} ms → the studio draws in "
        f"{statistics.median(redraw) / markers:.3f}× the old cost"
    )


def main() -> None:
    from playwright.sync_api import sync_playwright  # the dev extra, as for the browser tests

    quick = "--quick" in sys.argv
    with served() as base, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        navigation(browser, base)
        page = browser.new_page(viewport={"width": 1366, "height": 768})
        interaction(page, base)
        if not quick:
            large(page, base)
        browser.close()


if __name__ == "__main__":
    main()
