/**
 * The seat map's wire format: an immutable venue layout (binary, columnar) and a small
 * status overlay (2 bits per seat, in the layout's seat order). See docs/architecture.md
 * ("Seat map format") for the byte layout; the server's encoder is backend/catalog/map_format.py.
 *
 * Decoding allocates per column, never per seat: the columns come out as typed arrays over
 * the response's own buffer where the bytes allow it, and the deltas are summed in place.
 */
import type { SeatStatus, StatusDocument } from '../api/types';

export type { StatusDocument };

export const LAYOUT_MAGIC = 'STL1';
const COLUMNS = ['id', 'number', 'x', 'y', 'accessible'] as const;
/** x and y travel as integers in hundredths of a map unit. */
export const COORDINATE_SCALE = 100;

export interface LayoutSection {
  id: string;
  name: string;
  priceCents: number;
}

/** A run of seats of one row: slots [start, start + count), in seat-number order. */
export interface RowRun {
  section: number;
  label: string;
  start: number;
  count: number;
}

export interface VenueLayout {
  venueId: string;
  size: number;
  sections: LayoutSection[];
  rows: RowRun[];
  /** Seat ids as integers (the API spells them as their decimal digits). */
  ids: Int32Array;
  numbers: Int32Array;
  x: Float32Array;
  y: Float32Array;
  section: Uint16Array;
  accessible: Uint8Array;
}


export class LayoutFormatError extends Error {}

interface LayoutHeader {
  venue_id: string;
  seats: number;
  sections: Array<{ id: string; name: string; price_cents: number }>;
  rows: Array<[number, string, number]>;
  columns: string[];
}

const littleEndian = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** An Int32 column at a 4-aligned offset: a view when the platform is little-endian, else a copy. */
function int32Column(buffer: ArrayBuffer, offset: number, n: number): Int32Array {
  if (littleEndian) return new Int32Array(buffer, offset, n);
  const view = new DataView(buffer, offset, n * 4);
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) out[i] = view.getInt32(i * 4, true);
  return out;
}

function undelta(values: Int32Array): Int32Array {
  let sum = 0;
  for (let i = 0; i < values.length; i++) values[i] = sum = (sum + values[i]!) | 0;
  return values;
}

/** Second-order deltas to hundredths, then to map units. */
function coordinates(values: Int32Array): Float32Array {
  const out = new Float32Array(values.length);
  let step = 0;
  let value = 0;
  for (let i = 0; i < values.length; i++) {
    step = (step + values[i]!) | 0;
    value = (value + step) | 0;
    out[i] = value / COORDINATE_SCALE;
  }
  return out;
}

export function decodeLayout(buffer: ArrayBuffer): VenueLayout {
  const bytes = new Uint8Array(buffer);
  if (bytes.length < 8 || String.fromCharCode(bytes[0]!, bytes[1]!, bytes[2]!, bytes[3]!) !== LAYOUT_MAGIC) {
    throw new LayoutFormatError('Not a seat layout (bad magic).');
  }
  const headerLength = new DataView(buffer).getUint32(4, true);
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength))) as LayoutHeader;
  if (header.columns.join() !== COLUMNS.join()) {
    throw new LayoutFormatError(`Unknown layout columns: ${header.columns.join(', ')}.`);
  }
  const n = header.seats;
  let offset = 8 + headerLength;
  offset += (4 - (offset % 4)) % 4;
  const need = offset + n * 16 + Math.ceil(n / 8);
  if (bytes.length < need) throw new LayoutFormatError('Seat layout is truncated.');
  // The id and number columns are summed in place: copy them off the response buffer first
  // only on big-endian platforms (int32Column already copied there).
  const ids = undelta(littleEndian ? new Int32Array(int32Column(buffer, offset, n)) : int32Column(buffer, offset, n));
  offset += n * 4;
  const numbers = undelta(littleEndian ? new Int32Array(int32Column(buffer, offset, n)) : int32Column(buffer, offset, n));
  offset += n * 4;
  const x = coordinates(int32Column(buffer, offset, n));
  offset += n * 4;
  const y = coordinates(int32Column(buffer, offset, n));
  offset += n * 4;
  const bits = bytes.subarray(offset, offset + Math.ceil(n / 8));
  const accessible = new Uint8Array(n);
  for (let i = 0; i < n; i++) accessible[i] = (bits[i >> 3]! >> (i & 7)) & 1;

  const section = new Uint16Array(n);
  const rows: RowRun[] = [];
  let start = 0;
  for (const [sec, label, count] of header.rows) {
    if (sec < 0 || sec >= header.sections.length || count < 0 || start + count > n) {
      throw new LayoutFormatError('Seat layout rows do not match its sections or seats.');
    }
    section.fill(sec, start, start + count);
    rows.push({ section: sec, label, start, count });
    start += count;
  }
  if (start !== n) throw new LayoutFormatError('Seat layout rows do not cover every seat.');
  return {
    venueId: header.venue_id,
    size: n,
    sections: header.sections.map((s) => ({ id: s.id, name: s.name, priceCents: s.price_cents })),
    rows,
    ids,
    numbers,
    x,
    y,
    section,
    accessible,
  };
}

export const STATUS_FROM_CODE: readonly SeatStatus[] = ['available', 'held', 'sold', 'sold'];

/** 2 bits per seat, four seats per byte, lowest bits first: 0 available, 1 held, 2 sold. */
export function decodeStatus(doc: StatusDocument, size: number): Uint8Array {
  if (doc.encoding !== '2bit' || doc.seats !== size) {
    throw new LayoutFormatError('The status does not fit this layout.');
  }
  const packed = base64Bytes(doc.status);
  if (packed.length < Math.ceil(size / 4)) throw new LayoutFormatError('The status is truncated.');
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i++) {
    const code = (packed[i >> 2]! >> ((i & 3) * 2)) & 3;
    // 3 is not a status: never let an unknown code make a seat look buyable.
    out[i] = code === 3 ? 2 : code;
  }
  return out;
}

function base64Bytes(text: string): Uint8Array {
  const binary = atob(text);
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}
