// The one module that talks to the server (HTTP and server-sent events), for the studio and the
// lessons page alike: no other module calls fetch. Relative URLs, so the app works under a proxy's
// path prefix.

export class ApiError extends Error {
  constructor(status, detail) {
    super(formatDetail(detail));
    this.status = status;
    this.detail = detail;
  }
}

export function formatDetail(detail) {
  if (typeof detail === "string") return detail;
  if (Array.isArray(detail)) {
    return detail.map((d) => {
      const loc = (d.loc || []).filter((p) => p !== "body" && p !== "custom").join(".");
      return `${loc ? loc + ": " : ""}${String(d.msg || "").replace(/^Value error, /, "")}`;
    }).join("; ");
  }
  return JSON.stringify(detail);
}

// The page's language (set by i18n.js once the catalogue is loaded): every request asks for it, so
// the server's messages (errors included) come in the language of the page.
let language = null;
export function setLanguage(lang) { language = lang; }

// A request; a refusal (not 2xx) throws ApiError with the server's `detail`.
async function send(method, url, body, signal, headers = {}) {
  const asked = language ? { "accept-language": language, ...headers } : headers;
  const res = await fetch(url, {
    method, signal,
    headers: body ? { ...asked, "content-type": "application/json" } : asked,
    body: body ? JSON.stringify(body) : undefined,
  });
  if (!res.ok) {
    const data = await res.json().catch(() => ({ detail: res.statusText }));
    throw new ApiError(res.status, data.detail);
  }
  return res;
}

async function json(method, url, body, signal, headers) {
  const res = await send(method, url, body, signal, headers);
  return res.json();
}

const query = (lang) => (lang ? `?lang=${encodeURIComponent(lang)}` : "");

// The message catalogue: `prefs` is the reader's languages in order of preference (the URL's, the
// stored choice, the browser's); the server picks the first one it has (its list is its own).
export const getMessages = (prefs) => json("GET", "api/v1/messages", null, undefined,
  prefs.length ? { "accept-language": prefs.join(", ") } : {});

// The catalogue in one language (`lang` omitted: the server's default / Accept-Language).
export const getCatalogue = async (lang) => {
  const [surfaces, optimizers, schedules, run_colors] = await Promise.all(
    ["surfaces", "optimizers", "schedules", "run_colors"].map((k) => json("GET", `api/v1/${k}${query(lang)}`)));
  return { surfaces, optimizers, schedules, run_colors }; // run_colors: colors.js's palette
};

export const getCustomSurface = () => json("GET", "api/v1/surfaces/custom"); // what "Custom formula…" opens on
export const getScenarios = (lang) => json("GET", `api/v1/scenarios${query(lang)}`);
export const getLimits = () => json("GET", "api/v1/limits");
export const getPermalink = () => json("GET", "api/v1/permalink"); // the studio's URL hash keys

export const getGrid = (surface, n, signal) => json("POST", "api/v1/grid", { surface, n }, signal);
export const checkExpression = (expression) => json("POST", "api/v1/expressions/check", { expression });
export const getGradientNoise = (body) => json("POST", "api/v1/gradient_noise", body);
export const getCurvature = (body) => json("POST", "api/v1/curvature", body);
export const getInspect = (body) => json("POST", "api/v1/inspect", body);
export const getExport = (body) => json("POST", "api/v1/export", body);
export const getTrajectories = (body, signal) => json("POST", "api/v1/trajectories", body, signal);
export const getRace = (body) => json("POST", "api/v1/race", body);
export const getBasins = (body) => json("POST", "api/v1/basins", body);
export const getEwa = (body) => json("POST", "api/v1/ewa", body);
export const getSchedulePreview = (body) => json("POST", "api/v1/schedules/preview", body);

// POST a stream request and call onEvent(name, data) for each server-sent event (an `error` event
// included: the caller decides). `signal` aborts the request (the reading stops with an AbortError).
async function stream(url, body, onEvent, signal) {
  const res = await send("POST", url, body, signal);
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let buf = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buf += decoder.decode(value, { stream: true }).replace(/\r\n/g, "\n");
    let cut;
    while ((cut = buf.indexOf("\n\n")) >= 0) {
      const block = buf.slice(0, cut);
      buf = buf.slice(cut + 2);
      let name = "message";
      const data = [];
      for (const line of block.split("\n")) {
        if (!line || line.startsWith(":")) continue;
        const i = line.indexOf(":");
        const field = i < 0 ? line : line.slice(0, i);
        let val = i < 0 ? "" : line.slice(i + 1);
        if (val.startsWith(" ")) val = val.slice(1);
        if (field === "event") name = val;
        else if (field === "data") data.push(val);
      }
      if (data.length) onEvent(name, JSON.parse(data.join("\n")));
    }
  }
}

export const streamTrajectories = (body, onEvent, signal) => stream("api/v1/trajectories/stream", body, onEvent, signal);
export const streamSweep = (body, onEvent, signal) => stream("api/v1/sweeps/stream", body, onEvent, signal);

// The network page (issue 19): its catalogue (data sets, activations, inits, planes, limits), the
// training stream (meta, progress, per-run epochs slices, plane, done) and another plane of the
// same runs (no retraining).
export const getNetworkCatalogue = (lang) => json("GET", `api/v1/networks/catalogue${query(lang)}`);
export const getNetworkPlane = (body, signal) => json("POST", "api/v1/networks/plane", body, signal);
// "Tune α": each run's lr over a log grid on this network (the body plus n, seeds, …)
export const tuneNetwork = (body, signal) => json("POST", "api/v1/networks/tune", body, signal);
export const streamNetwork = (body, onEvent, signal) => stream("api/v1/networks/stream", body, onEvent, signal);
// The network request as a runnable PyTorch script (its text).
// a network lesson over seeds: each run's mean and band per epoch (GET …/scenarios/{id}/seeds)
export const getLessonSeeds = (id, signal) => json("GET", `api/v1/scenarios/${encodeURIComponent(id)}/seeds`, null, signal);
export const getNetworkScript = async (body) => (await send("POST", "api/v1/networks/export", body)).text();
