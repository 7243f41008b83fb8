// Rendering with Plotly: Plotly.react with the full state for redraws, Plotly.extendTraces while
// playback grows the paths, uirevision so the user's zoom survives updates. This is the ONE module
// that touches Plotly and its internals (_fullLayout, p2l), for both pages: the studio and the
// lessons page (lessons.js builds its traces and layouts and draws them with `chart` below).
/* global Plotly */
import { escapePlotly as esc, fmt } from "./format.js";
import { onLanguage, plotlyLocale, t } from "./i18n.js";

// No "edit in chart studio" / "share" (it uploads to an outside service), no camera on the map
// (its PNG would hold one layer only: the studio's own PNG buttons compose the layers).
const REMOVE = ["sendDataToCloud", "editInChartStudio", "toImage", "lasso2d", "select2d"];
const CONFIG = { responsive: true, displaylogo: false, showSendToCloud: false, showEditInChartStudio: false,
  modeBarButtonsToRemove: REMOVE, toImageButtonOptions: { filename: "optiviz" } };
const CONFIG_BG = { staticPlot: true }; // resized by the app, never by itself mid-draw
const FONT = { family: "system-ui, 'Noto Sans CJK SC', sans-serif", size: 12 };

// A text from the catalogue, or `fallback` where the page has not loaded the studio's texts.
const tx = (key, fallback, values) => { const s = t(key, values); return s === key ? fallback : s; };

// The contour's values by the server's rule (the grid answer's `contour`: log levels or plain).
function contourZ(grid) {
  const c = grid.contour;
  if (!c.log) return { z: grid.z, log: false };
  return { z: grid.z.map((row) => row.map((v) => (v === null ? null : Math.log10(v - c.zmin + c.eps)))), log: true };
}

const hover = () => `<b>%{fullData.name}</b><br>${esc(tx("studio.plot.iteration", "iteration"))} %{pointNumber}<br>`
  + `x %{x:.5g}, y %{y:.5g}<br>${esc(tx("studio.plot.loss", "loss"))} %{customdata:.5g}<extra></extra>`;
// a path's piece after a switch: its points' iterations are the run's (customdata: [loss, iteration])
const hoverFrom = () => `<b>%{fullData.name}</b><br>${esc(tx("studio.plot.iteration", "iteration"))} %{customdata[1]}<br>`
  + `x %{x:.5g}, y %{y:.5g}<br>${esc(tx("studio.plot.loss", "loss"))} %{customdata[0]:.5g}<extra></extra>`;

// An optimizer chain's switches (the answer's `switches`: the updates at which a later link took
// over): the path is cut there, each later optimizer's piece drawn dotted and solid in turn
// (the run's own dash first), from the point the switch reached.
const switchesOf = (data) => data?.switches || [];
function pathPieces(data, upto) {
  const cuts = switchesOf(data);
  return [0, ...cuts].map((from, j) => ({ link: j, from, to: Math.min(upto, j < cuts.length ? cuts[j] : upto) }));
}

// The map is two aligned Plotly layers: the contour below (redrawn only when the surface, the zoom,
// the size or the aspect changes) and the paths above, so that playback never recomputes the contour.
export function contourTraces(model) {
  const cz = contourZ(model.grid);
  return [{
    type: "contour", x: model.grid.x, y: model.grid.y, z: cz.z, ncontours: 30, showscale: false, hoverinfo: "skip",
    colorscale: "Greys", reversescale: true, opacity: 0.55, contours: { coloring: "heatmap", showlines: true },
    line: { width: 0.6, color: "rgba(60,60,60,0.45)" }, name: cz.log ? "log₁₀ loss" : "loss",
  }];
}

const last = (a) => a[a.length - 1];

// How many evaluations belong to the updates before point `upto` (their `step` is sorted).
export function evalsBefore(evals, upto) {
  let lo = 0;
  let hi = evals.step.length;
  while (lo < hi) { const mid = (lo + hi) >> 1; if (evals.step[mid] < upto) lo = mid + 1; else hi = mid; }
  return lo;
}
const evalsData = (ev, from, to) => ev.step.slice(from, to).map((s, k) => [s, ev.loss[from + k]]);
const evalHover = (name) => `<b>${name}</b><br>${esc(tx("studio.plot.evaluation", "loss evaluation of step %{customdata[0]}", { step: "%{customdata[0]}" }))}<br>`
  + `x %{x:.5g}, y %{y:.5g}<br>${esc(tx("studio.plot.loss", "loss"))} %{customdata[1]:.5g}<extra></extra>`;

// The companion sequences of a run whose internals are points (ASGD's and Schedule-Free's average
// x = (mx, my), and Schedule-Free's z = (y − βx)/(1 − β)), points `from`..`to` (index t: after t
// updates; at t = 0 every sequence is the start).
function companion(data, role, beta, from, to) {
  const upto = to;
  const xs = [];
  const ys = [];
  const st = data?.state;
  if (!st?.mx || upto < 0) return [xs, ys];
  for (let t = from; t <= to; t++) {
    const ax = t === 0 ? data.x[0] : st.mx[t - 1];
    const ay = t === 0 ? data.y[0] : st.my[t - 1];
    if (ax === undefined || ax === null) break;
    if (role === "avg") { xs.push(ax); ys.push(ay); } else {
      xs.push((data.x[t] - beta * ax) / (1 - beta));
      ys.push((data.y[t] - beta * ay) / (1 - beta));
    }
  }
  return [xs, ys];
}

// The companion traces of run i (thin solid x, thin dashed z), legend-labelled.
function companionTraces(model, i, upto) {
  const c = model.runs[i].companions;
  const data = model.result?.[i]; // none yet: empty traces, filled by updateMap as the answer streams in
  if (!c) return [];
  const color = model.runs[i].color;
  const label = model.labels[i];
  const roles = c.beta === null || c.beta === undefined ? ["avg"] : ["avg", "z"];
  return roles.map((role) => {
    const [xs, ys] = companion(data, role, c.beta, 0, upto);
    const what = tx(role === "avg" ? "studio.legend.average" : "studio.legend.z", role === "avg" ? "average" : "z");
    return { type: "scatter", mode: "lines", x: xs, y: ys, name: esc(`${label}: ${what}`), showlegend: false,
      line: { color, width: 1.2, dash: role === "avg" ? "solid" : "dash" }, opacity: 0.85,
      hovertemplate: `${esc(`${label}: ${what}`)} (%{x:.4g}, %{y:.4g})<extra></extra>`, meta: { run: i, role } };
  });
}

// Traces of the path layer: [minima, (companions, path, evaluations) per shown run, the marks,
// the arrows' labels]. Paths are lines; markers only where they mean something. Plotly's cost of a
// redraw grows with the number of traces, so everything else shares ONE markers trace: the arrows
// (a shaft is a "line-ew" marker as long as the arrow, turned along it; a head is an "arrow" marker
// at its tip) and each run's start, current point and end. The set of traces stays the same while
// playback moves or a slider is dragged, so that a frame is one restyle of their data (updateMap).
export function mapTraces(model, it, runIndices, size = null) {
  const { surface } = model;
  const traces = [{
    type: "scatter", mode: "markers", x: surface.minima.map((m) => m[0]), y: surface.minima.map((m) => m[1]),
    marker: { symbol: "star", size: 14, color: "#ffffff", line: { color: "#000", width: 1.5 } }, name: "minima",
    hovertemplate: `${esc(tx("studio.plot.minimum", "minimum"))} (%{x:.4g}, %{y:.4g})<extra></extra>`, showlegend: false,
  }];
  const parts = model.showArrows ? arrowParts(model, it, runIndices, size) : null;
  const m = { x: [], y: [], symbol: [], size: [], color: [], opacity: [], angle: [], lineColor: [], lineWidth: [], text: [] };
  const mark = (x, y, symbol, sz, color, lineColor, lineWidth, text, angle = 0, opacity = 1) => {
    m.x.push(x); m.y.push(y); m.symbol.push(symbol); m.size.push(sz); m.color.push(color); m.opacity.push(opacity);
    m.angle.push(angle); m.lineColor.push(lineColor); m.lineWidth.push(lineWidth); m.text.push(text);
  };
  const ends = [];
  for (const i of runIndices) {
    const r = model.runs[i];
    const data = model.result?.[i];
    const upto = data ? Math.min(it, data.x.length - 1) : -1;
    const xs = data ? data.x.slice(0, upto + 1) : [];
    const ys = data ? data.y.slice(0, upto + 1) : [];
    const name = esc(model.labels[i]);
    traces.push(...companionTraces(model, i, upto));
    for (const piece of pathPieces(data, upto)) {
      const shown = piece.to >= piece.from; // a later piece starts empty, until playback reaches its switch
      if (piece.link === 0) {
        traces.push({ type: "scatter", mode: "lines", x: xs.slice(0, piece.to + 1), y: ys.slice(0, piece.to + 1), name,
          line: { color: r.color, width: 2, dash: r.dash || "solid" }, customdata: data ? data.loss.slice(0, piece.to + 1) : [],
          hovertemplate: hover(), meta: { run: i, role: "path" } });
        continue;
      }
      const ks = shown ? Array.from({ length: piece.to - piece.from + 1 }, (_, q) => piece.from + q) : [];
      traces.push({ type: "scatter", mode: "lines", x: ks.map((k) => data.x[k]), y: ks.map((k) => data.y[k]), name, showlegend: false,
        line: { color: r.color, width: 2, dash: piece.link % 2 ? "dot" : r.dash || "solid" }, customdata: ks.map((k) => [data.loss[k], k]),
        hovertemplate: hoverFrom(), meta: { run: i, role: "path-after", kind: String(piece.link) } });
    }
    if (data?.evals) { // L-BFGS: the loss evaluations of the updates drawn so far (line-search trials included)
      const n = evalsBefore(data.evals, upto);
      traces.push({ type: "scatter", mode: "markers", x: data.evals.x.slice(0, n), y: data.evals.y.slice(0, n),
        customdata: evalsData(data.evals, 0, n), showlegend: false, hovertemplate: evalHover(name),
        marker: { size: 5, symbol: "circle", color: r.color, opacity: 0.75, line: { width: 0.5, color: "#fff" } },
        meta: { run: i, role: "evals" } });
    }
    if (upto < 0) continue;
    const done = data.done && upto >= data.x.length - 1;
    const status = done ? `<br>${esc(model.statusText ? model.statusText(data) : data.status)}` : "";
    ends.push(() => {
      mark(xs[0], ys[0], "circle-open", 7, r.color, r.color, 2, name);
      switchesOf(data).forEach((k, j) => { // where the next optimizer took over, once the path has reached it
        if (k > upto) return;
        const next = esc(r.links?.[j] ?? "");
        mark(data.x[k], data.y[k], "diamond", 13, r.color, "#ffffff", 1.5,
          esc(tx("studio.switch.hover", `${name}: switch → ${next} at step ${k}`, { name: model.labels[i], next: r.links?.[j] ?? "", k })));
      });
      mark(last(xs), last(ys), "circle", 11, r.color, "#fff", 2, `${name}${status}`);
      if (done) {
        const symbol = data.status === "diverged" ? "x" : data.status === "converged" ? "circle-open" : "square-open";
        mark(last(xs), last(ys), symbol, 16, r.color, r.color, 3, `${name}${status}`);
      }
    });
  }
  const labels = [];
  if (parts) {
    for (const i of runIndices) {
      const p = parts.get(i);
      if (!p) continue;
      const name = esc(model.labels[i]);
      for (const kind of ARROW_KINDS) {
        const a = p.arrows[kind];
        if (!a) continue;
        const st = ARROW_STYLE[kind];
        const w = Math.max(a.scale, 0.6); // line widths: thinner on a small plot, not thinner than this
        mark(a.sx, a.sy, "line-ew", a.shaft, a.color, a.color, st.width * w, `${name}: ${esc(a.label)}`, a.angle - 90, st.opacity);
        mark(a.hx, a.hy, st.head, st.headSize * a.scale, kind === "g" ? "#ffffff" : a.color, a.color, kind === "g" ? 1.4 * w : 0,
          `${name}: ${esc(a.label)}`, a.angle, st.opacity);
      }
      labels.push(...p.labels);
    }
  }
  for (const draw of ends) draw(); // the runs' points above their arrows
  traces.push({ type: "scatter", mode: "markers", x: m.x, y: m.y, hovertext: m.text, showlegend: false, cliponaxis: false,
    hovertemplate: "%{hovertext}<extra></extra>", meta: { role: "marks" },
    marker: { symbol: m.symbol, size: m.size, color: m.color, opacity: m.opacity, angle: m.angle,
      line: { color: m.lineColor, width: m.lineWidth } } });
  if (parts) {
    traces.push({ type: "scatter", mode: "text", x: labels.map((l) => l.x), y: labels.map((l) => l.y), text: labels.map((l) => esc(l.text)),
      textfont: { size: 11, color: labels.map((l) => l.color), shadow: "0 0 2px #fff, 0 0 3px #fff" }, hoverinfo: "skip",
      showlegend: false, cliponaxis: false, meta: { role: "arrow-labels" } });
  }
  return traces;
}

const MARGIN = { l: 50, r: 10, t: 28, b: 45 };

// Equal axis scale, computed here (not with scaleanchor, whose constrained domain Plotly.react keeps
// from the previous surface): the plot area shrinks along one axis, centred, so that a unit is as
// long on x as on y. Both layers get the same domains, so they stay aligned.
function equalDomains(size, xr, yr) {
  if (!size || !(size.w > 0) || !(size.h > 0)) return { x: [0, 1], y: [0, 1] };
  const w = size.w - MARGIN.l - MARGIN.r;
  const h = size.h - MARGIN.t - MARGIN.b;
  const s = Math.min(w / Math.abs(xr[1] - xr[0]), h / Math.abs(yr[1] - yr[0]));
  const fx = Math.min(1, (s * Math.abs(xr[1] - xr[0])) / w);
  const fy = Math.min(1, (s * Math.abs(yr[1] - yr[0])) / h);
  return { x: [(1 - fx) / 2, (1 + fx) / 2], y: [(1 - fy) / 2, (1 + fy) / 2] };
}

// Where the map's plot area lies in a box of `size` (CSS pixels) at the surface's ranges: the canvas
// preview's area (studio_preview.js), as mapLayout places it.
export function mapArea(model, size) {
  const s = model.surface;
  const dom = model.equal ? equalDomains(size, s.x_range, s.y_range) : { x: [0, 1], y: [0, 1] };
  const w = size.w - MARGIN.l - MARGIN.r;
  const h = size.h - MARGIN.t - MARGIN.b;
  return { l: MARGIN.l + dom.x[0] * w, t: MARGIN.t + (1 - dom.y[1]) * h, w: (dom.x[1] - dom.x[0]) * w, h: (dom.y[1] - dom.y[0]) * h };
}

export function mapLayout(model, title, annotations = [], background = false, ranges = null, size = null, runIndices = null) {
  const s = model.surface;
  const xr = ranges ? ranges.x : s.x_range;
  const yr = ranges ? ranges.y : s.y_range;
  const dom = model.equal ? equalDomains(size, xr, yr) : { x: [0, 1], y: [0, 1] };
  const axis = (range, name, domain) => ({
    range, title: { text: background ? name : "" }, zeroline: false, autorange: false, domain,
    showgrid: background, showticklabels: background, ticks: background ? "outside" : "",
  });
  const legend = !background && model.plotlyLegend !== false;
  return {
    uirevision: `${model.surfaceKey}|${!!model.equal}`, margin: MARGIN, font: FONT,
    title: title && !background ? { text: esc(title), font: { size: 13 } } : undefined,
    xaxis: axis(xr, s.kind === "dataset" ? "w" : "x", dom.x), yaxis: axis(yr, s.kind === "dataset" ? "b" : "y", dom.y),
    // a legend inside the plot area: outside, Plotly would grow the top layer's margins
    showlegend: legend, hovermode: "closest", dragmode: model.dragmode || "zoom",
    legend: { x: 0.99, y: 0.99, xanchor: "right", yanchor: "top", bgcolor: "rgba(255,255,255,0.75)", font: { size: 11 } },
    annotations, paper_bgcolor: "rgba(0,0,0,0)", plot_bgcolor: background ? "#fff" : "rgba(0,0,0,0)",
    shapes: background ? [] : noiseShapes(model.noise, runIndices),
  };
}

const divSize = (div) => ({ w: div.clientWidth, h: div.clientHeight });

// The ranges the top layer shows now (the user's zoom), or null.
function shownRanges(div, key) {
  if (!div._fullLayout || !div.layout || div.layout.uirevision !== key) return null;
  return { x: div._fullLayout.xaxis.range.slice(), y: div._fullLayout.yaxis.range.slice() };
}

function plotSize(div) {
  const fl = div._fullLayout;
  if (fl && fl.xaxis && fl.xaxis._length) return { w: fl.xaxis._length, h: fl.yaxis._length, xr: fl.xaxis.range, yr: fl.yaxis.range };
  return { w: Math.max(200, div.clientWidth - 60), h: Math.max(150, div.clientHeight - 75) };
}

function contourKey(layer, model, title, ranges) {
  const r = ranges || { x: model.surface.x_range, y: model.surface.y_range };
  return `${model.surfaceKey}|${model.equal}|${title || ""}|${JSON.stringify(r)}|${layer.bg.clientWidth}x${layer.bg.clientHeight}`;
}

async function drawContour(layer, model, title, ranges) {
  // newPlot, not react: react's layout-only path for contours can lose their calcdata
  await Plotly.newPlot(layer.bg, contourTraces(model), mapLayout(model, title, [], true, ranges, divSize(layer.bg)), CONFIG_BG);
  layer.bg._key = contourKey(layer, model, title, ranges);
  layer.bg._surfaceKey = model.surfaceKey;
}

// layer = { bg, fg }: two stacked divs of the same size. The contour is keyed on the surface (and
// zoom, size, aspect): whatever was drawn before, a new surface redraws it.
export async function drawMap(layer, model, it, runIndices, title) {
  const key = `${model.surfaceKey}|${!!model.equal}`;
  const ranges = shownRanges(layer.fg, key);
  if (layer.bg._key !== contourKey(layer, model, title, ranges)) await drawContour(layer, model, title, ranges);
  const size = plotSize(layer.fg);
  const p = await Plotly.react(layer.fg, mapTraces(model, it, runIndices, size),
    mapLayout(model, title, curvatureNotes(model, size), false, ranges, divSize(layer.fg), runIndices), CONFIG);
  layer.fg._model = model;
  layer.fg._runs = runIndices;
  layer.fg._title = title;
  if (!layer.fg._synced) { // the user zooms or pans the top layer: redraw the contour to match
    layer.fg._synced = true;
    layer.fg.on("plotly_relayout", async (ev) => {
      if (!Object.keys(ev).some((k) => /^[xy]axis\.(range|autorange)/.test(k))) return;
      const m = layer.fg._model;
      const fl = layer.fg._fullLayout;
      const r = { x: fl.xaxis.range.slice(), y: fl.yaxis.range.slice() };
      if (m.equal) { // keep a unit as long on x as on y in the zoomed view
        const dom = equalDomains(divSize(layer.fg), r.x, r.y);
        await Plotly.relayout(layer.fg, { "xaxis.domain": dom.x, "yaxis.domain": dom.y });
      }
      drawContour(layer, m, layer.fg._title, r);
    });
  }
  return p;
}

// The keys of a map trace that a new frame or a new answer changes (its styles stay).
// (a run's label too: it names its α, which a slider drag changes)
const FRAME_KEYS = ["x", "y", "customdata", "text", "hovertext", "textfont.color", "marker.symbol", "marker.size", "marker.color",
  "marker.angle", "marker.opacity", "marker.line.color", "marker.line.width", "name", "hovertemplate"];
const shapeOf = (traces) => traces.map((t) => (t.meta ? `${t.meta.run ?? ""}:${t.meta.role}:${t.meta.kind || ""}` : t.name)).join("|");

// Show iteration `it` of the answer in `model` on a drawn map whose traces are the same ones
// (same runs, roles, styles): ONE Plotly.restyle of the traces' data (paths, markers, arrows), the
// layout and the contour below untouched. Returns false when the figure must be drawn anew.
export async function updateMap(layer, model, it) {
  const div = layer.fg;
  const runs = div._runs;
  if (!div.data || !runs) return false;
  const next = mapTraces(model, it, runs, plotSize(div));
  if (shapeOf(next) !== shapeOf(div.data)) return false;
  const update = {};
  for (const key of FRAME_KEYS) {
    const path = key.split(".");
    update[key] = next.map((t) => path.reduce((o, k) => (o === undefined ? o : o[k]), t));
  }
  div._model = model;
  await Plotly.restyle(div, update);
  return true;
}

// Charts of long runs: at most ~2 points per pixel column (min and max of each bucket kept, so
// spikes stay visible); short runs are drawn point for point.
function thin(t, y, max = 3000) {
  const n = y.length;
  if (n <= max) return [t, y];
  const buckets = Math.floor(max / 2);
  const size = n / buckets;
  const tx = [];
  const ty = [];
  for (let b = 0; b < buckets; b++) {
    const from = Math.floor(b * size);
    const to = Math.min(n, Math.floor((b + 1) * size));
    let lo = from;
    let hi = from;
    for (let k = from; k < to; k++) { if (y[k] < y[lo]) lo = k; if (y[k] > y[hi]) hi = k; }
    for (const k of lo <= hi ? [lo, hi] : [hi, lo]) { if (tx[tx.length - 1] !== k) { tx.push(t[k]); ty.push(y[k]); } }
  }
  return [tx, ty];
}

// Optimizer internals at iteration `it`: −g (dark, thin, open head), −v (run colour, medium) and
// the step (run colour, thick), each a fixed length in pixels; labels beyond the tips, moved apart.
// Per run: { arrows: { g, v, step: { color, label, angle, shaft length and middle (sx, sy), head (hx, hy) } },
// labels: [{ x, y, text, color }] }.
const ARROW_KINDS = ["g", "v", "step"];
const ARROW_STYLE = {
  g: { length: 44, width: 1.4, head: "arrow", headSize: 9, opacity: 1 },
  v: { length: 56, width: 1.8, head: "arrow", headSize: 9, opacity: 0.75 },
  step: { length: 70, width: 3, head: "arrow", headSize: 12, opacity: 1 },
};

function scales(model, size) {
  const s = model.surface;
  const xr = size?.xr || s.x_range;
  const yr = size?.yr || s.y_range;
  return { kx: (size?.w || 500) / (xr[1] - xr[0]), ky: (size?.h || 350) / (yr[1] - yr[0]) };
}

const ARROW_PLOT = 350; // px: a plot this small or larger gets the arrows at full size
export function arrowParts(model, it, runIndices, size) {
  const { kx, ky } = scales(model, size);
  // lengths and label spacing shrink with a small plot (a phone) so that they stay a part of the map
  const z = Math.max(0.4, Math.min(1, Math.min(size?.w || 500, size?.h || 350) / ARROW_PLOT));
  const out = new Map();
  const placed = [];
  for (const i of runIndices) {
    const d = model.result?.[i];
    if (!d || !d.state || it >= d.lr.length) continue;
    const x0 = d.x[it];
    const y0 = d.y[it];
    const color = model.runs[i].color;
    const part = { arrows: {}, labels: [] };
    out.set(i, part);
    const vec = (kind, vx, vy, label, lineColor) => {
      const st = ARROW_STYLE[kind];
      const n = Math.hypot(vx * kx, vy * ky);
      if (!(n > 0)) return;
      const length = st.length * z;
      const f = length / n;
      const ux = (vx * kx) / n;
      const uy = (vy * ky) / n;
      const tx_ = x0 + vx * f;
      const ty_ = y0 + vy * f;
      // the head's centre half its size back from the tip, the shaft from the point to the head's
      // centre (its middle and length), both turned along the arrow (degrees clockwise from up)
      const back = (st.headSize * z) / 2;
      const shaft = length - back;
      part.arrows[kind] = { color: lineColor, label, shaft, scale: z, angle: (Math.atan2(ux, uy) * 180) / Math.PI,
        hx: tx_ - (ux * back) / kx, hy: ty_ - (uy * back) / ky, sx: x0 + (ux * shaft) / 2 / kx, sy: y0 + (uy * shaft) / 2 / ky };
      // the label beyond the tip; moved down until it overlaps no other label
      const gap = 12 * z; // from the tip to its label
      const px = x0 * kx + ux * (length + gap);
      const py = -y0 * ky - uy * (length + gap);
      let shift = 0;
      const line = Math.round(13 * Math.max(z, 0.75));
      while (placed.some((p) => Math.abs(p[0] - px) < 26 * z && Math.abs(p[1] - (py + shift)) < line) && shift < 200) shift += line;
      placed.push([px, py + shift]);
      part.labels.push({ x: tx_ + (ux * gap) / kx, y: ty_ + (uy * gap - shift) / ky, text: label, color: lineColor });
    };
    vec("g", -d.state.gx[it], -d.state.gy[it], "−g", "#333333");
    if (d.state.mx && !model.runs[i].companions) vec("v", -d.state.mx[it], -d.state.my[it], "−v", color);
    vec("step", d.x[it + 1] - x0, d.y[it + 1] - y0, tx("studio.arrow.step", "step"), color);
  }
  return out;
}

// The layout's annotations of the map: the Hessian's axes at the inspected point (when shown).
export function curvatureNotes(model, size) {
  const { kx, ky } = scales(model, size);
  return curvatureAxes(model.curvature, kx, ky);
}

// The Hessian's eigen-directions at the inspected point, drawn as two axes through it: each half
// as long as 1/√|λ| (the level set of the local quadratic), the longer one 80 px; labelled λ.
const CURV_COLOR = "#6A3D9A";
function curvatureAxes(c, kx, ky) {
  if (!c) return [];
  const [x0, y0] = c.point;
  const mags = c.eigenvalues.map((l) => Math.abs(l));
  const big = Math.max(...mags);
  const out = [];
  c.eigenvectors.forEach(([vx, vy], k) => {
    const n = Math.hypot(vx * kx, vy * ky);
    if (!(n > 0)) return;
    const px = mags[k] > 0 ? Math.min(80, Math.max(14, 80 * Math.sqrt(Math.min(...mags.filter((m) => m > 0)) / mags[k]))) : 80;
    const f = px / n;
    const ex = vx * f;
    const ey = vy * f;
    out.push({ x: x0 + ex, y: y0 + ey, ax: x0 - ex, ay: y0 - ey, xref: "x", yref: "y", axref: "x", ayref: "y", text: "",
      showarrow: true, arrowhead: 0, arrowwidth: 2, arrowcolor: CURV_COLOR, standoff: 0, opacity: 0.9 });
    out.push({ x: x0 + ex, y: y0 + ey, xref: "x", yref: "y", showarrow: false, text: esc(`λ${k ? "₂" : "₁"}=${fmt(c.eigenvalues[k], 3)}`),
      font: { size: 11, color: CURV_COLOR }, bgcolor: "rgba(255,255,255,0.8)", xanchor: "left", yanchor: "bottom" });
  });
  return out;
}

// The 2σ ellipse of the next SGD step from each visible run's point (mini-batch gradient noise),
// in the run's colour; a full batch has none (a point is drawn as nothing). Only the ellipses of
// the runs the plot shows (`runs`, all when null): a small multiple shows its own run's.
function noiseShapes(list, runs = null) {
  if (!list) return [];
  const out = [];
  for (const n of Array.isArray(list) ? list : [list]) {
    if (runs && !runs.includes(n.run)) continue;
    const [a, b] = n.axes;
    if (!(a.length > 0 || b.length > 0)) continue;
    const pts = [];
    for (let k = 0; k <= 64; k++) {
      const p = (2 * Math.PI * k) / 64;
      const c = Math.cos(p) * a.length;
      const s = Math.sin(p) * b.length;
      pts.push(`${n.center[0] + c * a.direction[0] + s * b.direction[0]},${n.center[1] + c * a.direction[1] + s * b.direction[1]}`);
    }
    const color = /^#[0-9a-f]{6}$/i.test(n.color || "") ? n.color : CURV_COLOR;
    const [r, g, bl] = [1, 3, 5].map((k) => parseInt(color.slice(k, k + 2), 16));
    // dotted; runs of one optimizer keep their own dash pattern, as their paths do
    const dash = n.dash && n.dash !== "solid" ? n.dash : "dot";
    out.push({ type: "path", path: `M ${pts.join(" L ")} Z`, xref: "x", yref: "y", line: { color, width: 2, dash },
      fillcolor: `rgba(${r},${g},${bl},0.12)`, name: `noise-${n.run ?? 0}` });
  }
  return out;
}

// 3D: the surface in greys (run colours stand out), true aspect from the ranges, paths and
// current points drawn just above the surface so it never hides them.
export function draw3D(div, model, it, runIndices) {
  const { grid } = model;
  const s = model.surface;
  let zlo = Infinity;
  let zhi = -Infinity;
  for (const row of grid.z) for (const v of row) if (v !== null) { if (v < zlo) zlo = v; if (v > zhi) zhi = v; }
  const lift = (zhi - zlo) * 0.012;
  const traces = [{ type: "surface", x: grid.x, y: grid.y, z: grid.z, colorscale: "Greys", reversescale: true, opacity: 0.9,
    showscale: false, hoverinfo: "skip", contours: { z: { show: true, color: "#888", width: 1 } } }];
  const inside = (x, y) => x >= s.x_range[0] && x <= s.x_range[1] && y >= s.y_range[0] && y <= s.y_range[1];
  for (const i of runIndices) {
    const d = model.result?.[i];
    if (!d) continue;
    let upto = Math.min(it, d.x.length - 1);
    const out = d.x.findIndex((x, k) => k <= upto && !inside(x, d.y[k]));
    if (out >= 0) upto = out - 1; // the 3D scene shows the display range only
    if (upto < 0) continue;
    const z = d.loss.slice(0, upto + 1).map((v) => Math.min(v, zhi) + lift);
    const color = model.runs[i].color;
    const name = esc(model.labels[i]);
    traces.push({ type: "scatter3d", mode: "lines", x: d.x.slice(0, upto + 1), y: d.y.slice(0, upto + 1), z, name,
      line: { color, width: 6, dash: model.runs[i].dash || "solid" }, hovertemplate: hover().replace("%{customdata:.5g}", "%{z:.5g}") });
    const reached = switchesOf(d).filter((k) => k <= upto); // its switches the path has reached: diamonds
    traces.push({ type: "scatter3d", mode: "markers", x: [d.x[0], d.x[upto], ...reached.map((k) => d.x[k])],
      y: [d.y[0], d.y[upto], ...reached.map((k) => d.y[k])], z: [z[0], z[upto], ...reached.map((k) => z[k])], showlegend: false,
      marker: { size: [4, 7, ...reached.map(() => 6)], symbol: ["circle", "circle", ...reached.map(() => "diamond")],
        color: ["#ffffff", color, ...reached.map(() => color)], line: { color, width: 2 } }, hoverinfo: "skip" });
    if (d.evals) { // L-BFGS: its loss evaluations on the surface (those inside the display range)
      const ev = d.evals;
      const keep = [];
      for (let k = 0, n = evalsBefore(ev, upto); k < n; k++) {
        if (ev.loss[k] !== null && inside(ev.x[k], ev.y[k])) keep.push(k);
      }
      traces.push({ type: "scatter3d", mode: "markers", x: keep.map((k) => ev.x[k]), y: keep.map((k) => ev.y[k]),
        z: keep.map((k) => Math.min(ev.loss[k], zhi) + lift), showlegend: false, hovertemplate: evalHover(name)
          .replace("%{customdata[1]:.5g}", "%{z:.5g}"), customdata: keep.map((k) => [ev.step[k], ev.loss[k]]),
        marker: { size: 2.5, color, opacity: 0.8 }, meta: { run: i, role: "evals" } });
    }
  }
  const xs = s.x_range[1] - s.x_range[0];
  const ys = s.y_range[1] - s.y_range[0];
  const ry = Math.min(4, Math.max(0.25, ys / xs));
  return Plotly.react(div, traces, {
    uirevision: model.surfaceKey, margin: { l: 0, r: 0, t: 0, b: 0 }, font: FONT, showlegend: false,
    scene: { xaxis: { title: { text: "x" }, range: s.x_range }, yaxis: { title: { text: "y" }, range: s.y_range },
      zaxis: { title: { text: esc(tx("studio.plot.loss", "loss")) }, range: [zlo, zhi + 2 * lift] },
      aspectmode: "manual", aspectratio: { x: 1, y: ry, z: 0.6 } },
  }, CONFIG);
}

// Log axes labelled 10ᵏ only: one tick every `step` decades, chosen from the data's span so that
// at most `most` labels are written.
function logTicks(values, most = 6) {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) if (v > 0 && Number.isFinite(v)) { if (v < lo) lo = v; if (v > hi) hi = v; }
  if (!(hi > 0)) return {};
  const decades = Math.max(1, Math.log10(hi) - Math.log10(lo));
  return { dtick: Math.max(1, Math.ceil(decades / most)), tick0: 0, exponentformat: "power", minor: { showgrid: false } };
}

// Side by side charts: the gap (a fraction of a chart's width) that leaves `px` pixels between two
// charts of a `width` wide row of three, room for the tick labels of the one on the right.
const sideGap = (width, px) => Math.min(0.5, (3 * px) / Math.max(1, width - 2 * px));

// The cycled momentum's axis: on the right of the lr chart, over the values' span, three ticks.
function momentumAxis(values) {
  let lo = Math.min(...values);
  let hi = Math.max(...values);
  const pad = Math.max(0.01, (hi - lo) * 0.08);
  lo -= pad;
  hi = Math.min(1, hi + pad);
  return { overlaying: "y2", anchor: "x2", side: "right", range: [lo, hi], autorange: false, nticks: 4, tickformat: ".2f",
    showgrid: false, zeroline: false, tickfont: { size: 10 } };
}

// Linked charts: loss (log), learning rate and gradient norm against iteration, with a cursor.
// Three columns on a wide screen, three rows on a phone.
export function drawCharts(div, model, it, runIndices) {
  const traces = [];
  const losses = [];
  const norms = [];
  const moms = [];
  const it_ = esc(tx("studio.plot.iteration", "iteration"));
  for (const i of runIndices) {
    const d = model.result?.[i];
    if (!d) continue;
    const color = model.runs[i].color;
    const dash = model.runs[i].dash || "solid";
    const t_ = d.x.map((_, k) => k);
    const name = esc(model.labels[i]);
    losses.push(d.loss);
    norms.push(d.grad_norm);
    const [lx, ly] = thin(t_, d.loss);
    traces.push({ x: lx, y: ly, name, line: { color, dash }, xaxis: "x", yaxis: "y", legendgroup: String(i),
      hovertemplate: `${name}<br>${esc(tx("studio.plot.loss", "loss"))} %{y:.4g}<extra></extra>` });
    if (d.batch_loss) {
      losses.push(d.batch_loss.filter((v) => v > 0)); // the axis spans the mini-batch losses too
      const [bx, by] = thin(t_, d.batch_loss);
      traces.push({ x: bx, y: by, name: `${name} (${esc(tx("studio.plot.mini_batch", "mini-batch"))})`,
        legendgroup: String(i), line: { color, width: 1 }, opacity: 0.45, xaxis: "x", yaxis: "y", showlegend: false,
        hovertemplate: `${name}<br>${esc(tx("studio.plot.mini_batch", "mini-batch"))} %{y:.4g}<extra></extra>` });
    }
    const [rx, ry] = thin(t_, d.lr);
    const [gx, gy] = thin(t_, d.grad_norm);
    traces.push({ x: rx, y: ry, line: { color, dash }, xaxis: "x2", yaxis: "y2", legendgroup: String(i), name,
      showlegend: false, hovertemplate: `${name}<br>${esc(tx("studio.plot.lr", "learning rate"))} %{y:.4g}<extra></extra>` });
    if (d.momentum) { // OneCycleLR's cycled momentum (β or β₁): dotted, on the lr chart's right axis
      const [mx, my] = thin(t_, d.momentum);
      moms.push(d.momentum);
      traces.push({ x: mx, y: my, line: { color, dash: "dot", width: 1.5 }, xaxis: "x2", yaxis: "y4", legendgroup: String(i), name,
        showlegend: false, hovertemplate: `${name}<br>${esc(tx("studio.plot.momentum", "momentum"))} %{y:.4g}<extra></extra>` });
    }
    traces.push({ x: gx, y: gy, line: { color, dash }, xaxis: "x3", yaxis: "y3", name,
      legendgroup: String(i), showlegend: false, hovertemplate: `${name}<br>${esc(tx("studio.plot.grad_norm", "gradient norm"))} %{y:.4g}<extra></extra>` });
  }
  const positive = losses.every((l) => l.every((v) => v > 0));
  // learning rates: from 0 on a linear axis, or on a log axis where they differ by orders of magnitude
  let lrLo = Infinity;
  let lrHi = 0;
  for (const i of runIndices) for (const v of model.result?.[i]?.lr || []) { if (v < lrLo) lrLo = v; if (v > lrHi) lrHi = v; }
  const lrLog = lrLo > 0 && lrHi / lrLo > 20;
  // one constant rate: from 0 to a little above it (Plotly's own range of a flat line spans −0.5..1)
  const lrFlat = lrHi > 0 && lrLo === lrHi ? { range: [0, lrHi * 1.25], autorange: false } : {};
  const momentum = moms.length > 0;
  const stacked = div.clientWidth < 700;
  // a log axis labelled every ≥ 30 px of a chart's height (mini-batch losses can span 15 decades)
  const logLabels = Math.max(2, Math.floor(((stacked ? div.clientHeight / 3 : div.clientHeight) - 60) / 30));
  const cursor = (ax) => ({ type: "line", xref: ax, yref: `${ax.replace("x", "y")} domain`, x0: it, x1: it, y0: 0, y1: 1,
    line: { color: "#555", width: 1, dash: "dot" }, name: "cursor" });
  // each run's switches (an optimizer chain): a vertical line at k on every chart in the run's colour,
  // the next optimizer's name at the top of the loss chart
  const switchLines = [];
  const switchNames = [];
  runIndices.forEach((i, row) => {
    const color = model.runs[i].color;
    switchesOf(model.result?.[i]).forEach((k, j) => {
      for (const ax of ["x", "x2", "x3"]) {
        switchLines.push({ type: "line", xref: ax, yref: `${ax.replace("x", "y")} domain`, x0: k, x1: k, y0: 0, y1: 1,
          line: { color, width: 1.5, dash: "dash" }, name: `switch-${i}-${j}` });
      }
      switchNames.push({ xref: "x", yref: "y domain", x: k, y: 1, xanchor: "left", yanchor: "top", xshift: 2, yshift: -13 * row,
        showarrow: false, text: esc(`→ ${model.runs[i].links?.[j] ?? ""}`), font: { size: 10, color }, bgcolor: "rgba(255,255,255,0.7)" });
    });
  });
  // each chart's name above it (rotated axis titles collide with the next chart's tick labels)
  const title = (axis, key, fb) => ({ xref: `${axis} domain`, yref: `${axis.replace("x", "y")} domain`, x: 0, y: 1, xanchor: "left",
    yanchor: "bottom", yshift: 2, showarrow: false, text: `<b>${esc(tx(key, fb))}</b>`, font: { size: 12 } });
  return Plotly.react(div, traces, {
    uirevision: model.surfaceKey, font: FONT, margin: { l: 50, r: momentum ? 36 : 12, t: 22, b: 36 }, showlegend: false,
    annotations: [...switchNames, title("x", "studio.plot.loss", "loss"),
      title("x2", momentum ? "studio.plot.lr_momentum" : "studio.plot.lr", momentum ? "learning rate · momentum (dotted)" : "learning rate"),
      title("x3", "studio.plot.grad_norm", "gradient norm")],
    grid: stacked ? { rows: 3, columns: 1, pattern: "independent", ygap: 0.2 }
      : { rows: 1, columns: 3, pattern: "independent", xgap: sideGap(div.clientWidth - 62, momentum ? 100 : 64) },
    hovermode: "x unified",
    xaxis: { title: stacked ? undefined : { text: it_ } }, xaxis2: { title: stacked ? undefined : { text: it_ } }, xaxis3: { title: { text: it_ } },
    yaxis: { type: positive ? "log" : "linear", ...(positive ? logTicks(losses.flat(), logLabels) : {}) },
    yaxis2: lrLog ? { type: "log", ...logTicks([lrLo, lrHi], logLabels) } : { rangemode: "tozero", exponentformat: "power", ...lrFlat },
    ...(momentum ? { yaxis4: momentumAxis(moms.flat()) } : {}),
    yaxis3: { type: "log", ...logTicks(norms.flat(), logLabels) },
    shapes: [cursor("x"), cursor("x2"), cursor("x3"), ...switchLines],
  }, { ...CONFIG, modeBarButtonsToRemove: REMOVE });
}

// The charts' cursor (their three dotted shapes) moved to `it` without a Plotly call: each drawn
// shape's element is translated by the pixels between where it was drawn and `it`, and the layout
// keeps `it` (a later redraw or PNG draws it there). A frame of playback costs no chart redraw.
export function moveCursor(div, it) {
  const fl = div._fullLayout;
  if (!div.layout || !fl) return Promise.resolve();
  const shapes = div.layout.shapes || [];
  for (const node of div.querySelectorAll(".shapelayer path[data-index]")) {
    const k = +node.getAttribute("data-index");
    const shape = shapes[k];
    if (shape?.name !== "cursor") continue; // a switch's line stays at its step
    const ax = shape && fl[`xaxis${shape.xref.slice(1)}`];
    if (!ax || !ax.l2p) continue;
    if (node._drawnAt === undefined) node._drawnAt = shape.x0;
    node.setAttribute("transform", `translate(${ax.l2p(it) - ax.l2p(node._drawnAt)},0)`);
  }
  for (const shape of shapes) if (shape.name === "cursor") { shape.x0 = it; shape.x1 = it; }
  return Promise.resolve();
}

export const purge = (div) => { if (window.Plotly && div.data) Plotly.purge(div); };

// Plotly (4.6 MB) is fetched by a preload in the page and run when the page asks (the studio: once
// its controls are drawn and its first requests are on their way), so that the server computes
// while the browser runs it; the script is added after the current task.
// Every figure in the page's language (i18n.js `plotlyLocale`): when Plotly or the texts arrive,
// whichever is last, and again when the language changes.
function localize() {
  const locale = plotlyLocale();
  if (!window.Plotly || !locale) return;
  Plotly.register({ moduleType: "locale", ...locale });
  Plotly.setPlotConfig({ locale: locale.name });
}
onLanguage(localize);

export const loadPlotly = () => new Promise((resolve, reject) => {
  if (window.Plotly) { resolve(); return; }
  const script = document.createElement("script");
  script.src = "static/vendor/plotly.min.js";
  script.onload = () => { localize(); resolve(); }; // in the page's language
  script.onerror = reject;
  setTimeout(() => document.head.append(script), 0);
});

export const plotlyLoaded = () => !!window.Plotly;

// --- charts of the lessons page: its traces and layout, the page's font and toolbar ----------------

const CHART_CONFIG = { responsive: true, displaylogo: false };

// Draw (or redraw) a chart; `toolbar: false` hides Plotly's mode bar (the small multiples).
export const chart = (div, traces, layout, { toolbar = true } = {}) => Plotly.react(div, traces, { font: FONT, ...layout },
  toolbar ? CHART_CONFIG : { ...CHART_CONFIG, displayModeBar: false });

// Fit a drawn chart to the size its box has now (a panel that was hidden or resized).
export const fitChart = (div) => Plotly.Plots.resize(div);

export const isDrawn = (div) => !!div._fullLayout;
// Show or hide a drawn chart's traces (by their indices), as a click on a legend entry does.
export const setVisible = (div, indices, shown) => Plotly.restyle(div, { visible: shown }, indices);

// Call fn(point) when a point of the chart is clicked (the only click handler: a redraw replaces it).
export function onPointClick(div, fn) {
  div.removeAllListeners?.("plotly_click");
  div.on("plotly_click", (ev) => fn(ev.points[0]));
}

// The data coordinates under a pointer, or null outside the plot area (the map's click/tap).
export function dataCoords(div, clientX, clientY) {
  const fl = div._fullLayout;
  if (!fl || !fl.xaxis || !fl.xaxis.p2l) return null;
  const rect = div.getBoundingClientRect();
  const px = clientX - rect.left - fl.xaxis._offset;
  const py = clientY - rect.top - fl.yaxis._offset;
  if (px < 0 || py < 0 || px > fl.xaxis._length || py > fl.yaxis._length) return null;
  return [fl.xaxis.p2l(px), fl.yaxis.p2l(py)];
}

// --- PNG for slides: each layer as an image of its size on screen (export.js composes them) ------

function loadImage(url) {
  return new Promise((resolve, reject) => {
    const img = new Image();
    img.onload = () => resolve(img);
    img.onerror = reject;
    img.src = url;
  });
}

// divs: stacked layers of one size → their images, `scale` pixels per CSS pixel.
export async function layerImages(divs, scale = 2) {
  const w = divs[0].clientWidth;
  const h = divs[0].clientHeight;
  const urls = await Promise.all(divs.map((d) => Plotly.toImage(d, { format: "png", width: w, height: h, scale })));
  return Promise.all(urls.map(loadImage));
}
