// Copy buttons: the text to the clipboard (or, where the page may not write it, the selected
// `source` field through the editing command), then a short "copied ✓" on the button, announced by
// a polite live region; the button's own label comes back after FEEDBACK_MS (in the page's
// language at that time). The button keeps its width meanwhile.
import { el } from "./controls.js";
import { t } from "./i18n.js";

const FEEDBACK_MS = 1500;
const timers = new WeakMap();

function announce(text) {
  let box = document.getElementById("copy-status");
  if (!box) {
    box = el("p", { id: "copy-status", class: "sr-only", "aria-live": "polite", role: "status" });
    document.body.append(box);
  }
  box.textContent = text;
}

async function write(text, source) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    if (!source) return false;
    source.select();
    return document.execCommand("copy");
  }
}

export async function copyText(button, text, source = null) {
  const ok = await write(text, source);
  clearTimeout(timers.get(button));
  if (!button.dataset.copied) button.style.minWidth = `${button.getBoundingClientRect().width}px`;
  button.dataset.copied = ok ? "1" : "0";
  button.textContent = t(ok ? "studio.copy.done" : "studio.copy.failed");
  announce(t(ok ? "studio.copy.done_live" : "studio.copy.failed"));
  timers.set(button, setTimeout(() => {
    delete button.dataset.copied;
    button.style.minWidth = "";
    button.textContent = t(button.dataset.i18n);
    announce("");
  }, FEEDBACK_MS));
  return ok;
}
