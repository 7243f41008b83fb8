// Every run its own colour, the optimizer in its dash: the first run of an optimizer is drawn in the
// registry's colour, a further run in a colour of the palette's `spare` that no other run uses (the first
// one `far` enough from every colour already drawn), a colour the user chose wins. The k-th run of one
// optimizer gets the k-th of the palette's `dashes`, so a legend still tells the optimizer by colour of
// its first run and by the dash of the others. The palette is the server's (GET /api/v1/run_colors,
// app/registry.py RUN_COLORS); the Python package's figures follow the same rule (optiviz/_colors.py).

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

// ΔE*ab (CIE 1976)
function distance(a, b) {
  const [p, q] = [lab(a), lab(b)];
  return Math.hypot(p[0] - q[0], p[1] - q[1], p[2] - q[2]);
}

// The first spare colour at least `far` from every colour `used`, else the one farthest from them.
function freeColor(used, { spare, far }) {
  let best = spare[0];
  let bestD = -1;
  for (const c of spare) {
    const d = Math.min(Infinity, ...used.map((u) => distance(c, u)));
    if (d >= far) return c;
    if (d > bestD) { best = c; bestD = d; }
  }
  return best;
}

// [{ color, dash }] of `runs` ({ optimizer, color? }); registryColor(optimizer id) → "#rrggbb";
// palette: the catalogue's run_colors ({ spare, far, dashes }).
// (Asked for every frame drawn: the last answer is kept.)
let last = { key: null, palette: null, styles: null };
export function runColors(runs, registryColor, palette) {
  const key = runs.map((r) => `${r.optimizer}:${r.color || ""}:${registryColor(r.optimizer)}`).join("|");
  if (key !== last.key || palette !== last.palette) last = { key, palette, styles: assign(runs, registryColor, palette) };
  return last.styles.map((s) => ({ ...s }));
}

function assign(runs, registryColor, palette) {
  const seen = {};
  const dashes = runs.map((r) => {
    const k = (seen[r.optimizer] = (seen[r.optimizer] ?? -1) + 1);
    return palette.dashes[k % palette.dashes.length];
  });
  const colors = runs.map((r) => r.color || null);
  const taken = () => colors.filter(Boolean).map((c) => c.toLowerCase());
  // the first run of each optimizer: its registry colour, unless another run's chosen colour is that one
  runs.forEach((r, i) => {
    const own = registryColor(r.optimizer);
    if (!colors[i] && runs.findIndex((q) => q.optimizer === r.optimizer) === i && !taken().includes(own.toLowerCase())) colors[i] = own;
  });
  runs.forEach((r, i) => { if (!colors[i]) colors[i] = freeColor(taken(), palette); });
  return runs.map((r, i) => ({ color: colors[i], dash: dashes[i] }));
}
