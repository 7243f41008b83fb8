// The sidebar: surface settings and run cards, drawn from the store and writing into it.
// Every control carries the path it edits; one delegated listener per container reads the path and
// the value at event time and calls store.update — no callback holds a copy of a run.
import { el, fromSlider, inBounds, paramControl, parseValue, toSlider } from "./controls.js";
import { autoLabel, fmt, numText } from "./format.js";
import { t } from "./i18n.js";
import { getPath, setPath } from "./store.js";
import { switchLink, switchPoint, switchSection, switchSummary } from "./switch_card.js";
import { SWATS, followSteps, normalizeRun, openingParams, swatsAllowed, validColor } from "./state.js";

const $ = (id) => document.getElementById(id);

function scheduleSummary(run, cat) {
  const sched = run.schedule || { name: "constant", warmup_steps: 0 };
  const sspec = cat.schedules.find((s) => s.id === sched.name) || cat.schedules[0];
  const then = (sched.chain || []).map((c) => `${cat.schedules.find((s) => s.id === c.name)?.name || c.name} @${c.milestone}`);
  return t("studio.run.schedule_summary", { name: [sspec.name, ...then].join(" → ") })
    + (sched.warmup_steps ? t("studio.run.warmup_summary", { n: sched.warmup_steps }) : "");
}

// how a switch reads in the card's summary: " → Momentum @ 200" (or SWATS's rule)
const stepMark = (l, name) => (l.rule ? t("studio.switch.label_rule", { name }) : t("studio.switch.label", { name, k: l.milestone }));
const switchText = (run, cat) => switchSummary(run, (id) => cat.optimizers.find((o) => o.id === id)?.name || id, stepMark);

export function createSidebar(ctx) {
  const { store } = ctx;

  // Where a new switch k goes: halfway from the switch before (or the start) to the run's end, within
  // the steps the API allows (1 … steps − 1); with mini-batches on a data set, on an epoch's first update.
  function defaultMilestone(d, run, k) {
    const s = ctx.surfaceOf(d);
    const epoch = s?.kind === "dataset" && run.batch_size && run.batch_size < s.dataset.m ? Math.ceil(s.dataset.m / run.batch_size) : 1;
    const prev = (run.links || []).slice(0, k).reduce((m, l) => l.milestone ?? m, 0);
    return switchPoint(prev, d.steps, epoch);
  }
  let cardsKey = "";

  // --- writing ---------------------------------------------------------------------------------

  // an edit of the state at `path`; lengths that follow the run's steps follow it (state.js followSteps)
  function write(path, value, meta = {}) {
    const before = store.get();
    const schedules = ctx.catalogue().schedules;
    store.update((d) => {
      edit(d, path, value, schedules);
      followSteps(d, before, schedules);
    }, meta);
  }

  function edit(d, path, value, schedules) {
    const m = /^runs\.(\d+)\.(.+)$/.exec(path);
    if (!m) { setPath(d, path, value); return; }
    const run = d.runs[+m[1]];
    if (!run) return;
    const rest = m[2];
    if (rest === "optimizer") { // a new optimizer takes the rate suggested for it here (the card's hint says so)
      run.optimizer = value;
      const lr = ctx.suggestedLr(d, value);
      run.params = lr !== undefined ? { lr } : {};
      if (run.links?.[0]?.rule && !swatsAllowed(run, 0)) run.links[0] = { milestone: defaultMilestone(d, run, 0), optimizer: run.links[0].optimizer, params: {} };
      return;
    }
    const link = /^links\.(\d+)\.(optimizer|when)$/.exec(rest);
    if (link && run.links?.[+link[1]]) { // the optimizer after a switch, or how the switch is placed (a step or SWATS's rule)
      const k = +link[1];
      const old = run.links[k];
      const lrOf = (id) => ctx.suggestedLr(d, id);
      if (link[2] === "optimizer") {
        const lr = lrOf(value);
        run.links[k] = { ...old, optimizer: value, params: lr !== undefined && !old.rule ? { lr } : {} };
      } else if (value === SWATS.rule && swatsAllowed(run, k)) run.links[k] = { rule: SWATS.rule, optimizer: SWATS.to, params: {} }; // SWATS sets SGD's rate
      else if (value !== SWATS.rule && old.rule) {
        const lr = lrOf(old.optimizer);
        run.links[k] = { milestone: defaultMilestone(d, run, k), optimizer: old.optimizer, params: lr !== undefined ? { lr } : {} };
      }
      return;
    }
    if (rest.startsWith("schedule.")) {
      run.schedule ||= { name: "constant", params: {}, warmup_steps: 0, per: "step" };
      if (rest === "schedule.name") {
        const spec = schedules.find((x) => x.id === value);
        if (spec?.reads_loss) { // it takes no warm-up and no chain; on a data set it reads each epoch's loss
          run.schedule.warmup_steps = 0;
          delete run.schedule.chain;
          if (ctx.surfaceOf(d)?.kind === "dataset") run.schedule.per = "epoch";
        }
        run.schedule.params = run.schedule.per === "epoch" ? {} : openingParams(schedules, value, run, d.steps);
      }
      const link = /^schedule\.chain\.(\d+)\.name$/.exec(rest);
      if (link && run.schedule.chain?.[+link[1]]) {
        run.schedule.chain[+link[1]].params = run.schedule.per === "epoch" ? {} : openingParams(schedules, value, run, d.steps, +link[1] + 1);
      }
    }
    if (rest === "color") value = validColor(value);
    if (rest === "label") value = String(value).slice(0, ctx.limits.max_label_length);
    setPath(run, rest, value);
  }

  function numberFrom(node) {
    const spec = node._spec;
    const v = parseValue(spec, node.value);
    const ok = spec.type === "int_list" ? v.every((x) => inBounds({ ...spec, type: "int" }, x)) : inBounds(spec, v);
    node.toggleAttribute("aria-invalid", !ok);
    if (ok && node.type === "number") node.title = fmt(v, 6);
    return ok ? v : undefined;
  }

  function onField(e) {
    const node = e.target;
    if (node.dataset.sliderFor) {
      const v = fromSlider(node._spec, +node.value);
      const number = node.parentElement.querySelector("input[type=number]");
      if (number) { number.value = numText(v); number.removeAttribute("aria-invalid"); }
      write(node.dataset.sliderFor, v, { live: true });
      return;
    }
    const path = node.dataset.path;
    if (!path) return;
    const type = node.dataset.type;
    let v;
    if (type === "bool") v = node.checked;
    else if (type === "float" || type === "int" || type === "int_list") {
      v = numberFrom(node);
      if (v === undefined) return;
      const slider = node.parentElement.querySelector("input[type=range]");
      if (slider) slider.value = toSlider(node._spec, v);
    } else v = node.value;
    write(path, v);
  }

  function onAction(e) {
    const button = e.target.closest("button[data-action]");
    if (!button) return;
    const i = +button.dataset.run;
    const action = button.dataset.action;
    const before = store.get();
    const schedules = ctx.catalogue().schedules;
    store.update((d) => {
      if (action === "hide") d.runs[i].hidden = !d.runs[i].hidden;
      else if (action === "dup" && d.runs.length < ctx.limits.max_runs) {
        d.runs.splice(i + 1, 0, normalizeRun({ ...structuredClone(d.runs[i]), label: "", hidden: false }));
      } else if (action === "remove" && d.runs.length > 1) d.runs.splice(i, 1);
      else if (action === "chain-add" && (d.runs[i].schedule?.chain?.length || 0) < ctx.limits.max_chain_length) {
        // SequentialLR: one more schedule from a later milestone
        const s = (d.runs[i].schedule ||= { name: "constant", params: {}, warmup_steps: 0, per: "step" });
        const chain = (s.chain ||= []);
        const last = chain.length ? chain[chain.length - 1].milestone : 0;
        chain.push({ milestone: last + Math.max(1, Math.round(d.steps / (chain.length ? 4 : 10))), name: "cosine", params: {} });
        s.warmup_steps = 0; // the chain's first schedule is the warm-up (e.g. linear)
        if (s.per !== "epoch") chain[chain.length - 1].params = openingParams(schedules, "cosine", d.runs[i], d.steps, chain.length);
      } else if (action === "switch-add" && (d.runs[i].links?.length || 0) + 1 < ctx.limits.max_optimizer_links && d.steps > 1) {
        // one more optimizer from a later step: the optimizer picked here first, at its suggested rate
        const run = d.runs[i];
        const links = (run.links ||= []);
        const opt = ctx.catalogue().optimizers.find((o) => !o.networks_only && o.driver !== "closure" && o.id !== run.optimizer);
        const lr = ctx.suggestedLr(d, opt.id);
        links.push({ milestone: defaultMilestone(d, run, links.length), optimizer: opt.id, params: lr !== undefined ? { lr } : {} });
      } else if (action === "switch-remove") {
        d.runs[i].links?.splice(+button.dataset.link, 1);
        if (d.runs[i].links?.[0]?.rule && !swatsAllowed(d.runs[i], 0)) d.runs[i].links.splice(0, 1);
      } else if (action === "chain-remove") {
        const s = d.runs[i].schedule;
        s?.chain?.splice(+button.dataset.link, 1);
        if (s?.chain && !s.chain.length) delete s.chain;
      }
      followSteps(d, before, schedules); // a piece's span changed with the chain
    });
  }

  const runs = $("runs");
  runs.addEventListener("input", (e) => { if (e.target.matches("input[type=number], input[type=range], input[type=text]:not([data-type=int_list])")) onField(e); });
  runs.addEventListener("change", (e) => { if (e.target.matches("select, input[type=checkbox], input[type=color], input[data-type=int_list]")) onField(e); });
  runs.addEventListener("click", onAction);

  // --- drawing ---------------------------------------------------------------------------------

  function warmupSpec() {
    const max = ctx.limits.max_warmup_steps;
    return { name: "warmup_steps", type: "int", default: 0, min: 0, max, slider_min: 0,
      slider_max: Math.min(max, ctx.limits.max_steps), slider_scale: "log", description: t("studio.run.warmup_desc") };
  }

  // one more schedule of a SequentialLR chain: from its milestone on, restarted at its step 0
  function chainLink(link, k, i, cat) {
    const p = `runs.${i}.schedule.chain.${k}`;
    const spec = cat.schedules.find((s) => s.id === link.name) || cat.schedules[0];
    const milestone = { name: "milestone", type: "int", default: link.milestone, min: 1, max: ctx.limits.max_steps, slider_min: 1,
      slider_max: ctx.limits.max_steps, slider_scale: "log", description: t("studio.run.chain_milestone_desc") };
    return el("div", { class: "chain-link", "data-link": k },
      el("div", { class: "param" }, el("label", { for: `run${i}-c${k}` }, t("studio.run.chain_then")),
        el("select", { id: `run${i}-c${k}`, "aria-label": t("studio.run.chain_aria", { n: i + 1, k: k + 2 }), dataset: { path: `${p}.name`, type: "choice" } },
          cat.schedules.filter((s) => !s.reads_loss).map((s) => el("option", { value: s.id, selected: s.id === spec.id }, s.name))),
        el("button", { type: "button", "aria-label": t("studio.run.chain_remove_aria", { k: k + 2 }), dataset: { action: "chain-remove", run: i, link: k } }, "×")),
      paramControl(milestone, link.milestone, null, `run${i}-c${k}`, { path: `${p}.milestone`, label: t("studio.run.chain_milestone") }),
      el("div", { class: "formula" }, spec.formula),
      spec.params.map((ps) => paramControl(ps, link.params[ps.name], null, `run${i}-c${k}`, { path: `${p}.params.${ps.name}` })));
  }

  // one switch of the run's optimizer chain: from its step (or SWATS's) on, this optimizer, afresh
  function stepLink(run, link, k, i, cat) {
    const p = `runs.${i}.links.${k}`;
    const id = `run${i}-w${k}`;
    const steps = store.get().steps;
    const milestone = { name: "milestone", type: "int", default: link.milestone ?? 1, min: 1, max: Math.max(1, steps - 1), slider_min: 1,
      slider_max: Math.max(1, steps - 1), scale: "linear", description: t("studio.switch.milestone_desc") };
    const placement = [
      swatsAllowed(run, k) ? el("div", { class: "param" }, el("label", { for: `${id}-when` }, t("studio.switch.when")),
        el("select", { id: `${id}-when`, dataset: { path: `${p}.when`, type: "choice" } },
          el("option", { value: "step", selected: !link.rule }, t("studio.switch.when_step")),
          el("option", { value: SWATS.rule, selected: !!link.rule }, t("studio.switch.when_swats")))) : null,
      link.rule ? el("div", { class: "hint" }, t("studio.switch.swats_hint"))
        : paramControl(milestone, link.milestone, null, id, { path: `${p}.milestone`, label: t("studio.switch.milestone") })];
    const optimizers = cat.optimizers.filter((o) => !o.networks_only || o.id === link.optimizer);
    return switchLink({ link, k, i, optimizers, placement });
  }

  // when the run's α is the one suggested for its optimizer here: say so (and that a switch sets it)
  function suggestedHint(run, opt) {
    const lr = ctx.suggestedLr(store.get(), run.optimizer);
    return lr !== undefined && run.params.lr === lr ? t("studio.defaults.suggested", { lr: fmt(lr, 3), opt: opt.name }) : "";
  }

  function card(run, i, surface) {
    const cat = ctx.catalogue();
    const opt = cat.optimizers.find((o) => o.id === run.optimizer) || cat.optimizers[0];
    const n = i + 1;
    const p = `runs.${i}`;
    const drawn = ctx.look(store.get()).runs[i].color; // the colour the run is drawn in
    const swatch = el("span", { class: "swatch", "aria-hidden": "true" });
    swatch.style.background = drawn;
    const head = el("div", { class: "run-head" }, swatch,
      el("select", { "aria-label": t("studio.run.optimizer", { n }), title: t("studio.defaults.optimizer_title"), class: "opt-select", dataset: { path: `${p}.optimizer`, type: "choice" } },
        // the matrix optimizers (networks_only: Adafactor, Muon, LAMB) need a network: not offered on a surface
        cat.optimizers.filter((o) => !o.networks_only || o.id === opt.id).map((o) => el("option", { value: o.id, selected: o.id === opt.id }, o.name))),
      el("input", { type: "color", value: drawn.toLowerCase(), "aria-label": t("studio.run.colour", { n }), dataset: { path: `${p}.color`, type: "color" } }),
      el("button", { type: "button", "aria-label": t(run.hidden ? "studio.run.show_aria" : "studio.run.hide_aria", { n }), "aria-pressed": run.hidden ? "true" : "false",
        dataset: { action: "hide", run: i } }, t(run.hidden ? "studio.run.show" : "studio.run.hide")),
      el("button", { type: "button", "aria-label": t("studio.run.duplicate_aria", { n }), title: t("studio.run.duplicate_aria", { n }),
        dataset: { action: "dup", run: i }, disabled: store.get().runs.length >= ctx.limits.max_runs }, t("studio.run.duplicate")),
      el("button", { type: "button", "aria-label": t("studio.run.remove_aria", { n }), title: t("studio.run.remove_aria", { n }),
        dataset: { action: "remove", run: i }, disabled: store.get().runs.length <= 1 }, "×"));
    const label = el("div", { class: "param param-label" },
      el("label", { for: `run${i}-label` }, t("studio.run.label")),
      el("input", { type: "text", id: `run${i}-label`, value: run.label, maxlength: ctx.limits.max_label_length,
        placeholder: autoLabel(run, cat, surface), dataset: { path: `${p}.label`, type: "text" }, "data-label": i }));
    const params = opt.params.map((spec) => paramControl(spec, run.params[spec.name], null, `run${i}`, { path: `${p}.params.${spec.name}` }));

    const sched = run.schedule || { name: "constant", params: {}, warmup_steps: 0, per: "step" };
    const sspec = cat.schedules.find((s) => s.id === sched.name) || cat.schedules[0];
    const schedSummary = scheduleSummary(run, cat);
    const chain = sched.chain || [];
    const links = run.links || [];
    const extra = [];
    if (surface && surface.kind === "dataset") {
      const m = surface.dataset.m;
      extra.push(paramControl({ name: "batch_size", type: "int", default: m, min: 1, max: m, scale: "log",
        description: t("studio.run.batch_desc", { m }) }, run.batch_size || m, null, `run${i}`, { path: `${p}.batch_size` }));
      extra.push(el("div", { class: "param" }, el("label", { for: `run${i}-per` }, t("studio.run.count_in")),
        el("select", { id: `run${i}-per`, dataset: { path: `${p}.schedule.per`, type: "choice" } },
          ["step", "epoch"].map((v) => el("option", { value: v, selected: v === sched.per }, t(v === "step" ? "studio.run.updates" : "studio.run.epochs"))))));
    } else {
      extra.push(paramControl({ name: "noise_std", type: "float", default: 0, min: 0, max: 1e6, slider_min: 0, slider_max: 20,
        scale: "linear", description: t("studio.run.noise_desc") }, run.noise_std || 0, null, `run${i}`, { path: `${p}.noise_std` }));
    }
    return el("fieldset", { class: `run-card${run.hidden ? " hidden-run" : ""}`, "data-run": i },
      el("legend", { class: "sr-only" }, t("studio.run.legend", { n })),
      head, label,
      el("div", { class: "formula", title: opt.convention }, opt.formula),
      el("div", { class: "params" }, params),
      el("div", { class: "hint", "data-suggested": i, hidden: !suggestedHint(run, opt) }, suggestedHint(run, opt)),
      el("details", { class: "sched", open: sched.name !== "constant" || sched.warmup_steps > 0 || undefined },
        el("summary", {}, schedSummary),
        el("div", { class: "param" }, el("label", { for: `run${i}-sched` }, t("studio.run.schedule")),
          el("select", { id: `run${i}-sched`, "aria-label": t("studio.run.schedule_aria", { n }), dataset: { path: `${p}.schedule.name`, type: "choice" } },
            cat.schedules.map((s) => el("option", { value: s.id, selected: s.id === sspec.id }, s.name)))),
        el("div", { class: "formula" }, sspec.formula),
        sspec.params.map((spec) => paramControl(spec, sched.params[spec.name], null, `run${i}-s`, { path: `${p}.schedule.params.${spec.name}` })),
        sspec.reads_loss ? el("div", { class: "hint" }, t(surface?.kind === "dataset" ? "studio.run.plateau_rule_epoch" : "studio.run.plateau_rule"))
          : chain.length ? null
            : paramControl(warmupSpec(), sched.warmup_steps, null, `run${i}-s`, { path: `${p}.schedule.warmup_steps`, label: t("studio.run.warmup") }),
        chain.map((link, k) => chainLink(link, k, i, cat)),
        sspec.reads_loss ? null : el("button", { type: "button", class: "chain-add", dataset: { action: "chain-add", run: i },
          disabled: chain.length >= ctx.limits.max_chain_length || undefined, title: t("studio.run.chain_add_title") }, t("studio.run.chain_add"))),
      switchSection({ i, summary: switchText(run, cat), links: links.map((link, k) => stepLink(run, link, k, i, cat)),
        full: links.length + 1 >= ctx.limits.max_optimizer_links || store.get().steps < 2, limit: ctx.limits.max_optimizer_links,
        title: t("studio.switch.add_title") }),
      el("div", { class: "params" }, extra),
      el("div", { class: "status", "data-status": i }, ""));
  }

  // What forces the cards to be rebuilt (anything else is synced into the existing fields).
  function structure(state, surface) {
    return JSON.stringify([ctx.lang(), surface?.id, surface?.kind,
      state.runs.map((r) => [r.optimizer, r.schedule?.name, (r.schedule?.chain || []).map((c) => c.name), r.hidden, r.color,
        (r.links || []).map((l) => [l.optimizer, l.rule || ""])]),
      state.runs.length, state.steps > 1, state.runs.some((r) => r.links?.length) ? state.steps : 0]); // a switch's step is within the run's
  }

  function syncFields(root, state) {
    const active = document.activeElement;
    for (const node of root.querySelectorAll("[data-path]")) {
      if (node === active) continue;
      let v = getPath(state, node.dataset.path);
      const type = node.dataset.type;
      if (v === undefined || v === null) v = node._spec ? node._spec.default : node.value; // omitted: the catalogue's default
      if (type === "bool") node.checked = !!v;
      else if (type === "float" || type === "int") {
        const text = numText(v);
        if (node.value !== text && parseValue(node._spec, node.value) !== v) node.value = text;
        node.removeAttribute("aria-invalid");
        const slider = node.parentElement.querySelector("input[type=range]");
        if (slider && slider !== active) slider.value = toSlider(node._spec, v);
      } else if (type === "int_list") node.value = (v || []).join(", ");
      else if (type === "color") node.value = v || node.value;
      else if (node.value !== String(v)) node.value = v;
    }
  }

  function render(state) {
    const surface = ctx.surfaceOf(state);
    const cat = ctx.catalogue();
    // surface panel
    const sel = $("surface");
    const want = JSON.stringify([ctx.lang(), cat.surfaces.map((s) => s.id)]);
    if (sel.dataset.key !== want) {
      sel.replaceChildren(...cat.surfaces.map((x) => el("option", { value: x.id }, x.name)),
        el("option", { value: "custom" }, t("studio.surface.custom")));
      sel.dataset.key = want;
    }
    sel.value = state.surface;
    $("surface-desc").textContent = state.surface === "custom" ? t("studio.surface.custom_desc") : `${surface.formula} — ${surface.description}`;
    $("custom").hidden = state.surface !== "custom";
    const active = document.activeElement;
    const put = (id, v) => { if ($(id) !== active && $(id).value !== String(v)) $(id).value = v; };
    put("formula", state.expr);
    put("xr", state.xr.join(", "));
    put("yr", state.yr.join(", "));
    put("steps", state.steps);
    put("seed", state.seed);
    put("tolerance", numText(state.tolerance));
    $("steps").max = ctx.limits.max_steps;
    $("start").textContent = state.start ? `(${state.start.map((v) => fmt(v, 4)).join(", ")})` : t("studio.start.default");
    $("add-run").disabled = state.runs.length >= ctx.limits.max_runs;
    $("add-run").title = t("studio.runs.limit", { n: ctx.limits.max_runs });
    // run cards
    const key = structure(state, surface);
    if (key !== cardsKey) {
      const focused = document.activeElement?.closest?.("#runs") ? document.activeElement : null;
      const fpath = focused?.dataset.path || focused?.dataset.sliderFor;
      const faction = focused?.dataset.action ? `${focused.dataset.action}:${focused.dataset.run}` : null;
      runs.replaceChildren(...state.runs.map((r, i) => card(r, i, surface)));
      cardsKey = key;
      let back = null;
      if (fpath) back = runs.querySelector(`[data-path="${CSS.escape(fpath)}"], [data-slider-for="${CSS.escape(fpath)}"]`);
      else if (faction) { const [a, r] = faction.split(":"); back = runs.querySelector(`[data-action="${a}"][data-run="${r}"]`); }
      if (back) back.focus();
    } else {
      syncFields(runs, state);
      state.runs.forEach((r, i) => {
        const node = runs.querySelector(`[data-label="${i}"]`);
        if (node) node.placeholder = autoLabel(r, cat, surface);
        const summary = runs.querySelector(`[data-run="${i}"] .sched summary`);
        if (summary) summary.textContent = scheduleSummary(r, cat);
        const switches = runs.querySelector(`[data-run="${i}"] .switch summary`);
        if (switches) switches.textContent = switchText(r, cat);
        const hint = runs.querySelector(`[data-suggested="${i}"]`);
        const opt = cat.optimizers.find((o) => o.id === r.optimizer);
        if (hint && opt) { hint.textContent = suggestedHint(r, opt); hint.hidden = !hint.textContent; }
      });
    }
  }

  return { render, write };
}
