// Exports: JSON and CSV of the answer, the curl command and the Python call (`optiviz.run`) that
// reproduce it, and PNGs for slides (the map's layers or the charts composed on white, cropped to
// what they draw, a title above, the legend on the right).
import { getExport } from "./api.js";
import { el } from "./controls.js";
import { copyText } from "./copy.js";
import { t } from "./i18n.js";
import { layerImages } from "./plots.js";

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
      // an optimizer chain: the optimizer of update k is the link whose switch came last (the answer's switches)
      const links = res.meta.runs[i]?.optimizers?.map((l) => l.optimizer) ?? [res.request.runs[i].optimizer];
      const switches = r.switches || [];
      for (let k = 0, j = 0; k < r.x.length; k++) {
        while (j < switches.length && switches[j] <= k) j++;
        lines.push([i, label, links[j], k, r.x[k], r.y[k], r.loss[k], r.lr[k] ?? "", r.grad_norm[k] ?? ""].join(","));
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
    box.dataset.ready = ""; // not ready until this request's script is shown
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

  // What the picture shows: the surface, the optimizers raced, the steps (in the page's language).
  function pictureTitle() {
    const state = ctx.store.get();
    const surface = ctx.surfaceOf(state);
    const names = [...new Set(state.runs.filter((r) => !r.hidden).map((r) => ctx.catalogue().optimizers
      .find((o) => o.id === r.optimizer)?.name ?? r.optimizer))];
    return t("studio.look.png_title", { surface: surface.kind === "custom" ? `${surface.name} ${surface.formula}` : surface.name,
      runs: names.join(t("studio.look.list_sep")), steps: state.steps });
  }

  async function mapPNG() {
    const state = ctx.store.get();
    let divs;
    if (state.threeD) divs = [$("map3d")];
    else if (state.view === "multiples") divs = [...$("multiples").querySelectorAll(".small-map")].slice(0, 1).flatMap((d) => [d.querySelector(".bg"), d.querySelector(".fg")]);
    else divs = [$("map-bg"), $("map")];
    if (!divs.length || !divs[0].data) return null;
    const title = pictureTitle();
    const { url, layout } = composePNG(await layerImages(divs), legendItems(), title);
    Object.assign(window.optiviz, { lastPNG: url, lastPNGTitle: title, lastPNGLayout: layout }); // for tests
    download("optiviz-map.png", url);
    return url;
  }

  async function chartsPNG() {
    if (!$("charts").data) return null;
    const title = pictureTitle();
    const { url, layout } = composePNG(await layerImages([$("charts")]), legendItems(), title);
    Object.assign(window.optiviz, { lastPNG: url, lastPNGTitle: title, lastPNGLayout: layout });
    download("optiviz-charts.png", url);
    return url;
  }

  return { exportJSON, exportCSV, showCurl, showPython, showCode, copyCode, downloadCode, mapPNG, chartsPNG };
}

// --- PNG for slides ------------------------------------------------------------------------------

const SCALE = 2; // pixels per CSS pixel (layerImages' default)
const FONT = "system-ui, 'Noto Sans CJK SC', sans-serif";
const PAD = 10; // CSS pixels around what is drawn

// The box [x0, y0, x1, y1) of the pixels of `g` (w × h) that are not white: the plot's empty margins
// (an equal-aspect map is narrower than its box) are cut off.
function inked(g, w, h) {
  const px = g.getImageData(0, 0, w, h).data;
  let x0 = w;
  let y0 = h;
  let x1 = 0;
  let y1 = 0;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const k = 4 * (y * w + x);
      if (px[k] < 250 || px[k + 1] < 250 || px[k + 2] < 250) {
        if (x < x0) x0 = x;
        if (x >= x1) x1 = x + 1;
        if (y < y0) y0 = y;
        if (y >= y1) y1 = y + 1;
      }
    }
  }
  return x1 > x0 ? [x0, y0, x1, y1] : [0, 0, w, h];
}

const DASH = { dash: [6, 4], dot: [2, 3], dashdot: [6, 3, 2, 3] };

// images: stacked layers (drawn in order); legend: [{ label, color, dash }] (plain text); title: plain text.
// → { url: the PNG as a data URL, layout: the [x, y, width, height] of its picture and its legend }
function composePNG(images, legend, title) {
  const s = SCALE;
  const { width: w, height: h } = images[0];
  const layers = document.createElement("canvas");
  layers.width = w;
  layers.height = h;
  const lg = layers.getContext("2d", { willReadFrequently: true });
  lg.fillStyle = "#ffffff";
  lg.fillRect(0, 0, w, h);
  for (const img of images) lg.drawImage(img, 0, 0, w, h);
  const pad = PAD * s;
  const box = inked(lg, w, h);
  const [x0, y0] = box.slice(0, 2).map((v) => Math.max(0, v - pad)); // the picture, cropped
  const cw = Math.min(w, box[2] + pad) - x0;
  const ch = Math.min(h, box[3] + pad) - y0;
  const titleFont = `bold ${15 * s}px ${FONT}`;
  const textFont = `${12 * s}px ${FONT}`;
  const g0 = document.createElement("canvas").getContext("2d");
  g0.font = textFont;
  const textW = Math.max(0, ...legend.map((l) => g0.measureText(l.label).width));
  g0.font = titleFont;
  const titleW = g0.measureText(title).width + 2 * pad;
  const top = 30 * s; // the title's band
  const strip = legend.length ? textW + 52 * s : 0;
  const canvas = document.createElement("canvas");
  canvas.width = Math.ceil(Math.max(cw + strip, titleW));
  canvas.height = Math.ceil(top + Math.max(ch, (legend.length * 20 + 20) * s));
  const g = canvas.getContext("2d");
  g.fillStyle = "#ffffff";
  g.fillRect(0, 0, canvas.width, canvas.height);
  g.drawImage(layers, x0, y0, cw, ch, 0, top, cw, ch);
  g.fillStyle = "#1d2330";
  g.textBaseline = "middle";
  g.font = titleFont;
  g.fillText(title, pad, top / 2 + 2 * s);
  g.font = textFont;
  legend.forEach((l, k) => {
    const y = top + (20 + k * 20) * s;
    const x = cw + 8 * s;
    g.strokeStyle = l.color;
    g.lineWidth = 3 * s;
    g.setLineDash((DASH[l.dash] || []).map((v) => v * s));
    g.beginPath();
    g.moveTo(x, y);
    g.lineTo(x + 28 * s, y);
    g.stroke();
    g.fillStyle = "#1d2330";
    g.fillText(l.label, x + 36 * s, y);
  });
  // where the picture and the legend are, in the PNG's pixels
  return { url: canvas.toDataURL("image/png"), layout: { picture: [0, top, cw, ch], legend: [cw, top, canvas.width - cw, canvas.height - top] } };
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
