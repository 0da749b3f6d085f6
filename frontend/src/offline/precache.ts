/**
 * What the gate scanner's service worker keeps and how it answers, as plain functions: the build
 * (plugins/serviceWorker.ts) chooses the files with them, the worker (worker.ts) routes with them, and the unit
 * tests check them without a browser. No DOM or worker types here: all three compile this file.
 *
 * The worker is registered by the scanner page only, with the scope `/scan`, so it sees the scanner's own
 * navigations and that page's requests, and nothing a fan's page does.
 */

/** Built into sw.js: change any precached byte and `version` changes, and with it sw.js and the cache's name. */
export interface PrecacheManifest {
  version: string;
  /** The page served from the cache when the network fails: the SPA's index.html, as the server sends it. */
  shell: string;
  /** SHA-256 (hex) of this build's index.html: the shell fetched at install must be the one these assets go with. */
  shellSha256: string;
  /** Same-origin paths of every file of the build the shell may load: hashed chunks, styles, the icon. */
  assets: string[];
}

export const SCOPE = '/scan';
export const SHELL = '/scan';
export const CACHE_PREFIX = 'showtime-scan-';

export function cacheName(version: string): string {
  return `${CACHE_PREFIX}${version}`;
}

/** The caches an activating worker deletes: ours (by prefix) from other versions. Others' caches are left alone. */
export function staleCaches(names: readonly string[], current: string): string[] {
  return names.filter((name) => name.startsWith(CACHE_PREFIX) && name !== current);
}

/**
 * Of a build's output files (paths relative to dist/), those the worker keeps: everything the page may load.
 * Not index.html (kept as the shell, with the server's headers), not the worker itself, not source maps or the
 * build's own stamps (dot files).
 */
export function precacheFiles(fileNames: Iterable<string>): string[] {
  const kept = new Set<string>();
  for (const raw of fileNames) {
    const name = raw.replace(/\\/g, '/').replace(/^\/+/, '');
    const base = name.slice(name.lastIndexOf('/') + 1);
    if (!name || name === 'index.html' || name === 'sw.js' || name.endsWith('.map') || base.startsWith('.')) continue;
    kept.add(`/${name}`);
  }
  return [...kept].sort();
}

export type Route = 'shell' | 'asset' | 'pass';

export interface RequestFacts {
  method: string;
  mode: string;
  url: string;
}

/**
 * How the worker answers a request: `shell` (a navigation: network first, the cached page when that fails),
 * `asset` (a file of this build: from the cache, the network if missing), `pass` (anything else, the API and
 * sockets included: the worker stays out of it, so the browser does exactly what it would without one).
 */
export function routeOf(request: RequestFacts, origin: string, assets: ReadonlySet<string>): Route {
  if (request.method !== 'GET') return 'pass';
  let url: URL;
  try {
    url = new URL(request.url);
  } catch {
    return 'pass';
  }
  if (url.origin !== origin) return 'pass';
  if (request.mode === 'navigate') return url.pathname === SCOPE || url.pathname.startsWith(`${SCOPE}/`) ? 'shell' : 'pass';
  return assets.has(url.pathname) && !url.search ? 'asset' : 'pass';
}

/**
 * Whether a navigation's network answer gives way to the cached shell: no answer at all (`null`: offline, or
 * slower than the worker waits) or a server-side failure (a proxy's 502 while the app is down). A 4xx is the
 * server speaking and is shown as it is.
 */
export function cachedShellInstead(status: number | null): boolean {
  return status === null || status >= 500;
}
