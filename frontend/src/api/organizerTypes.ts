/**
 * The organizer API's shapes (API.md, "Organizers"). Every organizer route is served now, so the types are aliases
 * into schema.d.ts (`just openapi`), or checked against them where the pages keep a looser shape (`Served…Fits`):
 * a difference fails `just typecheck`.
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

export type CategoryPrice = S['CategoryPrice'];

/** The waiting room as the show form sends it (capacity and outflow optional: the platform's then). */
export type QueueSettingsBody = S['QueueSettingsBody'];
/**
 * The waiting room as the pages keep it: the served answer (PUT .../queue, an OrganizerShow's `queue`: the settings
 * in force, S['QueueSettings']) or a public show's `{enabled}` alone.
 */
export type QueueSettings = QueueSettingsBody;
export type ServedQueueFits = S['QueueSettings'] extends QueueSettings ? true : never;
export const servedQueueFits: ServedQueueFits = true;

/** POST /organizer/shows. */
export type ShowCreate = S['ShowCreate'];

/** PATCH /organizer/shows/{id}: any of the fields above. */
export type ShowPatch = S['ShowPatch'];

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

/** What the backend serves is what the pages read (`cancelled` is added by the cancellation work): else a type error. */
export type ServedShowFits = S['OrganizerShow'] extends OrganizerShow ? true : never;
export const servedShowFits: ServedShowFits = true;

/** 409 show_has_sales / 422 missing_price name what they refuse. */
export interface ShowErrorBody extends ApiErrorBody {
  category?: string;
  field?: string;
}

// ---------- the sale cockpit ----------

export type SaleOut = S['SaleOut'];

/** PUT /organizer/shows/{id}/queue: the settings to change; the answer is the settings in force. */
export type QueueSettingsIn = S['QueueSettingsPut'];

/**
 * GET /organizer/shows/{id}/dashboard, and every message of WS .../dashboard/live. `queue` is null for a show
 * without a waiting room; the latencies are null before the first payment.
 */
export type Dashboard = S['Dashboard'];

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
