/**
 * An order's status. Polls GET /api/v1/orders/{id} until the payment webhook's verdict
 * (`paid`, or `expired` / `refunded`), then shows the tickets.
 */
import { useEffect, useState } from 'preact/hooks';
import { ApiError, api, errorMessage } from '../api/client';
import type { Order } from '../api/types';
import { ErrorBanner, InfoBanner, Loading } from '../components/Feedback';
import { money } from '../lib/format';
import { forgetHold } from '../lib/holdStore';
import { paths } from '../lib/router';
import { sessionExpired } from '../lib/session';
import { Countdown } from '../components/Countdown';
import { isFinal, nextPollDelay, ORDER_STATUS_TEXT, paymentErrorText, REFUND_REASON_TEXT } from '../orders/poll';
import { TicketCard } from '../tickets/TicketCard';
import { useTitle } from './useTitle';

export function OrderPage({ orderId }: { orderId: string }) {
  useTitle('Your order');
  const [order, setOrder] = useState<Order | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [attempt, setAttempt] = useState(0);
  const redirectStatus = new URLSearchParams(window.location.search).get('redirect_status');

  useEffect(() => {
    let cancelled = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const started = Date.now();
    const poll = async () => {
      try {
        const o = await api.getOrder(orderId);
        if (cancelled) return;
        setOrder(o);
        setError(null);
        if (isFinal(o.status)) {
          if (o.status === 'paid' || o.status === 'expired') forgetHold(o.show_id);
          return;
        }
      } catch (e) {
        if (cancelled) return;
        if (e instanceof ApiError && (e.status === 404 || e.status === 401)) {
          if (e.status === 401) sessionExpired();
          setError(errorMessage(e));
          return; // nothing to wait for
        }
        setError(errorMessage(e)); // transient: keep polling
      }
      timer = setTimeout(poll, nextPollDelay(Date.now() - started));
    };
    void poll();
    return () => {
      cancelled = true;
      clearTimeout(timer);
    };
  }, [orderId, attempt]);

  if (!order) {
    if (error) return <ErrorBanner message={error} onRetry={() => setAttempt((a) => a + 1)} />;
    return <Loading label="Loading your order…" />;
  }

  const pending = order.status === 'pending_payment';
  return (
    <div class="order-page" data-testid="order-page" data-order-id={order.order_id}>
      <h1 tabIndex={-1}>Your order</h1>
      <section class="card">
        <p class={`order-status status-${order.status}`} data-testid="order-status" data-status={order.status} role="status" aria-live="polite">
          {pending && <span class="spinner" aria-hidden="true" />}
          {ORDER_STATUS_TEXT[order.status]}
        </p>
        <p>
          Total <strong>{money(order.amount_cents, order.currency)}</strong>
        </p>
        {pending && <Countdown until={order.expires_at} label="Your seats are held for" testid="order-countdown" />}
        {pending && !order.last_payment_error && (
          <p class="muted small">This page updates by itself as soon as the payment is confirmed.</p>
        )}
        {error && <p class="muted small">Having trouble reaching the server ({error}); still trying…</p>}
        {pending && (order.last_payment_error || redirectStatus === 'failed') && (
          <div class="banner banner-error" role="alert" data-testid="order-error">
            <p>{paymentErrorText(order.last_payment_error)}</p>
            <a class="btn" href={paths.checkout(order.show_id)} data-testid="order-retry">
              Try another card
            </a>
          </div>
        )}
        {order.status === 'expired' && (
          <InfoBanner testid="order-expired">
            The hold on your seats ran out before the payment was confirmed. No money was taken. <a href={paths.show(order.show_id)}>Pick seats again</a>
          </InfoBanner>
        )}
        {order.status === 'refunded' && (
          <InfoBanner testid="order-refunded">
            {order.refund_reason ? `${REFUND_REASON_TEXT[order.refund_reason]} ` : 'This order was refunded. '}
            The money goes back to the card it came from. <a href={paths.show(order.show_id)}>Pick seats again</a>
          </InfoBanner>
        )}
        {order.status === 'paid' && (order.refunded_cents ?? 0) > 0 && (
          <InfoBanner testid="order-partly-refunded">
            The organizer refunded {money(order.refunded_cents ?? 0, order.currency)} of this order: those seats' tickets no longer
            admit, and the money goes back to the card it came from. Your other tickets stay valid.
          </InfoBanner>
        )}
        {order.status === 'cancelled' && (
          <InfoBanner testid="order-cancelled">
            This order was cancelled and no money was taken. <a href={paths.show(order.show_id)}>Back to the seat map</a>
          </InfoBanner>
        )}
      </section>
      {order.status === 'paid' && (
        <section aria-labelledby="order-tickets-title">
          <h2 id="order-tickets-title">Your tickets</h2>
          <div class="ticket-grid" data-testid="order-tickets">
            {order.tickets.map((t) => (
              <TicketCard key={t.ticket_id} ticket={t} />
            ))}
          </div>
          <p>
            <a href={paths.tickets()}>All my tickets</a>
          </p>
        </section>
      )}
    </div>
  );
}
