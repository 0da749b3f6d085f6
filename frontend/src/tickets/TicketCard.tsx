/** One ticket: show, venue, time, seat, and its code for the gate (rotating where the browser can). */
import type { Ticket } from '../api/types';
import { money, showTime } from '../lib/format';
import { TicketCode } from './TicketCode';

export function TicketCard({ ticket }: { ticket: Ticket }) {
  const { show, seat } = ticket;
  return (
    <article class="card ticket-card" data-testid="ticket-card" data-ticket-id={ticket.ticket_id} aria-labelledby={`ticket-${ticket.ticket_id}`}>
      <div class="ticket-info">
        <h3 id={`ticket-${ticket.ticket_id}`} class="h3">
          {show.title}
        </h3>
        <p class="muted">
          {show.venue.name}, {show.venue.city}
        </p>
        <p>
          <time dateTime={show.starts_at}>{showTime(show.starts_at)}</time>
        </p>
        <dl class="seat-facts">
          <div>
            <dt>Section</dt>
            <dd>{seat.section}</dd>
          </div>
          <div>
            <dt>Row</dt>
            <dd>{seat.row}</dd>
          </div>
          <div>
            <dt>Seat</dt>
            <dd>{seat.number}</dd>
          </div>
        </dl>
        <p class="muted small">{money(ticket.price_cents, ticket.currency)}</p>
      </div>
      <TicketCode ticket={ticket} label={`QR code for ${show.title}, section ${seat.section}, row ${seat.row}, seat ${seat.number}`} />
    </article>
  );
}
