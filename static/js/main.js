// The studio: wires the store, the URL, the sidebar, the runner (stream assembly), the render
// queue, the player and the exports. State lives in the store only (store.js); what the server
// answered lives in runner.model; nothing else keeps a copy.
import { ApiError, checkExpression, getCatalogue, getCustomSurface, getLimits, getPermalink, getRace } from "./api.js";
import { stepKeys } from "./controls.js";
import { copyText } from "./copy.js";
import { createExports } from "./export.js";
import { createInspector } from "./inspector.js";
import { fmt, runLabel } from "./format.js";
import { lang, loadMessages, nextLang, setLang, t, translatePage } from "./i18n.js";
import { Player } from "./player.js";
import { dataCoords, loadPlotly } from "./plots.js";
import { createRenderer } from "./render.js";
import { createRunner, requestKey } from "./runner.js";
import { runColors } from "./colors.js";
import { createSidebar } from "./sidebar.js";
import { previewShown } from "./studio_preview.js";
import { followSteps, normalizeRun, toRequest, useServer } from "./state.js";
import { createStore } from "./store.js";
import { createUrlSync } from "./url.js";

const $ = (id) => document.getElementById(id);
const PREVIEW_WAIT_MS = 600; // the longest Plotly waits for the map's preview (main below)

const app = { catalogue: null, limits: null, store: null, player: null, model: null, follow: true, custom: null, seekTo: null };
window.optiviz = app; // for tests and the console
Object.defineProperty(app, "state", { get: () => app.store?.get() }); // read-only view of the store's state

// --- derived views of the state ----------------------------------------------------------------

function surfaceOf(state) {
  if (state.surface === "custom") {
    return { id: "custom", kind: "custom", name: t("studio.surface.custom_name"), formula: state.expr, x_range: state.xr,
      y_range: state.yr, minima: [], description: "", default_runs: [] };
  }
  return app.catalogue.surfaces.find((s) => s.id === state.surface) || app.catalogue.surfaces[0];
}

const registryColor = (optimizer) => app.catalogue.optimizers.find((o) => o.id === optimizer)?.color || "#000000";

// Optimizers whose internals hold a sequence of points (the registry's `moment: "iterate"`): the
// averaged iterate x (mx, my) is drawn beside the path; with an `interpolation` β (Schedule-Free,
// y = βx + (1 − β)z) the third sequence z too.
function companionsOf(run) {
  const opt = app.catalogue.optimizers.find((o) => o.id === run.optimizer);
  if (opt?.moment !== "iterate") return null;
  const name = opt.interpolation;
  const given = name ? Number(run.params?.[name]) : NaN;
  const beta = !name ? null : Number.isFinite(given) ? given : opt.params.find((q) => q.name === name)?.default ?? null;
  return { beta };
}

// What every drawing of the runs (map, 3D, charts, small multiples, legend, swatches, exports)
// takes: each run's own colour and its optimizer's dash (colors.js), its companions, its label.
function look(state) {
  const surface = surfaceOf(state);
  const styles = runColors(state.runs, registryColor, app.catalogue.run_colors);
  const name = (id) => app.catalogue.optimizers.find((o) => o.id === id)?.name ?? id;
  // links: the names of the optimizers its switches go to (the marks on the map and the charts say them)
  const runs = state.runs.map((r, i) => ({ ...styles[i], companions: companionsOf(r), links: (r.links || []).map((l) => name(l.optimizer)) }));
  return { runs, labels: state.runs.map((r) => runLabel(r, app.catalogue, surface)) };
}
Object.defineProperty(app, "look", { get: () => app.store && look(app.store.get()) }); // for tests

// Equal axis scale: the user's choice, else on where the ranges' aspect stays readable.
function equalOf(state, surface) {
  if (state.equal !== null && state.equal !== undefined) return state.equal;
  if (!surface || surface.kind === "dataset") return false;
  const r = (surface.x_range[1] - surface.x_range[0]) / (surface.y_range[1] - surface.y_range[0]);
  return r >= 1 / 3 && r <= 3;
}

const coarse = () => window.matchMedia("(pointer: coarse)").matches;

function defaultsFor(surfaceId) {
  const s = app.catalogue.surfaces.find((x) => x.id === surfaceId) || app.catalogue.surfaces[0];
  return s.default_runs.slice(0, app.limits.max_runs).map((r) => normalizeRun(r));
}

// The rate suggested for an optimizer here (the catalogue's suggested_lr, measured; on a typed formula
// the one measured on the formula "Custom formula…" opens on while it is that one), else its default.
function suggestedLr(state, optimizer) {
  const custom = state.surface === "custom";
  const table = custom ? (app.custom?.expression === state.expr ? app.custom.suggested_lr : {}) : surfaceOf(state).suggested_lr;
  return table?.[optimizer] ?? app.catalogue.optimizers.find((o) => o.id === optimizer)?.params.find((p) => p.name === "lr")?.default;
}

// A state from a URL made whole: a known surface, runs (the surface's defaults when none), limits.
function complete(state) {
  if (state.surface !== "custom" && !app.catalogue.surfaces.some((s) => s.id === state.surface)) state.surface = app.catalogue.surfaces[0].id;
  if (!state.runs && state.surface === "custom") { // a formula without runs: the studio's optimizers at their suggested rates
    state.runs = defaultsFor(app.catalogue.surfaces[0].id).map((r) => normalizeRun({ ...r, params: { lr: suggestedLr(state, r.optimizer) } }));
  }
  if (!state.runs) state.runs = defaultsFor(state.surface);
  state.steps = Math.max(1, Math.min(app.limits.max_steps, state.steps));
  for (const r of state.runs) {
    if (!app.catalogue.optimizers.some((o) => o.id === r.optimizer)) r.optimizer = app.catalogue.optimizers[0].id;
  }
  return state;
}

// --- wiring ------------------------------------------------------------------------------------

function onModel(kind, info) {
  const { player, model } = app;
  if (kind === "start") {
    player.pause();
    player.reset(info.steps);
    app.follow = !info.autoplay && app.seekTo === null;
    if (info.autoplay) player.play();
  } else if (kind === "points" || kind === "done") {
    const res = model.result;
    let max = 0;
    for (const r of res.runs) max = Math.max(max, r.x.length - 1);
    player.setAvailable(max, res.done);
    if (app.seekTo !== null) { // a permalink's scrubbed iteration
      player.it = Math.min(app.seekTo, max);
      if (res.done) app.seekTo = null;
    } else if (app.follow && !player.playing) player.it = max;
    if (kind === "done" && app.follow && app.store.get().it !== null) app.store.update({ it: null }, { replace: true });
  }
  app.renderer.request();
}

function bindControls(store, sidebar) {
  $("surface").addEventListener("change", async (e) => {
    const id = e.target.value;
    // "Custom formula…" opens on its formula with runs that suit it (GET api/v1/surfaces/custom)
    if (id === "custom") app.custom ||= await getCustomSurface();
    store.update((d) => {
      d.surface = id;
      d.start = null;
      if (id !== "custom") d.runs = defaultsFor(id); // each surface opens with its own runs (see the hint)
      else {
        Object.assign(d, { expr: app.custom.expression, xr: app.custom.x_range, yr: app.custom.y_range });
        d.runs = app.custom.default_runs.map((r) => normalizeRun(r));
      }
      d.equal = null;
    }, { autoplay: true });
  });
  let formulaTimer = null;
  const formulaChanged = () => {
    clearTimeout(formulaTimer);
    formulaTimer = setTimeout(async () => {
      const expr = $("formula").value;
      const xr = parsePair($("xr").value);
      const yr = parsePair($("yr").value);
      try {
        const check = await checkExpression(expr);
        if (!check.valid) throw new ApiError(422, check.detail);
        if (!xr || !yr) throw new ApiError(422, t("studio.error.ranges"));
        $("formula-error").textContent = "";
        $("formula").setAttribute("aria-invalid", "false");
        store.update((d) => { d.expr = expr; d.xr = xr; d.yr = yr; d.start = null; });
      } catch (err) {
        $("formula-error").textContent = err instanceof ApiError ? err.message : String(err);
        $("formula").setAttribute("aria-invalid", "true");
      }
    }, 250);
  };
  for (const id of ["formula", "xr", "yr"]) $(id).addEventListener("input", formulaChanged);
  const num = (id, key, parse, ok) => $(id).addEventListener("input", (e) => {
    const v = parse(e.target.value);
    const good = Number.isFinite(v) && ok(v);
    e.target.toggleAttribute("aria-invalid", !good);
    if (!good) return;
    const before = store.get();
    store.update((d) => { d[key] = v; followSteps(d, before, app.catalogue.schedules); }); // lengths follow the steps
  });
  num("steps", "steps", Number, (v) => Number.isInteger(v) && v >= 1 && v <= app.limits.max_steps);
  num("seed", "seed", Number, (v) => Number.isInteger(v) && v >= 0);
  num("tolerance", "tolerance", parseFloat, (v) => v >= 0);
  // its arrow keys on a log scale from 1e-6 (the field's own step of 1 would stop every run at once)
  stepKeys({ name: "tolerance", type: "float", default: 0, min: 0, slider_min: 1e-6, slider_max: 1, slider_scale: "log" }, $("tolerance"));
  $("reset-start").addEventListener("click", () => store.update({ start: null }, { autoplay: true }));
  $("defaults").addEventListener("click", () => store.update((d) => { d.runs = defaultsFor(d.surface); }, { autoplay: true }));
  $("add-run").addEventListener("click", () => store.update((d) => {
    if (d.runs.length >= app.limits.max_runs) return;
    const opts = app.catalogue.optimizers.filter((o) => !o.networks_only); // the matrix ones train networks only
    const used = new Set(d.runs.map((r) => r.optimizer));
    const opt = (opts.find((o) => !used.has(o.id)) || opts[0]).id;
    const lr = suggestedLr(d, opt); // the rate suggested for it on this surface
    d.runs.push(normalizeRun({ optimizer: opt, params: lr !== undefined ? { lr } : {} }));
  }));
  for (const id of ["view-overlay", "view-multiples"]) $(id).addEventListener("change", (e) => store.update({ view: e.target.value }));
  $("view-3d").addEventListener("change", (e) => store.update({ threeD: e.target.checked }));
  $("arrows").addEventListener("change", (e) => store.update({ arrows: e.target.checked }));
  $("equal").addEventListener("change", (e) => store.update({ equal: e.target.checked }));
  $("play").addEventListener("click", () => app.player.toggle());
  $("step-back").addEventListener("click", () => app.player.step(-1));
  $("step-fwd").addEventListener("click", () => app.player.step(1));
  $("speed").addEventListener("input", (e) => { app.player.speed = 2 ** (+e.target.value - 2); });
  // scrubbing takes the iteration from the stream: new points no longer move it
  $("scrub").addEventListener("input", (e) => { app.follow = false; app.player.pause(); app.player.seek(+e.target.value); });
  $("legend").addEventListener("click", (e) => {
    const b = e.target.closest("[data-legend]");
    if (b) store.update((d) => { const r = d.runs[+b.dataset.legend]; if (r) r.hidden = !r.hidden; });
  });
  $("tune").addEventListener("click", () => tuneRates(store).catch((err) => { $("tune-status").textContent = err.message; }));
  $("export-json").addEventListener("click", () => app.exports.exportJSON());
  $("export-csv").addEventListener("click", () => app.exports.exportCSV());
  $("export-curl").addEventListener("click", () => app.exports.showCurl());
  $("export-python").addEventListener("click", () => app.exports.showPython());
  $("curv-show").addEventListener("change", () => app.inspector.refresh(() => app.renderer.request()));
  $("inspect-run").addEventListener("change", (e) => app.inspector.choose(+e.target.value, () => app.renderer.request()));
  $("export-torch").addEventListener("click", () => app.exports.showCode("torch"));
  $("export-optax").addEventListener("click", () => app.exports.showCode("optax"));
  $("code-copy").addEventListener("click", () => app.exports.copyCode());
  $("code-download").addEventListener("click", () => app.exports.downloadCode());
  $("copy-link").addEventListener("click", (e) => copyText(e.currentTarget, location.href));
  $("export-png").addEventListener("click", () => app.exports.mapPNG());
  $("export-charts").addEventListener("click", () => app.exports.chartsPNG());
  $("lang-switch").addEventListener("click", () => switchLang(nextLang()));
  // the skip link moves the focus, not the URL (the hash is the permalink)
  document.querySelector(".skip").addEventListener("click", (e) => { e.preventDefault(); $("play").focus(); });
  $("controls-toggle").addEventListener("click", () => {
    const open = document.body.classList.toggle("controls-open");
    $("controls-toggle").setAttribute("aria-expanded", open ? "true" : "false");
    if (open) $("sidebar").scrollIntoView({ block: "start" });
  });
  document.addEventListener("keydown", (e) => {
    if (e.target.closest("input, select, textarea, summary, [contenteditable]")) return;
    if (e.key === " ") {
      if (e.target.closest("button, a")) return; // the control's own action
      e.preventDefault();
      app.player.toggle();
    } else if (e.key === "ArrowRight") { app.follow = false; app.player.step(e.shiftKey ? 10 : 1); }
    else if (e.key === "ArrowLeft") { app.follow = false; app.player.step(e.shiftKey ? -10 : -1); }
  });
  // a click or a tap (no drag) on a map (the overlay or a small multiple) starts the runs there
  let down = null;
  document.querySelector(".map-box").addEventListener("pointerdown", (e) => {
    const layered = e.target.closest(".layered");
    down = !layered || e.target.closest(".modebar") ? null
      : { x: e.clientX, y: e.clientY, t: performance.now(), fg: layered.querySelector(".fg") };
  }, true);
  // (on the document: Plotly lays a drag cover over the page between pointerdown and pointerup)
  document.addEventListener("pointerup", (e) => {
    const d = down;
    down = null;
    if (!d || Math.hypot(e.clientX - d.x, e.clientY - d.y) > 8 || performance.now() - d.t > 800) return;
    if (store.get().threeD) return;
    const p = dataCoords(d.fg, e.clientX, e.clientY);
    if (!p) return;
    store.update({ start: p.map((v) => Number(v.toPrecision(5))) }, { autoplay: true });
  }, true);
  let resizeTimer = null;
  window.addEventListener("resize", () => { clearTimeout(resizeTimer); resizeTimer = setTimeout(() => app.renderer.invalidate(), 150); });
}

function parsePair(text) {
  const v = text.split(/[ ,]+/).filter(Boolean).map(Number);
  return v.length === 2 && v.every(Number.isFinite) && v[0] < v[1] ? v : null;
}

// The fair race's tuning (POST /api/v1/race): each run's optimizer gets the lr with the lowest final
// loss on a log grid, with exactly what the studio then runs: this surface, start, steps, tolerance,
// seed, the run's other hyperparameters, its batch size or gradient noise.
async function tuneRates(store) {
  const s = store.get();
  const req = toRequest(s);
  const optimizers = [...new Set(s.runs.map((r) => r.optimizer))];
  const first = (id) => req.runs[s.runs.findIndex((r) => r.optimizer === id)];
  const params = Object.fromEntries(optimizers.map((id) => {
    const { lr, ...rest } = first(id).params || first(id).optimizers?.[0].params || {}; // a chain: its first link's
    return [id, rest];
  }));
  const body = { surface: req.surface, start: req.start, steps: s.steps, tolerance: s.tolerance, seed: s.seed,
    optimizers, params, n: 30, lr_min: 1e-5, lr_max: 10 };
  const batch = req.runs.find((r) => r.batch_size)?.batch_size;
  const noise = req.runs.find((r) => r.noise_std)?.noise_std;
  if (batch) body.batch_size = batch;
  if (noise) body.noise_std = noise;
  $("tune-status").textContent = t("studio.runs.tuning");
  const data = await getRace(body);
  const best = Object.fromEntries(data.curves.map((c) => [c.optimizer, Number(c.best_lr.toPrecision(3))]));
  const key = (c) => (c.at_edge === "low" ? "studio.tune.edge_low" : c.at_edge === "high" ? "studio.tune.edge_high" : "studio.tune.result");
  $("tune-status").textContent = data.curves.map((c) => t(key(c), { opt: t(`optimizer.${c.optimizer}.name`), lr: fmt(c.best_lr, 3) })).join("; ");
  store.update((d) => { for (const r of d.runs) if (best[r.optimizer] !== undefined) r.params.lr = best[r.optimizer]; }, { autoplay: true });
}

// The iteration the user stopped at (scrubbed, stepped, paused) is the state's (state.js `it`, so
// the permalink's); the end of the runs, or playing, is null.
function noteIteration() {
  const { player, store } = app;
  if (player.playing || app.seekTo !== null || !app.model.result?.done) return;
  const it = player.it < player.max ? player.it : null;
  if (store.get().it !== it) store.update({ it }, { replace: true });
}

async function switchLang(l) {
  setLang(l);
  await loadMessages(l);
  app.catalogue = await getCatalogue(lang());
  translatePage();
  app.store.update({ lang: lang() });
  app.renderer.invalidate();
}


async function main() {
  const [limits, permalink] = await Promise.all([getLimits(), getPermalink(), loadMessages()]);
  app.limits = limits;
  useServer(limits, permalink);
  app.catalogue = await getCatalogue(lang());
  translatePage();
  const store = createStore(null);
  app.store = store;
  const url = createUrlSync(store, (state) => store.update(() => complete(state), { source: "url", autoplay: true }));
  store.update(() => complete(url.read()), { source: "url" });
  const ctx = { store, catalogue: () => app.catalogue, limits, surfaceOf, suggestedLr, look, equalOf, lang, dragmode: () => (coarse() ? false : "zoom"),
    changed: (kind, info) => onModel(kind, info) };
  const runner = createRunner(ctx);
  app.runner = runner;
  app.model = runner.model;
  app.player = new Player((inFrame) => { app.renderer.request(inFrame); noteIteration(); });
  ctx.model = runner.model;
  ctx.player = app.player;
  ctx.inspector = app.inspector = createInspector(() => app.renderer?.request(),
    (id) => app.catalogue.optimizers.find((o) => o.id === id)?.name ?? id);
  app.renderer = createRenderer(ctx);
  app.timings = app.renderer.timings;
  app.exports = createExports(ctx);
  const sidebar = createSidebar(ctx);
  app.sidebar = sidebar;
  let lastKey = "";
  store.subscribe((state, prev, meta) => {
    sidebar.render(state);
    $("equal").checked = equalOf(state, surfaceOf(state));
    $("view-overlay").checked = state.view === "overlay";
    $("view-multiples").checked = state.view === "multiples";
    $("view-3d").checked = state.threeD;
    $("arrows").checked = state.arrows;
    const key = requestKey(state);
    if (key !== lastKey || meta.autoplay) {
      lastKey = key;
      app.seekTo = meta.source === "url" ? state.it ?? null : null; // a permalink opens at its iteration; an edit follows
      document.body.dataset.ready = "";
      runner.schedule({ autoplay: !!meta.autoplay && app.seekTo === null, live: !!meta.live });
    }
    app.renderer.request();
  });
  bindControls(store, sidebar);
  store.update(() => store.get(), { source: "url", autoplay: true }); // the opening race plays on its own
  // The controls are on screen and the opening race's requests leave in the runner's next task:
  // Plotly (4.6 MB, 0.4–1.5 s of script on this machine, fetched meanwhile by the page's preload)
  // runs after the map's canvas preview is painted (studio_preview.js: the grid and the first paths)
  // or after PREVIEW_WAIT_MS, whichever comes first: while it runs, nothing is drawn.
  const wait = new Promise((resolve) => setTimeout(resolve, PREVIEW_WAIT_MS));
  Promise.race([previewShown(), wait]).then(() => requestAnimationFrame(() => setTimeout(() => loadPlotly()
    .then(() => app.renderer.invalidate()), 0)));
}

main().catch((err) => { console.error(err); $("run-error").textContent = String(err); });
