// Every run its own colour, the optimizer in its dash: the first run of an optimizer is drawn in the
// registry's colour, a further run of it in a colour of SPARE_COLORS that no other run uses (the first one
// far enough from every colour already drawn), a colour the user chose wins. The k-th run of one
// optimizer gets the k-th dash, so a legend still tells the optimizer by colour of its first run and
// by the dash of the others.
const DASHES = ["solid", "dash", "dot", "dashdot"];

// Distinct colours readable on the grey contour and on white (contrast with white ≥ 2.2, as the
// registry's colours are); tried in this order.
const SPARE_COLORS = ["#E41A1C", "#33A02C", "#984EA3", "#FF7F00", "#A65628", "#17BECF", "#F781BF", "#1F78B4",
  "#6A3D9A", "#8C564B", "#D62728", "#4DAF4A"];
const FAR = 35; // ΔE*ab (CIE 1976) from which two colours are told apart at a glance (vermilion–red is 30)

// CIE L*a*b* (D65) of a #rrggbb colour (remembered: a colour is measured against many).
const LAB = new Map();
function lab(hex) {
  const known = LAB.get(hex);
  if (known) return known;
  const [r, g, b] = [1, 3, 5].map((k) => {
    const c = parseInt(hex.slice(k, k + 2), 16) / 255;
    return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  const f = (v) => (v > 216 / 24389 ? Math.cbrt(v) : (24389 / 27 * v + 16) / 116);
  const x = f((0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047);
  const y = f(0.2126 * r + 0.7152 * g + 0.0722 * b);
  const z = f((0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883);
  const out = [116 * y - 16, 500 * (x - y), 200 * (y - z)];
  LAB.set(hex, out);
  return out;
}

function distance(a, b) {
  const [p, q] = [lab(a), lab(b)];
  return Math.hypot(p[0] - q[0], p[1] - q[1], p[2] - q[2]);
}

// Past the spare colours (many runs): hues every 20° at two lightnesses, as #rrggbb.
function hsl(h, s, l) {
  const k = (n) => (n + h / 30) % 12;
  const a = s * Math.min(l, 1 - l);
  const c = (n) => Math.round(255 * (l - a * Math.max(-1, Math.min(k(n) - 3, 9 - k(n), 1))));
  return `#${[0, 8, 4].map((n) => c(n).toString(16).padStart(2, "0")).join("")}`;
}
const MORE = [0.3, 0.38].flatMap((l) => Array.from({ length: 18 }, (_, i) => hsl(i * 20, 0.75, l)));

// The first spare colour at least FAR from every colour `used`, else the candidate farthest from them.
function freeColor(used) {
  let best = SPARE_COLORS[0];
  let bestD = -1;
  for (const c of [...SPARE_COLORS, ...MORE]) {
    const d = Math.min(Infinity, ...used.map((u) => distance(c, u)));
    if (d >= FAR) return c;
    if (d > bestD) { best = c; bestD = d; }
  }
  return best;
}

// [{ color, dash }] of `runs` ({ optimizer, color? }); registryColor(optimizer id) → "#rrggbb".
// (Asked for every frame drawn: the last answer is kept.)
let last = { key: null, styles: null };
export function runColors(runs, registryColor) {
  const key = runs.map((r) => `${r.optimizer}:${r.color || ""}:${registryColor(r.optimizer)}`).join("|");
  if (key !== last.key) last = { key, styles: assign(runs, registryColor) };
  return last.styles.map((s) => ({ ...s }));
}

function assign(runs, registryColor) {
  const seen = {};
  const dashes = runs.map((r) => {
    const k = (seen[r.optimizer] = (seen[r.optimizer] ?? -1) + 1);
    return DASHES[k % DASHES.length];
  });
  const colors = runs.map((r) => r.color || null);
  const taken = () => colors.filter(Boolean).map((c) => c.toLowerCase());
  // the first run of each optimizer: its registry colour, unless another run's chosen colour is that one
  runs.forEach((r, i) => {
    const own = registryColor(r.optimizer);
    if (!colors[i] && runs.findIndex((q) => q.optimizer === r.optimizer) === i && !taken().includes(own.toLowerCase())) colors[i] = own;
  });
  runs.forEach((r, i) => { if (!colors[i]) colors[i] = freeColor(taken()); });
  return runs.map((r, i) => ({ color: colors[i], dash: dashes[i] }));
}
