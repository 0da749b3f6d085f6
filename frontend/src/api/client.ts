/**
 * The HTTP client for /api/v1 (contract: /work/shared/API.md).
 *
 * Same origin, cookie session: every request is sent with credentials 'same-origin'.
 * Every failure becomes an ApiError carrying the server's machine code and its human
 * `detail`, so pages can branch on `code` and show `detail` as is.
 */
import type {
  ApiErrorBody,
  CheckoutResponse,
  DeviceCertificate,
  GateBundle,
  Hold,
  HoldRequest,
  LoginRequest,
  MailSent,
  Order,
  PayingResponse,
  Profile,
  QueueDraw,
  QueueEntry,
  RegisterRequest,
  ScanIn,
  ScanOutcomes,
  SeatMap,
  Show,
  ShowList,
  ShowQuery,
  StatusDocument,
  TicketList,
} from './types';

export class ApiError extends Error {
  /** HTTP status; 0 when the server could not be reached at all. */
  readonly status: number;
  /** The server's machine code (`seats_unavailable`, `queue_required`, ...). */
  readonly code: string;
  /** A sentence fit to show to the fan. */
  readonly detail: string;
  readonly body: ApiErrorBody | null;
  /** Seconds from a Retry-After header (429, 503), else null. */
  readonly retryAfter: number | null;

  constructor(status: number, code: string, detail: string, body: ApiErrorBody | null = null, retryAfter: number | null = null) {
    super(detail);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.detail = detail;
    this.body = body;
    this.retryAfter = retryAfter;
  }
}

export function isApiError(e: unknown): e is ApiError {
  return e instanceof ApiError;
}

/** A message for any thrown value, preferring the server's `detail`. */
export function errorMessage(e: unknown): string {
  if (e instanceof ApiError) return e.detail;
  if (e instanceof DOMException && e.name === 'AbortError') return 'The request was cancelled.';
  if (e instanceof Error && e.message) return e.message;
  return 'Something went wrong. Please try again.';
}

const FALLBACK_DETAIL: Record<number, string> = {
  400: 'The request was not understood.',
  401: 'Please sign in first.',
  403: 'You are not allowed to do that.',
  404: 'Not found.',
  409: 'That conflicts with a change someone else just made.',
  422: 'Some of the data was not valid.',
  429: 'Too many requests. Please wait a moment and try again.',
  503: 'The service is busy. Please try again in a moment.',
};

function parseRetryAfter(value: string | null): number | null {
  if (!value) return null;
  const secs = Number(value);
  if (Number.isFinite(secs)) return Math.max(0, secs);
  const date = Date.parse(value);
  return Number.isNaN(date) ? null : Math.max(0, Math.round((date - Date.now()) / 1000));
}

async function readErrorBody(res: Response): Promise<ApiErrorBody | null> {
  const type = res.headers.get('content-type') ?? '';
  if (!type.includes('json')) return null;
  try {
    const body: unknown = await res.json();
    if (body && typeof body === 'object' && typeof (body as ApiErrorBody).error === 'string') {
      return body as ApiErrorBody;
    }
    // Litestar's own validation errors look like {status_code, detail, extra}.
    if (body && typeof body === 'object' && typeof (body as { detail?: unknown }).detail === 'string') {
      return { error: `http_${res.status}`, ...(body as object), detail: (body as { detail: string }).detail };
    }
  } catch {
    /* not JSON after all */
  }
  return null;
}

export interface RequestOptions {
  body?: unknown;
  headers?: Record<string, string>;
  signal?: AbortSignal;
  /** The answer's bytes as they are, not JSON (the seat layout). */
  binary?: boolean;
}

type FetchFn = (input: string, init?: RequestInit) => Promise<Response>;

export interface ClientOptions {
  baseUrl?: string;
  fetch?: FetchFn;
}

export function queryString(params: Record<string, string | number | boolean | undefined | null>): string {
  const qs = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined || value === null || value === '') continue;
    qs.set(key, String(value));
  }
  const s = qs.toString();
  return s ? `?${s}` : '';
}

const enc = encodeURIComponent;

export function createClient(options: ClientOptions = {}) {
  const baseUrl = options.baseUrl ?? '/api/v1';
  const doFetch: FetchFn = options.fetch ?? ((input, init) => globalThis.fetch(input, init));

  function request<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
    return send<T>(method, baseUrl + path, opts);
  }

  async function send<T>(method: string, url: string, opts: RequestOptions = {}): Promise<T> {
    const headers: Record<string, string> = { Accept: opts.binary ? 'application/octet-stream' : 'application/json', ...opts.headers };
    const init: RequestInit = { method, headers, credentials: 'same-origin' };
    if (opts.signal) init.signal = opts.signal;
    if (opts.body !== undefined) {
      headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(opts.body);
    }
    let res: Response;
    try {
      res = await doFetch(url, init);
    } catch (e) {
      if (e instanceof DOMException && e.name === 'AbortError') throw e;
      throw new ApiError(0, 'network_error', 'Could not reach the server. Check your connection and try again.');
    }
    if (!res.ok) {
      const body = await readErrorBody(res);
      const code = body?.error ?? `http_${res.status}`;
      const detail = body?.detail || FALLBACK_DETAIL[res.status] || `The server answered ${res.status}.`;
      throw new ApiError(res.status, code, detail, body, parseRetryAfter(res.headers.get('retry-after')));
    }
    if (res.status === 204) return undefined as T;
    if (opts.binary) return (await res.arrayBuffer()) as T;
    const text = await res.text();
    if (!text) return undefined as T;
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new ApiError(res.status, 'bad_response', 'The server sent an answer we could not read.');
    }
  }

  return {
    request,

    // accounts
    register: (body: RegisterRequest) => request<Profile>('POST', '/auth/register', { body }),
    login: (body: LoginRequest) => request<Profile>('POST', '/auth/login', { body }),
    logout: () => request<void>('POST', '/auth/logout'),
    me: () => request<Profile>('GET', '/auth/me'),
    /** Mail the signed-in fan a link that confirms their address (a few per hour: 429 past that). */
    sendVerificationEmail: () => request<MailSent>('POST', '/auth/verify-email/send'),
    /** The mailed link's token: confirms the address it was sent to (no session needed). */
    verifyEmail: (token: string) => request<Profile>('POST', '/auth/verify-email', { body: { token } }),

    // catalog
    listShows: (q: ShowQuery = {}, signal?: AbortSignal) =>
      request<ShowList>('GET', `/shows${queryString({ ...q })}`, signal ? { signal } : {}),
    getShow: (showId: string) => request<Show>('GET', `/shows/${enc(showId)}`),
    getMap: (showId: string) => request<SeatMap>('GET', `/shows/${enc(showId)}/map`),
    getMapStatus: (showId: string) => request<StatusDocument>('GET', `/shows/${enc(showId)}/map/status`),
    /** A venue layout at the URL a status document names (immutable: the HTTP cache keeps it). */
    getLayout: (url: string) => send<ArrayBuffer>('GET', url, { binary: true }),

    // holds
    createHold: (showId: string, body: HoldRequest) => request<Hold>('POST', `/shows/${enc(showId)}/holds`, { body }),
    getHold: (holdId: string) => request<Hold>('GET', `/holds/${enc(holdId)}`),
    /** The hold that is left, or null when that was its last seat (204). */
    releaseSeat: async (holdId: string, seatId: string) =>
      (await request<Hold | undefined>('DELETE', `/holds/${enc(holdId)}/seats/${enc(seatId)}`)) ?? null,
    releaseHold: (holdId: string) => request<void>('DELETE', `/holds/${enc(holdId)}`),

    // checkout, orders
    checkout: (showId: string, holdId: string, idempotencyKey?: string) =>
      request<CheckoutResponse>('POST', `/shows/${enc(showId)}/checkout`, {
        body: { hold_id: holdId },
        ...(idempotencyKey ? { headers: { 'Idempotency-Key': idempotencyKey } } : {}),
      }),
    getOrder: (orderId: string) => request<Order>('GET', `/orders/${enc(orderId)}`),
    /** Just before confirming the card: the hold is extended once by the payment grace. */
    orderPaying: (orderId: string) => request<PayingResponse>('POST', `/orders/${enc(orderId)}/paying`),
    /** Stripe.js confirmed the payment: the server reads it back from Stripe and settles the order now. */
    settleOrder: (orderId: string) => request<Order>('POST', `/orders/${enc(orderId)}/settle`),
    /** Cancel an unpaid order: its payment is cancelled and its seats released. */
    cancelOrder: (orderId: string) => request<void>('DELETE', `/orders/${enc(orderId)}`),

    // tickets
    myTickets: () => request<TicketList>('GET', '/profile/me/tickets'),
    /** Certify this device's key for a ticket; `move` takes it from another device (revoking that one's codes). */
    bindDevice: (ticketId: string, alg: string, publicKey: string, move = false) =>
      request<DeviceCertificate>('PUT', `/tickets/${enc(ticketId)}/device`, { body: { alg, public_key: publicKey, move } }),

    // gate scanners (a scanner account)
    gateBundle: (showId: string) => request<GateBundle>('GET', `/shows/${enc(showId)}/gate`),
    uploadScans: (showId: string, gate: string, scans: ScanIn[]) =>
      request<ScanOutcomes>('POST', '/gate/scans', { body: { show_id: showId, gate, scans } }),

    // waiting room
    joinQueue: (showId: string) => request<QueueEntry>('POST', `/shows/${enc(showId)}/queue`),
    queueMe: (showId: string) => request<QueueEntry>('GET', `/shows/${enc(showId)}/queue/me`),
    queueDraw: (showId: string) => request<QueueDraw>('GET', `/shows/${enc(showId)}/queue/draw`),
  };
}

export type ApiClient = ReturnType<typeof createClient>;

/** The app's client: same origin, /api/v1. */
export const api = createClient();

/** ws(s):// URL for an /api/v1 WebSocket path on this origin. */
export function wsUrl(path: string, loc: { protocol: string; host: string } = window.location): string {
  const scheme = loc.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${loc.host}/api/v1${path}`;
}

export const livePaths = {
  seatMap: (showId: string) => `/shows/${enc(showId)}/live`,
  queue: (showId: string) => `/shows/${enc(showId)}/queue/live`,
};
