/**
 * The gate scanner's service worker (served as /sw.js, registered by the scanner page with the scope /scan).
 *
 * - install: keeps this build's files and the scanner page itself (index.html as the server sends it, headers and
 *   CSP included) in a cache named after the build's version;
 * - activate: deletes the caches of other versions;
 * - fetch: a navigation to /scan goes to the network first and falls back to the cached page when there is no
 *   answer (offline, or slower than NAVIGATION_TIMEOUT_MS) or a 5xx; this build's files come from the cache; the
 *   rest (the API, sockets) is left to the browser. The show's gate bundle and the scans stay where the page keeps
 *   them (IndexedDB): the worker never sees or stores an API answer.
 *
 * A new build's worker installs next to the old one and waits until no page uses the old one (no skipWaiting):
 * a scanner left open keeps the page and the files it came with, so a reload with no network still finds all of
 * them in one cache.
 *
 * Bundled on its own by plugins/serviceWorker.ts, which defines __SW_MANIFEST__ (precache.ts); type-checked by
 * tsconfig.worker.json (the WebWorker library, which cannot share a program with the DOM's).
 */
import { cacheName, routeOf, staleCaches, cachedShellInstead, type PrecacheManifest } from './precache';

declare const self: ServiceWorkerGlobalScope;
declare const __SW_MANIFEST__: PrecacheManifest;

const manifest = __SW_MANIFEST__;
const CACHE = cacheName(manifest.version);
const ASSETS: ReadonlySet<string> = new Set(manifest.assets);
const NAVIGATION_TIMEOUT_MS = 4000;

async function sha256Hex(bytes: ArrayBuffer): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
  return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
}

async function precache(): Promise<void> {
  const cache = await caches.open(CACHE);
  // Past the HTTP cache: the files must be the ones this worker was built with.
  await cache.addAll(manifest.assets.map((path) => new Request(path, { cache: 'reload' })));
  const shell = await fetch(new Request(manifest.shell, { cache: 'reload', credentials: 'same-origin' }));
  if (!shell.ok) throw new Error(`the scanner page answered ${shell.status}`);
  // A deploy between fetching sw.js and this request would pair another build's page with these files:
  // refuse to install (the browser tries again on the next visit).
  if ((await sha256Hex(await shell.clone().arrayBuffer())) !== manifest.shellSha256) {
    throw new Error('the server serves another build than this worker');
  }
  await cache.put(manifest.shell, shell);
}

async function activate(): Promise<void> {
  await Promise.all(staleCaches(await caches.keys(), CACHE).map((name) => caches.delete(name)));
  // The page that registered the worker is served by it from now on, without waiting for a reload.
  await self.clients.claim();
}

async function fromNetwork(request: Request): Promise<Response | null> {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), NAVIGATION_TIMEOUT_MS);
  try {
    return await fetch(request, { signal: abort.signal });
  } catch {
    return null;
  } finally {
    clearTimeout(timer);
  }
}

async function navigate(request: Request): Promise<Response> {
  const response = await fromNetwork(request);
  if (response && !cachedShellInstead(response.status)) return response;
  const cached = await caches.match(manifest.shell, { cacheName: CACHE });
  return cached ?? response ?? Response.error();
}

async function asset(request: Request): Promise<Response> {
  return (await caches.match(request, { cacheName: CACHE })) ?? fetch(request);
}

self.addEventListener('install', (event) => event.waitUntil(precache()));
self.addEventListener('activate', (event) => event.waitUntil(activate()));
self.addEventListener('fetch', (event) => {
  const route = routeOf(event.request, self.location.origin, ASSETS);
  if (route === 'shell') event.respondWith(navigate(event.request));
  else if (route === 'asset') event.respondWith(asset(event.request));
});
