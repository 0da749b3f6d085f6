/**
 * The seat map's data model: one slot per seat in typed arrays, an id → slot index map,
 * and the live state (status, "mine") that the WebSocket and the fan's own holds change.
 *
 * A stadium has 50,000+ seats, so nothing here allocates per seat after construction:
 * applying a diff touches only the changed slots and reports exactly those slots to the
 * listeners (the canvas repaints them, the list view re-renders if one is visible).
 */
import type { LiveDiff, LiveSnapshot, SeatMap, SeatStatus } from '../api/types';

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

export class SeatMapModel {
  readonly showId: string;
  readonly currency: string;
  readonly size: number;
  readonly ids: string[];
  readonly rowLabels: string[];
  readonly numbers: string[];
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

  private readonly indexById: Map<string, number>;
  private readonly listeners = new Set<ChangeListener>();

  constructor(map: SeatMap) {
    const n = map.seats.length;
    this.showId = map.show_id;
    this.currency = map.currency;
    this.version = map.version;
    this.size = n;
    this.ids = new Array<string>(n);
    this.rowLabels = new Array<string>(n);
    this.numbers = new Array<string>(n);
    this.x = new Float32Array(n);
    this.y = new Float32Array(n);
    this.section = new Uint16Array(n);
    this.accessible = new Uint8Array(n);
    this.status = new Uint8Array(n);
    this.mine = new Uint8Array(n);
    this.rowOf = new Int32Array(n);
    this.indexById = new Map();

    const prices = [...new Set(map.sections.map((s) => s.price_cents))].sort((a, b) => a - b);
    this.prices = prices;
    const sectionIndex = new Map<string, number>();
    this.sections = map.sections.map((s, index) => {
      sectionIndex.set(s.id, index);
      return { index, id: s.id, name: s.name, priceCents: s.price_cents, tier: prices.indexOf(s.price_cents), seatCount: 0 };
    });
    this.availableBySection = new Int32Array(this.sections.length);

    let minX = Infinity;
    let minY = Infinity;
    let maxX = -Infinity;
    let maxY = -Infinity;
    // section → row label → slots
    const grouping: Map<string, number[]>[] = this.sections.map(() => new Map());
    for (let i = 0; i < n; i++) {
      const s = map.seats[i]!;
      this.ids[i] = s.id;
      this.indexById.set(s.id, i);
      const row = String(s.row);
      this.rowLabels[i] = row;
      this.numbers[i] = String(s.number);
      this.x[i] = s.x;
      this.y[i] = s.y;
      if (s.x < minX) minX = s.x;
      if (s.x > maxX) maxX = s.x;
      if (s.y < minY) minY = s.y;
      if (s.y > maxY) maxY = s.y;
      let sec = sectionIndex.get(s.section_id);
      if (sec === undefined) {
        // A seat whose section is missing from `sections`: give it one so it still draws.
        sec = this.sections.length;
        sectionIndex.set(s.section_id, sec);
        this.sections.push({ index: sec, id: s.section_id, name: s.section_id, priceCents: 0, tier: 0, seatCount: 0 });
        grouping.push(new Map());
      }
      this.section[i] = sec;
      this.sections[sec]!.seatCount++;
      this.accessible[i] = s.accessible ? 1 : 0;
      const code = statusCode(s.status);
      this.status[i] = code;
      const byRow = grouping[sec]!;
      let slots = byRow.get(row);
      if (!slots) byRow.set(row, (slots = []));
      slots.push(i);
    }
    if (this.availableBySection.length !== this.sections.length) {
      this.availableBySection = new Int32Array(this.sections.length);
    }
    for (let i = 0; i < n; i++) {
      if (this.status[i] === AVAILABLE) {
        this.availableBySection[this.section[i]!]!++;
        this.availableTotal++;
      }
    }
    this.bounds = n ? { minX, minY, maxX, maxY } : { minX: 0, minY: 0, maxX: 1, maxY: 1 };

    this.rows = [];
    this.rowsBySection = [];
    for (let sec = 0; sec < grouping.length; sec++) {
      const labels = [...grouping[sec]!.keys()].sort(naturalOrder.compare);
      const indices: number[] = [];
      for (const label of labels) {
        const slots = grouping[sec]!.get(label)!;
        slots.sort((a, b) => naturalOrder.compare(this.numbers[a]!, this.numbers[b]!) || this.x[a]! - this.x[b]!);
        const index = this.rows.length;
        for (const slot of slots) this.rowOf[slot] = index;
        this.rows.push({ index, section: sec, label, seats: Int32Array.from(slots) });
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
    const samples: number[] = [];
    const step = Math.max(1, Math.floor(this.rows.length / 400));
    for (let r = 0; r < this.rows.length && samples.length < 4000; r += step) {
      const seats = this.rows[r]!.seats;
      for (let k = 1; k < seats.length && k < 12; k++) {
        const a = seats[k - 1]!;
        const b = seats[k]!;
        const d = Math.hypot(this.x[a]! - this.x[b]!, this.y[a]! - this.y[b]!);
        if (d > 0) samples.push(d);
      }
    }
    if (samples.length) {
      samples.sort((a, b) => a - b);
      return samples[Math.floor(samples.length * 0.3)]!;
    }
    const { minX, minY, maxX, maxY } = this.bounds;
    const area = Math.max(1, (maxX - minX) * (maxY - minY));
    return Math.max(1, Math.sqrt(area / Math.max(1, this.size)));
  }

  indexOf(seatId: string): number {
    return this.indexById.get(seatId) ?? -1;
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
      const i = this.indexById.get(id);
      if (i !== undefined) next[i] = statusCode(snapshot.seats[id]!);
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
      const i = this.indexById.get(change[0]);
      if (i !== undefined && this.setStatusAt(i, statusCode(change[1]))) changed.push(i);
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
      const i = this.indexById.get(id);
      if (i !== undefined && this.setStatusAt(i, code)) changed.push(i);
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
      const i = this.indexById.get(id);
      if (i !== undefined) want.add(i);
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
    for (let i = 0; i < this.size; i++) if (this.mine[i] === MINE_HELD) out.push(this.ids[i]!);
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
    return `Section ${sec.name}, row ${this.rowLabels[i]}, seat ${this.numbers[i]}, ${money(sec.priceCents, this.currency)}${access}, ${state}`;
  }
}
