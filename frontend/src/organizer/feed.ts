/**
 * Feeds the cockpit's figures: WS /api/v1/organizer/shows/{id}/dashboard/live, reconnecting with the SPA's jittered
 * back-off (lib/socket.ts); while the socket is not open, GET .../dashboard every POLL_MS instead, so the figures keep
 * moving during a restart or behind a proxy that drops sockets. The socket coming back stops the polling.
 *
 * The server closes a socket it refuses with 4401 (not signed in) or 4403 (not an organizer of this show): then
 * nothing is retried, and the page asks the organizer to sign in.
 */
import { ApiError, errorMessage, wsUrl } from '../api/client';
import { isMissingRoute, organizerApi, organizerPaths, type OrganizerClient } from '../api/organizer';
import type { Dashboard } from '../api/organizerTypes';
import { ReconnectingSocket, type LiveState, type SocketFactory } from '../lib/socket';
import { isDashboard, type CockpitAction } from './dashboard';

export const POLL_MS = 2_000;
export const CLOSE_NOT_SIGNED_IN = 4401;
export const CLOSE_FORBIDDEN = 4403;

export interface FeedDeps {
  api?: Pick<OrganizerClient, 'dashboard'>;
  factory?: SocketFactory;
  now?: () => number;
  pollMs?: number;
  random?: () => number;
  url?: string;
}

export class DashboardFeed {
  private readonly socket: ReconnectingSocket;
  private readonly api: Pick<OrganizerClient, 'dashboard'>;
  private readonly now: () => number;
  private readonly pollMs: number;
  private pollTimer: ReturnType<typeof setTimeout> | undefined;
  private polling = false;
  private inFlight: AbortController | null = null;
  private stopped = true;

  constructor(
    readonly showId: string,
    private readonly dispatch: (action: CockpitAction) => void,
    deps: FeedDeps = {},
  ) {
    this.api = deps.api ?? organizerApi;
    this.now = deps.now ?? Date.now;
    this.pollMs = deps.pollMs ?? POLL_MS;
    this.socket = new ReconnectingSocket(deps.url ?? wsUrl(organizerPaths.dashboardLive(showId)), {
      onMessage: (data) => this.onMessage(data),
      onState: (state) => this.onState(state),
      ...(deps.factory ? { factory: deps.factory } : {}),
      ...(deps.random ? { random: deps.random } : {}),
    });
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.socket.start();
    // The first figures should not wait for the socket's handshake: one read at once.
    void this.pollOnce();
  }

  stop(): void {
    this.stopped = true;
    this.socket.stop();
    this.stopPolling();
  }

  private onMessage(data: unknown): void {
    const body = data && typeof data === 'object' && 'dashboard' in data ? (data as { dashboard: unknown }).dashboard : data;
    if (!isDashboard(body)) return;
    this.dispatch({ type: 'data', data: body, via: 'socket', at: this.now() });
  }

  private onState(state: LiveState): void {
    if (this.stopped) return;
    const code = this.socket.lastCloseCode;
    if (state === 'reconnecting' && (code === CLOSE_NOT_SIGNED_IN || code === CLOSE_FORBIDDEN)) {
      this.refuse(code === CLOSE_NOT_SIGNED_IN ? 'signed_out' : 'forbidden');
      return;
    }
    this.dispatch({ type: 'socket', state });
    if (state === 'open') this.stopPolling();
    else if (state === 'reconnecting') this.startPolling();
  }

  private refuse(why: 'signed_out' | 'forbidden' | 'not_found'): void {
    this.stop();
    this.dispatch({ type: 'socket', state: 'closed' });
    this.dispatch({ type: 'refused', why });
  }

  private startPolling(): void {
    if (this.polling || this.stopped) return;
    this.polling = true;
    this.dispatch({ type: 'polling', on: true });
    this.schedulePoll(0);
  }

  private stopPolling(): void {
    clearTimeout(this.pollTimer);
    this.pollTimer = undefined;
    this.inFlight?.abort();
    this.inFlight = null;
    if (this.polling) {
      this.polling = false;
      if (!this.stopped) this.dispatch({ type: 'polling', on: false });
    }
  }

  private schedulePoll(delay: number): void {
    clearTimeout(this.pollTimer);
    this.pollTimer = setTimeout(() => {
      this.pollTimer = undefined;
      void this.pollOnce().then(() => {
        if (this.polling && !this.stopped) this.schedulePoll(this.pollMs);
      });
    }, delay);
  }

  /** One GET of the dashboard; its answer goes through the same reducer as the socket's. */
  async pollOnce(): Promise<Dashboard | null> {
    if (this.stopped) return null;
    const controller = new AbortController();
    this.inFlight?.abort();
    this.inFlight = controller;
    try {
      const data = await this.api.dashboard(this.showId, controller.signal);
      if (this.stopped || controller.signal.aborted) return null;
      if (isDashboard(data)) this.dispatch({ type: 'data', data, via: 'poll', at: this.now() });
      return data;
    } catch (e) {
      if (this.stopped || controller.signal.aborted) return null;
      if (e instanceof ApiError && e.status === 401) this.refuse('signed_out');
      else if (e instanceof ApiError && e.status === 403) this.refuse('forbidden');
      else if (e instanceof ApiError && e.status === 404 && !isMissingRoute(e)) this.refuse('not_found');
      else this.dispatch({ type: 'poll-failed', message: errorMessage(e) });
      return null;
    } finally {
      if (this.inFlight === controller) this.inFlight = null;
    }
  }
}
