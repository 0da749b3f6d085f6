/**
 * An in-memory stand-in for the API (contract: /work/shared/API.md), for working on the
 * SPA without the Python server: `npm run dev:mock`. Development only; never built into
 * the bundle. It also serves a tiny fake of Stripe.js (card 4000 0000 0000 0002 is
 * declined) so the checkout can be clicked through. The real backend, its Stripe
 * stand-in and the e2e tests do not use any of this.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Plugin } from 'vite';
import type { Hold, SeatMap, SeatStatus, Show, Ticket } from '../src/api/types';
import { hall, stadium } from '../test/fixtures.ts';

const HOLD_TTL_MS = 480_000;

interface Profile {
  profile_id: string;
  email: string;
  name: string;
  password: string;
}

interface ShowState {
  show: Show;
  map: SeatMap;
  status: Map<string, SeatStatus>;
  version: number;
  watchers: Set<Duplex>;
  queueWatchers: Set<Duplex>;
  queueCounter: number;
  serving: number;
  pending: Array<[string, SeatStatus]>;
}

interface OrderRec {
  order_id: string;
  show_id: string;
  profile_id: string;
  hold_id: string;
  status: 'pending_payment' | 'paid' | 'expired' | 'refunded';
  amount_cents: number;
  currency: string;
  last_payment_error: { code: string | null; decline_code: string | null; message: string | null } | null;
  tickets: Ticket[];
  expires_at: string;
}

function makeShow(id: string, title: string, venue: Show['venue'], days: number, map: SeatMap, queue = false): ShowState {
  const prices = map.sections.map((s) => s.price_cents);
  return {
    show: {
      id,
      title,
      description: `${title}: a mock show for trying the app without the server.`,
      venue,
      starts_at: new Date(Date.now() + days * 86_400_000).toISOString(),
      sale_opens_at: new Date(Date.now() - 86_400_000).toISOString(),
      status: 'on_sale',
      price_range: { min_cents: Math.min(...prices), max_cents: Math.max(...prices), currency: 'EUR' },
      seats: { total: map.seats.length, available: map.seats.length },
      queue: { enabled: queue },
    },
    map: { ...map, show_id: id },
    status: new Map(map.seats.map((s) => [s.id, 'available' as SeatStatus])),
    version: 1,
    watchers: new Set(),
    queueWatchers: new Set(),
    queueCounter: 0,
    serving: 0,
    pending: [],
  };
}

function bigHall(): SeatMap {
  const m = hall(20, 30, 5);
  m.sections.forEach((s, k) => (s.name = ['Front stalls', 'Stalls', 'Rear stalls', 'Balcony'][k] ?? s.name));
  return m;
}

export function mockApi(): Plugin {
  const profiles = new Map<string, Profile>();
  const sessions = new Map<string, string>();
  const holds = new Map<string, Hold & { profile_id: string }>();
  const orders = new Map<string, OrderRec>();
  const shows = new Map<string, ShowState>();
  const add = (s: ShowState) => shows.set(s.show.id, s);
  add(makeShow('jazz-berlin', 'Late Night Jazz', { id: 'v1', name: 'Kammersaal', city: 'Berlin', lat: 52.52, lng: 13.405 }, 3, bigHall()));
  add(makeShow('stadium-rock', 'Stadium Rock 2030', { id: 'v2', name: 'Olympiastadion', city: 'Berlin', lat: 52.5147, lng: 13.2395 }, 10, stadium(50_000)));
  add(makeShow('flash-sale', 'Flash Sale Finale', { id: 'v3', name: 'Elbphilharmonie', city: 'Hamburg', lat: 53.5413, lng: 9.9841 }, 20, hall(10, 20, 5), true));
  add(makeShow('munich-opera', 'Opera Gala', { id: 'v4', name: 'Nationaltheater', city: 'Munich', lat: 48.1394, lng: 11.5786 }, 30, hall(12, 16, 4)));

  // ---- tiny WebSocket server side (text frames out, close frames in) ----
  const frame = (text: string) => {
    const payload = Buffer.from(text);
    const n = payload.length;
    const head = n < 126 ? Buffer.from([0x81, n]) : n < 65536 ? Buffer.from([0x81, 126, n >> 8, n & 255]) : Buffer.concat([Buffer.from([0x81, 127]), (() => { const b = Buffer.alloc(8); b.writeBigUInt64BE(BigInt(n)); return b; })()]);
    return Buffer.concat([head, payload]);
  };
  const send = (sock: Duplex, msg: unknown) => {
    if (!sock.destroyed) sock.write(frame(JSON.stringify(msg)));
  };
  const accept = (req: IncomingMessage, sock: Duplex, set: Set<Duplex>) => {
    const key = req.headers['sec-websocket-key'];
    const acceptKey = createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
    sock.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${acceptKey}\r\n\r\n`);
    set.add(sock);
    sock.on('data', (buf: Buffer) => {
      if ((buf[0]! & 0x0f) === 0x8) sock.end();
    });
    sock.on('close', () => set.delete(sock));
    sock.on('error', () => set.delete(sock));
  };

  const change = (st: ShowState, seatId: string, status: SeatStatus) => {
    st.status.set(seatId, status);
    st.pending.push([seatId, status]);
  };
  // Coalesce changes per show every 100 ms, like the server does.
  setInterval(() => {
    for (const st of shows.values()) {
      if (!st.pending.length) continue;
      const changes = st.pending;
      st.pending = [];
      const from = st.version++;
      const msg = { type: 'diff', from_version: from, version: st.version, changes };
      for (const w of st.watchers) send(w, msg);
      st.show.seats.available = [...st.status.values()].filter((s) => s === 'available').length;
    }
  }, 100).unref();
  // Other fans: random holds and releases on the stadium, to watch live updates.
  setInterval(() => {
    const st = shows.get('stadium-rock')!;
    const seats = st.map.seats;
    for (let k = 0; k < 40; k++) {
      const s = seats[Math.floor(Math.random() * seats.length)]!;
      if ([...holds.values()].some((h) => h.seat_ids.includes(s.id))) continue;
      const cur = st.status.get(s.id);
      if (cur === 'available') change(st, s.id, Math.random() < 0.7 ? 'held' : 'sold');
      else if (cur === 'held') change(st, s.id, 'available');
    }
  }, 700).unref();
  // Hold expiry and the waiting room's line.
  setInterval(() => {
    const now = Date.now();
    for (const [id, h] of holds) {
      if (Date.parse(h.expires_at) <= now) {
        holds.delete(id);
        const st = shows.get(h.show_id)!;
        for (const s of h.seat_ids) if (st.status.get(s) === 'held') change(st, s, 'available');
      }
    }
    for (const st of shows.values()) {
      if (!st.show.queue.enabled) continue;
      if (st.serving < st.queueCounter) st.serving++;
      for (const w of st.queueWatchers) send(w, { type: 'queue', serving: st.serving, waiting: st.queueCounter - st.serving, rate_per_s: 0.5 });
    }
  }, 2000).unref();

  // ---- HTTP ----
  const json = (res: ServerResponse, status: number, body?: unknown, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(body === undefined ? undefined : JSON.stringify(body));
  };
  const fail = (res: ServerResponse, status: number, error: string, detail: string, extra: object = {}) => json(res, status, { error, detail, ...extra });
  const readBody = (req: IncomingMessage) =>
    new Promise<Record<string, unknown>>((resolve) => {
      let data = '';
      req.on('data', (c) => (data += c));
      req.on('end', () => {
        try {
          resolve(data ? JSON.parse(data) : {});
        } catch {
          resolve({});
        }
      });
    });
  const who = (req: IncomingMessage): Profile | null => {
    const m = /(?:^|;\s*)session=([^;]+)/.exec(req.headers.cookie ?? '');
    const pid = m ? sessions.get(m[1]!) : undefined;
    return pid ? ([...profiles.values()].find((p) => p.profile_id === pid) ?? null) : null;
  };
  const login = (res: ServerResponse, p: Profile, status: number) => {
    const token = randomUUID();
    sessions.set(token, p.profile_id);
    json(res, status, { profile_id: p.profile_id, email: p.email, name: p.name }, { 'set-cookie': `session=${token}; Path=/; HttpOnly; SameSite=Lax` });
  };
  const holdView = (h: Hold & { profile_id: string }): Hold => {
    const { profile_id: _p, ...rest } = h;
    return rest;
  };
  const priceOf = (st: ShowState, seatId: string) => {
    const seat = st.map.seats.find((s) => s.id === seatId)!;
    return st.map.sections.find((s) => s.id === seat.section_id)!.price_cents;
  };
  const admitted = (st: ShowState, p: Profile) => {
    if (!st.show.queue.enabled) return true;
    const n = queueNumbers.get(`${st.show.id}:${p.profile_id}`);
    return n !== undefined && n <= st.serving;
  };
  const queueNumbers = new Map<string, number>();
  const queueEntry = (st: ShowState, p: Profile) => {
    const number = queueNumbers.get(`${st.show.id}:${p.profile_id}`)!;
    const position = Math.max(0, number - st.serving);
    return { queue_id: `${st.show.id}:${p.profile_id}`, number, position, admitted: number <= st.serving, admitted_until: number <= st.serving ? new Date(Date.now() + 600_000).toISOString() : null, estimated_wait_s: position * 2 };
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    const url = new URL(req.url ?? '/', 'http://mock');
    const path = url.pathname;
    const method = req.method ?? 'GET';
    let m: RegExpExecArray | null;

    if (path === '/mock/stripe.js') {
      res.writeHead(200, { 'content-type': 'text/javascript' });
      res.end(FAKE_STRIPE_JS);
      return true;
    }
    if (path === '/mock/card-frame.html') {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(CARD_FRAME_HTML);
      return true;
    }
    if (path === '/mock/pay' && method === 'POST') {
      const body = await readBody(req);
      const order = [...orders.values()].find((o) => `secret_${o.order_id}` === body.client_secret);
      if (!order) return fail(res, 404, 'not_found', 'No such payment'), true;
      if (body.last4 === '0002') {
        order.last_payment_error = { code: 'card_declined', decline_code: 'generic_decline', message: 'Your card was declined.' };
        return json(res, 200, { error: 'Your card was declined.' }), true;
      }
      order.last_payment_error = null;
      setTimeout(() => {
        // The "webhook": tickets, seats sold.
        const st = shows.get(order.show_id)!;
        const h = holds.get(order.hold_id);
        const seatIds = h?.seat_ids ?? [];
        holds.delete(order.hold_id);
        order.status = 'paid';
        order.tickets = seatIds.map((sid) => {
          const seat = st.map.seats.find((s) => s.id === sid)!;
          const sec = st.map.sections.find((s) => s.id === seat.section_id)!;
          change(st, sid, 'sold');
          return {
            ticket_id: randomUUID(),
            order_id: order.order_id,
            show: { id: st.show.id, title: st.show.title, starts_at: st.show.starts_at, venue: { name: st.show.venue.name, city: st.show.venue.city } },
            seat: { id: sid, section: sec.name, row: seat.row, number: seat.number },
            price_cents: sec.price_cents,
            currency: 'EUR',
            issued_at: new Date().toISOString(),
            code: `TIX1.${Buffer.from(`${order.order_id}:${sid}`).toString('base64url')}.sig`,
          };
        });
      }, 1200);
      return json(res, 200, { id: `pi_${order.order_id}` }), true;
    }

    if (!path.startsWith('/api/v1/')) return false;
    const me = who(req);
    const p = path.slice('/api/v1'.length);

    if (p === '/auth/register' && method === 'POST') {
      const b = await readBody(req);
      const email = String(b.email ?? '').toLowerCase();
      if (!email.includes('@')) return fail(res, 422, 'invalid_email', 'Please enter a valid email address.'), true;
      if (String(b.password ?? '').length < 8) return fail(res, 422, 'weak_password', 'Use at least 8 characters for your password.'), true;
      if (profiles.has(email)) return fail(res, 409, 'email_taken', 'An account with this email exists.'), true;
      const prof = { profile_id: randomUUID(), email, name: String(b.name ?? ''), password: String(b.password) };
      profiles.set(email, prof);
      return login(res, prof, 201), true;
    }
    if (p === '/auth/login' && method === 'POST') {
      const b = await readBody(req);
      const prof = profiles.get(String(b.email ?? '').toLowerCase());
      if (!prof || prof.password !== b.password) return fail(res, 401, 'invalid_credentials', 'Wrong email or password.'), true;
      return login(res, prof, 200), true;
    }
    if (p === '/auth/logout' && method === 'POST') {
      res.writeHead(204, { 'set-cookie': 'session=; Path=/; Max-Age=0' });
      res.end();
      return true;
    }
    if (p === '/auth/me') return me ? json(res, 200, { profile_id: me.profile_id, email: me.email, name: me.name }) : fail(res, 401, 'not_authenticated', 'Please sign in.'), true;

    if (p === '/shows' && method === 'GET') {
      const q = (url.searchParams.get('q') ?? '').toLowerCase();
      const near = url.searchParams.get('near');
      const radius = Number(url.searchParams.get('radius_km') ?? 50);
      let items = [...shows.values()].map((s) => s.show);
      if (q) items = items.filter((s) => `${s.title} ${s.venue.name} ${s.venue.city}`.toLowerCase().includes(q));
      const from = url.searchParams.get('from');
      const to = url.searchParams.get('to');
      if (from) items = items.filter((s) => s.starts_at >= from);
      if (to) items = items.filter((s) => s.starts_at <= to);
      if (near) {
        const [lat, lng] = near.split(',').map(Number) as [number, number];
        const dist = (s: Show) => Math.hypot((s.venue.lat - lat) * 111, (s.venue.lng - lng) * 111 * Math.cos((lat * Math.PI) / 180));
        items = items.filter((s) => dist(s) <= radius).sort((a, b) => dist(a) - dist(b));
      } else items.sort((a, b) => a.starts_at.localeCompare(b.starts_at));
      await new Promise((r) => setTimeout(r, 150));
      return json(res, 200, { items, next_cursor: null }), true;
    }
    if ((m = /^\/shows\/([^/]+)$/.exec(p))) {
      const st = shows.get(decodeURIComponent(m[1]!));
      return st ? json(res, 200, st.show) : fail(res, 404, 'not_found', 'There is no such show.'), true;
    }
    if ((m = /^\/shows\/([^/]+)\/map$/.exec(p))) {
      const st = shows.get(decodeURIComponent(m[1]!));
      if (!st) return fail(res, 404, 'not_found', 'There is no such show.'), true;
      return json(res, 200, { ...st.map, version: st.version, seats: st.map.seats.map((s) => ({ ...s, status: st.status.get(s.id) })) }), true;
    }
    if ((m = /^\/shows\/([^/]+)\/holds$/.exec(p)) && method === 'POST') {
      const st = shows.get(decodeURIComponent(m[1]!));
      if (!st) return fail(res, 404, 'not_found', 'There is no such show.'), true;
      if (!me) return fail(res, 401, 'not_authenticated', 'Please sign in to hold seats.'), true;
      if (!admitted(st, me)) return fail(res, 403, 'queue_required', 'This show has a waiting room.'), true;
      const b = await readBody(req);
      let wanted: string[] = [];
      if (Array.isArray(b.seat_ids)) wanted = b.seat_ids.map(String);
      else if (b.best_available && typeof b.best_available === 'object') {
        const ba = b.best_available as { count?: number; section_id?: string; accessible?: boolean };
        const count = Number(ba.count ?? 1);
        const rows = new Map<string, string[]>();
        for (const s of st.map.seats) {
          if (ba.section_id && s.section_id !== ba.section_id) continue;
          if (ba.accessible && !s.accessible) continue;
          const key = `${s.section_id}/${s.row}`;
          if (!rows.has(key)) rows.set(key, []);
          rows.get(key)!.push(s.id);
        }
        outer: for (const ids of rows.values()) {
          for (let k = 0; k + count <= ids.length; k++) {
            const run = ids.slice(k, k + count);
            if (run.every((id) => st.status.get(id) === 'available')) {
              wanted = run;
              break outer;
            }
          }
        }
        if (!wanted.length) return fail(res, 409, 'seats_unavailable', 'No block of seats like that is free any more.', { seat_ids: [] }), true;
      }
      if (!wanted.length || wanted.length > 8) return fail(res, 422, 'too_many_seats', 'Pick between 1 and 8 seats.'), true;
      const existing = [...holds.values()].find((h) => h.show_id === st.show.id && h.profile_id === me.profile_id);
      if (existing && existing.seat_ids.length + wanted.length > 8) return fail(res, 422, 'too_many_seats', 'You can hold at most 8 seats per order.'), true;
      const taken = wanted.filter((id) => st.status.get(id) !== 'available');
      if (taken.length) return fail(res, 409, 'seats_unavailable', 'Some of those seats were just taken.', { seat_ids: taken }), true;
      await new Promise((r) => setTimeout(r, 120));
      for (const id of wanted) change(st, id, 'held');
      const h = existing ?? { hold_id: randomUUID(), show_id: st.show.id, profile_id: me.profile_id, seat_ids: [], expires_at: new Date(Date.now() + HOLD_TTL_MS).toISOString(), amount_cents: 0, currency: 'EUR' };
      h.seat_ids = [...h.seat_ids, ...wanted];
      h.amount_cents = h.seat_ids.reduce((n, id) => n + priceOf(st, id), 0);
      holds.set(h.hold_id, h);
      return json(res, 201, holdView(h)), true;
    }
    if ((m = /^\/holds\/([^/]+)$/.exec(p))) {
      const h = holds.get(decodeURIComponent(m[1]!));
      if (!h || !me || h.profile_id !== me.profile_id) return fail(res, 404, 'not_found', 'No such hold.'), true;
      if (method === 'DELETE') {
        holds.delete(h.hold_id);
        const st = shows.get(h.show_id)!;
        for (const s of h.seat_ids) change(st, s, 'available');
        res.writeHead(204).end();
        return true;
      }
      return json(res, 200, holdView(h)), true;
    }
    if ((m = /^\/holds\/([^/]+)\/seats\/([^/]+)$/.exec(p)) && method === 'DELETE') {
      const h = holds.get(decodeURIComponent(m[1]!));
      const seat = decodeURIComponent(m[2]!);
      if (!h || !me || h.profile_id !== me.profile_id) return fail(res, 404, 'not_found', 'No such hold.'), true;
      const st = shows.get(h.show_id)!;
      h.seat_ids = h.seat_ids.filter((s) => s !== seat);
      change(st, seat, 'available');
      if (!h.seat_ids.length) {
        holds.delete(h.hold_id);
        res.writeHead(204).end();
        return true;
      }
      h.amount_cents = h.seat_ids.reduce((n, id) => n + priceOf(st, id), 0);
      return json(res, 200, holdView(h)), true;
    }
    if ((m = /^\/shows\/([^/]+)\/checkout$/.exec(p)) && method === 'POST') {
      if (!me) return fail(res, 401, 'not_authenticated', 'Please sign in.'), true;
      const b = await readBody(req);
      const h = holds.get(String(b.hold_id));
      if (!h || h.profile_id !== me.profile_id) return fail(res, 404, 'not_found', 'Your hold has expired.'), true;
      let order = [...orders.values()].find((o) => o.hold_id === h.hold_id);
      if (!order) {
        order = { order_id: randomUUID(), show_id: h.show_id, profile_id: me.profile_id, hold_id: h.hold_id, status: 'pending_payment', amount_cents: h.amount_cents, currency: 'EUR', last_payment_error: null, tickets: [], expires_at: h.expires_at };
        orders.set(order.order_id, order);
      }
      return json(res, 201, { order_id: order.order_id, status: order.status, amount_cents: order.amount_cents, currency: order.currency, expires_at: order.expires_at, payment: { provider: 'stripe', client_secret: `secret_${order.order_id}`, publishable_key: 'pk_test_mock', js_url: '/mock/stripe.js' } }), true;
    }
    if ((m = /^\/orders\/([^/]+)$/.exec(p))) {
      const o = orders.get(decodeURIComponent(m[1]!));
      if (!o || !me || o.profile_id !== me.profile_id) return fail(res, 404, 'not_found', 'No such order.'), true;
      const { profile_id: _p, hold_id: _h, expires_at: _e, ...view } = o;
      return json(res, 200, view), true;
    }
    if (p === '/profile/me/tickets') {
      if (!me) return fail(res, 401, 'not_authenticated', 'Please sign in.'), true;
      return json(res, 200, { items: [...orders.values()].filter((o) => o.profile_id === me.profile_id).flatMap((o) => o.tickets) }), true;
    }
    if ((m = /^\/shows\/([^/]+)\/queue(\/me)?$/.exec(p))) {
      const st = shows.get(decodeURIComponent(m[1]!));
      if (!st) return fail(res, 404, 'not_found', 'There is no such show.'), true;
      if (!me) return fail(res, 401, 'not_authenticated', 'Please sign in.'), true;
      const key = `${st.show.id}:${me.profile_id}`;
      if (method === 'POST' && !queueNumbers.has(key)) {
        // Pretend a crowd joined just before us.
        st.queueCounter += 12;
        queueNumbers.set(key, ++st.queueCounter);
        return json(res, 201, queueEntry(st, me)), true;
      }
      if (!queueNumbers.has(key)) return fail(res, 404, 'not_in_queue', 'You are not in the line.'), true;
      return json(res, 200, queueEntry(st, me)), true;
    }
    return fail(res, 404, 'not_found', `No mock for ${method} ${path}`), true;
  }

  type Middlewares = { use: (fn: (req: IncomingMessage, res: ServerResponse, next: () => void) => void) => void };
  const install = (middlewares: Middlewares, httpServer: { on: (ev: 'upgrade', fn: (req: IncomingMessage, sock: Duplex) => void) => void } | null) => {
    middlewares.use((req, res, next) => {
      handle(req, res)
        .then((done) => (done ? undefined : next()))
        .catch((e) => {
          res.statusCode = 500;
          res.end(String(e));
        });
    });
    httpServer?.on('upgrade', (req: IncomingMessage, sock: Duplex) => {
      const path = new URL(req.url ?? '/', 'http://mock').pathname;
      let m: RegExpExecArray | null;
      if ((m = /^\/api\/v1\/shows\/([^/]+)\/live$/.exec(path))) {
        const st = shows.get(decodeURIComponent(m[1]!));
        if (!st) return sock.destroy();
        accept(req, sock, st.watchers);
        const seats: Record<string, string> = {};
        for (const [id, s] of st.status) if (s !== 'available') seats[id] = s;
        send(sock, { type: 'snapshot', version: st.version, seats });
      } else if ((m = /^\/api\/v1\/shows\/([^/]+)\/queue\/live$/.exec(path))) {
        const st = shows.get(decodeURIComponent(m[1]!));
        if (!st) return sock.destroy();
        accept(req, sock, st.queueWatchers);
        send(sock, { type: 'queue', serving: st.serving, waiting: st.queueCounter - st.serving, rate_per_s: 0.5 });
      }
    });
  };

  return {
    name: 'ticketing-mock-api',
    configureServer(server) {
      install(server.middlewares, server.httpServer);
    },
    // `vite preview --mode mock`: the built bundle under the server's Content-Security-Policy
    // (backend/middleware.py), to catch anything the CSP would block.
    configurePreviewServer(server) {
      server.middlewares.use((req, res, next) => {
        // (not on the fake Stripe's own files, which stand in for another origin)
        if (!req.url?.startsWith('/mock/')) res.setHeader(
          'Content-Security-Policy',
          "default-src 'self'; script-src 'self'; frame-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data: blob:; " +
            "style-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'self'",
        );
        next();
      });
      install(server.middlewares, server.httpServer);
    },
  };
}

const FAKE_STRIPE_JS = `
window.Stripe = function (publishableKey) {
  return {
    elements: function (opts) {
      var els = { clientSecret: opts.clientSecret, frame: null };
      els.create = function () {
        var handlers = {};
        return {
          mount: function (el) {
            var f = document.createElement('iframe');
            f.src = '/mock/card-frame.html';
            f.title = 'Secure card payment input frame';
            f.style.width = '100%';
            f.style.height = '96px';
            f.style.border = '0';
            f.addEventListener('load', function () { handlers.ready && handlers.ready({}); });
            el.appendChild(f);
            els.frame = f;
          },
          on: function (name, cb) { handlers[name] = cb; },
          destroy: function () { els.frame && els.frame.remove(); }
        };
      };
      return els;
    },
    confirmPayment: function (args) {
      var input = args.elements.frame.contentDocument.querySelector('input');
      var digits = (input.value || '').replace(/\\D/g, '');
      if (digits.length < 12) return Promise.resolve({ error: { type: 'validation_error', message: 'Your card number is incomplete.' } });
      return fetch('/mock/pay', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ client_secret: args.elements.clientSecret, last4: digits.slice(-4) }) })
        .then(function (r) { return r.json(); })
        .then(function (j) { return j.error ? { error: { type: 'card_error', message: j.error } } : { paymentIntent: { id: j.id, status: 'succeeded' } }; });
    }
  };
};
`;

const CARD_FRAME_HTML = `<!doctype html><html><body style="margin:0;font-family:system-ui,sans-serif">
<label style="display:block;font-size:14px;font-weight:600;margin-bottom:4px">Card number (mock)
<input name="cardnumber" autocomplete="off" placeholder="4242 4242 4242 4242" style="display:block;width:100%;box-sizing:border-box;font:inherit;padding:8px;border:1px solid #9ca3af;border-radius:8px;margin-top:4px"></label>
<small style="color:#4b5563">Mock Stripe: 4000 0000 0000 0002 is declined.</small></body></html>`;
