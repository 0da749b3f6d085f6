import { describe, expect, it } from 'vitest';
import type { QueueBroadcast, QueueEntry } from '../src/api/types';
import { QueueTracker } from '../src/queue/tracker';

const entry = (p: Partial<QueueEntry> = {}): QueueEntry => ({
  queue_id: 'q1',
  number: 120,
  position: 20,
  admitted: false,
  admitted_until: null,
  estimated_wait_s: 60,
  ...p,
});
// Without `paused`: a broadcast of a server older than the organizer's sale controls.
const tick = (serving: number, rate = 2, waiting = 500, paused?: boolean): QueueBroadcast =>
  ({
    type: 'queue' as const,
    serving,
    waiting,
    rate_per_s: rate,
    open: true,
    ...(paused === undefined ? {} : { paused }),
  }) as QueueBroadcast;

describe('QueueTracker', () => {
  it('starts from the entry', () => {
    const v = new QueueTracker(entry()).view();
    expect(v).toMatchObject({ position: 20, ahead: 19, admitted: false, turn: false, estimatedWaitS: 60, progress: 0 });
  });

  it('follows the broadcast: position = number - serving, wait from the rate', () => {
    const t = new QueueTracker(entry());
    const v = t.applyBroadcast(tick(110, 2));
    expect(v).toMatchObject({ position: 10, ahead: 9, estimatedWaitS: 5, progress: 0.5, waiting: 500, ratePerS: 2 });
  });

  it('is paused while the broadcast says so, with no wait estimate, and moves on when it resumes', () => {
    const t = new QueueTracker(entry());
    expect(t.applyBroadcast(tick(110, 2)).paused).toBe(false);
    const paused = t.applyBroadcast(tick(110, 0, 500, true));
    expect(paused).toMatchObject({ paused: true, position: 10, estimatedWaitS: null });
    const resumed = t.applyBroadcast(tick(112, 2, 500, false));
    expect(resumed).toMatchObject({ paused: false, position: 8, estimatedWaitS: 4 });
    // A broadcast without the field (an older server) is not paused.
    t.applyBroadcast(tick(112, 0, 500, true));
    expect(t.applyBroadcast(tick(112, 2)).paused).toBe(false);
  });

  it('does not say paused once the fan’s turn came', () => {
    const t = new QueueTracker(entry());
    expect(t.applyBroadcast(tick(120, 0, 500, true))).toMatchObject({ turn: true, paused: false });
  });

  it('never shows the position going up', () => {
    const t = new QueueTracker(entry());
    const seen: number[] = [];
    for (const serving of [105, 102, 110, 108, 115, 101, 118]) seen.push(t.applyBroadcast(tick(serving)).position!);
    seen.push(t.applyEntry(entry({ position: 9 })).position!); // a stale entry
    expect(seen).toEqual([15, 15, 10, 10, 5, 5, 2, 2]);
    for (let k = 1; k < seen.length; k++) expect(seen[k]).toBeLessThanOrEqual(seen[k - 1]!);
  });

  it('reaches the fan’s turn once number <= serving; admission itself comes from the entry', () => {
    const t = new QueueTracker(entry());
    const v = t.applyBroadcast(tick(120));
    expect(v).toMatchObject({ turn: true, admitted: false, position: 0, ahead: 0, progress: 1, estimatedWaitS: 0 });
    expect(t.applyBroadcast(tick(100)).turn).toBe(true);
    expect(t.applyEntry(entry({ admitted: true, position: 0, admitted_until: '2030-01-01T00:00:00Z' }))).toMatchObject({
      admitted: true,
      turn: true,
      position: 0,
      admittedUntil: '2030-01-01T00:00:00Z',
    });
  });

  it('reports an admission that ended (turn reached, not admitted)', () => {
    const t = new QueueTracker(entry({ position: 0, admitted: false }));
    expect(t.view()).toMatchObject({ turn: true, admitted: false, position: 0 });
  });

  it('uses the server estimate when the rate is unknown', () => {
    const t = new QueueTracker(entry({ estimated_wait_s: 300 }));
    expect(t.applyBroadcast(tick(101, 0)).estimatedWaitS).toBe(300);
  });

  it('waits for a number the server has not drawn yet', () => {
    const t = new QueueTracker(entry({ number: null, position: null, estimated_wait_s: null }));
    expect(t.view()).toMatchObject({ position: null, ahead: null, progress: 0, estimatedWaitS: null });
    expect(t.applyBroadcast(tick(50)).position).toBeNull();
    expect(t.applyEntry(entry({ number: 70, position: 20 })).position).toBe(20);
    expect(t.applyBroadcast(tick(60)).position).toBe(10);
  });

  it('adopts a redrawn number (places drawn when the sale opens)', () => {
    const t = new QueueTracker(entry({ number: 500, position: 500 }));
    t.applyEntry(entry({ number: 30, position: 30 }));
    expect(t.applyBroadcast(tick(20)).position).toBe(10);
  });
});
