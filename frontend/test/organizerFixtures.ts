import type { Dashboard } from '../src/api/organizerTypes';

/** A dashboard as API.md writes it: a sale under way, with a waiting room. */
export function dashboard(p: Partial<Dashboard> = {}): Dashboard {
  return {
    seats: { available: 580, held: 12, sold: 28 },
    revenue_cents: 214_000,
    currency: 'EUR',
    orders: { paid: 14, refunded: 1, pending_payment: 3 },
    queue: { waiting: 1200, serving: 340, admitted_per_minute: 60 },
    paid_per_minute: 4,
    payment_to_paid_ms: { p50: 420, p99: 2300 },
    ...p,
  };
}
