/**
 * The seat map on a canvas: pan (drag), zoom (wheel, pinch, buttons, +/-), click to hold or
 * release, and full keyboard use: the canvas is focusable, arrow keys move between seats,
 * Enter or Space holds/releases, and the focused seat's label is announced politely.
 * `readOnly` (the organizer's cockpit): the same map to look at, where a click or Enter holds nothing.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { money } from '../lib/format';
import type { SeatMapModel } from './model';
import { SeatMapRenderer } from './renderer';
import type { Direction, SpatialGrid } from './spatial';
import {
  clampPan,
  ensureVisible,
  fitBounds,
  panBy,
  screenToWorld,
  wheelZoomFactor,
  worldToScreen,
  zoomAt,
  type View,
} from './viewport';

/** What the canvas needs from its page: the fans' ShowController, or the cockpit's read-only stand-in. */
export interface SeatMapHost {
  markFirstPaint(): void;
  toggleSeat(i: number): void;
  /** The canvas registers here to outline seats somebody just took. */
  onTaken: ((slots: number[]) => void) | null;
  /** The canvas registers here to centre on seats the server picked. */
  onPicked: ((slots: number[]) => void) | null;
}

interface Props {
  controller: SeatMapHost;
  model: SeatMapModel;
  grid: SpatialGrid;
  readOnly?: boolean;
}

const KEY_DIRECTIONS: Record<string, Direction> = {
  ArrowLeft: 'left',
  ArrowRight: 'right',
  ArrowUp: 'up',
  ArrowDown: 'down',
};

const DRAG_THRESHOLD = 5;
/** Largest zoom: a seat about this many CSS pixels wide. */
const MAX_SEAT_PX = 64;

interface Pointer {
  x: number;
  y: number;
  startX: number;
  startY: number;
}

export function SeatMapCanvas({ controller, model, grid, readOnly = false }: Props) {
  const wrapRef = useRef<HTMLDivElement>(null);
  const baseRef = useRef<HTMLCanvasElement>(null);
  const overlayRef = useRef<HTMLCanvasElement>(null);
  const rendererRef = useRef<SeatMapRenderer | null>(null);
  const [announcement, setAnnouncement] = useState('');
  const [tooltip, setTooltip] = useState<{ x: number; y: number; text: string } | null>(null);
  const [zoomInfo, setZoomInfo] = useState({ canIn: true, canOut: true });
  const fmt = (cents: number, currency: string) => money(cents, currency);

  // Everything the event handlers share, without re-rendering.
  const st = useRef({
    fit: null as View | null,
    minScale: 0.01,
    maxScale: 100,
    pointers: new Map<number, Pointer>(),
    dragging: false,
    pinchDist: 0,
    focus: -1,
  }).current;

  const setView = (v: View) => {
    const r = rendererRef.current;
    if (!r) return;
    const clamped = clampPan(v, model.bounds, r.size);
    r.setView(clamped);
    const canIn = clamped.scale < st.maxScale * 0.999;
    const canOut = clamped.scale > st.minScale * 1.001;
    // Only re-render this component when the buttons' state really changes: a pan runs
    // this on every pointer move.
    setZoomInfo((z) => (z.canIn === canIn && z.canOut === canOut ? z : { canIn, canOut }));
    setTooltip((t) => (t === null ? t : null));
  };

  const announce = (i: number) => setAnnouncement(i >= 0 ? model.label(i, fmt) : '');

  const focusSeat = (i: number, pan = true) => {
    const r = rendererRef.current;
    st.focus = i;
    if (!r) return;
    r.setFocus(i);
    if (i >= 0 && pan) {
      const side = r.seatSide();
      const v = ensureVisible(r.view, model.x[i]!, model.y[i]!, r.size, Math.max(32, side * 2));
      if (v.tx !== r.view.tx || v.ty !== r.view.ty) setView(v);
    }
    announce(i);
  };

  useEffect(() => {
    const base = baseRef.current!;
    const overlay = overlayRef.current!;
    const wrap = wrapRef.current!;
    const r = new SeatMapRenderer(base, overlay, model, grid);
    rendererRef.current = r;
    r.onFirstPaint = () => controller.markFirstPaint();
    st.focus = -1;

    const resize = () => {
      const rect = wrap.getBoundingClientRect();
      const first = st.fit === null;
      const prev = r.view;
      const oldSize = r.size;
      r.setSize(rect.width, rect.height, window.devicePixelRatio || 1);
      const fit = fitBounds(model.bounds, r.size, model.pitch);
      st.fit = fit;
      st.minScale = fit.scale * 0.5;
      st.maxScale = Math.max(fit.scale * 2, MAX_SEAT_PX / (model.pitch * 0.78));
      if (first) setView(fit);
      else {
        // Keep the same map point in the middle.
        const [cx, cy] = screenToWorld(prev, oldSize.width / 2, oldSize.height / 2);
        setView({ scale: prev.scale, tx: r.size.width / 2 - cx * prev.scale, ty: r.size.height / 2 - cy * prev.scale });
      }
      r.paint(); // paint synchronously: no blank frame after a resize
    };
    resize();
    const ro = new ResizeObserver(() => resize());
    ro.observe(wrap);

    const offModel = model.onChange((changed) => {
      r.requestSeats(changed);
      if (st.focus >= 0 && changed) {
        for (let k = 0; k < changed.length; k++) if (changed[k] === st.focus) announce(st.focus);
      }
    });

    controller.onTaken = (slots) => r.flash(slots);
    controller.onPicked = (slots) => {
      if (!slots.length) return;
      let x = 0;
      let y = 0;
      for (const i of slots) {
        x += model.x[i]!;
        y += model.y[i]!;
      }
      x /= slots.length;
      y /= slots.length;
      let v = r.view;
      if (r.seatSide() < 12) {
        const target = Math.min(st.maxScale, 16 / (model.pitch * 0.78));
        v = { scale: target, tx: r.size.width / 2 - x * target, ty: r.size.height / 2 - y * target };
      } else {
        v = ensureVisible(v, x, y, r.size, 48);
      }
      setView(v);
    };

    const onWheel = (e: WheelEvent) => {
      e.preventDefault();
      const rect = base.getBoundingClientRect();
      setView(zoomAt(r.view, wheelZoomFactor(e.deltaY, e.deltaMode), e.clientX - rect.left, e.clientY - rect.top, st.minScale, st.maxScale));
    };
    base.addEventListener('wheel', onWheel, { passive: false });

    return () => {
      ro.disconnect();
      offModel();
      base.removeEventListener('wheel', onWheel);
      controller.onTaken = null;
      controller.onPicked = null;
      r.destroy();
      rendererRef.current = null;
      st.fit = null;
    };
  }, [model, grid, controller]);

  const local = (e: PointerEvent | MouseEvent): [number, number] => {
    const rect = baseRef.current!.getBoundingClientRect();
    return [e.clientX - rect.left, e.clientY - rect.top];
  };

  const hitTest = (sx: number, sy: number, slopPx = 6): number => {
    const r = rendererRef.current;
    if (!r) return -1;
    const [wx, wy] = screenToWorld(r.view, sx, sy);
    // Within about half a pitch, or a few pixels when zoomed far out (more for a finger).
    const reach = Math.max(model.pitch * 0.6, slopPx / r.view.scale);
    return grid.nearest(wx, wy, reach);
  };

  const onPointerDown = (e: PointerEvent) => {
    const [x, y] = local(e);
    (e.currentTarget as HTMLElement).setPointerCapture?.(e.pointerId);
    st.pointers.set(e.pointerId, { x, y, startX: x, startY: y });
    st.dragging = false;
    if (st.pointers.size === 2) {
      const [a, b] = [...st.pointers.values()];
      st.pinchDist = Math.hypot(a!.x - b!.x, a!.y - b!.y);
    }
  };

  const onPointerMove = (e: PointerEvent) => {
    const r = rendererRef.current;
    if (!r) return;
    const [x, y] = local(e);
    const p = st.pointers.get(e.pointerId);
    if (!p) {
      if (e.pointerType === 'mouse') {
        const i = hitTest(x, y);
        if (i !== r.hover) {
          r.setHover(i);
          if (i >= 0) {
            const [sx, sy] = worldToScreen(r.view, model.x[i]!, model.y[i]!);
            setTooltip({ x: sx, y: sy, text: model.label(i, fmt) });
          } else setTooltip(null);
        }
      }
      return;
    }
    const dx = x - p.x;
    const dy = y - p.y;
    p.x = x;
    p.y = y;
    if (st.pointers.size >= 2) {
      st.dragging = true;
      const [a, b] = [...st.pointers.values()];
      const dist = Math.hypot(a!.x - b!.x, a!.y - b!.y);
      if (st.pinchDist > 0 && dist > 0) {
        const mx = (a!.x + b!.x) / 2;
        const my = (a!.y + b!.y) / 2;
        setView(zoomAt(panBy(r.view, dx / 2, dy / 2), dist / st.pinchDist, mx, my, st.minScale, st.maxScale));
      }
      st.pinchDist = dist;
      return;
    }
    if (!st.dragging && Math.hypot(x - p.startX, y - p.startY) > DRAG_THRESHOLD) st.dragging = true;
    if (st.dragging) {
      setView(panBy(r.view, dx, dy));
      r.setHover(-1);
    }
  };

  const onPointerUp = (e: PointerEvent) => {
    const p = st.pointers.get(e.pointerId);
    st.pointers.delete(e.pointerId);
    if (st.pointers.size < 2) st.pinchDist = 0;
    if (!p || st.dragging || st.pointers.size > 0) {
      if (st.pointers.size === 0) st.dragging = false;
      return;
    }
    const [x, y] = local(e);
    const i = hitTest(x, y, e.pointerType === 'touch' ? 14 : 6);
    if (i >= 0) {
      focusSeat(i, false);
      if (!readOnly) controller.toggleSeat(i);
    }
  };

  const onPointerCancel = (e: PointerEvent) => {
    st.pointers.delete(e.pointerId);
    if (st.pointers.size === 0) st.dragging = false;
  };

  const onPointerLeave = () => {
    rendererRef.current?.setHover(-1);
    setTooltip((t) => (t === null ? t : null));
  };

  const zoomBy = (factor: number) => {
    const r = rendererRef.current;
    if (!r) return;
    let cx = r.size.width / 2;
    let cy = r.size.height / 2;
    if (st.focus >= 0) [cx, cy] = worldToScreen(r.view, model.x[st.focus]!, model.y[st.focus]!);
    setView(zoomAt(r.view, factor, cx, cy, st.minScale, st.maxScale));
  };

  const reset = () => {
    if (st.fit) setView(st.fit);
  };

  const initialFocus = (): number => {
    const r = rendererRef.current;
    if (!r || !model.size) return -1;
    const [cx, cy] = screenToWorld(r.view, r.size.width / 2, r.size.height / 2);
    const span = Math.max(model.bounds.maxX - model.bounds.minX, model.bounds.maxY - model.bounds.minY) + model.pitch;
    const i = grid.nearest(cx, cy, span, (k) => model.isSelectable(k));
    return i >= 0 ? i : grid.nearest(cx, cy, span * 2);
  };

  const onKeyDown = (e: KeyboardEvent) => {
    const dir = KEY_DIRECTIONS[e.key];
    if (dir) {
      e.preventDefault();
      if (st.focus < 0) focusSeat(initialFocus());
      else {
        const next = grid.neighbour(st.focus, dir);
        if (next >= 0) focusSeat(next);
        else announce(st.focus); // at the edge: say where we are again
      }
      return;
    }
    switch (e.key) {
      case 'Enter':
      case ' ':
        e.preventDefault();
        if (st.focus < 0) focusSeat(initialFocus());
        else if (!readOnly) controller.toggleSeat(st.focus);
        else announce(st.focus);
        return;
      case '+':
      case '=':
        e.preventDefault();
        zoomBy(1.5);
        return;
      case '-':
      case '_':
        e.preventDefault();
        zoomBy(1 / 1.5);
        return;
      case '0':
        e.preventDefault();
        reset();
        return;
      case 'Home':
      case 'End': {
        if (st.focus < 0) return;
        e.preventDefault();
        const seats = model.rows[model.rowOf[st.focus]!]!.seats;
        focusSeat(e.key === 'Home' ? seats[0]! : seats[seats.length - 1]!);
        return;
      }
    }
  };

  const onFocus = () => {
    // Keyboard focus starts on a seat at once; a mouse click picks its own seat instead.
    const byKeyboard = baseRef.current?.matches(':focus-visible') ?? true;
    if (st.focus < 0) {
      if (byKeyboard) focusSeat(initialFocus());
    } else announce(st.focus);
  };

  const onBlur = () => {
    rendererRef.current?.setFocus(-1);
  };

  const onFocusIn = () => {
    if (st.focus >= 0) rendererRef.current?.setFocus(st.focus);
  };

  return (
    <div class="seatmap" data-testid="seat-map">
      <div class="seatmap-toolbar" role="toolbar" aria-label="Map zoom">
        <button type="button" class="btn btn-small" onClick={() => zoomBy(1.5)} disabled={!zoomInfo.canIn} aria-label="Zoom in" data-testid="seat-map-zoom-in">
          +
        </button>
        <button type="button" class="btn btn-small" onClick={() => zoomBy(1 / 1.5)} disabled={!zoomInfo.canOut} aria-label="Zoom out" data-testid="seat-map-zoom-out">
          −
        </button>
        <button type="button" class="btn btn-small" onClick={reset} data-testid="seat-map-zoom-reset">
          Fit
        </button>
        <span class="seatmap-hint" id="seatmap-help">
          {readOnly
            ? 'Drag to move, scroll or pinch to zoom. Keyboard: arrow keys move between seats and say their state.'
            : 'Drag to move, scroll or pinch to zoom. Keyboard: arrow keys, Enter to hold or release.'}
        </span>
      </div>
      <div
        class="seatmap-stage"
        ref={wrapRef}
        data-seat-count={model.size}
        data-version={model.version}
      >
        <canvas
          ref={baseRef}
          class="seatmap-canvas"
          tabIndex={0}
          role="application"
          aria-roledescription="seat map"
          aria-label={
            readOnly
              ? `Live seat map with ${model.size} seats, to look at. Use the arrow keys to move between seats and hear each one's state, plus and minus to zoom.`
              : `Seat map with ${model.size} seats. Use the arrow keys to move between seats, Enter or Space to hold or release the focused seat, plus and minus to zoom. A list view is also available.`
          }
          aria-describedby="seatmap-help"
          data-testid="seat-map-canvas"
          onPointerDown={onPointerDown}
          onPointerMove={onPointerMove}
          onPointerUp={onPointerUp}
          onPointerCancel={onPointerCancel}
          onPointerLeave={onPointerLeave}
          onKeyDown={onKeyDown}
          onFocus={() => {
            onFocus();
            onFocusIn();
          }}
          onBlur={onBlur}
        >
          {readOnly ? 'Your browser cannot draw the seat map.' : 'Your browser cannot draw the seat map. Use the list view to pick seats.'}
        </canvas>
        <canvas ref={overlayRef} class="seatmap-overlay" aria-hidden="true" />
        {tooltip && (
          <div class="seatmap-tooltip" aria-hidden="true" style={{ left: `${tooltip.x + 14}px`, top: `${tooltip.y + 14}px` }}>
            {tooltip.text}
          </div>
        )}
      </div>
      <div class="visually-hidden" aria-live="polite" aria-atomic="true" data-testid="seat-map-announcer">
        {announcement}
      </div>
    </div>
  );
}
