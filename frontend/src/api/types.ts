/**
 * Every API type the SPA uses, in one module: aliases into src/api/schema.d.ts, which
 * openapi-typescript generates from the served OpenAPI document (`npm run gen:api`,
 * or `just openapi` at the top level). No other module declares an API shape.
 *
 * Where the document is looser than the contract (/work/shared/API.md), the alias
 * narrows it: the OpenAPI document types statuses as plain strings, the contract lists
 * their values. The WebSocket messages and the error body are not in the OpenAPI
 * document, so they are written here from the contract.
 */
import type { components, operations } from './schema';

type S = components['schemas'];

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

export type Profile = S['ProfileOut'];
export type RegisterRequest = S['RegisterBody'];
export type LoginRequest = S['LoginBody'];

// ---------- catalog ----------

export type Venue = S['VenueOut'];
export type ShowStatus = 'scheduled' | 'on_sale' | 'sold_out' | 'ended';
export type Show = Omit<S['ShowOut'], 'status'> & { status: ShowStatus };
export type ShowList = Omit<S['ShowPage'], 'items'> & { items: Show[] };
export type ShowQuery = NonNullable<operations['listShows']['parameters']['query']>;

// ---------- seat map ----------

export type SeatStatus = 'available' | 'held' | 'sold';
export type Section = S['MapSection'];
export type MapSeat = Omit<S['MapSeat'], 'status'> & { status: SeatStatus };
export type SeatMap = Omit<S['SeatMap'], 'seats'> & { seats: MapSeat[] };

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

export type Hold = S['HoldOut'];
export type BestAvailable = Pick<S['BestAvailableRequest'], 'count'> & { section_id?: string; accessible?: boolean };
/** One of the two forms the contract allows (the document types both as optional). */
export type HoldRequest = { seat_ids: string[] } | { best_available: BestAvailable };

// ---------- checkout, orders ----------

export type OrderStatus = 'pending_payment' | 'paid' | 'expired' | 'refunded';
export type PaymentInfo = S['PaymentSetup'];
export type CheckoutResponse = Omit<S['CheckoutOut'], 'status'> & { status: OrderStatus };
export type PaymentError = S['PaymentErrorOut'];
export type Order = Omit<S['OrderOut'], 'status'> & { status: OrderStatus };

// ---------- tickets ----------

export type Ticket = S['TicketOut'];
export type TicketList = S['TicketList'];

// ---------- waiting room ----------

export type QueueEntry = S['QueueEntryOut'];

/** Broadcast on WS /api/v1/shows/{id}/queue/live. */
export interface QueueBroadcast {
  type: 'queue';
  serving: number;
  waiting: number;
  rate_per_s: number;
  /**
   * Extension to API.md (realtime/messages.py): false until the early arrivals' places
   * are drawn at `sale_opens_at`; then clients that joined early re-read GET .../queue/me.
   */
  open?: boolean;
}

// ---------- compile-time checks that what we send is what the document accepts ----------

type Assert<T extends true> = T;
export type RequestBodiesMatch = [
  Assert<HoldRequest extends S['HoldRequest'] ? true : false>,
  Assert<RegisterRequest extends S['RegisterBody'] ? true : false>,
];

// ---------- gate: rotating codes, scanners ----------

export type DeviceCertificate = S['DeviceCertificate'];
export type GateBundle = S['GateBundle'];
export type ScanIn = S['ScanIn'];
export type ScanOutcome = S['ScanOutcome'];
export type ScanOutcomes = S['ScanOutcomes'];
export type VerifyResult = S['VerifyResult'];
