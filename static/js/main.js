// Wires state, API, controls, plots and the player. All run state lives in the one `app` object.
import { ApiError, checkExpression, getCatalogue, getGrid, stream } from "./api.js";
import { el, runCard } from "./controls.js";
import { PALETTE, defaultState, deserialize, normalizeRun, serialize, toRequest } from "./state.js";
import { Player } from "./player.js";
import { drawCharts, drawMap, drawPaths, draw3D, extendMap, moveCursor } from "./plots.js";

const $ = (id) => document.getElementById(id);

const app = {
  catalogue: null,
  state: defaultState(),
  model: { surface: null, grid: null, surfaceKey: "", runs: [], labels: [], result: null, showArrows: true },
  player: null,
  abort: null,
  follow: true, // while not playing, show every point as it arrives
  firstDraw: null, // timing marks for the README's figures
  timings: {},
};
window.optiviz = app; // for tests and the console

// --- state ⇄ URL ---------------------------------------------------------------------------------

let lastHash = "";
function pushHash() {
  const h = serialize(app.state);
  if (h === lastHash) return;
  lastHash = h;
  history.pushState(null, "", `#${h}`);
}

window.addEventListener("popstate", () => loadFromHash());
window.addEventListener("hashchange", () => loadFromHash());

function loadFromHash() {
  const h = location.hash.replace(/^#/, "");
  if (h === lastHash) return;
  lastHash = h;
  app.state = h ? deserialize(h) : defaultState();
  renderSidebar();
  rerun({ autoplay: true });
}

// --- sidebar -------------------------------------------------------------------------------------

function currentSurface() {
  if (app.state.surface === "custom") {
    return { id: "custom", kind: "custom", name: "Custom formula", x_range: app.state.xr, y_range: app.state.yr,
      minima: [], description: "Your formula." };
  }
  return app.catalogue.surfaces.find((s) => s.id === app.state.surface) || app.catalogue.surfaces[0];
}

let debounceTimer = null;
function changed(debounced = false) {
  clearTimeout(debounceTimer);
  if (debounced) debounceTimer = setTimeout(() => { pushHash(); rerun(); }, 150);
  else { pushHash(); rerun(); }
}

function renderSidebar() {
  const s = app.state;
  const surf = $("surface");
  surf.replaceChildren(...app.catalogue.surfaces.map((x) => el("option", { value: x.id, selected: x.id === s.surface }, x.name)),
    el("option", { value: "custom", selected: s.surface === "custom" }, "Custom formula…"));
  const sd = currentSurface();
  $("surface-desc").textContent = s.surface === "custom" ? "Type a formula in x and y." : `${sd.formula} — ${sd.description}`;
  $("custom").hidden = s.surface !== "custom";
  $("formula").value = s.expr;
  $("xr").value = s.xr.join(", ");
  $("yr").value = s.yr.join(", ");
  $("steps").value = s.steps;
  $("seed").value = s.seed;
  $("tolerance").value = s.tolerance;
  $("start").textContent = s.start ? `(${s.start.map((v) => +v.toPrecision(4)).join(", ")})` : "default";
  $("view-overlay").checked = s.view === "overlay";
  $("view-multiples").checked = s.view === "multiples";
  $("view-3d").checked = s.threeD;
  renderRuns();
}

function renderRuns() {
  const sd = currentSurface();
  const cards = app.state.runs.map((run, i) => runCard(run, i, app.catalogue, sd, {
    update: (patch, debounced) => {
      app.state.runs[i] = { ...app.state.runs[i], ...patch };
      if (!debounced || "optimizer" in patch || "hidden" in patch || "color" in patch) renderRuns();
      if ("hidden" in patch || "color" in patch) { pushHash(); syncModelRuns(); redraw(); return; }
      changed(debounced);
    },
    duplicate: () => {
      if (app.state.runs.length >= 16) return;
      const copy = normalizeRun({ ...structuredClone(app.state.runs[i]), color: nextColor() });
      app.state.runs.splice(i + 1, 0, copy);
      renderRuns();
      changed();
    },
    remove: () => {
      if (app.state.runs.length <= 1) return;
      app.state.runs.splice(i, 1);
      renderRuns();
      changed();
    },
  }));
  $("runs").replaceChildren(...cards);
  $("add-run").disabled = app.state.runs.length >= 16;
  updateStatuses();
}

function nextColor() {
  const used = new Set(app.state.runs.map((r) => r.color));
  return PALETTE.find((c) => !used.has(c)) || PALETTE[app.state.runs.length % PALETTE.length];
}

function bindStaticControls() {
  $("surface").addEventListener("change", (e) => {
    app.state.surface = e.target.value;
    app.state.start = null;
    renderSidebar();
    changed();
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
        if (!xr || !yr) throw new ApiError(422, "ranges must be two numbers: low, high (low < high)");
        $("formula-error").textContent = "";
        $("formula").setAttribute("aria-invalid", "false");
        app.state.expr = expr;
        if (xr) app.state.xr = xr;
        if (yr) app.state.yr = yr;
        app.state.start = null;
        changed();
      } catch (err) {
        $("formula-error").textContent = err instanceof ApiError ? err.message : String(err);
        $("formula").setAttribute("aria-invalid", "true");
      }
    }, 250);
  };
  for (const id of ["formula", "xr", "yr"]) $(id).addEventListener("input", formulaChanged);
  const num = (id, key, parse) => $(id).addEventListener("input", (e) => {
    const v = parse(e.target.value);
    if (!Number.isFinite(v)) return;
    app.state[key] = v;
    changed(true);
  });
  num("steps", "steps", (v) => Math.max(1, Math.min(20000, parseInt(v, 10))));
  num("seed", "seed", (v) => Math.max(0, parseInt(v, 10)));
  num("tolerance", "tolerance", (v) => Math.max(0, parseFloat(v)));
  $("reset-start").addEventListener("click", () => { app.state.start = null; renderSidebar(); changed(); });
  $("add-run").addEventListener("click", () => {
    const opts = app.catalogue.optimizers;
    const used = new Set(app.state.runs.map((r) => r.optimizer));
    const opt = (opts.find((o) => !used.has(o.id)) || opts[0]).id;
    app.state.runs.push(normalizeRun({ optimizer: opt, params: {}, color: nextColor() }));
    renderRuns();
    changed();
  });
  for (const id of ["view-overlay", "view-multiples"]) {
    $(id).addEventListener("change", (e) => { app.state.view = e.target.value; pushHash(); redraw(); });
  }
  $("view-3d").addEventListener("change", (e) => { app.state.threeD = e.target.checked; pushHash(); redraw(); });
  $("arrows").addEventListener("change", (e) => { app.model.showArrows = e.target.checked; redraw(); });
  $("play").addEventListener("click", () => { app.player.toggle(); updatePlayButton(); });
  $("step-back").addEventListener("click", () => { app.player.step(-1); updatePlayButton(); });
  $("step-fwd").addEventListener("click", () => { app.player.step(1); updatePlayButton(); });
  $("speed").addEventListener("input", (e) => { app.player.speed = 2 ** (+e.target.value - 2); });
  $("scrub").addEventListener("input", (e) => { app.player.pause(); app.follow = false; app.player.seek(+e.target.value); updatePlayButton(); });
  $("tune").addEventListener("click", () => tuneRates().catch((err) => { $("tune-status").textContent = err.message; }));
  $("export-json").addEventListener("click", exportJSON);
  $("export-csv").addEventListener("click", exportCSV);
  $("export-curl").addEventListener("click", showCurl);
  document.addEventListener("keydown", (e) => {
    if (e.target.closest("input, select, textarea, summary")) return;
    if (e.key === " ") {
      if (e.target.closest("button")) return; // the button's own click
      e.preventDefault(); app.player.toggle(); updatePlayButton();
    }
    else if (e.key === "ArrowRight") { app.player.step(e.shiftKey ? 10 : 1); updatePlayButton(); }
    else if (e.key === "ArrowLeft") { app.player.step(e.shiftKey ? -10 : -1); updatePlayButton(); }
  });
  $("map-wrap").addEventListener("click", onMapClick);
  let resizeTimer = null;
  window.addEventListener("resize", () => { clearTimeout(resizeTimer); resizeTimer = setTimeout(redraw, 150); });
}

function parsePair(text) {
  const v = text.split(/[ ,]+/).filter(Boolean).map(Number);
  return v.length === 2 && v.every(Number.isFinite) && v[0] < v[1] ? v : null;
}

// --- running -------------------------------------------------------------------------------------

function syncModelRuns() {
  app.model.runs = app.state.runs.map((r) => ({ ...r }));
  const counts = {};
  app.model.labels = app.state.runs.map((r, i) => {
    const name = r.label || app.catalogue.optimizers.find((o) => o.id === r.optimizer)?.name || r.optimizer;
    counts[name] = (counts[name] || 0) + 1;
    const lr = r.params.lr !== undefined ? ` α=${r.params.lr}` : "";
    return `${i + 1}. ${name}${lr}`;
  });
}

async function rerun({ autoplay = false } = {}) {
  if (app.abort) app.abort.abort();
  const abort = new AbortController();
  app.abort = abort;
  const t0 = performance.now();
  const s = app.state;
  const surface = currentSurface();
  const key = s.surface === "custom" ? `custom:${s.expr}:${s.xr}:${s.yr}` : s.surface;
  try {
    if (key !== app.model.surfaceKey || !app.model.grid) {
      const gridSurface = s.surface === "custom" ? { expression: s.expr, x_range: s.xr, y_range: s.yr } : s.surface;
      app.model.grid = await getGrid(gridSurface, 120, abort.signal);
      app.model.surfaceKey = key;
    }
    app.model.surface = surface;
    syncModelRuns();
    const body = toRequest(s);
    app.model.request = body;
    app.model.result = s.runs.map(() => null);
    app.player.pause();
    app.player.reset(s.steps);
    app.follow = !autoplay;
    if (autoplay) { app.player.play(); updatePlayButton(); }
    $("run-error").textContent = "";
    let drawn = false;
    await stream(body, (name, data) => {
      if (abort.signal.aborted) return;
      if (name === "meta") {
        app.model.meta = data;
        if (data.surface) app.model.surface = data.surface;
        app.model.result = data.runs.map(() => ({ x: [], y: [], loss: [], lr: [], grad_norm: [], batch_loss: null,
          state: null, status: "running", steps_taken: 0, done: false }));
      } else if (name === "points") {
        const r = app.model.result[data.run];
        for (const k of ["x", "y", "loss", "lr", "grad_norm"]) r[k].push(...data[k]);
        if (data.batch_loss) (r.batch_loss ||= []).push(...data.batch_loss);
        if (data.state) {
          r.state ||= Object.fromEntries(Object.keys(data.state).map((k) => [k, data.state[k] === null ? null : []]));
          for (const k of Object.keys(data.state)) if (data.state[k]) r.state[k].push(...data.state[k]);
        }
        r.steps_taken = r.lr.length;
        onArrival();
        if (!drawn) {
          drawn = true;
          if (!app.timings.firstTrace) app.timings.firstTrace = performance.now();
        }
      } else if (name === "done") {
        data.runs.forEach((d, i) => Object.assign(app.model.result[i], d, { done: true }));
        app.player.total = Math.max(...app.model.result.map((r) => r.x.length - 1));
        onArrival(true);
        app.timings.lastRun = performance.now() - t0;
        document.body.dataset.ready = "1";
      } else if (name === "error") {
        $("run-error").textContent = data.detail;
      }
    }, abort.signal);
  } catch (err) {
    if (err.name === "AbortError") return;
    if (!(err instanceof ApiError)) console.error(err);
    $("run-error").textContent = err instanceof ApiError ? err.message : String(err);
  }
}

let lastCharts = 0;
function onArrival(final = false) {
  const res = app.model.result;
  const max = Math.max(0, ...res.map((r) => r.x.length - 1));
  app.player.setAvailable(max);
  $("scrub").max = max;
  if (app.follow && !app.player.playing) {
    const from = app.player.it;
    app.player.it = max;
    frame(from, max);
  }
  const now = performance.now();
  if (final || now - lastCharts > 400) { chartsDirty = true; lastCharts = now; } // charts are slow to redraw
  if (final) { pathsDirty = true; updateStatuses(); summary(); }
  frame(app.player.it, app.player.it);
}

function visibleRuns() {
  return app.state.runs.map((r, i) => (r.hidden ? -1 : i)).filter((i) => i >= 0);
}

// Draw everything for iteration `it` from scratch (goes through the render queue).
function redraw() {
  forceRedraw = true;
  frame(app.player.it, app.player.it);
}

async function redrawNow(it) {
  const runs = visibleRuns();
  const multiples = $("multiples");
  const three = $("map3d");
  $("map-wrap").hidden = app.state.threeD || app.state.view === "multiples";
  three.hidden = !app.state.threeD;
  multiples.hidden = app.state.threeD || app.state.view !== "multiples";
  if (app.state.threeD) {
    await draw3D(three, app.model, it, runs);
  } else if (app.state.view === "multiples") {
    const layers = runs.map((i) => {
      let d = multiples.querySelector(`[data-small="${i}"]`);
      if (!d) d = el("div", { class: "small-map layered", "data-small": i }, el("div", { class: "bg" }), el("div", { class: "fg" }));
      return d;
    });
    multiples.replaceChildren(...layers);
    for (let k = 0; k < layers.length; k++) await drawMap(layerOf(layers[k]), app.model, it, [runs[k]], app.model.labels[runs[k]]);
  } else {
    await drawMap(mainLayer(), app.model, it, runs);
  }
  mapMode = app.state.threeD ? "3d" : app.state.view;
  await drawChartsNow();
}

const layerOf = (d) => ({ bg: d.querySelector(".bg"), fg: d.querySelector(".fg") });
const mainLayer = () => ({ bg: $("map-bg"), fg: $("map") });

// Rendering is a queue of one: Plotly calls never overlap, and while one draws, later frames
// collapse into the newest. The player may move faster than Plotly draws.
let mapMode = "";
let drawnUpTo = 0;
let drawing = null;
let pendingTo = null;
let forceRedraw = false; // everything, contour included
let pathsDirty = false; // the path layer (end markers, statuses)
let chartsDirty = false; // the loss / lr / gradient-norm charts

function frame(from, to) {
  $("scrub").value = to;
  $("iteration").textContent = `iteration ${to} / ${app.player.max}`;
  pendingTo = to;
  if (!drawing) drawing = Promise.resolve().then(renderLoop); // async: the loop clears `drawing` itself
}

async function renderLoop() {
  try {
    while (pendingTo !== null) {
      await new Promise((r) => setTimeout(r, 0)); // let input, timers and the network in between frames
      const to = pendingTo;
      pendingTo = null;
      if (!window.Plotly || !app.model.grid || !app.model.surface) continue;
      const mode = app.state.threeD ? "3d" : app.state.view;
      if (forceRedraw || mode !== mapMode || !$("map").data || to < drawnUpTo || mode === "3d") {
        forceRedraw = pathsDirty = chartsDirty = false;
        await redrawNow(to);
      } else {
        const runs = visibleRuns();
        const layers = mode === "multiples" ? [...$("multiples").children].map(layerOf) : [mainLayer()];
        for (let k = 0; k < layers.length; k++) {
          if (pathsDirty) {
            const shown = mode === "multiples" ? [runs[k]] : runs;
            await drawPaths(layers[k].fg, app.model, to, shown, mode === "multiples" ? app.model.labels[runs[k]] : undefined);
          } else {
            await extendMap(layers[k], app.model, drawnUpTo, to);
          }
        }
        pathsDirty = false;
        if (chartsDirty) await drawChartsNow();
        else await moveCursor($("charts"), to);
      }
      chartsDirty = false;
      drawnUpTo = to;
      readout();
    }
  } catch (err) {
    console.error(err);
  } finally {
    drawing = null;
  }
}

function drawChartsNow() {
  if (!window.Plotly || !app.model.result) return Promise.resolve();
  return drawCharts($("charts"), app.model, app.player.it, visibleRuns());
}

function updatePlayButton() {
  $("play").textContent = app.player.playing ? "❚❚ Pause" : "▶ Play";
  $("play").setAttribute("aria-pressed", app.player.playing ? "true" : "false");
}

function updateStatuses() {
  const res = app.model.result;
  document.querySelectorAll("[data-status]").forEach((node) => {
    const r = res?.[+node.dataset.status];
    if (!r) { node.textContent = ""; return; }
    node.textContent = r.done ? (r.status === "max_steps" ? `ran ${r.steps_taken} steps` : `${r.status} at step ${r.steps_taken}`)
      : `running… ${r.steps_taken}`;
    node.dataset.kind = r.status;
  });
}

// Internals at the scrubbed iteration.
function readout() {
  const it = app.player.it;
  const rows = visibleRuns().map((i) => {
    const d = app.model.result?.[i];
    if (!d || it >= d.lr.length) return null;
    const st = d.state || {};
    const f = (v) => (v === null || v === undefined ? "—" : Number(v).toPrecision(3));
    return el("tr", {}, el("td", {}, el("span", { class: "swatch", style: `background:${app.model.runs[i].color}` }), app.model.labels[i]),
      el("td", {}, `(${f(st.gx?.[it])}, ${f(st.gy?.[it])})`),
      el("td", {}, st.mx ? `(${f(st.mx[it])}, ${f(st.my[it])})` : "—"),
      el("td", {}, `(${f(d.x[it + 1] - d.x[it])}, ${f(d.y[it + 1] - d.y[it])})`),
      el("td", {}, st.eff_lr_x ? `(${f(st.eff_lr_x[it])}, ${f(st.eff_lr_y[it])})` : f(d.lr[it])));
  }).filter(Boolean);
  $("internals-body").replaceChildren(...rows);
}

function summary() {
  const s = currentSurface();
  const minima = app.model.surface?.minima || s.minima || [];
  const tol = app.state.tolerance || 1e-3;
  const rows = app.model.result.map((d, i) => {
    if (!d) return null;
    const last = d.x.length - 1;
    const reach = d.grad_norm.findIndex((g) => g < tol);
    const dist = minima.length ? Math.min(...minima.map((m) => Math.hypot(d.x[last] - m[0], d.y[last] - m[1]))) : null;
    return el("tr", {}, el("td", {}, el("span", { class: "swatch", style: `background:${app.model.runs[i].color}` }), app.model.labels[i]),
      el("td", {}, d.status === "max_steps" ? "still going" : `${d.status} at step ${d.steps_taken}`),
      el("td", {}, d.loss[last].toPrecision(5)),
      el("td", {}, reach >= 0 ? String(reach) : d.status === "converged" ? String(d.steps_taken) : "—"),
      el("td", {}, dist === null ? "—" : dist.toPrecision(3)));
  }).filter(Boolean);
  $("summary-tol").textContent = tol;
  $("summary-body").replaceChildren(...rows);
}

function onMapClick(e) {
  const map = $("map");
  if (app.state.threeD || !map._fullLayout || e.target.closest(".modebar, .legend")) return;
  const xa = map._fullLayout.xaxis;
  const ya = map._fullLayout.yaxis;
  const rect = map.getBoundingClientRect();
  const px = e.clientX - rect.left - xa._offset;
  const py = e.clientY - rect.top - ya._offset;
  if (px < 0 || py < 0 || px > xa._length || py > ya._length) return;
  app.state.start = [xa.p2l(px), ya.p2l(py)].map((v) => Number(v.toPrecision(5)));
  $("start").textContent = `(${app.state.start.join(", ")})`;
  pushHash();
  rerun({ autoplay: true });
}

// The fair race's tuning (POST /api/v1/race): each run's optimizer gets the lr with the lowest final
// loss on a log grid, with this surface, start and number of steps.
async function tuneRates() {
  const s = app.state;
  const req = toRequest(s);
  const optimizers = [...new Set(s.runs.map((r) => r.optimizer))];
  $("tune-status").textContent = "tuning…";
  const res = await fetch("api/v1/race", { method: "POST", headers: { "content-type": "application/json" },
    body: JSON.stringify({ surface: req.surface, start: req.start, steps: s.steps, optimizers, n: 30, lr_min: 1e-5, lr_max: 10 }) });
  const data = await res.json();
  if (!res.ok) throw new ApiError(res.status, data.detail);
  const best = Object.fromEntries(data.curves.map((c) => [c.optimizer, c.best_lr]));
  s.runs.forEach((r) => { r.params = { ...r.params, lr: Number(best[r.optimizer].toPrecision(3)) }; });
  $("tune-status").textContent = data.curves.map((c) => `${c.optimizer}: α = ${c.best_lr.toPrecision(3)}`).join(", ");
  renderRuns();
  pushHash();
  rerun({ autoplay: true });
}

// --- export --------------------------------------------------------------------------------------

function download(name, text, type) {
  const a = el("a", { href: URL.createObjectURL(new Blob([text], { type })), download: name });
  document.body.append(a);
  a.click();
  a.remove();
}

function exportJSON() {
  download("optiviz.json", JSON.stringify({ request: app.model.request, surface: app.model.surface,
    runs: app.model.result.map((r, i) => ({ ...app.model.meta.runs[i], ...r })) }, null, 1), "application/json");
}

function exportCSV() {
  const lines = ["run,label,optimizer,t,x,y,loss,lr,grad_norm"];
  app.model.result.forEach((r, i) => {
    for (let t = 0; t < r.x.length; t++) {
      lines.push([i, JSON.stringify(app.model.labels[i]), app.state.runs[i].optimizer, t, r.x[t], r.y[t], r.loss[t],
        r.lr[t] ?? "", r.grad_norm[t] ?? ""].join(","));
    }
  });
  download("optiviz.csv", lines.join("\n"), "text/csv");
}

function showCurl() {
  const url = new URL("api/v1/trajectories", location.href).href;
  const body = JSON.stringify({ ...app.model.request, include_state: undefined }).replace(/'/g, "'\\''");
  $("curl").value = `curl -s '${url}' -H 'content-type: application/json' -d '${body}'`;
  $("curl").hidden = false;
  $("curl").select();
}

// --- start ---------------------------------------------------------------------------------------

// Plotly (4.6 MB) is fetched by a preload in the page and run once the first API requests are
// on their way, so the server computes while the browser parses it.
const plotlyReady = new Promise((resolve, reject) => {
  if (window.Plotly) { resolve(); return; }
  const script = document.createElement("script");
  script.src = "static/vendor/plotly.min.js";
  script.onload = resolve;
  script.onerror = reject;
  setTimeout(() => document.head.append(script), 0);
});

async function main() {
  app.catalogue = await getCatalogue();
  plotlyReady.then(() => redraw());
  app.player = new Player((from, to) => { frame(from, to); if (!app.player.playing) updatePlayButton(); });
  bindStaticControls();
  const h = location.hash.replace(/^#/, "");
  lastHash = h;
  app.state = h ? deserialize(h) : defaultState();
  renderSidebar();
  await rerun({ autoplay: true });
}

main().catch((err) => { $("run-error").textContent = String(err); });
