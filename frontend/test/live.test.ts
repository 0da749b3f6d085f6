import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { backoffDelay, ReconnectingSocket, type LiveState } from '../src/lib/socket';
import { isLiveMessage, LiveMapFeed, resumeUrl } from '../src/seatmap/live';
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

describe('ReconnectingSocket stopped by its own listener', () => {
  it('stays stopped when told so on hearing the drop (the cockpit does on a 4401 close)', () => {
    const { sockets, factory } = socketFactory();
    const s: ReconnectingSocket = new ReconnectingSocket('ws://x/live', {
      onMessage: () => undefined,
      onState: (st) => {
        if (st === 'reconnecting' && s.lastCloseCode === 4401) s.stop();
      },
      factory,
      random: () => 0,
    });
    s.start();
    sockets[0]!.open();
    sockets[0]!.drop(4401);
    vi.advanceTimersByTime(60_000);
    expect(sockets).toHaveLength(1);
    expect(s.currentState).toBe('closed');
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

  it('resumes from its version after a restart (1012): a diff from it, or a snapshot, each applied', () => {
    const model = SeatMapModel.fromMap(hall(2, 3, 2));
    const { sockets, factory } = socketFactory();
    const states: LiveState[] = [];
    const feed = new LiveMapFeed(model, 'ws://x/live', { factory, random: () => 0, onState: (st) => states.push(st) });
    feed.start();
    expect(sockets[0]!.url).toBe('ws://x/live'); // nothing to resume from yet: the snapshot
    sockets[0]!.open();
    sockets[0]!.send({ type: 'snapshot', version: 10, seats: { 'S0-A-1': 'sold' } });
    sockets[0]!.send({ type: 'diff', from_version: 10, version: 12, changes: [['S0-A-2', 'held']] });

    sockets[0]!.drop(1012); // the server restarts
    expect(feed.socket.lastCloseCode).toBe(1012);
    expect(states.at(-1)).toBe('reconnecting');
    vi.advanceTimersByTime(249); // jittered: between 250 and 500 ms after a working connection
    expect(sockets).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(sockets[1]!.url).toBe('ws://x/live?since=12');
    sockets[1]!.open();
    // Another process holds the steps since 12: one diff with what changed meanwhile.
    sockets[1]!.send({ type: 'diff', from_version: 12, version: 15, changes: [['S0-A-2', 'available'], ['S0-A-3', 'sold']] });
    expect(model.version).toBe(15);
    expect([model.statusName(0), model.statusName(1), model.statusName(2)]).toEqual(['sold', 'available', 'sold']);
    expect(feed.gaps).toBe(0);

    sockets[1]!.drop(1012);
    vi.advanceTimersByTime(250);
    expect(sockets[2]!.url).toBe('ws://x/live?since=15');
    // The restarted process has no steps: a snapshot replaces the state, and the chain goes on from it.
    sockets[2]!.send({ type: 'snapshot', version: 20, seats: { 'S0-B-1': 'held' } });
    sockets[2]!.send({ type: 'diff', from_version: 20, version: 21, changes: [['S0-A-1', 'held']] });
    expect(model.version).toBe(21);
    expect([model.statusName(0), model.statusName(2), model.statusName(3)]).toEqual(['held', 'available', 'held']);
    // Already at the latest version: an empty diff from it.
    sockets[2]!.drop(1012);
    vi.advanceTimersByTime(250);
    expect(sockets[3]!.url).toBe('ws://x/live?since=21');
    sockets[3]!.send({ type: 'diff', from_version: 21, version: 21, changes: [] });
    expect(model.version).toBe(21);
    expect(feed.gaps).toBe(0);
    feed.stop();
  });

  it('backs off further while the restarted server is not back, resuming from the same version', () => {
    const model = SeatMapModel.fromMap(hall(2, 3, 2));
    const { sockets, factory } = socketFactory();
    const feed = new LiveMapFeed(model, 'ws://x/live', { factory, random: () => 0.5 });
    feed.start();
    sockets[0]!.send({ type: 'snapshot', version: 7, seats: {} });
    sockets[0]!.drop(1012);
    const opened = () => sockets.length;
    // Equal jitter at 0.5: 375, 750, 1500, 3000 ms: each refused attempt waits about twice as long.
    for (const [wait, count] of [[375, 2], [750, 3], [1500, 4], [3000, 5]] as const) {
      vi.advanceTimersByTime(wait - 1);
      expect(opened()).toBe(count - 1);
      vi.advanceTimersByTime(1);
      expect(opened()).toBe(count);
      expect(sockets[count - 1]!.url).toBe('ws://x/live?since=7');
      sockets[count - 1]!.drop(); // refused: the process is still starting
    }
    feed.stop();
  });

  it('starts over without `since` after a gap: a fresh snapshot is what it needs', () => {
    const model = SeatMapModel.fromMap(hall(2, 3, 2));
    const { sockets, factory } = socketFactory();
    const feed = new LiveMapFeed(model, 'ws://x/live', { factory, random: () => 0 });
    feed.start();
    sockets[0]!.send({ type: 'snapshot', version: 10, seats: {} });
    sockets[0]!.send({ type: 'diff', from_version: 11, version: 12, changes: [['S0-A-1', 'held']] }); // missed 10 → 11
    expect(feed.gaps).toBe(1);
    vi.advanceTimersByTime(250);
    expect(sockets[1]!.url).toBe('ws://x/live');
    sockets[1]!.send({ type: 'snapshot', version: 12, seats: { 'S0-A-1': 'held' } });
    sockets[1]!.drop(1012);
    vi.advanceTimersByTime(250);
    expect(sockets[2]!.url).toBe('ws://x/live?since=12'); // resumable again once a snapshot came
    feed.stop();
  });

  it('adds `since` to the URL whatever it already carries', () => {
    expect(resumeUrl('wss://h/api/v1/shows/3/live', null)).toBe('wss://h/api/v1/shows/3/live');
    expect(resumeUrl('wss://h/api/v1/shows/3/live', 0)).toBe('wss://h/api/v1/shows/3/live?since=0');
    expect(resumeUrl('wss://h/live?x=1', 42)).toBe('wss://h/live?x=1&since=42');
  });

  it('ignores messages that are not part of the protocol', () => {
    expect(isLiveMessage({ type: 'diff', version: 2, from_version: 1, changes: [] })).toBe(true);
    expect(isLiveMessage({ type: 'snapshot', version: 2, seats: {} })).toBe(true);
    expect(isLiveMessage({ type: 'diff', version: 2 })).toBe(false);
    expect(isLiveMessage({ type: 'ping' })).toBe(false);
    expect(isLiveMessage(null)).toBe(false);
  });
});
