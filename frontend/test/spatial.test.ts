import { describe, expect, it } from 'vitest';
import { SeatMapModel } from '../src/seatmap/model';
import { SpatialGrid } from '../src/seatmap/spatial';
import { hall, stadium } from './fixtures';

function bruteNearest(m: SeatMapModel, x: number, y: number, max: number): number {
  let best = -1;
  let bd = max * max;
  for (let i = 0; i < m.size; i++) {
    const d = (m.x[i]! - x) ** 2 + (m.y[i]! - y) ** 2;
    if (d <= bd) {
      bd = d;
      best = i;
    }
  }
  return best;
}

describe('SpatialGrid hit-testing', () => {
  const m = SeatMapModel.fromMap(hall(4, 5, 2));
  const grid = new SpatialGrid(m, m.pitch * 2);

  it('finds the seat under a point, or nothing when the point is between seats', () => {
    expect(grid.nearest(21, 1, 5)).toBe(m.indexOf('S0-A-2'));
    expect(grid.nearest(49, 35, 5)).toBe(m.indexOf('S1-D-5'));
    expect(grid.nearest(200, 200, 5)).toBe(-1);
  });

  it('honours a filter', () => {
    m.markStatus(['S0-A-2'], 'sold');
    expect(grid.nearest(20, 0, 15, (i) => m.isSelectable(i))).not.toBe(m.indexOf('S0-A-2'));
  });

  it('agrees with a brute-force search on a 50k-seat stadium', () => {
    const big = SeatMapModel.fromMap(stadium(50_000));
    const g = new SpatialGrid(big, big.pitch * 4);
    let seed = 42;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let k = 0; k < 200; k++) {
      const x = big.bounds.minX + rand() * (big.bounds.maxX - big.bounds.minX);
      const y = big.bounds.minY + rand() * (big.bounds.maxY - big.bounds.minY);
      const expected = bruteNearest(big, x, y, big.pitch);
      const got = g.nearest(x, y, big.pitch);
      if (expected === -1) expect(got).toBe(-1);
      else {
        // Ties may pick either seat: compare distances.
        const d = (i: number) => Math.hypot(big.x[i]! - x, big.y[i]! - y);
        expect(d(got)).toBeCloseTo(d(expected), 5);
      }
    }
  });

  it('visits exactly the seats in a rectangle’s cells', () => {
    const seen = new Set<number>();
    grid.forEachInRect(-1000, -1000, 1000, 1000, (i) => seen.add(i));
    expect(seen.size).toBe(m.size);
  });
});

describe('arrow-key neighbours', () => {
  const m = SeatMapModel.fromMap(hall(4, 5, 2));
  const grid = new SpatialGrid(m, m.pitch * 2);
  const at = (id: string) => m.indexOf(id);
  const id = (i: number) => (i < 0 ? null : m.idAt(i));

  it('moves along the row with left/right', () => {
    expect(id(grid.neighbour(at('S0-B-3'), 'right'))).toBe('S0-B-4');
    expect(id(grid.neighbour(at('S0-B-3'), 'left'))).toBe('S0-B-2');
  });

  it('moves between rows with up/down, keeping the column', () => {
    expect(id(grid.neighbour(at('S0-B-3'), 'down'))).toBe('S1-C-3');
    expect(id(grid.neighbour(at('S0-B-3'), 'up'))).toBe('S0-A-3');
  });

  it('stops at the edge of the map', () => {
    expect(grid.neighbour(at('S0-A-5'), 'right')).toBe(-1);
    expect(grid.neighbour(at('S0-A-1'), 'up')).toBe(-1);
  });

  it('can walk every seat of a row on a curved stadium', () => {
    const big = SeatMapModel.fromMap(stadium(12_000, 20, 10));
    const g = new SpatialGrid(big, big.pitch * 4);
    // Section 0 starts at angle 0 (east side) where rows are columns running downward.
    const row = big.rows[big.rowsBySection[0]![0]!]!;
    let i = row.seats[0]!;
    let steps = 0;
    while (steps < row.seats.length + 5) {
      const next = g.neighbour(i, 'down');
      if (next < 0 || big.rowOf[next] !== big.rowOf[i]) break;
      i = next;
      steps++;
    }
    expect(steps).toBeGreaterThan(row.seats.length / 2);
  });
});
