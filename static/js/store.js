// The one store: the studio's state (described by state.js's PROPS) lives here and nowhere else.
// Controls write into it by path at event time (never through a copy of a run taken when they were
// drawn); the URL, the sidebar, the runs and the plots render from it through subscribe().

export function createStore(initial) {
  let state = initial;
  const subscribers = new Set();
  return {
    get: () => state,
    // update(draft => { draft.runs[0].params.lr = 0.2 }) or update({ steps: 500 }); meta tells the
    // subscribers why (e.g. { live: true } while a slider is dragged, { source: "url" }).
    update(change, meta = {}) {
      const prev = state;
      const draft = structuredClone(state);
      const out = typeof change === "function" ? change(draft) : Object.assign(draft, change);
      state = out && typeof out === "object" && typeof change === "function" ? out : draft;
      for (const fn of subscribers) fn(state, prev, meta);
    },
    subscribe(fn) {
      subscribers.add(fn);
      return () => subscribers.delete(fn);
    },
  };
}

// "runs.0.params.lr" → the value there (undefined when a step is missing).
export function getPath(obj, path) {
  return path.split(".").reduce((o, k) => (o === null || o === undefined ? undefined : o[k]), obj);
}

// Set a value by path in a draft, creating objects on the way (never arrays).
export function setPath(obj, path, value) {
  const keys = path.split(".");
  let o = obj;
  for (const k of keys.slice(0, -1)) {
    if (o[k] === null || typeof o[k] !== "object") o[k] = {};
    o = o[k];
  }
  o[keys[keys.length - 1]] = value;
}
