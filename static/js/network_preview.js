// The landscape before Plotly is parsed (4.6 MB: over a second on a busy machine): the plane's loss as
// filled contour bands (log10 of the loss in 28 levels, Plotly's Viridis) and every run's path with
// its end, drawn on a canvas over the landscape's box as soon as the plane arrives. Plotly's figure
// replaces it once Plotly runs; no axes, no hover: a first look, not the figure.

// Viridis (Plotly's stops), from the lowest loss (dark) to the highest (yellow)
const VIRIDIS = ["#440154", "#482878", "#3e4989", "#31688e", "#26828e", "#1f9e89", "#35b779", "#6ece58", "#b5de2b", "#fde725"];
const LEVELS = 28;
const MARGIN = { l: 48, r: 70, t: 34, b: 90 }; // about where Plotly's plot area lies in the same box

const rgb = (hex) => [1, 3, 5].map((k) => parseInt(hex.slice(k, k + 2), 16));
function viridis(f) {
  const x = Math.min(Math.max(f, 0), 1) * (VIRIDIS.length - 1);
  const k = Math.min(Math.floor(x), VIRIDIS.length - 2);
  const [a, b] = [rgb(VIRIDIS[k]), rgb(VIRIDIS[k + 1])];
  return a.map((v, i) => Math.round(v + (b[i] - v) * (x - k)));
}

// canvas: the preview's element; plane: {a, b, loss}; paths: [{a, b, color}]
export function drawPreview(canvas, plane, paths) {
  const box = canvas.parentElement.getBoundingClientRect();
  const ratio = window.devicePixelRatio || 1;
  canvas.width = Math.round(box.width * ratio);
  canvas.height = Math.round(box.height * ratio);
  canvas.hidden = false;
  const ctx = canvas.getContext("2d");
  ctx.scale(ratio, ratio);
  const w = box.width - MARGIN.l - MARGIN.r;
  const h = box.height - MARGIN.t - MARGIN.b;
  const { a, b, loss } = plane;
  const logs = loss.flat().filter((v) => v > 0).map(Math.log10);
  const lo = Math.min(...logs);
  const hi = Math.max(...logs);
  const level = (v) => (v > 0 && hi > lo ? Math.floor(((Math.log10(v) - lo) / (hi - lo)) * (LEVELS - 1)) / (LEVELS - 1) : 0);
  const [a0, a1, b0, b1] = [a[0], a[a.length - 1], b[0], b[b.length - 1]];
  const X = (v) => MARGIN.l + ((v - a0) / (a1 - a0)) * w;
  const Y = (v) => MARGIN.t + h - ((v - b0) / (b1 - b0)) * h;
  const cw = w / a.length + 1;
  const ch = h / b.length + 1;
  loss.forEach((row, j) => row.forEach((v, i) => {
    ctx.fillStyle = `rgb(${viridis(level(v)).join(",")})`;
    ctx.fillRect(X(a[i]) - cw / 2, Y(b[j]) - ch / 2, cw, ch);
  }));
  for (const p of paths) {
    if (!p.a?.length) continue;
    ctx.strokeStyle = p.color;
    ctx.lineWidth = 2.5;
    ctx.beginPath();
    p.a.forEach((x, k) => (k ? ctx.lineTo(X(x), Y(p.b[k])) : ctx.moveTo(X(x), Y(p.b[k]))));
    ctx.stroke();
    ctx.fillStyle = p.color;
    ctx.fillRect(X(p.a[p.a.length - 1]) - 5, Y(p.b[p.b.length - 1]) - 5, 10, 10);
  }
}

export function clearPreview(canvas) {
  canvas.hidden = true;
  canvas.width = 0;
  canvas.height = 0;
}
