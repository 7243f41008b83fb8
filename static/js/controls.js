// Controls generated from the catalogue endpoints: nothing here names an optimizer's parameters.
// A control carries the state path it edits (data-path="runs.0.params.lr"); the studio's sidebar
// listens once on its container and writes into the store at event time. `onChange` is kept for
// the lessons page, whose controls edit its own objects.
import { fmt, numText, symbol } from "./format.js";
import { paramName, t } from "./i18n.js";

export const el = (tag, attrs = {}, ...children) => {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") e.className = v;
    else if (k === "dataset") Object.assign(e.dataset, v);
    else if (k.startsWith("on") && typeof v === "function") e.addEventListener(k.slice(2), v);
    else if (k === "style") continue; // styles are set through the CSSOM by the caller, never from text
    else if (v !== undefined && v !== null && v !== false) e.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) if (c !== null && c !== undefined && c !== false) e.append(c);
  return e;
};

export const SLIDER_STEPS = 1000;

// The slider's range: the catalogue's slider range where it gives one, else the validation bounds.
export function sliderSpec(spec) {
  const log = (spec.slider_scale || spec.scale) === "log";
  let lo = spec.slider_min ?? spec.min ?? 0;
  let hi = spec.slider_max ?? spec.max ?? Math.max(1, Math.abs(spec.default) * 10);
  if (log && spec.type !== "int") lo = Math.max(lo, hi * 1e-12, 1e-12);
  return { lo, hi, log, int: spec.type === "int" };
}

// Integer log sliders go through log(1 + v), so 0 (no warm-up) sits at the left end.
const fwd = (s, v) => (s.log ? (s.int ? Math.log1p(Math.max(v, 0)) : Math.log(Math.max(v, s.lo))) : v);
const inv = (s, u) => (s.log ? (s.int ? Math.expm1(u) : Math.exp(u)) : u);

export function toSlider(spec, v) {
  const s = sliderSpec(spec);
  const f = (fwd(s, v) - fwd(s, s.lo)) / (fwd(s, s.hi) - fwd(s, s.lo));
  return Math.round(Math.min(1, Math.max(0, Number.isFinite(f) ? f : 0)) * SLIDER_STEPS);
}

export function fromSlider(spec, pos) {
  const s = sliderSpec(spec);
  const u = fwd(s, s.lo) + (pos / SLIDER_STEPS) * (fwd(s, s.hi) - fwd(s, s.lo));
  const v = inv(s, u);
  if (s.int) return Math.round(v);
  return Number(v.toPrecision(s.log ? 2 : 3));
}

// Is `v` a valid value of this parameter (the server's own bounds)?
export function inBounds(spec, v) {
  if (!Number.isFinite(v)) return false;
  if (spec.type === "int" && !Number.isInteger(v)) return false;
  if (spec.min !== null && spec.min !== undefined && (v < spec.min || (spec.min_exclusive && v === spec.min))) return false;
  if (spec.max !== null && spec.max !== undefined && (v > spec.max || (spec.max_exclusive && v === spec.max))) return false;
  return true;
}

export function parseValue(spec, text) {
  if (spec.type === "int_list") return text.split(/[ ,]+/).filter(Boolean).map(Number);
  const v = spec.type === "int" ? Number(text) : parseFloat(text);
  return v;
}

// The arrow keys' step, from the parameter's own scale (the catalogue's slider_scale and ranges): a log
// parameter moves ×10^(1/20) per press, kept to two significant digits (0.49 → 0.55), a quarter
// decade with Shift or Page Up/Down; a linear one by a round hundredth of its slider's range
// (β: 0.9 → 0.91), a tenth with Shift; an integer by at least 1. The bounds stop it (at the
// slider's end, else the validation bound) rather than letting it leave them.
const LOG_STEP = 1 / 20; // of a decade
const BIG_LOG = 5; // Shift: this many log steps
const BIG_LINEAR = 10; // Shift: this many linear steps
const two = (v) => Number(v.toPrecision(2));
const clean = (v) => Number(v.toPrecision(12)); // 0.1 + 0.2 → 0.3

export function nextValue(spec, value, dir, big = false) {
  const s = sliderSpec(spec);
  const v = Number.isFinite(value) ? value : spec.default ?? s.lo;
  let next;
  if (s.log) {
    const f = 10 ** (LOG_STEP * (big ? BIG_LOG : 1));
    if (s.int) next = dir > 0 ? Math.max(v + 1, Math.round(two(v * f))) : Math.min(v - 1, Math.round(two(v / f)));
    else if (v <= 0) next = dir > 0 ? s.lo : v;
    else {
      next = two(dir > 0 ? v * f : v / f);
      if ((next - v) * dir <= 0) next = dir > 0 ? v * f : v / f; // more digits than two: the plain ratio
    }
  } else {
    let step = 10 ** Math.round(Math.log10((s.hi - s.lo) / 100 || 1)) * (big ? BIG_LINEAR : 1);
    if (s.int) step = Math.max(1, Math.round(step));
    const k = dir > 0 ? Math.floor(v / step + 1e-9) + 1 : Math.ceil(v / step - 1e-9) - 1;
    next = clean(k * step);
  }
  if (inBounds(spec, next)) return next;
  const ends = dir > 0 ? [s.hi, spec.max] : [s.lo, spec.min];
  return ends.find((c) => Number.isFinite(c) && (c - v) * dir > 0 && inBounds(spec, c)) ?? v;
}

// The arrow keys (on the field: ↑ ↓; on the slider: ← → ↑ ↓, Page Up/Down) set the next value in
// the field and announce it as a typed edit ("input", and "change" for pages that listen to that).
// A field without a slider (e.g. the studio's tolerance) gets them too.
export function stepKeys(spec, number, slider = null) {
  const keys = { ArrowUp: 1, ArrowDown: -1 };
  const sliderKeys = { ...keys, ArrowRight: 1, ArrowLeft: -1, PageUp: 1, PageDown: -1 };
  const press = (e, table) => {
    const dir = table[e.key];
    if (!dir || e.altKey || e.ctrlKey || e.metaKey) return;
    e.preventDefault();
    const now = parseValue(spec, number.value);
    const v = nextValue(spec, Number.isFinite(now) || !slider ? now : fromSlider(spec, +slider.value), dir, e.shiftKey || e.key.startsWith("Page"));
    number.value = numText(v);
    for (const type of ["input", "change"]) number.dispatchEvent(new Event(type, { bubbles: true }));
  };
  number.addEventListener("keydown", (e) => press(e, keys));
  slider?.addEventListener("keydown", (e) => press(e, sliderKeys));
}

function sliderName(name) {
  const text = t("studio.run.slider", { name });
  return text === "studio.run.slider" ? `${name} slider` : text; // a page without the studio's texts
}

// One parameter: slider + numeric field, checkbox, select or list field.
// opts.path: the state path it edits (read by a delegated listener); opts.label: the text shown.
export function paramControl(spec, value, onChange, idPrefix, opts = {}) {
  const id = `${idPrefix}-${spec.name}`;
  const word = paramName(spec.name);
  const shown = opts.label ?? (symbol(spec.name) !== spec.name ? `${symbol(spec.name)} ${word}` : word);
  const label = el("label", { for: id, title: spec.description }, shown);
  const v = value ?? spec.default;
  const data = opts.path ? { path: opts.path, type: spec.type } : {};
  const call = (x) => { if (onChange) onChange(x); };
  if (spec.type === "bool") {
    const input = el("input", { type: "checkbox", id, "aria-label": spec.name, "data-param": spec.name, dataset: data,
      onchange: (e) => call(e.target.checked) });
    input.checked = !!v;
    input._spec = spec;
    return el("div", { class: "param param-bool" }, input, label);
  }
  if (spec.type === "choice") {
    const input = el("select", { id, "aria-label": spec.name, "data-param": spec.name, dataset: data,
      onchange: (e) => call(e.target.value) },
    spec.choices.map((c) => el("option", { value: c, selected: c === v }, paramName(`${spec.name}.${c}`))));
    input._spec = spec;
    return el("div", { class: "param" }, label, input);
  }
  if (spec.type === "int_list") {
    const input = el("input", { type: "text", id, "aria-label": spec.name, "data-param": spec.name, dataset: data,
      value: (v || []).join(", "), onchange: (e) => call(parseValue(spec, e.target.value)) });
    input._spec = spec;
    return el("div", { class: "param" }, label, input);
  }
  const number = el("input", { type: "number", id, "aria-label": spec.name, "data-param": spec.name, dataset: data,
    value: numText(v), step: "any", min: spec.min ?? undefined, max: spec.max ?? undefined, title: fmt(v, 6),
    // an optional value (default null: filled in by the server, e.g. Polyak's f* from the surface)
    placeholder: v === null ? t("studio.param.auto") : undefined });
  // reached with Tab right after its field (the field first: typing is the precise way)
  const slider = el("input", { type: "range", min: 0, max: SLIDER_STEPS, value: toSlider(spec, v),
    "aria-label": sliderName(spec.name), "data-slider": spec.name,
    dataset: opts.path ? { sliderFor: opts.path } : {} });
  slider._spec = spec;
  number._spec = spec;
  stepKeys(spec, number, slider);
  if (onChange) {
    slider.addEventListener("input", () => {
      const nv = fromSlider(spec, +slider.value);
      number.value = numText(nv);
      onChange(nv);
    });
    number.addEventListener("input", () => {
      const nv = parseValue(spec, number.value);
      if (!inBounds(spec, nv)) { number.setAttribute("aria-invalid", "true"); return; }
      number.removeAttribute("aria-invalid");
      slider.value = toSlider(spec, nv);
      onChange(nv);
    });
  }
  return el("div", { class: "param" }, label, number, slider);
}
