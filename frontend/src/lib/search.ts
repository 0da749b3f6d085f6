/**
 * The show search's state lives in the page URL (?q=&near=&city=&radius=&from=&to=), so
 * back/forward and shared links work. These helpers translate it to the API's query.
 */
import type { ShowQuery } from '../api/types';

export interface SearchState {
  q: string;
  /** "LAT,LNG" or "" */
  near: string;
  /** The label shown for `near`: a city name, or "" for the fan's own position. */
  city: string;
  radiusKm: number;
  /** YYYY-MM-DD or "" */
  from: string;
  to: string;
}

export const DEFAULT_RADIUS_KM = 50;
export const PAGE_SIZE = 24;

export function parseSearch(search: string): SearchState {
  const p = new URLSearchParams(search);
  const radius = Number(p.get('radius'));
  const near = p.get('near') ?? '';
  return {
    q: p.get('q') ?? '',
    near: /^-?\d+(\.\d+)?,-?\d+(\.\d+)?$/.test(near) ? near : '',
    city: p.get('city') ?? '',
    radiusKm: Number.isFinite(radius) && radius > 0 ? radius : DEFAULT_RADIUS_KM,
    from: isDate(p.get('from')) ? p.get('from')! : '',
    to: isDate(p.get('to')) ? p.get('to')! : '',
  };
}

export function searchToUrl(s: SearchState): string {
  const p = new URLSearchParams();
  if (s.q.trim()) p.set('q', s.q.trim());
  if (s.near) {
    p.set('near', s.near);
    if (s.city) p.set('city', s.city);
    if (s.radiusKm !== DEFAULT_RADIUS_KM) p.set('radius', String(s.radiusKm));
  }
  if (s.from) p.set('from', s.from);
  if (s.to) p.set('to', s.to);
  const qs = p.toString();
  return qs ? `/?${qs}` : '/';
}

function isDate(v: string | null): v is string {
  return !!v && /^\d{4}-\d{2}-\d{2}$/.test(v) && !Number.isNaN(Date.parse(v));
}

/** Local midnight at the start (or end) of a YYYY-MM-DD day, as RFC 3339 UTC. */
export function dayBoundary(day: string, end = false): string {
  const [y, m, d] = day.split('-').map(Number) as [number, number, number];
  const date = end ? new Date(y, m - 1, d, 23, 59, 59, 999) : new Date(y, m - 1, d, 0, 0, 0, 0);
  return date.toISOString();
}

export function toShowQuery(s: SearchState, cursor?: string): ShowQuery {
  const q: ShowQuery = { limit: PAGE_SIZE };
  if (s.q.trim()) q.q = s.q.trim();
  if (s.near) {
    q.near = s.near;
    q.radius_km = s.radiusKm;
  }
  if (s.from) q.from = dayBoundary(s.from);
  if (s.to) q.to = dayBoundary(s.to, true);
  if (cursor) q.cursor = cursor;
  return q;
}

/** Rounded to ~100 m: enough to find venues, not a precise location to send around. */
export function coordsParam(lat: number, lng: number): string {
  return `${lat.toFixed(3)},${lng.toFixed(3)}`;
}
