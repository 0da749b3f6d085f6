import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ApiError } from '../src/api/client';
import type { Dashboard } from '../src/api/organizerTypes';
import { initialCockpit, reduce, type CockpitAction, type CockpitState } from '../src/organizer/dashboard';
import { CLOSE_FORBIDDEN, CLOSE_NOT_SIGNED_IN, DashboardFeed } from '../src/organizer/feed';
import { socketFactory } from './fakeSocket';
import { dashboard } from './organizerFixtures';

function setup(answer: (n: number) => Promise<Dashboard> = async () => dashboard({ paid_per_minute: 1 })) {
  const { sockets, factory } = socketFactory();
  const actions: CockpitAction[] = [];
  let state: CockpitState = initialCockpit;
  let polls = 0;
  const api = { dashboard: vi.fn(() => answer(++polls)) };
  const feed = new DashboardFeed(
    's1',
    (a) => {
      actions.push(a);
      state = reduce(state, a);
    },
    { api, factory, url: 'ws://test/api/v1/organizer/shows/s1/dashboard/live', pollMs: 2000, random: () => 0, now: () => Date.now() },
  );
  return { sockets, actions, api, feed, state: () => state };
}

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe('DashboardFeed', () => {
  it('reads the dashboard once at the start, then follows the socket without polling', async () => {
    const { sockets, api, feed, state } = setup();
    feed.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(api.dashboard).toHaveBeenCalledTimes(1);
    expect(sockets[0]!.url).toBe('ws://test/api/v1/organizer/shows/s1/dashboard/live');
    sockets[0]!.open();
    sockets[0]!.send(dashboard({ paid_per_minute: 7 }));
    expect(state()).toMatchObject({ via: 'socket', socket: 'open', polling: false });
    expect(state().dashboard?.paid_per_minute).toBe(7);
    sockets[0]!.send({ type: 'something else' });
    expect(state().dashboard?.paid_per_minute).toBe(7);
    await vi.advanceTimersByTimeAsync(20_000);
    expect(api.dashboard).toHaveBeenCalledTimes(1);
    feed.stop();
  });

  it('polls every pollMs while the socket is down, and stops when it is back', async () => {
    const { sockets, api, feed, state } = setup();
    feed.start();
    sockets[0]!.open();
    await vi.advanceTimersByTimeAsync(0);
    sockets[0]!.drop(1012);
    expect(state()).toMatchObject({ socket: 'reconnecting', polling: true });
    await vi.advanceTimersByTimeAsync(0);
    expect(api.dashboard).toHaveBeenCalledTimes(2);
    expect(state().via).toBe('poll');
    // The reconnect fails too: the back-off grows, the polling goes on at its own pace.
    await vi.advanceTimersByTimeAsync(250);
    sockets[1]!.drop();
    await vi.advanceTimersByTimeAsync(4000);
    expect(api.dashboard).toHaveBeenCalledTimes(4);
    const open = sockets[sockets.length - 1]!;
    expect(sockets.length).toBeGreaterThan(2);
    open.open();
    expect(state()).toMatchObject({ socket: 'open', polling: false });
    const calls = api.dashboard.mock.calls.length;
    await vi.advanceTimersByTimeAsync(10_000);
    expect(api.dashboard).toHaveBeenCalledTimes(calls);
    feed.stop();
  });

  it('gives up on 4401 and 4403 closes: the organizer must sign in again', async () => {
    for (const [code, why] of [
      [CLOSE_NOT_SIGNED_IN, 'signed_out'],
      [CLOSE_FORBIDDEN, 'forbidden'],
    ] as const) {
      const { sockets, api, feed, state } = setup();
      feed.start();
      await vi.advanceTimersByTimeAsync(0);
      sockets[0]!.drop(code);
      expect(state()).toMatchObject({ refused: why, socket: 'closed', polling: false });
      await vi.advanceTimersByTimeAsync(60_000);
      expect(sockets).toHaveLength(1);
      expect(api.dashboard).toHaveBeenCalledTimes(1);
    }
  });

  it('stops on a 401 or 403 from the poll, and keeps polling through other failures', async () => {
    const failing = setup(async (n) => {
      if (n === 2) throw new ApiError(503, 'unavailable', 'Busy, try again.');
      if (n === 3) throw new ApiError(401, 'not_authenticated', 'Sign in.');
      return dashboard();
    });
    failing.feed.start();
    await vi.advanceTimersByTimeAsync(0);
    failing.sockets[0]!.drop();
    await vi.advanceTimersByTimeAsync(0);
    expect(failing.state().pollError).toBe('Busy, try again.');
    await vi.advanceTimersByTimeAsync(2000);
    expect(failing.state()).toMatchObject({ refused: 'signed_out', polling: false });
    const sockets = failing.sockets.length;
    await vi.advanceTimersByTimeAsync(60_000);
    expect(failing.api.dashboard).toHaveBeenCalledTimes(3);
    expect(failing.sockets.length).toBe(sockets);
  });

  it('sends nothing after stop, not even an answer already on its way', async () => {
    let release: (d: Dashboard) => void = () => undefined;
    const { feed, actions } = setup(() => new Promise((resolve) => (release = resolve)));
    feed.start();
    feed.stop();
    const before = actions.length;
    release(dashboard());
    await vi.advanceTimersByTimeAsync(0);
    expect(actions.slice(before).filter((a) => a.type === 'data')).toEqual([]);
  });
});
