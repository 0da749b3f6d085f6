// The format as the server writes it: golden files made by backend/catalog/map_format.py
// (tests/catalog/test_map_format.py checks the encoder still writes exactly these bytes).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeLayout, decodeStatus, type StatusDocument } from '../src/seatmap/layoutFormat';
import { SeatMapModel } from '../src/seatmap/model';

const golden = (name: string) => readFileSync(new URL(`./golden/${name}`, import.meta.url));
const bytes = golden('small.layout');
const layoutBuffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
const status = JSON.parse(golden('small.status.json').toString()) as StatusDocument;
const expected = JSON.parse(golden('small.expected.json').toString()) as {
  seats: Array<[string, string, string, number, number, number, boolean]>;
};

describe('the server-written layout and status', () => {
  it('decodes to the seats the server encoded, in its order', () => {
    const layout = decodeLayout(layoutBuffer);
    expect(layout.size).toBe(expected.seats.length);
    expected.seats.forEach(([id, sectionId, row, number, x, y, accessible], i) => {
      expect(String(layout.ids[i])).toBe(id);
      expect(layout.sections[layout.section[i]!]!.id).toBe(sectionId);
      expect(layout.rows.find((r) => i >= r.start && i < r.start + r.count)!.label).toBe(row);
      expect(layout.numbers[i]).toBe(number);
      expect(layout.x[i]).toBeCloseTo(x, 4);
      expect(layout.y[i]).toBeCloseTo(y, 4);
      expect(layout.accessible[i]).toBe(accessible ? 1 : 0);
    });
    expect(layout.sections.map((s) => [s.id, s.name, s.priceCents])).toEqual([
      ['11', 'Stalls', 8500],
      ['22', 'Circle', 4500],
    ]);
  });

  it('lays the status over the layout by position', () => {
    const m = SeatMapModel.fromLayout(decodeLayout(layoutBuffer), status);
    expect([...decodeStatus(status, 7)]).toEqual([0, 0, 0, 0, 2, 0, 1]);
    expect(m.statusName(m.indexOf('907'))).toBe('held');
    expect(m.statusName(m.indexOf('18'))).toBe('sold');
    expect(m.statusName(m.indexOf('300001'))).toBe('available');
    expect(m.version).toBe(41);
    expect(m.rowsBySection.map((rows) => rows.map((r) => m.rows[r]!.label))).toEqual([['2', '10', 'A'], ['10']]);
  });
});
