// Rendering with Plotly: Plotly.react with the full state for redraws, Plotly.extendTraces
// while playback grows the paths, uirevision so the user's zoom survives updates.
/* global Plotly */

const CONFIG = { responsive: true, displaylogo: false, toImageButtonOptions: { filename: "optiviz" } };
const FONT = { family: "system-ui, sans-serif", size: 12 };

export function contourZ(grid, surface) {
  const flat = grid.z.flat().filter((v) => v !== null);
  const zmin = Math.min(...flat);
  const zmax = Math.max(...flat);
  const log = surface.log_contours || (zmax - zmin > 1e3 && zmax - zmin > 100 * (median(flat) - zmin));
  if (!log) return { z: grid.z, log: false, zmin };
  const eps = Math.max((zmax - zmin) * 1e-6, 1e-12);
  return { z: grid.z.map((row) => row.map((v) => (v === null ? null : Math.log10(v - zmin + eps)))), log: true, zmin };
}

function median(a) {
  const s = [...a].sort((p, q) => p - q);
  return s[Math.floor(s.length / 2)];
}

function hoverData(run, upto) {
  const n = Math.min(upto + 1, run.x.length);
  const cd = new Array(n);
  for (let t = 0; t < n; t++) cd[t] = [t, run.loss[t], run.lr[t] ?? null, run.grad_norm[t] ?? null];
  return cd;
}

const HOVER = "<b>%{fullData.name}</b><br>iteration %{customdata[0]}<br>x %{x:.5g}, y %{y:.5g}<br>" +
  "loss %{customdata[1]:.5g}<br>lr %{customdata[2]:.3g}<br>grad norm %{customdata[3]:.3g}<extra></extra>";

// The map is two aligned Plotly layers: the contour below (redrawn only when the surface or the
// zoom changes) and the paths above, so that playback frames never recompute the contour.
export function contourTraces(model) {
  const { grid } = model;
  const cz = contourZ(grid, model.surface);
  return [{
    type: "contour", x: grid.x, y: grid.y, z: cz.z, ncontours: 30, showscale: false, hoverinfo: "skip",
    colorscale: "Greys", reversescale: true, opacity: 0.55, contours: { coloring: "heatmap", showlines: true },
    line: { width: 0.6, color: "rgba(60,60,60,0.45)" }, name: cz.log ? "log₁₀ loss" : "loss",
  }];
}

// Traces of the path layer: [minima, (path, head, end) per shown run]
export function mapTraces(model, it, runIndices) {
  const { surface } = model;
  const traces = [{
    type: "scatter", mode: "markers", x: surface.minima.map((m) => m[0]), y: surface.minima.map((m) => m[1]),
    marker: { symbol: "star", size: 14, color: "#ffffff", line: { color: "#000", width: 1.5 } }, name: "minima",
    hovertemplate: "minimum (%{x:.4g}, %{y:.4g})<extra></extra>", showlegend: false,
  }];
  for (const i of runIndices) {
    const r = model.runs[i];
    const data = model.result?.[i];
    const upto = data ? Math.min(it, data.x.length - 1) : -1;
    const xs = data ? data.x.slice(0, upto + 1) : [];
    const ys = data ? data.y.slice(0, upto + 1) : [];
    traces.push({ type: "scatter", mode: "lines+markers", x: xs, y: ys, name: model.labels[i],
      line: { color: r.color, width: 2 }, marker: { size: 3, color: r.color },
      customdata: data ? hoverData(data, upto) : [], hovertemplate: HOVER, meta: { run: i, role: "path" } });
    traces.push({ type: "scatter", mode: "markers", x: xs.length ? [xs[xs.length - 1]] : [], y: ys.length ? [ys[ys.length - 1]] : [],
      marker: { size: 11, color: r.color, line: { color: "#fff", width: 2 } }, showlegend: false, hoverinfo: "skip",
      meta: { run: i, role: "head" } });
    const ended = data && data.done && upto >= data.x.length - 1;
    const symbol = data?.status === "diverged" ? "x" : data?.status === "converged" ? "circle-open" : "square-open";
    traces.push({ type: "scatter", mode: "markers", x: ended ? [xs[xs.length - 1]] : [], y: ended ? [ys[ys.length - 1]] : [],
      marker: { size: 16, symbol, color: r.color, line: { width: 3, color: r.color } }, showlegend: false,
      hovertemplate: `${model.labels[i]}: ${data?.status ?? ""} at step ${data?.steps_taken ?? ""}<extra></extra>`,
      meta: { run: i, role: "end" } });
  }
  return traces;
}

export function mapLayout(model, title, annotations = [], background = false, ranges = null) {
  const s = model.surface;
  const axis = (range, name) => ({
    range: range, title: { text: background ? name : "" }, zeroline: false, autorange: false,
    showgrid: background, showticklabels: background, ticks: background ? "outside" : "",
  });
  return {
    uirevision: model.surfaceKey, margin: { l: 50, r: 10, t: 28, b: 45 }, font: FONT,
    title: title && !background ? { text: title, font: { size: 13 } } : undefined,
    xaxis: axis(ranges ? ranges.x : s.x_range, s.kind === "dataset" ? "w" : "x"),
    yaxis: axis(ranges ? ranges.y : s.y_range, s.kind === "dataset" ? "b" : "y"),
    // the legend sits inside the plot area: outside, Plotly would grow the top layer's margins and
    // the paths would no longer line up with the contour layer below
    showlegend: !background, hovermode: "closest",
    legend: { x: 0.99, y: 0.99, xanchor: "right", yanchor: "top", bgcolor: "rgba(255,255,255,0.75)", font: { size: 11 } },
    annotations, paper_bgcolor: "rgba(0,0,0,0)", plot_bgcolor: background ? "#fff" : "rgba(0,0,0,0)",
  };
}

const CONFIG_BG = { staticPlot: true }; // resized by the app (see main.js), never by itself mid-draw

// layer = { bg, fg }: two stacked divs of the same size
export async function drawMap(layer, model, it, runIndices, title) {
  const ranges = layer.fg._fullLayout && layer.fg.layout?.uirevision === model.surfaceKey
    ? { x: layer.fg._fullLayout.xaxis.range.slice(), y: layer.fg._fullLayout.yaxis.range.slice() } : null;
  const bgKey = `${model.surfaceKey}|${title || ""}|${JSON.stringify(ranges)}|${layer.bg.clientWidth}x${layer.bg.clientHeight}`;
  if (layer.bg._key !== bgKey) { // the contour only changes with the surface, zoom or size
    // newPlot, not react: react's layout-only path for contours can lose their calcdata
    await Plotly.newPlot(layer.bg, contourTraces(model), mapLayout(model, title, [], true, ranges), CONFIG_BG);
    layer.bg._key = bgKey;
  }
  const p = await Plotly.react(layer.fg, mapTraces(model, it, runIndices), mapLayout(model, title, arrows(model, it, runIndices)), CONFIG);
  if (!layer.fg._synced) { // the user zooms or pans the top layer: redraw the contour to match
    layer.fg._synced = true;
    layer.fg.on("plotly_relayout", (ev) => {
      if (!Object.keys(ev).some((k) => k.startsWith("xaxis") || k.startsWith("yaxis"))) return;
      const fl = layer.fg._fullLayout;
      const r = { x: fl.xaxis.range.slice(), y: fl.yaxis.range.slice() };
      layer.bg._key = null;
      Plotly.newPlot(layer.bg, contourTraces(model), mapLayout(model, title, [], true, r), CONFIG_BG);
    });
  }
  return p;
}

// Redraw only the path layer (the contour below is untouched).
export function drawPaths(div, model, it, runIndices, title) {
  return Plotly.react(div, mapTraces(model, it, runIndices), mapLayout(model, title, arrows(model, it, runIndices)), CONFIG);
}

// Grow the drawn paths from index `from` to `to` (inclusive) without redrawing everything.
export async function extendMap(layer, model, from, to) {
  const div = layer.fg;
  const traces = div.data || [];
  const idx = [];
  const xs = [];
  const ys = [];
  const cds = [];
  const heads = { idx: [], x: [], y: [] };
  traces.forEach((tr, k) => {
    const meta = tr.meta;
    if (!meta) return;
    const data = model.result?.[meta.run];
    if (!data) return;
    const last = Math.min(to, data.x.length - 1);
    if (meta.role === "path") {
      const start = tr.x.length;
      if (last < start) return;
      idx.push(k);
      xs.push(data.x.slice(start, last + 1));
      ys.push(data.y.slice(start, last + 1));
      const cd = [];
      for (let t = start; t <= last; t++) cd.push([t, data.loss[t], data.lr[t] ?? null, data.grad_norm[t] ?? null]);
      cds.push(cd);
    } else if (meta.role === "head" && last >= 0) {
      heads.idx.push(k);
      heads.x.push([data.x[last]]);
      heads.y.push([data.y[last]]);
    }
  });
  if (idx.length) await Plotly.extendTraces(div, { x: xs, y: ys, customdata: cds }, idx);
  const notes = arrows(model, to, traces.filter((t) => t.meta?.role === "path").map((t) => t.meta.run));
  if (heads.idx.length) await Plotly.update(div, { x: heads.x, y: heads.y }, { annotations: notes }, heads.idx);
}

// Optimizer internals at iteration `it`: the raw gradient, the velocity/first moment and the step.
export function arrows(model, it, runIndices) {
  if (!model.showArrows) return [];
  const out = [];
  const s = model.surface;
  const span = Math.max(s.x_range[1] - s.x_range[0], s.y_range[1] - s.y_range[0]);
  for (const i of runIndices) {
    const d = model.result?.[i];
    if (!d || !d.state || it >= d.lr.length) continue;
    const x0 = d.x[it];
    const y0 = d.y[it];
    const color = model.runs[i].color;
    const vec = (vx, vy, label, dash) => {
      const n = Math.hypot(vx, vy);
      if (!(n > 0)) return;
      const k = (0.07 * span) / n; // drawn at a fixed length: directions compare, sizes are in the panel
      out.push({ x: x0 + vx * k, y: y0 + vy * k, ax: x0, ay: y0, xref: "x", yref: "y", axref: "x", ayref: "y",
        showarrow: true, arrowhead: 2, arrowsize: 1.2, arrowwidth: dash ? 1.5 : 2.5, arrowcolor: color,
        opacity: dash ? 0.6 : 1, text: label, font: { size: 10, color }, standoff: 0 });
    };
    vec(-d.state.gx[it], -d.state.gy[it], "−g", true);
    if (d.state.mx) vec(-d.state.mx[it], -d.state.my[it], "−v", true);
    vec(d.x[it + 1] - x0, d.y[it + 1] - y0, "step", false);
  }
  return out;
}

export function draw3D(div, model, it, runIndices) {
  const { grid } = model;
  const cz = contourZ(grid, model.surface);
  const traces = [{ type: "surface", x: grid.x, y: grid.y, z: grid.z, colorscale: "Viridis", opacity: 0.85,
    showscale: false, hoverinfo: "skip", contours: { z: { show: true, usecolormap: true, project: { z: true } } } }];
  const s = model.surface;
  const flat = grid.z.flat().filter((v) => v !== null);
  const zr = [Math.min(...flat), Math.max(...flat)];
  const inside = (x, y) => x >= s.x_range[0] && x <= s.x_range[1] && y >= s.y_range[0] && y <= s.y_range[1];
  for (const i of runIndices) {
    const d = model.result?.[i];
    if (!d) continue;
    let upto = Math.min(it, d.x.length - 1);
    const out = d.x.findIndex((x, k) => k <= upto && !inside(x, d.y[k]));
    if (out >= 0) upto = out - 1; // the 3D scene shows the display range only
    traces.push({ type: "scatter3d", mode: "lines+markers", x: d.x.slice(0, upto + 1), y: d.y.slice(0, upto + 1),
      z: d.loss.slice(0, upto + 1), name: model.labels[i], line: { color: model.runs[i].color, width: 5 },
      marker: { size: 2, color: model.runs[i].color } });
  }
  return Plotly.react(div, traces, {
    uirevision: model.surfaceKey, margin: { l: 0, r: 0, t: 0, b: 0 }, font: FONT, showlegend: true,
    legend: { orientation: "h" }, scene: { xaxis: { title: { text: "x" }, range: s.x_range }, yaxis: { title: { text: "y" }, range: s.y_range },
      zaxis: { title: { text: cz.log ? "loss (linear)" : "loss" }, range: zr }, aspectmode: "cube" },
  }, CONFIG);
}

// Linked charts: loss (log), learning rate and gradient norm against iteration, with a cursor.
export function drawCharts(div, model, it, runIndices) {
  const traces = [];
  for (const i of runIndices) {
    const d = model.result?.[i];
    if (!d) continue;
    const color = model.runs[i].color;
    const t = d.x.map((_, k) => k);
    const name = model.labels[i];
    traces.push({ x: t, y: d.loss, name, line: { color }, xaxis: "x", yaxis: "y", legendgroup: name,
      hovertemplate: `${name}<br>t %{x}<br>loss %{y:.4g}<extra></extra>` });
    if (d.batch_loss) {
      traces.push({ x: t.slice(0, d.batch_loss.length), y: d.batch_loss, name: `${name} (mini-batch)`, legendgroup: name,
        line: { color, width: 1 }, opacity: 0.45, xaxis: "x", yaxis: "y", showlegend: false,
        hovertemplate: `${name}<br>t %{x}<br>mini-batch cost %{y:.4g}<extra></extra>` });
    }
    traces.push({ x: t.slice(0, d.lr.length), y: d.lr, line: { color }, xaxis: "x2", yaxis: "y2", legendgroup: name,
      showlegend: false, hovertemplate: `${name}<br>t %{x}<br>lr %{y:.4g}<extra></extra>` });
    traces.push({ x: t.slice(0, d.grad_norm.length), y: d.grad_norm, line: { color }, xaxis: "x3", yaxis: "y3",
      legendgroup: name, showlegend: false, hovertemplate: `${name}<br>t %{x}<br>grad norm %{y:.4g}<extra></extra>` });
  }
  const positive = runIndices.every((i) => !model.result?.[i] || model.result[i].loss.every((v) => v > 0));
  const cursor = (ax) => ({ type: "line", xref: ax, yref: "paper", x0: it, x1: it, y0: 0, y1: 1,
    line: { color: "#555", width: 1, dash: "dot" } });
  return Plotly.react(div, traces, {
    uirevision: model.surfaceKey, font: FONT, margin: { l: 55, r: 10, t: 10, b: 30 }, showlegend: false,
    grid: { rows: 1, columns: 3, pattern: "independent" }, hovermode: "x unified",
    xaxis: { title: { text: "iteration" } }, xaxis2: { title: { text: "iteration" } }, xaxis3: { title: { text: "iteration" } },
    yaxis: { type: positive ? "log" : "linear", title: { text: "loss" }, exponentformat: "power" },
    yaxis2: { title: { text: "learning rate" }, exponentformat: "power" },
    yaxis3: { type: "log", title: { text: "gradient norm" }, exponentformat: "power" },
    shapes: [cursor("x"), cursor("x2"), cursor("x3")],
  }, CONFIG);
}

export function moveCursor(div, it) {
  if (!div.layout) return;
  Plotly.relayout(div, { "shapes[0].x0": it, "shapes[0].x1": it, "shapes[1].x0": it, "shapes[1].x1": it,
    "shapes[2].x0": it, "shapes[2].x1": it });
}
