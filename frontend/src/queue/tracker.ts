/**
 * The waiting room's view of the fan's place in line, from two sources: the fan's own
 * entry (POST/GET .../queue[/me]) and the broadcast {serving, waiting, rate_per_s}.
 * A number <= serving is admitted; position = number - serving (1 = next in).
 *
 * The position shown only ever goes down: broadcasts can arrive out of step with the
 * entry, and a line that seems to move backwards is worse than one that pauses.
 */
import type { QueueBroadcast, QueueEntry } from '../api/types';

export interface QueueView {
  number: number;
  /** 1 = next to be let in; 0 once admitted. */
  position: number;
  /** People in front of the fan. */
  ahead: number;
  admitted: boolean;
  admittedUntil: string | null;
  /** Seconds, or null when unknown. */
  estimatedWaitS: number | null;
  /** 0..1: share of the line in front of the fan at first sight that has gone in since. */
  progress: number;
  waiting: number | null;
  ratePerS: number | null;
}

export class QueueTracker {
  private number: number;
  private shown: number;
  private readonly start: number;
  private admitted: boolean;
  private admittedUntil: string | null;
  private serverWait: number | null;
  private waiting: number | null = null;
  private rate: number | null = null;

  constructor(entry: QueueEntry) {
    this.number = entry.number;
    this.admitted = entry.admitted;
    this.admittedUntil = entry.admitted_until;
    this.shown = entry.admitted ? 0 : Math.max(1, entry.position);
    this.start = Math.max(1, this.shown);
    this.serverWait = entry.estimated_wait_s;
  }

  /** A fresh entry from the server (GET .../queue/me). */
  applyEntry(entry: QueueEntry): QueueView {
    // Before the sale opens the server draws early arrivals' places, so the number can change.
    this.number = entry.number;
    this.admittedUntil = entry.admitted_until;
    this.serverWait = entry.estimated_wait_s;
    if (entry.admitted) this.admit();
    else this.lower(Math.max(1, entry.position));
    return this.view();
  }

  applyBroadcast(msg: QueueBroadcast): QueueView {
    this.waiting = msg.waiting;
    this.rate = msg.rate_per_s;
    if (this.number <= msg.serving) this.admit();
    else this.lower(this.number - msg.serving);
    return this.view();
  }

  private admit(): void {
    this.admitted = true;
    this.shown = 0;
  }

  private lower(position: number): void {
    if (this.admitted) return;
    if (position < this.shown) this.shown = position;
  }

  view(): QueueView {
    const position = this.shown;
    let estimatedWaitS: number | null;
    if (this.admitted) estimatedWaitS = 0;
    else if (this.rate && this.rate > 0) estimatedWaitS = Math.round(position / this.rate);
    else estimatedWaitS = this.serverWait;
    return {
      number: this.number,
      position,
      ahead: Math.max(0, position - 1),
      admitted: this.admitted,
      admittedUntil: this.admittedUntil,
      estimatedWaitS,
      progress: this.admitted ? 1 : Math.min(1, Math.max(0, (this.start - position) / this.start)),
      waiting: this.waiting,
      ratePerS: this.rate,
    };
  }
}

export function isQueueBroadcast(data: unknown): data is QueueBroadcast {
  if (!data || typeof data !== 'object') return false;
  const m = data as Record<string, unknown>;
  return m.type === 'queue' && typeof m.serving === 'number';
}
