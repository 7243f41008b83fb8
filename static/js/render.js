// The render queue: ONE render path for "surface changed", "runs changed", "playback moved",
// whatever was on screen before. Each frame compares what should be shown (store + model + player)
// with what was drawn, and draws the difference; Plotly calls never overlap, and requests made
// while a frame draws collapse into the next one.
import { el } from "./controls.js";
import { t } from "./i18n.js";
import { drawCharts, drawMap, draw3D, moveCursor, plotlyLoaded, updateMap } from "./plots.js";
import { drawMapPreview, endMapPreview } from "./studio_preview.js";
import { readout, statusText, summary, updateStatuses } from "./tables.js";

const $ = (id) => document.getElementById(id);
const nextFrame = () => new Promise((resolve) => requestAnimationFrame(() => resolve()));
const CHART_EVERY_MS = 400;
const FRESH_MS = 50; // charts are slow to redraw: at most this often while points stream in

export function createRenderer(ctx) {
  const { store, model, player } = ctx;
  let pending = false;
  let running = false;
  let drawn = {};
  const timings = { frames: 0 };

  // `inFrame`: called from an animation frame (the player's tick): draw in this frame, not the next
  // one (waiting would halve playback's frame rate)
  function request(inFrame = false) {
    pending = true;
    if (!running) loop(inFrame);
  }

  async function loop(inFrame) {
    running = true;
    try {
      let now = inFrame;
      while (pending) {
        pending = false;
        if (!now) await nextFrame();
        now = false;
        await renderOnce();
      }
    } catch (err) {
      console.error(err);
    } finally {
      running = false;
    }
  }

  const mainLayer = () => ({ bg: $("map-bg"), fg: $("map") });
  const layerOf = (d) => ({ bg: d.querySelector(".bg"), fg: d.querySelector(".fg") });

  function toolbar(it) {
    const scrub = $("scrub");
    scrub.max = player.max;
    if (document.activeElement !== scrub || player.playing) scrub.value = it;
    $("iteration").textContent = t("studio.iteration", { it, max: player.max });
    const play = $("play");
    play.textContent = t(player.playing ? "studio.pause" : "studio.play");
    play.setAttribute("aria-pressed", player.playing ? "true" : "false");
  }

  function legend(vis, look, state, n) {
    const key = JSON.stringify([look, state.runs.map((r) => r.hidden), n]);
    if (drawn.legendKey === key) return;
    drawn.legendKey = key;
    const items = look.labels.slice(0, n).map((label, i) => {
      const line = el("span", { class: `legend-line dash-${look.runs[i].dash}`, "aria-hidden": "true" });
      line.style.borderTopColor = look.runs[i].color;
      // a run with switches: its path after the first one is dotted (plots.js), and so is its legend's line after this one
      const after = look.runs[i].links?.length ? el("span", { class: "legend-line dash-dot", "aria-hidden": "true" }) : null;
      if (after) after.style.borderTopColor = look.runs[i].color;
      return el("button", { type: "button", class: "legend-item", "aria-pressed": state.runs[i].hidden ? "false" : "true",
        "data-legend": i, title: t("studio.legend.toggle") }, line, after, el("span", { class: "legend-text" }, label));
    });
    // the companion sequences of the runs that have them (thin: the average x; dashed: z)
    look.labels.slice(0, n).forEach((label, i) => {
      const c = look.runs[i].companions;
      if (!c || state.runs[i].hidden) return;
      for (const role of c.beta === null || c.beta === undefined ? ["avg"] : ["avg", "z"]) {
        const line = el("span", { class: `legend-line companion ${role === "z" ? "dash-dash" : ""}`, "aria-hidden": "true" });
        line.style.borderTopColor = look.runs[i].color;
        items.push(el("span", { class: "legend-item legend-companion", "data-companion": `${i}:${role}` }, line,
          el("span", { class: "legend-text" }, `${label}: ${t(role === "avg" ? "studio.legend.average" : "studio.legend.z")}`)));
      }
    });
    $("legend").replaceChildren(...items);
  }

  async function renderOnce() {
    const state = store.get();
    const it = player.it;
    toolbar(it);
    const v = model.view;
    const res = model.result && v && model.result.key === v.key ? model.result : null;
    $("run-error").textContent = model.error || "";
    if (!v) return;
    const n = res ? Math.min(res.runs.length, state.runs.length) : 0;
    const vis = state.runs.map((r, i) => (r.hidden || i >= n ? -1 : i)).filter((i) => i >= 0);
    if (!plotlyLoaded()) { // the grid is here, Plotly not yet: its first look on a canvas (studio_preview.js)
      if (state.view === "overlay" && !state.threeD) {
        drawMapPreview({ view: v, runs: res?.runs, look: ctx.look(state), vis, it, equal: ctx.equalOf(state, v.surface) });
      }
      return;
    }
    // a newer answer is on its way: redrawing the one on screen (e.g. with the new legend) is wasted
    // work; a stale answer not yet drawn is drawn (while a slider is dragged, each answer shows)
    if (res && !model.error && (model.queued || res.gen !== model.gen) && drawn.gen === res.gen && drawn.rev === res.rev
      && player.it === drawn.it) return;
    // a fresh stream: most answers arrive whole within a few frames, drawn once rather than twice
    const wait = res && !res.done ? FRESH_MS - (performance.now() - res.tMeta) : 0;
    if (wait > 0 && drawn.sig) { setTimeout(request, wait); return; }
    const look = ctx.look(state);
    const lang = ctx.lang();
    const equal = ctx.equalOf(state, v.surface);
    const pm = { surface: v.surface, grid: v.grid, surfaceKey: v.key, runs: look.runs, labels: look.labels, result: res?.runs,
      showArrows: state.arrows, equal, plotlyLegend: false, statusText, dragmode: ctx.dragmode(),
      curvature: res ? ctx.inspector?.curvature ?? null : null, noise: res ? ctx.inspector?.noise ?? null : null };
    const mode = state.threeD ? "3d" : state.view;
    const allHidden = state.runs.length > 0 && state.runs.every((r) => r.hidden);
    $("map-wrap").hidden = mode !== "overlay";
    $("map3d").hidden = mode !== "3d";
    $("multiples").hidden = mode !== "multiples";
    $("empty").hidden = !allHidden;
    $("charts").hidden = allHidden;
    legend(vis, look, state, state.runs.length);

    const size = `${$("map-wrap").clientWidth}x${$("map-wrap").clientHeight}`;
    // a run's evaluation markers (L-BFGS) get their trace when its first evaluations arrive
    const evalsShown = res ? res.runs.map((r) => !!r.evals) : null;
    // what the figure is made of: while it stays, a new answer or a new iteration is ONE restyle
    // of the drawn traces' data (updateMap), never a new figure, and the contour is not touched
    const sig = JSON.stringify([mode, v.key, !!res, vis, look.runs, mode === "multiples" ? look.labels : null, equal, state.arrows,
      lang, size, pm.dragmode, pm.curvature, pm.noise, evalsShown]);
    const rev = res?.rev ?? -1;
    const moved = it !== drawn.it || rev !== drawn.rev || res?.gen !== drawn.gen;
    let fresh = false; // a new figure drawn in this frame (the first one: Plotly's code still cold)
    if (mode === "overlay") {
      if (sig !== drawn.sig || !res) { await drawMap(mainLayer(), pm, it, vis); fresh = true; }
      else if (moved && !(await updateMap(mainLayer(), pm, it))) await drawMap(mainLayer(), pm, it, vis);
    } else if (mode === "multiples") {
      const box = $("multiples");
      if (sig !== drawn.sig || !res) {
        const panels = vis.map((i) => box.querySelector(`[data-small="${i}"]`)
          || el("div", { class: "small-map layered", "data-small": i }, el("div", { class: "bg" }), el("div", { class: "fg" })));
        box.replaceChildren(...panels);
        for (let k = 0; k < panels.length; k++) await drawMap(layerOf(panels[k]), pm, it, [vis[k]], look.labels[vis[k]]);
      } else if (moved) {
        for (const panel of box.children) {
          if (!(await updateMap(layerOf(panel), pm, it))) {
            const i = +panel.dataset.small;
            await drawMap(layerOf(panel), pm, it, [i], look.labels[i]);
          }
        }
      }
    } else if (sig !== drawn.sig || moved) {
      await draw3D($("map3d"), pm, it, vis);
    }
    endMapPreview(); // Plotly's figure is on screen

    // charts: redrawn when what they show changed, at most every CHART_EVERY_MS while streaming
    const csig = JSON.stringify([v.key, res?.gen, res?.done, vis, look, lang, allHidden]);
    const now = performance.now();
    // a young stream (most answers arrive whole within this time) is charted once, when done
    const young = res && !res.done && now - res.t0 < CHART_EVERY_MS;
    // while a slider is dragged (answers superseded by newer ones), the charts follow at most every
    // CHART_EVERY_MS; the newest answer is charted at once
    const superseded = res && (model.queued || res.gen !== model.gen);
    const recent = now - (drawn.cat || 0) <= CHART_EVERY_MS;
    // ... and a new answer's charts a frame after its paths (the first figure's too): the paths are
    // on screen one chart-drawing sooner
    const later = (fresh || res?.gen !== drawn.gen) && csig !== drawn.csig && !!res && !allHidden && !young;
    if (later) pending = true;
    const deferred = later || (!allHidden && res && !young && csig !== drawn.csig && superseded && recent && drawn.csig);
    if (deferred) {
      clearTimeout(drawn.chartTimer);
      if (!later) drawn.chartTimer = setTimeout(request, CHART_EVERY_MS - (now - drawn.cat));
      if (it !== drawn.cit) await moveCursor($("charts"), it);
      drawn.cit = it;
    } else if (!allHidden && res && !young) {
      if (csig !== drawn.csig || (rev !== drawn.crev && !recent)) {
        await drawCharts($("charts"), pm, it, vis);
        drawn.csig = csig;
        drawn.crev = rev;
        drawn.cat = performance.now();
      } else if (it !== drawn.cit) await moveCursor($("charts"), it);
      drawn.cit = it;
    } else if (!young) drawn.crev = rev; // nothing to chart

    readout(res, vis, look, it);
    ctx.inspector?.update(res, vis, look, it);
    // keyed on the answer too: two answers can reach the same rev (the same number of events)
    const trev = `${res?.gen}:${rev}`;
    if (trev !== drawn.trev || lang !== drawn.tlang || JSON.stringify(look) !== drawn.tlook) {
      updateStatuses(res);
      if (res?.done) summary(res, v.surface, state, look, ctx.catalogue());
      drawn.trev = trev;
      drawn.tlang = lang;
      drawn.tlook = JSON.stringify(look);
    }
    drawn = { ...drawn, sig, it, rev, gen: res?.gen };
    timings.frames++;
    // ready: the newest request's answer is complete and drawn (charts included)
    const ready = !!res && !model.queued && res.gen === model.gen && res.done && drawn.crev === rev;
    if (ready && document.body.dataset.ready !== "1") {
      timings.lastRun = performance.now() - res.t0;
      document.body.dataset.ready = "1";
    }
    if (res && drawn.crev !== rev && !deferred) pending = true; // a chart redraw is still owed
  }

  // draw everything now, from scratch (the benchmark times this; call it when the queue is idle)
  async function redrawNow() {
    drawn = {};
    await renderOnce();
  }

  // forget what was drawn (e.g. after a resize or a language switch)
  function invalidate() {
    drawn = {};
    request();
  }

  return { request, invalidate, redrawNow, timings };
}
