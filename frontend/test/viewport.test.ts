import { describe, expect, it } from 'vitest';
import {
  clampPan,
  ensureVisible,
  fitBounds,
  panBy,
  screenToWorld,
  visibleWorldRect,
  wheelZoomFactor,
  worldToScreen,
  zoomAt,
} from '../src/seatmap/viewport';

const size = { width: 800, height: 600 };
const bounds = { minX: 0, minY: 0, maxX: 1000, maxY: 500 };

describe('viewport maths', () => {
  it('maps world to screen and back', () => {
    const v = { scale: 2.5, tx: 30, ty: -40 };
    const [sx, sy] = worldToScreen(v, 12, 34);
    expect([sx, sy]).toEqual([60, 45]);
    const [x, y] = screenToWorld(v, sx, sy);
    expect(x).toBeCloseTo(12);
    expect(y).toBeCloseTo(34);
  });

  it('fits the whole map, centred', () => {
    const v = fitBounds(bounds, size, 0, 0);
    expect(v.scale).toBeCloseTo(0.8); // width-limited: 800 / 1000
    const [cx, cy] = worldToScreen(v, 500, 250);
    expect(cx).toBeCloseTo(400);
    expect(cy).toBeCloseTo(300);
  });

  it('zooms around the pointer: the point under it stays put', () => {
    const v = { scale: 1, tx: 10, ty: 20 };
    const before = screenToWorld(v, 300, 200);
    const z = zoomAt(v, 2, 300, 200, 0.1, 10);
    expect(z.scale).toBe(2);
    const after = screenToWorld(z, 300, 200);
    expect(after[0]).toBeCloseTo(before[0]);
    expect(after[1]).toBeCloseTo(before[1]);
  });

  it('clamps the zoom, still keeping the anchor point fixed', () => {
    const v = { scale: 8, tx: 0, ty: 0 };
    const z = zoomAt(v, 4, 100, 100, 0.1, 10);
    expect(z.scale).toBe(10);
    expect(screenToWorld(z, 100, 100)[0]).toBeCloseTo(screenToWorld(v, 100, 100)[0]);
    expect(zoomAt(v, 0.0001, 0, 0, 0.1, 10).scale).toBe(0.1);
  });

  it('pans, but never loses the map off screen', () => {
    const v = fitBounds(bounds, size, 0);
    expect(panBy(v, 5, -7)).toEqual({ scale: v.scale, tx: v.tx + 5, ty: v.ty - 7 });
    const far = clampPan(panBy(v, 100_000, 100_000), bounds, size);
    const [left, top] = worldToScreen(far, bounds.minX, bounds.minY);
    expect(left).toBeLessThanOrEqual(size.width);
    expect(top).toBeLessThanOrEqual(size.height);
    expect(size.width - left).toBeGreaterThanOrEqual(47.99);
  });

  it('pans just enough to show a point (keyboard focus)', () => {
    const v = { scale: 1, tx: 0, ty: 0 };
    const moved = ensureVisible(v, 900, 100, size, 40);
    expect(worldToScreen(moved, 900, 100)[0]).toBeCloseTo(760);
    expect(moved.ty).toBe(0);
    expect(ensureVisible(v, 400, 300, size, 40)).toEqual(v);
  });

  it('computes the visible world rectangle', () => {
    const r = visibleWorldRect({ scale: 2, tx: -100, ty: 0 }, size, 1);
    expect(r).toEqual({ minX: 49, minY: -1, maxX: 451, maxY: 301 });
  });

  it('turns wheel deltas into smooth zoom factors', () => {
    expect(wheelZoomFactor(-100)).toBeGreaterThan(1);
    expect(wheelZoomFactor(100)).toBeLessThan(1);
    expect(wheelZoomFactor(100) * wheelZoomFactor(-100)).toBeCloseTo(1);
    expect(wheelZoomFactor(3, 1)).toBeCloseTo(wheelZoomFactor(48));
    expect(wheelZoomFactor(1e9)).toBeGreaterThan(0.3); // a wild delta is capped
  });
});
