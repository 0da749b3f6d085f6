/** What a refund takes and says: the seats chosen, their amount, the request, and its answer in words. */
import type { OrganizerOrder, RefundedOrder, RefundRequest } from '../api/organizerTypes';
import { money } from '../lib/format';

export const REASON_MAX = 500;

export type RefundScope = { whole: true } | { whole: false; seatIds: string[] };

/** Seat ids typed by hand (the attendees export lists them): split on commas, spaces or new lines, duplicates dropped. */
export function parseSeatIds(typed: string): string[] {
  return [...new Set(typed.split(/[\s,;]+/).map((s) => s.trim()).filter(Boolean))];
}

export interface RefundCheck {
  error: string | null;
  body: RefundRequest | null;
  /** The amount going back, when the order's tickets are known. */
  amountCents: number | null;
  seats: number | null;
}

/** The refund's request, or why it cannot be sent yet. */
export function checkRefund(order: OrganizerOrder | null, scope: RefundScope, reason: string): RefundCheck {
  const why = reason.trim();
  const none = { body: null, amountCents: null, seats: null };
  if (order && order.status !== 'paid') {
    return { ...none, error: `Only a paid order can be refunded; this one is ${order.status.replace(/_/g, ' ')}.` };
  }
  if (!scope.whole && !scope.seatIds.length) return { ...none, error: 'Choose the seats to refund, or refund the whole order.' };
  if (!why) return { ...none, error: 'Give a reason: the fan reads it in the refund e-mail, and the ledger keeps it.' };
  if (why.length > REASON_MAX) return { ...none, error: `A reason has at most ${REASON_MAX} characters.` };
  const tickets = order?.tickets ?? null;
  let amountCents: number | null = null;
  let seats: number | null = null;
  if (tickets) {
    const chosen = scope.whole ? tickets : tickets.filter((t) => scope.seatIds.includes(t.seat.id));
    if (!scope.whole && chosen.length !== scope.seatIds.length) return { ...none, error: 'Some of the seats chosen are not in this order.' };
    seats = chosen.length;
    amountCents = scope.whole ? order!.amount_cents - (order!.refunded_cents ?? 0) : chosen.reduce((sum, t) => sum + t.price_cents, 0);
  }
  return { error: null, amountCents, seats, body: scope.whole ? { reason: why } : { seat_ids: scope.seatIds, reason: why } };
}

/** The refund's answer in one sentence. */
export function refundOutcome(before: OrganizerOrder | null, after: RefundedOrder): string {
  const refunded = after.refunded_cents ?? (after.status === 'refunded' ? after.amount_cents : null);
  const back = refunded !== null && before ? refunded - (before.refunded_cents ?? 0) : null;
  const amount = back !== null && back > 0 ? `${money(back, after.currency)} goes back to the fan's card. ` : '';
  const state =
    after.status === 'refunded'
      ? 'The whole order is now refunded.'
      : `The order stays paid for its other seats${refunded !== null ? ` (${money(refunded, after.currency)} refunded in all)` : ''}.`;
  return `${amount}${state} The refunded tickets no longer open the gate, and their seats are on sale again.`;
}

/** A fresh Idempotency-Key: one per confirmed refund, reused if the same confirmation is sent again. */
export function newIdempotencyKey(): string {
  const c = globalThis.crypto;
  if (c?.randomUUID) return c.randomUUID();
  const bytes = new Uint8Array(16);
  c.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}
