/**
 * Loads the Stripe.js script from the `js_url` the checkout answer names (Stripe in
 * production, the offline stand-in in development and tests) with a plain
 * <script src>. The npm loader (`loadStripe`) is not used because it only ever loads from
 * Stripe's own host; only its TypeScript types are taken from @stripe/stripe-js.
 */
import type { StripeConstructor } from '@stripe/stripe-js';

const loads = new Map<string, Promise<StripeConstructor>>();

export function loadStripeJs(jsUrl: string): Promise<StripeConstructor> {
  let url: URL;
  try {
    url = new URL(jsUrl, window.location.href);
  } catch {
    return Promise.reject(new Error('The payment form could not be loaded (bad script address).'));
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    return Promise.reject(new Error('The payment form could not be loaded (bad script address).'));
  }
  const key = url.href;
  const existing = loads.get(key);
  if (existing) return existing;
  const promise = new Promise<StripeConstructor>((resolve, reject) => {
    if (window.Stripe) {
      resolve(window.Stripe);
      return;
    }
    const script = document.createElement('script');
    script.src = key;
    script.async = true;
    script.addEventListener('load', () => {
      if (window.Stripe) resolve(window.Stripe);
      else reject(new Error('The payment form did not start. Please reload the page.'));
    });
    script.addEventListener('error', () => {
      loads.delete(key);
      script.remove();
      reject(new Error('The payment form could not be loaded. Check your connection and try again.'));
    });
    document.head.appendChild(script);
  });
  loads.set(key, promise);
  return promise;
}
