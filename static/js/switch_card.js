// A run card's "Switch optimizer" section (issue 21), drawn the same on the studio's cards
// (sidebar.js: a switch at a step, or SWATS's rule) and on the networks page's (networks.js: a switch
// at an epoch). Each page gives what differs: the optimizers it offers, how a switch is placed (its
// controls) and how a switch reads in the summary. Every control carries the path it edits; the
// page's delegated listeners write the store (actions "switch-add", "switch-remove").
import { el, paramControl } from "./controls.js";
import { t } from "./i18n.js";

// "Switch optimizer: Adam → Momentum @ 200": `name(id)` an optimizer's name, `mark(link, name)` how
// one switch reads (the studio: its step; the networks page: its epoch)
export function switchSummary(run, name, mark) {
  const links = run.links || [];
  if (!links.length) return t("studio.switch.summary_none");
  return t("studio.switch.summary", { chain: name(run.optimizer) + links.map((l) => mark(l, name(l.optimizer))).join("") });
}

// Where a new switch goes: halfway from the switch before (`prev`, or the start) to the run's end,
// a whole number of `unit`s (the studio: an epoch's first update; the networks page counts in
// epochs: unit 1), within 1 … end − 1.
export function switchPoint(prev, end, unit = 1) {
  const half = Math.round((prev + end) / 2 / unit) * unit;
  return Math.max(1, Math.min(end - 1, Math.max(prev + unit, half)));
}

// One switch of run i's chain (its k-th later link): the optimizer that takes over (one of
// `optimizers`), a remove button, `placement` (the controls that say when), its formula and params
// (a SWATS link takes no lr: SWATS sets SGD's rate).
export function switchLink({ link, k, i, optimizers, placement }) {
  const p = `runs.${i}.links.${k}`;
  const id = `run${i}-w${k}`;
  const opt = optimizers.find((o) => o.id === link.optimizer) || optimizers[0];
  const specs = link.rule ? opt.params.filter((ps) => ps.name !== "lr") : opt.params;
  return el("div", { class: "switch-link", "data-link": k },
    el("div", { class: "param" }, el("label", { for: id }, t("studio.switch.then")),
      el("select", { id, class: "opt-select", "aria-label": t("studio.switch.optimizer_aria", { n: i + 1, k: k + 1 }), dataset: { path: `${p}.optimizer`, type: "choice" },
        disabled: link.rule ? true : undefined },
      optimizers.map((o) => el("option", { value: o.id, selected: o.id === opt.id }, o.name))),
      el("button", { type: "button", "aria-label": t("studio.switch.remove_aria", { k: k + 1 }), title: t("studio.switch.remove_aria", { k: k + 1 }),
        dataset: { action: "switch-remove", run: i, link: k } }, "×")),
    placement,
    el("div", { class: "formula", title: opt.convention }, opt.formula),
    el("div", { class: "params" }, specs.map((ps) => paramControl(ps, link.params[ps.name], null, id, { path: `${p}.params.${ps.name}` }))));
}

// The section: its summary, the switches (`links`: their nodes), "+ add a switch" (off when
// `full`: the server's `max_optimizer_links`, or a run too short to switch in).
export function switchSection({ i, summary, links, full, limit, title }) {
  return el("details", { class: "switch", open: links.length ? true : undefined },
    el("summary", {}, summary),
    links,
    el("button", { type: "button", class: "switch-add", dataset: { action: "switch-add", run: i }, disabled: full || undefined,
      title: `${title} (${t("studio.switch.limit", { n: limit })})` }, t("studio.switch.add")));
}
