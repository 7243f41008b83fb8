// Numbers and names as people read them: ≤ 4 significant digits, 1e-6 not 0.0000, labels as plain
// text (escaped for Plotly's small HTML subset, never given to innerHTML).
import { paramName, t } from "./i18n.js";

// ≤ `digits` significant digits, exponent form for very small or large numbers: 1e-6, 0.3, 2.5e+5.
export function fmt(v, digits = 4) {
  if (v === null || v === undefined) return "—";
  if (typeof v !== "number") return String(v);
  if (!Number.isFinite(v)) return String(v);
  if (v === 0) return "0";
  const a = Math.abs(v);
  if (a < 1e-3 || a >= 1e5) {
    const [m, e] = v.toExponential(digits - 1).split("e");
    return `${m.includes(".") ? m.replace(/\.?0+$/, "") : m}e${Number(e)}`;
  }
  return String(Number(v.toPrecision(digits)));
}

// The exact value, in its shortest form, for a number field (1e-6, not 0.000001 cut to 0.0000).
export function numText(v) {
  if (typeof v !== "number" || !Number.isFinite(v)) return "";
  if (v !== 0 && Math.abs(v) < 1e-3) return v.toExponential(); // "1e-6", exact
  return String(v);
}

// Plotly renders names and titles as a small HTML subset: <, > and & must reach it escaped.
export const escapePlotly = (s) => String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

// Shared symbols (formulas are not translated).
const SYMBOLS = { lr: "α", beta: "β", beta1: "β₁", beta2: "β₂", eps: "ε", rho: "ρ", weight_decay: "λ",
  initial_accumulator: "s₀", gamma: "γ", eta_min: "η_min", t_0: "T₀", t_max: "T", t_mult: "m" };
export const symbol = (name) => SYMBOLS[name] || name;

function same(a, b) {
  return JSON.stringify(a) === JSON.stringify(b);
}

function shortValue(name, v) {
  if (typeof v === "boolean") {
    const key = `studio.short.${name}.${v ? "on" : "off"}`;
    const text = t(key);
    return text === key ? `${v ? "" : "¬"}${paramName(name)}` : text;
  }
  if (typeof v === "string") return v;
  const shown = SYMBOLS[name] || paramName(name); // a symbol, else the page's word for it
  if (Array.isArray(v)) return `${shown}=[${v.join(",")}]`;
  return `${shown}=${fmt(v)}`;
}

// "Adam α=0.3 (no bias corr.)": the optimizer's name, α once, then what differs from the defaults.
export function autoLabel(run, catalogue, surface) {
  const opt = catalogue.optimizers.find((o) => o.id === run.optimizer);
  const name = opt ? opt.name : run.optimizer;
  const specs = opt ? opt.params : [];
  const lr = run.params.lr ?? specs.find((p) => p.name === "lr")?.default;
  const extras = [];
  for (const p of specs) {
    if (p.name === "lr" || !(p.name in run.params) || same(run.params[p.name], p.default)) continue;
    extras.push(shortValue(p.name, run.params[p.name]));
  }
  const sched = run.schedule;
  if (sched && sched.name !== "constant") {
    const sspec = catalogue.schedules.find((s) => s.id === sched.name);
    extras.push(sspec ? sspec.name.toLowerCase() : sched.name);
  }
  if (sched && sched.warmup_steps) extras.push(t("studio.short.warmup", { n: sched.warmup_steps }));
  if (run.batch_size && surface?.dataset && run.batch_size !== surface.dataset.m) extras.push(t("studio.short.batch", { n: run.batch_size }));
  if (run.noise_std) extras.push(t("studio.short.noise", { v: fmt(run.noise_std) }));
  return `${name} α=${fmt(lr)}${extras.length ? ` (${extras.join(", ")})` : ""}${chainLabel(run, catalogue)}`;
}

// The optimizer chain after the first link: " → Momentum α=0.005 @ 200" (SWATS: its rate is its own).
function chainLabel(run, catalogue) {
  return (run.links || []).map((l) => {
    const opt = catalogue.optimizers.find((o) => o.id === l.optimizer);
    const name = opt ? opt.name : l.optimizer;
    if (l.rule) return t("studio.switch.label_rule", { name });
    const lr = l.params.lr ?? opt?.params.find((p) => p.name === "lr")?.default;
    return t("studio.switch.label", { name: `${name} α=${fmt(lr)}`, k: l.milestone });
  }).join("");
}

export const runLabel = (run, catalogue, surface) => (run.label ? run.label : autoLabel(run, catalogue, surface));
