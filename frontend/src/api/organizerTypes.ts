/**
 * The organizer API's shapes (API.md, "Organizers"), WRITTEN BY HAND: the routes are being built on other branches,
 * so the OpenAPI document that `just openapi` turns into schema.d.ts does not have them yet. Once it does, each of
 * these becomes an alias into schema.d.ts like those in types.ts; until then `Matches` below checks, for every
 * shape the generated document already names, that the hand-written one agrees with it (so the day the generated
 * types arrive, a difference fails `just typecheck` instead of a page).
 *
 * Shapes marked "extension" are not in API.md: the pages need them, and they extend the contract compatibly.
 * They are listed in the organizer work's report for the backend to build:
 * - GET /api/v1/organizer/shows → {items: [OrganizerShow]}: the organization's shows (the public list has everyone's).
 * - GET /api/v1/organizer/shows/{show_id} → OrganizerShow: what the edit form starts from and the cockpit shows.
 * - OrganizerShow carries what it was created with: `venue_id`, `currency`, `prices`, `max_seats_per_order` and the
 *   waiting room's `capacity` and `outflow_per_minute`, besides the public shape and `sale`.
 * - GET /api/v1/organizer/orders/{order_id} → OrganizerOrder: the order an organizer is about to refund, with its
 *   tickets (seats), any fan's, inside the organization.
 */
import type { components } from './schema';
import type { ApiErrorBody, Order, Show, Ticket } from './types';

type S = components['schemas'];

// ---------- venues (built on branch `seating`) ----------

/** POST /organizer/venues → 201 (new) or 200 (the same plan imported before). */
export interface VenueImported {
  venue_id: string;
  layout_hash: string;
  seats: number;
  categories: string[];
}

/** GET /organizer/venues → {items: [OrganizerVenue]}. */
export interface OrganizerVenue extends VenueImported {
  name: string;
  city: string;
  lat: number;
  lng: number;
}

export interface OrganizerVenueList {
  items: OrganizerVenue[];
}

/** The venue's own fields of an import; the plan goes beside them as the file's own text. */
export interface VenueFields {
  name: string;
  city: string;
  lat: number;
  lng: number;
}

/** `?format=` of GET /organizer/venues/{id}/seating-plan: the project's own (default) or pretix's. */
export type PlanFormat = 'showtime' | 'pretix';

/** 422 for a bad plan: `pointer` is an RFC 6901 JSON pointer into the request body (so it starts /seating_plan). */
export interface InvalidPlanBody extends ApiErrorBody {
  error: 'invalid_seating_plan' | 'invalid';
  pointer?: string;
}

// ---------- shows ----------

export type SaleState = 'scheduled' | 'open' | 'paused' | 'closed';
export type SaleAction = 'pause' | 'resume' | 'close';

export interface CategoryPrice {
  category: string;
  price_cents: number;
}

export interface QueueSettings {
  enabled: boolean;
  capacity?: number | null;
  outflow_per_minute?: number | null;
}

/** POST /organizer/shows. */
export interface ShowCreate {
  venue_id: string;
  title: string;
  description: string;
  starts_at: string;
  sale_opens_at: string;
  currency: string;
  prices: CategoryPrice[];
  max_seats_per_order?: number;
  queue: QueueSettings;
}

/** PATCH /organizer/shows/{id}: any of the fields above. */
export type ShowPatch = Partial<ShowCreate>;

/**
 * 201/200 of POST/PATCH: the public Show plus `sale`. A cancelled show's status is `cancelled`. The fields after
 * `sale` are the extension the edit form needs; the pages cope without them (optional here).
 */
export type OrganizerShow = Omit<Show, 'status' | 'queue'> & {
  status: Show['status'] | 'cancelled';
  sale: SaleState;
  queue: QueueSettings;
  venue_id?: string;
  currency?: string;
  prices?: CategoryPrice[];
  max_seats_per_order?: number;
};

export interface OrganizerShowList {
  items: OrganizerShow[];
}

/** 409 show_has_sales / 422 missing_price name what they refuse. */
export interface ShowErrorBody extends ApiErrorBody {
  category?: string;
  field?: string;
}

// ---------- the sale cockpit ----------

export interface SaleOut {
  sale: SaleState;
}

/** PUT /organizer/shows/{id}/queue: the settings in force. */
export interface QueueSettingsIn {
  capacity?: number;
  outflow_per_minute?: number;
}

/**
 * GET /organizer/shows/{id}/dashboard, and every message of WS .../dashboard/live. `queue` is null for a show
 * without a waiting room; the latencies are null before the first payment.
 */
export interface Dashboard {
  seats: { available: number; held: number; sold: number };
  revenue_cents: number;
  currency: string;
  orders: { paid: number; refunded: number; pending_payment: number };
  queue: { waiting: number; serving: number; admitted_per_minute: number } | null;
  paid_per_minute: number;
  payment_to_paid_ms: { p50: number | null; p99: number | null };
}

/** POST .../cancel → 202 {refunded, total}; GET .../cancel → with `done`. */
export interface CancelProgress {
  refunded: number;
  total: number;
  done?: boolean;
}

// ---------- refunds ----------

export interface RefundRequest {
  seat_ids?: string[];
  reason: string;
}

/** The order a refund answers: the fan's Order plus what went back. */
export type RefundedOrder = Order & { refunded_cents?: number };

/** Extension: GET /organizer/orders/{order_id}. */
export type OrganizerOrder = RefundedOrder & { tickets: Ticket[] };

// ---------- agreement with the generated document, once it names these ----------

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
/** true when the generated schemas do not name K yet, else whether they agree with the hand-written T. */
type Matches<K extends string, T> = S extends Record<K, infer G> ? Same<G, T> : true;
type Assert<T extends true> = T;
export type HandWrittenMatchGenerated = [
  Assert<Matches<'VenueImported', VenueImported>>,
  Assert<Matches<'OrganizerVenue', OrganizerVenue>>,
  Assert<Matches<'OrganizerVenueList', OrganizerVenueList>>,
];
