// @vitest-environment jsdom
import { render } from 'preact';
import { act } from 'preact/test-utils';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { saveHoldId } from '../src/lib/holdStore';
import { session } from '../src/lib/session';
import { CheckoutPage } from '../src/pages/CheckoutPage';

const JS_URL = 'http://127.0.0.1:12111/v3/';

function json(status: number, body: unknown) {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
}

/** A stand-in for Stripe.js that records what the page does with it. */
function fakeStripe(results: Array<{ error?: { message: string } }>) {
  const calls = { key: '', clientSecret: '', mountedIn: null as HTMLElement | null, confirms: [] as unknown[] };
  const handlers: Record<string, () => void> = {};
  const elements = {
    submit: vi.fn(async () => ({})),
    create: vi.fn((type: string) => {
      expect(type).toBe('payment');
      return {
        mount: (el: HTMLElement) => {
          calls.mountedIn = el;
          const frame = document.createElement('iframe');
          frame.src = `${JS_URL}frame`;
          el.appendChild(frame);
          setTimeout(() => handlers.ready?.(), 0);
        },
        on: (name: string, fn: () => void) => (handlers[name] = fn),
        destroy: vi.fn(),
      };
    }),
  };
  const Stripe = vi.fn((key: string) => {
    calls.key = key;
    return {
      elements: (opts: { clientSecret: string }) => {
        calls.clientSecret = opts.clientSecret;
        return elements;
      },
      confirmPayment: vi.fn(async (args: unknown) => {
        calls.confirms.push(args);
        return results.shift() ?? {};
      }),
    };
  });
  return { Stripe, calls, elements };
}

let root: HTMLElement;
beforeEach(() => {
  sessionStorage.clear();
  window.scrollTo = () => undefined;
  delete (window as { Stripe?: unknown }).Stripe;
  session.set({ status: 'signed_in', profile: { profile_id: 'p1', email: 'a@b.c', name: 'A' } });
  root = document.createElement('div');
  document.body.appendChild(root);
});
afterEach(() => {
  render(null, root);
  root.remove();
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

function stubServer() {
  const fetch = vi.fn(async (url: string, init?: RequestInit) => {
    if (url === '/api/v1/holds/h1') return json(200, { hold_id: 'h1', show_id: 's1', seat_ids: ['a', 'b'], expires_at: new Date(Date.now() + 400_000).toISOString(), amount_cents: 9000, currency: 'EUR' });
    if (url === '/api/v1/shows/s1') return json(404, { error: 'not_found', detail: 'nope' });
    if (url === '/api/v1/shows/s1/checkout' && init?.method === 'POST')
      return json(201, {
        order_id: 'o1',
        status: 'pending_payment',
        amount_cents: 9000,
        currency: 'EUR',
        expires_at: new Date(Date.now() + 400_000).toISOString(),
        payment: { provider: 'stripe', client_secret: 'pi_1_secret_2', publishable_key: 'pk_test_1', js_url: JS_URL },
      });
    if (url === '/api/v1/orders/o1/paying' && init?.method === 'POST')
      return json(200, { order_id: 'o1', status: 'pending_payment', expires_at: new Date(Date.now() + 520_000).toISOString() });
    if (url === '/api/v1/orders/o1' && init?.method === 'DELETE') return new Response(null, { status: 204 });
    return json(404, { error: 'not_found', detail: `unexpected ${url}` });
  });
  vi.stubGlobal('fetch', fetch);
  return fetch;
}

/** Loading the script "from" js_url defines window.Stripe, as the real one does. */
function serveScript(Stripe: unknown) {
  const scripts: string[] = [];
  const append = document.head.appendChild.bind(document.head);
  vi.spyOn(document.head, 'appendChild').mockImplementation(<T extends Node>(node: T): T => {
    const out = append(node);
    if (node instanceof HTMLScriptElement) {
      scripts.push(node.src);
      (window as { Stripe?: unknown }).Stripe = Stripe;
      setTimeout(() => node.dispatchEvent(new Event('load')), 0);
    }
    return out;
  });
  return scripts;
}

describe('CheckoutPage', () => {
  it('loads Stripe.js from js_url, mounts the Payment Element, and retries after a decline on the same order', async () => {
    saveHoldId('s1', 'h1');
    const fetch = stubServer();
    const { Stripe, calls } = fakeStripe([{ error: { message: 'Your card was declined.' } }, {}]);
    const scripts = serveScript(Stripe);

    await act(async () => render(<CheckoutPage showId="s1" />, root));
    await vi.waitFor(() => expect(calls.mountedIn).not.toBeNull());
    expect(scripts).toEqual([JS_URL]);
    expect(calls.key).toBe('pk_test_1');
    expect(calls.clientSecret).toBe('pi_1_secret_2');
    const container = root.querySelector('[data-testid=payment-container]')!;
    expect(calls.mountedIn).toBe(container);
    // Our page holds no card field of its own: only Stripe's iframe.
    expect(root.querySelectorAll('input').length).toBe(0);

    const checkout = fetch.mock.calls.find(([u]) => u === '/api/v1/shows/s1/checkout')!;
    expect(JSON.parse(checkout[1]!.body as string)).toEqual({ hold_id: 'h1' });
    expect((checkout[1]!.headers as Record<string, string>)['Idempotency-Key']).toBe('checkout-h1');

    const pay = root.querySelector('[data-testid=pay-button]') as HTMLButtonElement;
    await vi.waitFor(() => expect(pay.disabled).toBe(false));
    await act(async () => pay.click());
    await vi.waitFor(() => expect(root.querySelector('[data-testid=payment-error]')?.textContent).toContain('Your card was declined.'));
    expect(pay.disabled).toBe(false);
    expect(calls.confirms[0]).toMatchObject({ confirmParams: { return_url: `${window.location.origin}/orders/o1` }, redirect: 'if_required' });
    // The server heard "paying" before the card went to Stripe, and the countdown shows the grace it gave.
    const paying = fetch.mock.calls.findIndex(([u]) => u === '/api/v1/orders/o1/paying');
    expect(paying).toBeGreaterThan(-1);
    const countdown = root.querySelector('[data-testid=checkout-countdown]')!;
    expect(countdown.textContent).toContain('Payment in progress');
    expect(Number(countdown.getAttribute('data-seconds-left'))).toBeGreaterThan(500);

    await act(async () => pay.click());
    await vi.waitFor(() => expect(window.location.pathname).toBe('/orders/o1'));
    expect(calls.confirms).toHaveLength(2);
    expect(fetch.mock.calls.filter(([u]) => u === '/api/v1/shows/s1/checkout')).toHaveLength(1); // same order
  });

  it('cancels the order and goes back to the seat map', async () => {
    saveHoldId('s1', 'h1');
    const fetch = stubServer();
    serveScript(fakeStripe([]).Stripe);
    await act(async () => render(<CheckoutPage showId="s1" />, root));
    await vi.waitFor(() => expect(root.querySelector('[data-testid=cancel-order]')).not.toBeNull());
    const cancel = root.querySelector('[data-testid=cancel-order]') as HTMLButtonElement;
    await vi.waitFor(() => expect(cancel.disabled).toBe(false));
    await act(async () => cancel.click());
    await vi.waitFor(() => expect(window.location.pathname).toBe('/shows/s1'));
    expect(fetch.mock.calls.some(([u, init]) => u === '/api/v1/orders/o1' && init?.method === 'DELETE')).toBe(true);
  });

  it('says so when there is no hold to pay for', async () => {
    stubServer();
    await act(async () => render(<CheckoutPage showId="s1" />, root));
    expect(root.querySelector('[data-testid=checkout-no-hold]')).not.toBeNull();
  });
});
