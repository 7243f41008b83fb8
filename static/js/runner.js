// Stream assembly: one request at a time (a new one aborts the previous), the contour grid fetched
// alongside when the surface changed, the streamed slices concatenated per run. It fills `model`
// and tells the app what changed; it never draws.
import { ApiError, getGrid, streamTrajectories } from "./api.js";
import { toRequest } from "./state.js";

export function surfaceKey(state) {
  return state.surface === "custom" ? `custom:${state.expr}:${state.xr}:${state.yr}` : state.surface;
}

// The request without what only changes the legend (labels): an edit that leaves it equal needs no run.
export function requestKey(state) {
  const body = toRequest(state);
  body.runs = body.runs.map(({ label, ...rest }) => rest);
  return JSON.stringify(body);
}

export function createRunner(ctx) {
  const model = { view: null, result: null, gen: 0, error: "", queued: false };
  let abort = null;
  let queued = null;
  let timer = null;

  let inflight = false;

  // Coalesce: edits within one task start one run, the newest (sent at once: an animation frame's
  // wait would be added to every edit's answer). While a slider is dragged (live), a run in flight
  // is not aborted: the newest edit starts the moment it ends, so answers keep being drawn during
  // the drag (Distill-style) instead of each one cancelling the last, and only the newest position
  // is ever asked for.
  function schedule(opts = {}) {
    const live = !!opts.live && !(queued && !queued.live);
    queued = { ...(queued || {}), ...opts, live };
    model.queued = true; // a run is on its way: what is drawn is not the newest answer
    if (timer !== null) return;
    if (live && inflight) return; // started by the run in flight when it ends
    timer = setTimeout(launch, 0);
  }

  function launch() {
    timer = null;
    if (!queued) return;
    const o = queued;
    queued = null;
    model.queued = false;
    start(o).catch((err) => console.error(err));
  }

  function ended(gen) {
    if (gen !== model.gen) return;
    inflight = false;
    if (queued && timer === null) launch();
  }

  async function start({ autoplay = false } = {}) {
    if (abort) abort.abort();
    const controller = new AbortController();
    abort = controller;
    const { signal } = controller;
    const state = ctx.store.get();
    const key = surfaceKey(state);
    const body = toRequest(state);
    const gen = ++model.gen;
    inflight = true;
    model.error = "";
    const t0 = performance.now();
    const jobs = [];
    if (!model.view || model.view.key !== key) {
      const gridSurface = state.surface === "custom" ? { expression: state.expr, x_range: state.xr, y_range: state.yr } : state.surface;
      jobs.push(getGrid(gridSurface, 120, signal).then((grid) => {
        if (signal.aborted) return;
        model.view = { key, surface: ctx.surfaceOf(state), grid };
        ctx.changed("grid");
      }));
    }
    jobs.push(streamTrajectories(body, (name, data) => {
      if (signal.aborted) return;
      if (name === "meta") {
        model.result = { key, gen, request: body, meta: data, surface: data.surface, done: false, rev: 0, t0, tMeta: performance.now(),
          runs: data.runs.map(() => ({ x: [], y: [], loss: [], lr: [], grad_norm: [], batch_loss: null, state: null,
            evals: null, status: "running", steps_taken: 0, done: false })) };
        if (model.view && model.view.key === key && data.surface && state.surface === "custom") model.view.surface = data.surface;
        ctx.changed("start", { autoplay, steps: body.steps });
      } else if (name === "points") {
        const r = model.result.runs[data.run];
        for (const k of ["x", "y", "loss", "lr", "grad_norm"]) pushAll(r[k], data[k]);
        if (data.batch_loss) pushAll((r.batch_loss ||= []), data.batch_loss);
        if (data.momentum) pushAll((r.momentum ||= []), data.momentum); // a schedule that cycles it
        if (data.evals) { // closure optimizers (L-BFGS): every loss evaluation of these updates
          r.evals ||= { step: [], x: [], y: [], loss: [] };
          for (const k of ["step", "x", "y", "loss"]) pushAll(r.evals[k], data.evals[k]);
        }
        if (data.state) {
          r.state ||= Object.fromEntries(Object.keys(data.state).map((k) => [k, data.state[k] === null ? null : []]));
          for (const k of Object.keys(data.state)) if (data.state[k]) pushAll(r.state[k], data.state[k]);
        }
        r.steps_taken = r.lr.length;
        model.result.rev++;
        ctx.changed("points");
      } else if (name === "done") {
        data.runs.forEach((d, i) => Object.assign(model.result.runs[i], d, { done: true }));
        model.result.done = true;
        model.result.rev++;
        model.result.ms = performance.now() - t0;
        ctx.changed("done");
      } else if (name === "error") {
        model.error = data.detail;
        ctx.changed("error");
      }
    }, signal));
    try {
      await Promise.all(jobs);
    } catch (err) {
      if (err.name === "AbortError" || signal.aborted) return;
      if (!(err instanceof ApiError)) console.error(err);
      model.error = err instanceof ApiError ? err.message : String(err);
      ctx.changed("error");
    } finally {
      ended(gen);
    }
  }

  return { model, schedule, start };
}

// push(...a) overflows the stack for very long slices
function pushAll(target, items) {
  if (items.length < 10000) target.push(...items);
  else for (const v of items) target.push(v);
}
