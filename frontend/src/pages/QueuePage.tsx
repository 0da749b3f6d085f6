/**
 * The waiting room: joins the line (POST .../queue), then follows it live (WS
 * .../queue/live) and re-reads the fan's entry now and then (GET .../queue/me). When
 * the fan is admitted, moves on to the seat map.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, api, errorMessage, livePaths, wsUrl } from '../api/client';
import type { Show } from '../api/types';
import { ErrorBanner, InfoBanner, Loading } from '../components/Feedback';
import { roughDuration, showTime } from '../lib/format';
import { navigate, paths } from '../lib/router';
import { sessionExpired, useSession } from '../lib/session';
import { ReconnectingSocket, type LiveState } from '../lib/socket';
import { DrawCheck } from '../queue/DrawCheck';
import { isQueueBroadcast, QueueTracker, type QueueView } from '../queue/tracker';
import { saleRefusal } from '../show/saleMessages';
import { useTitle } from './useTitle';

const REFRESH_MS = 15_000;
const ADMITTED_PAUSE_MS = 1500;

export function QueuePage({ showId }: { showId: string }) {
  useTitle('Waiting room');
  const session = useSession();
  const [show, setShow] = useState<Show | null>(null);
  const [view, setView] = useState<QueueView | null>(null);
  const [queueId, setQueueId] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [live, setLive] = useState<LiveState>('closed');
  const [attempt, setAttempt] = useState(0);
  const tracker = useRef<QueueTracker | null>(null);

  useEffect(() => {
    if (session.status !== 'signed_in') return;
    let cancelled = false;
    let socket: ReconnectingSocket | null = null;
    let refresh: ReturnType<typeof setInterval> | undefined;
    const start = async () => {
      setError(null);
      try {
        const [s, entry] = await Promise.all([api.getShow(showId).catch(() => null), api.joinQueue(showId)]);
        if (cancelled) return;
        setShow(s);
        setQueueId(entry.queue_id);
        const t = new QueueTracker(entry);
        tracker.current = t;
        setView(t.view());
        if (entry.admitted) return;
        const reread = async () => {
          try {
            const fresh = await api.queueMe(showId);
            if (!cancelled) setView(t.applyEntry(fresh));
          } catch {
            /* the broadcast keeps us going; try again next time */
          }
        };
        let wasOpen: boolean | undefined;
        let confirming = false;
        socket = new ReconnectingSocket(wsUrl(livePaths.queue(showId)), {
          onMessage: (data) => {
            if (!isQueueBroadcast(data) || cancelled) return;
            const before = t.view();
            const v = t.applyBroadcast(data);
            setView(v);
            // Our number came up: the server grants admission as it moves the line; ask for it.
            if (v.turn && !before.turn && !v.admitted && !confirming) {
              confirming = true;
              void reread().finally(() => (confirming = false));
            }
            // The line just opened: places of early arrivals were drawn, learn ours.
            if (data.open === true && wasOpen === false) void reread();
            if (data.open !== undefined) wasOpen = data.open;
          },
          onState: (st) => !cancelled && setLive(st),
        });
        socket.start();
        refresh = setInterval(() => void reread(), REFRESH_MS);
      } catch (e) {
        if (cancelled) return;
        if (e instanceof ApiError && e.status === 401) sessionExpired();
        setError((e instanceof ApiError && e.status === 409 && saleRefusal(e.code)) || errorMessage(e));
      }
    };
    void start();
    return () => {
      cancelled = true;
      socket?.stop();
      clearInterval(refresh);
    };
  }, [showId, session.status, attempt]);

  const admitted = view?.admitted ?? false;
  useEffect(() => {
    if (!admitted) return;
    const t = setTimeout(() => navigate(paths.show(showId), { replace: true }), ADMITTED_PAUSE_MS);
    return () => clearTimeout(t);
  }, [admitted, showId]);

  if (session.status === 'loading') return <Loading />;
  if (session.status === 'signed_out') {
    return (
      <div class="queue-page" data-testid="queue-page">
        <h1>Waiting room</h1>
        <InfoBanner testid="signin-prompt">
          Please <a href={paths.signin(paths.queue(showId))}>sign in</a> to join the line for this show.
        </InfoBanner>
      </div>
    );
  }
  if (error) return <ErrorBanner message={error} onRetry={() => setAttempt((a) => a + 1)} />;
  if (!view) return <Loading label="Joining the line…" />;

  const saleOpen = !show || Date.parse(show.sale_opens_at) <= Date.now();
  const percent = Math.round(view.progress * 100);
  return (
    <div class="queue-page" data-testid="queue-page">
      <h1 tabIndex={-1}>Waiting room</h1>
      {show && (
        <p class="muted">
          {show.title} · {showTime(show.starts_at)} · {show.venue.name}, {show.venue.city}
        </p>
      )}
      <section class="card queue-card" aria-labelledby="queue-status-title">
        <h2 id="queue-status-title" class="visually-hidden">
          Your place in line
        </h2>
        {view.turn && !view.admitted ? (
          <div class="queue-ended" data-testid="queue-admission-ended" role="status">
            <p class="queue-big">Your turn came</p>
            <p>
              but your time to shop has ended: an admission lasts a few minutes, and ends once you have paid or released all
              your seats.
            </p>
            <p class="actions actions-center">
              <button type="button" class="btn" onClick={() => setAttempt((a) => a + 1)} data-testid="queue-check-again">
                Check again
              </button>
              <a class="btn" href={paths.shows()}>
                See other shows
              </a>
            </p>
          </div>
        ) : view.admitted ? (
          <div class="queue-admitted" data-testid="queue-admitted" role="status">
            <p class="queue-big">It's your turn!</p>
            <p>Taking you to the seat map…</p>
            <a class="btn btn-primary" href={paths.show(showId)}>
              Choose seats now
            </a>
          </div>
        ) : (
          <div role="status" aria-live="polite" aria-atomic="true">
            <p class="queue-label">Your place in line</p>
            <p class="queue-big" data-testid="queue-position" data-position={view.position ?? ''}>
              {view.position === null ? '—' : view.position.toLocaleString()}
            </p>
            <p data-testid="queue-ahead" data-ahead={view.ahead ?? ''}>
              {view.ahead === null
                ? 'Your place is drawn when the sale opens.'
                : view.ahead === 0
                  ? 'You are next.'
                  : `${view.ahead.toLocaleString()} ${view.ahead === 1 ? 'person' : 'people'} ahead of you`}
            </p>
            {view.paused ? (
              <p class="queue-paused" data-testid="queue-paused">
                <strong>Paused.</strong> The organizer has paused the sale for a moment. You keep your place; the line moves
                again as soon as the sale resumes.
              </p>
            ) : (
              <p data-testid="queue-wait">Estimated wait: {roughDuration(view.estimatedWaitS)}</p>
            )}
          </div>
        )}
        <div
          class="progress"
          role="progressbar"
          aria-label="Progress through the line"
          aria-valuemin={0}
          aria-valuemax={100}
          aria-valuenow={percent}
          data-testid="queue-progress"
        >
          <div class="progress-bar" style={{ width: `${percent}%` }} />
        </div>
        {!saleOpen && show && (
          <p class="small" data-testid="queue-before-sale">
            The sale opens {showTime(show.sale_opens_at)}. Everyone who joins before then gets a random place when it opens.
          </p>
        )}
        <p class="muted small">
          Keep this page open; it updates by itself. Leaving and coming back keeps your place.{' '}
          <span class={`live-status live-${live}`} data-testid="queue-live-status" data-state={live}>
            <span class="dot" aria-hidden="true" />
            {live === 'open' ? 'Live' : live === 'closed' ? '' : 'Reconnecting…'}
          </span>
        </p>
      </section>
      {queueId && <DrawCheck showId={showId} queueId={queueId} number={view.number} />}
    </div>
  );
}
