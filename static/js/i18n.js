// The message catalogue on the page: GET api/v1/messages once, then t(key, values).
// Language: ?lang= / #…&lang= in the URL, then the stored choice, then the browser's languages;
// the server picks the first it has and says which languages it has (its list is the only one).
// Never write a user-facing text in JS or HTML directly: add a key to app/i18n/*.json instead.
import { getMessages, setLanguage } from "./api.js";

let current = "en";
let known = [];
let table = {};

const TAG = /^[a-z]{1,8}(-[a-z0-9]{1,8})*$/i;

// The reader's languages in order of preference (language tags only: a URL is untrusted text).
function preferences() {
  const fromUrl = new URLSearchParams(location.search).get("lang")
    || new URLSearchParams(location.hash.replace(/^#/, "")).get("lang");
  return [fromUrl, safeStorage("get"), ...(navigator.languages || [navigator.language])]
    .filter((c) => typeof c === "string" && TAG.test(c));
}

function safeStorage(op, value) {
  try {
    if (op === "get") return localStorage.getItem("optiviz.lang");
    localStorage.setItem("optiviz.lang", value);
  } catch { /* private mode */ }
  return null;
}

// Load the texts in `lang` (omitted: the reader's preferences); returns the language chosen.
export async function loadMessages(lang) {
  const data = await getMessages(lang ? [lang] : preferences());
  current = data.lang;
  known = data.languages;
  table = data.messages;
  document.documentElement.lang = t("lang.tag");
  setLanguage(current);
  for (const fn of listeners) fn();
  return current;
}

// Plotly in the page's language: its own texts (mode bar, notifications) and its date axes' month
// and day names, from the catalogue (`plotly.dictionary.<Plotly's English>`, `plotly.format.*`), as
// a Plotly locale named by `lang.plotly` (null before the texts are loaded). plots.js registers it.
export function plotlyLocale() {
  if (!("lang.plotly" in table)) return null;
  const dictionary = {};
  const format = {};
  for (const [key, text] of Object.entries(table)) {
    if (key.startsWith("plotly.dictionary.")) dictionary[key.slice(18)] = text;
    else if (key.startsWith("plotly.format.")) format[key.slice(14)] = /(onths|ays)$/.test(key) ? text.split(",") : text;
  }
  return { name: t("lang.plotly"), dictionary, format };
}

// Call fn() each time the texts of a language are loaded.
const listeners = [];
export function onLanguage(fn) { listeners.push(fn); }

export function lang() { return current; }

// The server's languages (after loadMessages).
export function languages() { return known; }

// The language the switch button goes to: the next of the server's list.
export function nextLang() { return known[(known.indexOf(current) + 1) % known.length] || current; }

export function setLang(l) { safeStorage("set", l); }

// t("key", {name: value}) — the text with {name} filled; the key itself when missing (visible in tests).
export function t(key, values) {
  let s = table[key];
  if (s === undefined) return key;
  if (values) s = s.replace(/\{(\w+)\}/g, (m, k) => (k in values ? String(values[k]) : m));
  return s;
}

// A parameter's name as the page shows it: its word in the page's language (`param.name.<name>`;
// in English the parameter's own name, as the API spells it), else the name itself.
export function paramName(name) {
  const key = `param.name.${name}`;
  return key in table ? table[key] : name;
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
