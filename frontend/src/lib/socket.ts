/**
 * A WebSocket that reconnects with capped exponential backoff (with jitter, so thousands
 * of fans dropped by one server restart do not all come back in the same millisecond).
 * Messages are parsed as JSON; malformed ones are dropped.
 *
 * A server that shuts down (a deploy, a rolling restart) closes its sockets with 1012
 * (service restart): that is a reconnect like any other, after the same jittered delay
 * (250–500 ms after a working connection). The URL is asked for again on every attempt,
 * so a client can say where to resume from (the live map's `?since=`).
 */

export interface SocketLike {
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code?: number }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  close(code?: number, reason?: string): void;
}

export type SocketFactory = (url: string) => SocketLike;

export type LiveState = 'connecting' | 'open' | 'reconnecting' | 'closed';

/** Close codes the server uses: a restart (reconnect, elsewhere or to the restarted process), too slow or the feed restarted (reconnect). */
export const SERVICE_RESTART = 1012;
export const TRY_AGAIN_LATER = 1013;

/** "Equal jitter" backoff: half fixed, half random, doubling per attempt, capped. */
export function backoffDelay(attempt: number, baseMs = 500, maxMs = 15_000, random: () => number = Math.random): number {
  const exp = Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 20));
  return Math.round(exp / 2 + (random() * exp) / 2);
}

export interface ReconnectingSocketOptions {
  onMessage: (data: unknown) => void;
  onState?: (state: LiveState) => void;
  factory?: SocketFactory;
  baseMs?: number;
  maxMs?: number;
  random?: () => number;
}

const defaultFactory: SocketFactory = (url) => new WebSocket(url) as unknown as SocketLike;

export class ReconnectingSocket {
  private socket: SocketLike | null = null;
  private attempt = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private stopped = true;
  private state: LiveState = 'closed';
  /** The code of the last close the server sent (1012: it restarted), null before any. */
  lastCloseCode: number | null = null;
  private readonly onOnline = () => {
    if (!this.stopped && this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
      this.open();
    }
  };

  constructor(
    /** Where to connect; a function is asked again on every attempt. */
    private readonly url: string | (() => string),
    private readonly opts: ReconnectingSocketOptions,
  ) {}

  get currentState(): LiveState {
    return this.state;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    if (typeof window !== 'undefined') window.addEventListener('online', this.onOnline);
    this.open();
  }

  /** Drop this connection and start over (the server then sends a fresh snapshot). */
  resync(): void {
    if (this.stopped) return;
    this.detach();
    this.scheduleReconnect();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    if (typeof window !== 'undefined') window.removeEventListener('online', this.onOnline);
    this.detach();
    this.setState('closed');
  }

  private setState(s: LiveState): void {
    if (s === this.state) return;
    this.state = s;
    this.opts.onState?.(s);
  }

  private detach(): void {
    const s = this.socket;
    this.socket = null;
    if (s) {
      s.onopen = s.onmessage = s.onclose = s.onerror = null;
      try {
        s.close(1000, 'client closing');
      } catch {
        /* already closed */
      }
    }
  }

  private open(): void {
    this.timer = undefined;
    this.setState(this.attempt === 0 ? 'connecting' : 'reconnecting');
    let s: SocketLike;
    try {
      s = (this.opts.factory ?? defaultFactory)(typeof this.url === 'function' ? this.url() : this.url);
    } catch {
      this.scheduleReconnect();
      return;
    }
    this.socket = s;
    s.onopen = () => this.setState('open');
    s.onmessage = (ev) => {
      // Only a message proves the connection works: a server that accepts and then
      // drops us at once must not reset the backoff.
      this.attempt = 0;
      if (this.state !== 'open') this.setState('open');
      if (typeof ev.data !== 'string') return;
      let data: unknown;
      try {
        data = JSON.parse(ev.data);
      } catch {
        return;
      }
      this.opts.onMessage(data);
    };
    s.onerror = () => {
      /* onclose follows and reconnects */
    };
    s.onclose = (ev) => {
      if (this.socket !== s) return;
      this.socket = null;
      this.lastCloseCode = typeof ev?.code === 'number' ? ev.code : null;
      this.scheduleReconnect();
    };
  }

  private scheduleReconnect(): void {
    if (this.stopped) return;
    this.setState('reconnecting');
    // A listener may stop the socket on hearing it dropped (the cockpit does, on a refusal's close code).
    if (this.stopped) return;
    const delay = backoffDelay(this.attempt, this.opts.baseMs, this.opts.maxMs, this.opts.random);
    this.attempt++;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.open(), delay);
  }
}
