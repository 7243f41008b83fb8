// Talking to the API: relative URLs, so the app works under a proxy's path prefix.

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

async function json(method, url, body, signal) {
  const res = await fetch(url, {
    method, signal,
    headers: body ? { "content-type": "application/json" } : {},
    body: body ? JSON.stringify(body) : undefined,
  });
  const data = await res.json().catch(() => ({ detail: res.statusText }));
  if (!res.ok) throw new ApiError(res.status, data.detail);
  return data;
}

// The catalogue in one language (`lang` omitted: the server's default / Accept-Language).
export const getCatalogue = async (lang) => {
  const q = lang ? `?lang=${encodeURIComponent(lang)}` : "";
  const [surfaces, optimizers, schedules] = await Promise.all(
    ["surfaces", "optimizers", "schedules"].map((k) => json("GET", `api/v1/${k}${q}`)));
  return { surfaces, optimizers, schedules };
};

export const getLimits = () => json("GET", "api/v1/limits");

export const getGrid = (surface, n, signal) => json("POST", "api/v1/grid", { surface, n }, signal);
export const checkExpression = (expression) => json("POST", "api/v1/expressions/check", { expression });
export const getGradientNoise = (body) => json("POST", "api/v1/gradient_noise", body);
export const getCurvature = (body) => json("POST", "api/v1/curvature", body);
export const getInspect = (body) => json("POST", "api/v1/inspect", body);
export const getExport = (body) => json("POST", "api/v1/export", body);
export const getTrajectories = (body, signal) => json("POST", "api/v1/trajectories", body, signal);

// POST a stream request and call onEvent(name, data) for each server-sent event.
export async function stream(body, onEvent, signal) {
  const res = await fetch("api/v1/trajectories/stream", {
    method: "POST", signal, headers: { "content-type": "application/json" }, body: JSON.stringify(body),
  });
  if (!res.ok) {
    const data = await res.json().catch(() => ({ detail: res.statusText }));
    throw new ApiError(res.status, data.detail);
  }
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
