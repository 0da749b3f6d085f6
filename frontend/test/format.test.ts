import { describe, expect, it } from 'vitest';
import { clock, money, roughDuration, secondsUntil } from '../src/lib/format';
import { isFinal, nextPollDelay, paymentErrorText } from '../src/orders/poll';

describe('formatting', () => {
  it('shows a countdown clock', () => {
    expect(clock(247)).toBe('4:07');
    expect(clock(0)).toBe('0:00');
    expect(clock(-5)).toBe('0:00');
    expect(clock(3723)).toBe('1:02:03');
  });

  it('rounds waits for people', () => {
    expect(roughDuration(10)).toBe('less than a minute');
    expect(roughDuration(90)).toBe('about 2 minutes');
    expect(roughDuration(60)).toBe('about 1 minute');
    expect(roughDuration(7200)).toBe('about 2 hours');
    expect(roughDuration(null)).toBe('unknown');
  });

  it('formats money in minor units, respecting the currency’s decimals', () => {
    expect(money(4550, 'EUR')).toMatch(/45[.,]50/);
    expect(money(4550, 'JPY')).toMatch(/4,?550/);
    expect(money(100, 'XXXX')).toBe('1.00 XXXX');
  });

  it('counts seconds to an instant', () => {
    expect(secondsUntil('2030-01-01T00:01:00Z', Date.parse('2030-01-01T00:00:00Z'))).toBe(60);
    expect(secondsUntil('garbage')).toBe(0);
  });
});

describe('order polling', () => {
  it('polls fast first, then backs off', () => {
    expect(nextPollDelay(0)).toBe(1000);
    expect(nextPollDelay(30_000)).toBe(2500);
    expect(nextPollDelay(600_000)).toBe(5000);
  });
  it('stops at the webhook’s verdict', () => {
    expect(isFinal('pending_payment')).toBe(false);
    expect(isFinal('paid')).toBe(true);
    expect(isFinal('expired')).toBe(true);
  });
});

describe('payment errors', () => {
  it('shows the issuer’s message from the order, whatever its shape', () => {
    expect(paymentErrorText({ code: 'card_declined', decline_code: 'generic_decline', message: 'Your card was declined.' })).toBe('Your card was declined.');
    expect(paymentErrorText('Insufficient funds.')).toBe('Insufficient funds.');
    expect(paymentErrorText({ code: 'x', decline_code: null, message: null })).toMatch(/did not go through/);
    expect(paymentErrorText(null)).toMatch(/did not go through/);
  });
});
