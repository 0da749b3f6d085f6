/**
 * The seat map's data model: one slot per seat in typed arrays, an id → slot index map,
 * and the live state (status, "mine") that the WebSocket and the fan's own holds change.
 *
 * A stadium has 50,000+ seats, so nothing here allocates per seat after construction:
 * applying a diff touches only the changed slots and reports exactly those slots to the
 * listeners (the canvas repaints them, the list view re-renders if one is visible).
 */
import type { LiveDiff, LiveSnapshot, SeatMap, SeatStatus } from '../api/types';
import { decodeStatus, type StatusDocument, type VenueLayout } from './layoutFormat';

export const AVAILABLE = 0;
export const HELD = 1;
export const SOLD = 2;
export type StatusCode = typeof AVAILABLE | typeof HELD | typeof SOLD;

export const STATUS_NAMES: readonly SeatStatus[] = ['available', 'held', 'sold'];

export function statusCode(status: string): StatusCode {
  switch (status) {
    case 'available':
      return AVAILABLE;
    case 'held':
      return HELD;
    case 'sold':
      return SOLD;
    default:
      // An unknown status must never make a seat look buyable.
      return SOLD;
  }
}

/** The fan's own relation to a seat, kept apart from the server's status. */
export const MINE_NONE = 0;
/** In the fan's hold. */
export const MINE_HELD = 1;
/** A hold request for it is in flight. */
export const MINE_PENDING = 2;
/** A release request for it is in flight. */
export const MINE_RELEASING = 3;

export interface SectionInfo {
  index: number;
  id: string;
  name: string;
  priceCents: number;
  /** Rank of this section's price among the distinct prices, cheapest = 0. */
  tier: number;
  seatCount: number;
}

export interface RowInfo {
  index: number;
  section: number;
  label: string;
  /** Seat slots, ordered by seat number (then x). */
  seats: Int32Array;
}

export type DiffResult =
  | { kind: 'applied'; changed: number[] }
  | { kind: 'stale' }
  | { kind: 'gap'; expected: number; got: number };

/** `changed` lists the slots whose drawing changed; null means "everything". */
export type ChangeListener = (changed: ArrayLike<number> | null) => void;

export interface Bounds {
  minX: number;
  minY: number;
  maxX: number;
  maxY: number;
}

const naturalOrder = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });

/**
 * Row labels in reading order ("2" before "10", "a" with "A"), as `naturalOrder` orders them,
 * without its cost (a microsecond a call) for the plain ASCII labels venues use.
 */
export function compareLabels(a: string, b: string): number {
  const na = a.length;
  const nb = b.length;
  let i = 0;
  let j = 0;
  while (i < na && j < nb) {
    const ca = a.charCodeAt(i);
    const cb = b.charCodeAt(j);
    if (ca > 127 || cb > 127) return naturalOrder.compare(a, b);
    const da = ca >= 48 && ca <= 57;
    const db = cb >= 48 && cb <= 57;
    if (da && db) {
      // Compare digit runs by value: skip leading zeros, then longer is larger, then digit by digit.
      let ea = i;
      let eb = j;
      while (ea < na && a.charCodeAt(ea) >= 48 && a.charCodeAt(ea) <= 57) ea++;
      while (eb < nb && b.charCodeAt(eb) >= 48 && b.charCodeAt(eb) <= 57) eb++;
      let sa = i;
      let sb = j;
      while (sa < ea - 1 && a.charCodeAt(sa) === 48) sa++;
      while (sb < eb - 1 && b.charCodeAt(sb) === 48) sb++;
      if (ea - sa !== eb - sb) return ea - sa - (eb - sb);
      for (; sa < ea; sa++, sb++) {
        const d = a.charCodeAt(sa) - b.charCodeAt(sb);
        if (d) return d;
      }
      i = ea;
      j = eb;
      continue;
    }
    if (da !== db) return da ? -1 : 1; // digits before letters
    const la = ca >= 65 && ca <= 90 ? ca + 32 : ca;
    const lb = cb >= 65 && cb <= 90 ? cb + 32 : cb;
    if (la !== lb) return naturalOrder.compare(a.charAt(i), b.charAt(j));
    i++;
    j++;
  }
  return na - i - (nb - j);
}

/** A row as a source hands it over: its seats' slots already in seat-number order. */
export interface SourceRow {
  section: number;
  label: string;
  seats: Int32Array;
}

/** Everything the model is built from, column by column: no per-seat objects. */
export interface SeatColumns {
  showId: string;
  currency: string;
  version: number;
  sections: ReadonlyArray<{ id: string; name: string; priceCents: number }>;
  size: number;
  /** Seat id of a slot. */
  idAt: (slot: number) => string;
  numbers: Int32Array;
  x: Float32Array;
  y: Float32Array;
  section: Uint16Array;
  accessible: Uint8Array;
  status: Uint8Array;
  rows: SourceRow[];
  /** Slot of a seat id, or -1. */
  lookup: (id: string) => number;
}

/**
 * Seat id → slot for ids that are integers: a table over their range when it is dense enough.
 * Built on the first lookup, not with the model: the first paint needs no id, the live feed does.
 */
function integerLookup(ids: Int32Array): (id: string) => number {
  let lookup: ((id: string) => number) | null = null;
  return (id) => (lookup ??= buildIntegerLookup(ids))(id);
}

function buildIntegerLookup(ids: Int32Array): (id: string) => number {
  const n = ids.length;
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < n; i++) {
    const v = ids[i]!;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (n && max - min < 4 * n + 1024) {
    const table = new Int32Array(max - min + 1).fill(-1);
    for (let i = 0; i < n; i++) table[ids[i]! - min] = i;
    return (id) => {
      const v = Number(id);
      // Only the canonical spelling names the seat ("007" and "7.0" do not).
      if (!Number.isInteger(v) || v < min || v > max || String(v) !== id) return -1;
      return table[v - min]!;
    };
  }
  const byId = new Map<string, number>();
  for (let i = 0; i < n; i++) byId.set(String(ids[i]), i);
  return (id) => byId.get(id) ?? -1;
}

/** The columns of a layout with a status overlay laid over it (both as the server sends them). */
export function columnsFromLayout(layout: VenueLayout, status: StatusDocument): SeatColumns {
  const n = layout.size;
  const rows: SourceRow[] = layout.rows.map((run) => {
    const seats = new Int32Array(run.count);
    let sorted = true;
    for (let k = 0; k < run.count; k++) {
      seats[k] = run.start + k;
      if (k && layout.numbers[run.start + k]! < layout.numbers[run.start + k - 1]!) sorted = false;
    }
    // The server sends rows in seat-number order; anything else is put in order here.
    if (!sorted) seats.sort((a, b) => layout.numbers[a]! - layout.numbers[b]! || layout.x[a]! - layout.x[b]!);
    return { section: run.section, label: run.label, seats };
  });
  return {
    showId: status.show_id,
    currency: status.currency,
    version: status.version,
    // A show priced by its organizer carries its own prices; the layout's are the venue's, shared by its shows.
    sections: status.prices
      ? layout.sections.map((s) => ({ ...s, priceCents: status.prices?.[s.id] ?? s.priceCents }))
      : layout.sections,
    size: n,
    // Spelled on demand: 50,000 strings up front would cost more than the rest of the build.
    idAt: (slot) => String(layout.ids[slot]),
    numbers: layout.numbers,
    x: layout.x,
    y: layout.y,
    section: layout.section,
    accessible: layout.accessible,
    status: decodeStatus(status, n),
    rows,
    lookup: integerLookup(layout.ids),
  };
}

/** The columns of the legacy map answer (`GET /shows/{id}/map`: one object per seat). */
export function columnsFromMap(map: SeatMap): SeatColumns {
  const n = map.seats.length;
  const sections: Array<{ id: string; name: string; priceCents: number }> = map.sections.map((s) => ({
    id: s.id,
    name: s.name,
    priceCents: s.price_cents,
  }));
  const sectionIndex = new Map<string, number>(sections.map((s, i) => [s.id, i]));
  const ids = new Array<string>(n);
  const numbers = new Int32Array(n);
  const x = new Float32Array(n);
  const y = new Float32Array(n);
  const section = new Uint16Array(n);
  const accessible = new Uint8Array(n);
  const status = new Uint8Array(n);
  const byId = new Map<string, number>();
  // section → row label → slots
  const grouping: Map<string, number[]>[] = sections.map(() => new Map());
  for (let i = 0; i < n; i++) {
    const s = map.seats[i]!;
    ids[i] = s.id;
    byId.set(s.id, i);
    const row = String(s.row);
    numbers[i] = s.number;
    x[i] = s.x;
    y[i] = s.y;
    let sec = sectionIndex.get(s.section_id);
    if (sec === undefined) {
      // A seat whose section is missing from `sections`: give it one so it still draws.
      sec = sections.length;
      sectionIndex.set(s.section_id, sec);
      sections.push({ id: s.section_id, name: s.section_id, priceCents: 0 });
      grouping.push(new Map());
    }
    section[i] = sec;
    accessible[i] = s.accessible ? 1 : 0;
    status[i] = statusCode(s.status);
    const byRow = grouping[sec]!;
    let slots = byRow.get(row);
    if (!slots) byRow.set(row, (slots = []));
    slots.push(i);
  }
  const rows: SourceRow[] = [];
  grouping.forEach((byRow, sec) => {
    for (const [label, slots] of byRow) {
      slots.sort((a, b) => numbers[a]! - numbers[b]! || x[a]! - x[b]!);
      rows.push({ section: sec, label, seats: Int32Array.from(slots) });
    }
  });
  return {
    showId: map.show_id,
    currency: map.currency,
    version: map.version,
    sections,
    size: n,
    idAt: (slot) => ids[slot]!,
    numbers,
    x,
    y,
    section,
    accessible,
    status,
    rows,
    lookup: (id) => byId.get(id) ?? -1,
  };
}

export class SeatMapModel {
  readonly showId: string;
  readonly currency: string;
  readonly size: number;
  /** Seat numbers (integers, as the API gives them). */
  readonly numbers: Int32Array;
  readonly x: Float32Array;
  readonly y: Float32Array;
  readonly section: Uint16Array;
  readonly accessible: Uint8Array;
  readonly status: Uint8Array;
  readonly mine: Uint8Array;
  /** Slot → index into `rows`. */
  readonly rowOf: Int32Array;
  readonly sections: SectionInfo[];
  readonly rows: RowInfo[];
  /** Row indices per section, in natural row order. */
  readonly rowsBySection: number[][];
  /** Distinct section prices, cheapest first (tier i ↔ prices[i]). */
  readonly prices: number[];
  readonly bounds: Bounds;
  /** Typical distance between neighbouring seats, in map units. */
  readonly pitch: number;
  /** Available seats per section, kept up to date by every change. */
  readonly availableBySection: Int32Array;
  availableTotal = 0;
  version: number;

  private readonly lookup: (id: string) => number;
  /** The seat id of a slot. */
  readonly idAt: (slot: number) => string;
  private readonly listeners = new Set<ChangeListener>();

  /** From the legacy map answer (one JSON object per seat). */
  static fromMap(map: SeatMap): SeatMapModel {
    return new SeatMapModel(columnsFromMap(map));
  }

  /** From the venue's layout and the show's status overlay. */
  static fromLayout(layout: VenueLayout, status: StatusDocument): SeatMapModel {
    return new SeatMapModel(columnsFromLayout(layout, status));
  }

  constructor(columns: SeatColumns) {
    const n = columns.size;
    this.showId = columns.showId;
    this.currency = columns.currency;
    this.version = columns.version;
    this.size = n;
    this.idAt = columns.idAt;
    this.numbers = columns.numbers;
    this.x = columns.x;
    this.y = columns.y;
    this.section = columns.section;
    this.accessible = columns.accessible;
    this.status = columns.status;
    this.lookup = columns.lookup;
    this.mine = new Uint8Array(n);
    this.rowOf = new Int32Array(n);

    const prices = [...new Set(columns.sections.map((s) => s.priceCents))].sort((a, b) => a - b);
    this.prices = prices;
    this.sections = columns.sections.map((s, index) => ({
      index,
      id: s.id,
      name: s.name,
      priceCents: s.priceCents,
      tier: prices.indexOf(s.priceCents),
      seatCount: 0,
    }));
    this.availableBySection = new Int32Array(this.sections.length);
    const seatCounts = new Int32Array(this.sections.length);

    let minX = Infinity;
    let minY = Infinity;
    let maxX = -Infinity;
    let maxY = -Infinity;
    const { x, y, section, status, availableBySection } = this;
    for (let i = 0; i < n; i++) {
      const sx = x[i]!;
      const sy = y[i]!;
      if (sx < minX) minX = sx;
      if (sx > maxX) maxX = sx;
      if (sy < minY) minY = sy;
      if (sy > maxY) maxY = sy;
      const sec = section[i]!;
      seatCounts[sec]!++;
      if (status[i] === AVAILABLE) availableBySection[sec]!++;
    }
    this.sections.forEach((info, sec) => {
      info.seatCount = seatCounts[sec]!;
      this.availableTotal += this.availableBySection[sec]!;
    });
    this.bounds = n ? { minX, minY, maxX, maxY } : { minX: 0, minY: 0, maxX: 1, maxY: 1 };

    // Rows in natural label order within each section; a row's seats keep the order they came in.
    const rowOf = this.rowOf;
    const bySection: SourceRow[][] = this.sections.map(() => []);
    for (const row of columns.rows) bySection[row.section]!.push(row);
    this.rows = [];
    this.rowsBySection = [];
    for (const sourceRows of bySection) {
      // Sources usually send rows in order already; checking costs a tenth of sorting.
      if (!sourceRows.every((row, k) => k === 0 || compareLabels(sourceRows[k - 1]!.label, row.label) <= 0)) {
        sourceRows.sort((a, b) => compareLabels(a.label, b.label));
      }
      const indices: number[] = [];
      for (const source of sourceRows) {
        const index = this.rows.length;
        const seats = source.seats;
        for (let k = 0; k < seats.length; k++) rowOf[seats[k]!] = index;
        this.rows.push({ index, section: source.section, label: source.label, seats });
        indices.push(index);
      }
      this.rowsBySection.push(indices);
    }
    this.pitch = this.estimatePitch();
  }

  /**
   * Typical distance between neighbours in a row (sampled, 30th percentile so that
   * tightly packed rows do not overlap), falling back to the area per seat.
   */
  private estimatePitch(): number {
    // A typed array sorts numerically without a comparator: this runs once, cold, before the first paint.
    const samples = new Float64Array(4000);
    let count = 0;
    const { rows, x, y } = this;
    const step = Math.max(1, Math.floor(rows.length / 400));
    for (let r = 0; r < rows.length && count < 4000; r += step) {
      const seats = rows[r]!.seats;
      for (let k = 1; k < seats.length && k < 12 && count < 4000; k++) {
        const a = seats[k - 1]!;
        const b = seats[k]!;
        const dx = x[a]! - x[b]!;
        const dy = y[a]! - y[b]!;
        const d = Math.sqrt(dx * dx + dy * dy);
        if (d > 0) samples[count++] = d;
      }
    }
    if (count) {
      const sorted = samples.subarray(0, count).sort();
      return sorted[Math.floor(count * 0.3)]!;
    }
    const { minX, minY, maxX, maxY } = this.bounds;
    const area = Math.max(1, (maxX - minX) * (maxY - minY));
    return Math.max(1, Math.sqrt(area / Math.max(1, this.size)));
  }

  /** The label of the seat's row. */
  rowLabel(i: number): string {
    return this.rows[this.rowOf[i]!]!.label;
  }

  indexOf(seatId: string): number {
    return this.lookup(seatId);
  }

  onChange(listener: ChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(changed: ArrayLike<number> | null): void {
    for (const l of this.listeners) l(changed);
  }

  private setStatusAt(i: number, code: number): boolean {
    const old = this.status[i]!;
    if (old === code) return false;
    this.status[i] = code;
    const sec = this.section[i]!;
    if (old === AVAILABLE) {
      this.availableBySection[sec]!--;
      this.availableTotal--;
    } else if (code === AVAILABLE) {
      this.availableBySection[sec]!++;
      this.availableTotal++;
    }
    return true;
  }

  /** Replace the whole live state with a snapshot (seats not listed are available). */
  applySnapshot(snapshot: LiveSnapshot): number[] {
    const next = new Uint8Array(this.size);
    for (const id in snapshot.seats) {
      const i = this.lookup(id);
      if (i >= 0) next[i] = statusCode(snapshot.seats[id]!);
    }
    const changed: number[] = [];
    for (let i = 0; i < this.size; i++) {
      if (this.setStatusAt(i, next[i]!)) changed.push(i);
    }
    this.version = snapshot.version;
    if (changed.length) this.emit(changed);
    return changed;
  }

  /**
   * Apply a diff only if it continues from our version. An older diff (already covered
   * by a snapshot) is ignored; a newer one means we missed some: the caller resyncs.
   */
  applyDiff(diff: LiveDiff): DiffResult {
    if (diff.from_version !== this.version) {
      if (diff.version <= this.version) return { kind: 'stale' };
      return { kind: 'gap', expected: this.version, got: diff.from_version };
    }
    const changed: number[] = [];
    const changes = diff.changes;
    for (let k = 0; k < changes.length; k++) {
      const change = changes[k]!;
      const i = this.lookup(change[0]);
      if (i >= 0 && this.setStatusAt(i, statusCode(change[1]))) changed.push(i);
    }
    this.version = diff.version;
    if (changed.length) this.emit(changed);
    return { kind: 'applied', changed };
  }

  /** Local knowledge ahead of the live feed (e.g. a 409 told us these seats are taken). */
  markStatus(seatIds: readonly string[], status: SeatStatus): number[] {
    const changed: number[] = [];
    const code = statusCode(status);
    for (const id of seatIds) {
      const i = this.lookup(id);
      if (i >= 0 && this.setStatusAt(i, code)) changed.push(i);
    }
    if (changed.length) this.emit(changed);
    return changed;
  }

  setMine(slots: ArrayLike<number>, value: number): void {
    const changed: number[] = [];
    for (let k = 0; k < slots.length; k++) {
      const i = slots[k]!;
      if (i >= 0 && this.mine[i] !== value) {
        this.mine[i] = value;
        changed.push(i);
      }
    }
    if (changed.length) this.emit(changed);
  }

  /** Make exactly these seats "mine" (the current hold); everything else is not. */
  syncHold(seatIds: readonly string[]): void {
    const want = new Set<number>();
    for (const id of seatIds) {
      const i = this.lookup(id);
      if (i >= 0) want.add(i);
    }
    const changed: number[] = [];
    for (let i = 0; i < this.size; i++) {
      const m = this.mine[i]!;
      if (want.has(i)) {
        if (m !== MINE_HELD) {
          this.mine[i] = MINE_HELD;
          changed.push(i);
        }
      } else if (m === MINE_HELD || m === MINE_RELEASING) {
        this.mine[i] = MINE_NONE;
        changed.push(i);
      }
    }
    if (changed.length) this.emit(changed);
  }

  /** Seat ids currently in the fan's hold. */
  mySeatIds(): string[] {
    const out: string[] = [];
    for (let i = 0; i < this.size; i++) if (this.mine[i] === MINE_HELD) out.push(this.idAt(i));
    return out;
  }

  /** Can the fan click this seat to hold it? */
  isSelectable(i: number): boolean {
    return this.status[i] === AVAILABLE && this.mine[i] === MINE_NONE;
  }

  sectionOf(i: number): SectionInfo {
    return this.sections[this.section[i]!]!;
  }

  statusName(i: number): SeatStatus {
    return STATUS_NAMES[this.status[i]!]!;
  }

  /** What a screen reader says for a seat: section, row, seat, price, status. */
  label(i: number, money: (cents: number, currency: string) => string): string {
    const sec = this.sectionOf(i);
    const mine = this.mine[i]!;
    let state: string;
    if (mine === MINE_HELD) state = 'in your hold';
    else if (mine === MINE_PENDING) state = 'being held for you';
    else if (mine === MINE_RELEASING) state = 'being released';
    else if (this.status[i] === AVAILABLE) state = 'available';
    else if (this.status[i] === HELD) state = 'taken (held)';
    else state = 'sold';
    const access = this.accessible[i] ? ', wheelchair accessible' : '';
    return `Section ${sec.name}, row ${this.rowLabel(i)}, seat ${this.numbers[i]}, ${money(sec.priceCents, this.currency)}${access}, ${state}`;
  }
}
