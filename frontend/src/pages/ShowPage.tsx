/** A show: its details, the live seat map (or list), best available, and the fan's hold. */
import { useEffect, useMemo, useState } from 'preact/hooks';
import { ErrorBanner, InfoBanner, Loading } from '../components/Feedback';
import { priceRange, showTime } from '../lib/format';
import { paths } from '../lib/router';
import { useSession } from '../lib/session';
import { useStore } from '../lib/store';
import { SeatMapCanvas } from '../seatmap/SeatMapCanvas';
import { BestAvailableForm } from '../show/BestAvailableForm';
import { ShowController, type Notice } from '../show/controller';
import { HoldSummary } from '../show/HoldSummary';
import { Legend } from '../show/Legend';
import { SeatList } from '../show/SeatList';
import { useTitle } from './useTitle';

const LIVE_TEXT = {
  connecting: 'Connecting to live updates…',
  open: 'Live',
  reconnecting: 'Reconnecting…',
  closed: 'Offline',
} as const;

export function ShowPage({ showId }: { showId: string }) {
  const controller = useMemo(() => new ShowController(showId), [showId]);
  const state = useStore(controller.state);
  const session = useSession();
  const [view, setView] = useState<'map' | 'list'>('map');
  const here = paths.show(showId);

  useEffect(() => {
    void controller.load();
    return () => controller.dispose();
  }, [controller]);

  // A show with a waiting room: a signed-in fan who was not let in yet goes to the line.
  useEffect(() => {
    if (state.show && session.status === 'signed_in') void controller.checkAdmission();
  }, [state.show, session.status]);

  useTitle(state.show?.title ?? 'Show');

  if (state.loading) return <Loading label="Loading the show and its seat map…" />;
  if (state.error || !state.show || !state.model || !state.grid) {
    return <ErrorBanner message={state.error ?? 'This show could not be loaded.'} onRetry={() => void controller.load()} />;
  }
  const { show, model, grid, hold, busy, notice } = state;
  const saleOpens = Date.parse(show.sale_opens_at);

  return (
    <div class="show-page" data-testid="show-page" data-show-id={show.id}>
      <header class="show-header">
        <h1 data-testid="show-title" tabIndex={-1}>
          {show.title}
        </h1>
        <p class="show-meta" data-testid="show-details">
          <span>{showTime(show.starts_at)}</span>
          <span>
            {show.venue.name}, {show.venue.city}
          </span>
          <span>{priceRange(show.price_range.min_cents, show.price_range.max_cents, show.price_range.currency)}</span>
        </p>
        {show.description && <p class="show-description">{show.description}</p>}
      </header>

      {show.status === 'scheduled' && saleOpens > Date.now() && (
        <InfoBanner testid="sale-not-open">
          Tickets go on sale {showTime(show.sale_opens_at)}.{show.queue.enabled ? ' A waiting room opens before the sale.' : ''}
        </InfoBanner>
      )}
      {show.status === 'sold_out' && <InfoBanner testid="sold-out">This show is sold out. Seats may come back if a hold expires.</InfoBanner>}
      {show.status === 'ended' && <InfoBanner testid="show-ended">This show has ended.</InfoBanner>}
      {(show.status as string) === 'cancelled' && (
        <div class="banner banner-warn" data-testid="show-cancelled">
          <p>This show has been cancelled. Every paid order is refunded automatically to the card that paid it.</p>
        </div>
      )}
      {session.status === 'signed_out' && (
        <InfoBanner testid="signin-prompt">
          <a href={paths.signin(here)}>Sign in</a> or <a href={paths.register(here)}>create an account</a> to hold seats.
          {show.queue.enabled ? ' This show has a waiting room; you join it once signed in.' : ''}
        </InfoBanner>
      )}

      <NoticeBar notice={notice} onDismiss={() => controller.clearNotice()} signInHref={paths.signin(here)} />

      <div class="show-layout">
        <div class="show-main">
          <div class="view-switch" role="group" aria-label="How to pick seats">
            <button type="button" class={`btn btn-small ${view === 'map' ? 'active' : ''}`} aria-pressed={view === 'map'} onClick={() => setView('map')} data-testid="view-map">
              Map
            </button>
            <button type="button" class={`btn btn-small ${view === 'list' ? 'active' : ''}`} aria-pressed={view === 'list'} onClick={() => setView('list')} data-testid="view-list">
              List
            </button>
            <span class={`live-status live-${state.live}`} data-testid="live-status" data-state={state.live} role="status">
              <span class="dot" aria-hidden="true" />
              {LIVE_TEXT[state.live]}
            </span>
          </div>
          {view === 'map' ? <SeatMapCanvas controller={controller} model={model} grid={grid} /> : <SeatList controller={controller} model={model} tick={state.tick} />}
        </div>
        <aside class="show-side">
          <HoldSummary
            hold={hold}
            model={model}
            busy={busy}
            onRelease={(id) => void controller.releaseSeat(id)}
            onReleaseAll={() => void controller.releaseAll()}
            onCheckout={() => controller.goToCheckout()}
            onExpire={() => undefined /* the controller's own timer releases the hold */}
          />
          <BestAvailableForm controller={controller} model={model} busy={busy} />
          <Legend model={model} />
        </aside>
      </div>
    </div>
  );
}

/**
 * Notices show as a toast fixed at the bottom of the window: nothing in the page moves
 * when one appears (a map that jumps under the pointer would make the next click land on
 * another seat). Quiet ones fade after a few seconds; warnings stay until dismissed.
 */
function NoticeBar({ notice, onDismiss, signInHref }: { notice: Notice | null; onDismiss: () => void; signInHref: string }) {
  useEffect(() => {
    if (!notice || (notice.kind !== 'success' && notice.kind !== 'info')) return;
    const t = setTimeout(onDismiss, 6000);
    return () => clearTimeout(t);
  }, [notice?.id]);
  const tone = notice?.kind === 'taken' || notice?.kind === 'error' || notice?.kind === 'expired' || notice?.kind === 'sale' ? 'warn' : 'info';
  // The live region stays in the DOM so screen readers announce each new notice.
  return (
    <div class="toast-region" aria-live={tone === 'warn' ? 'assertive' : 'polite'} aria-atomic="true">
      {notice && (
        <div
          key={notice.id}
          class={`toast toast-${tone}`}
          data-testid={notice.kind === 'taken' ? 'seats-taken-message' : notice.kind === 'sale' ? 'sale-stopped-message' : 'notice'}
          data-kind={notice.kind}
        >
          <p>
            {notice.text}
            {notice.kind === 'signin' && (
              <>
                {' '}
                <a href={signInHref}>Sign in</a>
              </>
            )}
          </p>
          <button type="button" class="toast-close" onClick={onDismiss} aria-label="Dismiss message">
            ×
          </button>
        </div>
      )}
    </div>
  );
}
