/**
 * Keeps a SeatMapModel in step with WS /api/v1/shows/{id}/live: the snapshot replaces the
 * live state, each diff applies only if it continues from our version, and a gap (we
 * missed a diff) drops the connection so the reconnect brings a fresh snapshot.
 *
 * After a lost connection (a server restart closes with 1012) the feed resumes: once this
 * feed has brought the model to a version (a snapshot, then diffs), the reconnect asks for
 * `?since=<that version>`, and the server answers one diff from it (what changed meanwhile)
 * when it still has the steps, else a snapshot; both are handled as usual. Only a gap
 * starts over without `since`: a fresh snapshot is then what we want.
 */
import type { LiveMessage } from '../api/types';
import { ReconnectingSocket, type LiveState, type SocketFactory } from '../lib/socket';
import type { SeatMapModel } from './model';

export interface LiveMapOptions {
  onState?: (state: LiveState) => void;
  /** Seats whose status the feed just changed (after the model applied them). */
  onApplied?: (changed: readonly number[], kind: 'snapshot' | 'diff') => void;
  onGap?: (expected: number, got: number) => void;
  factory?: SocketFactory;
  random?: () => number;
}

export function isLiveMessage(data: unknown): data is LiveMessage {
  if (!data || typeof data !== 'object') return false;
  const m = data as Partial<LiveMessage> & Record<string, unknown>;
  if (m.type === 'snapshot') return typeof m.version === 'number' && !!m.seats && typeof m.seats === 'object';
  if (m.type === 'diff') return typeof m.version === 'number' && typeof m.from_version === 'number' && Array.isArray(m.changes);
  return false;
}

/** The live map's URL, resuming from `since` when given. */
export function resumeUrl(url: string, since: number | null): string {
  return since === null ? url : `${url}${url.includes('?') ? '&' : '?'}since=${since}`;
}

export class LiveMapFeed {
  readonly socket: ReconnectingSocket;
  gaps = 0;
  /** The model's version came from this feed, in an unbroken chain: a reconnect may resume from it. */
  private resumable = false;

  constructor(
    private readonly model: SeatMapModel,
    url: string,
    private readonly opts: LiveMapOptions = {},
  ) {
    this.socket = new ReconnectingSocket(() => resumeUrl(url, this.resumable ? this.model.version : null), {
      onMessage: (data) => this.handle(data),
      ...(opts.onState ? { onState: opts.onState } : {}),
      ...(opts.factory ? { factory: opts.factory } : {}),
      ...(opts.random ? { random: opts.random } : {}),
    });
  }

  start(): void {
    this.socket.start();
  }

  stop(): void {
    this.socket.stop();
  }

  handle(data: unknown): void {
    if (!isLiveMessage(data)) return;
    if (data.type === 'snapshot') {
      this.resumable = true;
      const changed = this.model.applySnapshot(data);
      this.opts.onApplied?.(changed, 'snapshot');
      return;
    }
    const result = this.model.applyDiff(data);
    if (result.kind === 'applied') {
      if (result.changed.length) this.opts.onApplied?.(result.changed, 'diff');
    } else if (result.kind === 'gap') {
      this.gaps++;
      this.resumable = false;
      this.opts.onGap?.(result.expected, result.got);
      this.socket.resync();
    }
  }
}
