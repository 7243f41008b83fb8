// The message catalogue on the page: GET api/v1/messages?lang=… once, then t(key, values).
// Language: ?lang= / #…&lang= in the URL, then the stored choice, then the browser's language.
// Never write a user-facing text in JS or HTML directly: add a key to app/i18n/*.json instead.

export const LANGS = ["en", "zh"];
let current = "en";
let table = {};

export function detectLang() {
  const fromUrl = new URLSearchParams(location.search).get("lang")
    || new URLSearchParams(location.hash.replace(/^#/, "")).get("lang");
  const candidates = [fromUrl, safeStorage("get"), ...(navigator.languages || [navigator.language])];
  for (const c of candidates) {
    const base = (c || "").toLowerCase().split("-")[0];
    if (LANGS.includes(base)) return base;
  }
  return "en";
}

function safeStorage(op, value) {
  try {
    if (op === "get") return localStorage.getItem("optiviz.lang");
    localStorage.setItem("optiviz.lang", value);
  } catch { /* private mode */ }
  return null;
}

export async function loadMessages(lang = detectLang()) {
  const res = await fetch(`api/v1/messages?lang=${encodeURIComponent(lang)}`);
  const data = await res.json();
  current = data.lang;
  table = data.messages;
  document.documentElement.lang = current === "zh" ? "zh-CN" : "en";
  return current;
}

export function lang() { return current; }

export function setLang(l) { safeStorage("set", l); }

// t("key", {name: value}) — the text with {name} filled; the key itself when missing (visible in tests).
export function t(key, values) {
  let s = table[key];
  if (s === undefined) return key;
  if (values) s = s.replace(/\{(\w+)\}/g, (m, k) => (k in values ? String(values[k]) : m));
  return s;
}

// Fill every [data-i18n="key"] (textContent) and [data-i18n-attr="attr:key;attr:key"] in `root`.
export function translatePage(root = document) {
  for (const node of root.querySelectorAll("[data-i18n]")) node.textContent = t(node.dataset.i18n);
  for (const node of root.querySelectorAll("[data-i18n-attr]")) {
    for (const pair of node.dataset.i18nAttr.split(";")) {
      const [attr, key] = pair.split(":");
      if (attr && key) node.setAttribute(attr.trim(), t(key.trim()));
    }
  }
}
