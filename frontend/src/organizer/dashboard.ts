/**
 * The cockpit's figures: what the dashboard socket or its polling fallback last said, where it came from, a short
 * history for the sparklines, and how each figure is written. `reduce` is pure (the feed and the page only dispatch),
 * so the order in which socket messages, poll answers and state changes arrive is tested without a browser.
 */
import type { CancelProgress, Dashboard } from '../api/organizerTypes';
import type { LiveState } from '../lib/socket';
import { money } from '../lib/format';

/** One point of the sparklines: kept at most every SAMPLE_MS, for HISTORY_MS. */
export interface Sample {
  at: number;
  sold: number;
  revenueCents: number;
  paidPerMinute: number;
  waiting: number | null;
}

export const SAMPLE_MS = 5_000;
export const HISTORY_MS = 15 * 60_000;
/** Figures older than this are shown as stale (the socket sends at most once a second, and only on change). */
export const STALE_MS = 30_000;

export type Refusal = 'signed_out' | 'forbidden' | 'not_found';

export interface CockpitState {
  dashboard: Dashboard | null;
  /** When the figures shown arrived (ms since the epoch). */
  receivedAt: number | null;
  /** How they arrived: over the socket, or by polling while it is down. */
  via: 'socket' | 'poll' | null;
  socket: LiveState;
  polling: boolean;
  /** The last poll failed (the figures shown are older). */
  pollError: string | null;
  /** The server refused us: nothing more will come until the organizer signs in again. */
  refused: Refusal | null;
  history: Sample[];
}

export type CockpitAction =
  | { type: 'data'; data: Dashboard; via: 'socket' | 'poll'; at: number }
  | { type: 'socket'; state: LiveState }
  | { type: 'polling'; on: boolean }
  | { type: 'poll-failed'; message: string }
  | { type: 'refused'; why: Refusal };

export const initialCockpit: CockpitState = {
  dashboard: null,
  receivedAt: null,
  via: null,
  socket: 'closed',
  polling: false,
  pollError: null,
  refused: null,
  history: [],
};

function isCount(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v) && v >= 0;
}

function isLatency(v: unknown): boolean {
  return v === null || v === undefined || isCount(v);
}

/** A dashboard message as API.md writes it (a `type` field, if the server adds one, is ignored). */
export function isDashboard(data: unknown): data is Dashboard {
  if (!data || typeof data !== 'object') return false;
  const d = data as Record<string, unknown>;
  const seats = d.seats as Record<string, unknown> | undefined;
  const orders = d.orders as Record<string, unknown> | undefined;
  const latency = d.payment_to_paid_ms as Record<string, unknown> | undefined;
  const queue = d.queue as Record<string, unknown> | null | undefined;
  return (
    !!seats &&
    isCount(seats.available) &&
    isCount(seats.held) &&
    isCount(seats.sold) &&
    isCount(d.revenue_cents) &&
    typeof d.currency === 'string' &&
    !!orders &&
    isCount(orders.paid) &&
    isCount(orders.refunded) &&
    isCount(orders.pending_payment) &&
    (queue === null || queue === undefined || (isCount(queue.waiting) && isCount(queue.serving) && isCount(queue.admitted_per_minute))) &&
    isCount(d.paid_per_minute) &&
    (latency === undefined || (!!latency && isLatency(latency.p50) && isLatency(latency.p99)))
  );
}

function sampleOf(d: Dashboard, at: number): Sample {
  return { at, sold: d.seats.sold, revenueCents: d.revenue_cents, paidPerMinute: d.paid_per_minute, waiting: d.queue ? d.queue.waiting : null };
}

/** Adds a sample, or replaces the last when it is younger than SAMPLE_MS; drops what is older than HISTORY_MS. */
export function addSample(history: readonly Sample[], sample: Sample): Sample[] {
  const last = history[history.length - 1];
  const kept = last && sample.at - last.at < SAMPLE_MS && sample.at >= last.at ? history.slice(0, -1) : history.slice();
  // A clock that went back (or a late answer): start the history again rather than draw a line backwards.
  const ordered = kept.length && sample.at < kept[kept.length - 1]!.at ? [] : kept;
  ordered.push(sample);
  const from = sample.at - HISTORY_MS;
  let cut = 0;
  while (cut < ordered.length && ordered[cut]!.at < from) cut++;
  return cut ? ordered.slice(cut) : ordered;
}

export function reduce(state: CockpitState, action: CockpitAction): CockpitState {
  switch (action.type) {
    case 'data': {
      if (state.refused) return state;
      // A poll answered after the socket came back is older than what the socket says: drop it.
      if (action.via === 'poll' && state.socket === 'open' && state.via === 'socket') return state;
      return {
        ...state,
        dashboard: action.data,
        receivedAt: action.at,
        via: action.via,
        pollError: action.via === 'poll' ? null : state.pollError,
        history: addSample(state.history, sampleOf(action.data, action.at)),
      };
    }
    case 'socket':
      return { ...state, socket: action.state };
    case 'polling':
      return { ...state, polling: action.on, pollError: action.on ? state.pollError : null };
    case 'poll-failed':
      return { ...state, pollError: action.message };
    case 'refused':
      return { ...state, refused: action.why, polling: false };
  }
}

export type Freshness = 'live' | 'polling' | 'stale' | 'waiting';

/** What the page says about where the figures come from. */
export function freshness(state: CockpitState, now: number): Freshness {
  if (!state.dashboard || state.receivedAt === null) return 'waiting';
  if (now - state.receivedAt > STALE_MS && !(state.socket === 'open' && state.via === 'socket')) return 'stale';
  if (state.socket === 'open' && state.via === 'socket') return 'live';
  return state.polling ? 'polling' : 'stale';
}

// ---------- writing the figures ----------

const integer = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 });
const oneDecimal = new Intl.NumberFormat(undefined, { maximumFractionDigits: 1 });

export const DASH = '—';

/** 12,345 (grouped in the organizer's locale); a dash for a figure not known yet. */
export function count(n: number | null | undefined): string {
  return typeof n === 'number' && Number.isFinite(n) ? integer.format(n) : DASH;
}

/** A rate: "12 / min", "0.5 / min" (one decimal below ten). */
export function perMinute(n: number | null | undefined): string {
  if (typeof n !== 'number' || !Number.isFinite(n)) return DASH;
  return `${n < 10 ? oneDecimal.format(n) : integer.format(n)} / min`;
}

/** A latency: "340 ms" below a second, "1.2 s" below a minute, "2 min 5 s" above; a dash before any payment. */
export function latency(ms: number | null | undefined): string {
  if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0) return DASH;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${oneDecimal.format(ms / 1000)} s`;
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)} min ${s % 60} s`;
}

/** Revenue in the show's currency, without the minor units once it is large enough not to need them. */
export function revenue(cents: number | null | undefined, currency: string): string {
  if (typeof cents !== 'number' || !Number.isFinite(cents)) return DASH;
  return money(cents, currency);
}

/** A share as a whole percent ("37 %"); "< 1 %" for a little above none; a dash when there is no whole. */
export function share(part: number, whole: number): string {
  if (!(whole > 0)) return DASH;
  const p = (part / whole) * 100;
  if (p > 0 && p < 1) return '< 1 %';
  if (p < 100 && p > 99) return '> 99 %';
  return `${Math.round(p)} %`;
}

/** "just now", "12 s ago", "3 min ago": how old the figures are. */
export function age(receivedAt: number | null, now: number): string {
  if (receivedAt === null) return 'never';
  const s = Math.max(0, Math.round((now - receivedAt) / 1000));
  if (s < 2) return 'just now';
  if (s < 60) return `${s} s ago`;
  return `${Math.floor(s / 60)} min ago`;
}

/**
 * The sentence a screen reader hears now and then (the page announces it politely, at most every
 * ANNOUNCE_MS and only when it changed): the sale's headline figures, not every counter.
 */
export function summary(d: Dashboard): string {
  const total = d.seats.available + d.seats.held + d.seats.sold;
  const parts = [
    `${count(d.seats.sold)} of ${count(total)} seats sold`,
    `${count(d.seats.held)} held`,
    `revenue ${revenue(d.revenue_cents, d.currency)}`,
    `${perMinute(d.paid_per_minute)} paid orders`,
  ];
  if (d.queue) parts.push(`${count(d.queue.waiting)} waiting in line`);
  return `${parts.join(', ')}.`;
}

export const ANNOUNCE_MS = 30_000;

/** Points of an SVG polyline for a series, scaled into a width × height box (y grows downward). */
export function sparkline(values: readonly number[], width: number, height: number): string {
  if (values.length < 2) return '';
  let max = 0;
  for (const v of values) if (v > max) max = v;
  const top = max > 0 ? max : 1;
  const step = width / (values.length - 1);
  return values.map((v, i) => `${(i * step).toFixed(1)},${(height - (Math.max(0, v) / top) * height).toFixed(1)}`).join(' ');
}

/** "120 of 500 orders refunded"; done when every order is (or the server says so). */
export function progressText(p: CancelProgress): string {
  if (p.total === 0) return 'The show had no paid orders: nothing to refund.';
  const done = p.done ?? p.refunded >= p.total;
  return done ? `All ${count(p.total)} paid orders are refunded.` : `${count(p.refunded)} of ${count(p.total)} paid orders refunded…`;
}
