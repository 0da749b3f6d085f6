import { describe, expect, it } from 'vitest';
import { cacheName, precacheFiles, routeOf, staleCaches, cachedShellInstead } from '../src/offline/precache';

const ORIGIN = 'https://tickets.example';
const ASSETS = new Set(['/assets/index-abc123.js', '/assets/ScanPage-def456.js', '/assets/index-789.css', '/favicon.svg']);

function request(url: string, mode = 'cors', method = 'GET') {
  return { url: url.startsWith('http') ? url : `${ORIGIN}${url}`, mode, method };
}

describe('precacheFiles', () => {
  it('keeps every file the page may load, as sorted root paths, and nothing else', () => {
    const files = precacheFiles([
      'index.html',
      'assets/index-abc123.js',
      'assets/index-abc123.js.map',
      'assets/ScanPage-def456.js',
      'favicon.svg',
      'sw.js',
      '.source-hash',
      'assets/.hidden',
      'assets/index-789.css',
      'assets/index-abc123.js', // listed twice (bundle and public/): kept once
    ]);
    expect(files).toEqual(['/assets/ScanPage-def456.js', '/assets/index-789.css', '/assets/index-abc123.js', '/favicon.svg']);
  });

  it('reads Windows separators and leading slashes as the same paths', () => {
    expect(precacheFiles(['assets\\a-1.js', '/favicon.svg'])).toEqual(['/assets/a-1.js', '/favicon.svg']);
  });
});

describe('caches', () => {
  it('names a cache per version and deletes only our other versions on activate', () => {
    const current = cacheName('v2');
    expect(current).toBe('showtime-scan-v2');
    expect(staleCaches(['showtime-scan-v1', current, 'someone-else', 'showtime-scan-v0'], current)).toEqual([
      'showtime-scan-v1',
      'showtime-scan-v0',
    ]);
    expect(staleCaches([current], current)).toEqual([]);
  });
});

describe('routeOf', () => {
  it('serves navigations to the scanner page network first, with the cached page behind', () => {
    expect(routeOf(request('/scan', 'navigate'), ORIGIN, ASSETS)).toBe('shell');
    expect(routeOf(request('/scan?show=12', 'navigate'), ORIGIN, ASSETS)).toBe('shell');
    expect(routeOf(request('/scan/', 'navigate'), ORIGIN, ASSETS)).toBe('shell');
  });

  it('leaves every other page to the browser, even inside the scope by prefix', () => {
    expect(routeOf(request('/scanner', 'navigate'), ORIGIN, ASSETS)).toBe('pass');
    expect(routeOf(request('/tickets', 'navigate'), ORIGIN, ASSETS)).toBe('pass');
    expect(routeOf(request('/', 'navigate'), ORIGIN, ASSETS)).toBe('pass');
  });

  it('answers this build’s files from the cache', () => {
    expect(routeOf(request('/assets/ScanPage-def456.js'), ORIGIN, ASSETS)).toBe('asset');
    expect(routeOf(request('/favicon.svg', 'no-cors'), ORIGIN, ASSETS)).toBe('asset');
  });

  it('stays out of the API, sockets, other builds’ files, other origins and anything but GET', () => {
    expect(routeOf(request('/api/v1/shows/1/gate'), ORIGIN, ASSETS)).toBe('pass');
    expect(routeOf(request('/api/v1/auth/me'), ORIGIN, ASSETS)).toBe('pass');
    expect(routeOf(request('/assets/index-old999.js'), ORIGIN, ASSETS)).toBe('pass');
    expect(routeOf(request('/assets/index-abc123.js?v=2'), ORIGIN, ASSETS)).toBe('pass');
    expect(routeOf(request('https://js.stripe.com/assets/index-abc123.js'), ORIGIN, ASSETS)).toBe('pass');
    expect(routeOf(request('https://js.stripe.com/scan', 'navigate'), ORIGIN, ASSETS)).toBe('pass');
    expect(routeOf(request('/scan', 'navigate', 'POST'), ORIGIN, ASSETS)).toBe('pass');
    expect(routeOf(request('/api/v1/gate/scans', 'cors', 'POST'), ORIGIN, ASSETS)).toBe('pass');
    expect(routeOf({ url: 'not a url', mode: 'cors', method: 'GET' }, ORIGIN, ASSETS)).toBe('pass');
  });
});

describe('cachedShellInstead', () => {
  it('falls back on no answer or a server failure, never on an answer the server meant', () => {
    expect(cachedShellInstead(null)).toBe(true);
    expect(cachedShellInstead(502)).toBe(true);
    expect(cachedShellInstead(503)).toBe(true);
    expect(cachedShellInstead(200)).toBe(false);
    expect(cachedShellInstead(304)).toBe(false);
    expect(cachedShellInstead(404)).toBe(false);
  });
});
