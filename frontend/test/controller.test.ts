// @vitest-environment jsdom
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ApiError, type ApiClient } from '../src/api/client';
import type { Hold } from '../src/api/types';
import { saveHoldId, savedHoldId } from '../src/lib/holdStore';
import { MINE_HELD, MINE_NONE } from '../src/seatmap/model';
import { ShowController } from '../src/show/controller';
import { hall } from './fixtures';
import { socketFactory } from './fakeSocket';
import { encodeFixture } from './layoutFixtures';

// The hall's seats get ids 1000, 1001, ... in the fixture's order: S0-A-1 is '1000', S1-C-2 is '1011'.
const seatMap = encodeFixture(hall(4, 5, 2));

const show = {
  id: 'show-1',
  title: 'T',
  description: '',
  venue: { id: 'v', name: 'Hall', city: 'Town', lat: 0, lng: 0 },
  starts_at: '2030-01-01T20:00:00Z',
  sale_opens_at: '2020-01-01T00:00:00Z',
  status: 'on_sale' as const,
  price_range: { min_cents: 4000, max_cents: 5000, currency: 'EUR' },
  seats: { total: 20, available: 20 },
  queue: { enabled: false },
};

const hold = (seat_ids: string[], p: Partial<Hold> = {}): Hold => ({
  hold_id: 'h1',
  show_id: 'show-1',
  seat_ids,
  expires_at: new Date(Date.now() + 480_000).toISOString(),
  amount_cents: 5000 * seat_ids.length,
  currency: 'EUR',
  ...p,
});

function fakeApi(overrides: Partial<ApiClient> = {}): ApiClient {
  return {
    getShow: vi.fn(async () => show),
    getMapStatus: vi.fn(async () => seatMap.status),
    getLayout: vi.fn(async () => seatMap.layout.slice(0)),
    getHold: vi.fn(async () => {
      throw new ApiError(404, 'not_found', 'No such hold');
    }),
    createHold: vi.fn(),
    releaseSeat: vi.fn(),
    releaseHold: vi.fn(),
    ...overrides,
  } as unknown as ApiClient;
}

async function loaded(api: ApiClient) {
  const { sockets, factory } = socketFactory();
  const c = new ShowController('show-1', { api, socketFactory: factory });
  await c.load();
  return { c, sockets, model: c.state.get().model! };
}

beforeEach(() => {
  sessionStorage.clear();
  window.scrollTo = () => undefined; // jsdom does not implement it
});
afterEach(() => vi.useRealTimers());

describe('ShowController', () => {
  it('loads the show and map and subscribes to the live feed', async () => {
    const { c, sockets, model } = await loaded(fakeApi());
    expect(c.state.get()).toMatchObject({ loading: false, error: null });
    expect(model.size).toBe(20);
    expect(sockets[0]!.url).toMatch(/\/api\/v1\/shows\/show-1\/live$/);
    c.dispose();
  });

  it('shows the server’s detail when loading fails', async () => {
    const api = fakeApi({ getMapStatus: vi.fn(async () => Promise.reject(new ApiError(404, 'not_found', 'No such show.'))) as never });
    const c = new ShowController('show-1', { api, socketFactory: socketFactory().factory });
    await c.load();
    expect(c.state.get()).toMatchObject({ loading: false, error: 'No such show.' });
  });

  it('holds a clicked seat, remembers the hold, and releases it on a second click', async () => {
    const api = fakeApi({
      createHold: vi.fn(async () => hold(['1000'])) as never,
      releaseSeat: vi.fn(async () => null) as never,
    });
    const { c, model } = await loaded(api);
    const i = model.indexOf('1000');
    c.toggleSeat(i);
    await vi.waitFor(() => expect(c.state.get().hold?.hold_id).toBe('h1'));
    expect(api.createHold).toHaveBeenCalledWith('show-1', { seat_ids: ['1000'] });
    expect(model.mine[i]).toBe(MINE_HELD);
    expect(savedHoldId('show-1')).toBe('h1');

    c.toggleSeat(i);
    await vi.waitFor(() => expect(c.state.get().hold).toBeNull());
    expect(api.releaseSeat).toHaveBeenCalledWith('h1', '1000');
    expect(model.mine[i]).toBe(MINE_NONE);
    expect(savedHoldId('show-1')).toBeNull();
    c.dispose();
  });

  it('on 409 marks the taken seats and says so', async () => {
    const api = fakeApi({
      createHold: vi.fn(async () => {
        throw new ApiError(409, 'seats_unavailable', 'Taken', { error: 'seats_unavailable', seat_ids: ['1001'] });
      }) as never,
    });
    const { c, model } = await loaded(api);
    const flashed: number[][] = [];
    c.onTaken = (s) => flashed.push(s);
    const i = model.indexOf('1001');
    c.toggleSeat(i);
    await vi.waitFor(() => expect(c.state.get().notice?.kind).toBe('taken'));
    expect(c.state.get().notice!.text).toContain('just taken');
    expect(model.statusName(i)).toBe('held');
    expect(model.mine[i]).toBe(MINE_NONE);
    expect(flashed).toEqual([[i]]);
    c.dispose();
  });

  it('tells the fan to sign in on 401', async () => {
    const api = fakeApi({ createHold: vi.fn(async () => Promise.reject(new ApiError(401, 'not_authenticated', 'Sign in.'))) as never });
    const { c, model } = await loaded(api);
    c.toggleSeat(0);
    await vi.waitFor(() => expect(c.state.get().notice?.kind).toBe('signin'));
    expect(model.mine[0]).toBe(MINE_NONE);
    c.dispose();
  });

  it.each([
    ['sale_paused', 'paused the sale'],
    ['sale_closed', 'sale for this show has closed'],
    ['show_cancelled', 'has been cancelled'],
  ])('says why on 409 %s: the organizer stopped the sale', async (code, words) => {
    const api = fakeApi({ createHold: vi.fn(async () => Promise.reject(new ApiError(409, code, 'Refused.', { error: code }))) as never });
    const { c, model } = await loaded(api);
    c.toggleSeat(0);
    await vi.waitFor(() => expect(c.state.get().notice?.kind).toBe('sale'));
    expect(c.state.get().notice!.text).toContain(words);
    expect(model.mine[0]).toBe(MINE_NONE);
    c.dispose();
  });

  it('goes to the waiting room on 403 queue_required', async () => {
    const api = fakeApi({ createHold: vi.fn(async () => Promise.reject(new ApiError(403, 'queue_required', 'Queue first.'))) as never });
    const { c } = await loaded(api);
    c.toggleSeat(0);
    await vi.waitFor(() => expect(window.location.pathname).toBe('/shows/show-1/queue'));
    c.dispose();
  });

  it('restores the hold kept in sessionStorage', async () => {
    saveHoldId('show-1', 'h1');
    const api = fakeApi({ getHold: vi.fn(async () => hold(['1002', '1003'])) as never });
    const { c, model } = await loaded(api);
    expect(c.state.get().hold?.seat_ids).toEqual(['1002', '1003']);
    expect(model.mySeatIds()).toEqual(['1002', '1003']);
    c.dispose();
  });

  it('forgets a stored hold the server no longer knows', async () => {
    saveHoldId('show-1', 'gone');
    const { c } = await loaded(fakeApi());
    expect(c.state.get().hold).toBeNull();
    expect(savedHoldId('show-1')).toBeNull();
    c.dispose();
  });

  it('releases the seats when the hold expires', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    const api = fakeApi({ createHold: vi.fn(async () => hold(['1000'], { expires_at: new Date(Date.now() + 5000).toISOString() })) as never });
    const { c, model } = await loaded(api);
    await c.holdSeats([0]);
    expect(model.mine[0]).toBe(MINE_HELD);
    vi.advanceTimersByTime(5100);
    expect(c.state.get().hold).toBeNull();
    expect(c.state.get().notice?.kind).toBe('expired');
    expect(model.mine[0]).toBe(MINE_NONE);
    c.dispose();
  });

  it('best available: asks the server and centres on what it picked', async () => {
    const api = fakeApi({ createHold: vi.fn(async () => hold(['1011', '1012'])) as never });
    const { c, model } = await loaded(api);
    const picked: number[][] = [];
    c.onPicked = (s) => picked.push(s);
    await c.bestAvailable({ count: 2, section_id: 'S1' });
    expect(api.createHold).toHaveBeenCalledWith('show-1', { best_available: { count: 2, section_id: 'S1' } });
    expect(picked).toEqual([[model.indexOf('1011'), model.indexOf('1012')]]);
    expect(c.state.get().notice?.text).toContain('2 seats');
    c.dispose();
  });

  it('does not hold a seat that is already taken', async () => {
    const api = fakeApi();
    const { c, sockets, model } = await loaded(api);
    sockets[0]!.send({ type: 'snapshot', version: 5, seats: { '1000': 'sold' } });
    c.toggleSeat(model.indexOf('1000'));
    expect(api.createHold).not.toHaveBeenCalled();
    expect(c.state.get().notice?.kind).toBe('taken');
    c.dispose();
  });
});
