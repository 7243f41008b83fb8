// The step inspector: for one run at the scrubbed update, each line of its rule with the numbers
// filled in. The lines and numbers come from the server (POST /api/v1/inspect, rule lines written
// once in app/inspect.py); this module only picks the run and the update and lays out the table.
import { getInspect } from "./api.js";
import { el } from "./controls.js";
import { fmt } from "./format.js";
import { t } from "./i18n.js";

const $ = (id) => document.getElementById(id);
const WAIT_MS = 150; // scrubbing or playing: ask once the update stops changing

export function createInspector() {
  let shownKey = null;
  let timer = null;
  let chosen = null; // the run picked in the select (null: the first visible run)

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

  function show(data, look) {
    const f = (v) => (v === null || v === undefined ? "—" : fmt(Number(v), 4));
    $("inspect-head").textContent = t("studio.inspect.head", { t: data.t + 1, lr: f(data.lr), x: f(data.theta[0]), y: f(data.theta[1]) });
    $("inspect-note").textContent = data.known ? "" : t("studio.inspect.unknown", { optimizer: data.optimizer });
    $("inspect-body").replaceChildren(...data.lines.map((line) => el("tr", {},
      el("td", { class: "formula" }, line.formula), el("td", {}, f(line.x)), el("td", {}, f(line.y)))));
    const box = $("inspector");
    box.dataset.run = String(data.run);
    box.dataset.t = String(data.t);
    box.dataset.ready = "1";
    if (window.optiviz) window.optiviz.inspected = data; // for tests
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
    const key = JSON.stringify([res.gen, res.key, run, step, look.labels[run]]);
    if (key === shownKey) return;
    shownKey = key;
    $("inspector").dataset.ready = "0";
    clearTimeout(timer);
    timer = setTimeout(async () => {
      try {
        const body = { ...res.request, include_state: undefined, run, t: step };
        const data = await getInspect(body);
        if (key === shownKey) show(data, look);
      } catch (err) {
        if (key === shownKey) $("inspect-note").textContent = String(err.message || err);
      }
    }, WAIT_MS);
  }

  function choose(run, again) {
    chosen = run;
    shownKey = null;
    again();
  }

  return { update, choose };
}
