"""The studio in headless Chromium: drawing 16 × 20,000 points, a number-field edit redrawn,
redraws per second while a slider is dragged. Each figure against a baseline of the same run."""

from __future__ import annotations

import json
import statistics
import urllib.parse
import urllib.request

from tests.web.conftest import CHROMIUM, FLAGS

from .serve import served

WAIT_READY = "() => document.body.dataset.ready === '1' && !window.optiviz.player.playing"

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

# The same paths drawn the old way (lines + a marker per point) and as lines, in a scratch div.
BASELINE = """async (mode) => {
  const d = document.createElement('div');
  d.style.cssText = 'width:900px;height:500px;position:absolute;left:0;top:0';
  document.body.append(d);
  const traces = window.optiviz.model.result.runs
    .map(r => ({ type: 'scatter', mode, x: r.x, y: r.y, marker: { size: 3 } }));
  const t0 = performance.now();
  await Plotly.newPlot(d, traces, { showlegend: false });
  const ms = performance.now() - t0;
  Plotly.purge(d); d.remove();
  return ms;
}"""

# Type a value into run 0's lr field; time until the new answer is fully drawn (ready again).
EDIT = """(value) => new Promise((resolve) => {
  const field = document.querySelector('[data-run="0"] input[type=number][data-param="lr"]');
  const t0 = performance.now();
  field.value = String(value);
  field.dispatchEvent(new Event('input', { bubbles: true }));
  const poll = () => (document.body.dataset.ready === '1'
    ? resolve(performance.now() - t0) : requestAnimationFrame(poll));
  requestAnimationFrame(poll);
})"""

# Drag run 0's lr slider for `ms` (an input event every 16 ms, as a hand does); count map redraws.
DRAG = """(ms) => new Promise((resolve) => {
  const slider = document.querySelector('[data-run="0"] input[type=range][data-slider="lr"]');
  const map = document.getElementById('map');
  let redraws = 0;
  let lastEnd = null;
  const seen = () => {
    const t = map.data.find(t => t.meta && t.meta.run === 0 && t.meta.role === 'path');
    const end = t && t.x.length ? t.x[t.x.length - 1] : null;
    if (end !== lastEnd) { redraws++; lastEnd = end; }
  };
  map.on('plotly_afterplot', seen);
  const start = +slider.value;
  const t0 = performance.now();
  const timer = setInterval(() => {
    const t = performance.now() - t0;
    if (t > ms) {
      clearInterval(timer);
      map.removeListener('plotly_afterplot', seen);
      resolve(redraws / (t / 1000));
      return;
    }
    slider.value = String(Math.round(start - 250 * (t / ms)));
    slider.dispatchEvent(new Event('input', { bubbles: true }));
  }, 16);
})"""


def main() -> None:
    from playwright.sync_api import sync_playwright  # the dev extra, as for the browser tests

    with served() as base:
        limits = json.loads(urllib.request.urlopen(f"{base}/api/v1/limits").read())
        n_runs, n_steps = limits["max_runs"], limits["max_steps"]
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
            page = browser.new_page(viewport={"width": 1366, "height": 768})
            # 1. 16 runs × 20,000 steps (GD/momentum at rates that neither converge nor diverge)
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
                "(server compute included; "
                f"the same request alone, fetch + JSON: {server:.0f} ms)"
            )
            print(
                f"  same paths in a bare Plotly figure: lines {statistics.median(lines):.0f} ms, "
                f"lines + markers (the old way) {markers:.0f} ms → the studio draws in "
                f"{statistics.median(redraw) / markers:.3f}× the old cost"
            )
            # 2. number-field edit → 4 × 300 paths redrawn
            page.goto(f"{base}/#n=300")
            page.wait_for_function(WAIT_READY, timeout=30000)
            edits = [page.evaluate(EDIT, v) for v in (0.11, 0.12, 0.13, 0.14, 0.15, 0.16, 0.17, 0.18, 0.19, 0.2, 0.21)]
            fetch = [page.evaluate(FETCH) for _ in range(5)]
            print(
                "number-field edit → 4 × 300 paths, charts and tables redrawn: "
                f"median {statistics.median(edits):.0f} ms "
                f"(min {min(edits):.0f}, max {max(edits):.0f}; target ≤ 150 ms); "
                "the same request alone (fetch + JSON): "
                f"median {statistics.median(fetch):.0f} ms"
            )
            # 3. slider drag → redraws per second
            rates = [page.evaluate(DRAG, 2000) for _ in range(2)]
            print(
                f"slider drag (input every 16 ms for 2 s): {statistics.median(rates):.1f} redraws per second "
                "(target ≥ 5)"
            )
            browser.close()


if __name__ == "__main__":
    main()
