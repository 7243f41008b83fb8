// The step inspector: for one run at the scrubbed update, each line of its rule with the numbers
// filled in. The lines and numbers come from the server (POST /api/v1/inspect, rule lines written
// once in app/inspect.py); this module only picks the run and the update and lays out the table.
import { getCurvature, getGradientNoise, getInspect } from "./api.js";
import { el, toSlider } from "./controls.js";
import { fmt } from "./format.js";
import { lang, t } from "./i18n.js";

const $ = (id) => document.getElementById(id);
const WAIT_MS = 150; // scrubbing or playing: ask once the update stops changing

// nameOf(id): an optimizer's name in the page's language (the active link of a chained run says it)
export function createInspector(onCurvature = () => {}, nameOf = (id) => id) {
  const api = { curvature: null };
  let shownKey = null;
  let timer = null;
  let chosen = null; // the run picked in the select (null: the first visible run)
  let shownView = { vis: [], look: null, it: 0 }; // what was on screen for the shown key

  function options(vis, look) {
    const sel = $("inspect-run");
    const sig = JSON.stringify(vis.map((i) => [i, look.labels[i]]));
    if (sel.dataset.sig !== sig) {
      sel.replaceChildren(...vis.map((i) => el("option", { value: String(i) }, look.labels[i])));
      sel.dataset.sig = sig;
    }
    const run = vis.includes(chosen) ? chosen : vis[0];
    if (run !== undefined) sel.value = String(run);
    return run;
  }

  // Why an update did not move (Δθ = 0): L-BFGS says why its step ended (the answer's `stop`, from
  // its driver); the tolerances quoted are the run's resolved ones.
  function zeroNote(data, params) {
    const step = data.lines.find((line) => line.symbol === "Δθ");
    if (!step || step.x !== 0 || (step.y !== 0 && step.y !== null)) return "";
    const f = (v) => (v === null || v === undefined ? "—" : fmt(Number(v), 3));
    if (data.stop === "tolerance_grad") return t("studio.inspect.zero_tolerance_grad", { tol: f(params.tolerance_grad) });
    const d = data.lines.find((line) => line.symbol === "d");
    if (data.stop === "descent" && d) {
      return t("studio.inspect.zero_descent", { tol: f(params.tolerance_change), gd: f(data.g[0] * d.x + data.g[1] * d.y) });
    }
    return t("studio.inspect.zero_step");
  }

  // a run with switches (an optimizer chain): which link's rule the step is, since when, its own step
  function showLink(link, links) {
    $("inspect-link").textContent = link ? t("studio.switch.inspect_link", { name: nameOf(link.optimizer), n: link.index + 1,
      m: links?.length ?? link.index + 1, start: link.start, step: link.step + 1 }) : ""; // counted from 1, as the head's update
    $("inspector").dataset.link = link ? String(link.index) : "";
  }

  function show(data, look, params = {}) {
    const f = (v) => (v === null || v === undefined ? "—" : fmt(Number(v), 4));
    $("inspect-head").textContent = t("studio.inspect.head", { t: data.t + 1, lr: f(data.lr), x: f(data.theta[0]), y: f(data.theta[1]) });
    $("inspect-note").textContent = data.known ? zeroNote(data, params) : t("studio.inspect.unknown", { optimizer: data.optimizer });
    $("inspect-body").replaceChildren(...data.lines.map((line) => el("tr", {},
      el("td", { class: "formula" }, line.formula), el("td", {}, f(line.x)), el("td", {}, f(line.y)))));
    const box = $("inspector");
    box.dataset.run = String(data.run);
    box.dataset.t = String(data.t);
    box.dataset.ready = "1";
    if (window.optiviz) window.optiviz.inspected = data; // for tests
  }

  // The curvature at the inspected point: numbers under the table, the eigen-axes on the map
  // (plots.js draws model.curvature) and GD's threshold 2/λmax as a tick on every lr slider.
  async function curvatureAt(surface, point, key, data, res) {
    const box = $("curv-text");
    if (!$("curv-show").checked) { api.curvature = api.noise = null; box.textContent = ""; marks(null); onCurvature(); return; }
    if (res.surface?.kind === "dataset") { noiseAt(surface, data, key, res); return; }
    api.noise = null; // no mini-batches here: no ellipses left from a data set shown before
    let c = null;
    try {
      c = await getCurvature({ surface, point });
    } catch (err) {
      if (key === shownKey) { box.textContent = String(err.message || err); api.curvature = null; marks(null); onCurvature(); }
      return;
    }
    if (key !== shownKey) return;
    const f = (v) => (v === null || v === undefined ? "—" : fmt(Number(v), 4));
    const lines = [t("studio.curv.eigen", { l1: f(c.eigenvalues[0]), l2: f(c.eigenvalues[1]) }),
      c.gd_threshold ? t("studio.curv.threshold", { v: f(c.gd_threshold) }) : t("studio.curv.no_threshold")];
    if (c.quadratic && c.condition_number) {
      lines.push(t("studio.curv.quadratic", { kappa: f(c.condition_number), gd: f(c.gd_optimal_lr),
        alpha: f(c.heavy_ball.lr), beta: f(c.heavy_ball.beta) }));
    }
    box.replaceChildren(...lines.map((l) => el("div", {}, l)));
    api.curvature = c;
    marks(c.gd_threshold);
    $("inspector").dataset.curvature = "1";
    if (window.optiviz) window.optiviz.curvature = c; // for tests
    onCurvature();
  }

  // Dataset surfaces: the spread of the mini-batch gradient at each visible run's point of the
  // scrubbed iteration, drawn in the run's colour as the 2σ ellipse of where a plain SGD step of
  // its α (that update's rate) from there lands (plots.js draws model.noise); the numbers are the
  // inspected run's.
  async function noiseAt(surface, data, key, res) {
    const box = $("curv-text");
    const { vis, look, it } = shownView;
    const points = vis.map((i) => {
      const d = res.runs[i];
      if (i === data.run) return { run: i, theta: data.theta, lr: data.lr };
      if (!d || !d.lr.length) return null;
      const k = Math.min(it, d.lr.length - 1);
      return { run: i, theta: [d.x[k], d.y[k]], lr: d.lr[k] };
    }).filter((p) => p && Number.isFinite(p.theta[0]) && Number.isFinite(p.theta[1]));
    let answers = null;
    try {
      answers = await Promise.all(points.map((p) => getGradientNoise({ surface, point: p.theta,
        batch_size: res.request.runs[p.run].batch_size ?? 1_000_000 })));
    } catch (err) {
      if (key === shownKey) box.textContent = String(err.message || err);
      return;
    }
    if (key !== shownKey) return;
    const f = (v) => fmt(Number(v), 3);
    const mine = points.findIndex((p) => p.run === data.run);
    const n = answers[mine];
    if (n) {
      const sd = n.axes.map((a) => a.length);
      box.replaceChildren(el("div", {}, t("studio.noise.text", { b: n.batch_size, m: n.samples, s1: f(sd[1]), s2: f(sd[0]) })),
        el("div", { class: "muted" }, t("studio.noise.every_run", { n: points.length })));
    }
    api.noise = points.map((p, k) => ({
      run: p.run, color: look.runs[p.run]?.color, dash: look.runs[p.run]?.dash, batch_size: answers[k].batch_size,
      center: [p.theta[0] - p.lr * answers[k].mean[0], p.theta[1] - p.lr * answers[k].mean[1]],
      axes: answers[k].axes.map((a) => ({ length: 2 * p.lr * a.length, direction: a.direction })) }));
    api.curvature = null;
    $("inspector").dataset.curvature = "1";
    if (window.optiviz) { window.optiviz.noise = n; window.optiviz.noises = api.noise; } // for tests
    onCurvature();
  }

  function marks(threshold) {
    let list = $("lr-marks");
    if (!list) { list = el("datalist", { id: "lr-marks" }); document.body.append(list); }
    const sliders = document.querySelectorAll('input[type=range][data-slider="lr"]');
    list.replaceChildren();
    sliders.forEach((sl) => {
      if (threshold && sl._spec) {
        list.replaceChildren(el("option", { value: String(toSlider(sl._spec, threshold)) }));
        sl.setAttribute("list", "lr-marks");
        sl.title = t("studio.curv.threshold", { v: fmt(threshold, 4) });
      } else {
        sl.removeAttribute("list");
        sl.removeAttribute("title");
      }
    });
  }

  // called by each render frame with what is on screen
  function update(res, vis, look, it) {
    const sel = $("inspect-run");
    if (!sel) return;
    const run = res ? options(vis, look) : undefined;
    const d = run === undefined ? null : res.runs[run];
    if (!d || !d.done || !d.lr.length) {
      $("inspector").dataset.ready = "0";
      return;
    }
    const step = Math.min(it, d.lr.length - 1);
    // on dataset surfaces every visible run's ellipse moves with the iteration
    const dataset = res.surface?.kind === "dataset";
    const longest = Math.max(...vis.map((i) => res.runs[i]?.lr.length || 0));
    const key = JSON.stringify([res.gen, res.key, run, step, look.labels[run], lang(), // its texts are the page's language
      dataset ? [vis, Math.min(it, longest - 1), vis.map((i) => look.runs[i]?.color)] : 0]);
    if (key === shownKey) return;
    shownKey = key;
    shownView = { vis: [...vis], look, it };
    $("inspector").dataset.ready = "0";
    clearTimeout(timer);
    timer = setTimeout(async () => {
      try {
        const body = { ...res.request, include_state: undefined, run, t: step };
        const data = await getInspect(body);
        if (key === shownKey) {
          const meta = res.meta?.runs?.[run];
          show(data, look, meta?.optimizers?.[data.link?.index]?.params || meta?.params || {}); // the active link's params
          showLink(data.link, meta?.optimizers);
          curvatureAt(res.request.surface, data.theta, key, data, res);
        }
      } catch (err) {
        if (key === shownKey) { $("inspect-note").textContent = String(err.message || err); showLink(null); }
      }
    }, WAIT_MS);
  }

  function refresh(again) {
    shownKey = null;
    again();
  }

  function choose(run, again) {
    chosen = run;
    shownKey = null;
    again();
  }

  api.update = (...a) => { update(...a); if (api.curvature) marks(api.curvature.gd_threshold); };
  api.choose = choose;
  api.refresh = refresh;
  return api;
}
