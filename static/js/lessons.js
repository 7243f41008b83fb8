// The lessons page: each lesson with its measured claim, the EWA explorer, the schedule explorer,
// sweeps, basin maps and the fair race. Texts come from the message catalogue (i18n.js), colours
// from GET /api/v1/optimizers, limits from GET /api/v1/limits: nothing is written twice. Requests go
// through api.js, charts through plots.js; the page's state lives in a store (store.js) that the
// URL and the controls write and everything renders from, as in the studio.
import { ApiError, getBasins, getCatalogue, getEwa, getGrid, getLimits, getPermalink, getRace, getScenarios,
  getSchedulePreview, getTrajectories, streamSweep } from "./api.js";
import { el, paramControl } from "./controls.js";
import { runColors } from "./colors.js";
import { chart, contourTraces, fitChart, isDrawn, onPointClick, purge, setVisible } from "./plots.js";
import { lang, loadMessages, nextLang, paramName, setLang, t, translatePage } from "./i18n.js";
import { defaultState, normalizeRun, serialize, useServer } from "./state.js";
import { createStore } from "./store.js";
import { createUrlSync } from "./url.js";

const $ = (id) => document.getElementById(id);
// regions of a basin map and lines of the EWA chart: not optimizers, so not their colours
const REGIONS = ["#dddddd", "#9ecae1", "#fdae6b", "#a1d99b", "#bcbddc", "#fc9272", "#c7e9c0"];

// The page's state, one table (as state.js's PROPS for the studio): name, default; for the props a
// link carries (#scenario=…&sw_surface=…), the URL key, the type and the values a link may give (a
// link is untrusted text); for a tool's form, the tool and the control that shows and edits the prop.
// A tool's setting is in the link when it is not its default. The rest is the explorers' settings.
const surfaceIds = () => page.catalogue.surfaces.map((s) => s.id);
// sweeps and basin maps step rows in lockstep: element-wise optimizers only (the catalogue's driver)
const lockstep = () => page.catalogue.optimizers.filter((o) => (o.driver || "loop") === "loop");
const lockstepIds = () => lockstep().map((o) => o.id);
const basinSurfaces = () => page.catalogue.surfaces.filter((s) => s.minima.length > 1 || s.id === "himmelblau");
const PROPS = [
  { name: "scenario", def: null, key: "scenario" }, // the lesson shown (null: the first)
  { name: "ewaBetas", def: [0.5, 0.9, 0.98] },
  { name: "ewaBias", def: true },
  { name: "ewaSeries", def: "" }, // the reader's own series (text), else the server's
  { name: "shown", def: ["step", "exponential", "inverse_time", "cosine_restarts", "cyclic", "cosine"] },
  { name: "schedules", def: {} }, // id → { params, warmup } once a schedule's chart was drawn
  // the sweep: its y axis is a parameter of the optimizer (null: its first); `swPreset` is a lesson's
  // exact request (its own lr grid, batch sizes and epochs) until the form is edited
  { name: "swSurface", def: "rosenbrock", key: "sw_surface", choices: surfaceIds, tool: "sweep", control: "sw-surface" },
  { name: "swOpt", def: "adam", key: "sw_opt", choices: lockstepIds, tool: "sweep", control: "sw-opt" },
  { name: "swY", def: null, key: "sw_y", tool: "sweep", control: "sw-y" },
  { name: "swSteps", def: 300, key: "sw_steps", type: "steps", tool: "sweep", control: "sw-steps" },
  { name: "swPreset", def: null, tool: "sweep" },
  { name: "bsSurface", def: "himmelblau", key: "bs_surface", choices: () => basinSurfaces().map((s) => s.id), tool: "basins", control: "bs-surface" },
  { name: "bsOpt", def: "gd", key: "bs_opt", choices: lockstepIds, tool: "basins", control: "bs-opt" },
  { name: "bsLr", def: 0.01, key: "bs_lr", type: "rate", tool: "basins", control: "bs-lr" },
  { name: "rcSurface", def: "rosenbrock", key: "rc_surface", choices: surfaceIds, tool: "race", control: "rc-surface" },
];

const RENAMED = { "rmsprop-adam": "adam-bias-correction" }; // old permalinks keep working
const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);

// A prop's value from a link's or a control's text; undefined when the text gives none it may take.
function decode(p, text) {
  if (p.type === "steps" || p.type === "rate") {
    const v = Number(text);
    const ok = p.type === "steps" ? Number.isInteger(v) && v >= 1 && v <= page.limits.max_steps : Number.isFinite(v) && v > 0;
    return ok ? v : undefined;
  }
  if (p.name === "scenario") return Object.hasOwn(RENAMED, text) ? RENAMED[text] : text;
  return !p.choices || p.choices().includes(text) ? text : undefined;
}

const codec = {
  serialize: (state) => new URLSearchParams(PROPS.filter((p) => p.key && state[p.name] !== null && !same(state[p.name], p.def))
    .map((p) => [p.key, String(state[p.name])])).toString(),
  // every prop a link carries: its value there, else its default (back to a link without it)
  deserialize: (hash) => {
    const q = new URLSearchParams(hash.replace(/^#/, ""));
    return Object.fromEntries(PROPS.filter((p) => p.key)
      .map((p) => [p.name, (q.has(p.key) ? decode(p, q.get(p.key)) : undefined) ?? structuredClone(p.def)]));
  },
};

const store = createStore(Object.fromEntries(PROPS.map((p) => [p.name, structuredClone(p.def)])));
// for tests and the console: the server's answers, and read-only views of the store
const page = { catalogue: null, scenarios: [], limits: null, store };
Object.defineProperty(page, "shown", { get: () => store.get().shown });
Object.defineProperty(page, "ewa", { get: () => ({ betas: store.get().ewaBetas }) });
window.optivizLessons = page;

// --- colours: one per run (colors.js: the studio's rule), the optimizer in the dash and the legend --

export function runStyles(runs) {
  const registry = (id) => page.catalogue.optimizers.find((o) => o.id === id)?.color || "#000000";
  return runColors(runs.map((r) => ({ optimizer: r.optimizer })), registry, page.catalogue.run_colors);
}

// The legend of a lesson's charts (or the EWA's), drawn in the page beside them, never over them:
// one entry per named trace, its swatch drawn as the trace is (colour, dash, width, opacity).
const SVG = "http://www.w3.org/2000/svg";
const DASHARRAY = { solid: "", dash: "7,4", dot: "2,3", dashdot: "7,3,2,3", longdash: "12,4" };

function swatch(tr) {
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("width", "30");
  svg.setAttribute("height", "12");
  svg.setAttribute("aria-hidden", "true");
  const line = tr.mode === "markers" ? null : tr.line || {};
  const shape = document.createElementNS(SVG, line ? "line" : "circle");
  const attrs = line
    ? { x1: 1, y1: 6, x2: 29, y2: 6, stroke: line.color, "stroke-width": Math.min(line.width ?? 2, 7),
      "stroke-dasharray": DASHARRAY[line.dash || "solid"] ?? "" }
    : { cx: 15, cy: 6, r: 3, fill: tr.marker?.color || "#999" };
  for (const [k, v] of Object.entries(attrs)) shape.setAttribute(k, String(v));
  if (tr.opacity !== undefined) shape.setAttribute("opacity", String(tr.opacity));
  svg.append(shape);
  return svg;
}

// An entry is a toggle, as a Plotly legend's is: a click hides what it names (``toggle(trace,
// shown)`` restyles the charts) and strikes it through; a second click shows it again.
function drawLegend(ul, traces, note = null, toggle = null) {
  const named = traces.filter((tr) => tr.name && tr.showlegend !== false);
  const entry = (tr) => {
    if (!toggle) return [swatch(tr), ` ${tr.name}`];
    const button = el("button", { type: "button", class: "legend-toggle", "aria-pressed": "true" }, swatch(tr), ` ${tr.name}`);
    button.addEventListener("click", () => {
      const shown = button.getAttribute("aria-pressed") !== "true";
      button.setAttribute("aria-pressed", String(shown));
      toggle(tr, shown);
    });
    return [button];
  };
  ul.replaceChildren(...(note ? [el("li", { class: "legend-note" }, note)] : []),
    ...named.map((tr) => el("li", { "data-run": tr.meta?.run ?? "" }, ...entry(tr))));
  ul.hidden = !named.length;
}

// Show or hide, in each drawn chart of ``ids``, the traces that ``mine(trace)`` picks.
function showTraces(ids, mine, shown) {
  for (const id of ids) {
    const div = $(id);
    if (div.hidden || !isDrawn(div)) continue;
    const picked = div.data.flatMap((tr, k) => (mine(tr) ? [k] : []));
    if (picked.length) setVisible(div, picked, shown);
  }
}

// The optimizer of a lesson whose runs all share it and whose labels do not name it (the legend
// says it once, "Gradient descent:"), else null.
function sharedOptimizer(runs) {
  const ids = new Set(runs.map((r) => r.optimizer));
  if (ids.size !== 1) return null;
  const name = nameOf("optimizers", runs[0].optimizer);
  return runs.some((r) => r.label.includes(name)) ? null : t("lessons.legend.optimizer", { name });
}

// A studio permalink for a trajectories request: the full request (surface, start, steps, seed,
// tolerance, every run with its schedule, batch size and noise), in the page's language.
export function studioLink(req) {
  const s = defaultState();
  s.surface = typeof req.surface === "string" ? req.surface : "custom";
  if (s.surface === "custom") Object.assign(s, { expr: req.surface.expression, xr: req.surface.x_range, yr: req.surface.y_range });
  s.start = req.start || null;
  s.steps = req.steps ?? s.steps;
  s.seed = req.seed ?? 0;
  s.tolerance = req.tolerance ?? 0;
  const styles = runStyles(req.runs);
  s.runs = req.runs.map((r, i) => normalizeRun({ ...r, color: styles[i].color }, i));
  return `./#${serialize(s)}&lang=${lang()}`;
}

// --- lessons -------------------------------------------------------------------------------------

function updatesPerEpoch(surface, run) {
  return surface.kind === "dataset" ? Math.ceil(surface.dataset.m / (run.batch_size || surface.dataset.m)) : 1;
}

// Line widths of a request's runs: mini-batch paths the thinner the noisier (the smaller the batch),
// so the smooth ones stay visible; other runs alike.
function runWidths(answer) {
  const m = answer.surface.dataset?.m;
  return answer.runs.map((r) => (m && r.batch_size ? 1 + (2.5 * Math.log(r.batch_size)) / Math.log(m) : 2.5));
}

function pathTraces(answer, styles, coincide, upto, tail, under = []) {
  const second = new Set(coincide.map((p) => p[1]));
  // drawn wide and translucent beneath: the first of a coinciding pair, and the runs another covers
  const wide = new Set([...coincide.map((p) => p[0]), ...under]);
  const traces = [];
  const n = (r, i) => (upto ? Math.min(r.x.length, upto[i] + 1) : r.x.length);
  const from = (r, i) => (tail ? Math.floor(n(r, i) * (1 - tail)) : 0);
  const widths = runWidths(answer);
  // the order drawn: the wide runs first (they lie beneath), then the widest lines, then the paths
  // that spread most: a path that stays in a small place is drawn over one that scribbles across it
  const extent = (r, i) => {
    const xs = r.x.slice(from(r, i), n(r, i));
    const ys = r.y.slice(from(r, i), n(r, i));
    const [xr, yr] = [answer.surface.x_range, answer.surface.y_range];
    return Math.hypot((Math.max(...xs) - Math.min(...xs)) / (xr[1] - xr[0]), (Math.max(...ys) - Math.min(...ys)) / (yr[1] - yr[0]));
  };
  const order = answer.runs.map((r, i) => ({ i, key: [wide.has(i) ? 1 : 0, widths[i], second.has(i) ? -1 : extent(r, i)] }))
    .sort((a, b) => b.key[0] - a.key[0] || b.key[1] - a.key[1] || b.key[2] - a.key[2]).map((o) => o.i);
  for (const i of order) {
    const r = answer.runs[i];
    const st = styles[i];
    const line = second.has(i) ? { color: st.color, width: 2.5, dash: "dash" }
      : wide.has(i) ? { color: st.color, width: 8, dash: st.dash } : { color: st.color, width: widths[i], dash: st.dash };
    const name = second.has(i) ? `${r.label} ${t("lessons.coincide")}` : r.label;
    const [a, b] = [from(r, i), n(r, i)];
    traces.push({ type: "scatter", mode: "lines", x: r.x.slice(a, b), y: r.y.slice(a, b), name, line,
      opacity: wide.has(i) ? 0.45 : 1, meta: { run: i },
      hovertemplate: `${r.label}<br>x %{x:.4g}, y %{y:.4g}<extra></extra>` });
    traces.push({ type: "scatter", mode: "markers", x: [r.x[b - 1]], y: [r.y[b - 1]], showlegend: false, hoverinfo: "skip",
      marker: { size: wide.has(i) ? 17 : 9, color: st.color, symbol: r.status === "diverged" ? "x" : "circle",
        line: { color: "#fff", width: 1.5 } }, meta: { end: i } });
  }
  // the minima over the paths, open (an outline: what settles inside shows through): the place every
  // run aims for stays in sight
  traces.push({ type: "scatter", mode: "markers", x: answer.surface.minima.map((m) => m[0]), y: answer.surface.minima.map((m) => m[1]),
    marker: { symbol: "star-open", size: 16, color: "#000", line: { width: 2 } }, hoverinfo: "skip", showlegend: false });
  return traces;
}

async function drawMap(div, req, answer, styles, coincide, upto, sc, names, stale = () => false) {
  const grid = await getGrid(req.surface, 90);
  if (stale()) return;
  const model = { surface: answer.surface, grid };
  const s = answer.surface;
  const data = [...contourTraces(model), ...pathTraces(answer, styles, coincide, upto, sc.tail, sc.under)];
  await chart(div, data, { margin: { l: 45, r: 10, t: sc.tail ? 28 : 10, b: 40 }, showlegend: false, // the legend: the page's
    title: sc.tail ? { text: t("lessons.tail", { percent: Math.round(sc.tail * 100) }), font: { size: 13 } } : undefined,
    xaxis: { range: sc.view?.x || s.x_range, title: { text: names?.[0] || (s.kind === "dataset" ? "w" : "x") }, zeroline: false,
      constrain: sc.compare ? "domain" : undefined },
    yaxis: { range: sc.view?.y || s.y_range, title: { text: names?.[1] || (s.kind === "dataset" ? "b" : "y") }, zeroline: false,
      // the same scale on both axes where the shape of the bowl is the point (raw vs standardized)
      scaleanchor: sc.compare ? "x" : undefined } });
}

// A run much shorter than another (it converged: the standardized inputs' 15 steps beside the raw
// ones' 627) is a sliver on a linear iteration axis: the axis turns logarithmic (from iteration 1).
const LOG_ITERATIONS = 10;
function logIterations(answers, sc) {
  const lengths = answers.flatMap((a) => a.runs.map((r) => r.loss.length));
  return !sc.epochs && Math.max(...lengths) > LOG_ITERATIONS * Math.min(...lengths);
}

// A loss line: the map's width a little finer, and earlier runs wider (0.8 px a run): losses that
// run together (the decays' at the floor) stay visible as sleeves.
const lossWidth = (mapWidth, i, n) => Math.max(1, mapWidth - 0.5) + 0.8 * (n - 1 - i);

function lossTraces(answers, stylesList, sc) {
  const traces = [];
  const from = logIterations(answers, sc) ? 1 : 0;
  const widths = answers.map(runWidths);
  answers.forEach((answer, a) => answer.runs.forEach((r, i) => {
    const st = stylesList[a][i];
    const per = sc.epochs ? updatesPerEpoch(answer.surface, r) : 1;
    const n = sc.epochs ? Math.min(r.loss.length, sc.epochs * per + 1) : r.loss.length;
    const x = Array.from({ length: n }, (_, k) => k / per).slice(from);
    const coincident = a === 0 && sc.coincide.some((p) => p[1] === i);
    const wide = a === 0 && (sc.coincide.some((p) => p[0] === i) || sc.under.includes(i));
    traces.push({ x, y: r.loss.slice(from, n), name: r.label, opacity: wide ? 0.45 : 1,
      line: { color: st.color, dash: coincident ? "dash" : st.dash, width: coincident ? 2.5 : wide ? 7 : lossWidth(widths[a][i], i, answer.runs.length) },
      meta: { run: i, answer: a } });
    if (r.batch_loss && sc.batch_cost) traces.push({ x: x.slice(0, n - 1 - from), y: r.batch_loss.slice(from, n - 1), name: `${r.label} (${t("lessons.mini-batch")})`,
      line: { color: st.color, width: 1 }, opacity: 0.35, showlegend: false, hoverinfo: "skip", meta: { batchOf: i, answer: a } });
  }));
  return traces;
}

function showClaim(sc) {
  const c = sc.claim;
  $("sc-claim-text").textContent = c.text;
  $("sc-claim-verdict").textContent = c.holds ? `✓ ${t("lessons.holds")}` : `✗ ${t("lessons.fails")}`;
  $("sc-claim").dataset.holds = String(c.holds);
  $("sc-claim").dataset.figures = JSON.stringify(c.figures);
}

// the networks page with a network lesson (kind "network"), in the page's language
const networkLesson = (id) => `networks?lang=${encodeURIComponent(lang())}#lesson=${encodeURIComponent(id)}`;

let shown = 0; // the last lesson asked for; an earlier one still loading must not draw over it

const PLOTS = ["sc-map", "sc-map2", "sc-loss", "sc-lr"];

// While a lesson's answer is computed: the previous lesson's charts and legend are gone at once, and
// the chart area says so ("computing…", with the sweep's progress when it streams one).
function computing(sc) {
  for (const id of PLOTS) purge($(id));
  drawLegend($("sc-legend"), []);
  document.body.dataset.computing = sc.id;
  $("sc-busy").hidden = false;
  $("sc-busy-text").textContent = t("lessons.computing", { title: sc.title });
  $("sc-busy-progress").removeAttribute("value"); // indeterminate until a progress event
}

function computed(sc, error = null) {
  delete document.body.dataset.computing;
  $("sc-busy").hidden = !error;
  if (error) $("sc-busy-text").textContent = t("lessons.compute-failed", { message: error.message });
  else document.body.dataset.scenario = sc.id;
}

async function showScenario(id) {
  const gen = ++shown;
  const stale = () => gen !== shown;
  const sc = page.scenarios.find((s) => s.id === id) || page.scenarios[0];
  if (sc.kind === "network") { location.href = networkLesson(sc.id); return; }
  document.body.dataset.scenario = "";
  computing(sc);
  try {
    await drawScenario(sc, stale);
    if (!stale()) computed(sc);
  } catch (err) {
    if (!stale()) computed(sc, err);
    throw err;
  }
}

async function drawScenario(sc, stale) {
  document.querySelectorAll("#scenario-list a").forEach((a) => a.setAttribute("aria-current", a.dataset.id === sc.id));
  $("sc-title").textContent = sc.title;
  $("sc-text").textContent = sc.explanation;
  $("sc-formulas").replaceChildren(...(sc.formulas_text || sc.formulas).map((f) => el("li", {}, f)));
  showClaim(sc);
  const sweep = sc.kind === "sweep";
  const tool = sc.kind !== "trajectories";
  $("sc-plots").classList.toggle("single", tool);
  $("sc-map").hidden = tool;
  $("sc-map2").hidden = tool || !sc.compare;
  $("sc-lr").hidden = tool || !sc.lr_chart;
  $("sc-open").hidden = tool;
  $("sc-sweep").hidden = !tool;
  $("sc-sweep").textContent = t(sweep ? "lessons.run-sweep-tool" : "lessons.explore-ewa");
  if (sc.kind === "ewa") {
    $("sc-sweep").onclick = () => {
      store.update({ ewaBetas: [...sc.request.betas], ewaBias: sc.request.bias_correction });
      $("ewa").scrollIntoView({ behavior: "smooth", block: "start" });
    };
    await drawEwaInto($("sc-loss"), sc.request, stale, $("sc-legend"));
    if (stale()) return;
    await fitChart($("sc-loss"));
    return;
  }
  if (sweep) {
    $("sc-sweep").onclick = () => {
      fillSweepTool(sc.request);
      $("sweep").scrollIntoView({ behavior: "smooth", block: "start" });
      runSweep(sc.request, $("sw-plot")).catch((e) => { $("sw-error").textContent = e.message; });
    };
    await runSweep(sc.request, $("sc-loss"), true, stale, $("sc-busy-progress"));
    return;
  }
  $("sc-open").href = studioLink(sc.request);
  const requests = sc.compare ? [sc.request, sc.compare] : [sc.request];
  const answers = await Promise.all(requests.map((r) => getTrajectories(r)));
  if (stale()) return;
  // one colour per run over both requests (the compared run is a run of the lesson too)
  const styles = runStyles(answers.flatMap((a) => a.runs));
  const stylesList = answers.map((a, k) => styles.slice(k ? answers[0].runs.length : 0, k ? undefined : a.runs.length));
  const upto = (answer) => (sc.epochs ? answer.runs.map((r) => sc.epochs * updatesPerEpoch(answer.surface, r)) : null);
  await Promise.all([
    drawMap($("sc-map"), sc.request, answers[0], stylesList[0], sc.coincide, upto(answers[0]), sc, undefined, stale),
    sc.compare ? drawMap($("sc-map2"), sc.compare, answers[1], stylesList[1], [], null, sc, ["w'", "b'"], stale) : null,
  ]);
  if (stale()) return;
  // each map's paths, with the answer they belong to (the compared one is the second map's)
  const paths = (m, a) => $(m).data.filter((tr) => tr.meta?.run !== undefined).sort((x, y) => x.meta.run - y.meta.run)
    .map((tr) => ({ ...tr, meta: { ...tr.meta, answer: a } }));
  const maps = ["sc-map", "sc-map2"].flatMap((m, a) => ($(m).hidden ? [] : paths(m, a)));
  // a legend entry hides its run everywhere: its path and end on its map, its loss (and mini-batch
  // loss) on the loss chart, its rate on the rate chart
  const hideRun = (tr, shown) => {
    const { run, answer } = tr.meta;
    showTraces([answer ? "sc-map2" : "sc-map"], (x) => x.meta?.run === run || x.meta?.end === run, shown);
    showTraces(["sc-loss", "sc-lr"], (x) => (x.meta?.run ?? x.meta?.batchOf) === run && x.meta.answer === answer, shown);
  };
  drawLegend($("sc-legend"), maps, sharedOptimizer(answers.flatMap((a) => a.runs)), hideRun);
  const positive = answers.every((a) => a.runs.every((r) => r.loss.every((v) => v > 0)));
  await chart($("sc-loss"), lossTraces(answers, stylesList, sc), { margin: { l: 55, r: 10, t: 10, b: 40 },
    yaxis: { type: positive ? "log" : "linear", exponentformat: "power", title: { text: t("lessons.loss") }, automargin: true },
    xaxis: { type: logIterations(answers, sc) ? "log" : "linear",
      title: { text: sc.epochs ? t("lessons.epoch") : t("lessons.iteration") } }, showlegend: false });
  if (sc.lr_chart) {
    const traces = answers[0].runs.map((r, i) => {
      const per = updatesPerEpoch(answers[0].surface, r);
      return { x: r.lr.map((_, k) => k / per), y: r.lr, name: r.label, meta: { run: i, answer: 0 },
        line: { color: stylesList[0][i].color, dash: stylesList[0][i].dash, width: 2 } };
    });
    const dataset = answers[0].surface.kind === "dataset";
    await chart($("sc-lr"), traces, { margin: { l: 55, r: 10, t: 28, b: 40 },
      title: { text: t("lessons.lr-chart"), font: { size: 13 } }, yaxis: { title: { text: t("lessons.lr") } },
      xaxis: { title: { text: dataset ? t("lessons.epoch") : t("lessons.iteration") } }, showlegend: false });
  }
  if (stale()) return;
  await Promise.all(PLOTS.filter((id) => !$(id).hidden && isDrawn($(id))).map((id) => fitChart($(id))));
}

// --- EWA -----------------------------------------------------------------------------------------

async function drawEwaInto(div, body, stale = () => false, legend = $("ewa-legend")) {
  const d = await getEwa(body);
  if (stale()) return d;
  const x = d.dates || d.series.map((_, i) => i + 1);
  const traces = [{ x, y: d.series, mode: "markers", name: t("lessons.ewa.data"), marker: { size: 3, color: "#999" } }];
  d.averages.forEach((a, i) => {
    const color = ["#08519c", "#a63603", "#006d2c", "#54278f"][i % 4];
    traces.push({ x, y: a.values, name: t("lessons.ewa.window", { beta: a.beta, window: a.window.toPrecision(3) }),
      line: { color, dash: d.bias_correction ? "dot" : "solid", width: d.bias_correction ? 1.5 : 2 } });
    if (d.bias_correction) traces.push({ x, y: a.corrected, name: t("lessons.ewa.corrected", { beta: a.beta }), line: { color, width: 2 } });
  });
  await chart(div, traces, { margin: { l: 50, r: 10, t: 10, b: 40 },
    yaxis: { title: { text: d.dates ? t("lessons.ewa.unit") : "" } }, showlegend: false });
  // beside the chart (clear of the date ticks); an entry hides its series
  drawLegend(legend, traces, null, (tr, shown) => setVisible(div, [traces.indexOf(tr)], shown));
  return d;
}

async function drawEwa(state) {
  const body = { betas: state.ewaBetas, bias_correction: state.ewaBias };
  const text = state.ewaSeries.trim();
  if (text) {
    const tokens = text.split(/[\s,;]+/).filter(Boolean);
    const bad = tokens.find((tok) => !Number.isFinite(Number(tok)));
    if (bad !== undefined) { $("ewa-error").textContent = t("lessons.ewa.nan", { token: bad }); return; }
    body.series = tokens.map(Number);
  }
  try {
    await drawEwaInto($("ewa-plot"), body);
    $("ewa-error").textContent = "";
  } catch (err) {
    $("ewa-error").textContent = err.message;
  }
}

let ewaTimer = null;
function drawEwaSoon(ms) { // typing: once the reader pauses
  clearTimeout(ewaTimer);
  ewaTimer = setTimeout(() => drawEwa(store.get()), ms);
}

function ewaControls(state) {
  $("ewa-bias").checked = state.ewaBias;
  if ($("ewa-series").value !== state.ewaSeries) $("ewa-series").value = state.ewaSeries;
  $("ewa-controls").replaceChildren(...state.ewaBetas.map((b, i) => paramControl({ name: `β${i + 1}`, type: "float", default: b, min: 0,
    max: 0.999, scale: "linear", description: t("lessons.ewa.beta") }, b,
  (v) => store.update((d) => { d.ewaBetas[i] = Math.min(0.999, Math.max(0, v)); }, { keep: "ewa" }), "ewa")));
}

// --- schedules: a selector and one small chart per chosen schedule -------------------------------

function scheduleDefaults(s) { // a schedule's settings before the reader changes them
  const params = {};
  // cyclic's max_lr defaults to the catalogue's 0.1, equal to this explorer's base rate: flat. Show a cycle.
  if (s.id === "cyclic") params.max_lr = 0.5;
  return { params, warmup: 0 };
}

// A schedule that reads the loss has no rate without a run: its chart is a run's (Adam at the
// explorer's base rate on Himmelblau), with that run's loss dotted on a right axis.
const LOSS_DEMO = { surface: "himmelblau", start: [-0.3, -0.9], optimizer: "adam" };

async function drawLossSchedule(s, st, div) {
  const run = { optimizer: LOSS_DEMO.optimizer, params: { lr: 0.1 }, schedule: { name: s.id, params: st.params } };
  const d = (await getTrajectories({ surface: LOSS_DEMO.surface, start: LOSS_DEMO.start, steps: 600, runs: [run] })).runs[0];
  const t_ = d.lr.map((_, k) => k);
  await chart(div, [
    { x: t_, y: d.lr, line: { color: "#1d2330", width: 2 }, name: "lr", hovertemplate: "t %{x}<br>lr %{y:.3g}<extra></extra>" },
    { x: t_, y: d.loss.slice(1), yaxis: "y2", line: { color: "#888", width: 1, dash: "dot" }, name: "loss",
      hovertemplate: "t %{x}<br>loss %{y:.3g}<extra></extra>" }],
  { margin: { l: 45, r: 40, t: 26, b: 30 }, title: { text: s.name, font: { size: 13 } },
    showlegend: false, yaxis: { type: "log", exponentformat: "power", dtick: 2 },
    xaxis: { title: { text: `t · ${t("lessons.sched.loss_demo")}`, font: { size: 11 } } },
    yaxis2: { overlaying: "y", side: "right", type: "log", showgrid: false, exponentformat: "power", dtick: 1, tickfont: { size: 10 } } },
  { toolbar: false });
}

async function drawSchedule(s, st) {
  const div = $(`sched-${s.id}`);
  if (!div) return;
  if (s.reads_loss) { await drawLossSchedule(s, st, div); return; }
  const d = await getSchedulePreview({ schedule: { name: s.id, params: st.params, warmup_steps: st.warmup }, lr: 0.1, steps: 600 });
  await chart(div, [{ x: d.t, y: d.lr, line: { color: "#1d2330", width: 2 }, hovertemplate: "t %{x}<br>lr %{y:.3g}<extra></extra>" }],
    { margin: { l: 45, r: 8, t: 26, b: 30 }, title: { text: s.name, font: { size: 13 } }, showlegend: false,
      yaxis: { rangemode: "tozero" }, xaxis: { title: { text: "t" } } }, { toolbar: false });
}

const shownSchedules = (state) => page.catalogue.schedules.filter((s) => state.shown.includes(s.id));

// The picker: one box per schedule of the catalogue, checked when its chart is shown.
function schedulePicker() {
  $("sched-pick").replaceChildren(...page.catalogue.schedules.map((s) => {
    const box = el("input", { type: "checkbox", value: s.id, "data-schedule": s.id });
    box.addEventListener("change", () => store.update((d) => {
      d.shown = page.catalogue.schedules.map((x) => x.id).filter((id) => (id === s.id ? box.checked : d.shown.includes(id)));
    }));
    return el("label", { class: "pick" }, box, ` ${s.name}`);
  }));
}

// The charts of the shown schedules, each with its parameters (written into the store).
function buildScheduleGrid(state) {
  for (const box of document.querySelectorAll("[data-schedule]")) box.checked = state.shown.includes(box.value);
  const maxWarmup = page.limits.max_warmup_steps;
  const set = (id, change) => store.update((d) => { change(d.schedules[id]); }, { schedule: id });
  const cards = shownSchedules(state).map((s) => {
    const st = state.schedules[s.id];
    return el("div", { class: "sched-card" }, el("div", { id: `sched-${s.id}`, class: "sched-plot" }),
      el("details", {}, el("summary", {}, s.formula),
        ...s.params.map((p) => paramControl(p, st.params[p.name], (v) => set(s.id, (x) => { x.params[p.name] = v; }), `sc-${s.id}`)),
        s.reads_loss ? null : paramControl({ name: "warmup_steps", type: "int", default: 0, min: 0, max: maxWarmup, scale: "linear",
          description: t("lessons.sched.warmup") }, st.warmup, (v) => set(s.id, (x) => { x.warmup = Math.min(maxWarmup, v); }), `sc-${s.id}`)));
  });
  $("sched-grid").replaceChildren(...cards);
  return Promise.all(shownSchedules(state).map((s) => drawSchedule(s, state.schedules[s.id])));
}

// --- sweeps and basins ---------------------------------------------------------------------------

function axisLayout(body) {
  return { margin: { l: 60, r: 10, t: 10, b: 45 },
    xaxis: { type: body.x_param.scale === "log" ? "log" : "linear", title: { text: paramName(body.x_param.name) } },
    yaxis: { title: { text: paramName(body.y_param.name) }, type: body.y_param.name === "batch_size" ? "log" : "linear" } };
}

async function runSweep(body, div, quiet = false, stale = () => false, progress = $("sw-progress")) {
  $("sw-error").textContent = "";
  progress.value = 0;
  let result = null;
  const abort = new AbortController();
  try {
    await streamSweep(body, (name, data) => {
      if (stale()) { abort.abort(); return; } // another lesson was chosen: stop the work
      if (name === "progress") progress.value = data.done;
      else if (name === "result") result = data;
      else if (name === "error") throw new ApiError(422, data.detail);
    }, abort.signal);
  } catch (err) {
    if (abort.signal.aborted) return null;
    throw err;
  }
  if (stale()) return null;
  progress.value = 1;
  const z = result.final_loss.map((row) => row.map((v) => (v === null ? null : Math.log10(Math.max(v, 1e-300)))));
  const xs = [];
  const ys = [];
  result.status.forEach((row, j) => row.forEach((s, i) => { if (s === "diverged") { xs.push(result.x_values[i]); ys.push(result.y_values[j]); } }));
  const best = result.final_loss.map((row) => {
    let k = -1;
    row.forEach((v, i) => { if (v !== null && (k < 0 || v < row[k])) k = i; });
    return k < 0 ? null : result.x_values[k];
  });
  await chart(div, [
    { type: "heatmap", x: result.x_values, y: result.y_values, z, colorscale: "Viridis", colorbar: { title: { text: t("lessons.final-loss") } },
      hovertemplate: `${body.x_param.name} %{x:.3g}<br>${body.y_param.name} %{y}<br>log₁₀ %{z:.3g}<extra></extra>` },
    { type: "scatter", mode: "markers", x: xs, y: ys, marker: { symbol: "x", color: "#D55E00", size: 7 }, name: t("lessons.diverged"), hoverinfo: "skip" },
    { type: "scatter", mode: "lines+markers", x: best, y: result.y_values, name: t("lessons.best"),
      marker: { color: "#fff", size: 8, line: { color: "#000", width: 1 } }, line: { color: "rgba(255,255,255,0.8)", width: 1.5 } },
  ], { ...axisLayout(body), showlegend: false });
  await fitChart(div); // the lesson's heatmap takes the full width its panel now has
  onPointClick(div, (p) => {
    const run = { optimizer: body.optimizer, params: { ...body.params } };
    for (const [axis, v] of [[body.x_param.name, p.x], [body.y_param.name, p.y]]) {
      if (axis === "batch_size") run.batch_size = v; else run.params[axis] = v;
    }
    const steps = body.epochs && run.batch_size ? result.steps_by_batch_size[String(run.batch_size)] : body.steps;
    location.href = studioLink({ surface: body.surface, start: body.start, steps, seed: body.seed || 0,
      tolerance: body.tolerance || 0, runs: [run] });
  });
  if (!quiet) document.body.dataset.sweep = "done";
  return result;
}

// The sweep's y axes for the optimizer and surface of the state, and the one it uses.
function sweepAxes(state) {
  const opt = page.catalogue.optimizers.find((o) => o.id === state.swOpt);
  const surface = page.catalogue.surfaces.find((s) => s.id === state.swSurface);
  const names = opt.params.filter((p) => p.type === "float" && p.name !== "lr" && p.max !== null).map((p) => p.name);
  if (surface.kind === "dataset") names.unshift("batch_size");
  return names;
}

const sweepY = (state) => (sweepAxes(state).includes(state.swY) ? state.swY : sweepAxes(state)[0]);

function sweepBody(state) {
  if (state.swPreset) return state.swPreset;
  const opt = page.catalogue.optimizers.find((o) => o.id === state.swOpt);
  const y = sweepY(state);
  const spec = opt.params.find((p) => p.name === y);
  const yParam = y === "batch_size" ? { name: "batch_size", values: [1, 4, 16, 64, 256, 1000] }
    : { name: y, min: spec.min, max: Math.min(0.999, spec.max ?? 1), n: 12 };
  return { surface: state.swSurface, steps: state.swSteps, tolerance: 1e-6, optimizer: opt.id, params: {},
    x_param: { name: "lr", min: 1e-4, max: 1, n: 40, scale: "log" }, y_param: yParam };
}

function nameOf(kind, id) {
  return page.catalogue[kind].find((x) => x.id === id)?.name ?? id;
}

function sweepPreview(state) {
  if (sweepY(state) === undefined) return;
  const body = sweepBody(state);
  const ny = body.y_param.values ? body.y_param.values.length : body.y_param.n;
  $("sw-will").textContent = `${t("lessons.sweep.will", { optimizer: nameOf("optimizers", body.optimizer),
    surface: nameOf("surfaces", body.surface), nx: body.x_param.n, ny, y: paramName(body.y_param.name) })} ${t("lessons.default")}`;
  if (document.body.dataset.sweep === "done") return;
  const lo = Math.log10(body.x_param.min);
  const hi = Math.log10(body.x_param.max);
  const yr = body.y_param.values || [body.y_param.min, body.y_param.max];
  chart($("sw-plot"), [{ type: "scatter", x: [], y: [] }], { ...axisLayout(body),
    xaxis: { ...axisLayout(body).xaxis, range: [lo, hi] },
    yaxis: { ...axisLayout(body).yaxis, range: body.y_param.name === "batch_size" ? [Math.log10(Math.min(...yr)), Math.log10(Math.max(...yr))] : [Math.min(...yr), Math.max(...yr)] },
    showlegend: false });
}

// A lesson's sweep in the tool: its settings in the form, its exact request kept until an edit.
function fillSweepTool(req) {
  store.update({ swSurface: req.surface, swOpt: req.optimizer, swY: req.y_param.name, swSteps: req.steps, swPreset: req });
}

// The tools' forms, drawn from the state (render: when a prop of their tool changed).
const FORMS = {
  sweep(state) {
    const names = sweepAxes(state);
    $("sw-y").replaceChildren(...names.map((n) => el("option", { value: n }, paramName(n))));
    $("sw-y").disabled = !names.length;
    showValues("sweep", { ...state, swY: sweepY(state) ?? "" });
    sweepPreview(state);
  },
  basins(state, prev) {
    showValues("basins", state);
    if (state.bsSurface !== prev.bsSurface || state.bsOpt !== prev.bsOpt) basinPreview(state).catch((e) => console.warn(e.message));
  },
  race(state) {
    showValues("race", state);
    $("rc-open").hidden = true; // a new surface needs a new tuning
    racePreview(state);
  },
};

function showValues(tool, state) {
  for (const p of PROPS) if (p.tool === tool && p.control) $(p.control).value = String(state[p.name]);
}

// A control's edit: its prop, if the control's text gives a value it may take (else the control is
// drawn again from the state); a sweep edit drops the lesson's request, a new optimizer or surface
// the y axis (the first of the new one's).
function edit(p, text) {
  const v = decode(p, text);
  if (v === undefined) { FORMS[p.tool](store.get(), store.get()); return; }
  const change = { [p.name]: v };
  if (p.tool === "sweep") change.swPreset = null;
  if (p.name === "swSurface" || p.name === "swOpt") change.swY = null;
  store.update(change);
}

function toolControls() {
  const option = (x) => el("option", { value: x.id }, x.name);
  $("sw-steps").max = page.limits.max_steps;
  $("sw-surface").replaceChildren(...page.catalogue.surfaces.map(option));
  $("bs-surface").replaceChildren(...basinSurfaces().map(option));
  $("sw-opt").replaceChildren(...lockstep().map(option));
  $("bs-opt").replaceChildren(...lockstep().map(option));
  $("rc-surface").replaceChildren(...page.catalogue.surfaces.map(option));
  for (const p of PROPS) if (p.control) $(p.control).addEventListener("change", (e) => edit(p, e.target.value));
  $("sw-run").addEventListener("click", () => {
    const state = store.get();
    if (sweepY(state) === undefined) { $("sw-error").textContent = t("lessons.no-second"); return; }
    runSweep(sweepBody(state), $("sw-plot")).catch((e) => { $("sw-error").textContent = e.message; });
  });
  $("bs-run").addEventListener("click", () => runBasins(store.get()).catch((e) => { $("bs-error").textContent = e.message; }));
  $("rc-run").addEventListener("click", () => runRace(store.get()).catch((e) => { $("rc-error").textContent = e.message; }));
}

function basinBackground(grid, d) {
  return [
    { type: "contour", x: grid.x, y: grid.y, z: grid.z.map((r) => r.map((v) => (v === null ? null : Math.log10(v + 1e-9)))),
      contours: { coloring: "none" }, line: { color: "rgba(0,0,0,0.35)", width: 0.7 }, ncontours: 25, showscale: false, hoverinfo: "skip" },
    { type: "scatter", mode: "markers", x: d.minima.map((m) => m[0]), y: d.minima.map((m) => m[1]),
      marker: { symbol: "star", size: 14, color: REGIONS.slice(1, d.minima.length + 1), line: { color: "#000", width: 1 } }, hoverinfo: "skip" },
  ];
}

function basinLayout() {
  return { margin: { l: 50, r: 10, t: 10, b: 40 }, showlegend: false,
    xaxis: { title: { text: t("lessons.start-x") } }, yaxis: { title: { text: t("lessons.start-y"), scaleanchor: "x" } } };
}

async function basinPreview(state) {
  const surface = page.catalogue.surfaces.find((s) => s.id === state.bsSurface);
  $("bs-will").textContent = `${t("lessons.basins.will", { optimizer: nameOf("optimizers", state.bsOpt), surface: surface.name })} ${t("lessons.default")}`;
  if (document.body.dataset.basins === "done") return;
  const grid = await getGrid(surface.id, 80);
  await chart($("bs-plot"), basinBackground(grid, surface), basinLayout());
}

async function runBasins(state) {
  $("bs-error").textContent = "";
  const surface = state.bsSurface;
  const body = { surface, optimizer: state.bsOpt, params: { lr: state.bsLr }, steps: 1500, tolerance: 1e-6, n: 60 };
  const [grid, d] = await Promise.all([getGrid(surface, 100), getBasins(body)]);
  const scale = REGIONS.map((c, i) => [[i / REGIONS.length, c], [(i + 1) / REGIONS.length, c]]).flat();
  await chart($("bs-plot"), [
    { type: "heatmap", x: d.x, y: d.y, z: d.minimum.map((row) => row.map((v) => v + 1)), zmin: -0.5, zmax: REGIONS.length - 0.5,
      colorscale: scale, showscale: false, hovertemplate: "(%{x:.3g}, %{y:.3g}) → %{z}<extra></extra>" },
    ...basinBackground(grid, d),
  ], basinLayout());
  document.body.dataset.basins = "done";
}

// --- fair race -----------------------------------------------------------------------------------

const RACERS = ["gd", "momentum", "nesterov", "rmsprop", "adam"];
const RACE_BATCH = 32; // dataset surfaces race with mini-batches: noisy, so judged over several seeds
const RACE_SEEDS = 5;

function racePreview(state) {
  $("rc-will").textContent = `${t("lessons.race.will", { optimizers: RACERS.map((o) => nameOf("optimizers", o)).join(", "),
    surface: nameOf("surfaces", state.rcSurface) })} ${t("lessons.default")}`;
  if (document.body.dataset.race === "done") return;
  chart($("rc-plot"), [{ type: "scatter", x: [], y: [] }], { margin: { l: 60, r: 10, t: 10, b: 45 },
    xaxis: { type: "log", range: [-4, 0], title: { text: t("lessons.lr") } }, yaxis: { type: "log", exponentformat: "power", title: { text: t("lessons.final-loss-axis") } },
    showlegend: false });
}

async function runRace(state) {
  $("rc-error").textContent = "";
  $("rc-open").hidden = true;
  const surface = page.catalogue.surfaces.find((x) => x.id === state.rcSurface);
  const body = { surface: surface.id, optimizers: RACERS, steps: 500, n: 25, tolerance: 0 };
  if (surface.kind === "dataset") Object.assign(body, { batch_size: RACE_BATCH, seeds: RACE_SEEDS }); // noisy: median of seeds
  const d = await getRace(body);
  const styles = runStyles(d.curves.map((c) => ({ optimizer: c.optimizer })));
  const traces = [];
  d.curves.forEach((c, i) => {
    if (!c.spread) return; // noisy runs: the band from the lowest to the highest final loss over the seeds
    const keep = c.spread.map((sp, k) => (sp ? k : -1)).filter((k) => k >= 0);
    traces.push({ x: keep.map((k) => c.lrs[k]), y: keep.map((k) => c.spread[k][0]), mode: "lines", line: { width: 0 },
      showlegend: false, hoverinfo: "skip" });
    traces.push({ x: keep.map((k) => c.lrs[k]), y: keep.map((k) => c.spread[k][1]), mode: "lines", line: { width: 0 },
      fill: "tonexty", fillcolor: `${styles[i].color}33`, showlegend: false, hoverinfo: "skip" });
  });
  d.curves.forEach((c, i) => traces.push({ x: c.lrs, y: c.final_loss, mode: "lines+markers", line: { color: styles[i].color },
    name: t("lessons.race.best", { name: nameOf("optimizers", c.optimizer), lr: c.best_lr.toPrecision(3) }), marker: { size: 4 } }));
  d.curves.forEach((c, i) => traces.push({ x: [c.best_lr], y: [c.final_loss[c.best_index]], mode: "markers", showlegend: false,
    marker: { size: 12, symbol: "circle-open", color: styles[i].color, line: { width: 2 } }, hoverinfo: "skip" }));
  await chart($("rc-plot"), traces, { margin: { l: 60, r: 10, t: 10, b: 45 },
    xaxis: { type: "log", title: { text: t("lessons.lr") } }, yaxis: { type: "log", exponentformat: "power", title: { text: t("lessons.final-loss-axis") } },
    legend: { orientation: "h", y: -0.28 } });
  const notes = d.noisy ? [t("lessons.race.noisy", { seeds: d.seeds.length, batch: RACE_BATCH })] : [];
  for (const c of d.curves) {
    const name = nameOf("optimizers", c.optimizer);
    if (c.extended) notes.push(t("lessons.race.extended", { name, side: t(`lessons.race.side-${c.extended}`) }));
    if (c.at_edge) notes.push(t(`lessons.race.edge-${c.at_edge}`, { name }));
  }
  $("rc-notes").replaceChildren(...notes.map((n) => el("li", {}, n)));
  $("rc-open").href = studioLink(d.request);
  $("rc-open").hidden = false;
  document.body.dataset.race = "done";
}

// --- start ---------------------------------------------------------------------------------------

function narrow() { return window.matchMedia("(max-width: 900px)").matches; }

// What the store renders: the lesson, the EWA explorer, the schedules' charts, the tools' forms (each
// only when its part of the state changed; `meta` says which schedule's settings did).
function render(state, prev, meta) {
  const changed = (k) => !same(state[k], prev[k]); // (the store's updates are copies)
  if (changed("scenario")) showScenario(state.scenario).catch((e) => console.warn(e));
  for (const [tool, draw] of Object.entries(FORMS)) if (PROPS.some((p) => p.tool === tool && changed(p.name))) draw(state, prev);
  const ewa = ["ewaBetas", "ewaBias", "ewaSeries"].some(changed);
  if (ewa && meta.keep !== "ewa") ewaControls(state);
  if (ewa) drawEwaSoon(meta.typing ? 300 : 0);
  if (changed("shown")) buildScheduleGrid(state).catch((e) => console.warn(e.message));
  else if (meta.schedule) {
    const s = page.catalogue.schedules.find((x) => x.id === meta.schedule);
    drawSchedule(s, state.schedules[s.id]).catch((e) => console.warn(e.message));
  }
}

async function main() {
  const [chosen, limits, permalink] = await Promise.all([loadMessages(), getLimits(), getPermalink()]);
  useServer(limits, permalink); // the studio links' hash
  translatePage();
  const [catalogue, scenarios] = await Promise.all([getCatalogue(chosen), getScenarios(chosen)]);
  Object.assign(page, { catalogue, scenarios, limits });
  $("nav-studio").href = `./#lang=${chosen}`;
  $("lang-switch").addEventListener("click", () => {
    const next = nextLang();
    setLang(next);
    const url = new URL(location.href);
    url.searchParams.set("lang", next);
    location.href = url.toString();
  });
  // a network lesson is drawn by the networks page (it reads #lesson=<id>)
  const lessonLink = (s) => (s.kind === "network" ? networkLesson(s.id) : `#scenario=${s.id}`);
  $("scenario-list").replaceChildren(...page.scenarios.map((s) => el("li", {},
    el("a", { href: lessonLink(s), "data-id": s.id, "data-kind": s.kind }, s.title))));
  $("scenario-list").addEventListener("click", (ev) => {
    const a = ev.target.closest("a[data-id]");
    if (a && narrow()) setTimeout(() => $("scenario").scrollIntoView({ behavior: "smooth", block: "start" }), 0);
  });
  // the controls write the store; the links write the URL, which writes the store
  $("ewa-bias").addEventListener("change", (e) => store.update({ ewaBias: e.target.checked }));
  $("ewa-series").addEventListener("input", (e) => store.update({ ewaSeries: e.target.value }, { keep: "ewa", typing: true }));
  const fromUrl = (d, link) => { Object.assign(d, link, { swPreset: null }); d.scenario ||= page.scenarios[0].id; };
  const url = createUrlSync(store, (link) => store.update((d) => { fromUrl(d, link); }, { source: "url" }), codec);
  store.update((d) => {
    fromUrl(d, url.read());
    for (const s of page.catalogue.schedules) d.schedules[s.id] ||= scheduleDefaults(s);
  }, { source: "url" });
  const state = store.get();
  toolControls();
  schedulePicker();
  ewaControls(state);
  for (const draw of Object.values(FORMS)) draw(state, {});
  store.subscribe(render);
  await Promise.all([showScenario(state.scenario), drawEwa(state), buildScheduleGrid(state)]);
  document.body.dataset.ready = "1";
}

main().catch((err) => { document.body.dataset.error = String(err); console.warn(err); });
