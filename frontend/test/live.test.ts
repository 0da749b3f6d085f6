import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { backoffDelay, ReconnectingSocket, type LiveState } from '../src/lib/socket';
import { isLiveMessage, LiveMapFeed } from '../src/seatmap/live';
import { SeatMapModel } from '../src/seatmap/model';
import { hall } from './fixtures';
import { socketFactory } from './fakeSocket';

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe('backoff', () => {
  it('doubles per attempt with jitter, capped', () => {
    const lo = () => 0;
    const hi = () => 0.999999;
    expect(backoffDelay(0, 500, 15_000, lo)).toBe(250);
    expect(backoffDelay(0, 500, 15_000, hi)).toBe(500);
    expect(backoffDelay(3, 500, 15_000, lo)).toBe(2000);
    expect(backoffDelay(10, 500, 15_000, hi)).toBe(15_000);
    expect(backoffDelay(10, 500, 15_000, lo)).toBe(7500);
  });
});

describe('ReconnectingSocket', () => {
  it('reconnects after a drop with growing delays, and resets after a message', () => {
    const { sockets, factory } = socketFactory();
    const states: LiveState[] = [];
    const messages: unknown[] = [];
    const s = new ReconnectingSocket('ws://x/live', { onMessage: (m) => messages.push(m), onState: (st) => states.push(st), factory, random: () => 0 });
    s.start();
    expect(sockets).toHaveLength(1);
    sockets[0]!.open();
    sockets[0]!.drop();
    expect(states).toEqual(['connecting', 'open', 'reconnecting']);
    vi.advanceTimersByTime(249);
    expect(sockets).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(sockets).toHaveLength(2);
    sockets[1]!.drop(); // second failure in a row: waits longer (500 ms)
    vi.advanceTimersByTime(499);
    expect(sockets).toHaveLength(2);
    vi.advanceTimersByTime(1);
    expect(sockets).toHaveLength(3);
    sockets[2]!.send({ hello: 1 });
    sockets[2]!.sendRaw('not json');
    expect(messages).toEqual([{ hello: 1 }]);
    sockets[2]!.drop(); // a message arrived: back to the shortest delay
    vi.advanceTimersByTime(250);
    expect(sockets).toHaveLength(4);
    s.stop();
    expect(sockets[3]!.closed).toBe(true);
    vi.advanceTimersByTime(60_000);
    expect(sockets).toHaveLength(4);
    expect(states.at(-1)).toBe('closed');
  });
});

describe('LiveMapFeed', () => {
  it('applies the snapshot, then contiguous diffs; resyncs on a gap', () => {
    const model = SeatMapModel.fromMap(hall(2, 3, 2));
    const { sockets, factory } = socketFactory();
    const applied: Array<[number[], string]> = [];
    const feed = new LiveMapFeed(model, 'ws://x/live', { factory, random: () => 0, onApplied: (c, k) => applied.push([[...c], k]) });
    feed.start();
    const ws = sockets[0]!;
    ws.open();
    ws.send({ type: 'snapshot', version: 10, seats: { 'S0-A-1': 'sold' } });
    expect(model.version).toBe(10);
    expect(model.statusName(0)).toBe('sold');
    ws.send({ type: 'diff', from_version: 10, version: 11, changes: [['S0-A-2', 'held']] });
    expect(model.statusName(1)).toBe('held');
    ws.send({ type: 'diff', from_version: 10, version: 11, changes: [['S0-A-3', 'held']] }); // duplicate
    expect(model.statusName(2)).toBe('available');
    expect(applied).toEqual([
      [[0], 'snapshot'],
      [[1], 'diff'],
    ]);

    ws.send({ type: 'diff', from_version: 12, version: 13, changes: [['S0-A-3', 'sold']] }); // we missed 11 → 12
    expect(model.statusName(2)).toBe('available');
    expect(feed.gaps).toBe(1);
    expect(ws.closed).toBe(true);
    vi.advanceTimersByTime(250);
    expect(sockets).toHaveLength(2);
    sockets[1]!.send({ type: 'snapshot', version: 13, seats: { 'S0-A-3': 'sold' } });
    expect(model.version).toBe(13);
    expect(model.statusName(0)).toBe('available');
    expect(model.statusName(2)).toBe('sold');
    feed.stop();
  });

  it('ignores messages that are not part of the protocol', () => {
    expect(isLiveMessage({ type: 'diff', version: 2, from_version: 1, changes: [] })).toBe(true);
    expect(isLiveMessage({ type: 'snapshot', version: 2, seats: {} })).toBe(true);
    expect(isLiveMessage({ type: 'diff', version: 2 })).toBe(false);
    expect(isLiveMessage({ type: 'ping' })).toBe(false);
    expect(isLiveMessage(null)).toBe(false);
  });
});
