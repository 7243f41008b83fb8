// URL sync: the hash is the state's permalink. The store writes it (pushState for a settled edit,
// replaceState while a slider is dragged); back/forward and a pasted link write the store.
import { deserialize, serialize } from "./state.js";

export function createUrlSync(store, onExternal) {
  let written = location.hash.replace(/^#/, "");

  store.subscribe((state, prev, meta) => {
    if (meta.source === "url") return;
    const h = serialize(state);
    if (h === written) return;
    if (meta.live || meta.replace) history.replaceState(null, "", `#${h}`);
    else history.pushState(null, "", `#${h}`);
    written = h;
  });

  const fromUrl = () => {
    const h = location.hash.replace(/^#/, "");
    if (h === written) return;
    if (h && !h.includes("=")) return; // an in-page anchor, not a permalink
    written = h;
    onExternal(deserialize(h));
  };
  window.addEventListener("popstate", fromUrl);
  window.addEventListener("hashchange", fromUrl);
  return { read: () => deserialize(location.hash.replace(/^#/, "")) };
}
