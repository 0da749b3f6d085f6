/**
 * Pan and zoom maths. A view maps map units to CSS pixels: screen = world * scale + t.
 * Pure functions, unit-tested; the canvas component only calls them.
 */
import type { Bounds } from './model';

export interface View {
  scale: number;
  tx: number;
  ty: number;
}

export interface Size {
  width: number;
  height: number;
}

export function worldToScreen(v: View, x: number, y: number): [number, number] {
  return [x * v.scale + v.tx, y * v.scale + v.ty];
}

export function screenToWorld(v: View, sx: number, sy: number): [number, number] {
  return [(sx - v.tx) / v.scale, (sy - v.ty) / v.scale];
}

/** The view showing the whole of `bounds` (plus a margin of one seat), centred. */
export function fitBounds(b: Bounds, size: Size, margin: number, padding = 16): View {
  const w = Math.max(b.maxX - b.minX + 2 * margin, 1e-6);
  const h = Math.max(b.maxY - b.minY + 2 * margin, 1e-6);
  const availW = Math.max(1, size.width - 2 * padding);
  const availH = Math.max(1, size.height - 2 * padding);
  const scale = Math.min(availW / w, availH / h);
  const cx = (b.minX + b.maxX) / 2;
  const cy = (b.minY + b.maxY) / 2;
  return { scale, tx: size.width / 2 - cx * scale, ty: size.height / 2 - cy * scale };
}

export function clampScale(scale: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, scale));
}

/** Zoom by `factor` keeping the map point under (sx, sy) where it is. */
export function zoomAt(v: View, factor: number, sx: number, sy: number, minScale: number, maxScale: number): View {
  const scale = clampScale(v.scale * factor, minScale, maxScale);
  const k = scale / v.scale;
  return { scale, tx: sx - (sx - v.tx) * k, ty: sy - (sy - v.ty) * k };
}

export function panBy(v: View, dx: number, dy: number): View {
  return { scale: v.scale, tx: v.tx + dx, ty: v.ty + dy };
}

/**
 * Keep at least `keep` CSS pixels of the map's bounding box on screen, so a fling
 * can never lose the map off the edge.
 */
export function clampPan(v: View, b: Bounds, size: Size, keep = 48): View {
  const left = b.minX * v.scale + v.tx;
  const right = b.maxX * v.scale + v.tx;
  const top = b.minY * v.scale + v.ty;
  const bottom = b.maxY * v.scale + v.ty;
  let { tx, ty } = v;
  const kx = Math.min(keep, (right - left) / 2, size.width / 2);
  const ky = Math.min(keep, (bottom - top) / 2, size.height / 2);
  if (right < kx) tx += kx - right;
  if (left > size.width - kx) tx -= left - (size.width - kx);
  if (bottom < ky) ty += ky - bottom;
  if (top > size.height - ky) ty -= top - (size.height - ky);
  return { scale: v.scale, tx, ty };
}

/** Pan (not zoom) the least amount that brings map point (x, y) inside the margin. */
export function ensureVisible(v: View, x: number, y: number, size: Size, margin: number): View {
  const [sx, sy] = worldToScreen(v, x, y);
  let { tx, ty } = v;
  const m = Math.min(margin, size.width / 2, size.height / 2);
  if (sx < m) tx += m - sx;
  else if (sx > size.width - m) tx -= sx - (size.width - m);
  if (sy < m) ty += m - sy;
  else if (sy > size.height - m) ty -= sy - (size.height - m);
  return { scale: v.scale, tx, ty };
}

/** The map-unit rectangle visible in the view, grown by `pad` map units. */
export function visibleWorldRect(v: View, size: Size, pad = 0): Bounds {
  const [x0, y0] = screenToWorld(v, 0, 0);
  const [x1, y1] = screenToWorld(v, size.width, size.height);
  return { minX: x0 - pad, minY: y0 - pad, maxX: x1 + pad, maxY: y1 + pad };
}

/** Wheel delta → zoom factor; deltaMode 1 is lines, 2 pages. */
export function wheelZoomFactor(deltaY: number, deltaMode = 0): number {
  const px = deltaMode === 1 ? deltaY * 16 : deltaMode === 2 ? deltaY * 400 : deltaY;
  return Math.exp(-Math.max(-600, Math.min(600, px)) * 0.0015);
}
