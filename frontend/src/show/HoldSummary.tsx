/** The fan's held seats, the total, the hold's countdown, and the way on to checkout. */
import type { Hold } from '../api/types';
import { Countdown } from '../components/Countdown';
import { money } from '../lib/format';
import type { SeatMapModel } from '../seatmap/model';

interface Props {
  hold: Hold | null;
  model: SeatMapModel;
  busy: boolean;
  onRelease: (seatId: string) => void;
  onReleaseAll: () => void;
  onCheckout: () => void;
  onExpire: () => void;
}

export function HoldSummary({ hold, model, busy, onRelease, onReleaseAll, onCheckout, onExpire }: Props) {
  if (!hold) {
    return (
      <section class="card hold-summary" aria-labelledby="hold-title" data-testid="hold-summary" data-state="empty">
        <h2 id="hold-title" class="h3">
          Your seats
        </h2>
        <p class="muted">No seats held yet. Click a seat on the map, use the list, or let us pick the best available.</p>
      </section>
    );
  }
  return (
    <section class="card hold-summary" aria-labelledby="hold-title" data-testid="hold-summary" data-state="held" data-hold-id={hold.hold_id}>
      <h2 id="hold-title" class="h3">
        Your seats ({hold.seat_ids.length})
      </h2>
      <Countdown until={hold.expires_at} label="Held for" testid="hold-countdown" onExpire={onExpire} />
      <ul class="hold-seats">
        {hold.seat_ids.map((id) => {
          const i = model.indexOf(id);
          const sec = i >= 0 ? model.sectionOf(i) : null;
          return (
            <li key={id} class="hold-seat" data-testid="hold-seat" data-seat-id={id}>
              <span>
                {i >= 0 ? (
                  <>
                    Section {sec!.name}, row {model.rowLabel(i)}, seat {model.numbers[i]}
                    <span class="muted"> · {money(sec!.priceCents, model.currency)}</span>
                  </>
                ) : (
                  `Seat ${id}`
                )}
              </span>
              <button
                type="button"
                class="btn btn-link"
                onClick={() => onRelease(id)}
                disabled={busy}
                aria-label={i >= 0 ? `Remove section ${sec!.name}, row ${model.rowLabel(i)}, seat ${model.numbers[i]}` : `Remove seat ${id}`}
                data-testid="hold-remove-seat"
              >
                Remove
              </button>
            </li>
          );
        })}
      </ul>
      <p class="hold-total">
        Total <strong data-testid="hold-total">{money(hold.amount_cents, hold.currency)}</strong>
      </p>
      <div class="actions">
        <button type="button" class="btn btn-primary" onClick={onCheckout} disabled={busy} data-testid="checkout-button">
          Checkout
        </button>
        <button type="button" class="btn" onClick={onReleaseAll} disabled={busy} data-testid="hold-release">
          Release all
        </button>
      </div>
    </section>
  );
}
