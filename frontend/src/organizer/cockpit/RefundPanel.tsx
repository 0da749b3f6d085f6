/**
 * Refund an order, whole or chosen seats, with a reason (POST /organizer/orders/{id}/refund). The order is found by
 * its id (the orders export lists every order's id); its seats are shown to choose from when the server can look it
 * up, else seat ids are typed (the attendees export lists them). Every refund is confirmed first and sent with an
 * Idempotency-Key, so a retry after a lost answer cannot refund twice.
 */
import { useState } from 'preact/hooks';
import { ApiError, errorMessage } from '../../api/client';
import { isMissingRoute, type OrganizerClient } from '../../api/organizer';
import type { OrganizerOrder } from '../../api/organizerTypes';
import { money } from '../../lib/format';
import { checkRefund, newIdempotencyKey, parseSeatIds, REASON_MAX, refundOutcome, type RefundScope } from '../refund';
import { ConfirmDialog } from './ConfirmDialog';

type Lookup =
  | { state: 'none' }
  | { state: 'loading' }
  | { state: 'found'; order: OrganizerOrder }
  | { state: 'manual' }
  | { state: 'failed'; message: string };

export function RefundPanel({ api, showId }: { api: Pick<OrganizerClient, 'getOrder' | 'refund'>; showId: string }) {
  const [orderId, setOrderId] = useState('');
  const [lookup, setLookup] = useState<Lookup>({ state: 'none' });
  const [whole, setWhole] = useState(true);
  const [chosen, setChosen] = useState<string[]>([]);
  const [typedSeats, setTypedSeats] = useState('');
  const [reason, setReason] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  const [confirming, setConfirming] = useState<{ key: string } | null>(null);
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState('');

  const order = lookup.state === 'found' ? lookup.order : null;
  const scope: RefundScope = whole ? { whole: true } : { whole: false, seatIds: order ? chosen : parseSeatIds(typedSeats) };
  const check = checkRefund(order, scope, reason);

  const find = async (e: Event) => {
    e.preventDefault();
    const id = orderId.trim();
    if (!id) return;
    setLookup({ state: 'loading' });
    setOutcome('');
    setProblem(null);
    setChosen([]);
    try {
      setLookup({ state: 'found', order: await api.getOrder(id) });
    } catch (err) {
      if (isMissingRoute(err)) setLookup({ state: 'manual' });
      else if (err instanceof ApiError && err.status === 404) setLookup({ state: 'failed', message: `No order ${id} among your organization's orders.` });
      else setLookup({ state: 'failed', message: errorMessage(err) });
    }
  };

  const ask = (e: Event) => {
    e.preventDefault();
    setOutcome('');
    if (check.error) {
      setProblem(check.error);
      return;
    }
    setProblem(null);
    setConfirming({ key: newIdempotencyKey() });
  };

  const send = async () => {
    if (!confirming || !check.body) return;
    setBusy(true);
    try {
      const after = await api.refund(orderId.trim(), check.body, confirming.key);
      setOutcome(refundOutcome(order, after));
      setConfirming(null);
      setReason('');
      setChosen([]);
      setTypedSeats('');
      if (order) setLookup({ state: 'found', order: { ...order, ...after, tickets: order.tickets.filter((t) => after.status !== 'refunded' && !(check.body?.seat_ids ?? []).includes(t.seat.id)) } });
    } catch (err) {
      // The same confirmation may be sent again with the same key: the server answers it once.
      setProblem(
        err instanceof ApiError && err.code === 'not_refundable' ? 'This order cannot be refunded: it is not paid (or was refunded already).' : errorMessage(err),
      );
      if (!(err instanceof ApiError) || err.status < 500) setConfirming(null);
    } finally {
      setBusy(false);
    }
  };

  const seatCount = check.seats ?? (scope.whole ? null : scope.seatIds.length);
  const seatsText = seatCount === null ? 'every seat' : `${seatCount} seat${seatCount === 1 ? '' : 's'}`;
  const amountText = check.amountCents !== null && order ? ` (${money(check.amountCents, order.currency)})` : '';

  return (
    <section class="card cockpit-card" aria-labelledby="refund-title" data-testid="refund-panel">
      <h2 id="refund-title" class="h3">
        Refund an order
      </h2>
      <form class="inline-form" onSubmit={find}>
        <label class="field grow">
          <span>Order id</span>
          <input
            value={orderId}
            onInput={(e) => {
              setOrderId((e.currentTarget as HTMLInputElement).value);
              setLookup({ state: 'none' });
            }}
            autoComplete="off"
            spellcheck={false}
            aria-describedby="refund-order-hint"
            data-testid="refund-order-id"
          />
        </label>
        <button type="submit" class="btn" disabled={!orderId.trim() || lookup.state === 'loading'} data-testid="refund-find">
          {lookup.state === 'loading' ? 'Looking…' : 'Find'}
        </button>
      </form>
      <p id="refund-order-hint" class="muted small">
        The orders export lists every order's id.
      </p>
      {lookup.state === 'failed' && (
        <div class="banner banner-error" role="alert" data-testid="refund-lookup-error">
          <p>{lookup.message}</p>
        </div>
      )}

      {(lookup.state === 'found' || lookup.state === 'manual') && (
        <form class="form" onSubmit={ask} noValidate data-testid="refund-form">
          {order ? (
            <div class="order-box" data-testid="refund-order" data-status={order.status}>
              <p>
                <strong>Order {order.order_id}</strong> · {order.status.replace(/_/g, ' ')} · {money(order.amount_cents, order.currency)}
                {order.refunded_cents ? ` · ${money(order.refunded_cents, order.currency)} refunded` : ''}
              </p>
              {order.show_id !== showId && <p class="field-error">This order is for another of your shows.</p>}
            </div>
          ) : (
            <p class="muted small" data-testid="refund-manual">
              This server cannot show an order's seats here: refund the whole order, or type the seat ids to refund (the attendees
              export lists them).
            </p>
          )}
          <fieldset class="form-group">
            <legend>What to refund</legend>
            <label class="check">
              <input type="radio" name="refund-scope" checked={whole} onChange={() => setWhole(true)} data-testid="refund-whole" />
              The whole order
            </label>
            <label class="check">
              <input type="radio" name="refund-scope" checked={!whole} onChange={() => setWhole(false)} data-testid="refund-some" />
              Chosen seats
            </label>
            {!whole && order && (
              <ul class="refund-seats">
                {order.tickets.map((t) => (
                  <li key={t.ticket_id}>
                    <label class="check">
                      <input
                        type="checkbox"
                        checked={chosen.includes(t.seat.id)}
                        onChange={(e) =>
                          setChosen((c) => ((e.currentTarget as HTMLInputElement).checked ? [...c, t.seat.id] : c.filter((id) => id !== t.seat.id)))
                        }
                        data-testid="refund-seat"
                        data-seat-id={t.seat.id}
                      />
                      {t.seat.section}, row {t.seat.row}, seat {t.seat.number} · {money(t.price_cents, t.currency)}
                    </label>
                  </li>
                ))}
              </ul>
            )}
            {!whole && !order && (
              <label class="field">
                <span>Seat ids</span>
                <input value={typedSeats} onInput={(e) => setTypedSeats((e.currentTarget as HTMLInputElement).value)} data-testid="refund-seat-ids" />
              </label>
            )}
          </fieldset>
          <label class="field">
            <span>Reason</span>
            <input
              value={reason}
              maxLength={REASON_MAX}
              onInput={(e) => setReason((e.currentTarget as HTMLInputElement).value)}
              placeholder="e.g. the fan cannot attend; seat with a restricted view"
              data-testid="refund-reason"
            />
          </label>
          <div class="actions">
            <button type="submit" class="btn btn-danger-outline" data-testid="refund-submit">
              Refund…
            </button>
          </div>
        </form>
      )}
      {problem && (
        <div class="banner banner-error" role="alert" data-testid="refund-error">
          <p>{problem}</p>
        </div>
      )}
      <p role="status" class="small" data-testid="refund-outcome">
        {outcome}
      </p>
      <ConfirmDialog
        open={confirming !== null}
        title="Refund this order?"
        confirmLabel={`Refund ${seatsText}${amountText}`}
        danger
        busy={busy}
        onConfirm={() => void send()}
        onCancel={() => setConfirming(null)}
        testid="confirm-refund"
      >
        <p>
          {whole ? 'The whole order' : seatsText} of order <strong>{orderId.trim()}</strong>
          {amountText} goes back to the card that paid. The tickets stop opening the gate at once, their seats go back on sale, and
          the fan gets an e-mail with your reason.
        </p>
        <p class="muted small">Reason: {reason.trim()}</p>
      </ConfirmDialog>
    </section>
  );
}
