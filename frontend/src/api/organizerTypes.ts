/**
 * The organizer API's shapes (API.md, "Organizers"). The venues', refunds' and cancellation's routes are served, so
 * their types are aliases into schema.d.ts (`just openapi`); everything else here is WRITTEN BY HAND, since its
 * routes (shows, the sale, the dashboard) are being built on another branch and the OpenAPI document does not have
 * them yet. Once it does, each becomes an alias like the venues' (and a difference then fails `just typecheck`).
 *
 * Shapes marked "extension" are not in API.md: the pages need them, and they extend the contract compatibly.
 * They are listed in the organizer work's report for the backend to build:
 * - GET /api/v1/organizer/shows → {items: [OrganizerShow]}: the organization's shows (the public list has everyone's).
 * - GET /api/v1/organizer/shows/{show_id} → OrganizerShow: what the edit form starts from and the cockpit shows.
 * - OrganizerShow carries what it was created with: `venue_id`, `currency`, `prices`, `max_seats_per_order` and the
 *   waiting room's `capacity` and `outflow_per_minute`, besides the public shape and `sale`.
 * - GET /api/v1/organizer/orders/{order_id} → OrganizerOrder: the order an organizer is about to refund, with its
 *   tickets (seats), any fan's, inside the organization (served: the fan's Order shape).
 */
import type { components } from './schema';
import type { ApiErrorBody, Order, Show } from './types';

type S = components['schemas'];

// ---------- venues: generated (the backend serves these routes) ----------

/** POST /organizer/venues → 201 (new) or 200 (the same plan imported before). */
export type VenueImported = S['VenueImported'];
/** GET /organizer/venues → {items: [OrganizerVenue]}. */
export type OrganizerVenue = S['OrganizerVenue'];
export type OrganizerVenueList = S['OrganizerVenueList'];

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

/** POST .../cancel → 202 {refunded, total}; GET .../cancel → with `done` (generated: the backend serves both). */
export type CancelProgress = S['CancelProgress'] & Partial<Pick<S['CancelStatus'], 'done'>>;

// ---------- refunds ----------

// Generated (the backend serves these routes): the body, and the Order a refund answers, which carries
// `refunded_cents`.
export type RefundRequest = S['RefundBody'];

/** The order a refund answers: the fan's Order, with what went back (`refunded_cents`). */
export type RefundedOrder = Order;

/** Extension: GET /organizer/orders/{order_id}: the fan's Order shape, any fan's of the organization's shows. */
export type OrganizerOrder = Order;
