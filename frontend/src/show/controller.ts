/**
 * The show page's state and actions, apart from the view: loads the show and its map,
 * keeps the map live, and holds and releases seats for the fan.
 *
 * Seat-level changes never go through the UI state (that would re-render 50k seats):
 * the model notifies the canvas, which repaints only the changed seats. The UI state
 * carries the rest (hold, notices, connection) and a `tick` that bumps, throttled,
 * when availability counts change.
 */
import { ApiError, api as defaultApi, errorMessage, livePaths, wsUrl, type ApiClient } from '../api/client';
import type { BestAvailable, Hold, Show } from '../api/types';
import { forgetHold, saveHoldId, savedHoldId } from '../lib/holdStore';
import { navigate, paths } from '../lib/router';
import { sessionExpired } from '../lib/session';
import type { LiveState, SocketFactory } from '../lib/socket';
import { createStore, type Store } from '../lib/store';
import { LiveMapFeed } from '../seatmap/live';
import { loadSeatMap } from '../seatmap/load';
import { AVAILABLE, MINE_HELD, MINE_NONE, MINE_PENDING, MINE_RELEASING, SeatMapModel } from '../seatmap/model';
import { SpatialGrid } from '../seatmap/spatial';
import { saleRefusal } from './saleMessages';

/** `sale`: the organizer paused or closed the sale, or cancelled the show (show/saleMessages.ts). */
export type NoticeKind = 'taken' | 'info' | 'error' | 'expired' | 'signin' | 'success' | 'sale';

export interface Notice {
  kind: NoticeKind;
  text: string;
  /** Bumps for every notice, so the same text twice is announced twice. */
  id: number;
}

export interface ShowState {
  loading: boolean;
  error: string | null;
  show: Show | null;
  model: SeatMapModel | null;
  grid: SpatialGrid | null;
  hold: Hold | null;
  busy: boolean;
  live: LiveState;
  notice: Notice | null;
  /** Bumps when availability counts change. */
  tick: number;
}

export interface ControllerDeps {
  api?: ApiClient;
  socketFactory?: SocketFactory;
  now?: () => number;
}

let noticeIds = 0;

export class ShowController {
  readonly state: Store<ShowState>;
  /** The canvas registers here to outline seats somebody just took. */
  onTaken: ((slots: number[]) => void) | null = null;
  /** The canvas registers here to centre on seats the server picked. */
  onPicked: ((slots: number[]) => void) | null = null;

  private readonly api: ApiClient;
  private feed: LiveMapFeed | null = null;
  private chain: Promise<unknown> = Promise.resolve();
  private expiryTimer: ReturnType<typeof setTimeout> | undefined;
  private tickTimer: ReturnType<typeof setTimeout> | undefined;
  private refreshTimer: ReturnType<typeof setTimeout> | undefined;
  private unsubscribeModel: (() => void) | null = null;
  private disposed = false;
  private readonly now: () => number;
  mapRequestedAt = 0;
  private firstPaintMeasured = false;

  constructor(
    readonly showId: string,
    private readonly deps: ControllerDeps = {},
  ) {
    this.api = deps.api ?? defaultApi;
    this.now = deps.now ?? Date.now;
    this.state = createStore<ShowState>({
      loading: true,
      error: null,
      show: null,
      model: null,
      grid: null,
      hold: null,
      busy: false,
      live: 'closed',
      notice: null,
      tick: 0,
    });
  }

  private patch(p: Partial<ShowState>): void {
    if (this.disposed) return;
    this.state.set({ ...this.state.get(), ...p });
  }

  notify(kind: NoticeKind, text: string): void {
    this.patch({ notice: { kind, text, id: ++noticeIds } });
  }

  clearNotice(): void {
    this.patch({ notice: null });
  }

  async load(): Promise<void> {
    this.patch({ loading: true, error: null });
    this.mapRequestedAt = performance.now();
    try {
      const [show, model] = await Promise.all([this.api.getShow(this.showId), loadSeatMap(this.api, this.showId)]);
      if (this.disposed) return;
      const grid = new SpatialGrid(model, model.pitch * 4);
      this.unsubscribeModel = model.onChange(() => this.scheduleTick());
      this.patch({ loading: false, show, model, grid });
      this.feed = new LiveMapFeed(model, wsUrl(livePaths.seatMap(this.showId)), {
        onState: (live) => this.patch({ live }),
        onApplied: (changed, kind) => this.afterLive(changed, kind),
        ...(this.deps.socketFactory ? { factory: this.deps.socketFactory } : {}),
      });
      this.feed.start();
      await this.restoreHold();
    } catch (e) {
      this.patch({ loading: false, error: errorMessage(e) });
    }
  }

  /** When a show has a waiting room: go there unless the fan is already admitted. */
  async checkAdmission(): Promise<'admitted' | 'ended' | 'redirected' | 'signed_out' | 'not_needed'> {
    const show = this.state.get().show;
    if (!show?.queue.enabled) return 'not_needed';
    try {
      const entry = await this.api.queueMe(this.showId);
      if (entry.admitted) return 'admitted';
      if (entry.position === 0) {
        // Our turn came and went (the admission expired, or ended with a payment): going
        // back to the line would only bounce the fan back here.
        this.notify('info', 'Your time to shop this show has ended.');
        return 'ended';
      }
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) return 'signed_out';
      if (!(e instanceof ApiError) || e.status !== 404) return 'admitted'; // let the hold call decide
    }
    if (!this.disposed) navigate(paths.queue(this.showId), { replace: true });
    return 'redirected';
  }

  /** Records how long the map took from request to first paint as a User Timing measure
   *  ('seatmap-first-paint'), read by the browser's profiler and the e2e tests; nothing renders it. */
  markFirstPaint(): void {
    if (this.firstPaintMeasured) return;
    this.firstPaintMeasured = true;
    try {
      performance.measure('seatmap-first-paint', { start: this.mapRequestedAt, end: performance.now() });
    } catch {
      /* a browser without User Timing Level 3: nothing to record */
    }
  }

  private scheduleTick(): void {
    if (this.tickTimer !== undefined) return;
    this.tickTimer = setTimeout(() => {
      this.tickTimer = undefined;
      this.patch({ tick: this.state.get().tick + 1 });
    }, 150);
  }

  private afterLive(changed: readonly number[], kind: 'snapshot' | 'diff'): void {
    const model = this.state.get().model;
    const hold = this.state.get().hold;
    if (!model) return;
    // Seats of our hold turning available means the server let the hold go (expiry).
    if (hold && kind === 'diff') {
      for (const i of changed) {
        if (model.mine[i] === MINE_HELD && model.status[i] === AVAILABLE) {
          this.scheduleHoldRefresh();
          break;
        }
      }
    }
  }

  private scheduleHoldRefresh(): void {
    clearTimeout(this.refreshTimer);
    this.refreshTimer = setTimeout(() => void this.refreshHold(), 300);
  }

  private async refreshHold(): Promise<void> {
    const hold = this.state.get().hold;
    if (!hold) return;
    try {
      this.setHold(await this.api.getHold(hold.hold_id));
    } catch (e) {
      if (e instanceof ApiError && e.status === 404) {
        this.setHold(null);
        this.notify('expired', 'Your hold has expired and its seats were released.');
      }
    }
  }

  private async restoreHold(): Promise<void> {
    const id = savedHoldId(this.showId);
    if (!id) return;
    try {
      const hold = await this.api.getHold(id);
      if (hold.show_id !== this.showId || Date.parse(hold.expires_at) <= this.now() || !hold.seat_ids.length) {
        forgetHold(this.showId, id);
        return;
      }
      this.setHold(hold);
    } catch (e) {
      if (e instanceof ApiError && (e.status === 404 || e.status === 401 || e.status === 403)) forgetHold(this.showId, id);
    }
  }

  /** The one place the hold changes: storage, the map's "mine" seats, the expiry timer. */
  setHold(hold: Hold | null): void {
    const model = this.state.get().model;
    const previous = this.state.get().hold;
    clearTimeout(this.expiryTimer);
    if (hold && hold.seat_ids.length) {
      saveHoldId(this.showId, hold.hold_id);
      const holdId = hold.hold_id;
      const ms = Date.parse(hold.expires_at) - this.now();
      this.expiryTimer = setTimeout(() => this.expire(holdId), Math.max(0, ms));
    } else {
      if (previous) forgetHold(this.showId, previous.hold_id);
      hold = null;
    }
    model?.syncHold(hold?.seat_ids ?? []);
    this.patch({ hold });
  }

  private expire(holdId: string): void {
    if (this.state.get().hold?.hold_id !== holdId) return;
    this.setHold(null);
    this.notify('expired', 'Your hold has expired and its seats were released. You can pick seats again.');
  }

  /** Serialise hold changes: one request at a time, in click order. */
  private enqueue<T>(job: () => Promise<T>): Promise<T | undefined> {
    const run = this.chain.then(async () => {
      if (this.disposed) return undefined;
      this.patch({ busy: true });
      try {
        return await job();
      } finally {
        this.patch({ busy: false });
      }
    });
    this.chain = run.catch(() => undefined);
    return run;
  }

  /** Click / Enter on a seat: hold it, or release it if it is already ours. */
  toggleSeat(i: number): void {
    const model = this.state.get().model;
    if (!model || i < 0) return;
    const mine = model.mine[i]!;
    if (mine === MINE_HELD) {
      void this.releaseSeat(model.idAt(i));
    } else if (mine === MINE_PENDING || mine === MINE_RELEASING) {
      // already on its way
    } else if (model.status[i] === AVAILABLE) {
      void this.holdSeats([i]);
    } else {
      this.notify('taken', `Sorry, ${this.seatName(i)} is already taken. Please pick another seat.`);
      this.onTaken?.([i]);
    }
  }

  seatName(i: number): string {
    const model = this.state.get().model!;
    return `section ${model.sectionOf(i).name}, row ${model.rowLabel(i)}, seat ${model.numbers[i]}`;
  }

  holdSeats(slots: number[]): Promise<unknown> {
    const model = this.state.get().model;
    if (!model) return Promise.resolve();
    model.setMine(slots, MINE_PENDING);
    return this.enqueue(async () => {
      const seatIds = slots.map((i) => model.idAt(i));
      try {
        const hold = await this.api.createHold(this.showId, { seat_ids: seatIds });
        this.setHold(hold);
        this.notify('success', slots.length === 1 ? `Held ${this.seatName(slots[0]!)}.` : `Held ${slots.length} seats.`);
      } catch (e) {
        this.resetPending(slots);
        this.handleHoldError(e);
      }
    });
  }

  bestAvailable(request: BestAvailable): Promise<unknown> {
    return this.enqueue(async () => {
      try {
        const before = new Set(this.state.get().hold?.seat_ids ?? []);
        const hold = await this.api.createHold(this.showId, { best_available: request });
        this.setHold(hold);
        const model = this.state.get().model;
        const picked = hold.seat_ids.filter((id) => !before.has(id));
        if (model && picked.length) {
          const slots = picked.map((id) => model.indexOf(id)).filter((i) => i >= 0);
          this.onPicked?.(slots);
          const first = slots[0];
          const where = first !== undefined ? ` in section ${model.sectionOf(first).name}, row ${model.rowLabel(first)}` : '';
          this.notify('success', `We found ${picked.length} seat${picked.length === 1 ? '' : 's'} for you${where}.`);
        }
      } catch (e) {
        this.handleHoldError(e);
      }
    });
  }

  releaseSeat(seatId: string): Promise<unknown> {
    const model = this.state.get().model;
    const slot = model?.indexOf(seatId) ?? -1;
    if (model && slot >= 0) model.setMine([slot], MINE_RELEASING);
    return this.enqueue(async () => {
      const hold = this.state.get().hold;
      if (!hold) return;
      try {
        const left = await this.api.releaseSeat(hold.hold_id, seatId);
        this.setHold(left);
        if (slot >= 0) this.notify('info', `Released ${this.seatName(slot)}.`);
      } catch (e) {
        if (model && slot >= 0 && model.mine[slot] === MINE_RELEASING) model.setMine([slot], MINE_HELD);
        if (e instanceof ApiError && e.status === 404) {
          this.setHold(null);
          this.notify('expired', 'Your hold has expired and its seats were released.');
        } else this.handleHoldError(e);
      }
    });
  }

  releaseAll(): Promise<unknown> {
    return this.enqueue(async () => {
      const hold = this.state.get().hold;
      if (!hold) return;
      try {
        await this.api.releaseHold(hold.hold_id);
        this.setHold(null);
        this.notify('info', 'All your seats were released.');
      } catch (e) {
        if (e instanceof ApiError && e.status === 404) this.setHold(null);
        else this.handleHoldError(e);
      }
    });
  }

  private resetPending(slots: number[]): void {
    const model = this.state.get().model;
    if (!model) return;
    model.setMine(
      slots.filter((i) => model.mine[i] === MINE_PENDING),
      MINE_NONE,
    );
  }

  private handleHoldError(e: unknown): void {
    const model = this.state.get().model;
    if (e instanceof ApiError) {
      if (e.status === 409 && e.code === 'seats_unavailable') {
        const taken = e.body?.seat_ids;
        const ids = Array.isArray(taken) ? taken : [];
        if (model && ids.length) {
          // The live feed will confirm; show it at once so the fan does not click it again.
          model.markStatus(ids, 'held');
          const slots = ids.map((id) => model.indexOf(id)).filter((i) => i >= 0);
          this.onTaken?.(slots);
          const names = slots.slice(0, 3).map((i) => this.seatName(i));
          const more = slots.length > 3 ? ` and ${slots.length - 3} more` : '';
          this.notify('taken', `Sorry, ${names.join('; ')}${more} ${slots.length === 1 ? 'was' : 'were'} just taken by someone else. Please pick again.`);
        } else {
          this.notify('taken', e.body?.detail ?? 'Those seats were just taken by someone else. Please pick again.');
        }
        return;
      }
      if (e.status === 401) {
        sessionExpired();
        this.notify('signin', 'Please sign in to hold seats.');
        return;
      }
      if (e.status === 409 && e.code === 'hold_in_checkout') {
        this.notify('info', 'Your payment for these seats is on its way, so they cannot change now. Your order page shows when it is through.');
        return;
      }
      const stopped = e.status === 409 ? saleRefusal(e.code) : null;
      if (stopped) {
        this.notify('sale', stopped);
        return;
      }
      if (e.status === 403 && e.code === 'queue_required') {
        this.notify('info', 'This show has a waiting room. Taking you to the line…');
        navigate(paths.queue(this.showId));
        return;
      }
    }
    this.notify('error', errorMessage(e));
  }

  goToCheckout(): void {
    if (this.state.get().hold) navigate(paths.checkout(this.showId));
  }

  dispose(): void {
    this.disposed = true;
    this.feed?.stop();
    this.unsubscribeModel?.();
    clearTimeout(this.expiryTimer);
    clearTimeout(this.tickTimer);
    clearTimeout(this.refreshTimer);
    this.onTaken = null;
    this.onPicked = null;
  }
}
