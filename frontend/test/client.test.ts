import { describe, expect, it, vi } from 'vitest';
import { ApiError, createClient, errorMessage, queryString, wsUrl } from '../src/api/client';

function json(status: number, body: unknown, headers: Record<string, string> = {}) {
  return new Response(body === undefined ? null : JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json', ...headers },
  });
}

function clientWith(respond: (url: string, init: RequestInit) => Response | Promise<Response>) {
  const fetch = vi.fn(async (url: string, init?: RequestInit) => respond(url, init ?? {}));
  return { api: createClient({ baseUrl: '/api/v1', fetch }), fetch };
}

async function caught(p: Promise<unknown>): Promise<ApiError> {
  try {
    await p;
  } catch (e) {
    return e as ApiError;
  }
  throw new Error('expected a rejection');
}

describe('API client', () => {
  it('sends JSON with the same-origin cookie and parses the answer', async () => {
    const { api, fetch } = clientWith(() => json(201, { hold_id: 'h1', seat_ids: ['a'] }));
    const hold = await api.createHold('show 1', { seat_ids: ['a'] });
    expect(hold.hold_id).toBe('h1');
    const [url, init] = fetch.mock.calls[0]!;
    expect(url).toBe('/api/v1/shows/show%201/holds');
    expect(init!.method).toBe('POST');
    expect(init!.credentials).toBe('same-origin');
    expect((init!.headers as Record<string, string>)['Content-Type']).toBe('application/json');
    expect(JSON.parse(init!.body as string)).toEqual({ seat_ids: ['a'] });
  });

  it('turns an error body into an ApiError with code, detail and extras', async () => {
    const { api } = clientWith(() => json(409, { error: 'seats_unavailable', detail: 'Seat A-1 was just taken.', seat_ids: ['A-1'] }));
    const e = await caught(api.createHold('s', { seat_ids: ['A-1'] }));
    expect(e).toBeInstanceOf(ApiError);
    expect(e.status).toBe(409);
    expect(e.code).toBe('seats_unavailable');
    expect(e.detail).toBe('Seat A-1 was just taken.');
    expect(e.body?.seat_ids).toEqual(['A-1']);
    expect(errorMessage(e)).toBe('Seat A-1 was just taken.');
  });

  it('falls back to a readable message when the body is not our JSON', async () => {
    const { api } = clientWith(() => new Response('<html>Bad gateway</html>', { status: 502, headers: { 'content-type': 'text/html' } }));
    const e = await caught(api.getShow('s'));
    expect(e.code).toBe('http_502');
    expect(e.detail).toBe('The server answered 502.');

    const { api: api2 } = clientWith(() => json(401, { status_code: 401, detail: 'Not signed in' }));
    const e2 = await caught(api2.me());
    expect(e2.status).toBe(401);
    expect(e2.detail).toBe('Not signed in');

    const { api: api3 } = clientWith(() => json(404, {}));
    expect((await caught(api3.getOrder('o'))).detail).toBe('Not found.');
  });

  it('reads Retry-After on 429 and 503', async () => {
    const { api } = clientWith(() => json(429, { error: 'rate_limited', detail: 'Slow down.' }, { 'retry-after': '7' }));
    const e = await caught(api.listShows());
    expect(e.retryAfter).toBe(7);
  });

  it('reports a network failure as status 0', async () => {
    const { api } = clientWith(() => {
      throw new TypeError('Failed to fetch');
    });
    const e = await caught(api.getMap('s'));
    expect(e.status).toBe(0);
    expect(e.code).toBe('network_error');
  });

  it('rethrows an abort as is', async () => {
    const { api } = clientWith(() => {
      throw new DOMException('aborted', 'AbortError');
    });
    await expect(api.listShows()).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('handles 204 and the hold-release answers', async () => {
    const { api } = clientWith((url) => (url.endsWith('/seats/b') ? new Response(null, { status: 204 }) : json(200, { hold_id: 'h', seat_ids: ['b'] })));
    expect(await api.releaseSeat('h', 'a')).toEqual({ hold_id: 'h', seat_ids: ['b'] });
    expect(await api.releaseSeat('h', 'b')).toBeNull();
  });

  it('fails clearly on an unreadable success body', async () => {
    const { api } = clientWith(() => new Response('{oops', { status: 200 }));
    expect((await caught(api.getShow('s'))).code).toBe('bad_response');
  });

  it('sends the Idempotency-Key on checkout', async () => {
    const { api, fetch } = clientWith(() => json(201, { order_id: 'o1' }));
    await api.checkout('s1', 'h1', 'checkout-h1');
    const [url, init] = fetch.mock.calls[0]!;
    expect(url).toBe('/api/v1/shows/s1/checkout');
    expect((init!.headers as Record<string, string>)['Idempotency-Key']).toBe('checkout-h1');
    expect(JSON.parse(init!.body as string)).toEqual({ hold_id: 'h1' });
  });

  it('builds search query strings, skipping empty values', async () => {
    expect(queryString({ q: 'rock', near: '', limit: 10, cursor: undefined })).toBe('?q=rock&limit=10');
    expect(queryString({})).toBe('');
    const { api, fetch } = clientWith(() => json(200, { items: [], next_cursor: null }));
    await api.listShows({ q: 'a b', near: '52.5,13.4', radius_km: 25 });
    expect(fetch.mock.calls[0]![0]).toBe('/api/v1/shows?q=a+b&near=52.5%2C13.4&radius_km=25');
  });

  it('builds WebSocket URLs on this origin', () => {
    expect(wsUrl('/shows/1/live', { protocol: 'https:', host: 'tix.example' })).toBe('wss://tix.example/api/v1/shows/1/live');
    expect(wsUrl('/shows/1/live', { protocol: 'http:', host: '127.0.0.1:5173' })).toBe('ws://127.0.0.1:5173/api/v1/shows/1/live');
  });
});
