/**
 * A reference encoder for the seat map format (the server's is backend/catalog/map_format.py),
 * so tests and the benches can turn the legacy fixtures into a layout + status pair.
 */
import type { SeatMap, SeatStatus } from '../src/api/types';
import { COORDINATE_SCALE, LAYOUT_MAGIC, type StatusDocument } from '../src/seatmap/layoutFormat';

const naturalOrder = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });
const CODES: Record<SeatStatus, number> = { available: 0, held: 1, sold: 2 };

export interface EncodedFixture {
  layout: ArrayBuffer;
  status: StatusDocument;
  /** The same seats as a legacy map whose seat ids are the layout's integer ids. */
  map: SeatMap;
}

function deltas(values: number[]): Int32Array {
  const out = new Int32Array(values.length);
  let previous = 0;
  values.forEach((v, i) => {
    out[i] = v - previous;
    previous = v;
  });
  return out;
}

export function encodeFixture(source: SeatMap, firstId = 1000): EncodedFixture {
  const sectionIndex = new Map(source.sections.map((s, i) => [s.id, i]));
  // Seat ids become integers (as the server's are); the order is section, row, seat number.
  const seats = source.seats.map((s, i) => ({ ...s, id: String(firstId + i) }));
  const ordered = [...seats].sort(
    (a, b) =>
      sectionIndex.get(a.section_id)! - sectionIndex.get(b.section_id)! ||
      naturalOrder.compare(a.row, b.row) ||
      a.number - b.number,
  );
  const rows: Array<[number, string, number]> = [];
  for (const s of ordered) {
    const sec = sectionIndex.get(s.section_id)!;
    const last = rows[rows.length - 1];
    if (last && last[0] === sec && last[1] === s.row) last[2]++;
    else rows.push([sec, s.row, 1]);
  }
  const n = ordered.length;
  const header = new TextEncoder().encode(
    JSON.stringify({
      venue_id: '1',
      seats: n,
      sections: source.sections,
      rows,
      columns: ['id', 'number', 'x', 'y', 'accessible'],
    }),
  );
  const columnsAt = 8 + header.length + ((4 - ((8 + header.length) % 4)) % 4);
  const buffer = new ArrayBuffer(columnsAt + n * 16 + Math.ceil(n / 8));
  const bytes = new Uint8Array(buffer);
  bytes.set([...LAYOUT_MAGIC].map((c) => c.charCodeAt(0)), 0);
  new DataView(buffer).setUint32(4, header.length, true);
  bytes.set(header, 8);
  bytes.fill(0x20, 8 + header.length, columnsAt);
  const second = (values: number[]) => deltas(Array.from(deltas(values)));
  const columns = [
    deltas(ordered.map((s) => Number(s.id))),
    deltas(ordered.map((s) => s.number)),
    second(ordered.map((s) => Math.round(s.x * COORDINATE_SCALE))),
    second(ordered.map((s) => Math.round(s.y * COORDINATE_SCALE))),
  ];
  columns.forEach((column, k) => new Int32Array(buffer, columnsAt + k * n * 4, n).set(column));
  const bits = new Uint8Array(buffer, columnsAt + n * 16);
  ordered.forEach((s, i) => {
    if (s.accessible) bits[i >> 3]! |= 1 << (i & 7);
  });
  const packed = new Uint8Array(Math.ceil(n / 4));
  ordered.forEach((s, i) => {
    packed[i >> 2]! |= CODES[s.status] << ((i & 3) * 2);
  });
  let binary = '';
  packed.forEach((b) => (binary += String.fromCharCode(b)));
  const status: StatusDocument = {
    show_id: source.show_id,
    version: source.version,
    currency: source.currency,
    layout: '/api/v1/venues/1/layouts/fixture',
    seats: n,
    encoding: '2bit',
    status: btoa(binary),
  };
  return { layout: buffer, status, map: { ...source, seats } };
}
