import { describe, expect, it } from 'vitest';
import { dayBoundary, parseSearch, searchToUrl, toShowQuery } from '../src/lib/search';
import { matchRoute, paths, safeNext } from '../src/lib/router';

describe('routes', () => {
  it('matches every page', () => {
    expect(matchRoute('/')).toEqual({ name: 'shows' });
    expect(matchRoute('/shows/abc')).toEqual({ name: 'show', showId: 'abc' });
    expect(matchRoute('/shows/a%20b/')).toEqual({ name: 'show', showId: 'a b' });
    expect(matchRoute('/shows/abc/queue')).toEqual({ name: 'queue', showId: 'abc' });
    expect(matchRoute('/shows/abc/checkout')).toEqual({ name: 'checkout', showId: 'abc' });
    expect(matchRoute('/orders/o-1')).toEqual({ name: 'order', orderId: 'o-1' });
    expect(matchRoute('/tickets')).toEqual({ name: 'tickets' });
    expect(matchRoute('/signin')).toEqual({ name: 'signin' });
    expect(matchRoute('/register')).toEqual({ name: 'register' });
    expect(matchRoute('/nope/x')).toEqual({ name: 'notfound' });
    expect(matchRoute('/shows/%E0%A4%A')).toEqual({ name: 'notfound' });
  });

  it('matches the organizer pages, "new" before a show id', () => {
    expect(matchRoute('/organizer')).toEqual({ name: 'organizer', view: { page: 'shows' } });
    expect(matchRoute('/organizer/shows/')).toEqual({ name: 'organizer', view: { page: 'shows' } });
    expect(matchRoute('/organizer/venues')).toEqual({ name: 'organizer', view: { page: 'venues' } });
    expect(matchRoute('/organizer/shows/new')).toEqual({ name: 'organizer', view: { page: 'show-new' } });
    expect(matchRoute('/organizer/shows/42')).toEqual({ name: 'organizer', view: { page: 'cockpit', showId: '42' } });
    expect(matchRoute('/organizer/shows/42/edit')).toEqual({ name: 'organizer', view: { page: 'show-edit', showId: '42' } });
    expect(matchRoute('/organizer/nope')).toEqual({ name: 'notfound' });
    expect(matchRoute(paths.cockpit('a/b'))).toEqual({ name: 'organizer', view: { page: 'cockpit', showId: 'a/b' } });
    expect(matchRoute(paths.organizerEditShow('7'))).toEqual({ name: 'organizer', view: { page: 'show-edit', showId: '7' } });
    expect(paths.organizerNewShow('v 1')).toBe('/organizer/shows/new?venue=v%201');
  });

  it('builds paths that round-trip', () => {
    expect(matchRoute(paths.checkout('x/y'))).toEqual({ name: 'checkout', showId: 'x/y' });
    expect(paths.signin('/shows/1')).toBe('/signin?next=%2Fshows%2F1');
  });

  it('only follows same-site next= paths', () => {
    expect(safeNext('/shows/1')).toBe('/shows/1');
    expect(safeNext('https://evil.example')).toBe('/');
    expect(safeNext('//evil.example')).toBe('/');
    expect(safeNext('/\\evil.example')).toBe('/');
    expect(safeNext(null, '/tickets')).toBe('/tickets');
  });
});

describe('search state', () => {
  it('parses the URL, dropping bad values', () => {
    expect(parseSearch('?q=jazz&near=52.52,13.405&city=Berlin&radius=25&from=2030-05-01&to=bad')).toEqual({
      q: 'jazz',
      near: '52.52,13.405',
      city: 'Berlin',
      radiusKm: 25,
      from: '2030-05-01',
      to: '',
    });
    expect(parseSearch('?near=drop table').near).toBe('');
  });

  it('round-trips through the URL', () => {
    const s = parseSearch('?q=jazz&near=52.52,13.405&city=Berlin&radius=25&from=2030-05-01');
    expect(parseSearch(searchToUrl(s).slice(1))).toEqual(s);
    expect(searchToUrl(parseSearch(''))).toBe('/');
  });

  it('becomes the API query with whole local days', () => {
    const q = toShowQuery(parseSearch('?q=jazz&near=1.5,2.5&from=2030-05-01&to=2030-05-02'), 'c1');
    expect(q).toMatchObject({ q: 'jazz', near: '1.5,2.5', radius_km: 50, cursor: 'c1' });
    expect(q.from).toBe(dayBoundary('2030-05-01'));
    expect(new Date(q.from!).getHours()).toBe(0);
    expect(new Date(q.to!).getHours()).toBe(23);
    expect(toShowQuery(parseSearch(''))).toEqual({ limit: 24 });
  });
});
