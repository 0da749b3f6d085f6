/**
 * Every API type the SPA uses, in one module: aliases into src/api/schema.d.ts, which
 * openapi-typescript generates from the OpenAPI document that `just openapi` exports (the
 * served document plus the WebSocket messages' schemas; `npm run gen:api` regenerates it
 * from var/openapi.json). No other module declares an API shape.
 *
 * Where the document is looser than the contract (/work/shared/API.md), the alias
 * narrows it (the hold request's two forms). The error body is not in the OpenAPI
 * document, so it is written here from the contract.
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
export type Show = S['ShowOut'];
export type ShowStatus = Show['status'];
export type ShowList = S['ShowPage'];
export type ShowQuery = NonNullable<operations['listShows']['parameters']['query']>;

// ---------- seat map ----------

export type Section = S['MapSection'];
export type MapSeat = S['MapSeat'];
export type SeatStatus = MapSeat['status'];
export type SeatMap = S['SeatMap'];
/**
 * GET /shows/{id}/map/status: the live status of every seat, 2 bits each (`status`, base64)
 * in the order of the venue layout at `layout` (see src/seatmap/layoutFormat.ts).
 */
export type StatusDocument = S['SeatStatusDocument'];

/** First message on WS /api/v1/shows/{id}/live. Seats not listed are available. */
export type LiveSnapshot = S['Snapshot'];
/** Every later message: `from_version` is the previous message's `version`. */
export type LiveDiff = S['Diff'];
export type LiveMessage = LiveSnapshot | LiveDiff;
/** Sent once before the server closes a socket it refuses (unknown show, no waiting room). */
export type SocketError = S['ErrorMessage'];

// ---------- holds ----------

export type Hold = S['HoldOut'];
export type BestAvailable = Pick<S['BestAvailableRequest'], 'count'> & { section_id?: string; accessible?: boolean };
/** One of the two forms the contract allows (the document types both as optional). */
export type HoldRequest = { seat_ids: string[] } | { best_available: BestAvailable };

// ---------- checkout, orders ----------

export type PaymentInfo = S['PaymentSetup'];
export type CheckoutResponse = S['CheckoutOut'];
export type OrderStatus = CheckoutResponse['status'];
export type PaymentError = S['PaymentErrorOut'];
export type Order = S['OrderOut'];
/** Why an order that took money was refunded (set with status `refunded`). */
export type RefundReason = NonNullable<Order['refund_reason']>;
/** POST /orders/{id}/paying: the order with its hold's (possibly extended) end. */
export type PayingResponse = S['PayingOut'];

// ---------- tickets ----------

export type Ticket = S['TicketOut'];
export type TicketList = S['TicketList'];

// ---------- waiting room ----------

export type QueueEntry = S['QueueEntryOut'];

/** GET /api/v1/shows/{id}/queue/draw: the commitment before the sale, the seed and entries after the draw. */
export type QueueDraw = S['QueueDrawOut'];

/** POST /api/v1/auth/verify-email/send: false when the address is already verified (no mail then). */
export type MailSent = S['MailSent'];

/**
 * Broadcast on WS /api/v1/shows/{id}/queue/live. `open` is an extension to API.md
 * (realtime/messages.py): false until the early arrivals' places are drawn at
 * `sale_opens_at`; then clients that joined early re-read GET .../queue/me.
 */
export type QueueBroadcast = S['QueueBroadcast'];

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
