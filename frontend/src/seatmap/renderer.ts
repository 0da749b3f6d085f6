/**
 * Draws the seat map on two stacked canvases:
 *  - base: every visible seat, batched into one Path2D per colour, on whole device pixels
 *    so a single seat can later be repainted exactly (live diffs repaint only their seats);
 *  - overlay: the keyboard focus ring, the hover outline and the "just taken" flashes,
 *    cheap to redraw on their own.
 * Paints are coalesced into one per animation frame.
 */
import {
  FLASH_COLOUR,
  FOCUS_COLOUR,
  HELD_COLOUR,
  HOVER_COLOUR,
  MAP_BACKGROUND,
  MINE_COLOUR,
  PENDING_COLOUR,
  SOLD_COLOUR,
  tierColours,
} from './colours';
import { AVAILABLE, HELD, MINE_HELD, MINE_NONE, MINE_PENDING, type SeatMapModel } from './model';
import type { SpatialGrid } from './spatial';
import { visibleWorldRect, type Size, type View } from './viewport';

/** Share of the seat pitch a seat's square covers. */
const SEAT_FILL = 0.78;

export class SeatMapRenderer {
  view: View = { scale: 1, tx: 0, ty: 0 };
  size: Size = { width: 1, height: 1 };
  dpr = 1;
  focus = -1;
  hover = -1;
  /** Called once, after the first full paint. */
  onFirstPaint: (() => void) | null = null;
  /** Duration of the last full paint, ms (for the budget report). */
  lastFullPaintMs = 0;

  private readonly colours: string[];
  private readonly baseCtx: CanvasRenderingContext2D;
  private readonly overlayCtx: CanvasRenderingContext2D;
  private readonly flashes = new Map<number, number>();
  private pendingFull = true;
  private dirty: number[] = [];
  private overlayDirty = true;
  private frame = 0;
  private painted = false;
  private flashTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly base: HTMLCanvasElement,
    private readonly overlay: HTMLCanvasElement,
    private readonly model: SeatMapModel,
    private readonly grid: SpatialGrid,
  ) {
    const tiers = tierColours(model.prices.length);
    this.colours = [...tiers, HELD_COLOUR, SOLD_COLOUR, MINE_COLOUR, PENDING_COLOUR];
    this.baseCtx = base.getContext('2d', { alpha: false })!;
    this.overlayCtx = overlay.getContext('2d')!;
  }

  /** The colour of price tier t, for the legend. */
  tierColour(t: number): string {
    return this.colours[t]!;
  }

  private keyOf(i: number): number {
    const m = this.model;
    const tiers = m.prices.length || 1;
    const mine = m.mine[i]!;
    if (mine !== MINE_NONE) return mine === MINE_PENDING ? tiers + 3 : mine === MINE_HELD ? tiers + 2 : tiers + 3;
    const st = m.status[i]!;
    if (st === AVAILABLE) return m.sectionOf(i).tier;
    return st === HELD ? tiers : tiers + 1;
  }

  /** Seat square side in CSS pixels at the current zoom. */
  seatSide(): number {
    return this.model.pitch * SEAT_FILL * this.view.scale;
  }

  setSize(width: number, height: number, dpr: number): void {
    this.size = { width: Math.max(1, width), height: Math.max(1, height) };
    this.dpr = dpr;
    for (const c of [this.base, this.overlay]) {
      c.width = Math.max(1, Math.round(width * dpr));
      c.height = Math.max(1, Math.round(height * dpr));
    }
    this.requestFull();
  }

  setView(view: View): void {
    this.view = view;
    this.requestFull();
  }

  requestFull(): void {
    this.pendingFull = true;
    this.overlayDirty = true;
    this.schedule();
  }

  /** Repaint just these seats (a live diff, a hold change). */
  requestSeats(changed: ArrayLike<number> | null): void {
    if (changed === null) return this.requestFull();
    if (!this.pendingFull) for (let k = 0; k < changed.length; k++) this.dirty.push(changed[k]!);
    this.overlayDirty = true;
    this.schedule();
  }

  setFocus(i: number): void {
    if (i === this.focus) return;
    this.focus = i;
    this.overlayDirty = true;
    this.schedule();
  }

  setHover(i: number): void {
    if (i === this.hover) return;
    this.hover = i;
    this.overlayDirty = true;
    this.schedule();
  }

  /** Outline seats in red for a moment: "somebody just took these". */
  flash(slots: readonly number[], ms = 2500): void {
    const until = performance.now() + ms;
    for (const i of slots) this.flashes.set(i, until);
    this.overlayDirty = true;
    this.schedule();
    clearTimeout(this.flashTimer);
    this.flashTimer = setTimeout(() => {
      const now = performance.now();
      for (const [i, t] of this.flashes) if (t <= now) this.flashes.delete(i);
      this.overlayDirty = true;
      this.schedule();
    }, ms + 20);
  }

  private schedule(): void {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.paint();
    });
  }

  /** Paint now what is pending (also used by tests and the first paint). */
  paint(): void {
    if (this.pendingFull) {
      this.pendingFull = false;
      this.dirty = [];
      const t0 = performance.now();
      this.drawAll();
      this.lastFullPaintMs = performance.now() - t0;
      if (!this.painted) {
        this.painted = true;
        this.onFirstPaint?.();
      }
    } else if (this.dirty.length) {
      const dirty = this.dirty;
      this.dirty = [];
      this.drawSeats(dirty);
    }
    if (this.overlayDirty) {
      this.overlayDirty = false;
      this.drawOverlay();
    }
  }

  /** Device-pixel square of seat i: [x, y, side], whole pixels. */
  private deviceRect(i: number, sidePx: number): [number, number, number] {
    const d = this.dpr;
    const v = this.view;
    const cx = (this.model.x[i]! * v.scale + v.tx) * d;
    const cy = (this.model.y[i]! * v.scale + v.ty) * d;
    return [Math.round(cx - sidePx / 2), Math.round(cy - sidePx / 2), sidePx];
  }

  private sidePx(): number {
    return Math.max(1, Math.round(this.seatSide() * this.dpr));
  }

  private drawAll(): void {
    const ctx = this.baseCtx;
    const m = this.model;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.fillStyle = MAP_BACKGROUND;
    ctx.fillRect(0, 0, this.base.width, this.base.height);
    const side = this.sidePx();
    const paths = this.colours.map(() => new Path2D());
    const used = new Uint8Array(this.colours.length);
    const W = this.base.width;
    const H = this.base.height;
    const accessibleMarks: number[] = [];
    const showAccess = side >= 7;
    const paintOne = (i: number) => {
      const [x, y] = this.deviceRect(i, side);
      if (x + side < 0 || y + side < 0 || x > W || y > H) return;
      const k = this.keyOf(i);
      paths[k]!.rect(x, y, side, side);
      used[k] = 1;
      if (showAccess && m.accessible[i]) accessibleMarks.push(i);
    };
    const r = visibleWorldRect(this.view, this.size, m.pitch);
    const b = m.bounds;
    if (r.minX <= b.minX && r.minY <= b.minY && r.maxX >= b.maxX && r.maxY >= b.maxY) {
      for (let i = 0; i < m.size; i++) paintOne(i);
    } else {
      this.grid.forEachInRect(r.minX, r.minY, r.maxX, r.maxY, paintOne);
    }
    for (let k = 0; k < paths.length; k++) {
      if (!used[k]) continue;
      ctx.fillStyle = this.colours[k]!;
      ctx.fill(paths[k]!);
    }
    for (const i of accessibleMarks) this.drawAccessibleMark(i, side);
  }

  private drawAccessibleMark(i: number, side: number): void {
    const ctx = this.baseCtx;
    const [x, y] = this.deviceRect(i, side);
    const inner = Math.max(2, Math.round(side * 0.4));
    const off = Math.round((side - inner) / 2);
    ctx.fillStyle = '#ffffff';
    ctx.fillRect(x + off, y + off, inner, inner);
  }

  private drawSeats(slots: number[]): void {
    const ctx = this.baseCtx;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    const side = this.sidePx();
    const W = this.base.width;
    const H = this.base.height;
    for (const i of slots) {
      const [x, y] = this.deviceRect(i, side);
      if (x + side < 0 || y + side < 0 || x > W || y > H) continue;
      ctx.fillStyle = this.colours[this.keyOf(i)]!;
      ctx.fillRect(x, y, side, side);
      if (side >= 7 && this.model.accessible[i]) this.drawAccessibleMark(i, side);
    }
  }

  private drawOverlay(): void {
    const ctx = this.overlayCtx;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, this.overlay.width, this.overlay.height);
    const side = this.sidePx();
    const d = this.dpr;
    const ring = (i: number, colour: string, width: number, gap: number) => {
      const [x, y] = this.deviceRect(i, side);
      ctx.strokeStyle = colour;
      ctx.lineWidth = width * d;
      const g = (gap + width / 2) * d;
      ctx.strokeRect(x - g, y - g, side + 2 * g, side + 2 * g);
    };
    const now = performance.now();
    for (const [i, until] of this.flashes) if (until > now) ring(i, FLASH_COLOUR, 2, 1);
    if (this.hover >= 0 && this.hover !== this.focus) ring(this.hover, HOVER_COLOUR, 1.5, 1);
    if (this.focus >= 0) {
      ring(this.focus, '#ffffff', 4, 0.5);
      ring(this.focus, FOCUS_COLOUR, 2.5, 1.25);
    }
  }

  destroy(): void {
    if (this.frame) cancelAnimationFrame(this.frame);
    clearTimeout(this.flashTimer);
    this.onFirstPaint = null;
  }
}
