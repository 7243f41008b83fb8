// Controls generated from the catalogue endpoints: nothing here names an optimizer's parameters.

const el = (tag, attrs = {}, ...children) => {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") e.className = v;
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else if (v !== undefined && v !== null && v !== false) e.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) if (c !== null && c !== undefined) e.append(c);
  return e;
};
export { el };

const SLIDER_STEPS = 1000;

function sliderBounds(spec) {
  let lo = spec.min ?? 0;
  let hi = spec.max ?? Math.max(1, Math.abs(spec.default) * 10);
  if (spec.scale === "log") lo = Math.max(lo, hi * 1e-8, 1e-12);
  return [lo, hi];
}

function toSlider(spec, v) {
  const [lo, hi] = sliderBounds(spec);
  const f = spec.scale === "log" ? (Math.log(Math.max(v, lo)) - Math.log(lo)) / (Math.log(hi) - Math.log(lo))
    : (v - lo) / (hi - lo);
  return Math.round(Math.min(1, Math.max(0, f)) * SLIDER_STEPS);
}

function fromSlider(spec, s) {
  const [lo, hi] = sliderBounds(spec);
  const f = s / SLIDER_STEPS;
  let v = spec.scale === "log" ? Math.exp(Math.log(lo) + f * (Math.log(hi) - Math.log(lo))) : lo + f * (hi - lo);
  if (spec.type === "int") return Math.round(v);
  return Number(v.toPrecision(3));
}

// One parameter: slider + numeric field, checkbox, select or list field. onChange(value).
export function paramControl(spec, value, onChange, idPrefix) {
  const id = `${idPrefix}-${spec.name}`;
  const label = el("label", { for: id, title: spec.description }, spec.name);
  const v = value ?? spec.default;
  let input;
  if (spec.type === "bool") {
    input = el("input", { type: "checkbox", id, "aria-label": spec.name, "data-param": spec.name,
      onchange: (e) => onChange(e.target.checked) });
    input.checked = !!v;
    return el("div", { class: "param param-bool" }, input, label);
  }
  if (spec.type === "choice") {
    input = el("select", { id, "aria-label": spec.name, "data-param": spec.name, onchange: (e) => onChange(e.target.value) },
      spec.choices.map((c) => el("option", { value: c, selected: c === v }, c)));
    return el("div", { class: "param" }, label, input);
  }
  if (spec.type === "int_list") {
    input = el("input", { type: "text", id, "aria-label": spec.name, "data-param": spec.name, value: (v || []).join(", "),
      onchange: (e) => onChange(e.target.value.split(/[ ,]+/).filter(Boolean).map(Number)) });
    return el("div", { class: "param" }, label, input);
  }
  const number = el("input", { type: "number", id, "aria-label": spec.name, "data-param": spec.name, value: v,
    step: "any", min: spec.min ?? undefined, max: spec.max ?? undefined });
  const slider = el("input", { type: "range", min: 0, max: SLIDER_STEPS, value: toSlider(spec, v),
    "aria-label": `${spec.name} slider`, tabindex: -1, "data-slider": spec.name });
  slider.addEventListener("input", () => {
    const nv = fromSlider(spec, +slider.value);
    number.value = nv;
    onChange(nv);
  });
  number.addEventListener("input", () => {
    const nv = spec.type === "int" ? parseInt(number.value, 10) : parseFloat(number.value);
    if (!Number.isFinite(nv)) return;
    slider.value = toSlider(spec, nv);
    onChange(nv);
  });
  return el("div", { class: "param" }, label, slider, number);
}

// A run's card: optimizer, its params, schedule, batch size or noise, colour, actions.
export function runCard(run, index, catalogue, surface, actions) {
  const opt = catalogue.optimizers.find((o) => o.id === run.optimizer) || catalogue.optimizers[0];
  const prefix = `run${index}`;
  const optSelect = el("select", { "aria-label": `optimizer of run ${index + 1}`, class: "opt-select",
    onchange: (e) => actions.update({ optimizer: e.target.value, params: { lr: run.params.lr } }) },
  catalogue.optimizers.map((o) => el("option", { value: o.id, selected: o.id === opt.id }, o.name)));
  const color = el("input", { type: "color", value: run.color, "aria-label": `colour of run ${index + 1}`,
    onchange: (e) => actions.update({ color: e.target.value }) });
  const head = el("div", { class: "run-head" },
    el("span", { class: "swatch", style: `background:${run.color}` }), optSelect, color,
    el("button", { type: "button", title: run.hidden ? "show" : "hide", "aria-label": `${run.hidden ? "show" : "hide"} run ${index + 1}`,
      onclick: () => actions.update({ hidden: !run.hidden }) }, run.hidden ? "show" : "hide"),
    el("button", { type: "button", title: "duplicate", "aria-label": `duplicate run ${index + 1}`, onclick: actions.duplicate }, "dup"),
    el("button", { type: "button", title: "remove", "aria-label": `remove run ${index + 1}`, onclick: actions.remove }, "×"));

  const params = opt.params.map((spec) => paramControl(spec, run.params[spec.name],
    (v) => actions.update({ params: { ...run.params, [spec.name]: v } }, true), prefix));

  const sched = run.schedule || { name: "constant", params: {}, warmup_steps: 0, per: "step" };
  const sspec = catalogue.schedules.find((s) => s.id === sched.name) || catalogue.schedules[0];
  const setSched = (patch) => actions.update({ schedule: { ...sched, ...patch } }, true);
  const schedSelect = el("select", { "aria-label": `schedule of run ${index + 1}`,
    onchange: (e) => actions.update({ schedule: { name: e.target.value, params: {}, warmup_steps: sched.warmup_steps, per: sched.per } }) },
  catalogue.schedules.map((s) => el("option", { value: s.id, selected: s.id === sspec.id }, s.name)));
  const schedParams = sspec.params.map((spec) => paramControl(spec, sched.params[spec.name],
    (v) => setSched({ params: { ...sched.params, [spec.name]: v } }), `${prefix}-s`));
  const warm = paramControl({ name: "warmup_steps", type: "int", default: 0, min: 0, max: 5000, scale: "linear",
    description: "linear warm-up: lr·(t+1)/W for t < W" }, sched.warmup_steps, (v) => setSched({ warmup_steps: v }), `${prefix}-s`);

  const extra = [];
  if (surface && surface.kind === "dataset") {
    const m = surface.dataset.m;
    extra.push(paramControl({ name: "batch_size", type: "int", default: m, min: 1, max: m, scale: "log",
      description: `samples per update: ${m} = batch GD, 1 = stochastic` }, run.batch_size || m,
    (v) => actions.update({ batch_size: v }, true), prefix));
    extra.push(el("div", { class: "param" }, el("label", {}, "count t in"),
      el("select", { "aria-label": "schedule counts", onchange: (e) => setSched({ per: e.target.value }) },
        ["step", "epoch"].map((p) => el("option", { value: p, selected: p === sched.per }, p === "step" ? "updates" : "epochs")))));
  } else {
    extra.push(paramControl({ name: "noise_std", type: "float", default: 0, min: 0, max: 20, scale: "linear",
      description: "Gaussian noise added to each gradient component (mimics SGD)" }, run.noise_std || 0,
    (v) => actions.update({ noise_std: v }, true), prefix));
  }

  return el("fieldset", { class: `run-card${run.hidden ? " hidden-run" : ""}`, "data-run": index },
    el("legend", { class: "sr-only" }, `Run ${index + 1}`),
    head,
    el("div", { class: "formula", title: opt.convention }, opt.formula),
    el("div", { class: "params" }, params),
    el("details", { class: "sched", open: sched.name !== "constant" || sched.warmup_steps > 0 || undefined },
      el("summary", {}, `schedule: ${sspec.name}${sched.warmup_steps ? ` + warm-up ${sched.warmup_steps}` : ""}`),
      el("div", { class: "param" }, el("label", {}, "schedule"), schedSelect),
      el("div", { class: "formula" }, sspec.formula), schedParams, warm),
    el("div", { class: "params" }, extra),
    el("div", { class: "status", "data-status": index }, ""));
}
