/**
 * Seat map paint timings in a real browser (run by `npm run bench:browser`, or open
 * /bench/browser/index.html on the dev server). Everything runs synchronously while the
 * page loads, so a headless browser's --dump-dom sees the results.
 * getImageData(1×1) after each paint forces the canvas to rasterise, so the numbers
 * include the drawing itself, not only recording the commands.
 */
import type { LiveDiff, SeatStatus } from '../../src/api/types';
import { decodeLayout } from '../../src/seatmap/layoutFormat';
import { columnsFromLayout, SeatMapModel } from '../../src/seatmap/model';
import { SeatMapRenderer } from '../../src/seatmap/renderer';
import { SpatialGrid } from '../../src/seatmap/spatial';
import { fitBounds, zoomAt } from '../../src/seatmap/viewport';
import { demoStadium, stadium } from '../../test/fixtures';
import { encodeFixture } from '../../test/layoutFixtures';

const W = 1200;
const H = 800;
const out: string[] = [];
const results: Record<string, number> = {};
const fmt = (v: number) => `${v.toFixed(2)} ms`;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

// The new map format on the demo stadium (52,800 seats): from the layout's bytes and the status
// document's text (as the network hands them over) to a built model. Every third seat taken.
{
  const demo = demoStadium();
  demo.seats.forEach((s, i) => (s.status = i % 3 ? 'available' : i % 2 ? 'held' : 'sold'));
  const fixture = encodeFixture(demo);
  const statusText = JSON.stringify(fixture.status);
  const times: number[] = [];
  // The fixture's own garbage is not the app's: collect it before each timed run (the runner
  // starts Chromium with --expose-gc; opened by hand, the page runs without).
  const collect = (globalThis as { gc?: () => void }).gc ?? (() => undefined);
  for (let k = 0; k < 7; k++) {
    const bytes = fixture.layout.slice(0);
    collect();
    const t = performance.now();
    const layout = decodeLayout(bytes);
    const t1 = performance.now();
    const columns = columnsFromLayout(layout, JSON.parse(statusText));
    const t2 = performance.now();
    const m = new SeatMapModel(columns);
    times.push(performance.now() - t);
    if (k < 2) out.push(`  run ${k + 1}: decode ${fmt(t1 - t)}, status + columns ${fmt(t2 - t1)}, model ${fmt(performance.now() - t2)}`);
    if (m.size !== 52_800) throw new Error('the demo stadium has 52,800 seats');
  }
  results.layoutFirst = times[0]!;
  results.layoutMedian = median(times);
  out.push(`new format, demo stadium 52,800 seats: parse + model build  first ${fmt(times[0]!)}, median ${fmt(results.layoutMedian)} (budget 50 ms); layout ${(fixture.layout.byteLength / 1024).toFixed(0)} KB, status ${(statusText.length / 1024).toFixed(1)} KB uncompressed`);
  const legacyText = JSON.stringify(demo);
  const t = performance.now();
  SeatMapModel.fromMap(JSON.parse(legacyText));
  results.legacyParseBuild = performance.now() - t;
  out.push(`legacy JSON map, same stadium: JSON.parse + model build      ${fmt(results.legacyParseBuild)} (${(legacyText.length / 1024 / 1024).toFixed(1)} MB)`);
}

const base = document.getElementById('base') as HTMLCanvasElement;
const overlay = document.getElementById('overlay') as HTMLCanvasElement;
const payload = JSON.stringify(stadium(50_000));

// First paint: from the map's JSON text to seats on the canvas (network excluded).
const t0 = performance.now();
const model = SeatMapModel.fromMap(JSON.parse(payload));
const grid = new SpatialGrid(model, model.pitch * 4);
const renderer = new SeatMapRenderer(base, overlay, model, grid);
model.onChange((c) => renderer.requestSeats(c));
renderer.setSize(W, H, 1);
renderer.setView(fitBounds(model.bounds, renderer.size, model.pitch));
renderer.paint();
const baseCtx = base.getContext('2d')!;
baseCtx.getImageData(0, 0, 1, 1);
results.firstPaint = performance.now() - t0;
out.push(`first paint, 50,000 seats (parse + model + grid + full draw) ${fmt(results.firstPaint)}`);

// Full redraws, as while panning with every seat on screen.
const full: number[] = [];
for (let k = 0; k < 30; k++) {
  const t = performance.now();
  renderer.setView({ ...renderer.view, tx: renderer.view.tx + (k % 2 ? 3 : -3) });
  renderer.paint();
  baseCtx.getImageData(0, 0, 1, 1);
  full.push(performance.now() - t);
}
results.fullRedraw = median(full.slice(5));
out.push(`full redraw, whole stadium in view (pan frame)   median ${fmt(results.fullRedraw)}`);

// 500-seat diffs: model update + repaint of just those seats.
let seed = 11;
const rand = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
const statuses: SeatStatus[] = ['available', 'held', 'sold'];
const diffTimes: number[] = [];
for (let r = 0; r < 60; r++) {
  const changes: Array<[string, SeatStatus]> = [];
  for (let k = 0; k < 500; k++) changes.push([model.idAt(Math.floor(rand() * model.size)), statuses[Math.floor(rand() * 3)]!]);
  const diff: LiveDiff = { type: 'diff', from_version: model.version, version: model.version + 1, changes };
  const t = performance.now();
  model.applyDiff(diff);
  renderer.paint();
  baseCtx.getImageData(0, 0, 1, 1);
  diffTimes.push(performance.now() - t);
}
results.diff500 = median(diffTimes.slice(10));
const sorted = diffTimes.slice(10).sort((a, b) => a - b);
results.diff500P95 = sorted[Math.floor(sorted.length * 0.95)]!;
out.push(`apply a 500-seat diff + repaint those seats      median ${fmt(results.diff500)}, p95 ${fmt(results.diff500P95)} (budget 16.7 ms)`);

// Zoomed in: culling through the grid.
renderer.setView(zoomAt(renderer.view, 8, W / 2, H / 4, 0.01, 1000));
const zoomed: number[] = [];
for (let k = 0; k < 30; k++) {
  const t = performance.now();
  renderer.setView({ ...renderer.view, ty: renderer.view.ty + (k % 2 ? 3 : -3) });
  renderer.paint();
  baseCtx.getImageData(0, 0, 1, 1);
  zoomed.push(performance.now() - t);
}
results.zoomedRedraw = median(zoomed.slice(5));
out.push(`full redraw zoomed 8× (culled)                   median ${fmt(results.zoomedRedraw)}`);
// Probe: what a bare putImageData + readback of the whole canvas costs.
{
  const img = baseCtx.createImageData(W, H);
  const ts: number[] = [];
  for (let k = 0; k < 20; k++) {
    const t = performance.now();
    baseCtx.putImageData(img, 0, 0);
    baseCtx.getImageData(0, 0, 1, 1);
    ts.push(performance.now() - t);
  }
  results.putImage = median(ts.slice(5));
  out.push(`(probe) putImageData ${W}×${H} + flush                 median ${fmt(results.putImage)}`);
}
renderer.destroy();

const pre = document.getElementById('results')!;
pre.textContent = `${out.join('\n')}\nJSON ${JSON.stringify(results)}`;
pre.dataset.done = '1';
