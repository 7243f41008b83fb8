// The studio's map before Plotly has run (preview.js): the grey contour and every shown run's path in
// its colour and dash, up to the player's iteration, with its start and current point, in the plot
// area Plotly will use (plots.js mapArea), so that the swap to Plotly's figure is seamless. Hidden
// for good once Plotly's first figure is drawn.
import { contourTraces, mapArea } from "./plots.js";
import { clearPreview, drawPreview, greyCells } from "./preview.js";

const canvas = () => document.getElementById("map-preview");
let cellsOf = { key: null, cells: null };
let done = false;
let shown; // resolves when paths are first on the canvas
const shownPromise = new Promise((resolve) => { shown = resolve; });

// view: the runner's { key, surface, grid }; runs: the answer's runs or null; look: ctx.look(state);
// vis: the shown runs' indices; it: the player's iteration; equal: the map's equal aspect.
export function drawMapPreview({ view, runs, look, vis, it, equal }) {
  const c = canvas();
  if (done || !c) return;
  if (cellsOf.key !== view.key) {
    const trace = contourTraces({ grid: view.grid })[0];
    // Plotly applies the trace's opacity twice to a contour's heatmap colouring (its layer and its
    // fill: the pixels of its figure measured on screen), so the fill's is its square
    cellsOf = { key: view.key, cells: greyCells(trace.z, trace.opacity ** 2,
      { n: trace.ncontours, color: trace.line.color, width: trace.line.width }) };
  }
  const box = c.parentElement;
  const model = { surface: view.surface, equal };
  const paths = runs ? vis.filter((i) => runs[i]?.x.length).map((i) => {
    const upto = Math.min(it, runs[i].x.length - 1) + 1;
    return { x: runs[i].x.slice(0, upto), y: runs[i].y.slice(0, upto), color: look.runs[i].color, dash: look.runs[i].dash, width: 2, start: true };
  }) : [];
  c._area = mapArea(model, { w: box.clientWidth, h: box.clientHeight }); // (read by the tests)
  drawPreview(c, { x: view.grid.x, y: view.grid.y, cells: cellsOf.cells, paths, frame: true, area: c._area,
    ranges: { x: view.surface.x_range, y: view.surface.y_range } });
  c.dataset.paths = paths.length;
  if (paths.length) {
    shown();
  }
}

// Plotly's figure is drawn: the preview goes, never to come back.
export function endMapPreview() {
  if (done) return;
  done = true;
  const c = canvas();
  if (c) clearPreview(c);
}

// Resolves once the preview shows paths (main.js runs Plotly after that, or after its deadline).
export const previewShown = () => shownPromise;
