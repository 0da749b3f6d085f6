/**
 * The show's live seat map in the cockpit: the fans' own map (seatmap/: the layout and status documents, the live
 * feed over WS /shows/{id}/live, the canvas with its keyboard use), read-only. Seats change colour as fans hold,
 * buy and let go of them; a click or Enter only says what a seat is.
 */
import { useEffect, useMemo, useState } from 'preact/hooks';
import { api, errorMessage, livePaths, wsUrl } from '../../api/client';
import { ErrorBanner, Loading } from '../../components/Feedback';
import { money } from '../../lib/format';
import type { LiveState } from '../../lib/socket';
import { HELD_COLOUR, SOLD_COLOUR, tierColours } from '../../seatmap/colours';
import { LiveMapFeed } from '../../seatmap/live';
import { loadSeatMap } from '../../seatmap/load';
import type { SeatMapModel } from '../../seatmap/model';
import { SeatMapCanvas, type SeatMapHost } from '../../seatmap/SeatMapCanvas';
import { SpatialGrid } from '../../seatmap/spatial';

/** The canvas's page, for looking only: nothing is held, nothing is taken from anyone. */
class ReadOnlyHost implements SeatMapHost {
  onTaken: ((slots: number[]) => void) | null = null;
  onPicked: ((slots: number[]) => void) | null = null;
  markFirstPaint(): void {}
  toggleSeat(): void {}
}

const LIVE_TEXT: Record<LiveState, string> = {
  connecting: 'Connecting…',
  open: 'Live',
  reconnecting: 'Reconnecting…',
  closed: 'Offline',
};

export function CockpitMap({ showId }: { showId: string }) {
  const host = useMemo(() => new ReadOnlyHost(), []);
  const [map, setMap] = useState<{ model: SeatMapModel; grid: SpatialGrid } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [live, setLive] = useState<LiveState>('closed');
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    let feed: LiveMapFeed | null = null;
    let gone = false;
    setError(null);
    loadSeatMap(api, showId).then(
      (model) => {
        if (gone) return;
        setMap({ model, grid: new SpatialGrid(model, model.pitch * 4) });
        feed = new LiveMapFeed(model, wsUrl(livePaths.seatMap(showId)), { onState: (s) => !gone && setLive(s) });
        feed.start();
      },
      (e: unknown) => !gone && setError(errorMessage(e)),
    );
    return () => {
      gone = true;
      feed?.stop();
    };
  }, [showId, attempt]);

  return (
    <section class="card cockpit-card cockpit-map" aria-labelledby="map-title" data-testid="cockpit-map">
      <div class="cockpit-card-head">
        <h2 id="map-title" class="h3">
          Seat map
        </h2>
        <span class={`live-status live-${live}`} data-testid="cockpit-map-live" data-state={live}>
          <span class="dot" aria-hidden="true" />
          {LIVE_TEXT[live]}
        </span>
      </div>
      {error ? (
        <ErrorBanner message={error} onRetry={() => setAttempt((a) => a + 1)} />
      ) : !map ? (
        <Loading label="Loading the seat map…" />
      ) : (
        <>
          <SeatMapCanvas controller={host} model={map.model} grid={map.grid} readOnly />
          <MapLegend model={map.model} />
        </>
      )}
    </section>
  );
}

function MapLegend({ model }: { model: SeatMapModel }) {
  const colours = tierColours(model.prices.length);
  return (
    <ul class="legend-list legend-inline" aria-label="Map colours" data-testid="cockpit-legend">
      {model.prices.map((price, t) => {
        const sections = model.sections.filter((s) => s.tier === t);
        const names = sections.length <= 3 ? sections.map((s) => s.name).join(', ') : `${sections.length} sections`;
        return (
          <li key={t} class="legend-item">
            <span class="swatch" aria-hidden="true" style={{ background: colours[t] }} />
            Available{price > 0 ? ` at ${money(price, model.currency)}` : ''}: {names}
          </li>
        );
      })}
      <li class="legend-item">
        <span class="swatch" aria-hidden="true" style={{ background: HELD_COLOUR }} />
        Held
      </li>
      <li class="legend-item">
        <span class="swatch" aria-hidden="true" style={{ background: SOLD_COLOUR }} />
        Sold
      </li>
    </ul>
  );
}
