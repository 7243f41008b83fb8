// The tables under the plots: internals at the current iteration, the summary, the cards' statuses.
// Plain text only (el() appends strings as text nodes).
import { el } from "./controls.js";
import { fmt } from "./format.js";
import { t } from "./i18n.js";

const $ = (id) => document.getElementById(id);

// One wording for a run's status, in its card and in the summary.
export function statusText(r) {
  if (!r) return "";
  const base = t(r.done ? `studio.status.${r.status}` : "studio.status.running", { n: r.steps_taken });
  // closure optimizers (L-BFGS) evaluate the loss several times per step: say how many in all
  const withEvals = r.evals ? `${base} · ${t("studio.status.evals", { n: r.evals.x.length })}` : base;
  // SWATS (an optimizer chain's rule): where it switched and the SGD rate it estimated
  if (!r.done || !r.swats) return withEvals;
  const swats = r.swats.step === null ? t("studio.switch.swats_never") : t("studio.switch.swats_status", { k: r.swats.step, lr: fmt(r.swats.lr, 4) });
  return `${withEvals} · ${swats}`;
}

function swatch(color) {
  const s = el("span", { class: "swatch", "aria-hidden": "true" });
  s.style.background = color;
  return s;
}

export function updateStatuses(result) {
  document.querySelectorAll("[data-status]").forEach((node) => {
    const r = result?.runs[+node.dataset.status];
    node.textContent = r ? statusText(r) : "";
    node.dataset.kind = r ? r.status : "";
  });
}

export function readout(result, vis, look, it) {
  const f = (v) => (v === null || v === undefined ? "—" : fmt(Number(v), 3));
  const at = it;
  const rows = vis.map((i) => {
    const d = result?.runs[i];
    if (!d || !d.lr.length) return null;
    const it = Math.min(at, d.lr.length - 1); // at the end: the last update
    const st = d.state || {};
    return el("tr", {}, el("td", {}, swatch(look.runs[i].color), look.labels[i]),
      el("td", {}, `(${f(st.gx?.[it])}, ${f(st.gy?.[it])})`),
      // an averaged iterate (ASGD, Schedule-Free) is a point, not a velocity: said so
      el("td", {}, !st.mx ? "—" : look.runs[i].companions
        ? t("studio.table.average_point", { value: `(${f(st.mx[it])}, ${f(st.my[it])})` })
        : `(${f(st.mx[it])}, ${f(st.my[it])})`),
      el("td", {}, `(${f(d.x[it + 1] - d.x[it])}, ${f(d.y[it + 1] - d.y[it])})`),
      el("td", {}, st.eff_lr_x ? `(${f(st.eff_lr_x[it])}, ${f(st.eff_lr_y[it])})` : f(d.lr[it])));
  }).filter(Boolean);
  $("internals-body").replaceChildren(...rows);
}

// Does the last fifth of the path oscillate (most steps reverse the previous one on an axis)?
export function oscillates(d, span = 1) {
  const n = d.x.length - 1;
  if (n < 25) return false;
  const from = Math.floor(n * 0.8);
  let flips = 0;
  let count = 0;
  let size = 0;
  for (let k = from; k < n; k++) size += Math.hypot(d.x[k + 1] - d.x[k], d.y[k + 1] - d.y[k]);
  if (size / (n - from) < 1e-3 * span) return false; // too small to see or to matter
  for (const a of [d.x, d.y]) {
    for (let k = from + 1; k < n; k++) {
      const s0 = a[k] - a[k - 1];
      const s1 = a[k + 1] - a[k];
      if (s0 === 0 || s1 === 0) continue;
      count++;
      if (Math.sign(s0) !== Math.sign(s1)) flips++;
    }
  }
  return count > 0 && flips / count > 0.6;
}

export function summary(result, surface, state, look, catalogue) {
  const minima = surface?.minima || [];
  const tol = state.tolerance || 1e-3;
  const span = surface ? Math.max(surface.x_range[1] - surface.x_range[0], surface.y_range[1] - surface.y_range[0]) : 1;
  const near = (x, y) => (minima.length ? Math.min(...minima.map((m) => Math.hypot(x - m[0], y - m[1]))) : null);
  const notes = [];
  const rows = (result?.runs || []).map((d, i) => {
    // an answer to an earlier state can hold more runs than the state (a run just removed): those
    // rows wait for the new answer
    if (!d || !d.x.length || !look.runs[i] || state.runs[i]?.hidden) return null;
    const lastI = d.x.length - 1;
    const dist = near(d.x[lastI], d.y[lastI]);
    // steps to ‖g‖ < tol, counted only where the run is at a minimum: a tiny gradient on a plateau is
    // not convergence (GD stuck on the plateau would read "0 steps")
    const atMin = (t) => !minima.length || near(d.x[t], d.y[t]) <= 0.02 * span;
    let reach = -1;
    let flat = false;
    for (let t = 0; t < d.grad_norm.length; t++) {
      if (!(d.grad_norm[t] < tol)) continue;
      if (atMin(t)) { reach = t; break; }
      flat = true;
    }
    if (reach < 0 && d.status === "converged") { // stopped by the tolerance: at a minimum, or on flat ground
      if (atMin(d.x.length - 1)) reach = d.steps_taken;
      else flat = true;
    }
    const reachText = reach >= 0 ? String(reach) : flat ? t("studio.summary.flat") : "—";
    const status = el("td", {}, statusText(d));
    if (d.done && d.status === "max_steps" && oscillates(d, span)) {
      const opt = catalogue.optimizers.find((o) => o.id === state.runs[i]?.optimizer);
      const adaptive = (opt?.params || []).some((p) => p.name === "eps"); // per-axis rates divided by a gradient average
      status.append(el("div", { class: "hint" }, t("studio.summary.oscillating")));
      notes.push(el("li", { "data-note": i }, swatch(look.runs[i].color), `${look.labels[i]}: `,
        t(adaptive ? "studio.summary.oscillates_adaptive" : "studio.summary.oscillates")));
    }
    return el("tr", {}, el("td", {}, swatch(look.runs[i].color), look.labels[i]),
      status,
      el("td", {}, fmt(d.loss[lastI], 5)),
      el("td", {}, reachText),
      el("td", {}, dist === null ? "—" : fmt(dist, 3)));
  }).filter(Boolean);
  $("summary-tol").textContent = fmt(tol);
  $("summary-body").replaceChildren(...rows);
  $("summary-notes").replaceChildren(...notes);
}
