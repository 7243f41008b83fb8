// Exports: JSON and CSV of the answer, the curl command and the Python call (`optiviz.run`) that
// reproduce it, and PNGs for slides
// (the map's layers composed on white with axes and a legend; the charts with a legend).
import { getExport } from "./api.js";
import { el } from "./controls.js";
import { copyText } from "./copy.js";
import { t } from "./i18n.js";
import { composePNG } from "./plots.js";

const $ = (id) => document.getElementById(id);

function download(name, href) {
  const a = el("a", { href, download: name });
  document.body.append(a);
  a.click();
  a.remove();
}

const blobURL = (text, type) => URL.createObjectURL(new Blob([text], { type }));

export function createExports(ctx) {
  const { model } = ctx;

  function exportJSON() {
    const res = model.result;
    if (!res) return;
    download("optiviz.json", blobURL(JSON.stringify({ request: res.request, surface: res.surface,
      runs: res.runs.map((r, i) => ({ ...res.meta.runs[i], ...r })) }, null, 1), "application/json"));
  }

  function exportCSV() {
    const res = model.result;
    if (!res) return;
    const look = ctx.look(ctx.store.get());
    const lines = ["run,label,optimizer,t,x,y,loss,lr,grad_norm"];
    res.runs.forEach((r, i) => {
      const label = JSON.stringify(look.labels[i] ?? "");
      for (let k = 0; k < r.x.length; k++) {
        lines.push([i, label, res.request.runs[i].optimizer, k, r.x[k], r.y[k], r.loss[k], r.lr[k] ?? "", r.grad_norm[k] ?? ""].join(","));
      }
    });
    download("optiviz.csv", blobURL(lines.join("\n"), "text/csv"));
  }

  function showCurl() {
    const res = model.result;
    if (!res) return;
    const url = new URL("api/v1/trajectories", location.href).href;
    const body = JSON.stringify({ ...res.request, include_state: undefined }).replace(/'/g, "'\\''");
    $("curl").value = `curl -s '${url}' -H 'content-type: application/json' -d '${body}'`;
    $("curl").hidden = false;
    $("curl").select();
  }

  function showPython() {
    const res = model.result;
    if (!res) return null;
    $("python").value = pythonSnippet(res.request);
    $("python").hidden = false;
    $("python").select();
    return $("python").value;
  }

  // The answer's request as a PyTorch or optax script, written by the server (POST /api/v1/export): shown
  // with copy and download; where there is no script the server's reason is shown instead.
  let codeKind = "torch";
  async function showCode(kind = "torch") {
    codeKind = kind;
    const res = model.result;
    if (!res) return null;
    const box = $("code-export");
    const note = $("code-note");
    box.hidden = false;
    note.textContent = t("studio.export.code_wait");
    $("code-text").value = "";
    try {
      const out = await getExport({ ...res.request, include_state: undefined });
      const script = out[kind];
      $("code-text").value = script ?? "";
      note.textContent = script ? t(`studio.export.code_hint_${kind}`) : t("studio.export.code_none", { reason: out.notes[kind] ?? "" });
      $("code-copy").disabled = $("code-download").disabled = !script;
      box.dataset.ready = script ? "1" : "0";
      return script;
    } catch (err) {
      note.textContent = String(err.message || err);
      box.dataset.ready = "0";
      return null;
    }
  }

  function copyCode() {
    const area = $("code-text");
    area.select();
    return copyText($("code-copy"), area.value, area);
  }

  function downloadCode() {
    const text = $("code-text").value;
    if (text) download(`optiviz_${codeKind}.py`, blobURL(text, "text/x-python"));
  }

  function legendItems() {
    const state = ctx.store.get();
    const look = ctx.look(state);
    return state.runs.map((r, i) => (r.hidden ? null : { label: look.labels[i], ...look.runs[i] })).filter(Boolean);
  }

  async function mapPNG() {
    const state = ctx.store.get();
    let divs;
    if (state.threeD) divs = [$("map3d")];
    else if (state.view === "multiples") divs = [...$("multiples").querySelectorAll(".small-map")].slice(0, 1).flatMap((d) => [d.querySelector(".bg"), d.querySelector(".fg")]);
    else divs = [$("map-bg"), $("map")];
    if (!divs.length || !divs[0].data) return null;
    const url = await composePNG(divs, legendItems());
    window.optiviz.lastPNG = url; // for tests
    download("optiviz-map.png", url);
    return url;
  }

  async function chartsPNG() {
    if (!$("charts").data) return null;
    const url = await composePNG([$("charts")], legendItems());
    window.optiviz.lastPNG = url;
    download("optiviz-charts.png", url);
    return url;
  }

  return { exportJSON, exportCSV, showCurl, showPython, showCode, copyCode, downloadCode, mapPNG, chartsPNG };
}

// A JSON value as a Python literal: JSON's strings and numbers are Python's too.
export function pyLiteral(v, indent = "") {
  if (v === null || v === undefined) return "None";
  if (v === true) return "True";
  if (v === false) return "False";
  if (Array.isArray(v)) return `[${v.map((x) => pyLiteral(x, indent)).join(", ")}]`;
  if (typeof v === "object") return `{${Object.entries(v).map(([k, x]) => `${JSON.stringify(k)}: ${pyLiteral(x, indent)}`).join(", ")}}`;
  return JSON.stringify(v);
}

// The `optiviz.run(...)` call (README "Python API") that computes the request in a notebook.
export function pythonSnippet(request) {
  const args = [`surface=${pyLiteral(request.surface)}`];
  if (request.start) args.push(`start=${pyLiteral(request.start)}`);
  for (const k of ["steps", "seed", "tolerance"]) if (request[k] !== undefined) args.push(`${k}=${pyLiteral(request[k])}`);
  const runs = request.runs.map((r) => `        ${pyLiteral(r)},`).join("\n");
  return `import optiviz\n\nres = optiviz.run(\n    ${args.join(",\n    ")},\n    runs=[\n${runs}\n    ],\n)\nres.figure()\n`;
}
