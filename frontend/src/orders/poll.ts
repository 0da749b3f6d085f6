/**
 * Polling an order until the payment webhook's verdict: quick at first (the webhook
 * usually lands within a second or two), slower later so a lost webhook does not
 * hammer the server while the reconciler catches up.
 */
import type { OrderStatus, PaymentError, RefundReason } from '../api/types';

export function nextPollDelay(elapsedMs: number): number {
  if (elapsedMs < 20_000) return 1000;
  if (elapsedMs < 120_000) return 2500;
  return 5000;
}

export function isFinal(status: OrderStatus): boolean {
  return status !== 'pending_payment';
}

export const ORDER_STATUS_TEXT: Record<OrderStatus, string> = {
  pending_payment: 'Waiting for payment confirmation',
  paid: 'Paid — your tickets are ready',
  expired: 'Expired — the hold ran out before payment',
  refunded: 'Refunded',
  cancelled: 'Cancelled — no payment was taken',
};

/** Why the money went back, in the fan's words. */
export const REFUND_REASON_TEXT: Record<RefundReason, string> = {
  seats_taken:
    'Your payment arrived after your hold had ended, and some of your seats had been taken by then, so we refunded it in full.',
  amount_mismatch: 'The amount paid did not match your order, so we refunded it in full.',
  order_cancelled: 'The payment arrived for an order that had been cancelled, so we refunded it in full.',
  organizer_refund: 'The organizer refunded your order in full.',
  show_cancelled: 'The show was cancelled, so we refunded your order in full.',
};

/** The card issuer's reason, as Stripe words it, or a general sentence. */
export function paymentErrorText(error: PaymentError | string | null): string {
  if (typeof error === 'string' && error) return error;
  if (error && typeof error === 'object' && error.message) return error.message;
  return 'The payment did not go through. Please try another card.';
}
