/**
 * Every API type the SPA uses, in one module.
 *
 * Written against /work/shared/API.md (contract v1) until the backend writes
 * ../var/openapi.json; then `npm run gen:api` generates src/api/schema.d.ts and the
 * declarations below become aliases into it, e.g.
 *   export type Show = components['schemas']['Show'];
 * No other module declares an API shape: they all import from here.
 */

// ---------- common ----------

/** `{error, detail, ...extra}` as every error response carries it. */
export interface ApiErrorBody {
  error: string;
  detail?: string;
  /** On 409 seats_unavailable: the seats somebody else took first. */
  seat_ids?: string[];
  [extra: string]: unknown;
}

// ---------- accounts ----------

export interface Profile {
  profile_id: string;
  email: string;
  name: string;
}

export interface RegisterRequest {
  email: string;
  password: string;
  name: string;
}

export interface LoginRequest {
  email: string;
  password: string;
}

// ---------- catalog ----------

export interface Venue {
  id: string;
  name: string;
  city: string;
  lat: number;
  lng: number;
}

export type ShowStatus = 'scheduled' | 'on_sale' | 'sold_out' | 'ended';

export interface Show {
  id: string;
  title: string;
  description: string;
  venue: Venue;
  starts_at: string;
  sale_opens_at: string;
  status: ShowStatus;
  price_range: { min_cents: number; max_cents: number; currency: string };
  seats: { total: number; available: number };
  queue: { enabled: boolean };
}

export interface ShowList {
  items: Show[];
  next_cursor: string | null;
}

export interface ShowQuery {
  q?: string;
  /** "LAT,LNG" */
  near?: string;
  radius_km?: number;
  /** RFC 3339 */
  from?: string;
  /** RFC 3339 */
  to?: string;
  limit?: number;
  cursor?: string;
}

// ---------- seat map ----------

export type SeatStatus = 'available' | 'held' | 'sold';

export interface Section {
  id: string;
  name: string;
  price_cents: number;
}

export interface MapSeat {
  id: string;
  section_id: string;
  row: string;
  number: number | string;
  x: number;
  y: number;
  accessible: boolean;
  status: SeatStatus;
}

export interface SeatMap {
  show_id: string;
  version: number;
  currency: string;
  sections: Section[];
  seats: MapSeat[];
}

/** First message on WS /api/v1/shows/{id}/live. Seats not listed are available. */
export interface LiveSnapshot {
  type: 'snapshot';
  version: number;
  seats: Record<string, 'held' | 'sold'>;
}

/** Every later message: `from_version` is the previous message's `version`. */
export interface LiveDiff {
  type: 'diff';
  from_version: number;
  version: number;
  changes: Array<[string, SeatStatus]>;
}

export type LiveMessage = LiveSnapshot | LiveDiff;

// ---------- holds ----------

export interface Hold {
  hold_id: string;
  show_id: string;
  seat_ids: string[];
  expires_at: string;
  amount_cents: number;
  currency: string;
}

export interface BestAvailable {
  count: number;
  section_id?: string;
  accessible?: boolean;
}

export type HoldRequest = { seat_ids: string[] } | { best_available: BestAvailable };

// ---------- checkout, orders ----------

export interface PaymentInfo {
  provider: 'stripe';
  client_secret: string;
  publishable_key: string;
  /** Where Stripe.js (or the offline stand-in's compatible script) is loaded from. */
  js_url: string;
}

export type OrderStatus = 'pending_payment' | 'paid' | 'expired' | 'refunded';

export interface CheckoutResponse {
  order_id: string;
  status: OrderStatus;
  amount_cents: number;
  currency: string;
  expires_at: string;
  payment: PaymentInfo;
}

export interface Order {
  order_id: string;
  show_id: string;
  status: OrderStatus;
  amount_cents: number;
  currency: string;
  last_payment_error: string | null;
  tickets: Ticket[];
}

// ---------- tickets ----------

export interface Ticket {
  ticket_id: string;
  order_id: string;
  show: { id: string; title: string; starts_at: string; venue: { name: string; city: string } };
  seat: { id: string; section: string; row: string; number: number | string };
  price_cents: number;
  currency: string;
  issued_at: string;
  /** The signed payload the ticket's QR code carries. */
  code: string;
}

export interface TicketList {
  items: Ticket[];
}

// ---------- waiting room ----------

export interface QueueEntry {
  queue_id: string;
  number: number;
  position: number;
  admitted: boolean;
  admitted_until: string | null;
  estimated_wait_s: number;
}

/** Broadcast on WS /api/v1/shows/{id}/queue/live. */
export interface QueueBroadcast {
  type: 'queue';
  serving: number;
  waiting: number;
  rate_per_s: number;
}
