/**
 * Draws the seat map on two stacked canvases:
 *  - base: every visible seat as a square on whole device pixels, so a single seat can
 *    later be repainted exactly (live diffs repaint only their seats, never the map);
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
  pixelOf,
  SOLD_COLOUR,
  tierColours,
} from './colours';
import { AVAILABLE, HELD, MINE_HELD, MINE_NONE, type SeatMapModel } from './model';
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
  /** Each seat's price tier, looked up once. */
  private readonly tierOf: Uint8Array;
  private readonly pixelColours: Uint32Array;
  private readonly backgroundPixel = pixelOf(MAP_BACKGROUND);
  private readonly whitePixel = pixelOf('#ffffff');
  private image: ImageData | null = null;
  private pixels: Uint32Array | null = null;
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
    this.pixelColours = Uint32Array.from(this.colours, pixelOf);
    this.tierOf = new Uint8Array(model.size);
    for (let i = 0; i < model.size; i++) this.tierOf[i] = model.sectionOf(i).tier;
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
    if (mine !== MINE_NONE) return mine === MINE_HELD ? tiers + 2 : tiers + 3;
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

  /**
   * A full paint writes pixels straight into an ImageData buffer and puts it once: the
   * cost is bounded by the screen's area (seats do not overlap), not by the number of
   * seats times a canvas call each, so the whole stadium in view still paints in a few
   * milliseconds, and panning and zooming stay smooth.
   */
  private drawAll(): void {
    const ctx = this.baseCtx;
    const m = this.model;
    const W = this.base.width;
    const H = this.base.height;
    if (!this.image || this.image.width !== W || this.image.height !== H) {
      this.image = ctx.createImageData(W, H);
      this.pixels = new Uint32Array(this.image.data.buffer);
    }
    const px = this.pixels!;
    px.fill(this.backgroundPixel);
    const side = this.sidePx();
    const colours = this.pixelColours;
    const white = this.whitePixel;
    const showAccess = side >= 7;
    const inner = Math.max(2, Math.round(side * 0.4));
    const off = Math.round((side - inner) / 2);
    const d = this.dpr;
    const { scale, tx, ty } = this.view;
    const half = side / 2;
    const fillSquare = (x0: number, y0: number, w: number, colour: number) => {
      const xa = Math.max(0, x0);
      const ya = Math.max(0, y0);
      const xb = Math.min(W, x0 + w);
      const yb = Math.min(H, y0 + w);
      if (xa >= xb || ya >= yb) return;
      if (xb - xa <= 8) {
        for (let yy = ya; yy < yb; yy++) {
          const row = yy * W;
          for (let xx = xa; xx < xb; xx++) px[row + xx] = colour;
        }
      } else {
        for (let yy = ya; yy < yb; yy++) px.fill(colour, yy * W + xa, yy * W + xb);
      }
    };
    // Hot loop (50k iterations when the whole map is in view): locals only, no lookups.
    const xs = m.x;
    const ys = m.y;
    const mine = m.mine;
    const status = m.status;
    const tierOf = this.tierOf;
    const accessible = m.accessible;
    const tiers = m.prices.length || 1;
    const heldKey = tiers;
    const soldKey = tiers + 1;
    const mineKey = tiers + 2;
    const pendingKey = tiers + 3;
    const paintOne = (i: number) => {
      const x = Math.round((xs[i]! * scale + tx) * d - half);
      const y = Math.round((ys[i]! * scale + ty) * d - half);
      if (x + side <= 0 || y + side <= 0 || x >= W || y >= H) return;
      const mi = mine[i]!;
      const st = status[i]!;
      const key = mi !== 0 ? (mi === MINE_HELD ? mineKey : pendingKey) : st === AVAILABLE ? tierOf[i]! : st === HELD ? heldKey : soldKey;
      const colour = colours[key]!;
      if (side === 1) px[y * W + x] = colour;
      else fillSquare(x, y, side, colour);
      if (showAccess && accessible[i]) fillSquare(x + off, y + off, inner, white);
    };
    const r = visibleWorldRect(this.view, this.size, m.pitch);
    const b = m.bounds;
    if (r.minX <= b.minX && r.minY <= b.minY && r.maxX >= b.maxX && r.maxY >= b.maxY) {
      for (let i = 0; i < m.size; i++) paintOne(i);
    } else {
      this.grid.forEachInRect(r.minX, r.minY, r.maxX, r.maxY, paintOne);
    }
    ctx.putImageData(this.image, 0, 0);
  }

  /**
   * Repaint only these seats: into the pixel buffer, then one putImageData of the
   * rectangle that encloses them. The rest of the map is not touched.
   */
  private drawSeats(slots: number[]): void {
    const px = this.pixels;
    const image = this.image;
    if (!px || !image) return this.requestFull();
    const W = image.width;
    const H = image.height;
    const side = this.sidePx();
    const inner = Math.max(2, Math.round(side * 0.4));
    const off = Math.round((side - inner) / 2);
    let x0 = W;
    let y0 = H;
    let x1 = 0;
    let y1 = 0;
    const fill = (x: number, y: number, w: number, colour: number) => {
      const xa = Math.max(0, x);
      const ya = Math.max(0, y);
      const xb = Math.min(W, x + w);
      const yb = Math.min(H, y + w);
      if (xa >= xb || ya >= yb) return;
      for (let yy = ya; yy < yb; yy++) px.fill(colour, yy * W + xa, yy * W + xb);
      if (xa < x0) x0 = xa;
      if (ya < y0) y0 = ya;
      if (xb > x1) x1 = xb;
      if (yb > y1) y1 = yb;
    };
    for (const i of slots) {
      const [x, y] = this.deviceRect(i, side);
      fill(x, y, side, this.pixelColours[this.keyOf(i)]!);
      if (side >= 7 && this.model.accessible[i]) fill(x + off, y + off, inner, this.whitePixel);
    }
    if (x1 > x0 && y1 > y0) this.baseCtx.putImageData(image, 0, 0, x0, y0, x1 - x0, y1 - y0);
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
