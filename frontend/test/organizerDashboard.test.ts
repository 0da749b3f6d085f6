import { describe, expect, it } from 'vitest';
import {
  addSample,
  age,
  count,
  freshness,
  HISTORY_MS,
  initialCockpit,
  isDashboard,
  latency,
  perMinute,
  progressText,
  reduce,
  SAMPLE_MS,
  share,
  sparkline,
  STALE_MS,
  summary,
  type CockpitAction,
  type CockpitState,
} from '../src/organizer/dashboard';
import { dashboard } from './organizerFixtures';

const run = (actions: CockpitAction[], from: CockpitState = initialCockpit) => actions.reduce(reduce, from);

describe('isDashboard', () => {
  it('takes the shape API.md writes, with or without a waiting room or latencies', () => {
    expect(isDashboard(dashboard())).toBe(true);
    expect(isDashboard(dashboard({ queue: null, payment_to_paid_ms: { p50: null, p99: null } }))).toBe(true);
    expect(isDashboard({ type: 'dashboard', ...dashboard() })).toBe(true);
  });

  it('refuses anything else, so a stray message never blanks the figures', () => {
    expect(isDashboard(null)).toBe(false);
    expect(isDashboard({ type: 'queue', serving: 1 })).toBe(false);
    expect(isDashboard({ ...dashboard(), seats: { available: 1, held: 2 } })).toBe(false);
    expect(isDashboard({ ...dashboard(), seats: { available: 1, sold: 2 } })).toBe(false);
    expect(isDashboard({ ...dashboard(), revenue_cents: '12' })).toBe(false);
    expect(isDashboard({ ...dashboard(), paid_per_minute: -1 })).toBe(false);
    expect(isDashboard({ ...dashboard(), queue: { waiting: 1 } })).toBe(false);
    expect(isDashboard({ ...dashboard(), payment_to_paid_ms: { p50: 'fast', p99: 1 } })).toBe(false);
  });
});

describe('reduce', () => {
  it('shows what arrives, remembering how and when', () => {
    const s = run([{ type: 'data', data: dashboard(), via: 'poll', at: 1000 }]);
    expect(s).toMatchObject({ dashboard: dashboard(), receivedAt: 1000, via: 'poll' });
    expect(s.history).toHaveLength(1);
  });

  it('drops a poll answered after the socket came back: the socket is newer', () => {
    const s = run([
      { type: 'socket', state: 'open' },
      { type: 'data', data: dashboard({ paid_per_minute: 9 }), via: 'socket', at: 2000 },
      { type: 'data', data: dashboard({ paid_per_minute: 1 }), via: 'poll', at: 2100 },
    ]);
    expect(s.dashboard?.paid_per_minute).toBe(9);
    expect(s.via).toBe('socket');
  });

  it('takes polls again once the socket is down', () => {
    const s = run([
      { type: 'socket', state: 'open' },
      { type: 'data', data: dashboard(), via: 'socket', at: 2000 },
      { type: 'socket', state: 'reconnecting' },
      { type: 'polling', on: true },
      { type: 'data', data: dashboard({ paid_per_minute: 1 }), via: 'poll', at: 4000 },
    ]);
    expect(s).toMatchObject({ via: 'poll', polling: true, receivedAt: 4000 });
    expect(s.dashboard?.paid_per_minute).toBe(1);
  });

  it('keeps a failed poll’s message until the next answer, and stops everything once refused', () => {
    let s = run([{ type: 'polling', on: true }, { type: 'poll-failed', message: 'busy' }]);
    expect(s.pollError).toBe('busy');
    s = reduce(s, { type: 'data', data: dashboard(), via: 'poll', at: 5 });
    expect(s.pollError).toBeNull();
    s = run([{ type: 'refused', why: 'signed_out' }, { type: 'data', data: dashboard({ paid_per_minute: 99 }), via: 'socket', at: 6 }], s);
    expect(s).toMatchObject({ refused: 'signed_out', polling: false, receivedAt: 5 });
  });
});

describe('history', () => {
  const sample = (at: number, sold = 1) => ({ at, sold, revenueCents: 0, paidPerMinute: 0, waiting: null });

  it('keeps one sample per SAMPLE_MS, the latest', () => {
    let h = addSample([], sample(0, 1));
    h = addSample(h, sample(SAMPLE_MS - 1, 2));
    expect(h).toEqual([sample(SAMPLE_MS - 1, 2)]);
    h = addSample(h, sample(2 * SAMPLE_MS, 3));
    expect(h.map((x) => x.sold)).toEqual([2, 3]);
  });

  it('forgets what is older than HISTORY_MS, and starts again when time goes back', () => {
    let h: ReturnType<typeof addSample> = [];
    for (let t = 0; t <= HISTORY_MS + 60_000; t += SAMPLE_MS) h = addSample(h, sample(t));
    expect(h[0]!.at).toBeGreaterThanOrEqual(60_000);
    expect(h.length).toBe(HISTORY_MS / SAMPLE_MS + 1);
    expect(addSample(h, sample(10))).toEqual([sample(10)]);
  });
});

describe('freshness', () => {
  const live = run([{ type: 'socket', state: 'open' }, { type: 'data', data: dashboard(), via: 'socket', at: 0 }]);

  it('is live while the socket is open, however quiet the sale (it sends only on change)', () => {
    expect(freshness(initialCockpit, 0)).toBe('waiting');
    expect(freshness(live, 10 * STALE_MS)).toBe('live');
  });

  it('is polling while the fallback answers, and stale once it stops answering', () => {
    const polling = run([{ type: 'socket', state: 'reconnecting' }, { type: 'polling', on: true }, { type: 'data', data: dashboard(), via: 'poll', at: 0 }], live);
    expect(freshness(polling, 1000)).toBe('polling');
    expect(freshness(polling, STALE_MS + 1)).toBe('stale');
    expect(freshness(reduce(polling, { type: 'refused', why: 'forbidden' }), 1000)).toBe('stale');
  });
});

describe('writing the figures', () => {
  it('counts, rates, latencies and shares', () => {
    expect(count(12345)).toBe((12345).toLocaleString());
    expect(count(null)).toBe('—');
    expect(perMinute(0.25)).toBe(`${(0.3).toLocaleString()} / min`);
    expect(perMinute(42.4)).toBe('42 / min');
    expect(perMinute(undefined)).toBe('—');
    expect(latency(419.6)).toBe('420 ms');
    expect(latency(2300)).toBe(`${(2.3).toLocaleString()} s`);
    expect(latency(125_000)).toBe('2 min 5 s');
    expect(latency(null)).toBe('—');
    expect(share(0, 10)).toBe('0 %');
    expect(share(1, 1000)).toBe('< 1 %');
    expect(share(999, 1000)).toBe('> 99 %');
    expect(share(10, 10)).toBe('100 %');
    expect(share(1, 0)).toBe('—');
  });

  it('says how old the figures are', () => {
    expect(age(null, 0)).toBe('never');
    expect(age(0, 1000)).toBe('just now');
    expect(age(0, 12_000)).toBe('12 s ago');
    expect(age(0, 200_000)).toBe('3 min ago');
  });

  it('sums the sale up in one sentence for screen readers', () => {
    const s = summary(dashboard());
    expect(s).toContain(`28 of 620 seats sold`);
    expect(s).toContain('12 held');
    expect(s).toContain('4 / min paid orders');
    expect(s).toContain(`${(1200).toLocaleString()} waiting in line`);
    expect(summary(dashboard({ queue: null }))).not.toContain('waiting');
  });

  it('draws a sparkline in its box, flat at the bottom when all is zero', () => {
    expect(sparkline([1], 100, 10)).toBe('');
    expect(sparkline([0, 5, 10], 100, 10)).toBe('0.0,10.0 50.0,5.0 100.0,0.0');
    expect(sparkline([0, 0], 10, 10)).toBe('0.0,10.0 10.0,10.0');
  });

  it('tells a cancellation’s progress', () => {
    expect(progressText({ refunded: 120, total: 500 })).toBe('120 of 500 paid orders refunded…');
    expect(progressText({ refunded: 500, total: 500, done: true })).toBe('All 500 paid orders are refunded.');
    expect(progressText({ refunded: 500, total: 500, done: false })).toContain('500 of 500');
    expect(progressText({ refunded: 0, total: 0, done: true })).toContain('no paid orders');
  });
});
