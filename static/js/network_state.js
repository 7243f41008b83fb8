// The network page's state, one table (as state.js's PROPS for the studio): it drives the URL hash
// (the permalink), the defaults and the store. A permalink is untrusted text: every value read from
// it is checked here against the server's limits (GET api/v1/limits, fields `network_*`) and the
// choices of GET api/v1/networks/catalogue, and falls back to its default when it does not fit.
import { languages } from "./i18n.js";
import { normalizeRun } from "./state.js";

// The page's default is the network lesson `DEFAULT_LESSON`'s request, read from GET
// api/v1/scenarios (one definition: the lesson's); a link `#lesson=<id>` opens another network lesson.
export const DEFAULT_LESSON = "network-assignment";

// name, URL key, type, default; `group`: where it goes in the request body (data / model / plane)
export const NET_PROPS = [
  { name: "dataset", key: "ds", type: "dataset", def: "moons", group: "data", field: "name" },
  { name: "samples", key: "m", type: "int", def: 300, group: "data", field: "samples" },
  { name: "noise", key: "nz", type: "float", def: 0.2, group: "data", field: "noise" },
  { name: "testFraction", key: "tf", type: "fraction", def: 0.25, group: "data", field: "test_fraction" },
  { name: "dataSeed", key: "ds_seed", type: "int", def: 3, group: "data", field: "seed" },
  { name: "hidden", key: "h", type: "widths", def: [5, 2], group: "model", field: "hidden" },
  { name: "activation", key: "act", type: "activation", def: "relu", group: "model", field: "activation" },
  { name: "init", key: "init", type: "init", def: "he", group: "model", field: "init" },
  { name: "modelSeed", key: "m_seed", type: "int", def: 3, group: "model", field: "seed" },
  { name: "epochs", key: "ep", type: "epochs", def: 800 }, // the default lesson's (replaced by it: `useLessons`)
  { name: "seed", key: "seed", type: "int", def: 0 },
  { name: "plane", key: "pl", type: "plane", def: "pca", group: "plane", field: "kind" },
  { name: "planeN", key: "pn", type: "grid", def: 41, group: "plane", field: "n" },
  { name: "planeRun", key: "pr", type: "int", def: 0, group: "plane", field: "run" },
  { name: "planeSeed", key: "ps", type: "int", def: 0, group: "plane", field: "seed" },
  { name: "lang", key: "lang", type: "lang", def: null },
  { name: "lesson", key: "lesson", type: "lesson", def: null }, // a network lesson's id (its panel), or null
  { name: "runs", key: "r", type: "runs", def: null },
];

// a run's fields → their keys in the hash (the studio's short keys, so a run reads the same)
const RUN_KEYS = { optimizer: "o", params: "p", color: "c", schedule: "s", batch_size: "b", label: "l", links: "k" };

// A run of a POST api/v1/networks body in the state's form, as the studio's (state.js): an optimizer
// chain (`optimizers`) becomes the run's optimizer and params (its first link) and `links` (the later
// ones, each { milestone, optimizer, params }); `chainOf` is the reverse, for the request.
const fromChain = (r) => (Array.isArray(r?.optimizers) && r.optimizers.length
  ? { ...r, optimizer: r.optimizers[0].optimizer, params: r.optimizers[0].params, links: r.optimizers.slice(1) } : r);
const chainOf = (r) => [{ optimizer: r.optimizer, params: r.params }, ...r.links];

// A run read from a body or a link (untrusted), with its later links checked: each a known optimizer,
// an integer milestone ≥ 1 (an update of the run; the server checks the rest: its order, the run's
// length) and its params cleaned as a run's; at most the server's number of links when it says one.
function netRun(r) {
  const known = new Set((CTX.optimizers || []).map((o) => o.id));
  const links = (Array.isArray(r?.links) ? r.links : [])
    .filter((l) => l && typeof l === "object" && known.has(l.optimizer) && Number.isInteger(l.milestone) && l.milestone >= 1)
    .slice(0, (CTX.limits.max_optimizer_links ?? Infinity) - 1)
    .map((l) => ({ milestone: l.milestone, optimizer: l.optimizer, params: normalizeRun({ params: l.params }).params }));
  return { ...normalizeRun(r), links };
}

let CTX = null;

// What the server publishes: its limits and the network catalogue (given once, before any state).
export function useNetworkServer(limits, catalogue) { CTX = { limits, catalogue }; }

const lim = (name) => CTX.limits[`network_${name}`] ?? CTX.catalogue.limits?.[name] ?? CTX.catalogue.limits?.[`network_${name}`];
const ids = (list) => (list || []).map((x) => (typeof x === "string" ? x : x.id));

// The checks a value read from a link or a field must pass (undefined: it does not fit).
export function check(p, v) {
  const c = CTX.catalogue;
  const within = (x, max) => (max === undefined || max === null || x <= max);
  switch (p.type) {
    case "int": return Number.isInteger(v) && v >= 0 && (p.name !== "samples" || (v >= (lim("min_samples") ?? 2) && within(v, lim("max_samples")))) ? v : undefined;
    case "float": return typeof v === "number" && Number.isFinite(v) && v >= 0 && within(v, lim("max_noise")) ? v : undefined;
    case "fraction": return typeof v === "number" && v >= 0 && v < 1 && within(v, lim("max_test_fraction")) ? v : undefined;
    case "epochs": return Number.isInteger(v) && v >= 1 && within(v, lim("max_epochs")) ? v : undefined;
    case "grid": return Number.isInteger(v) && v >= 2 && within(v, lim("max_grid")) ? v : undefined;
    case "widths": return Array.isArray(v) && within(v.length, lim("max_depth"))
      && v.every((w) => Number.isInteger(w) && w >= 1 && within(w, lim("max_width"))) ? v : undefined;
    case "dataset": return ids(c.data_sets).includes(v) ? v : undefined;
    case "activation": return ids(c.activations).includes(v) ? v : undefined;
    case "init": return ids(c.inits).includes(v) ? v : undefined;
    case "plane": return ids(c.planes).includes(v) ? v : undefined;
    case "lang": return languages().includes(v) ? v : undefined;
    case "lesson": return CTX.lessons?.some((l) => l.id === v) ? v : undefined;
    default: return v;
  }
}

// The network lessons of GET api/v1/scenarios (kind "network", in the page's language).
export function useLessons(scenarios) { CTX.lessons = (scenarios || []).filter((s) => s.kind === "network"); }
export const lessonOf = (id) => CTX.lessons?.find((l) => l.id === id) || null;

// The state of a POST api/v1/networks body (a lesson's request): each field it gives, else its default.
export function fromNetRequest(body) {
  const s = Object.fromEntries(NET_PROPS.map((p) => [p.name, structuredClone(p.def)]));
  for (const p of NET_PROPS) {
    const v = p.group ? body[p.group]?.[p.field] : ["epochs", "seed"].includes(p.name) ? body[p.name] : undefined;
    if (v !== undefined && v !== null && check(p, v) !== undefined) s[p.name] = structuredClone(v);
  }
  s.runs = (body.runs || []).map((r) => netRun(fromChain(r)));
  return s;
}

// The free page's default: the default lesson's request (its panel not shown).
export function defaultNetState() {
  const lesson = lessonOf(DEFAULT_LESSON);
  if (!lesson) throw new Error(`the network lesson ${DEFAULT_LESSON} is missing from GET api/v1/scenarios`);
  return fromNetRequest(lesson.request);
}

// A lesson's state (its request, the lesson's panel shown), or the free default.
export function lessonState(id) {
  const lesson = id ? lessonOf(id) : null;
  return lesson ? { ...fromNetRequest(lesson.request), lesson: id } : defaultNetState();
}

function enc(p, v) {
  if (p.type === "widths") return v.join(",");
  if (p.type === "runs") {
    return JSON.stringify(v.map((r) => {
      const o = { [RUN_KEYS.optimizer]: r.optimizer, [RUN_KEYS.params]: r.params };
      if (r.color) o[RUN_KEYS.color] = r.color;
      if (r.schedule && (r.schedule.name !== "constant" || r.schedule.warmup_steps)) o[RUN_KEYS.schedule] = r.schedule;
      if (r.batch_size) o[RUN_KEYS.batch_size] = r.batch_size;
      if (r.label) o[RUN_KEYS.label] = r.label;
      if (r.links?.length) o[RUN_KEYS.links] = r.links;
      return o;
    }));
  }
  return String(v);
}

function dec(p, text) {
  if (p.type === "runs") {
    try {
      const list = JSON.parse(text);
      if (!Array.isArray(list) || !list.length) return undefined;
      return list.slice(0, CTX.limits.max_runs).map((o) => netRun(o && typeof o === "object"
        ? Object.fromEntries(Object.entries(RUN_KEYS).map(([field, k]) => [field, o[k]])) : {}));
    } catch { return undefined; }
  }
  if (p.type === "widths") return check(p, text === "" ? [] : text.split(",").map(Number));
  if (["int", "float", "fraction", "epochs", "grid"].includes(p.type)) return check(p, Number(text));
  return check(p, text);
}

// The hash of a state: the values that differ from its base (the lesson's state, or the free
// default); a free state always writes its runs.
export function serializeNet(state) {
  const q = new URLSearchParams();
  const base = lessonState(state.lesson);
  for (const p of NET_PROPS) {
    const v = state[p.name];
    if (v === null || v === undefined) continue;
    const same = JSON.stringify(v) === JSON.stringify(base[p.name]);
    if (p.type === "lang" || p.type === "lesson" || (p.type === "runs" && !state.lesson) || !same) q.set(p.key, enc(p, v));
  }
  return q.toString();
}

// The state of a hash: the lesson it names (else the free default), then each value the link gives
// and that fits.
export function deserializeNet(hash) {
  const q = new URLSearchParams(hash.replace(/^#/, ""));
  const lesson = q.has("lesson") ? check({ type: "lesson" }, q.get("lesson")) : undefined;
  const s = lessonState(lesson);
  for (const p of NET_PROPS) {
    if (!q.has(p.key) || p.type === "lesson") continue;
    const v = dec(p, q.get(p.key));
    if (v !== undefined) s[p.name] = v;
  }
  const known = new Set(CTX.optimizers.map((o) => o.id));
  s.runs = s.runs.map((r) => (known.has(r.optimizer) ? r : { ...r, optimizer: "adam", params: {} }));
  s.planeRun = Math.min(s.planeRun, s.runs.length - 1);
  if (s.lesson && trainingKey(s) !== trainingKey(lessonState(s.lesson))) s.lesson = null; // edited: no longer the lesson
  return s;
}

// The optimizers the page offers: the catalogue's, those the network engine trains (it may refuse
// closure-driven ones such as L-BFGS: the network catalogue lists its own when it does).
export function useOptimizers(optimizers) { CTX.optimizers = optimizers; }

// The body of POST api/v1/networks (and …/stream, …/plane) for a state.
export function toNetRequest(state) {
  const body = { data: {}, model: {}, epochs: state.epochs, seed: state.seed, plane: {} };
  for (const p of NET_PROPS) if (p.group) body[p.group][p.field] = state[p.name];
  body.runs = state.runs.map((r) => {
    // a run with switches sends its chain (its first link: the run's optimizer and params)
    const run = r.links?.length ? { optimizer: r.optimizer, optimizers: chainOf(r) } : { optimizer: r.optimizer, params: r.params };
    if (r.label) run.label = r.label;
    if (r.schedule && (r.schedule.name !== "constant" || r.schedule.warmup_steps)) run.schedule = r.schedule;
    if (r.batch_size) run.batch_size = r.batch_size;
    return run;
  });
  return body;
}

// What forces a retraining (everything but the plane and the language).
export function trainingKey(state) {
  const body = toNetRequest(state);
  delete body.plane;
  return JSON.stringify(body);
}

export const planeKey = (state) => JSON.stringify([trainingKey(state), state.plane, state.planeN, state.planeRun]);
