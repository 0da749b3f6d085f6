/**
 * The sale cockpit of one show: the live seat map, the sale's figures (WS .../dashboard/live, polling while it is
 * down), and the controls: pause, resume and close the sale, the waiting room's pace, refunds, the exports, and
 * cancelling the show.
 *
 * Screen readers: the figures are plain text (no live region: they change every second); a polite summary is
 * announced at most every ANNOUNCE_MS when it changed, and every control says what it did in its own status line.
 */
import { useEffect, useReducer, useRef, useState } from 'preact/hooks';
import { api } from '../api/client';
import { isMissingRoute, organizerApi, organizerPaths } from '../api/organizer';
import type { OrganizerShow, QueueSettings, SaleState } from '../api/organizerTypes';
import { ErrorBanner, Loading } from '../components/Feedback';
import { showTime } from '../lib/format';
import { paths } from '../lib/router';
import { useTitle } from '../pages/useTitle';
import { CancelPanel } from './cockpit/CancelPanel';
import { CockpitMap } from './cockpit/CockpitMap';
import { MoneyCounters, SeatCounters } from './cockpit/Counters';
import { QueuePanel } from './cockpit/QueuePanel';
import { RefundPanel } from './cockpit/RefundPanel';
import { SaleControls } from './cockpit/SaleControls';
import { age, ANNOUNCE_MS, freshness, initialCockpit, reduce, summary, type Freshness } from './dashboard';
import { DashboardFeed } from './feed';
import { saleOf } from './saleState';
import { useLoad } from './useLoad';

type CockpitShow = Omit<OrganizerShow, 'sale'> & { sale: SaleState | null };

/** The organizer's view of the show; the public one (sale state unknown) where the server has no organizer GET yet. */
async function loadShow(showId: string): Promise<CockpitShow> {
  try {
    return await organizerApi.getShow(showId);
  } catch (e) {
    if (!isMissingRoute(e)) throw e;
    const show = await api.getShow(showId);
    return { ...show, status: show.status, sale: null, queue: { enabled: show.queue.enabled } };
  }
}

const FRESHNESS_TEXT: Record<Freshness, string> = {
  live: 'Live',
  polling: 'Polling',
  stale: 'Not updating',
  waiting: 'Waiting for figures…',
};

function useNow(everyMs: number): number {
  const [now, setNow] = useState(Date.now);
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), everyMs);
    return () => clearInterval(t);
  }, [everyMs]);
  return now;
}

export function CockpitPage({ showId }: { showId: string }) {
  const loaded = useLoad(() => loadShow(showId), [showId]);
  const [state, dispatch] = useReducer(reduce, initialCockpit);
  const [sale, setSale] = useState<SaleState | 'cancelled' | null>(null);
  const [queue, setQueue] = useState<QueueSettings | null>(null);
  const [announcement, setAnnouncement] = useState('');
  const announced = useRef({ at: 0, text: '' });
  const now = useNow(1000);
  const show = loaded.data;
  useTitle(show ? `Cockpit: ${show.title}` : 'Sale cockpit');

  useEffect(() => {
    if (!show) return;
    setSale(show.sale === null ? (show.status === 'cancelled' ? 'cancelled' : null) : saleOf({ status: show.status, sale: show.sale }));
    setQueue(show.queue);
  }, [show]);

  useEffect(() => {
    const feed = new DashboardFeed(showId, dispatch);
    feed.start();
    return () => feed.stop();
  }, [showId]);

  // The polite summary: the first figures at once, then at most every ANNOUNCE_MS, and only when they changed.
  useEffect(() => {
    if (!state.dashboard) return;
    const text = summary(state.dashboard);
    const last = announced.current;
    if (text === last.text || (last.at && now - last.at < ANNOUNCE_MS)) return;
    announced.current = { at: now, text };
    setAnnouncement(text);
  }, [state.dashboard, now]);

  if (loaded.loading && !show) return <Loading label="Loading the show…" />;
  if (loaded.error || !show) return <ErrorBanner message={loaded.error ?? 'This show could not be loaded.'} onRetry={loaded.reload} />;

  const fresh = freshness(state, now);
  const cancelled = sale === 'cancelled';
  return (
    <div class="cockpit" data-testid="cockpit" data-show-id={show.id}>
      <header class="cockpit-head">
        <div>
          <p class="eyebrow">Sale cockpit</p>
          <h1 tabIndex={-1} data-testid="cockpit-title">
            {show.title}
          </h1>
          <p class="muted">
            {showTime(show.starts_at)} · {show.venue.name}, {show.venue.city}
          </p>
        </div>
        <div class="cockpit-head-side">
          <span class={`feed-status feed-${fresh}`} data-testid="feed-status" data-state={fresh}>
            <span class="dot" aria-hidden="true" />
            {FRESHNESS_TEXT[fresh]}
            {state.receivedAt !== null && <span class="muted"> · updated {age(state.receivedAt, now)}</span>}
          </span>
          <nav class="cockpit-links" aria-label="This show">
            <a href={paths.organizerEditShow(show.id)} data-testid="cockpit-edit">
              Edit show
            </a>
            <a href={paths.show(show.id)}>Public page</a>
          </nav>
        </div>
      </header>

      {state.refused && (
        <div class="banner banner-error" role="alert" data-testid="cockpit-refused">
          <p>
            {state.refused === 'signed_out'
              ? 'Your session has ended: sign in again to see the figures.'
              : state.refused === 'forbidden'
                ? 'This account may not see this show’s figures.'
                : 'This show is not one of your organization’s.'}
          </p>
          {state.refused === 'signed_out' && (
            <a class="btn btn-small" href={paths.signin(paths.cockpit(show.id))}>
              Sign in
            </a>
          )}
        </div>
      )}
      {state.pollError && !state.refused && (
        <div class="banner banner-warn" data-testid="cockpit-poll-error">
          <p>The figures could not be read: {state.pollError} Trying again…</p>
        </div>
      )}

      <div class="cockpit-counters">
        <SeatCounters d={state.dashboard} />
        <MoneyCounters d={state.dashboard} history={state.history} />
      </div>

      <div class="cockpit-grid">
        <div class="cockpit-main">
          <CockpitMap showId={show.id} />
        </div>
        <div class="cockpit-side">
          {!cancelled && <SaleControls api={organizerApi} showId={show.id} sale={sale} onChanged={setSale} />}
          {!cancelled && (
            <QueuePanel api={organizerApi} showId={show.id} settings={queue} dashboard={state.dashboard} history={state.history} onApplied={setQueue} />
          )}
          <section class="card cockpit-card" aria-labelledby="exports-title" data-testid="exports">
            <h2 id="exports-title" class="h3">
              Exports
            </h2>
            <p class="muted small">CSV, streamed: they download whatever the size.</p>
            <ul class="export-links">
              <li>
                <a href={organizerPaths.ordersCsv(show.id)} download data-testid="export-orders">
                  Orders (one line per order)
                </a>
              </li>
              <li>
                <a href={organizerPaths.attendeesCsv(show.id)} download data-testid="export-attendees">
                  Attendees (one line per ticket)
                </a>
              </li>
            </ul>
          </section>
          <RefundPanel api={organizerApi} showId={show.id} />
          <CancelPanel api={organizerApi} showId={show.id} title={show.title} cancelled={cancelled} onCancelled={() => setSale('cancelled')} />
        </div>
      </div>

      <div class="visually-hidden" aria-live="polite" aria-atomic="true" data-testid="cockpit-announcer">
        {announcement}
      </div>
    </div>
  );
}
