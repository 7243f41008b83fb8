// URL sync: the hash is the state's permalink. The store writes it (pushState for a settled edit,
// replaceState while a slider is dragged); back/forward and a pasted link write the store. The
// studio's hash is state.js's; a page with its own state table gives its `codec`.
import { deserialize, serialize } from "./state.js";

export function createUrlSync(store, onExternal, codec = { serialize, deserialize }) {
  let written = location.hash.replace(/^#/, "");
  let lastPush = 0;
  const SETTLE_MS = 800; // keystrokes and drags within this time make one history entry

  // while a slider is dragged the hash is written at most every LIVE_MS (replaceState costs the
  // page more than the rest of an input event), the last position always
  const LIVE_MS = 250;
  let liveTimer = null;
  store.subscribe((state, prev, meta) => {
    if (meta.source === "url") return;
    clearTimeout(liveTimer);
    liveTimer = null;
    if (meta.live) { liveTimer = setTimeout(() => write(store.get(), meta), LIVE_MS); return; }
    write(state, meta);
  });
  function write(state, meta) {
    liveTimer = null;
    const h = codec.serialize(state);
    if (h === written) return;
    const now = performance.now();
    if (meta.live || meta.replace || now - lastPush < SETTLE_MS) history.replaceState(null, "", `#${h}`);
    else history.pushState(null, "", `#${h}`);
    lastPush = now;
    written = h;
  }

  const fromUrl = () => {
    const h = location.hash.replace(/^#/, "");
    if (h === written) return;
    if (h && !h.includes("=")) return; // an in-page anchor, not a permalink
    written = h;
    onExternal(codec.deserialize(h));
  };
  window.addEventListener("popstate", fromUrl);
  window.addEventListener("hashchange", fromUrl);
  return { read: () => codec.deserialize(location.hash.replace(/^#/, "")) };
}
