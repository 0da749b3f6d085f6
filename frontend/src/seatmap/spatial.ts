/**
 * A uniform grid over the seats (compressed: one Int32Array of slots sorted by cell, one of
 * cell offsets), for hit-testing a pointer, culling, and arrow-key moves between seats.
 */
export interface Points {
  readonly size: number;
  readonly x: Float32Array;
  readonly y: Float32Array;
}

export type Direction = 'left' | 'right' | 'up' | 'down';

export class SpatialGrid {
  readonly cellSize: number;
  readonly cols: number;
  readonly rows: number;
  readonly minX: number;
  readonly minY: number;
  /** cellStart[c]..cellStart[c+1] indexes `items` for cell c. */
  private readonly cellStart: Int32Array;
  private readonly items: Int32Array;

  constructor(
    private readonly points: Points,
    cellSize: number,
  ) {
    const n = points.size;
    let minX = Infinity;
    let minY = Infinity;
    let maxX = -Infinity;
    let maxY = -Infinity;
    for (let i = 0; i < n; i++) {
      const x = points.x[i]!;
      const y = points.y[i]!;
      if (x < minX) minX = x;
      if (x > maxX) maxX = x;
      if (y < minY) minY = y;
      if (y > maxY) maxY = y;
    }
    if (!n) minX = minY = maxX = maxY = 0;
    // Keep the grid to at most ~4 cells per seat so a sparse map stays small.
    let size = Math.max(cellSize, 1e-6);
    const span = Math.max(maxX - minX, maxY - minY, size);
    while ((span / size) ** 2 > Math.max(64, 4 * n)) size *= 2;
    this.cellSize = size;
    this.minX = minX;
    this.minY = minY;
    this.cols = Math.floor((maxX - minX) / size) + 1;
    this.rows = Math.floor((maxY - minY) / size) + 1;
    const cells = this.cols * this.rows;
    const cellOf = new Int32Array(n);
    const counts = new Int32Array(cells + 1);
    for (let i = 0; i < n; i++) {
      const c = this.cellIndex(points.x[i]!, points.y[i]!);
      cellOf[i] = c;
      counts[c + 1]!++;
    }
    for (let c = 0; c < cells; c++) counts[c + 1]! += counts[c]!;
    this.cellStart = counts;
    const fill = counts.slice(0, cells);
    this.items = new Int32Array(n);
    for (let i = 0; i < n; i++) this.items[fill[cellOf[i]!]!++] = i;
  }

  private cellIndex(x: number, y: number): number {
    const cx = Math.min(this.cols - 1, Math.max(0, Math.floor((x - this.minX) / this.cellSize)));
    const cy = Math.min(this.rows - 1, Math.max(0, Math.floor((y - this.minY) / this.cellSize)));
    return cy * this.cols + cx;
  }

  /** Calls fn for every slot in cells overlapping the rectangle. */
  forEachInRect(x0: number, y0: number, x1: number, y1: number, fn: (i: number) => void): void {
    const cx0 = Math.max(0, Math.floor((x0 - this.minX) / this.cellSize));
    const cy0 = Math.max(0, Math.floor((y0 - this.minY) / this.cellSize));
    const cx1 = Math.min(this.cols - 1, Math.floor((x1 - this.minX) / this.cellSize));
    const cy1 = Math.min(this.rows - 1, Math.floor((y1 - this.minY) / this.cellSize));
    for (let cy = cy0; cy <= cy1; cy++) {
      for (let cx = cx0; cx <= cx1; cx++) {
        const c = cy * this.cols + cx;
        for (let k = this.cellStart[c]!; k < this.cellStart[c + 1]!; k++) fn(this.items[k]!);
      }
    }
  }

  /** The seat nearest (x, y) within maxDist (map units), or -1. */
  nearest(x: number, y: number, maxDist: number, accept?: (i: number) => boolean): number {
    let best = -1;
    let bestD2 = maxDist * maxDist;
    this.forEachInRect(x - maxDist, y - maxDist, x + maxDist, y + maxDist, (i) => {
      const dx = this.points.x[i]! - x;
      const dy = this.points.y[i]! - y;
      const d2 = dx * dx + dy * dy;
      if (d2 <= bestD2 && (!accept || accept(i))) {
        bestD2 = d2;
        best = i;
      }
    });
    return best;
  }

  /**
   * The seat an arrow key moves to from `from`: the closest seat lying in that direction,
   * preferring seats straight ahead (same row for left/right, next row for up/down) over
   * diagonal ones. Searches outward ring by ring, so it stays cheap on 50k seats.
   * "up" is towards smaller y (screen up).
   */
  neighbour(from: number, dir: Direction, maxRings = 64): number {
    const px = this.points.x[from]!;
    const py = this.points.y[from]!;
    const ux = dir === 'right' ? 1 : dir === 'left' ? -1 : 0;
    const uy = dir === 'down' ? 1 : dir === 'up' ? -1 : 0;
    const ccx = Math.floor((px - this.minX) / this.cellSize);
    const ccy = Math.floor((py - this.minY) / this.cellSize);
    let best = -1;
    let bestScore = Infinity;
    const consider = (c: number) => {
      for (let k = this.cellStart[c]!; k < this.cellStart[c + 1]!; k++) {
        const i = this.items[k]!;
        if (i === from) continue;
        const dx = this.points.x[i]! - px;
        const dy = this.points.y[i]! - py;
        const along = dx * ux + dy * uy;
        if (along <= 1e-9) continue;
        const perp = Math.abs(dx * uy - dy * ux);
        if (perp > along * 3) continue; // far more sideways than ahead: not "in that direction"
        const score = along + 2.5 * perp;
        if (score < bestScore || (score === bestScore && i < best)) {
          bestScore = score;
          best = i;
        }
      }
    };
    for (let r = 0; r <= maxRings; r++) {
      // Everything in ring r is at least (r - 1) cells away; once that exceeds the best
      // score (score >= distance), no later ring can do better.
      if (best >= 0 && (r - 1) * this.cellSize > bestScore) break;
      for (let cy = ccy - r; cy <= ccy + r; cy++) {
        if (cy < 0 || cy >= this.rows) continue;
        const edge = cy === ccy - r || cy === ccy + r;
        for (let cx = ccx - r; cx <= ccx + r; cx += edge ? 1 : 2 * r || 1) {
          if (cx < 0 || cx >= this.cols) continue;
          consider(cy * this.cols + cx);
        }
      }
    }
    return best;
  }
}
