/** My tickets: one card per ticket, each with its QR code. */
import { useEffect, useState } from 'preact/hooks';
import { ApiError, api, errorMessage } from '../api/client';
import type { Ticket } from '../api/types';
import { ErrorBanner, InfoBanner, Loading } from '../components/Feedback';
import { paths } from '../lib/router';
import { sessionExpired, useSession } from '../lib/session';
import { TicketCard } from '../tickets/TicketCard';
import { useTitle } from './useTitle';

export function TicketsPage() {
  useTitle('My tickets');
  const session = useSession();
  const [tickets, setTickets] = useState<Ticket[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    if (session.status !== 'signed_in') return;
    let cancelled = false;
    setError(null);
    api
      .myTickets()
      .then((list) => {
        if (cancelled) return;
        // Soonest show first.
        setTickets([...list.items].sort((a, b) => a.show.starts_at.localeCompare(b.show.starts_at)));
      })
      .catch((e) => {
        if (cancelled) return;
        if (e instanceof ApiError && e.status === 401) sessionExpired();
        setError(errorMessage(e));
      });
    return () => {
      cancelled = true;
    };
  }, [session.status, attempt]);

  return (
    <div class="tickets-page" data-testid="tickets-page">
      <h1 tabIndex={-1}>My tickets</h1>
      {session.status === 'loading' ? (
        <Loading />
      ) : session.status === 'signed_out' ? (
        <InfoBanner testid="signin-prompt">
          Please <a href={paths.signin(paths.tickets())}>sign in</a> to see your tickets.
        </InfoBanner>
      ) : error ? (
        <ErrorBanner message={error} onRetry={() => setAttempt((a) => a + 1)} />
      ) : tickets === null ? (
        <Loading label="Loading your tickets…" />
      ) : tickets.length === 0 ? (
        <InfoBanner testid="tickets-empty">
          You have no tickets yet. <a href={paths.shows()}>Find a show</a>
        </InfoBanner>
      ) : (
        <div class="ticket-grid" data-testid="ticket-list">
          {tickets.map((t) => (
            <TicketCard key={t.ticket_id} ticket={t} />
          ))}
        </div>
      )}
    </div>
  );
}
