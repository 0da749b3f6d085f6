import { describe, expect, it } from 'vitest';
import type { OrganizerOrder } from '../src/api/organizerTypes';
import type { Ticket } from '../src/api/types';
import { ApiError } from '../src/api/client';
import { isMissingRoute } from '../src/api/organizer';
import { money } from '../src/lib/format';
import { checkRefund, newIdempotencyKey, parseSeatIds, refundOutcome } from '../src/organizer/refund';

const ticket = (seat: string, price: number): Ticket => ({
  ticket_id: `t-${seat}`,
  order_id: 'o1',
  show: { id: 's1', title: 'T', starts_at: '2030-01-01T20:00:00Z', venue: { name: 'Hall', city: 'Town' } },
  seat: { id: seat, section: 'Stalls', row: 'A', number: Number(seat) },
  price_cents: price,
  currency: 'EUR',
  issued_at: '2029-12-01T10:00:00Z',
  code: 'x',
});

const order = (p: Partial<OrganizerOrder> = {}): OrganizerOrder => ({
  order_id: 'o1',
  show_id: 's1',
  status: 'paid',
  amount_cents: 9500,
  currency: 'EUR',
  last_payment_error: null,
  tickets: [ticket('1', 4500), ticket('2', 5000)],
  expires_at: '2029-12-01T10:08:00Z',
  ...p,
});

describe('checkRefund', () => {
  it('refunds the whole order: what is left of it, no seat ids sent', () => {
    expect(checkRefund(order(), { whole: true }, ' cannot attend ')).toEqual({
      error: null,
      body: { reason: 'cannot attend' },
      amountCents: 9500,
      seats: 2,
    });
    expect(checkRefund(order({ refunded_cents: 4500 }), { whole: true }, 'x').amountCents).toBe(5000);
  });

  it('refunds chosen seats at their prices', () => {
    expect(checkRefund(order(), { whole: false, seatIds: ['2'] }, 'view')).toEqual({
      error: null,
      body: { seat_ids: ['2'], reason: 'view' },
      amountCents: 5000,
      seats: 1,
    });
  });

  it('says why it cannot send yet', () => {
    expect(checkRefund(order(), { whole: false, seatIds: [] }, 'x').error).toContain('Choose the seats');
    expect(checkRefund(order(), { whole: true }, '  ').error).toContain('reason');
    expect(checkRefund(order(), { whole: true }, 'x'.repeat(501)).error).toContain('at most');
    expect(checkRefund(order(), { whole: false, seatIds: ['9'] }, 'x').error).toContain('not in this order');
    expect(checkRefund(order({ status: 'pending_payment' }), { whole: true }, 'x').error).toContain('pending payment');
  });

  it('sends typed seat ids as they are when the order could not be looked up', () => {
    expect(checkRefund(null, { whole: false, seatIds: ['a', 'b'] }, 'x')).toEqual({
      error: null,
      body: { seat_ids: ['a', 'b'], reason: 'x' },
      amountCents: null,
      seats: null,
    });
  });
});

describe('parseSeatIds', () => {
  it('splits on commas, spaces and lines, without duplicates', () => {
    expect(parseSeatIds(' 101, 102\n103 ;101 ')).toEqual(['101', '102', '103']);
    expect(parseSeatIds('')).toEqual([]);
  });
});

describe('refundOutcome', () => {
  it('says what went back and what the order is now', () => {
    const partial = refundOutcome(order(), { ...order(), refunded_cents: 5000 });
    expect(partial).toContain(`${money(5000, 'EUR')} goes back`);
    expect(partial).toContain('stays paid');
    const whole = refundOutcome(order({ refunded_cents: 5000 }), { ...order(), status: 'refunded', refunded_cents: 9500 });
    expect(whole).toContain(`${money(4500, 'EUR')} goes back`);
    expect(whole).toContain('whole order is now refunded');
  });
});

describe('newIdempotencyKey', () => {
  it('is new every time', () => {
    const keys = new Set(Array.from({ length: 50 }, newIdempotencyKey));
    expect(keys.size).toBe(50);
  });
});

describe('isMissingRoute', () => {
  it('tells a route the server lacks from an object it does not have', () => {
    expect(isMissingRoute(new ApiError(404, 'not_found', 'Not Found'))).toBe(true);
    expect(isMissingRoute(new ApiError(405, 'method_not_allowed', 'Method Not Allowed'))).toBe(true);
    expect(isMissingRoute(new ApiError(404, 'http_404', 'Not found.'))).toBe(true);
    expect(isMissingRoute(new ApiError(404, 'order_not_found', 'No such order.'))).toBe(false);
    expect(isMissingRoute(new ApiError(404, 'not_found', 'No such show.'))).toBe(false);
    expect(isMissingRoute(new ApiError(409, 'conflict', 'Not Found'))).toBe(false);
    expect(isMissingRoute(new Error('Not Found'))).toBe(false);
  });
});
