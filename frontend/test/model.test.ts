import { describe, expect, it, vi } from 'vitest';
import { AVAILABLE, HELD, MINE_HELD, MINE_NONE, MINE_PENDING, SeatMapModel, SOLD, statusCode } from '../src/seatmap/model';
import { hall } from './fixtures';

const money = (c: number, cur: string) => `${(c / 100).toFixed(2)} ${cur}`;

describe('SeatMapModel', () => {
  it('stores every seat in typed arrays with an id index', () => {
    const m = SeatMapModel.fromMap(hall(4, 5, 2));
    expect(m.size).toBe(20);
    expect(m.indexOf('S0-A-1')).toBe(0);
    expect(m.indexOf('S1-D-5')).toBe(19);
    expect(m.indexOf('nope')).toBe(-1);
    expect(m.x[1]).toBe(20);
    expect(m.y[5]).toBe(12);
    expect(m.sections.map((s) => s.name)).toEqual(['100', '101']);
    expect(m.bounds).toEqual({ minX: 10, minY: 0, maxX: 50, maxY: 36 });
    expect(m.pitch).toBeCloseTo(10);
    expect(m.availableTotal).toBe(20);
    expect([...m.availableBySection]).toEqual([10, 10]);
  });

  it('ranks price tiers cheapest first', () => {
    const m = SeatMapModel.fromMap(hall(6, 2, 2)); // prices 5000, 4000, 3000
    expect(m.prices).toEqual([3000, 4000, 5000]);
    expect(m.sections.map((s) => s.tier)).toEqual([2, 1, 0]);
  });

  it('groups rows per section in natural order with seats by number', () => {
    const map = hall(1, 3, 1);
    map.seats.push({ id: 'r10-2', section_id: 'S0', row: '10', number: 2, x: 0, y: 50, accessible: false, status: 'available' });
    map.seats.push({ id: 'r10-10', section_id: 'S0', row: '10', number: 10, x: 5, y: 50, accessible: false, status: 'available' });
    map.seats.push({ id: 'r9-1', section_id: 'S0', row: '9', number: 1, x: 0, y: 40, accessible: false, status: 'available' });
    const m = SeatMapModel.fromMap(map);
    const labels = m.rowsBySection[0]!.map((r) => m.rows[r]!.label);
    expect(labels).toEqual(['9', '10', 'A']);
    const row10 = m.rows[m.rowOf[m.indexOf('r10-2')]!]!;
    expect([...row10.seats].map((i) => m.idAt(i))).toEqual(['r10-2', 'r10-10']);
  });

  it('treats unknown statuses as not buyable', () => {
    expect(statusCode('available')).toBe(AVAILABLE);
    expect(statusCode('held')).toBe(HELD);
    expect(statusCode('sold')).toBe(SOLD);
    expect(statusCode('weird')).toBe(SOLD);
  });

  it('applies a snapshot: listed seats take their status, all others become available', () => {
    const map = hall(2, 3, 2);
    map.seats[0]!.status = 'sold';
    const m = SeatMapModel.fromMap(map);
    const listener = vi.fn();
    m.onChange(listener);
    const changed = m.applySnapshot({ type: 'snapshot', version: 7, seats: { 'S0-A-2': 'held', 'S0-B-3': 'sold' } });
    expect(m.version).toBe(7);
    expect(changed.sort()).toEqual([0, 1, 5]);
    expect(m.statusName(0)).toBe('available');
    expect(m.statusName(1)).toBe('held');
    expect(m.statusName(5)).toBe('sold');
    expect(m.availableTotal).toBe(4);
    expect(listener).toHaveBeenCalledTimes(1);
  });

  it('applies a diff only when it continues from the current version', () => {
    const m = SeatMapModel.fromMap(hall(2, 3, 2)); // version 1
    const ok = m.applyDiff({ type: 'diff', from_version: 1, version: 2, changes: [['S0-A-1', 'held'], ['S0-A-2', 'sold'], ['ghost', 'held']] });
    expect(ok).toEqual({ kind: 'applied', changed: [0, 1] });
    expect(m.version).toBe(2);
    expect(m.availableTotal).toBe(4);

    // Already seen (e.g. covered by a snapshot): ignored, nothing changes.
    const stale = m.applyDiff({ type: 'diff', from_version: 1, version: 2, changes: [['S0-A-3', 'sold']] });
    expect(stale).toEqual({ kind: 'stale' });
    expect(m.statusName(2)).toBe('available');

    // A missed diff: reported as a gap, not applied.
    const gap = m.applyDiff({ type: 'diff', from_version: 5, version: 6, changes: [['S0-A-3', 'sold']] });
    expect(gap).toEqual({ kind: 'gap', expected: 2, got: 5 });
    expect(m.version).toBe(2);
    expect(m.statusName(2)).toBe('available');

    const back = m.applyDiff({ type: 'diff', from_version: 2, version: 3, changes: [['S0-A-1', 'available']] });
    expect(back).toEqual({ kind: 'applied', changed: [0] });
    expect(m.availableTotal).toBe(5);
    expect(m.availableBySection[0]).toBe(5);
  });

  it('only notifies the seats whose status really changed', () => {
    const m = SeatMapModel.fromMap(hall(1, 3, 1));
    const seen: number[][] = [];
    m.onChange((c) => seen.push(Array.from(c ?? [])));
    m.applyDiff({ type: 'diff', from_version: 1, version: 2, changes: [['S0-A-1', 'available'], ['S0-A-2', 'held']] });
    expect(seen).toEqual([[1]]);
  });

  it('tracks the fan’s own seats apart from the server status', () => {
    const m = SeatMapModel.fromMap(hall(1, 4, 1));
    m.setMine([0, 1], MINE_PENDING);
    expect(m.isSelectable(0)).toBe(false);
    m.syncHold(['S0-A-1']);
    expect(m.mine[0]).toBe(MINE_HELD);
    expect(m.mine[1]).toBe(MINE_PENDING); // still in flight: untouched
    expect(m.mySeatIds()).toEqual(['S0-A-1']);
    m.syncHold([]);
    expect(m.mine[0]).toBe(MINE_NONE);
  });

  it('marks seats taken from a 409 answer', () => {
    const m = SeatMapModel.fromMap(hall(1, 3, 1));
    expect(m.markStatus(['S0-A-2', 'unknown'], 'held')).toEqual([1]);
    expect(m.isSelectable(1)).toBe(false);
  });

  it('labels a seat with section, row, seat, price and status', () => {
    const m = SeatMapModel.fromMap(hall(1, 2, 1));
    expect(m.label(0, money)).toBe('Section 100, row A, seat 1, 50.00 EUR, wheelchair accessible, available');
    m.markStatus(['S0-A-2'], 'sold');
    expect(m.label(1, money)).toBe('Section 100, row A, seat 2, 50.00 EUR, sold');
    m.syncHold(['S0-A-1']);
    expect(m.label(0, money)).toContain('in your hold');
  });

  it('survives a seat whose section is not listed', () => {
    const map = hall(1, 2, 1);
    map.seats[1]!.section_id = 'missing';
    const m = SeatMapModel.fromMap(map);
    expect(m.sectionOf(1).id).toBe('missing');
    expect(m.availableBySection.length).toBe(2);
    expect(m.availableTotal).toBe(2);
  });
});
