// The lessons page: scenarios, EWA explorer, schedule explorer, sweeps and basin maps.
/* global Plotly */
import { ApiError, getCatalogue, getGrid, getTrajectories } from "./api.js";
import { el, paramControl } from "./controls.js";
import { drawMap } from "./plots.js";
import { PALETTE, defaultState, normalizeRun, serialize } from "./state.js";

const $ = (id) => document.getElementById(id);
const CONFIG = { responsive: true, displaylogo: false };
const FONT = { family: "system-ui, sans-serif", size: 12 };
const page = { catalogue: null, scenarios: [], ewa: { betas: [0.5, 0.9, 0.98] }, schedules: {} };
window.optivizLessons = page;

async function post(url, body) {
  const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  const data = await res.json().catch(() => ({ detail: res.statusText }));
  if (!res.ok) throw new ApiError(res.status, data.detail);
  return data;
}

// A studio permalink for a trajectories request.
export function studioLink(req) {
  const s = defaultState();
  s.surface = typeof req.surface === "string" ? req.surface : "custom";
  if (s.surface === "custom") Object.assign(s, { expr: req.surface.expression, xr: req.surface.x_range, yr: req.surface.y_range });
  s.start = req.start || null;
  s.steps = req.steps ?? s.steps;
  s.seed = req.seed ?? 0;
  s.tolerance = req.tolerance ?? 0;
  s.runs = req.runs.map((r, i) => normalizeRun({ ...r, color: PALETTE[i % PALETTE.length] }, i));
  return `./#${serialize(s)}`;
}

// --- scenarios -----------------------------------------------------------------------------------

async function showScenario(id) {
  const sc = page.scenarios.find((s) => s.id === id) || page.scenarios[0];
  document.querySelectorAll("#scenario-list a").forEach((a) => a.setAttribute("aria-current", a.dataset.id === sc.id));
  $("sc-title").textContent = sc.title;
  $("sc-text").textContent = sc.explanation;
  $("sc-formulas").replaceChildren(...sc.formulas.map((f) => el("li", {}, f)));
  if (sc.kind === "sweep") {
    $("sc-open").href = "#sweep";
    $("sc-open").textContent = "Run it in the sweep tool below";
    await runSweep(sc.request, $("sc-loss"), true);
    $("sc-map").hidden = true;
    document.body.dataset.scenario = sc.id;
    return;
  }
  $("sc-map").hidden = false;
  $("sc-open").href = studioLink(sc.request);
  $("sc-open").textContent = "Open in the studio";
  const [grid, answer] = await Promise.all([getGrid(sc.request.surface, 100), getTrajectories(sc.request)]);
  const runs = answer.runs.map((r, i) => ({ ...r, color: PALETTE[i % PALETTE.length], done: true }));
  const model = { surface: answer.surface, grid, surfaceKey: `lesson:${sc.id}`, runs, labels: runs.map((r) => r.label),
    result: runs, showArrows: false };
  const layer = { bg: $("sc-map").querySelector(".bg"), fg: $("sc-map").querySelector(".fg") };
  await drawMap(layer, model, sc.request.steps, runs.map((_, i) => i));
  const traces = [];
  runs.forEach((r) => {
    traces.push({ y: r.loss, name: r.label, line: { color: r.color } });
    if (r.batch_loss) traces.push({ y: r.batch_loss, name: `${r.label} (mini-batch)`, line: { color: r.color, width: 1 }, opacity: 0.4 });
  });
  const positive = runs.every((r) => r.loss.every((v) => v > 0));
  await Plotly.react($("sc-loss"), traces, { font: FONT, margin: { l: 55, r: 10, t: 10, b: 40 },
    yaxis: { type: positive ? "log" : "linear", title: { text: "loss" } },
    xaxis: { title: { text: "iteration" } }, legend: { orientation: "h", y: -0.2 } }, CONFIG);
  document.body.dataset.scenario = sc.id;
}

// --- EWA -----------------------------------------------------------------------------------------

async function drawEwa() {
  const body = { betas: page.ewa.betas, bias_correction: $("ewa-bias").checked };
  const text = $("ewa-series").value.trim();
  if (text) {
    const tokens = text.split(/[\s,;]+/).filter(Boolean);
    const bad = tokens.find((t) => !Number.isFinite(Number(t)));
    if (bad !== undefined) { $("ewa-error").textContent = `not a number: '${bad}'`; return; }
    body.series = tokens.map(Number);
  }
  try {
    const d = await post("api/v1/ewa", body);
    $("ewa-error").textContent = "";
    const x = d.dates || d.series.map((_, i) => i + 1);
    const traces = [{ x, y: d.series, mode: "markers", name: "data", marker: { size: 3, color: "#999" } }];
    d.averages.forEach((a, i) => {
      const color = PALETTE[(i + 1) % PALETTE.length];
      traces.push({ x, y: a.values, name: `β=${a.beta} (window ≈ ${a.window.toPrecision(3)})`, line: { color, dash: d.bias_correction ? "dot" : "solid", width: d.bias_correction ? 1 : 2 } });
      if (d.bias_correction) traces.push({ x, y: a.corrected, name: `β=${a.beta} corrected`, line: { color, width: 2 } });
    });
    await Plotly.react($("ewa-plot"), traces, { font: FONT, margin: { l: 50, r: 10, t: 10, b: 40 },
      yaxis: { title: { text: d.unit || "value" } }, legend: { orientation: "h", y: -0.15 } }, CONFIG);
  } catch (err) {
    $("ewa-error").textContent = err.message;
  }
}

function ewaControls() {
  const box = $("ewa-controls");
  box.replaceChildren(...page.ewa.betas.map((b, i) => paramControl({ name: `β${i + 1}`, type: "float", default: b, min: 0, max: 0.999,
    scale: "linear", description: "decay of the average" }, b, (v) => { page.ewa.betas[i] = Math.min(0.999, Math.max(0, v)); drawEwa(); }, "ewa")));
}

// --- schedules -----------------------------------------------------------------------------------

async function drawSchedules() {
  const traces = await Promise.all(page.catalogue.schedules.map(async (s, i) => {
    const st = page.schedules[s.id];
    const d = await post("api/v1/schedules/preview", { schedule: { name: s.id, params: st.params, warmup_steps: st.warmup }, lr: 0.1, steps: 600 });
    return { x: d.t, y: d.lr, name: s.name, line: { color: PALETTE[i % PALETTE.length], dash: i >= PALETTE.length ? "dash" : "solid" } };
  }));
  await Plotly.react($("sched-plot"), traces, { font: FONT, margin: { l: 55, r: 10, t: 10, b: 40 }, xaxis: { title: { text: "t" } },
    yaxis: { title: { text: "learning rate (base 0.1)" } }, legend: { orientation: "h", y: -0.15 } }, CONFIG);
}

function scheduleControls() {
  const box = $("sched-controls");
  const groups = page.catalogue.schedules.filter((s) => s.params.length).map((s) => {
    page.schedules[s.id] ||= { params: {}, warmup: 0 };
    const st = page.schedules[s.id];
    return el("details", {}, el("summary", {}, s.name),
      ...s.params.map((p) => paramControl(p, st.params[p.name], (v) => { st.params[p.name] = v; drawSchedules().catch(showSchedError); }, `sc-${s.id}`)),
      paramControl({ name: "warmup_steps", type: "int", default: 0, min: 0, max: 500, scale: "linear", description: "linear warm-up" },
        st.warmup, (v) => { st.warmup = v; drawSchedules().catch(showSchedError); }, `sc-${s.id}`));
  });
  for (const s of page.catalogue.schedules) page.schedules[s.id] ||= { params: {}, warmup: 0 };
  box.replaceChildren(...groups);
}

function showSchedError(err) { console.warn(err.message); }

// --- sweeps and basins ---------------------------------------------------------------------------

async function runSweep(body, div, quiet = false) {
  $("sw-error").textContent = "";
  $("sw-progress").value = 0;
  const res = await fetch("api/v1/sweeps/stream", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  if (!res.ok) {
    const d = await res.json().catch(() => ({}));
    throw new ApiError(res.status, d.detail);
  }
  const reader = res.body.getReader();
  const dec = new TextDecoder();
  let buf = "";
  let result = null;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buf += dec.decode(value, { stream: true });
    let cut;
    while ((cut = buf.indexOf("\n\n")) >= 0) {
      const block = buf.slice(0, cut);
      buf = buf.slice(cut + 2);
      const name = (block.match(/^event: (.*)$/m) || [])[1];
      const data = JSON.parse(block.split("\n").filter((l) => l.startsWith("data:")).map((l) => l.slice(5).trim()).join("\n"));
      if (name === "progress") $("sw-progress").value = data.done;
      else if (name === "result") result = data;
      else if (name === "error") throw new ApiError(422, data.detail);
    }
  }
  $("sw-progress").value = 1;
  const z = result.final_loss.map((row) => row.map((v) => (v === null ? null : Math.log10(Math.max(v, 1e-300)))));
  const xs = [];
  const ys = [];
  result.status.forEach((row, j) => row.forEach((s, i) => { if (s === "diverged") { xs.push(result.x_values[i]); ys.push(result.y_values[j]); } }));
  const logx = body.x_param.scale === "log";
  await Plotly.react(div, [
    { type: "heatmap", x: result.x_values, y: result.y_values, z, colorscale: "Viridis", colorbar: { title: { text: "log₁₀ final loss" } },
      hovertemplate: `${body.x_param.name} %{x:.3g}<br>${body.y_param.name} %{y}<br>log₁₀ loss %{z:.3g}<extra></extra>` },
    { type: "scatter", mode: "markers", x: xs, y: ys, marker: { symbol: "x", color: "#D55E00", size: 7 }, name: "diverged", hoverinfo: "skip" },
  ], { font: FONT, margin: { l: 60, r: 10, t: 10, b: 45 }, xaxis: { type: logx ? "log" : "linear", title: { text: body.x_param.name } },
    yaxis: { title: { text: body.y_param.name }, type: body.y_param.name === "batch_size" ? "log" : "linear" }, showlegend: false }, CONFIG);
  div.removeAllListeners?.("plotly_click");
  div.on("plotly_click", (ev) => {
    const p = ev.points[0];
    const run = { optimizer: body.optimizer, params: { ...body.params } };
    for (const [axis, v] of [[body.x_param.name, p.x], [body.y_param.name, p.y]]) {
      if (axis === "batch_size") run.batch_size = v; else run.params[axis] = v;
    }
    location.href = studioLink({ surface: body.surface, start: body.start, steps: body.steps, seed: body.seed || 0,
      tolerance: body.tolerance || 0, runs: [run] });
  });
  if (!quiet) document.body.dataset.sweep = "done";
  return result;
}

function sweepBody() {
  const surface = $("sw-surface").value;
  const opt = page.catalogue.optimizers.find((o) => o.id === $("sw-opt").value);
  const y = $("sw-y").value;
  const yParam = y === "batch_size" ? { name: "batch_size", values: [1, 4, 16, 64, 256, 1000] }
    : { name: y, min: opt.params.find((p) => p.name === y).min, max: Math.min(0.999, opt.params.find((p) => p.name === y).max ?? 1), n: 12 };
  return { surface, steps: +$("sw-steps").value, tolerance: 1e-6, optimizer: opt.id, params: {},
    x_param: { name: "lr", min: 1e-4, max: 1, n: 40, scale: "log" }, y_param: yParam };
}

function sweepControls() {
  const surfaces = page.catalogue.surfaces;
  $("sw-surface").replaceChildren(...surfaces.map((s) => el("option", { value: s.id, selected: s.id === "rosenbrock" }, s.name)));
  $("bs-surface").replaceChildren(...surfaces.filter((s) => s.minima.length > 1 || s.id === "himmelblau")
    .map((s) => el("option", { value: s.id, selected: s.id === "himmelblau" }, s.name)));
  const opts = page.catalogue.optimizers.map((o) => el("option", { value: o.id, selected: o.id === "adam" }, o.name));
  $("sw-opt").replaceChildren(...opts);
  $("bs-opt").replaceChildren(...page.catalogue.optimizers.map((o) => el("option", { value: o.id, selected: o.id === "gd" }, o.name)));
  const fillY = () => {
    const opt = page.catalogue.optimizers.find((o) => o.id === $("sw-opt").value);
    const surface = surfaces.find((s) => s.id === $("sw-surface").value);
    const names = opt.params.filter((p) => p.type === "float" && p.name !== "lr" && p.max !== null).map((p) => p.name);
    if (surface.kind === "dataset") names.unshift("batch_size");
    $("sw-y").replaceChildren(...names.map((n) => el("option", { value: n }, n)));
    $("sw-y").disabled = !names.length;
  };
  $("sw-opt").addEventListener("change", fillY);
  $("sw-surface").addEventListener("change", fillY);
  fillY();
  $("sw-run").addEventListener("click", () => {
    if ($("sw-y").disabled) { $("sw-error").textContent = "this optimizer has no second hyperparameter to sweep"; return; }
    runSweep(sweepBody(), $("sw-plot")).catch((e) => { $("sw-error").textContent = e.message; });
  });
  $("bs-run").addEventListener("click", () => runBasins().catch((e) => { $("bs-error").textContent = e.message; }));
  $("rc-surface").replaceChildren(...surfaces.filter((s) => s.kind !== "dataset")
    .map((s) => el("option", { value: s.id, selected: s.id === "rosenbrock" }, s.name)));
  $("rc-run").addEventListener("click", () => runRace().catch((e) => { $("rc-error").textContent = e.message; }));
}

async function runBasins() {
  $("bs-error").textContent = "";
  const surface = $("bs-surface").value;
  const body = { surface, optimizer: $("bs-opt").value, params: { lr: +$("bs-lr").value }, steps: 1500, tolerance: 1e-6, n: 60 };
  const [grid, d] = await Promise.all([getGrid(surface, 100), post("api/v1/basins", body)]);
  const colors = ["#dddddd", ...PALETTE];
  const scale = colors.map((c, i) => [[i / colors.length, c], [(i + 1) / colors.length, c]]).flat();
  await Plotly.react($("bs-plot"), [
    { type: "heatmap", x: d.x, y: d.y, z: d.minimum.map((row) => row.map((v) => v + 1)), zmin: -0.5, zmax: colors.length - 0.5,
      colorscale: scale, showscale: false, opacity: 0.75, hovertemplate: "start (%{x:.3g}, %{y:.3g})<br>minimum %{z}<extra></extra>" },
    { type: "contour", x: grid.x, y: grid.y, z: grid.z.map((r) => r.map((v) => (v === null ? null : Math.log10(v + 1e-9)))),
      contours: { coloring: "none" }, line: { color: "rgba(0,0,0,0.35)", width: 0.7 }, ncontours: 25, showscale: false, hoverinfo: "skip" },
    { type: "scatter", mode: "markers", x: d.minima.map((m) => m[0]), y: d.minima.map((m) => m[1]),
      marker: { symbol: "star", size: 14, color: PALETTE.slice(0, d.minima.length), line: { color: "#000", width: 1 } }, hoverinfo: "skip" },
  ], { font: FONT, margin: { l: 50, r: 10, t: 10, b: 40 }, showlegend: false, xaxis: { title: { text: "x start" } }, yaxis: { title: { text: "y start" } } }, CONFIG);
  document.body.dataset.basins = "done";
}

// --- fair race -----------------------------------------------------------------------------------

async function runRace() {
  $("rc-error").textContent = "";
  const body = { surface: $("rc-surface").value, optimizers: ["gd", "momentum", "nesterov", "rmsprop", "adam"], steps: 500, n: 25 };
  const d = await post("api/v1/race", body);
  const traces = d.curves.map((c, i) => ({ x: c.lrs, y: c.final_loss, name: `${c.optimizer} (best α=${c.best_lr.toPrecision(3)})`,
    mode: "lines+markers", line: { color: PALETTE[i % PALETTE.length] } }));
  await Plotly.react($("rc-plot"), traces, { font: FONT, margin: { l: 60, r: 10, t: 10, b: 45 },
    xaxis: { type: "log", title: { text: "learning rate" } }, yaxis: { type: "log", title: { text: "final loss" } },
    legend: { orientation: "h", y: -0.2 } }, CONFIG);
  $("rc-open").href = studioLink(d.request);
  $("rc-open").hidden = false;
  document.body.dataset.race = "done";
}

// --- start ---------------------------------------------------------------------------------------

async function main() {
  [page.catalogue, page.scenarios] = await Promise.all([getCatalogue(), fetch("api/v1/scenarios").then((r) => r.json())]);
  $("scenario-list").replaceChildren(...page.scenarios.map((s) => el("li", {},
    el("a", { href: `#scenario=${s.id}`, "data-id": s.id }, s.title))));
  ewaControls();
  scheduleControls();
  sweepControls();
  $("ewa-bias").addEventListener("change", drawEwa);
  $("ewa-series").addEventListener("input", () => { clearTimeout(page.ewaTimer); page.ewaTimer = setTimeout(drawEwa, 300); });
  const fromHash = () => {
    const m = location.hash.match(/^#scenario=([\w-]+)/);
    if (m) showScenario(m[1]).catch((e) => console.warn(e));
  };
  window.addEventListener("hashchange", fromHash);
  await Promise.all([location.hash.startsWith("#scenario=") ? showScenario(location.hash.slice(10)) : showScenario(page.scenarios[0].id),
    drawEwa(), drawSchedules()]);
  document.body.dataset.ready = "1";
}

main().catch((err) => { document.body.dataset.error = String(err); console.warn(err); });
