import { describe, expect, it } from 'vitest';
import type { SeatMap, SeatStatus } from '../src/api/types';
import { decodeLayout, decodeStatus, LayoutFormatError } from '../src/seatmap/layoutFormat';
import { SeatMapModel } from '../src/seatmap/model';
import { hall, stadium } from './fixtures';
import { encodeFixture } from './layoutFixtures';

const STATUSES: SeatStatus[] = ['available', 'held', 'sold'];

function withStatuses(map: SeatMap): SeatMap {
  return { ...map, seats: map.seats.map((s, i) => ({ ...s, status: STATUSES[(i * 7) % 3]! })) };
}

/** Everything a seat shows, by id, so two models can be compared whatever their slot order. */
function seatsById(m: SeatMapModel) {
  const out = new Map<string, unknown>();
  for (let i = 0; i < m.size; i++) {
    out.set(m.idAt(i), [m.x[i], m.y[i], m.sectionOf(i).id, m.rowLabel(i), m.numbers[i], m.accessible[i], m.status[i]]);
  }
  return out;
}

function rowsById(m: SeatMapModel) {
  return m.rowsBySection.map((rows) => rows.map((r) => [m.rows[r]!.label, [...m.rows[r]!.seats].map((i) => m.idAt(i))]));
}

describe('seat map from layout + status', () => {
  for (const [name, source] of [
    ['hall', withStatuses(hall(6, 7, 2))],
    ['stadium', withStatuses(stadium(12_000, 20, 10))],
  ] as const) {
    it(`builds the same model as the legacy map (${name})`, () => {
      const fixture = encodeFixture(source);
      const fromLayout = SeatMapModel.fromLayout(decodeLayout(fixture.layout), fixture.status);
      const fromMap = SeatMapModel.fromMap(fixture.map);
      expect(fromLayout.size).toBe(fromMap.size);
      expect(seatsById(fromLayout)).toEqual(seatsById(fromMap));
      expect(rowsById(fromLayout)).toEqual(rowsById(fromMap));
      expect(fromLayout.bounds).toEqual(fromMap.bounds);
      expect(fromLayout.prices).toEqual(fromMap.prices);
      expect([...fromLayout.availableBySection]).toEqual([...fromMap.availableBySection]);
      expect(fromLayout.availableTotal).toBe(fromMap.availableTotal);
      expect(fromLayout.pitch).toBeCloseTo(fromMap.pitch, 5);
      expect(fromLayout.version).toBe(source.version);
      expect(fromLayout.currency).toBe('EUR');
      for (const id of ['1000', '1005', String(1000 + source.seats.length - 1)]) {
        expect(fromLayout.idAt(fromLayout.indexOf(id))).toBe(id);
      }
    });
  }

  it('finds seats only by the canonical spelling of their id', () => {
    const fixture = encodeFixture(hall(2, 3, 1));
    const m = SeatMapModel.fromLayout(decodeLayout(fixture.layout), fixture.status);
    expect(m.indexOf('1002')).toBeGreaterThanOrEqual(0);
    for (const id of ['01002', '1002.0', ' 1002', '999', '1006', '', 'abc']) expect(m.indexOf(id)).toBe(-1);
  });

  it('finds seats whose ids are far apart (no dense table)', () => {
    const fixture = encodeFixture(hall(2, 3, 1), 1);
    // Spread the ids: 1, 1_000_001, 2_000_001, ...
    const layout = decodeLayout(fixture.layout);
    for (let i = 0; i < layout.size; i++) layout.ids[i] = 1 + i * 1_000_000;
    const m = SeatMapModel.fromLayout(layout, fixture.status);
    expect(m.indexOf('4000001')).toBe(4);
    expect(m.indexOf('4000002')).toBe(-1);
  });

  it('applies live diffs by seat id', () => {
    const fixture = encodeFixture(hall(2, 3, 1));
    const m = SeatMapModel.fromLayout(decodeLayout(fixture.layout), fixture.status);
    const result = m.applyDiff({ type: 'diff', from_version: 1, version: 2, changes: [['1003', 'sold'], ['77', 'held']] });
    expect(result).toEqual({ kind: 'applied', changed: [m.indexOf('1003')] });
    expect(m.statusName(m.indexOf('1003'))).toBe('sold');
    expect(m.availableTotal).toBe(5);
  });

  it('keeps a row in seat-number order even when the layout does not', () => {
    const fixture = encodeFixture(hall(1, 4, 1));
    const layout = decodeLayout(fixture.layout);
    layout.numbers.set([3, 1, 4, 2]);
    const m = SeatMapModel.fromLayout(layout, fixture.status);
    expect([...m.rows[0]!.seats].map((i) => m.numbers[i])).toEqual([1, 2, 3, 4]);
  });
});

describe('layout and status decoding', () => {
  it('refuses what is not a layout', () => {
    const fixture = encodeFixture(hall(2, 3, 1));
    const bad = fixture.layout.slice(0);
    new Uint8Array(bad)[0] = 0x58;
    expect(() => decodeLayout(bad)).toThrow(LayoutFormatError);
    expect(() => decodeLayout(fixture.layout.slice(0, fixture.layout.byteLength - 5))).toThrow(LayoutFormatError);
    expect(() => decodeLayout(new ArrayBuffer(3))).toThrow(LayoutFormatError);
  });

  it('reads 2 bits per seat and never lets an unknown code look available', () => {
    const fixture = encodeFixture(hall(1, 5, 1));
    // seats 0..3 in the first byte: available, held, sold, 3 (unknown); seat 4 held.
    const doc = { ...fixture.status, status: btoa(String.fromCharCode(0b11_10_01_00, 0b01)) };
    expect([...decodeStatus(doc, 5)]).toEqual([0, 1, 2, 2, 1]);
    expect(() => decodeStatus(doc, 6)).toThrow(LayoutFormatError);
    expect(() => decodeStatus({ ...doc, seats: 9 }, 9)).toThrow(LayoutFormatError);
  });
});

describe('row label order', () => {
  it('matches the collator on the labels venues use', async () => {
    const { compareLabels } = await import('../src/seatmap/model');
    const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });
    const labels = ['A', 'a', 'B', 'AA', 'AB', 'Z', '1', '2', '10', '010', '9', 'A1', 'A10', 'A2', 'Box L', 'Box R',
      'box l', '1A', '1B', '10A', '', 'Ä', 'É', 'Row 3', 'Row 12', 'row 3', '2b', '2B', 'B2', '00', '0'];
    const sign = (v: number) => Math.sign(v);
    for (const a of labels) for (const b of labels) expect([a, b, sign(compareLabels(a, b))]).toEqual([a, b, sign(collator.compare(a, b))]);
  });
});
