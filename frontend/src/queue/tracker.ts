/**
 * The waiting room's view of the fan's place in line, from two sources: the fan's own
 * entry (POST/GET .../queue[/me]) and the broadcast {serving, waiting, rate_per_s}.
 * Position = number - serving (1 = next in). A number <= serving means the fan's turn has
 * come (`turn`); whether the fan may shop is the server's `admitted` flag, which only the
 * entry carries (an admission ends after a while, or once the fan paid or let go of every
 * seat, while the number stays <= serving).
 *
 * The position shown only ever goes down: broadcasts can arrive out of step with the
 * entry, and a line that seems to move backwards is worse than one that pauses. That is
 * also what lets the socket come back anywhere after a lost connection (a restart's 1012):
 * the line has no version to resume from, and a first broadcast from a process a little
 * behind the one before cannot move the fan back, and the turn or the opening that
 * happened meanwhile shows in that first broadcast (the page then re-reads the entry).
 */
import type { QueueBroadcast, QueueEntry } from '../api/types';

export interface QueueView {
  /** The fan's ticket number in the line; null until the server has drawn it. */
  number: number | null;
  /** 1 = next to be let in; 0 once admitted; null while unknown. */
  position: number | null;
  /** People in front of the fan, or null while unknown. */
  ahead: number | null;
  /** The server admits the fan to shop (from the entry only). */
  admitted: boolean;
  /** The line has reached the fan's number (from either source). */
  turn: boolean;
  admittedUntil: string | null;
  /** Seconds, or null when unknown. */
  estimatedWaitS: number | null;
  /** 0..1: share of the line in front of the fan at first sight that has gone in since. */
  progress: number;
  waiting: number | null;
  ratePerS: number | null;
  /** The organizer paused the sale: the line stands still until it resumes (from the broadcast only). */
  paused: boolean;
}

export class QueueTracker {
  private number: number | null;
  private shown: number | null = null;
  private start: number | null = null;
  private admitted = false;
  private turn = false;
  private admittedUntil: string | null = null;
  private serverWait: number | null = null;
  private waiting: number | null = null;
  private rate: number | null = null;
  private paused = false;

  constructor(entry: QueueEntry) {
    this.number = entry.number;
    this.applyEntry(entry);
  }

  /** A fresh entry from the server (POST .../queue or GET .../queue/me). */
  applyEntry(entry: QueueEntry): QueueView {
    // Before the sale opens the server draws early arrivals' places, so the number can change.
    this.number = entry.number;
    this.admitted = entry.admitted;
    this.admittedUntil = entry.admitted_until;
    this.serverWait = entry.estimated_wait_s;
    if (entry.admitted || entry.position === 0) this.reachTurn();
    else if (entry.position !== null) this.lower(entry.position);
    return this.view();
  }

  applyBroadcast(msg: QueueBroadcast): QueueView {
    this.waiting = msg.waiting;
    this.rate = msg.rate_per_s;
    this.paused = msg.paused === true;
    if (this.number !== null) {
      if (this.number <= msg.serving) this.reachTurn();
      else this.lower(this.number - msg.serving);
    }
    return this.view();
  }

  private reachTurn(): void {
    this.turn = true;
    this.shown = 0;
  }

  private lower(position: number): void {
    if (this.turn) return;
    const p = Math.max(1, position);
    if (this.shown === null || p < this.shown) this.shown = p;
    if (this.start === null) this.start = p;
  }

  view(): QueueView {
    const position = this.shown;
    let estimatedWaitS: number | null;
    if (this.turn) estimatedWaitS = 0;
    else if (this.paused) estimatedWaitS = null; // nobody knows when the organizer resumes
    else if (position !== null && this.rate && this.rate > 0) estimatedWaitS = Math.round(position / this.rate);
    else estimatedWaitS = this.serverWait;
    let progress = 0;
    if (this.turn) progress = 1;
    else if (position !== null && this.start) progress = Math.min(1, Math.max(0, (this.start - position) / this.start));
    return {
      number: this.number,
      position,
      ahead: position === null ? null : Math.max(0, position - 1),
      admitted: this.admitted,
      turn: this.turn,
      admittedUntil: this.admittedUntil,
      estimatedWaitS,
      progress,
      waiting: this.waiting,
      ratePerS: this.rate,
      paused: this.paused && !this.turn,
    };
  }
}

export function isQueueBroadcast(data: unknown): data is QueueBroadcast {
  if (!data || typeof data !== 'object') return false;
  const m = data as Record<string, unknown>;
  return m.type === 'queue' && typeof m.serving === 'number';
}
