// The one table of state properties (as TensorFlow Playground's state.ts): it drives the URL
// hash (permalinks), the defaults and the store (store.js). The model knows nothing of the DOM.
// Everything read from a URL is validated here: a permalink is untrusted text, cut to the server's
// limits (GET api/v1/limits) and languages (GET api/v1/messages). The hash's keys are the server's
// (GET api/v1/permalink, written once in app/permalink.py; optiviz's studio_url writes the same).
import { languages } from "./i18n.js";

let SERVER = null;

// What the server publishes (its limits and the permalink keys): a page gives them once, before
// reading or writing any state.
export function useServer(limits, permalink) { SERVER = { limits, permalink }; }

function server() {
  if (!SERVER) throw new Error("state.js: useServer(limits, permalink) first");
  return SERVER;
}

const limit = (name) => server().limits[name];
const keyOf = (p) => server().permalink.state[p.name];

// name, type, default (the key in the URL: the server's)
export const PROPS = [
  { name: "surface", type: "string", def: "elongated_bowl" },
  { name: "expr", type: "string", def: "x^2 + 10*y^2" },
  { name: "xr", type: "range", def: [-3, 3] },
  { name: "yr", type: "range", def: [-3, 3] },
  { name: "start", type: "point", def: null },
  { name: "steps", type: "int", def: 300 },
  { name: "seed", type: "int", def: 0 },
  { name: "tolerance", type: "float", def: 0 },
  { name: "view", type: "choice", def: "overlay", choices: ["overlay", "multiples"] },
  { name: "threeD", type: "bool", def: false },
  { name: "arrows", type: "bool", def: true },
  { name: "equal", type: "bool", def: null }, // null: automatic (on where the ranges allow)
  { name: "lang", type: "lang", def: null }, // one of the server's languages
  { name: "runs", type: "runs", def: null },
  { name: "it", type: "int", def: null }, // the scrubbed iteration (null: the run's end, or playing)
];

const HEX = /^#[0-9a-f]{6}$/i;

export const validColor = (c) => (typeof c === "string" && HEX.test(c) ? c.toLowerCase() : null);

// a parameter's name, and a choice's value (e.g. "sps+"): short words
const NAME = /^[a-z_0-9]{1,40}$/i;
const CHOICE = /^[a-z_0-9+]{1,40}$/i;

// Only plain values survive: numbers (finite), booleans, short strings, lists of numbers.
function cleanParams(p) {
  const out = {};
  if (!p || typeof p !== "object" || Array.isArray(p)) return out;
  for (const [k, v] of Object.entries(p)) {
    if (!NAME.test(k)) continue;
    if (typeof v === "number" && Number.isFinite(v)) out[k] = v;
    else if (typeof v === "boolean") out[k] = v;
    else if (typeof v === "string" && CHOICE.test(v)) out[k] = v;
    else if (Array.isArray(v) && v.length <= limit("max_list_items") && v.every((x) => typeof x === "number" && Number.isFinite(x))) out[k] = v.slice();
  }
  return out;
}

const num = (v, d) => (typeof v === "number" && Number.isFinite(v) ? v : d);

// SequentialLR links ({ milestone, name, params }); the key only when there are some (the request
// and the permalink of a schedule without a chain stay as they were)
function chainOf(list) {
  if (!Array.isArray(list)) return {};
  const chain = list.slice(0, limit("max_chain_length")).filter((c) => c && typeof c === "object" && typeof c.name === "string")
    .map((c) => ({ milestone: Math.max(1, Math.round(num(c.milestone, 1))), name: c.name, params: cleanParams(c.params) }));
  return chain.length ? { chain } : {};
}

// The API's SWATS rule (Keskar & Socher 2017): a run's second link may switch from Adam or AdamW to
// SGD where the rule says, with the rate it estimates (so the SGD link takes no lr).
export const SWATS = { rule: "swats", after: ["adam", "adamw"], to: "sgd" };
export const swatsAllowed = (run, k) => k === 0 && SWATS.after.includes(run.optimizer);

// The optimizer chain's later links (each a switch: { milestone, optimizer, params }, or SWATS's
// { rule, optimizer, params } as the second link); at most the server's links after the first.
function linksOf(list) {
  if (!Array.isArray(list)) return [];
  return list.slice(0, limit("max_optimizer_links") - 1)
    .filter((l) => l && typeof l === "object" && typeof l.optimizer === "string" && NAME.test(l.optimizer))
    .map((l, k) => (l.rule === SWATS.rule && k === 0
      ? { rule: SWATS.rule, optimizer: l.optimizer, params: cleanParams(l.params) }
      : { milestone: Math.max(1, Math.round(num(l.milestone, 1))), optimizer: l.optimizer, params: cleanParams(l.params) }));
}

export function normalizeRun(r) {
  r = r && typeof r === "object" ? r : {};
  const s = r.schedule && typeof r.schedule === "object" ? r.schedule : null;
  return {
    optimizer: typeof r.optimizer === "string" ? r.optimizer : "adam",
    params: cleanParams(r.params),
    schedule: s ? { name: typeof s.name === "string" ? s.name : "constant", params: cleanParams(s.params),
      warmup_steps: Math.max(0, Math.round(num(s.warmup_steps, 0))), per: s.per === "epoch" ? "epoch" : "step",
      ...chainOf(s.chain) } : null,
    batch_size: Number.isInteger(r.batch_size) && r.batch_size > 0 ? r.batch_size : null,
    noise_std: Math.max(0, num(r.noise_std, 0)),
    label: typeof r.label === "string" ? r.label.slice(0, limit("max_label_length")) : "",
    color: validColor(r.color), // null: the optimizer's colour from the registry
    hidden: !!r.hidden,
    links: linksOf(r.links),
  };
}

export function defaultState() {
  const s = {};
  for (const p of PROPS) s[p.name] = p.def === null ? null : structuredClone(p.def);
  s.runs = [];
  return s;
}

function enc(p, v) {
  if (p.type === "bool") return v ? "1" : "0";
  if (p.type === "range" || p.type === "point") return v.join(",");
  if (p.type === "runs") {
    const k = server().permalink.run;
    return JSON.stringify(v.map((r) => {
      const o = { [k.optimizer]: r.optimizer, [k.params]: r.params };
      if (r.color) o[k.color] = r.color;
      if (r.schedule && (r.schedule.name !== "constant" || r.schedule.warmup_steps || r.schedule.chain)) o[k.schedule] = r.schedule;
      if (r.batch_size) o[k.batch_size] = r.batch_size;
      if (r.noise_std) o[k.noise_std] = r.noise_std;
      if (r.label) o[k.label] = r.label;
      if (r.hidden) o[k.hidden] = 1;
      if (r.links?.length) o[k.links] = r.links;
      return o;
    }));
  }
  return String(v);
}

function dec(p, text) {
  if (p.type === "bool") return text === "1" ? true : text === "0" ? false : p.def;
  if (p.type === "int") { const v = Number(text); return Number.isInteger(v) && v >= 0 ? v : p.def; }
  if (p.type === "float") { const v = Number(text); return Number.isFinite(v) && v >= 0 ? v : p.def; }
  if (p.type === "choice") return p.choices.includes(text) ? text : p.def;
  if (p.type === "lang") return languages().includes(text) ? text : p.def;
  if (p.type === "range" || p.type === "point") {
    const v = text.split(",").map(Number);
    return v.length === 2 && v.every(Number.isFinite) ? v : p.def;
  }
  if (p.type === "runs") {
    try {
      const list = JSON.parse(text);
      if (!Array.isArray(list)) return null;
      const keys = Object.entries(server().permalink.run); // [field, key]
      return list.slice(0, limit("max_runs")).map((o) => normalizeRun(o && typeof o === "object"
        ? Object.fromEntries(keys.map(([field, k]) => [field, o[k]])) : {}));
    } catch { return null; }
  }
  return text.slice(0, limit("max_expression_length")); // a formula (the longest text the state holds)
}

export function serialize(state) {
  const q = new URLSearchParams();
  for (const p of PROPS) {
    const v = state[p.name];
    if (v === null || v === undefined) continue;
    if (p.name === "expr" || p.name === "xr" || p.name === "yr") { if (state.surface !== "custom") continue; }
    if (p.name === "arrows" && v === p.def) continue;
    if (p.name === "runs" && !v.length) continue;
    q.set(keyOf(p), enc(p, v));
  }
  return q.toString();
}

// The state in a hash; `runs` stays null when the hash has none (the surface's defaults apply).
export function deserialize(hash) {
  const s = defaultState();
  s.runs = null;
  const q = new URLSearchParams(hash.replace(/^#/, ""));
  for (const p of PROPS) {
    if (!q.has(keyOf(p))) continue;
    const v = dec(p, q.get(keyOf(p)));
    if (v !== null && v !== undefined) s[p.name] = v;
  }
  if (s.runs && !s.runs.length) s.runs = null;
  return s;
}

// The API request for the current state.
export function toRequest(state) {
  const surface = state.surface === "custom"
    ? { expression: state.expr, x_range: state.xr, y_range: state.yr } : state.surface;
  const body = { surface, steps: state.steps, seed: state.seed, tolerance: state.tolerance, include_state: true,
    runs: state.runs.map((r) => {
      // a run with switches sends its chain (the first link its own optimizer and params)
      const run = r.links?.length ? { optimizer: r.optimizer, optimizers: [{ optimizer: r.optimizer, params: r.params }, ...r.links] }
        : { optimizer: r.optimizer, params: r.params };
      if (r.label) run.label = r.label;
      if (r.schedule) run.schedule = r.schedule;
      if (r.batch_size) run.batch_size = r.batch_size;
      if (r.noise_std) run.noise_std = r.noise_std;
      return run;
    }) };
  if (state.start) body.start = state.start;
  return body;
}

// --- lengths that follow the run's steps ---------------------------------------------------------
// A schedule parameter with `follows_steps` (the catalogue's: its share of the run, e.g. cosine's
// T = 1, multistep's milestones ¼, ½, ¾) spans what its schedule runs: the run's steps after the
// warm-up, or a chain link's steps from its milestone to the next. The studio fills it when the
// schedule is chosen and keeps it following while it still holds the followed value; a value the
// user typed is theirs. A value left out stays out (a permalink's omitted value is the API's default).

const share = (f, span) => Math.max(1, Math.round(f * span));
const followedValue = (spec, span) => (Array.isArray(spec.follows_steps)
  ? spec.follows_steps.map((f) => share(f, span)) : share(spec.follows_steps, span));
const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);

// The steps each piece of a run's schedule runs: [the schedule's, each chain link's].
function spans(schedule, steps) {
  const chain = schedule.chain || [];
  const starts = [chain.length ? 0 : schedule.warmup_steps || 0, ...chain.map((c) => c.milestone)];
  const ends = [...chain.map((c) => c.milestone), steps];
  return starts.map((s, k) => Math.max(1, ends[k] - s));
}

// The values of a schedule's following lengths over `span` steps (the params a chosen schedule opens with).
function followedParams(spec, span) {
  const out = {};
  for (const p of spec?.params || []) if (p.follows_steps !== null && p.follows_steps !== undefined) out[p.name] = followedValue(p, span);
  return out;
}

// The params a schedule chosen for piece `k` of `run` opens with (k = 0: the run's own schedule).
export function openingParams(schedules, name, run, steps, k = 0) {
  const s = run.schedule || { warmup_steps: 0 };
  return followedParams(schedules.find((x) => x.id === name), spans(s, steps)[k] ?? steps);
}

// After an edit (`prev` → `draft`): every following length that still held its followed value over
// the old spans takes its value over the new ones (steps, a warm-up or a milestone changed).
export function followSteps(draft, prev, schedules) {
  draft.runs.forEach((run, i) => {
    const old = prev.runs[i];
    const s = run.schedule;
    const o = old?.schedule;
    if (!s || !o || s.per === "epoch" || o.per === "epoch") return; // lengths in epochs: left as they are
    const pieces = [s, ...(s.chain || [])];
    const was = [o, ...(o.chain || [])];
    const before = spans(o, prev.steps);
    const after = spans(s, draft.steps);
    pieces.forEach((piece, k) => { // the same schedule in the same place (a link added at the end keeps the others')
      if (was[k]?.name !== piece.name) return;
      const spec = schedules.find((x) => x.id === piece.name);
      for (const p of spec?.params || []) {
        if (p.follows_steps === null || p.follows_steps === undefined || !piece.params) continue;
        if (same(piece.params[p.name], followedValue(p, before[k]))) piece.params[p.name] = followedValue(p, after[k]);
      }
    });
  });
}
