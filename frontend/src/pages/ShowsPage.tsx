/** The show list with search: text, near me or a city, dates. */
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, errorMessage } from '../api/client';
import type { Show } from '../api/types';
import { ErrorBanner, Loading } from '../components/Feedback';
import { priceRange, showTime } from '../lib/format';
import { navigate, paths, type Loc } from '../lib/router';
import { coordsParam, DEFAULT_RADIUS_KM, parseSearch, searchToUrl, toShowQuery, type SearchState } from '../lib/search';
import { useTitle } from './useTitle';

interface City {
  name: string;
  near: string;
}

const STATUS_TEXT: Record<Show['status'], string> = {
  scheduled: 'Coming soon',
  on_sale: 'On sale',
  sold_out: 'Sold out',
  ended: 'Ended',
  cancelled: 'Cancelled',
};

/** Cities come from the venues of upcoming shows (the API has no geocoder). */
function useCities(): City[] {
  const [cities, setCities] = useState<City[]>([]);
  useEffect(() => {
    let cancelled = false;
    api
      .listShows({ limit: 100 })
      .then((list) => {
        if (cancelled) return;
        const seen = new Map<string, City>();
        for (const s of list.items) {
          if (!seen.has(s.venue.city)) seen.set(s.venue.city, { name: s.venue.city, near: coordsParam(s.venue.lat, s.venue.lng) });
        }
        setCities([...seen.values()].sort((a, b) => a.name.localeCompare(b.name)));
      })
      .catch(() => undefined); // the city picker is a convenience
    return () => {
      cancelled = true;
    };
  }, []);
  return cities;
}

export function ShowsPage({ loc }: { loc: Loc }) {
  useTitle('Shows');
  const search = parseSearch(loc.search);
  const [text, setText] = useState(search.q);
  const [shows, setShows] = useState<Show[] | null>(null);
  const [cursor, setCursor] = useState<string | null>(null);
  const [loadingMore, setLoadingMore] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [geoError, setGeoError] = useState<string | null>(null);
  const [locating, setLocating] = useState(false);
  const [attempt, setAttempt] = useState(0);
  const cities = useCities();
  const debounce = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);

  const update = (patch: Partial<SearchState>, replace = false) => navigate(searchToUrl({ ...search, ...patch }), { replace });

  useEffect(() => setText(search.q), [search.q]);

  useEffect(() => {
    const ctrl = new AbortController();
    setShows(null);
    setError(null);
    api
      .listShows(toShowQuery(search), ctrl.signal)
      .then((list) => {
        setShows(list.items);
        setCursor(list.next_cursor);
      })
      .catch((e) => {
        if (!ctrl.signal.aborted) setError(errorMessage(e));
      });
    return () => ctrl.abort();
  }, [loc.search, attempt]);

  const loadMore = async () => {
    if (!cursor) return;
    setLoadingMore(true);
    try {
      const list = await api.listShows(toShowQuery(search, cursor));
      setShows((prev) => [...(prev ?? []), ...list.items]);
      setCursor(list.next_cursor);
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setLoadingMore(false);
    }
  };

  const onText = (value: string) => {
    setText(value);
    clearTimeout(debounce.current);
    debounce.current = setTimeout(() => update({ q: value }, true), 300);
  };

  const onSubmit = (e: Event) => {
    e.preventDefault();
    clearTimeout(debounce.current);
    update({ q: text });
  };

  const nearMe = () => {
    setGeoError(null);
    if (!('geolocation' in navigator)) {
      setGeoError('Your browser cannot tell us where you are. Pick a city instead.');
      return;
    }
    setLocating(true);
    navigator.geolocation.getCurrentPosition(
      (pos) => {
        setLocating(false);
        update({ near: coordsParam(pos.coords.latitude, pos.coords.longitude), city: '' });
      },
      () => {
        setLocating(false);
        setGeoError('We could not get your location. Pick a city instead.');
      },
      { maximumAge: 600_000, timeout: 10_000 },
    );
  };

  const onPlace = (value: string) => {
    if (value === '') update({ near: '', city: '' });
    else if (value === '__me') nearMe();
    else {
      const c = cities.find((x) => x.name === value);
      if (c) update({ near: c.near, city: c.name });
    }
  };

  const placeValue = search.near ? (search.city ? search.city : '__me') : '';
  const knownCity = !search.city || cities.some((c) => c.name === search.city);

  return (
    <div class="shows-page">
      <h1 tabIndex={-1}>Find a show</h1>
      <form class="card search-form" role="search" onSubmit={onSubmit} data-testid="search-form">
        <label class="field grow-2">
          <span>Search</span>
          <input
            type="search"
            name="q"
            placeholder="Artist, show or venue"
            value={text}
            onInput={(e) => onText((e.currentTarget as HTMLInputElement).value)}
            data-testid="search-input"
          />
        </label>
        <label class="field">
          <span>Where</span>
          <select value={placeValue} onChange={(e) => onPlace((e.currentTarget as HTMLSelectElement).value)} data-testid="search-city">
            <option value="">Anywhere</option>
            <option value="__me">{locating ? 'Finding you…' : 'Near me'}</option>
            {!knownCity && <option value={search.city}>{search.city}</option>}
            {cities.map((c) => (
              <option key={c.name} value={c.name}>
                {c.name}
              </option>
            ))}
          </select>
        </label>
        {search.near && (
          <label class="field">
            <span>Within</span>
            <select value={String(search.radiusKm)} onChange={(e) => update({ radiusKm: Number((e.currentTarget as HTMLSelectElement).value) })} data-testid="search-radius">
              {[10, 25, DEFAULT_RADIUS_KM, 100, 250, 500].map((r) => (
                <option key={r} value={String(r)}>
                  {r} km
                </option>
              ))}
            </select>
          </label>
        )}
        <label class="field">
          <span>From</span>
          <input type="date" value={search.from} onChange={(e) => update({ from: (e.currentTarget as HTMLInputElement).value })} data-testid="search-from" />
        </label>
        <label class="field">
          <span>To</span>
          <input type="date" value={search.to} min={search.from || undefined} onChange={(e) => update({ to: (e.currentTarget as HTMLInputElement).value })} data-testid="search-to" />
        </label>
        <div class="field field-actions">
          <button type="submit" class="btn btn-primary" data-testid="search-submit">
            Search
          </button>
          <button type="button" class="btn btn-link" onClick={() => navigate('/')} data-testid="search-clear">
            Clear
          </button>
        </div>
        <button type="button" class="btn btn-small near-me" onClick={nearMe} disabled={locating} data-testid="search-near-me">
          {locating ? 'Finding you…' : 'Use my location'}
        </button>
      </form>
      {geoError && (
        <p class="banner banner-warn" role="alert">
          {geoError}
        </p>
      )}

      <section aria-labelledby="results-title" aria-busy={shows === null}>
        <h2 id="results-title" class="visually-hidden">
          Results
        </h2>
        {error ? (
          <ErrorBanner message={error} onRetry={() => setAttempt((a) => a + 1)} />
        ) : shows === null ? (
          <Loading label="Finding shows…" />
        ) : shows.length === 0 ? (
          <p class="empty" role="status" data-testid="shows-empty">
            No shows match. Try another search, a wider area or other dates.
          </p>
        ) : (
          <>
            <p class="muted small" role="status">
              {search.near ? `Shows within ${search.radiusKm} km of ${search.city || 'you'}, nearest first` : 'Upcoming shows, soonest first'}
            </p>
            <ul class="show-grid" data-testid="show-list">
              {shows.map((s) => (
                <ShowCard key={s.id} show={s} />
              ))}
            </ul>
            {cursor && (
              <button type="button" class="btn load-more" onClick={loadMore} disabled={loadingMore} data-testid="load-more">
                {loadingMore ? 'Loading…' : 'More shows'}
              </button>
            )}
          </>
        )}
      </section>
    </div>
  );
}

function ShowCard({ show }: { show: Show }) {
  const few = show.status === 'on_sale' && show.seats.available > 0 && show.seats.available < show.seats.total * 0.1;
  return (
    <li class="card show-card" data-testid="show-card" data-show-id={show.id}>
      <h3 class="h3">
        <a href={paths.show(show.id)} data-testid="show-card-link">
          {show.title}
        </a>
      </h3>
      <p>
        <time dateTime={show.starts_at}>{showTime(show.starts_at)}</time>
      </p>
      <p class="muted">
        {show.venue.name}, {show.venue.city}
        {typeof show.distance_km === 'number' && <span data-testid="show-distance"> · {show.distance_km < 10 ? show.distance_km.toFixed(1) : Math.round(show.distance_km)} km away</span>}
      </p>
      <p>
        {priceRange(show.price_range.min_cents, show.price_range.max_cents, show.price_range.currency)}
        {' · '}
        <span class={`status status-${show.status}`}>{STATUS_TEXT[show.status]}</span>
        {few && <span class="badge badge-warn">Few seats left</span>}
        {show.queue.enabled && <span class="badge">Waiting room</span>}
      </p>
    </li>
  );
}
