// The one table of state properties (as TensorFlow Playground's state.ts): it drives the URL
// hash (permalinks), the defaults and the controls. The model knows nothing of the DOM.

export const PALETTE = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"];

// name, type, default, url key
export const PROPS = [
  { name: "surface", type: "string", def: "elongated_bowl", key: "s" },
  { name: "expr", type: "string", def: "x^2 + 10*y^2", key: "f" },
  { name: "xr", type: "range", def: [-3, 3], key: "xr" },
  { name: "yr", type: "range", def: [-3, 3], key: "yr" },
  { name: "start", type: "point", def: null, key: "p" },
  { name: "steps", type: "int", def: 300, key: "n" },
  { name: "seed", type: "int", def: 0, key: "seed" },
  { name: "tolerance", type: "float", def: 0, key: "tol" },
  { name: "view", type: "string", def: "overlay", key: "v" },
  { name: "threeD", type: "bool", def: false, key: "3d" },
  { name: "runs", type: "runs", def: null, key: "r" },
];

export function defaultRuns() {
  return [
    { optimizer: "gd", params: { lr: 0.4 }, color: PALETTE[0] },
    { optimizer: "momentum", params: { lr: 0.4, beta: 0.9 }, color: PALETTE[1] },
    { optimizer: "rmsprop", params: { lr: 0.1 }, color: PALETTE[2] },
    { optimizer: "adam", params: { lr: 0.3 }, color: PALETTE[3] },
  ].map(normalizeRun);
}

export function normalizeRun(r, i = 0) {
  return {
    optimizer: r.optimizer || "adam",
    params: { ...(r.params || {}) },
    schedule: r.schedule ? { name: r.schedule.name || "constant", params: { ...(r.schedule.params || {}) },
      warmup_steps: r.schedule.warmup_steps || 0, per: r.schedule.per || "step" } : null,
    batch_size: r.batch_size ?? null,
    noise_std: r.noise_std || 0,
    label: r.label || "",
    color: r.color || PALETTE[i % PALETTE.length],
    hidden: !!r.hidden,
  };
}

export function defaultState() {
  const s = {};
  for (const p of PROPS) s[p.name] = p.def === null ? null : structuredClone(p.def);
  s.runs = defaultRuns();
  return s;
}

function enc(p, v) {
  if (p.type === "bool") return v ? "1" : "0";
  if (p.type === "range" || p.type === "point") return v.join(",");
  if (p.type === "runs") return JSON.stringify(v.map((r) => {
    const o = { o: r.optimizer, p: r.params, c: r.color };
    if (r.schedule && r.schedule.name !== "constant" || r.schedule?.warmup_steps) o.s = r.schedule;
    if (r.batch_size) o.b = r.batch_size;
    if (r.noise_std) o.z = r.noise_std;
    if (r.label) o.l = r.label;
    if (r.hidden) o.h = 1;
    return o;
  }));
  return String(v);
}

function dec(p, text) {
  if (p.type === "bool") return text === "1";
  if (p.type === "int") { const v = parseInt(text, 10); return Number.isFinite(v) ? v : p.def; }
  if (p.type === "float") { const v = parseFloat(text); return Number.isFinite(v) ? v : p.def; }
  if (p.type === "range" || p.type === "point") {
    const v = text.split(",").map(Number);
    return v.length === 2 && v.every(Number.isFinite) ? v : p.def;
  }
  if (p.type === "runs") {
    try {
      return JSON.parse(text).map((o, i) => normalizeRun({ optimizer: o.o, params: o.p, color: o.c, schedule: o.s,
        batch_size: o.b, noise_std: o.z, label: o.l, hidden: o.h }, i));
    } catch { return null; }
  }
  return text;
}

export function serialize(state) {
  const q = new URLSearchParams();
  for (const p of PROPS) {
    const v = state[p.name];
    if (v === null || v === undefined) continue;
    if (p.name === "expr" || p.name === "xr" || p.name === "yr") { if (state.surface !== "custom") continue; }
    q.set(p.key, enc(p, v));
  }
  return q.toString();
}

export function deserialize(hash) {
  const s = defaultState();
  const q = new URLSearchParams(hash.replace(/^#/, ""));
  for (const p of PROPS) {
    if (!q.has(p.key)) continue;
    const v = dec(p, q.get(p.key));
    if (v !== null && v !== undefined) s[p.name] = v;
  }
  if (!s.runs || !s.runs.length) s.runs = defaultRuns();
  return s;
}

// The API request for the current state.
export function toRequest(state) {
  const surface = state.surface === "custom"
    ? { expression: state.expr, x_range: state.xr, y_range: state.yr } : state.surface;
  const body = { surface, steps: state.steps, seed: state.seed, tolerance: state.tolerance, include_state: true,
    runs: state.runs.map((r, i) => {
      const run = { optimizer: r.optimizer, params: r.params, label: r.label || undefined };
      if (r.schedule) run.schedule = r.schedule;
      if (r.batch_size) run.batch_size = r.batch_size;
      if (r.noise_std) run.noise_std = r.noise_std;
      return run;
    }) };
  if (state.start) body.start = state.start;
  return body;
}
