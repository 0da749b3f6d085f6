/**
 * Checkout: turns the fan's hold into an order (POST .../checkout, idempotent per hold),
 * then mounts Stripe's Payment Element from the `js_url` the server names. The card form
 * is Stripe's iframe; no card field is ever part of this page's DOM. A declined card
 * shows Stripe's message and the fan can try again on the same order.
 *
 * Just before the card is confirmed the page tells the server the fan is paying
 * (POST /orders/{id}/paying): the hold is extended once by the payment grace, and the
 * countdown shows the new end, so a slow provider does not cost the fan the seats. As soon as
 * Stripe.js reports the payment confirmed, the page asks the server to settle it
 * (POST /orders/{id}/settle), which reads the payment back from Stripe: the fan is paid
 * without waiting for the webhook.
 * "Cancel order" cancels the payment and gives the seats back.
 */
import type { Stripe, StripeElements, StripePaymentElement } from '@stripe/stripe-js';
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, api, errorMessage } from '../api/client';
import type { CheckoutResponse, Hold, Show } from '../api/types';
import { loadStripeJs } from '../checkout/stripe';
import { Countdown } from '../components/Countdown';
import { ErrorBanner, InfoBanner, Loading } from '../components/Feedback';
import { money, showTime } from '../lib/format';
import { forgetHold, savedHoldId } from '../lib/holdStore';
import { navigate, paths } from '../lib/router';
import { sessionExpired, useSession } from '../lib/session';
import { useTitle } from './useTitle';

type Phase = 'loading' | 'no_hold' | 'failed' | 'form' | 'paying' | 'cancelling';

export function CheckoutPage({ showId }: { showId: string }) {
  useTitle('Checkout');
  const session = useSession();
  const [phase, setPhase] = useState<Phase>('loading');
  const [error, setError] = useState<string | null>(null);
  const [paymentError, setPaymentError] = useState<string | null>(null);
  const [hold, setHold] = useState<Hold | null>(null);
  const [show, setShow] = useState<Show | null>(null);
  const [order, setOrder] = useState<CheckoutResponse | null>(null);
  const [elementReady, setElementReady] = useState(false);
  const [graced, setGraced] = useState(false);
  const [attempt, setAttempt] = useState(0);
  const mountRef = useRef<HTMLDivElement>(null);
  const stripeRef = useRef<{ stripe: Stripe; elements: StripeElements; element: StripePaymentElement } | null>(null);

  useEffect(() => {
    if (session.status !== 'signed_in') return;
    let cancelled = false;
    const run = async () => {
      setPhase('loading');
      setError(null);
      const holdId = savedHoldId(showId);
      if (!holdId) {
        setPhase('no_hold');
        return;
      }
      try {
        const [h, s] = await Promise.all([api.getHold(holdId), api.getShow(showId).catch(() => null)]);
        if (cancelled) return;
        setHold(h);
        setShow(s);
        const o = await api.checkout(showId, holdId, `checkout-${holdId}`);
        if (cancelled) return;
        setOrder(o);
        if (o.status !== 'pending_payment') {
          navigate(paths.order(o.order_id), { replace: true });
          return;
        }
        const clientSecret = o.payment.client_secret;
        if (!clientSecret) {
          // Nothing left to pay here (e.g. the payment already went through): the order page says what happened.
          navigate(paths.order(o.order_id), { replace: true });
          return;
        }
        const StripeJs = await loadStripeJs(o.payment.js_url);
        if (cancelled) return;
        const stripe = StripeJs(o.payment.publishable_key);
        if (!stripe) throw new Error('The payment form did not start. Please reload the page.');
        const elements = stripe.elements({ clientSecret });
        const element = elements.create('payment');
        element.on('ready', () => !cancelled && setElementReady(true));
        element.on('loaderror', () => !cancelled && setError('The payment form could not be loaded. Please reload the page.'));
        stripeRef.current = { stripe, elements, element };
        setPhase('form');
        element.mount(mountRef.current!);
      } catch (e) {
        if (cancelled) return;
        if (e instanceof ApiError && e.status === 404) {
          forgetHold(showId, holdId);
          setPhase('no_hold');
          return;
        }
        if (e instanceof ApiError && e.status === 401) sessionExpired();
        setError(errorMessage(e));
        setPhase('failed');
      }
    };
    void run();
    return () => {
      cancelled = true;
      try {
        stripeRef.current?.element.destroy();
      } catch {
        /* already gone */
      }
      stripeRef.current = null;
      setElementReady(false);
    };
  }, [showId, session.status, attempt]);

  const pay = async (e: Event) => {
    e.preventDefault();
    const s = stripeRef.current;
    if (!s || !order || phase === 'paying') return;
    setPhase('paying');
    setPaymentError(null);
    try {
      // Validate the card form first: the grace is spent only on a payment that is really being sent.
      const checked = await s.elements.submit();
      if (checked.error) {
        setPaymentError(checked.error.message ?? 'Please check the card details.');
        setPhase('form');
        return;
      }
      try {
        const paying = await api.orderPaying(order.order_id);
        setOrder({ ...order, expires_at: paying.expires_at });
        setGraced(true);
      } catch (e) {
        // The hold ended or the order was cancelled meanwhile: the order page says what happened.
        if (e instanceof ApiError && e.status === 409) {
          navigate(paths.order(order.order_id));
          return;
        }
        // Otherwise pay anyway: a late payment is still honoured when the seats are free.
      }
      const result = await s.stripe.confirmPayment({
        elements: s.elements,
        confirmParams: { return_url: `${window.location.origin}${paths.order(order.order_id)}` },
        redirect: 'if_required',
      });
      if (result.error) {
        // Declined card, incomplete form...: Stripe's message says which. Same order, try again.
        setPaymentError(result.error.message ?? 'The payment did not go through. Please check the details or try another card.');
        setPhase('form');
        return;
      }
      // Stripe.js says the payment is confirmed: the server reads it back from Stripe and settles the order at
      // once, so the order page opens paid instead of waiting for the webhook. Should this call fail, the order
      // page polls as before, and the webhook and the reconciler settle the order all the same.
      try {
        await api.settleOrder(order.order_id);
      } catch {
        /* the order page polls */
      }
      navigate(paths.order(order.order_id));
    } catch {
      setPaymentError('The payment could not be completed. Please try again.');
      setPhase('form');
    }
  };

  const cancelOrder = async () => {
    if (!order || phase === 'paying' || phase === 'cancelling') return;
    setPhase('cancelling');
    setPaymentError(null);
    try {
      await api.cancelOrder(order.order_id);
      forgetHold(showId);
      navigate(paths.show(showId));
    } catch (e) {
      setPaymentError(
        e instanceof ApiError && e.code === 'hold_in_checkout'
          ? 'Your payment is already on its way, so this order can no longer be cancelled.'
          : errorMessage(e),
      );
      setPhase('form');
    }
  };

  if (session.status === 'loading') return <Loading />;
  if (session.status === 'signed_out') {
    return (
      <InfoBanner testid="signin-prompt">
        Please <a href={paths.signin(paths.checkout(showId))}>sign in</a> to check out.
      </InfoBanner>
    );
  }
  if (phase === 'no_hold') {
    return (
      <div class="checkout-page" data-testid="checkout-page">
        <h1>Checkout</h1>
        <InfoBanner testid="checkout-no-hold">
          You have no seats held for this show (a hold lasts a few minutes). <a href={paths.show(showId)}>Pick seats</a>
        </InfoBanner>
      </div>
    );
  }

  return (
    <div class="checkout-page" data-testid="checkout-page">
      <h1 tabIndex={-1}>Checkout</h1>
      {phase === 'failed' && error && <ErrorBanner message={error} onRetry={() => setAttempt((a) => a + 1)} />}
      <div class="checkout-layout">
        <section class="card" aria-labelledby="summary-title" data-testid="checkout-summary">
          <h2 id="summary-title" class="h3">
            Your order
          </h2>
          {show && (
            <p>
              <strong>{show.title}</strong>
              <br />
              <span class="muted">
                {showTime(show.starts_at)} · {show.venue.name}, {show.venue.city}
              </span>
            </p>
          )}
          {hold && <p>{hold.seat_ids.length} seat{hold.seat_ids.length === 1 ? '' : 's'}</p>}
          {order ? (
            <p class="hold-total">
              Total <strong data-testid="checkout-total">{money(order.amount_cents, order.currency)}</strong>
            </p>
          ) : (
            hold && (
              <p class="hold-total">
                Total <strong>{money(hold.amount_cents, hold.currency)}</strong>
              </p>
            )
          )}
          {order && (
            <Countdown
              until={order.expires_at}
              label={graced ? 'Payment in progress: seats held for' : 'Complete payment within'}
              testid="checkout-countdown"
            />
          )}
          <p>
            <a href={paths.show(showId)}>← Back to the seat map</a>
          </p>
        </section>

        <form class="card payment-form" onSubmit={pay} aria-labelledby="payment-title" data-testid="payment-form">
          <h2 id="payment-title" class="h3">
            Payment
          </h2>
          <p class="muted small">Card details are entered in a secure form provided by Stripe; they never reach our servers.</p>
          {(phase === 'loading' || (phase === 'form' && !elementReady && !error)) && <Loading label="Loading the secure payment form…" />}
          {/* Stripe mounts its iframe in here. */}
          <div ref={mountRef} class="payment-element" data-testid="payment-container" />
          {phase === 'form' && error && <ErrorBanner message={error} />}
          {paymentError && (
            <div class="banner banner-error" role="alert" data-testid="payment-error">
              <p>{paymentError}</p>
            </div>
          )}
          <button type="submit" class="btn btn-primary btn-block" disabled={phase !== 'form'} data-testid="pay-button" aria-busy={phase === 'paying'}>
            {phase === 'paying' ? 'Processing…' : order ? `Pay ${money(order.amount_cents, order.currency)}` : 'Pay'}
          </button>
          {phase === 'paying' && (
            <p class="muted small" role="status" data-testid="payment-processing">
              Confirming your payment… Your seats stay held while the payment provider answers.
            </p>
          )}
          {order && (
            <button
              type="button"
              class="btn btn-link"
              onClick={() => void cancelOrder()}
              disabled={phase !== 'form' && phase !== 'failed'}
              data-testid="cancel-order"
            >
              Cancel order and release the seats
            </button>
          )}
        </form>
      </div>
    </div>
  );
}
