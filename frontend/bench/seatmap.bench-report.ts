/**
 * `npm run bench`: timings for the seat map's data model on a 50,000-seat stadium.
 * Reported, not asserted (budget: applying a 500-seat diff well under one 16 ms frame).
 * The canvas paints are measured in a real browser by `npm run bench:browser`.
 */
import { it } from 'vitest';
import type { LiveDiff, SeatStatus } from '../src/api/types';
import { decodeLayout } from '../src/seatmap/layoutFormat';
import { SeatMapModel } from '../src/seatmap/model';
import { SpatialGrid } from '../src/seatmap/spatial';
import { demoStadium, stadium } from '../test/fixtures';
import { encodeFixture } from '../test/layoutFixtures';

const SEATS = 50_000;
const DIFF_SIZE = 500;
const ROUNDS = 400;

function stats(samples: number[]) {
  const s = [...samples].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
  return { median: q(0.5), p95: q(0.95), max: s[s.length - 1]! };
}

const ms = (v: number) => `${v.toFixed(3)} ms`;

function time<T>(fn: () => T): [T, number] {
  const t0 = performance.now();
  const out = fn();
  return [out, performance.now() - t0];
}

it('seat map model timings (50k seats)', () => {
  const lines: string[] = [];
  const map = stadium(SEATS);
  const payload = JSON.stringify(map);
  lines.push(`stadium: ${map.seats.length.toLocaleString('en')} seats, ${map.sections.length} sections, map JSON ${(payload.length / 1024 / 1024).toFixed(2)} MB`);

  // The new format on the demo stadium (52,800 seats): layout bytes + status text to a model.
  const fixture = encodeFixture(demoStadium());
  const statusText = JSON.stringify(fixture.status);
  const layoutRuns: number[] = [];
  for (let k = 0; k < 5; k++) {
    const bytes = fixture.layout.slice(0);
    layoutRuns.push(time(() => SeatMapModel.fromLayout(decodeLayout(bytes), JSON.parse(statusText)))[1]);
  }
  lines.push(`layout + status → model, 52,800 seats  first ${ms(layoutRuns[0]!)}, median ${ms(stats(layoutRuns).median)}`);

  const [parsed, parseMs] = time(() => JSON.parse(payload));
  lines.push(`JSON.parse of the map answer        ${ms(parseMs)}`);
  const [model, buildMs] = time(() => SeatMapModel.fromMap(parsed));
  lines.push(`build model (typed arrays, rows)    ${ms(buildMs)}`);
  const [grid, gridMs] = time(() => new SpatialGrid(model, model.pitch * 4));
  lines.push(`build spatial grid                  ${ms(gridMs)}  (${grid.cols}×${grid.rows} cells)`);

  // A snapshot with a third of the house taken.
  const snap: Record<string, 'held' | 'sold'> = {};
  for (let i = 0; i < model.size; i += 3) snap[model.idAt(i)] = i % 2 ? 'held' : 'sold';
  const [, snapMs] = time(() => model.applySnapshot({ type: 'snapshot', version: 2, seats: snap }));
  lines.push(`apply snapshot (16.7k taken)        ${ms(snapMs)}`);

  // Diffs of 500 random changes, each continuing from the last version.
  let seed = 7;
  const rand = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
  const statuses: SeatStatus[] = ['available', 'held', 'sold'];
  const diffs: LiveDiff[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const changes: Array<[string, SeatStatus]> = [];
    for (let k = 0; k < DIFF_SIZE; k++) changes.push([model.idAt(Math.floor(rand() * model.size)), statuses[Math.floor(rand() * 3)]!]);
    diffs.push({ type: 'diff', from_version: 2 + r, version: 3 + r, changes });
  }
  let notified = 0;
  model.onChange((c) => (notified += c ? c.length : 0));
  const samples: number[] = [];
  for (const d of diffs) {
    const [result, t] = time(() => model.applyDiff(d));
    if (result.kind !== 'applied') throw new Error(`diff not applied: ${result.kind}`);
    samples.push(t);
  }
  const s = stats(samples.slice(20)); // skip JIT warm-up
  lines.push(`apply one ${DIFF_SIZE}-change diff          median ${ms(s.median)}, p95 ${ms(s.p95)}, max ${ms(s.max)}  (${ROUNDS} diffs, ${notified.toLocaleString('en')} seat repaints requested)`);
  lines.push(`  budget: one frame = 16.7 ms → ${s.p95 < 16.7 ? 'within budget' : 'OVER BUDGET'} (p95 uses ${((s.p95 / 16.7) * 100).toFixed(1)}% of a frame)`);

  // Hit-testing and keyboard moves.
  const Q = 20_000;
  const pts = Array.from({ length: Q }, () => [model.bounds.minX + rand() * (model.bounds.maxX - model.bounds.minX), model.bounds.minY + rand() * (model.bounds.maxY - model.bounds.minY)] as const);
  const [, hitMs] = time(() => {
    for (const [x, y] of pts) grid.nearest(x, y, model.pitch);
  });
  lines.push(`hit-test (pointer → seat)           ${ms(hitMs / Q)} each (${Q.toLocaleString('en')} queries)`);
  const dirs = ['left', 'right', 'up', 'down'] as const;
  let at = 0;
  const [, navMs] = time(() => {
    for (let k = 0; k < Q; k++) {
      const next = grid.neighbour(at, dirs[k % 4]!);
      at = next >= 0 ? next : Math.floor(rand() * model.size);
    }
  });
  lines.push(`arrow-key move to next seat         ${ms(navMs / Q)} each`);

  console.log(`\nSeat map model bench (Node ${process.version})\n${'-'.repeat(60)}\n${lines.join('\n')}\n`);
});
