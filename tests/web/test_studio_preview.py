"""The studio's map before Plotly has run (issue 20, point 4: paths on screen ≤ 1.2 s after the
navigation): a canvas over the map shows the grey contour and every run's path in its colour, in the
plot area Plotly then uses (the swap is seamless), and it goes for good once Plotly's map is drawn."""

from __future__ import annotations

from pathlib import Path

from .studio_helpers import settled

SHOTS = Path("/tmp/shots-preview")
PHONE = {"viewport": {"width": 390, "height": 844}, "has_touch": True, "is_mobile": True, "device_scale_factor": 2}

# Each shown run's path points (clear of the other runs) projected into the canvas by the
# preview's plot area (the canvas's _area), with the colour found there: the share of points where the canvas (5 × 5
# device pixels around the point) holds the run's colour.
FOUND = """() => {
  const app = window.optiviz;
  const v = app.model.view;
  const c = document.getElementById('map-preview');
  const box = c.parentElement;
  const area = c._area; // checked against Plotly's axes once Plotly has drawn
  const [x0, x1] = v.surface.x_range; const [y0, y1] = v.surface.y_range;
  const ratio = c.width / box.clientWidth;
  const ctx = c.getContext('2d');
  const rgb = (hex) => [1, 3, 5].map((k) => parseInt(hex.slice(k, k + 2), 16));
  const P = (x, y) => [area.l + ((x - x0) / (x1 - x0)) * area.w, area.t + area.h - ((y - y0) / (y1 - y0)) * area.h];
  const runs = app.model.result.runs;
  const lines = runs.map((r) => r.x.map((x, k) => P(x, r.y[k])));
  const seg = ([x, y], [ax, ay], [bx, by]) => {
    const dx = bx - ax; const dy = by - ay; const l = dx * dx + dy * dy;
    const u = l ? Math.max(0, Math.min(1, ((x - ax) * dx + (y - ay) * dy) / l)) : 0;
    return Math.hypot(x - ax - u * dx, y - ay - u * dy);
  };
  const far = (p, [x, y]) => Math.hypot(p[0] - x, p[1] - y) > 10;
  // a point clear of the other runs' paths (4 px) and of every run's start and end markers
  const clear = (i, p) => lines.every((q, j) => (j === i ? true : q.every((a, k) => !k || seg(p, q[k - 1], a) > 4))
    && far(p, q[0]) && far(p, q[q.length - 1]));
  return runs.map((r, i) => {
    const want = rgb(app.look.runs[i].color);
    let hits = 0; let n = 0; const px = [];
    for (let k = 1; k < r.x.length; k += 1) {
      const [X, Y] = lines[i][k];
      if (X < area.l || X > area.l + area.w || Y < area.t || Y > area.t + area.h || !clear(i, [X, Y])) continue;
      n++;
      px.push([r.x[k], r.y[k], X, Y]);
      const d = ctx.getImageData(Math.round(X * ratio) - 2, Math.round(Y * ratio) - 2, 5, 5).data;
      for (let q = 0; q < d.length; q += 4) {
        if (Math.hypot(d[q] - want[0], d[q + 1] - want[1], d[q + 2] - want[2]) < 60) { hits++; break; }
      }
    }
    return { share: n ? hits / n : 0, n, px };
  });
}"""

# The same data points placed by Plotly's own axes on the drawn map (CSS pixels in the map's box).
PLOTLY_PX = """(pts) => { const fl = document.getElementById('map')._fullLayout;
  return pts.map(([x, y]) => [fl.xaxis._offset + fl.xaxis.l2p(x), fl.yaxis._offset + fl.yaxis.l2p(y)]); }"""

SHOWN = "() => { const c = document.getElementById('map-preview'); return !c.hidden && c.width > 0; }"
WHOLE = """() => { const app = window.optiviz; const r = app.model?.result;
  return r && r.done && !app.player.playing && app.player.it === app.player.max
    && +document.getElementById('map-preview').dataset.paths === r.runs.length; }"""


def held_back(page) -> list:
    """Plotly's script held back (as test_studio_speed.py does): released by the caller."""
    held: list = []
    page.route("**/static/vendor/plotly.min.js", lambda route: held.append(route))
    return held


def preview_shows_paths(page, name: str, least: int) -> list[dict]:
    page.wait_for_function(WHOLE, timeout=30000)
    page.wait_for_function(SHOWN)
    page.evaluate("() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))")
    assert page.evaluate("() => window.Plotly === undefined")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}-preview.png"))
    found = page.evaluate(FOUND)
    # every run's colour lies along its path where no other run is drawn (a dashed run's gaps aside);
    # (the default runs: `least` of them have such points; the others are under them)
    seen = [run for run in found if run["n"] >= 3]
    assert len(seen) >= least
    for i, run in enumerate(seen):
        assert run["share"] >= 0.6, (i, run["share"])
    return found


def test_preview_shows_every_run_path_before_plotly_then_goes(watched, live_server):
    held = held_back(watched)
    watched.goto(live_server + "/")
    found = preview_shows_paths(watched, "desktop", 3)
    # the contour is grey and darker where the loss is higher: not blank
    greys = watched.evaluate(
        "() => { const c = document.getElementById('map-preview'); const d = c.getContext('2d')"
        ".getImageData(0, 0, c.width, c.height).data; const s = new Set();"
        " for (let q = 0; q < d.length; q += 4 * 97)"
        "   if (d[q] === d[q + 1] && d[q + 1] === d[q + 2] && d[q + 3]) s.add(d[q]);"
        " return s.size; }"
    )
    assert greys >= 10
    for route in held:
        route.continue_()
    settled(watched)
    # Plotly's map is drawn: the preview is gone, and Plotly put the same points where the preview did
    assert not watched.is_visible("#map-preview")
    assert watched.evaluate("() => document.getElementById('map-preview').width") == 0
    for run in found:
        plotly = watched.evaluate(PLOTLY_PX, [p[:2] for p in run["px"]])
        for (_, _, X, Y), (px, py) in zip(run["px"], plotly, strict=True):
            assert abs(X - px) < 1.0 and abs(Y - py) < 1.0
    watched.screenshot(path=str(SHOTS / "desktop-plotly.png"))
    # it never comes back: a new surface and its answer are Plotly's
    watched.select_option("#surface", "rosenbrock")
    settled(watched)
    assert not watched.is_visible("#map-preview")
    assert watched.errors == [] and watched.foreign == []


def test_preview_on_a_phone(browser, live_server):
    ctx = browser.new_context(**PHONE)
    page = ctx.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    held = held_back(page)
    page.goto(live_server + "/")
    preview_shows_paths(page, "phone", 2)
    for route in held:
        route.continue_()
    settled(page)
    assert not page.is_visible("#map-preview")
    page.screenshot(path=str(SHOTS / "phone-plotly.png"))
    assert errors == []
    ctx.close()
