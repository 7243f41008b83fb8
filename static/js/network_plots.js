// The network page's Plotly drawing (the one module of that page that touches Plotly, as plots.js
// is for the studio): Plotly.react with the full figure when what is drawn changes, extendTraces
// while the stream grows the curves, restyle / relayout for the scrubbed iteration, uirevision so
// the user's zoom survives every update. Traces and layouts are built from the page's model only.
/* global Plotly */
import { escapePlotly as esc, fmt } from "./format.js";
import { t } from "./i18n.js";

const FONT = { family: "system-ui, 'Noto Sans CJK SC', sans-serif", size: 12 };
const CONFIG = { responsive: true, displaylogo: false, showSendToCloud: false, showEditInChartStudio: false,
  modeBarButtonsToRemove: ["sendDataToCloud", "editInChartStudio", "lasso2d", "select2d"] };
const MARGIN = { l: 48, r: 12, t: 34, b: 40 };
const CLASS_COLORS = ["#d55e00", "#0072b2"]; // y = 0, y = 1 (the boundary's colour scale ends)

const base = (title, extra = {}) => ({ font: FONT, title: { text: esc(title), font: { size: 13 }, x: 0.02 }, margin: MARGIN,
  paper_bgcolor: "#fff", plot_bgcolor: "#fff", showlegend: false, ...extra });

const react = (div, traces, layout) => Plotly.react(div, traces, layout, CONFIG);

// a legend under the plot (in the PNG for a slide too): one entry per run
const LEGEND = { showlegend: true, legend: { orientation: "h", x: 0, y: -0.3, yanchor: "top", font: { size: 11 } } };

// --- the landscape: plane.loss as a contour, every run's path, the current point per run ---------

// log10 of the loss (losses span decades on a plane; the hover shows the loss itself)
const log10 = (v) => (v === null || v === undefined || v <= 0 ? null : Math.log10(v));

// `switches`: [{ run, a, b, text: [lines] }] a diamond each, on the run's path at the recorded point
// of its optimizer switch (drawn above the paths, under the current points)
export function landscapeFigure(model, looks, labels, points, revision, switches = []) {
  const { plane } = model;
  const traces = [{
    type: "contour", x: plane.a, y: plane.b, z: plane.loss.map((row) => row.map(log10)), customdata: plane.loss,
    colorscale: "Viridis", reversescale: false, ncontours: 28, contours: { coloring: "heatmap", showlines: true },
    line: { width: 0.5, color: "rgba(255,255,255,0.35)" }, opacity: 0.85,
    colorbar: { title: { text: esc(t("net.plot.log_loss")), side: "right" }, thickness: 10, len: 0.8 },
    hovertemplate: `a %{x:.3g}, b %{y:.3g}<br>${esc(t("net.plot.plane_loss"))} %{customdata:.4g}<extra></extra>`,
  }];
  // the longest paths first, so that short ones (GD and momentum at a small rate) lie on top; a path
  // shorter than 5 % of the plane's extent is drawn wider, and every run's end has a marker
  const span = Math.hypot(extent(plane.a), extent(plane.b)) || 1;
  const length = (r) => Math.hypot(extent(r.path.a), extent(r.path.b));
  const order = model.runs.map((r, i) => i).filter((i) => model.runs[i].path?.a)
    .sort((i, j) => length(model.runs[j]) - length(model.runs[i]));
  // short paths that overlap (GD and momentum at a small rate) stay visible: each is drawn narrower
  // than the one under it
  const widths = shortWidths(order.map((i) => length(model.runs[i]) < 0.05 * span));
  for (const [k, i] of order.entries()) {
    const r = model.runs[i];
    traces.push({ type: "scatter", mode: "lines", x: r.path.a, y: r.path.b, name: esc(labels[i]), meta: { role: "path", run: i }, showlegend: true,
      line: { color: looks[i].color, width: widths[k], dash: looks[i].dash }, customdata: r.path.step,
      hovertemplate: `<b>${esc(labels[i])}</b><br>${esc(t("net.plot.update"))} %{customdata}<extra></extra>` });
  }
  const ends = order.map((i) => model.runs[i]);
  if (ends.length) {
    const endLabel = (i) => esc(t("netx.landscape.end", { label: labels[i] }));
    traces.push({ type: "scatter", mode: "markers", meta: { role: "ends" }, showlegend: false,
      x: ends.map((r) => r.path.a[r.path.a.length - 1]), y: ends.map((r) => r.path.b[r.path.b.length - 1]),
      text: order.map(endLabel), hovertemplate: "%{text}<extra></extra>",
      marker: { symbol: "square", size: 11, color: order.map((i) => looks[i].color), line: { color: "#fff", width: 1.5 } } });
  }
  const starts = model.runs.filter((r) => r.path?.a);
  if (starts.length) {
    traces.push({ type: "scatter", mode: "markers", x: [starts[0].path.a[0]], y: [starts[0].path.b[0]], meta: { role: "init" },
      marker: { symbol: "circle-open", size: 12, color: "#fff", line: { width: 2 } }, name: esc(t("net.plot.init")), showlegend: false,
      hovertemplate: `${esc(t("net.plot.init"))}<extra></extra>` });
  }
  if (switches.length) {
    traces.push({ type: "scatter", mode: "markers", meta: { role: "switch", runs: switches.map((w) => w.run) }, showlegend: false,
      x: switches.map((w) => w.a), y: switches.map((w) => w.b), text: switches.map((w) => lines(w.text)), hovertemplate: "%{text}<extra></extra>",
      marker: { symbol: "diamond", size: 13, color: switches.map((w) => looks[w.run].color), line: { color: "#000", width: 1.5 } } });
  }
  traces.push(currentTrace(points, looks));
  const layout = base(t("net.landscape.title_kind", { kind: model.planeName || plane.kind }), {
    ...LEGEND, uirevision: revision, xaxis: { title: { text: "a (d₁)" }, zeroline: false }, yaxis: { title: { text: "b (d₂)" }, zeroline: false },
  });
  inset(traces, layout, model, looks, order.filter((_, k) => widths[k] !== 2.5), widths.filter((w) => w !== 2.5));
  return { traces, layout };
}

// An inset (top left) zoomed on the short paths and the shared start, when some path is shorter than
// 5 % of the plane: there, GD's and momentum's few steps at a small rate are seen beside Adam's.
const shortWidths = (isShort) => {
  const n = isShort.filter(Boolean).length;
  let k = 0;
  return isShort.map((s) => (s ? 3 + 3 * (n - 1 - k++) : 2.5));
};

function inset(traces, layout, model, looks, short, widths) {
  if (!short.length) return;
  const xs = short.flatMap((i) => model.runs[i].path.a);
  const ys = short.flatMap((i) => model.runs[i].path.b);
  const pad = (v) => { const lo = Math.min(...v); const hi = Math.max(...v); const m = 0.25 * (hi - lo || Math.abs(hi) * 0.01 || 1e-3); return [lo - m, hi + m]; };
  for (const [k, i] of short.entries()) {
    const r = model.runs[i];
    traces.push({ type: "scatter", mode: "lines+markers", x: r.path.a, y: r.path.b, xaxis: "x2", yaxis: "y2", meta: { role: "inset", run: i },
      showlegend: false, hoverinfo: "skip", line: { color: looks[i].color, width: widths[k], dash: looks[i].dash },
      marker: { size: r.path.a.map((_, k) => (k === r.path.a.length - 1 ? 9 : 0)), symbol: "square", color: looks[i].color } });
  }
  const r0 = model.runs[short[0]];
  traces.push({ type: "scatter", mode: "markers", x: [r0.path.a[0]], y: [r0.path.b[0]], xaxis: "x2", yaxis: "y2", showlegend: false, hoverinfo: "skip",
    meta: { role: "inset-start" }, marker: { symbol: "circle-open", size: 10, color: "#000", line: { width: 2 } } });
  Object.assign(layout, {
    xaxis2: { domain: [0.04, 0.36], anchor: "y2", range: pad(xs), showgrid: false, zeroline: false, tickfont: { size: 9 }, nticks: 3,
      showline: true, mirror: true, linecolor: "#444" },
    yaxis2: { domain: [0.62, 0.97], anchor: "x2", range: pad(ys), showgrid: false, zeroline: false, tickfont: { size: 9 }, nticks: 3,
      showline: true, mirror: true, linecolor: "#444" },
    shapes: [{ type: "rect", xref: "x2 domain", yref: "y2 domain", x0: 0, x1: 1, y0: 0, y1: 1, fillcolor: "rgba(255,255,255,0.92)", line: { width: 0 }, layer: "below" }],
    annotations: [{ xref: "x2 domain", yref: "y2 domain", x: 0, y: 1, xanchor: "left", yanchor: "bottom", showarrow: false,
      text: esc(t("netx.landscape.inset")), font: { size: 10 }, bgcolor: "rgba(255,255,255,0.85)" }],
  });
}

const extent = (v) => {
  let lo = Infinity;
  let hi = -Infinity;
  for (const x of v || []) if (Number.isFinite(x)) { lo = Math.min(lo, x); hi = Math.max(hi, x); }
  return hi > lo ? hi - lo : 0;
};

// "Tune α": the final train loss (median over seeds) against the learning rate, log x, one line per
// run, its [lowest, highest] band over the seeds when noisy, its best rate starred.
export function tuneFigure(answer, looks, labels) {
  const traces = [];
  for (const c of answer.curves) {
    const color = looks[c.run]?.color || "#000";
    const name = esc(labels[c.run] || c.label);
    if (c.spread?.some(Boolean)) {
      const ok = c.lrs.map((_, k) => !!c.spread[k]);
      const xs = c.lrs.filter((_, k) => ok[k]);
      const lo = c.spread.filter(Boolean).map((s) => s[0]);
      const hi = c.spread.filter(Boolean).map((s) => s[1]);
      traces.push({ type: "scatter", mode: "lines", x: [...xs, ...xs.slice().reverse()], y: [...hi, ...lo.slice().reverse()],
        fill: "toself", fillcolor: color, opacity: 0.18, line: { width: 0 }, hoverinfo: "skip", showlegend: false, meta: { role: "spread", run: c.run } });
    }
    traces.push({ type: "scatter", mode: "lines+markers", x: c.lrs, y: c.final_loss, name, meta: { role: "tune", run: c.run },
      line: { color, width: 2 }, marker: { size: 5 }, showlegend: true,
      hovertemplate: `<b>${name}</b><br>α %{x:.3g}: %{y:.4g}<extra></extra>` });
    const best = c.final_loss[c.best_index];
    if (best !== null && best !== undefined) {
      traces.push({ type: "scatter", mode: "markers", x: [c.best_lr], y: [best], meta: { role: "best", run: c.run }, showlegend: false,
        marker: { symbol: "star", size: 16, color, line: { color: "#000", width: 1 } },
        hovertemplate: `${esc(t("netx.tune.best", { label: labels[c.run] || c.label }))}: %{x:.3g}<extra></extra>` });
    }
  }
  const layout = base("", { ...LEGEND, margin: { ...MARGIN, t: 12 },
    xaxis: { type: "log", dtick: 1, title: { text: "α" } }, yaxis: { type: "log", dtick: 1, title: { text: t("netx.plot.final_loss") } } });
  return { traces, layout };
}

// A lesson over seeds (GET api/v1/scenarios/{id}/seeds): per run, the mean over the seeds of one
// series per epoch, and around it the band the answer names (`band`: its lowest to highest seed),
// drawn as the tuning's spread is. Points where no seed has a value are gaps.
// `marks`: [{ epoch, color, text }] a dashed vertical line each (a run's optimizer switch).
export function seedsFigure(answer, key, looks, labels, title, yaxis, marks = []) {
  const traces = [];
  answer.runs.forEach((r, i) => {
    const b = r[key];
    const color = looks[i]?.color || "#000";
    const name = esc(labels[i] || r.label);
    const xs = b.mean.map((_, e) => e);
    const ok = xs.filter((e) => b.lo[e] !== null && b.hi[e] !== null);
    traces.push({ type: "scatter", mode: "lines", x: [...ok, ...ok.slice().reverse()],
      y: [...ok.map((e) => b.hi[e]), ...ok.slice().reverse().map((e) => b.lo[e])],
      fill: "toself", fillcolor: color, opacity: 0.2, line: { width: 0 }, hoverinfo: "skip", showlegend: false,
      legendgroup: `r${i}`, meta: { role: "band", run: i, key } });
    traces.push({ type: "scatter", mode: "lines", x: xs, y: b.mean, name, legendgroup: `r${i}`, showlegend: true,
      customdata: xs.map((e) => [b.sd[e], b.lo[e], b.hi[e]]), meta: { role: "mean", run: i, key },
      line: { color, width: 2, dash: looks[i]?.dash || "solid" },
      hovertemplate: `<b>${name}</b><br>${esc(t("net.plot.epoch"))} %{x}: %{y:.4g} ± %{customdata[0]:.2g} [%{customdata[1]:.4g}, %{customdata[2]:.4g}]<extra></extra>` });
  });
  const layout = base(title, { ...LEGEND, xaxis: { title: { text: t("net.plot.epoch") } }, yaxis,
    shapes: marks.map(markLine), annotations: marks.map(markNote) });
  return { traces, layout };
}

// a run's optimizer switch on a per-epoch chart: a dashed line in its colour at the switch's epoch,
// its text above the plot
const markLine = (m) => ({ type: "line", xref: "x", yref: "paper", x0: m.epoch, x1: m.epoch, y0: 0, y1: 1,
  line: { color: m.color, width: 1.5, dash: "dash" }, name: `switch-${m.run}` });
const markNote = (m) => ({ x: m.epoch, y: 1, xref: "x", yref: "paper", yanchor: "bottom", showarrow: false,
  text: esc(m.text), font: { size: 10, color: m.color } });

// A lesson whose runs differ only in when they switch optimizer: each run's value of one series after
// the last epoch against its switch epoch (`epochs[i]`), the mean over the seeds (a marker in the
// run's colour) with a bar from the lowest to the highest seed.
export function switchFigure(answer, key, looks, epochs, title, yaxis, xtitle) {
  const final = (a) => a[a.length - 1];
  const mean = answer.runs.map((r) => final(r[key].mean));
  const lo = answer.runs.map((r) => final(r[key].lo));
  const hi = answer.runs.map((r) => final(r[key].hi));
  const traces = [{ type: "scatter", mode: "lines+markers", x: epochs, y: mean, meta: { role: "by-switch", key },
    line: { color: "#666", width: 1, dash: "dot" }, marker: { size: 10, color: looks.map((l) => l.color), line: { color: "#000", width: 1 } },
    error_y: { type: "data", symmetric: false, array: hi.map((h, i) => h - mean[i]), arrayminus: lo.map((l, i) => mean[i] - l),
      color: "#444", thickness: 1.5, width: 6 },
    customdata: epochs.map((_, i) => [lo[i], hi[i]]), showlegend: false,
    hovertemplate: `${esc(xtitle)} %{x}: %{y:.4g} [%{customdata[0]:.4g}, %{customdata[1]:.4g}]<extra></extra>` }];
  const pad = 0.04 * Math.max(...epochs);
  return { traces, layout: base(title, { xaxis: { title: { text: esc(xtitle) }, range: [-pad, Math.max(...epochs) + pad], zeroline: false },
    yaxis: { ...yaxis, automargin: true } }) };
}

// The current point of every run (one trace: moved by restyle while playing).
function currentTrace(points, looks) {
  return { type: "scatter", mode: "markers", x: points.map((p) => p?.a ?? null), y: points.map((p) => p?.b ?? null),
    meta: { role: "current" }, hoverinfo: "skip", showlegend: false,
    marker: { size: 13, color: looks.map((l) => l.color), line: { color: "#000", width: 1.5 } } };
}

// the legend ~60 px under the plot area whatever the plot's height (a phone's short one, the desktop's tall one)
export function drawLandscape(div, fig) {
  const area = Math.max(120, div.clientHeight - MARGIN.t - MARGIN.b - 60);
  fig.layout.legend = { ...fig.layout.legend, y: -Math.min(0.3, 62 / area) };
  return react(div, fig.traces, fig.layout);
}

export function moveCurrent(div, points) {
  if (!div.data) return Promise.resolve();
  const k = div.data.findIndex((tr) => tr.meta?.role === "current");
  if (k < 0) return Promise.resolve();
  return Plotly.restyle(div, { x: [points.map((p) => p?.a ?? null)], y: [points.map((p) => p?.b ?? null)] }, [k]);
}

// --- the fidelity panel: true loss vs plane loss along each path, PCA variance vs random walk ----

export function fidelityFigure(model, looks, labels, epochOf, revision) {
  const traces = [];
  model.runs.forEach((r, i) => {
    if (!r.path?.plane_loss) return;
    const x = r.path.step.map((s) => epochOf(i, s));
    traces.push({ type: "scatter", mode: "lines", x, y: r.path.loss, name: esc(labels[i]), legendgroup: `r${i}`,
      line: { color: looks[i].color, width: 2 } });
    traces.push({ type: "scatter", mode: "lines", x, y: r.path.plane_loss, name: esc(`${labels[i]} — ${t("net.fid.on_plane")}`),
      legendgroup: `r${i}`, showlegend: false, line: { color: looks[i].color, width: 2, dash: "dot" } });
  });
  const layout = base(t("net.fid.chart_title"), { ...LEGEND, uirevision: revision, title: { text: esc(t("net.fid.chart_title")), font: { size: 12 }, x: 0.02 },
    xaxis: { title: { text: t("net.plot.epoch") } }, yaxis: { title: { text: t("net.plot.train_loss") }, type: "log" },
    shapes: [cursorShape(0)] });
  return { traces, layout };
}

export function explainedFigure(plane) {
  const names = [t("net.fid.pc1"), t("net.fid.pc2"), t("net.fid.pc12")];
  const e = plane.explained || [];
  const vals = [e[0], e[1], e[0] + e[1]];
  const traces = [{ type: "bar", x: names, y: vals, marker: { color: ["#56b4e9", "#56b4e9", "#0072b2"] }, name: t("net.fid.paths"),
    text: vals.map((v) => `${fmt(100 * v, 3)} %`), textposition: "auto", cliponaxis: false }];
  const shapes = [];
  if (Number.isFinite(plane.random_walk)) {
    shapes.push({ type: "line", xref: "paper", x0: 0, x1: 1, y0: plane.random_walk, y1: plane.random_walk,
      line: { color: "#cc79a7", width: 2, dash: "dash" } });
  }
  const layout = base(t("net.fid.explained_title"), { shapes, yaxis: { range: [0, 1.15], tickformat: ".0%" }, margin: { ...MARGIN, b: 30 },
    annotations: Number.isFinite(plane.random_walk) ? [{ xref: "paper", x: 0.5, y: plane.random_walk, yanchor: "bottom", xanchor: "center",
      text: esc(t("net.fid.random_walk", { v: fmt(100 * plane.random_walk, 3) })), showarrow: false, font: { color: "#a0527f", size: 11 } }] : [] });
  return { traces, layout };
}

export const drawFigure = (div, fig) => react(div, fig.traces, fig.layout);

// --- the decision boundary of one run at the scrubbed point ---------------------------------------

const lines = (title) => (Array.isArray(title) ? title : [title]).map(esc).join("<br>");

export function boundaryFigure(grid, data, title, color, revision) {
  const traces = [
    { type: "heatmap", x: grid.x, y: grid.y, z: grid.z, zmin: 0, zmax: 1, showscale: false, hoverinfo: "skip", opacity: 0.5,
      colorscale: [[0, CLASS_COLORS[0]], [0.5, "#ffffff"], [1, CLASS_COLORS[1]]], zsmooth: "best" },
    { type: "contour", x: grid.x, y: grid.y, z: grid.z, showscale: false, hoverinfo: "skip",
      contours: { start: 0.5, end: 0.5, size: 1, coloring: "none" }, line: { color, width: 3 } },
  ];
  const split = (set, y) => set.x.filter((_, k) => set.y[k] === y);
  for (const [set, open] of [[data.train, false], [data.test, true]]) {
    for (const y of [0, 1]) {
      const pts = split(set, y);
      traces.push({ type: "scatter", mode: "markers", x: pts.map((p) => p[0]), y: pts.map((p) => p[1]), hoverinfo: "skip",
        marker: { size: open ? 7 : 5, symbol: open ? "circle-open" : "circle", color: CLASS_COLORS[y], line: { width: open ? 1.5 : 0 } } });
    }
  }
  const layout = base("", { uirevision: revision, margin: { l: 30, r: 8, t: 44, b: 24 }, title: { text: lines(title), font: { size: 11 }, x: 0.02 },
    xaxis: { range: [grid.x[0], grid.x[grid.x.length - 1]], zeroline: false },
    yaxis: { range: [grid.y[0], grid.y[grid.y.length - 1]], zeroline: false, scaleanchor: "x" } });
  return { traces, layout };
}

export function moveBoundary(div, grid, title) {
  if (!div.data) return Promise.resolve();
  return Plotly.update(div, { z: [grid.z, grid.z] }, { "title.text": lines(title) }, [0, 1]);
}

// --- the curves: per epoch train/test loss and accuracy; the mini-batch loss per update ----------

function cursorShape(x) {
  return { type: "line", xref: "x", yref: "paper", x0: x, x1: x, y0: 0, y1: 1, line: { color: "#444", width: 1, dash: "dot" } };
}

// spec: [{ key, dash, name, x: (i, k) => epoch }] per run; yaxis: options; `marks`: the runs'
// optimizer switches ([{ run, epoch, color, text }], after the cursor: it stays shapes[0]); returns the figure
export function curvesFigure(model, looks, labels, series, title, yaxis, revision, legend = false, marks = []) {
  const traces = [];
  model.runs.forEach((r, i) => {
    for (const s of series) {
      const y = (r[s.key] || []).slice(); // a copy: extendTraces appends to the drawn arrays in place
      const first = s === series[0];
      traces.push({ type: "scatter", mode: "lines", x: y.map((_, k) => s.x(i, k)), y, name: esc(first ? labels[i] : `${labels[i]} — ${s.name}`),
        legendgroup: `r${i}`, showlegend: legend && first,
        meta: { run: i, key: s.key }, line: { color: looks[i].color, width: s.width || 2, dash: s.dash || looks[i].dash },
        opacity: s.opacity ?? 1 });
    }
  });
  const layout = base(title, { ...(legend ? LEGEND : {}), uirevision: revision, xaxis: { title: { text: t("net.plot.epoch") } },
    yaxis, shapes: [cursorShape(0), ...marks.map(markLine)], annotations: marks.map(markNote) });
  return { traces, layout };
}

// Append the values each trace lacks (the stream's new slices), or redraw when the figure changed.
export function growCurves(div, fig, key) {
  const same = div.data && div.dataset.figure === key && div.data.length === fig.traces.length;
  div.dataset.figure = key;
  if (!same) return react(div, fig.traces, fig.layout);
  const idx = [];
  const xs = [];
  const ys = [];
  fig.traces.forEach((tr, k) => {
    const have = div.data[k].x.length;
    if (tr.x.length > have) { idx.push(k); xs.push(tr.x.slice(have)); ys.push(tr.y.slice(have)); }
  });
  return idx.length ? Plotly.extendTraces(div, { x: xs, y: ys }, idx) : Promise.resolve();
}

export function moveCursor(div, x) {
  if (!div.layout) return Promise.resolve();
  return Plotly.relayout(div, { "shapes[0].x0": x, "shapes[0].x1": x });
}

// --- PNG for a slide -------------------------------------------------------------------------------

export function downloadPNG(div, filename) {
  return Plotly.downloadImage(div, { format: "png", filename, width: Math.max(div.clientWidth, 900), height: Math.max(div.clientHeight, 600), scale: 2 });
}

export const toPNG = (div) => Plotly.toImage(div, { format: "png", width: 900, height: 600, scale: 1 });

export const resize = (div) => { if (div.data) Plotly.Plots.resize(div); };
export const purge = (div) => { if (div.data) Plotly.purge(div); };
