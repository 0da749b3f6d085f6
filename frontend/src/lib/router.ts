/**
 * A small History API router (no hashes: the server answers every client route with
 * index.html). Routes are a closed union, matched by regular expressions.
 */
import { useEffect, useState } from 'preact/hooks';

export type Route =
  | { name: 'shows' }
  | { name: 'show'; showId: string }
  | { name: 'queue'; showId: string }
  | { name: 'checkout'; showId: string }
  | { name: 'order'; orderId: string }
  | { name: 'tickets' }
  | { name: 'scan' }
  | { name: 'signin' }
  | { name: 'register' }
  | { name: 'verify-email' }
  | { name: 'organizer'; view: OrganizerView }
  | { name: 'notfound' };

/** The organizer's pages under /organizer (one lazily loaded chunk: src/organizer/). */
export type OrganizerView =
  | { page: 'shows' }
  | { page: 'venues' }
  | { page: 'show-new' }
  | { page: 'show-edit'; showId: string }
  | { page: 'cockpit'; showId: string };

const seg = '([^/]+)';
const table: Array<[RegExp, (m: string[]) => Route]> = [
  [/^\/$/, () => ({ name: 'shows' })],
  [/^\/shows\/?$/, () => ({ name: 'shows' })],
  [new RegExp(`^/shows/${seg}/?$`), (m) => ({ name: 'show', showId: m[1]! })],
  [new RegExp(`^/shows/${seg}/queue/?$`), (m) => ({ name: 'queue', showId: m[1]! })],
  [new RegExp(`^/shows/${seg}/checkout/?$`), (m) => ({ name: 'checkout', showId: m[1]! })],
  [new RegExp(`^/orders/${seg}/?$`), (m) => ({ name: 'order', orderId: m[1]! })],
  [/^\/tickets\/?$/, () => ({ name: 'tickets' })],
  [/^\/scan\/?$/, () => ({ name: 'scan' })],
  [/^\/signin\/?$/, () => ({ name: 'signin' })],
  [/^\/register\/?$/, () => ({ name: 'register' })],
  // The verification mail's link (backend/accounts/verification.py): /verify-email?token=...
  [/^\/verify-email\/?$/, () => ({ name: 'verify-email' })],
  [/^\/organizer(?:\/shows)?\/?$/, () => ({ name: 'organizer', view: { page: 'shows' } })],
  [/^\/organizer\/venues\/?$/, () => ({ name: 'organizer', view: { page: 'venues' } })],
  [/^\/organizer\/shows\/new\/?$/, () => ({ name: 'organizer', view: { page: 'show-new' } })],
  [new RegExp(`^/organizer/shows/${seg}/edit/?$`), (m) => ({ name: 'organizer', view: { page: 'show-edit', showId: m[1]! } })],
  [new RegExp(`^/organizer/shows/${seg}/?$`), (m) => ({ name: 'organizer', view: { page: 'cockpit', showId: m[1]! } })],
];

export function matchRoute(pathname: string): Route {
  for (const [re, make] of table) {
    const m = re.exec(pathname);
    if (m) {
      try {
        return make(m.map((part) => (part === undefined ? part : decodeURIComponent(part))));
      } catch {
        return { name: 'notfound' }; // malformed %-escape
      }
    }
  }
  return { name: 'notfound' };
}

export const paths = {
  shows: () => '/',
  show: (id: string) => `/shows/${encodeURIComponent(id)}`,
  queue: (id: string) => `/shows/${encodeURIComponent(id)}/queue`,
  checkout: (id: string) => `/shows/${encodeURIComponent(id)}/checkout`,
  order: (id: string) => `/orders/${encodeURIComponent(id)}`,
  tickets: () => '/tickets',
  scan: () => '/scan',
  signin: (next?: string) => (next ? `/signin?next=${encodeURIComponent(next)}` : '/signin'),
  register: (next?: string) => (next ? `/register?next=${encodeURIComponent(next)}` : '/register'),
  organizerShows: () => '/organizer',
  organizerVenues: () => '/organizer/venues',
  organizerNewShow: (venueId?: string) => (venueId ? `/organizer/shows/new?venue=${encodeURIComponent(venueId)}` : '/organizer/shows/new'),
  organizerEditShow: (id: string) => `/organizer/shows/${encodeURIComponent(id)}/edit`,
  cockpit: (id: string) => `/organizer/shows/${encodeURIComponent(id)}`,
};

/** Only a path on this site may be a post-sign-in destination (no open redirect). */
export function safeNext(next: string | null | undefined, fallback = '/'): string {
  if (!next || !next.startsWith('/') || next.startsWith('//') || next.startsWith('/\\')) return fallback;
  return next;
}

export interface Loc {
  pathname: string;
  search: string;
}

const NAV_EVENT = 'app:navigate';

function current(): Loc {
  return { pathname: window.location.pathname, search: window.location.search };
}

export function navigate(to: string, opts: { replace?: boolean } = {}): void {
  const here = window.location.pathname + window.location.search + window.location.hash;
  if (to !== here) {
    if (opts.replace) history.replaceState(null, '', to);
    else history.pushState(null, '', to);
  }
  window.dispatchEvent(new Event(NAV_EVENT));
  if (!opts.replace) window.scrollTo(0, 0);
}

export function useLocation(): Loc {
  const [loc, setLoc] = useState<Loc>(current);
  useEffect(() => {
    const update = () => setLoc(current());
    window.addEventListener('popstate', update);
    window.addEventListener(NAV_EVENT, update);
    return () => {
      window.removeEventListener('popstate', update);
      window.removeEventListener(NAV_EVENT, update);
    };
  }, []);
  return loc;
}

/** Turn clicks on same-origin <a href> inside `root` into client-side navigation. */
export function interceptLinks(root: HTMLElement): () => void {
  const onClick = (e: MouseEvent) => {
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    const a = (e.target as Element | null)?.closest?.('a');
    if (!a || !a.href || a.target || a.hasAttribute('download') || a.dataset.external !== undefined) return;
    const url = new URL(a.href);
    if (url.origin !== window.location.origin || url.pathname.startsWith('/api/') || url.pathname.startsWith('/schema')) return;
    e.preventDefault();
    navigate(url.pathname + url.search + url.hash);
  };
  root.addEventListener('click', onClick);
  return () => root.removeEventListener('click', onClick);
}
