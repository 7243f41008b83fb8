// A first look before Plotly is parsed (4.6 MB: over a second on a busy machine), for both pages: a
// landscape as coloured cells on a canvas over its figure's box, and every run's path with its start
// and end, drawn as soon as the data arrive. Plotly's figure replaces it once Plotly runs; no axes'
// texts, no hover: a first look, not the figure. The networks page: log10 of the loss in 28 levels,
// Plotly's Viridis (`viridisCells`); the studio: the map's grey contour (`greyCells`, plots.js's look).

// Viridis (Plotly's stops), from the lowest loss (dark) to the highest (yellow)
const VIRIDIS = ["#440154", "#482878", "#3e4989", "#31688e", "#26828e", "#1f9e89", "#35b779", "#6ece58", "#b5de2b", "#fde725"];
const LEVELS = 28;
const NETWORK_MARGIN = { l: 48, r: 70, t: 34, b: 90 }; // about where Plotly's plot area lies in the networks' box

const rgb = (hex) => [1, 3, 5].map((k) => parseInt(hex.slice(k, k + 2), 16));
function viridis(f) {
  const x = Math.min(Math.max(f, 0), 1) * (VIRIDIS.length - 1);
  const k = Math.min(Math.floor(x), VIRIDIS.length - 2);
  const [a, b] = [rgb(VIRIDIS[k]), rgb(VIRIDIS[k + 1])];
  return a.map((v, i) => Math.round(v + (b[i] - v) * (x - k)));
}

// values (rows of numbers or null) → [lo, hi] of the finite ones
function extent(rows) {
  let lo = Infinity;
  let hi = -Infinity;
  for (const row of rows) for (const v of row) if (v !== null && Number.isFinite(v)) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
  return [lo, hi];
}

// The networks' plane: log10 of the loss in LEVELS bands of Viridis.
export function viridisCells(loss) {
  const logs = loss.map((row) => row.map((v) => (v > 0 ? Math.log10(v) : null)));
  const [lo, hi] = extent(logs);
  const level = (v) => (v !== null && hi > lo ? Math.floor(((v - lo) / (hi - lo)) * (LEVELS - 1)) / (LEVELS - 1) : 0);
  return { z: logs, color: (v) => viridis(level(v)), smooth: false };
}

// The studio's contour (plots.js contourTraces): values already on the map's scale (log or plain),
// Plotly's "Greys" reversed (low white, high black) at opacity `opacity` over the white plot area;
// lines: { n, color, width } (about n levels) or null.
export function greyCells(z, opacity, lines = null) {
  const [lo, hi] = extent(z);
  const color = (v) => {
    if (v === null || !Number.isFinite(v)) return null;
    const g = 255 - opacity * 255 * (hi > lo ? (v - lo) / (hi - lo) : 0);
    return [g, g, g].map(Math.round);
  };
  return { z, color, smooth: true, lines };
}

// A nice step (1, 2 or 5 × 10^k) of about `rough`, and the levels it puts between lo and hi.
function levelsOf(lo, hi, n) {
  const rough = (hi - lo) / n;
  const p = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 5, 10].map((m) => m * p).find((v) => v >= rough);
  const out = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi; v += step) out.push(v);
  return out;
}

// The contour's lines (as Plotly's autocontour: about `lines.n` nice levels), by marching squares:
// in each cell, a segment between the edges where the level is crossed.
function isolines(ctx, x, y, cells, X, Y) {
  const { z } = cells;
  const [lo, hi] = extent(z);
  ctx.strokeStyle = cells.lines.color;
  ctx.lineWidth = cells.lines.width;
  ctx.beginPath();
  for (const c of levelsOf(lo, hi, cells.lines.n)) {
    for (let j = 0; j + 1 < y.length; j++) {
      for (let i = 0; i + 1 < x.length; i++) {
        const v = [z[j][i], z[j][i + 1], z[j + 1][i + 1], z[j + 1][i]];
        if (v.some((q) => q === null)) continue;
        const corner = [[x[i], y[j]], [x[i + 1], y[j]], [x[i + 1], y[j + 1]], [x[i], y[j + 1]]];
        const cut = [];
        for (let e = 0; e < 4; e++) {
          const [a, b] = [v[e], v[(e + 1) % 4]];
          if ((a < c) === (b < c)) continue;
          const f = (c - a) / (b - a);
          const [p, q] = [corner[e], corner[(e + 1) % 4]];
          cut.push([X(p[0] + f * (q[0] - p[0])), Y(p[1] + f * (q[1] - p[1]))]);
        }
        for (let k = 0; k + 1 < cut.length; k += 2) { ctx.moveTo(...cut[k]); ctx.lineTo(...cut[k + 1]); }
      }
    }
  }
  ctx.stroke();
}

// The cells (one pixel per cell, scaled onto the area: smoothed as Plotly's heatmap colouring, else
// bands) and the contour's lines, clipped to the plot area.
function landscape(ctx, { x, y, cells, frame, l, t, w, h, X, Y }) {
  ctx.save();
  ctx.beginPath();
  ctx.rect(l, t, w, h);
  ctx.clip();
  if (frame) { ctx.fillStyle = "#fff"; ctx.fillRect(l, t, w, h); }
  const img = document.createElement("canvas");
  img.width = x.length;
  img.height = y.length;
  const data = new ImageData(x.length, y.length);
  cells.z.forEach((row, j) => row.forEach((v, i) => {
    const c = cells.color(v);
    if (!c) return;
    const k = ((y.length - 1 - j) * x.length + i) * 4;
    data.data.set([...c, 255], k);
  }));
  img.getContext("2d").putImageData(data, 0, 0);
  ctx.imageSmoothingEnabled = cells.smooth;
  const dx = (x[x.length - 1] - x[0]) / Math.max(1, x.length - 1);
  const dy = (y[y.length - 1] - y[0]) / Math.max(1, y.length - 1);
  const left = X(x[0] - dx / 2);
  const top = Y(y[y.length - 1] + dy / 2);
  ctx.drawImage(img, left, top, X(x[x.length - 1] + dx / 2) - left, Y(y[0] - dy / 2) - top);
  if (cells.lines) isolines(ctx, x, y, cells, X, Y);
  ctx.restore();
}

const drawn = new WeakMap(); // cells → { key, canvas }: the landscape drawn last

// canvas: the preview's element, over a box of the figure's size; area: the plot area in CSS pixels
// ({ l, t, w, h }; default: the networks' margins); x, y: the cells' centres; cells: viridisCells or
// greyCells; ranges: the axes' ranges (default: the cells' extent); paths: [{ x, y, color, dash,
// start }] (start: an open circle at the first point).
export function drawPreview(canvas, { x, y, cells, paths, area = null, ranges = null, frame = false }) {
  const box = canvas.parentElement.getBoundingClientRect();
  const ratio = window.devicePixelRatio || 1;
  canvas.width = Math.round(box.width * ratio);
  canvas.height = Math.round(box.height * ratio);
  canvas.hidden = false;
  const ctx = canvas.getContext("2d");
  ctx.scale(ratio, ratio);
  const m = NETWORK_MARGIN;
  const { l, t, w, h } = area || { l: m.l, t: m.t, w: box.width - m.l - m.r, h: box.height - m.t - m.b };
  const [x0, x1] = ranges ? ranges.x : [x[0], x[x.length - 1]];
  const [y0, y1] = ranges ? ranges.y : [y[0], y[y.length - 1]];
  const X = (v) => l + ((v - x0) / (x1 - x0)) * w;
  const Y = (v) => t + h - ((v - y0) / (y1 - y0)) * h;
  // the landscape: drawn once per cells, box and area (playback before Plotly redraws the paths only)
  const key = `${canvas.width}x${canvas.height}|${l},${t},${w},${h}|${x0},${x1},${y0},${y1}|${frame}`;
  let land = drawn.get(cells);
  if (land?.key !== key) {
    land = { key, canvas: document.createElement("canvas") };
    land.canvas.width = canvas.width;
    land.canvas.height = canvas.height;
    const lctx = land.canvas.getContext("2d");
    lctx.scale(ratio, ratio);
    landscape(lctx, { x, y, cells, frame, l, t, w, h, X, Y });
    drawn.set(cells, land);
  }
  ctx.drawImage(land.canvas, 0, 0, box.width, box.height);
  ctx.save();
  ctx.beginPath();
  ctx.rect(l, t, w, h);
  ctx.clip();
  for (const p of paths) {
    if (!p.x?.length) continue;
    ctx.strokeStyle = p.color;
    ctx.lineWidth = p.width ?? 2.5;
    ctx.setLineDash(p.dash === "dash" ? [8, 5] : p.dash === "dot" ? [2, 4] : p.dash === "dashdot" ? [8, 4, 2, 4] : []);
    ctx.beginPath();
    p.x.forEach((v, k) => (k ? ctx.lineTo(X(v), Y(p.y[k])) : ctx.moveTo(X(v), Y(p.y[k]))));
    ctx.stroke();
    ctx.setLineDash([]);
    const [ex, ey] = [X(p.x[p.x.length - 1]), Y(p.y[p.y.length - 1])];
    if (p.start) {
      ctx.lineWidth = 2;
      ctx.beginPath();
      ctx.arc(X(p.x[0]), Y(p.y[0]), 3.5, 0, 2 * Math.PI);
      ctx.stroke();
      ctx.fillStyle = p.color;
      ctx.strokeStyle = "#fff";
      ctx.beginPath();
      ctx.arc(ex, ey, 5.5, 0, 2 * Math.PI);
      ctx.fill();
      ctx.stroke();
    } else {
      ctx.fillStyle = p.color;
      ctx.fillRect(ex - 5, ey - 5, 10, 10);
    }
  }
  ctx.restore();
}

export function clearPreview(canvas) {
  canvas.hidden = true;
  canvas.width = 0;
  canvas.height = 0;
}
