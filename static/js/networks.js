// The network page (issue 19): a small network trained with several optimizers from one init, every
// path on one plane of parameter space, how faithful that plane is, the decision boundaries and the
// curves, all driven by one timeline. As in the studio: the state lives in one store (the controls
// write it, the URL hash is its permalink, everything renders from it); what the server answered
// lives in `net.result` (assembled from the stream); HTTP goes through api.js, Plotly through
// network_plots.js; texts, limits and choices come from the server.
import { ApiError, getCatalogue, getLessonSeeds, getLimits, getNetworkCatalogue, getNetworkPlane, getNetworkScript,
  getPermalink, getScenarios, streamNetwork, tuneNetwork } from "./api.js";
import { runColors } from "./colors.js";
import { el, fromSlider, paramControl } from "./controls.js";
import { fmt, numText, runLabel } from "./format.js";
import { lang, loadMessages, nextLang, setLang, t, translatePage } from "./i18n.js";
import { accuracy, boundaryGrid, dataBox } from "./network_mlp.js";
import * as plots from "./network_plots.js";
import { clearPreview, drawPreview, viridisCells } from "./preview.js";
import { DEFAULT_LESSON, NET_PROPS, check, deserializeNet, lessonOf, lessonState, planeKey, serializeNet, toNetRequest,
  trainingKey, useLessons, useNetworkServer, useOptimizers } from "./network_state.js";
import { Player } from "./player.js";
import { switchLink, switchPoint, switchSection, switchSummary } from "./switch_card.js";
import { loadPlotly, plotlyLoaded } from "./plots.js";
import { normalizeRun, useServer, validColor } from "./state.js";
import { createStore, getPath, setPath } from "./store.js";
import { createUrlSync } from "./url.js";

const $ = (id) => document.getElementById(id);
// Plotly (4.6 MB, preloaded by the page) runs once the training request is on its way: the server
// trains while the browser parses it, and parsing it does not hold up the few small requests (limits,
// messages, catalogues, lessons) that the training request waits for
let plotlyReady = null;
// Plotly parses as soon as the stream shows the runs training (they take a while: the server trains
// while the browser parses), or at the plane when the runs come already trained (the lesson warmed at
// start-up: the plane follows within a few hundred ms and is drawn first), at the latest this long
// after the training request is sent
const PLOTLY_AFTER_MS = 1500;
let plotlyParsed;
const plotlyThere = new Promise((resolve) => { plotlyParsed = resolve; }); // waits, without asking for it
const plotly = () => (plotlyReady ||= loadPlotly().then(() => {
  net.times ||= {};
  net.times.plotly ??= Math.round(performance.now());
  plotlyParsed();
}));
const BOUNDARY_N = 61; // grid points per axis of a decision boundary (computed here, not a server limit)
// "Tune α" (as the studio's "tune α for this surface"): rates per run and seeds of the batch order
const TUNE = { n: 9, seeds: 3 };
const PLANE_PROPS = new Set(["plane", "planeN", "planeRun", "planeSeed"]); // switching them keeps a lesson

// what the page holds: the catalogues, the limits, the store, and the server's answer being assembled
const net = { catalogue: null, optimizers: null, limits: null, store: null, player: null,
  result: null, request: null, sent: { train: 0, plane: 0 }, seeds: {}, tunes: 0, tune: null, events: {}, streaming: false, phase: "idle", progress: 0, trainKey: null, planeKey: null, abort: null, planeAbort: null, follow: true };
window.optivizNetworks = net; // for tests and the console
Object.defineProperty(net, "state", { get: () => net.store?.get() });

const ids = (list) => (list || []).map((x) => (typeof x === "string" ? { id: x } : x));
// a catalogue entry's texts: the server's, in the page's language (the catalogue is asked in it)
const nameOf = (item) => item.name || item.id;
const descOf = (item) => item.description || "";

// --- derived views ---------------------------------------------------------------------------------

const nTrain = () => net.result?.data?.train?.x?.length ?? 0;
// the training samples a state asks for (the data set holds out round(test_fraction · samples))
const trainSize = (state) => state.samples - Math.round(state.testFraction * state.samples);
// updates per epoch of run i: ⌈train samples / batch size⌉ (full batch: 1)
function perEpoch(i) {
  const n = nTrain();
  const bs = net.store.get().runs[i]?.batch_size;
  return n ? Math.ceil(n / Math.min(bs || n, n)) : 1;
}
const epochOf = (i, step) => step / perEpoch(i);
// updates per epoch of a run on m training samples (before any answer: from the state)
const updatesPerEpoch = (run, m) => Math.ceil(m / Math.min(run.batch_size || m, m));

const registryColor = (id) => net.optimizers.find((o) => o.id === id)?.color || "#000000";

// every run its own colour, the optimizer in its dash: the studio's and the lessons' rule (colors.js)
const looks = (state) => runColors(state.runs, registryColor, net.runColors);

const pseudoSurface = () => ({ dataset: { m: nTrain() || undefined } });
const labels = (state) => state.runs.map((r) => runLabel(r, { optimizers: net.optimizers, schedules: net.schedules }, pseudoSurface()));

// The last recorded path point of run i at epoch e (binary search over its update indices).
function pathIndex(i, e) {
  const r = net.result?.runs?.[i];
  const steps = r?.path?.step;
  if (!steps?.length) return -1;
  const s = Math.min(e * perEpoch(i), r.steps_taken ?? Infinity);
  let lo = 0;
  let hi = steps.length - 1;
  while (lo < hi) { const mid = (lo + hi + 1) >> 1; if (steps[mid] <= s) lo = mid; else hi = mid - 1; }
  return lo;
}

// The optimizer switches of the runs trained: [{ run, k (the update), next (the optimizer after it) }];
// the answer's `switches` (the updates at which a later link took over) once it has them, else the
// milestones of the chain sent.
function switchesTrained() {
  return (net.request?.runs || []).flatMap((r, i) => {
    const later = (r.optimizers || []).slice(1);
    const took = net.result?.runs?.[i]?.switches;
    return later.map((l, j) => ({ run: i, k: Array.isArray(took) && took[j] !== undefined ? took[j] : l.milestone, next: l.optimizer }));
  });
}

// Each switch on the landscape: the recorded point of its run's path at the switch's update, or the
// last one before it (`path.step` lists the updates recorded).
function switchPoints(lab) {
  return switchesTrained().flatMap((w) => {
    const path = net.result.runs[w.run]?.path;
    if (!path?.a || !path.step?.length) return [];
    let j = -1;
    path.step.forEach((s, q) => { if (s <= w.k) j = q; });
    if (j < 0) return [];
    const e = fmt(epochOf(w.run, w.k), 3);
    return [{ run: w.run, a: path.a[j], b: path.b[j], k: w.k, step: path.step[j],
      text: [t("netsw.hover", { label: lab[w.run], next: optName(w.next), k: w.k, e }), t("netsw.hover_at", { s: path.step[j] })] }];
  });
}

// Each switch on the per-epoch charts: a dashed line at its epoch in the run's colour.
const switchMarks = (lk) => switchesTrained().map((w) => ({ run: w.run, epoch: epochOf(w.run, w.k), color: lk[w.run].color,
  text: t("netsw.line", { next: optName(w.next) }) }));

// --- the model: the server's answer, assembled from the stream (the JSON answer's shape) --------------

function emptyRun() {
  return { train_loss: [], test_loss: [], train_accuracy: [], test_accuracy: [], batch_loss: [], lr: [], path: { step: [], params: [] } };
}

const SERIES = ["train_loss", "test_loss", "train_accuracy", "test_accuracy", "batch_loss", "lr"];
const PLANE_FIELDS = ["a", "b", "loss", "plane_loss", "off_plane"];

function onMeta(data) {
  const res = net.result;
  for (const k of ["parameters", "layout", "data", "init"]) if (data[k] !== undefined) res[k] = data[k];
  const runs = data.runs || data.request?.runs || [];
  runs.forEach((r, i) => { Object.assign(res.runs[i] ||= emptyRun(), { label: r.label, optimizer: r.optimizer, params: r.params }); });
}

function onEpochs(data) {
  const r = (net.result.runs[data.run] ||= emptyRun());
  for (const k of SERIES) if (Array.isArray(data[k])) r[k].push(...data[k]);
  const path = data.path || data;
  if (Array.isArray(path.step) && Array.isArray(path.params)) {
    // a slice may repeat the last recorded point (e.g. `running` → final): keep one per update index
    path.step.forEach((s, k) => {
      const at = r.path.step.length - 1;
      if (at >= 0 && r.path.step[at] === s) r.path.params[at] = path.params[k];
      else { r.path.step.push(s); r.path.params.push(path.params[k]); }
    });
  }
  if (data.steps_taken !== undefined) r.steps_taken = data.steps_taken;
  if (data.status !== undefined) r.status = data.status;
}

// The plane part of an answer (the stream's `plane` event, or POST …/networks/plane): the plane,
// and each run's path coordinates and `captured`.
function applyPlane(data) {
  const res = net.result;
  res.plane = data.plane;
  const runs = data.runs || (data.paths || []).map((p, i) => ({ path: p, captured: data.captured?.[i] }));
  runs.forEach((pr, i) => {
    const r = (res.runs[i] ||= emptyRun());
    const path = pr.path || pr;
    for (const k of [...PLANE_FIELDS, "step"]) if (Array.isArray(path[k])) r.path[k] = path[k];
    if (Array.isArray(path.params)) r.path.params = path.params;
    for (const [k, v] of Object.entries(pr)) if (k !== "path") r[k] = v;
  });
}

function onDone(data) {
  (data.runs || []).forEach((d, i) => { Object.assign(net.result.runs[i] ||= emptyRun(), d); });
}

// --- training and planes ----------------------------------------------------------------------------

// The plane, drawn at once on a canvas while Plotly is not there yet; then Plotly is parsed.
function preview() {
  if (!plotlyLoaded() && net.firstPreview === undefined) {
    const lk = looks(net.store.get());
    const { a, b, loss } = net.result.plane;
    drawPreview($("net-land-preview"), { x: a, y: b, cells: viridisCells(loss),
      paths: net.result.runs.map((r, i) => ({ x: r.path.a, y: r.path.b, color: lk[i].color })) });
    $("net-land-wait").hidden = true;
    net.firstPreview = performance.now(); // ms from the navigation's start (bench/network_browser.py)
  }
  plotly();
}

async function train(state) {
  net.abort?.abort();
  net.planeAbort?.abort();
  const ctrl = new AbortController();
  net.abort = ctrl;
  net.trainKey = trainingKey(state);
  net.planeKey = planeKey(state);
  net.result = { runs: state.runs.map(emptyRun), plane: null };
  net.phase = "train";
  net.progress = 0;
  net.error = "";
  net.follow = true;
  net.player.pause();
  net.player.reset(state.epochs);
  $("net-error").textContent = "";
  document.body.dataset.ready = "0";
  drawAll();
  net.request = toNetRequest(state);
  const streamed = planeKey(state); // the plane the stream computes (another one asked meanwhile: after it)
  net.streaming = true;
  net.sent.train += 1;
  net.events = {}; // the stream's events by name (what arrived, for tests and the console)
  net.times = { sent: Math.round(performance.now()) }; // when each kind first arrived (ms since opening)
  try {
    const answer = streamNetwork(net.request, (name, data) => {
      if (ctrl.signal.aborted) return;
      net.events[name] = (net.events[name] || 0) + 1;
      net.times[name] ??= Math.round(performance.now());
      if (name === "meta") onMeta(data);
      else if (name === "progress") { net.phase = data.phase || net.phase; net.progress = data.fraction ?? net.progress; net.epochDone = data.epoch; }
      else if (name === "epochs") {
        onEpochs(data);
        if (net.result.runs[data.run].train_loss.length <= state.epochs) plotly(); // still training
      }
      else if (name === "plane") {
        if (planeKey(net.store.get()) === streamed) { applyPlane(data); preview(); }
        net.phase = "plane-done";
      }
      else if (name === "done") onDone(data);
      else if (name === "error") throw new ApiError(500, data.detail);
      available();
      schedule();
    }, ctrl.signal);
    setTimeout(plotly, PLOTLY_AFTER_MS); // the request is sent (fetch is called at once)
    await answer;
    if (ctrl.signal.aborted) return;
    net.streaming = false;
    net.phase = "done";
    net.progress = 1;
    available(true);
    net.player.play();
    if (planeKey(net.store.get()) !== streamed) switchPlane(net.store.get());
  } catch (err) {
    if (err.name === "AbortError" || ctrl.signal.aborted) return;
    net.streaming = false;
    net.phase = "error";
    $("net-error").textContent = err.message;
  }
  schedule();
}

async function switchPlane(state) {
  net.planeAbort?.abort();
  const ctrl = new AbortController();
  net.planeAbort = ctrl;
  net.planeKey = planeKey(state);
  net.phase = "plane";
  document.body.dataset.ready = "0";
  schedule();
  try {
    net.request = toNetRequest(state);
    net.sent.plane += 1;
    const data = await getNetworkPlane(net.request, ctrl.signal);
    if (ctrl.signal.aborted) return;
    applyPlane(data);
    net.phase = "done";
    $("net-error").textContent = "";
  } catch (err) {
    if (err.name === "AbortError" || ctrl.signal.aborted) return;
    net.phase = "error";
    $("net-error").textContent = err.message;
  }
  schedule(true);
}

// The epochs every run has reached so far: the timeline's end.
function available(complete = false) {
  const res = net.result;
  const n = res.runs.length ? Math.min(...res.runs.map((r) => r.train_loss.length - 1)) : 0;
  net.player.setAvailable(Math.max(0, n), complete);
  if (net.follow && !net.player.playing) net.player.it = Math.max(0, n);
}

function onState(state, prev, meta) {
  if (!prev || trainingKey(state) !== net.trainKey) { train(state); return; }
  if (planeKey(state) !== net.planeKey && !net.streaming) { switchPlane(state); return; } // while streaming: after it
  if (meta.source !== "frame") schedule(true);
}

// --- rendering: one frame at a time (requestAnimationFrame), everything from the store and the model --

// While the runs stream in, a frame is drawn at most every TRAIN_FRAME_MS: between frames the page
// reads the stream, so its plane reaches the landscape sooner (the first landscape within 2 s).
const TRAIN_FRAME_MS = 150;
let queued = false;
let full = false;
let lastFrame = -Infinity;
function schedule(redraw = false) {
  full ||= redraw;
  if (queued) return;
  queued = true;
  const frame = () => requestAnimationFrame(() => {
    queued = false;
    if (!plotlyLoaded()) { plotlyThere.then(() => schedule(true)); return; }
    const f = full;
    full = false;
    lastFrame = performance.now();
    render(f);
  });
  const wait = net.phase === "train" ? lastFrame + TRAIN_FRAME_MS - performance.now() : 0;
  if (wait > 0) setTimeout(frame, wait);
  else frame();
}
const drawAll = () => schedule(true);

function renderControls(state) {
  const c = net.catalogue;
  const active = document.activeElement;
  const fill = (id, list, value) => {
    const node = $(id);
    const key = JSON.stringify([lang(), list.map((x) => x.id)]);
    if (node.dataset.key !== key) {
      node.replaceChildren(...list.map((x) => el("option", { value: x.id, title: descOf(x) || undefined }, nameOf(x))));
      node.dataset.key = key;
    }
    if (node !== active) node.value = value;
  };
  fill("net-dataset", ids(c.data_sets), state.dataset);
  fill("net-act", ids(c.activations), state.activation);
  fill("net-init", ids(c.inits), state.init);
  fill("net-plane", ids(c.planes), state.plane);
  $("net-dataset-desc").textContent = descOf(ids(c.data_sets).find((d) => d.id === state.dataset) || {});
  const plane = ids(c.planes).find((p) => p.id === state.plane) || {};
  $("net-plane-desc").textContent = descOf(plane);
  $("net-plane-run-row").hidden = !plane.uses_run; // line, hessian: the plane of one run
  const lab = labels(state);
  const runSel = $("net-plane-run");
  runSel.replaceChildren(...lab.map((l, i) => el("option", { value: i, selected: i === state.planeRun }, `${i + 1}. ${l}`)));
  const put = (id, v) => { if ($(id) !== active && $(id).value !== String(v)) $(id).value = v; };
  put("net-samples", state.samples);
  put("net-noise", state.noise);
  put("net-tf", state.testFraction);
  put("net-dseed", state.dataSeed);
  put("net-hidden", state.hidden.join(", "));
  put("net-mseed", state.modelSeed);
  put("net-epochs", state.epochs);
  put("net-seed", state.seed);
  put("net-plane-n", state.planeN);
  put("net-plane-seed", state.planeSeed);
  $("net-add-run").disabled = state.runs.length >= net.limits.max_runs;
  $("net-tune").title = t("netx.tune.title", TUNE);
  renderRuns(state);
}

// --- run cards (optimizer, its hyperparameters, batch size, schedule), as the studio's ---------------

let cardsKey = "";
function renderRuns(state) {
  const key = JSON.stringify([lang(), state.runs.map((r) => [r.optimizer, r.schedule?.name, r.color, (r.links || []).map((l) => l.optimizer)]),
    trainSize(state), state.runs.some((r) => r.links?.length) ? state.epochs : 0]); // a switch's epoch is within the run's
  const box = $("net-runs");
  if (key === cardsKey) { syncRunFields(box, state); return; }
  cardsKey = key;
  const focused = document.activeElement?.dataset?.path;
  const lk = looks(state);
  box.replaceChildren(...state.runs.map((r, i) => runCard(r, i, lk[i], state)));
  if (focused) box.querySelector(`[data-path="${CSS.escape(focused)}"]`)?.focus();
}

// --- a run card's optimizer switches (the studio's section, switch_card.js), placed at an epoch: the
// request counts them in updates (milestone = epoch × updates per epoch of that run); no SWATS here
// (the API runs it on the surfaces only)

const runPerEpoch = (run, state) => updatesPerEpoch(run, trainSize(state));
const epochMark = (run, state) => (l, name) => t("netsw.label", { name, e: fmt(l.milestone / runPerEpoch(run, state), 3) });
const switchText = (run, state = net.store.get()) => switchSummary(run, optName, epochMark(run, state));
// "then Momentum from update 380 (epoch 20), fresh state, α = 0.02"
const switchLine = (run, l, state) => t("netx.run.switch", { name: optName(l.optimizer), update: l.milestone,
  epoch: fmt(l.milestone / runPerEpoch(run, state), 3), lr: l.params.lr ?? "—" });

// the epoch the run's last switch is at (0: none)
const lastSwitchEpoch = (run, state) => (run.links?.length ? Math.round(run.links[run.links.length - 1].milestone / runPerEpoch(run, state)) : 0);
// room for one more switch: fewer optimizers than the server allows, an epoch left after the last switch
const canSwitch = (run, state) => (run.links?.length || 0) + 1 < net.limits.max_optimizer_links && lastSwitchEpoch(run, state) < state.epochs - 1;

function epochLink(run, link, k, i, state) {
  const per = runPerEpoch(run, state);
  const last = Math.max(1, state.epochs - 1);
  const spec = { name: "milestone", type: "int", default: 1, min: 1, max: last, slider_min: 1, slider_max: last, scale: "linear",
    description: t("netsw.epoch_desc", { per }) };
  const placement = [
    paramControl(spec, Math.round(link.milestone / per), null, `net-run${i}-w${k}`, { path: `runs.${i}.links.${k}.epoch`, label: t("netsw.epoch") }),
    el("p", { class: "hint net-run-switch", dataset: { milestone: link.milestone, link: k } }, switchLine(run, link, state))];
  return switchLink({ link, k, i, optimizers: net.optimizers, placement });
}

function runCard(run, i, look, state) {
  const opt = net.optimizers.find((o) => o.id === run.optimizer) || net.optimizers[0];
  const p = `runs.${i}`;
  const n = i + 1;
  const swatch = el("span", { class: "swatch", "aria-hidden": "true" });
  swatch.style.background = look.color;
  const head = el("div", { class: "run-head" }, swatch,
    el("select", { class: "opt-select", "aria-label": t("net.run.optimizer", { n }), dataset: { path: `${p}.optimizer`, type: "choice" } },
      net.optimizers.map((o) => el("option", { value: o.id, selected: o.id === opt.id }, o.name))),
    el("input", { type: "color", value: look.color, "aria-label": t("net.run.colour", { n }), dataset: { path: `${p}.color`, type: "color" } }),
    el("button", { type: "button", "aria-label": t("net.run.remove", { n }), title: t("net.run.remove", { n }), dataset: { action: "remove", run: i },
      disabled: state.runs.length <= 1 }, "×"));
  const params = opt.params.map((spec) => paramControl(spec, run.params[spec.name], null, `net-run${i}`, { path: `${p}.params.${spec.name}` }));
  const m = trainSize(state);
  const batch = paramControl({ name: "batch_size", type: "int", default: m, min: 1, max: m, scale: "log", description: t("net.run.batch_desc", { m }) },
    run.batch_size || m, null, `net-run${i}`, { path: `${p}.batch_size`, label: t("net.run.batch") });
  const sched = run.schedule || { name: "constant", params: {}, warmup_steps: 0, per: "step" };
  const sspec = net.schedules.find((s) => s.id === sched.name) || net.schedules[0];
  return el("fieldset", { class: "run-card", "data-run": i },
    el("legend", { class: "sr-only" }, t("net.run.legend", { n })),
    head,
    el("div", { class: "formula", title: opt.convention || "" }, opt.formula),
    el("div", { class: "params" }, params, batch),
    switchSection({ i, summary: switchText(run), links: (run.links || []).map((l, k) => epochLink(run, l, k, i, state)),
      full: !canSwitch(run, state), limit: net.limits.max_optimizer_links,
      title: t("netsw.add_title") }),
    el("details", { class: "sched", open: sched.name !== "constant" || undefined },
      el("summary", {}, t("net.run.schedule_summary", { name: sspec.name })),
      el("div", { class: "param" }, el("label", { for: `net-run${i}-sched` }, t("net.run.schedule")),
        el("select", { id: `net-run${i}-sched`, dataset: { path: `${p}.schedule.name`, type: "choice" } },
          net.schedules.filter((s) => !s.reads_loss).map((s) => el("option", { value: s.id, selected: s.id === sspec.id }, s.name)))),
      el("div", { class: "formula" }, sspec.formula),
      sspec.params.map((spec) => paramControl(spec, sched.params[spec.name], null, `net-run${i}-s`, { path: `${p}.schedule.params.${spec.name}` })),
      el("div", { class: "param" }, el("label", { for: `net-run${i}-per` }, t("net.run.count_in")),
        el("select", { id: `net-run${i}-per`, dataset: { path: `${p}.schedule.per`, type: "choice" } },
          ["step", "epoch"].map((v) => el("option", { value: v, selected: v === sched.per }, t(`net.run.per_${v}`)))))),
    el("div", { class: "status", "data-status": i }, ""));
}

// a card field's value in the state (a switch's epoch: its milestone in that run's epochs)
function fieldValue(state, path) {
  const m = /^runs\.(\d+)\.links\.(\d+)\.epoch$/.exec(path);
  if (!m) return getPath(state, path);
  const run = state.runs[+m[1]];
  const link = run?.links?.[+m[2]];
  return link ? Math.round(link.milestone / runPerEpoch(run, state)) : undefined;
}

function syncRunFields(box, state) {
  const active = document.activeElement;
  state.runs.forEach((run, i) => {
    const card = box.querySelector(`[data-run="${i}"]`);
    const summary = card?.querySelector(".switch summary");
    if (summary) summary.textContent = switchText(run, state);
    const add = card?.querySelector(".switch-add");
    if (add) add.disabled = !canSwitch(run, state);
    (run.links || []).forEach((l, k) => {
      const line = card?.querySelector(`.net-run-switch[data-link="${k}"]`);
      if (line) { line.textContent = switchLine(run, l, state); line.dataset.milestone = l.milestone; }
    });
  });
  for (const node of box.querySelectorAll("[data-path]")) {
    if (node === active || node.type === "range") continue;
    const v = fieldValue(state, node.dataset.path);
    if (v === undefined || v === null) continue;
    const text = node.type === "number" ? numText(v) : String(v);
    if (node.type === "checkbox") node.checked = !!v;
    else if (node.value !== text && Number(node.value) !== v) node.value = text;
  }
}

function writeRun(path, value, meta = {}) {
  net.store.update((d) => {
    const m = /^runs\.(\d+)\.(.+)$/.exec(path);
    const run = m && d.runs[+m[1]];
    if (!run) return;
    const rest = m[2];
    d.lesson = null; // an edit leaves the lesson (its permalink is the state's own hash)
    if (rest === "optimizer") { run.optimizer = value; run.params = run.params.lr !== undefined ? { lr: run.params.lr } : {}; return; }
    const link = /^links\.(\d+)\.(epoch|optimizer)$/.exec(rest);
    if (link && run.links?.[+link[1]]) {
      const l = run.links[+link[1]];
      if (link[2] === "epoch") l.milestone = value * runPerEpoch(run, d); // the request counts updates
      else { l.optimizer = value; l.params = l.params.lr !== undefined ? { lr: l.params.lr } : {}; }
      return;
    }
    if (rest === "batch_size" && run.links?.length) { // a switch stays at its epoch: its update follows the epoch's length
      const before = runPerEpoch(run, d);
      const after = runPerEpoch({ ...run, batch_size: value }, d);
      for (const l of run.links) l.milestone = Math.max(1, Math.round(l.milestone / before)) * after;
    }
    if (rest.startsWith("schedule.")) {
      run.schedule ||= { name: "constant", params: {}, warmup_steps: 0, per: "step" };
      if (rest === "schedule.name") run.schedule.params = {};
    }
    if (rest === "color") value = validColor(value);
    setPath(run, rest, value);
  }, meta);
}

function bindRunCards() {
  const box = $("net-runs");
  const onField = (e) => {
    const node = e.target;
    const path = node.dataset.path || node.dataset.sliderFor;
    if (!path) return;
    if (node.dataset.sliderFor) {
      const number = node.parentElement.querySelector("input[type=number]");
      const v = fromSlider(node._spec, +node.value);
      if (number) number.value = numText(v);
      writeRun(path, v, { live: true });
      return;
    }
    let v = node.value;
    if (node.dataset.type === "float" || node.dataset.type === "int") {
      v = node.dataset.type === "int" ? Number(v) : parseFloat(v);
      const spec = node._spec;
      const ok = Number.isFinite(v) && (spec?.type !== "int" || Number.isInteger(v)) && (spec?.min == null || v >= spec.min) && (spec?.max == null || v <= spec.max);
      node.toggleAttribute("aria-invalid", !ok);
      if (!ok) return;
    }
    writeRun(path, v);
  };
  box.addEventListener("change", onField);
  box.addEventListener("input", (e) => { if (e.target.matches("input[type=range]")) onField(e); });
  box.addEventListener("click", (e) => {
    const b = e.target.closest("button[data-action]");
    if (!b) return;
    const i = +b.dataset.run;
    net.store.update((d) => {
      const run = d.runs[i];
      if (!run) return;
      d.lesson = null;
      if (b.dataset.action === "remove" && d.runs.length > 1) d.runs.splice(i, 1);
      else if (b.dataset.action === "switch-add" && canSwitch(run, d)) {
        // one more optimizer from a later epoch (halfway to the end): another of the page's, at its own default rate
        const prev = lastSwitchEpoch(run, d);
        const links = (run.links ||= []);
        const per = runPerEpoch(run, d);
        const opt = net.optimizers.find((o) => o.id !== (links.length ? links[links.length - 1].optimizer : run.optimizer)) || net.optimizers[0];
        const lr = opt.params.find((q) => q.name === "lr")?.default;
        links.push({ milestone: switchPoint(prev, d.epochs) * per, optimizer: opt.id, params: lr !== undefined ? { lr } : {} });
      } else if (b.dataset.action === "switch-remove") run.links?.splice(+b.dataset.link, 1);
      d.planeRun = Math.min(d.planeRun, d.runs.length - 1);
    });
  });
}

// --- the views -------------------------------------------------------------------------------------

function renderFrame(state) {
  const e = net.player.it;
  const total = net.player.total || state.epochs;
  const scrub = $("net-scrub");
  scrub.max = String(net.player.max);
  if (document.activeElement !== scrub) scrub.value = String(e);
  $("net-epoch").textContent = t("net.epoch_of", { e, n: total });
  $("net-play").textContent = t(net.player.playing ? "net.pause" : "net.play");
  $("net-play").setAttribute("aria-pressed", net.player.playing ? "true" : "false");
  const res = net.result;
  const lab = labels(state);
  // the current point of every run on the plane
  if (res?.plane) {
    const pts = res.runs.map((r, i) => { const k = pathIndex(i, e); return k < 0 || !r.path.a ? null : { a: r.path.a[k], b: r.path.b[k] }; });
    plots.moveCurrent($("net-landscape"), pts);
  }
  // the decision boundaries
  if (res?.layout && res?.data) {
    const box = dataBox(res.data);
    const holder = $("net-boundaries");
    res.runs.forEach((r, i) => {
      const k = pathIndex(i, e);
      const theta = k >= 0 ? r.path.params[k] : res.init;
      if (!theta) return;
      const div = holder.querySelector(`[data-boundary="${i}"]`);
      if (!div || div.dataset.at === `${k}:${net.planeKey}`) return;
      // the accuracy of the parameters drawn (a recorded point: not always an epoch's end)
      const acc = accuracy(theta, res.layout, net.request.model.activation, res.data.train.x, res.data.train.y);
      const title = [lab[i], t("net.boundary.run_title", { step: r.path.step[k] ?? 0, acc: acc === undefined || acc === null ? "—" : `${fmt(100 * acc, 3)} %` })];
      const grid = boundaryGrid(theta, res.layout, net.request.model.activation, box, BOUNDARY_N);
      if (div.data) plots.moveBoundary(div, grid, title);
      else plots.drawFigure(div, plots.boundaryFigure(grid, res.data, title, looks(state)[i].color, `b${i}`));
      div.dataset.at = `${k}:${net.planeKey}`;
    });
  }
  for (const id of ["net-curve-loss", "net-curve-acc", "net-curve-batch", "net-fid-chart"]) plots.moveCursor($(id), e);
}

function renderStatus() {
  const bar = $("net-progress");
  bar.value = net.progress;
  const phase = net.phase;
  const key = phase === "train" ? "net.status.training" : phase === "plane" ? "net.status.plane" : phase === "error" ? "net.status.error"
    : phase === "done" ? "net.status.done" : "net.status.plane";
  const st = net.store.get();
  $("net-status").textContent = t(key, { e: net.epochDone ?? 0, n: st.epochs, p: Math.round(100 * net.progress) });
  bar.hidden = phase === "done" || phase === "error";
  document.body.dataset.phase = phase;
}

function renderCurves(state) {
  const res = net.result;
  const lk = looks(state);
  const lab = labels(state);
  const rev = net.trainKey;
  const marks = switchMarks(lk);
  const key = JSON.stringify([lang(), rev, lk, lab, nTrain(), marks]);
  const byEpoch = (i, k) => k;
  const byUpdate = (i, k) => (k + 1) / perEpoch(i);
  plots.growCurves($("net-curve-loss"), plots.curvesFigure(res, lk, lab,
    [{ key: "train_loss", name: t("net.curves.train"), dash: "solid", x: byEpoch }, { key: "test_loss", name: t("net.curves.test"), dash: "dot", x: byEpoch }],
    t("net.curves.loss_title"), { type: "log", title: { text: t("net.plot.loss") } }, rev, true, marks), key);
  plots.growCurves($("net-curve-acc"), plots.curvesFigure(res, lk, lab,
    [{ key: "train_accuracy", name: t("net.curves.train"), dash: "solid", x: byEpoch }, { key: "test_accuracy", name: t("net.curves.test"), dash: "dot", x: byEpoch }],
    t("net.curves.acc_title"), { range: [0, 1.02], tickformat: ".0%", title: { text: t("net.plot.accuracy") } }, rev, false, marks), key);
  plots.growCurves($("net-curve-batch"), plots.curvesFigure(res, lk, lab,
    [{ key: "batch_loss", name: t("net.curves.batch"), width: 1, opacity: 0.6, x: byUpdate }],
    t("net.curves.batch_title"), { type: "log", title: { text: t("net.plot.loss") } }, rev), key);
}

const last = (a) => (a?.length ? a[a.length - 1] : null);
const median = (a) => { const s = [...a].sort((x, y) => x - y); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };

function renderSummary(state) {
  const res = net.result;
  const lab = labels(state);
  const pct = (v) => (v === null || v === undefined ? "—" : `${fmt(100 * v, 3)} %`);
  $("net-summary-body").replaceChildren(...res.runs.map((r, i) => el("tr", { "data-run": i },
    el("td", {}, lab[i]), el("td", {}, r.status ? t(`net.status_run.${r.status}`) : t("net.status_run.running")),
    el("td", {}, String(r.steps_taken ?? r.batch_loss.length)),
    el("td", {}, fmt(last(r.train_loss))), el("td", {}, fmt(last(r.test_loss))),
    el("td", {}, pct(last(r.train_accuracy))), el("td", {}, pct(last(r.test_accuracy))))));
}

// The fidelity panel: plain numbers per run (the server's figures where it gives them), and its
// warnings in words where the picture misleads (catalogue keys with their values).
function fidelity(r) {
  const f = r.fidelity || {};
  const off = (r.path.off_plane || []).filter((v) => v !== null);
  const gaps = (r.path.loss || []).map((v, k) => Math.abs(v - r.path.plane_loss[k])).filter(Number.isFinite);
  return { captured: r.captured ?? null, moved: f.displacement ?? null,
    offMax: f.max_off_plane ?? (off.length ? Math.max(...off) : null), offMedian: off.length ? median(off) : null,
    gapMax: f.max_loss_gap ?? (gaps.length ? Math.max(...gaps) : null), poor: !!f.mostly_off_plane,
    warnings: f.warnings || (f.warning ? [f.warning] : []) };
}

const warningText = (w) => (typeof w === "string" ? w : t(w.key, w.values));

function renderFidelity(state) {
  const res = net.result;
  const lab = labels(state);
  const lk = looks(state);
  const body = $("net-fid-body");
  $("net-fid-table").hidden = !res?.plane;
  if (!res?.plane) {
    body.replaceChildren();
    $("net-warnings").replaceChildren();
    $("net-explained-text").textContent = t("net.fid.waiting");
    plots.purge($("net-explained"));
    plots.purge($("net-fid-chart"));
    $("net-explained").hidden = true;
    return;
  }
  const warnings = [];
  const rows = res.runs.map((r, i) => {
    const f = fidelity(r);
    for (const w of f.warnings) warnings.push(warningText({ ...w, values: { ...w.values, label: lab[i] } })); // the page's label
    const share = (v) => (v === null ? null : el("small", { class: "net-rel" }, f.moved ? t("net.fid.of_move", { p: fmt(100 * v / f.moved, 2) }) : ""));
    const sw = el("span", { class: "swatch", "aria-hidden": "true" });
    sw.style.background = lk[i].color;
    return el("tr", { "data-run": i, class: f.poor ? "net-poor" : "" },
      el("td", {}, sw, lab[i]),
      // data-label: the column's name, shown beside each value when a phone stacks the table
      el("td", { "data-field": "captured", "data-label": t("net.fid.captured") }, f.captured === null ? "—" : `${fmt(100 * f.captured, 3)} %`),
      el("td", { "data-field": "off_max", "data-label": t("net.fid.off_max") }, el("span", {}, fmt(f.offMax, 3), share(f.offMax))),
      el("td", { "data-field": "off_median", "data-label": t("net.fid.off_median") }, el("span", {}, fmt(f.offMedian, 3), share(f.offMedian))),
      el("td", { "data-field": "loss_gap", "data-label": t("net.fid.loss_gap") }, fmt(f.gapMax, 3)));
  });
  body.replaceChildren(...rows);
  for (const w of res.plane.warnings || []) warnings.push(warningText(w));
  $("net-warnings").replaceChildren(...warnings.map((w) => el("li", {}, w)));
  const ex = res.plane.explained;
  $("net-explained").hidden = !ex;
  if (ex) {
    plots.drawFigure($("net-explained"), plots.explainedFigure(res.plane));
    const rw = res.plane.random_walk;
    $("net-explained-text").textContent = Number.isFinite(rw)
      ? t("net.fid.explained", { v: fmt(100 * (ex[0] + ex[1]), 3), rw: fmt(100 * rw, 3) })
      : t("net.fid.explained_only", { v: fmt(100 * (ex[0] + ex[1]), 3) });
  } else {
    plots.purge($("net-explained"));
    $("net-explained-text").textContent = t("net.fid.no_explained");
  }
  plots.drawFigure($("net-fid-chart"), plots.fidelityFigure(res, lk, lab, epochOf, net.planeKey));
}

function renderLandscape(state) {
  const res = net.result;
  const div = $("net-landscape");
  const lab = labels(state);
  const lk = looks(state);
  $("net-land-wait").hidden = !!res?.plane;
  if (!res?.plane) { plots.purge(div); return; }
  const plane = ids(net.catalogue.planes).find((p) => p.id === res.plane.kind);
  const model = { ...res, planeName: plane ? nameOf(plane) : res.plane.kind };
  const pts = res.runs.map((r, i) => { const k = pathIndex(i, net.player.it); return k < 0 || !r.path.a ? null : { a: r.path.a[k], b: r.path.b[k] }; });
  // ms from the navigation's start to the first contour drawn (the 2 s goal; bench/network_browser.py)
  plots.drawLandscape(div, plots.landscapeFigure(model, lk, lab, pts, net.planeKey, switchPoints(lab))).then(() => {
    net.firstLandscape ??= performance.now();
    clearPreview($("net-land-preview"));
  });
}

// A plot follows its box (the window, and the landscape that grows to fill its panel beside the
// fidelity column): Plotly redraws at the box's size, once per frame.
const sized = new Set();
let resizing = false;
const sizes = new ResizeObserver((entries) => {
  for (const e of entries) sized.add(e.target);
  if (resizing) return;
  resizing = true;
  requestAnimationFrame(() => { resizing = false; for (const d of sized) plots.resize(d); sized.clear(); });
});

function renderBoundaryBoxes(state) {
  const holder = $("net-boundaries");
  const want = state.runs.length;
  if (holder.children.length !== want || holder.dataset.key !== net.trainKey + lang()) {
    for (const d of holder.children) plots.purge(d);
    holder.replaceChildren(...state.runs.map((_, i) => el("div", { class: "net-plot net-plot-boundary", "data-boundary": i })));
    for (const d of holder.children) sizes.observe(d);
    holder.dataset.key = net.trainKey + lang();
  }
}

// The lesson's panel (GET api/v1/scenarios, kind "network"): its title, text, formulas and its claim
// as measured on its own runs; its runs' learning rates per update when the lesson asks for them.
function renderLesson(state) {
  const lesson = state.lesson ? lessonOf(state.lesson) : null;
  $("net-lesson").hidden = !lesson;
  document.body.dataset.lesson = lesson ? lesson.id : "";
  if (!lesson) return;
  $("net-lesson-title").textContent = lesson.title;
  $("net-lesson-text").textContent = lesson.explanation;
  $("net-lesson-formulas").replaceChildren(...(lesson.formulas_text || lesson.formulas || []).map((f) => el("li", { class: "formula" }, f)));
  const claim = lesson.claim;
  const box = $("net-lesson-claim");
  box.hidden = !claim?.text;
  if (claim?.text) {
    box.textContent = t(claim.holds === false ? "netx.lesson.claim_fails" : "netx.lesson.claim_holds", { text: claim.text });
    box.dataset.holds = String(claim.holds !== false);
  }
  $("net-lesson-all").href = `lessons?lang=${encodeURIComponent(lang())}`;
}

// A lesson over seeds (its `seeds`): each run's mean over the seeds and its band (lowest to highest
// seed) per epoch, for the train loss and the test accuracy, from GET api/v1/scenarios/{id}/seeds
// (asked once per lesson: its numbers do not depend on the language). The rest of the page shows
// the lesson's own request, the first seed. `body.dataset.seeds`: the lesson drawn, "loading", "error".
function renderSeeds(state) {
  const lesson = state.lesson ? lessonOf(state.lesson) : null;
  const id = lesson?.seeds?.length ? lesson.id : null;
  const loss = $("net-seeds-loss");
  const acc = $("net-seeds-acc");
  $("net-seeds").hidden = !id;
  if (!id) { plots.purge(loss); plots.purge(acc); document.body.dataset.seeds = ""; return; }
  const got = net.seeds[id];
  if (!got) { loadSeeds(id); return; }
  if (got.error) { $("net-seeds-hint").textContent = t("netx.seeds.failed", { detail: got.error }); document.body.dataset.seeds = "error"; return; }
  const n = got.seeds.length;
  $("net-seeds-hint").textContent = t(lesson.by_switch ? "netx.seeds.by_switch_hint" : "netx.seeds.hint", { n, seeds: got.seeds.join(", "), first: got.seeds[0] });
  const lk = looks(state);
  const lab = labels(state);
  const lossAxis = { type: "log", title: { text: t("net.plot.loss") } };
  const accAxis = { tickformat: ".0%", title: { text: t("net.plot.accuracy") } };
  if (lesson.by_switch) { // the runs differ in when they switch: final values against the switch epoch
    const at = state.runs.map((r) => r.links[0].milestone / updatesPerEpoch(r, trainSize(state)));
    const x = t("netx.seeds.switch_epoch");
    Promise.all([ // final values: a narrow range, on linear axes with a finer percentage
      plots.drawFigure(loss, plots.switchFigure(got, "train_loss", lk, at, t("netx.seeds.by_switch_loss", { n }), { title: lossAxis.title }, x)),
      plots.drawFigure(acc, plots.switchFigure(got, "test_accuracy", lk, at, t("netx.seeds.by_switch_acc", { n }), { ...accAxis, tickformat: ".1%" }, x)),
    ]).then(() => { if (net.store.get().lesson === id) document.body.dataset.seeds = id; });
    return;
  }
  // each run's switches (the same update in every seed: its chain's milestones), at their epoch
  const marks = state.runs.flatMap((r, i) => (r.links || []).map((l) => ({ run: i, epoch: l.milestone / updatesPerEpoch(r, trainSize(state)),
    color: lk[i].color, text: t("netx.seeds.switch", { name: optName(l.optimizer) }) })));
  Promise.all([
    plots.drawFigure(loss, plots.seedsFigure(got, "train_loss", lk, lab, t("netx.seeds.loss_title", { n }), lossAxis, marks)),
    plots.drawFigure(acc, plots.seedsFigure(got, "test_accuracy", lk, lab, t("netx.seeds.acc_title", { n }), accAxis, marks)),
  ]).then(() => { if (net.store.get().lesson === id) document.body.dataset.seeds = id; });
}

function loadSeeds(id) {
  if (net.seeds[id] === null) return; // asked already
  net.seeds[id] = null;
  document.body.dataset.seeds = "loading";
  getLessonSeeds(id).then((answer) => { net.seeds[id] = answer; }, (err) => { net.seeds[id] = { error: err.message }; })
    .then(() => schedule(true));
}

function renderLr(state) {
  const lesson = state.lesson ? lessonOf(state.lesson) : null;
  const div = $("net-lr-chart");
  const show = !!lesson?.lr_chart && !!net.result?.runs?.some((r) => r.lr.length);
  div.hidden = !show;
  if (!show) { plots.purge(div); return; }
  const key = JSON.stringify([lang(), net.trainKey, labels(state), nTrain()]);
  plots.growCurves(div, plots.curvesFigure(net.result, looks(state), labels(state),
    [{ key: "lr", name: "α", width: 2, x: (i, k) => (k + 1) / perEpoch(i) }],
    t("netx.lesson.lr_title"), { type: "log", title: { text: t("netx.plot.lr") } }, net.trainKey), key);
}

// --- "Tune α for this network": POST api/v1/networks/tune with the page's body, its curves drawn,
// each run's best rate applied (the page then retrains) --------------------------------------------

const optName = (id) => net.optimizers.find((o) => o.id === id)?.name || id;

async function tune() {
  const state = net.store.get();
  net.tuneAbort?.abort();
  const ctrl = new AbortController();
  net.tuneAbort = ctrl;
  const names = [...new Set(state.runs.map((r) => optName(r.optimizer)))].join(", ");
  const started = performance.now();
  const say = (text) => { $("net-tune-status").textContent = text; $("net-tune-verdict").textContent = text; };
  const tick = () => say(t("netx.tune.running", { names, ...TUNE, s: fmt((performance.now() - started) / 1000, 2) }));
  tick();
  const timer = setInterval(tick, 250);
  $("net-tune").disabled = true;
  $("net-tune-panel").hidden = false;
  document.body.dataset.tune = "running";
  net.tunes += 1;
  try {
    const answer = await tuneNetwork({ ...toNetRequest(state), ...TUNE }, ctrl.signal);
    clearInterval(timer);
    net.tune = { answer, labels: labels(state), looks: looks(state), seconds: (performance.now() - started) / 1000 };
    renderTune();
    applyTuned(answer);
    document.body.dataset.tune = "done";
  } catch (err) {
    clearInterval(timer);
    if (err.name === "AbortError") return;
    net.tune = null;
    plots.purge($("net-tune-chart"));
    const detail = err.message;
    // a refused estimate (422, too costly): the server's words and a bounded suggestion
    const costly = err.status === 422 && /second|cost|limit|秒|开销|上限/i.test(detail);
    const k = TUNE.n * TUNE.seeds;
    say(costly ? t("netx.tune.too_costly", { detail, k, epochs: Math.max(1, Math.floor(state.epochs / 4)) }) : t("netx.tune.failed", { detail }));
    document.body.dataset.tune = "error";
  } finally {
    $("net-tune").disabled = false;
  }
}

// Every run at its tuned lr (the answer's `request`: the same body, each run's lr its best). The
// lesson is left (its runs changed); a label that named the old rate is dropped.
function applyTuned(answer) {
  const tuned = answer.request?.runs || [];
  net.store.update((d) => {
    d.lesson = null;
    d.runs.forEach((r, i) => {
      const lr = tuned[i]?.params?.lr;
      if (lr === undefined) return;
      r.params = { ...r.params, lr };
      r.label = "";
    });
  });
}

function renderTune() {
  const tn = net.tune;
  if (!tn) return;
  const { answer } = tn;
  const score = (c) => c.final_loss[c.best_index];
  const ranked = (answer.ranking || []).map((i) => answer.curves[i]).filter(Boolean);
  const parts = [t("netx.tune.done", { s: fmt(tn.seconds, 2) })];
  const best = ranked[0];
  // an optimizer's name, or the run's label when several runs share that optimizer
  const once = (c) => answer.curves.filter((o) => o.optimizer === c.optimizer).length === 1;
  const who = (c) => (once(c) ? optName(c.optimizer) : tn.labels[c.run] || c.label);
  const names = [];
  for (const c of answer.curves) names[c.run] = who(c);
  plots.drawFigure($("net-tune-chart"), plots.tuneFigure(answer, tn.looks, names));
  if (best && score(best) !== null && score(best) !== undefined) {
    parts.push(t("netx.tune.wins", { name: who(best), loss: fmt(score(best), 3), lr: fmt(best.best_lr, 3) }));
    const rest = ranked.slice(1).map((c) => (score(c) === null || score(c) === undefined
      ? `${who(c)}: ${t("netx.tune.diverged")}` : t("netx.tune.other", { name: who(c), loss: fmt(score(c), 3), lr: fmt(c.best_lr, 3) })));
    if (rest.length) parts.push(`${rest.join(" · ")}.`);
  }
  for (const e of answer.at_edge || []) {
    parts.push(t("netx.tune.edge", { name: optName(e.optimizer), side: t(e.at_edge === "low" ? "netx.tune.edge_low" : "netx.tune.edge_high") }));
  }
  $("net-tune-verdict").textContent = parts.join(" ");
  $("net-tune-status").textContent = parts.slice(0, 2).join(" ");
}

let drawnPlane = null;
let drawnLand = null; // the plane the landscape shows
let landFirst = false; // the landscape was drawn alone in the last frame: the rest follows in this one
function render(redraw) {
  const state = net.store.get();
  if (!state || !net.result) return;
  renderStatus();
  const planeNow = net.result.plane ? JSON.stringify([net.planeKey, lang(), looks(state), labels(state)]) : null;
  if (planeNow && planeNow !== drawnLand) {
    // a new plane: its contour first, alone in this frame; everything else in the next one
    renderLandscape(state);
    drawnLand = planeNow;
    landFirst = true;
    schedule(true);
    return;
  }
  $("net-arch").textContent = t("net.model.arch", { arch: [2, ...state.hidden, 1].join(" → "), p: net.result.parameters ?? "…" });
  if (redraw) renderControls(state);
  renderBoundaryBoxes(state);
  renderCurves(state);
  renderSummary(state);
  renderLr(state);
  if (redraw) { renderLesson(state); renderSeeds(state); renderTune(); }
  if (redraw || planeNow !== drawnPlane) {
    if (!landFirst) renderLandscape(state);
    renderFidelity(state);
    drawnPlane = planeNow;
    drawnLand = planeNow;
  }
  landFirst = false;
  renderFrame(state);
  $("net-permalink").href = `networks#${serializeNet(state)}`;
  const settled = net.phase === "done" && !net.player.playing;
  document.body.dataset.ready = settled ? "1" : "0";
}

// --- controls → store ---------------------------------------------------------------------------------

function bindControls() {
  const store = net.store;
  const side = $("net-controls");
  const onProp = (e) => {
    const node = e.target;
    const name = node.dataset.prop;
    if (!name) return;
    const p = NET_PROPS.find((q) => q.name === name);
    let v = node.value;
    if (p.type === "widths") v = v.trim() === "" ? [] : v.split(/[ ,]+/).filter(Boolean).map(Number);
    else if (["int", "float", "fraction", "epochs", "grid"].includes(p.type)) v = Number(v);
    if (name === "planeRun") v = Number(v);
    const ok = check(p, v);
    node.toggleAttribute("aria-invalid", ok === undefined);
    if (ok === undefined) return;
    store.update(PLANE_PROPS.has(name) ? { [name]: ok } : { [name]: ok, lesson: null }); // an edit leaves the lesson
  };
  side.addEventListener("change", onProp);
  side.addEventListener("input", (e) => { if (e.target.matches("input[type=number], input[type=text]")) e.target.removeAttribute("aria-invalid"); });
  bindRunCards();
  $("net-add-run").addEventListener("click", () => store.update((d) => {
    if (d.runs.length >= net.limits.max_runs) return;
    d.lesson = null;
    const used = new Set(d.runs.map((r) => r.optimizer));
    const opt = net.optimizers.find((o) => !used.has(o.id)) || net.optimizers[0];
    const lr = d.runs[0]?.params.lr ?? opt.params.find((q) => q.name === "lr")?.default;
    d.runs.push(normalizeRun({ optimizer: opt.id, params: lr !== undefined ? { lr } : {}, batch_size: d.runs[0]?.batch_size }));
  }));
  $("net-assignment").addEventListener("click", () => store.update((d) => {
    Object.assign(d, lessonState(DEFAULT_LESSON), { lang: d.lang });
  }));
  $("net-lesson-leave").addEventListener("click", () => store.update({ lesson: null }));
  $("net-tune").addEventListener("click", () => tune());
  $("net-play").addEventListener("click", () => net.player.toggle());
  $("net-back").addEventListener("click", () => { net.follow = false; net.player.step(-1); });
  $("net-fwd").addEventListener("click", () => { net.follow = false; net.player.step(1); });
  $("net-scrub").addEventListener("input", (e) => { net.follow = false; net.player.pause(); net.player.seek(+e.target.value); });
  $("net-png-landscape").addEventListener("click", () => plots.downloadPNG($("net-landscape"), "optiviz-landscape"));
  $("net-png-fidelity").addEventListener("click", () => plots.downloadPNG($("net-fid-chart"), "optiviz-fidelity"));
  $("net-png-curves").addEventListener("click", () => plots.downloadPNG($("net-curve-loss"), "optiviz-loss"));
  $("net-export-torch").addEventListener("click", () => downloadScript().catch((err) => { $("net-error").textContent = err.message; }));
  $("lang-switch").addEventListener("click", () => switchLang(nextLang()));
  document.addEventListener("keydown", (e) => {
    if (e.target.closest("input, select, textarea, summary, button, a")) return;
    if (e.key === " ") { e.preventDefault(); net.player.toggle(); } else if (e.key === "ArrowRight" || e.key === "ArrowLeft") {
      net.follow = false;
      net.player.step((e.key === "ArrowRight" ? 1 : -1) * (e.shiftKey ? 10 : 1));
    }
  });
  $("controls-toggle").addEventListener("click", () => {
    const open = document.body.classList.toggle("controls-open");
    $("controls-toggle").setAttribute("aria-expanded", open ? "true" : "false");
  });
  document.querySelectorAll(".net-plot").forEach((d) => sizes.observe(d));
}

// The runs as a PyTorch script (POST api/v1/networks/export): it trains them with torch.optim and
// prints the same per-epoch numbers.
async function downloadScript() {
  const text = await getNetworkScript(toNetRequest(net.store.get()));
  const url = URL.createObjectURL(new Blob([text], { type: "text/x-python" }));
  const a = el("a", { href: url, download: "optiviz_network.py" });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

async function loadCatalogues() {
  const [cat, net2, scenarios] = await Promise.all([getCatalogue(lang()), getNetworkCatalogue(lang()), getScenarios(lang())]);
  net.catalogue = net2;
  net.scenarios = scenarios;
  // the optimizers the network engine trains: the network catalogue's list where it gives one
  const allowed = net2.optimizers ? new Set(ids(net2.optimizers).map((o) => o.id)) : null;
  net.optimizers = cat.optimizers.filter((o) => (allowed ? allowed.has(o.id) : o.driver !== "closure" && o.driver !== "newton"));
  net.schedules = cat.schedules;
  net.runColors = cat.run_colors;
}

async function switchLang(l) {
  setLang(l);
  await loadMessages(l);
  await loadCatalogues();
  useOptimizers(net.optimizers);
  useLessons(net.scenarios);
  translatePage();
  cardsKey = "";
  const id = net.store.get().lesson;
  // a lesson's runs are labelled in the reader's language: the lesson's own labels in the new one
  net.store.update(id ? { lang: lang(), runs: lessonState(id).runs } : { lang: lang() }, { replace: true });
  schedule(true);
}

async function main() {
  // one round trip before training starts: the catalogues (and the lessons) are asked in the language
  // the messages settle on, while the limits arrive
  const [limits, permalink] = await Promise.all([getLimits(), getPermalink(), loadMessages().then(loadCatalogues)]);
  net.limits = limits;
  useServer(limits, permalink);
  useNetworkServer(limits, net.catalogue);
  useOptimizers(net.optimizers);
  useLessons(net.scenarios);
  translatePage();
  net.player = new Player(() => schedule());
  const store = createStore(null);
  net.store = store;
  store.subscribe(onState);
  const url = createUrlSync(store, (state) => store.update(() => state, { source: "url" }), { serialize: serializeNet, deserialize: deserializeNet });
  bindControls();
  const first = url.read();
  first.lang = lang();
  store.update(() => first, { source: "url" });
}

main().catch((err) => {
  plotly();
  $("net-error").textContent = err instanceof ApiError ? err.message : String(err);
  document.body.dataset.ready = "error";
});
