import { describe, expect, it } from 'vitest';
import { ApiError } from '../src/api/client';
import type { OrganizerShow, OrganizerVenue } from '../src/api/organizerTypes';
import {
  emptyForm,
  explainShowError,
  formatPriceInput,
  formFromShow,
  fromLocalInput,
  parsePrice,
  parseQueueSetting,
  showPatch,
  toLocalInput,
  validateShow,
  type ShowFormValues,
} from '../src/organizer/showForm';

const NOW = Date.parse('2030-01-01T12:00:00Z');
const venue: OrganizerVenue = {
  venue_id: 'v1',
  name: 'Musikverein',
  city: 'Wien',
  lat: 48.2,
  lng: 16.37,
  layout_hash: 'abc',
  seats: 620,
  categories: ['Kategorie 1', 'Kategorie 2'],
};

function filled(p: Partial<ShowFormValues> = {}): ShowFormValues {
  return {
    ...emptyForm('v1'),
    title: '  Neujahrskonzert ',
    description: 'Strauss',
    startsAt: toLocalInput('2030-02-01T19:30:00Z'),
    saleOpensAt: toLocalInput('2030-01-10T09:00:00Z'),
    currency: 'eur',
    prices: { 'Kategorie 1': '120', 'Kategorie 2': '45.50' },
    ...p,
  };
}

describe('prices', () => {
  it('reads an amount in the currency’s minor units', () => {
    expect(parsePrice('45.50', 'EUR')).toBe(4550);
    expect(parsePrice('45.5', 'EUR')).toBe(4550);
    expect(parsePrice('45', 'EUR')).toBe(4500);
    expect(parsePrice(' 1,200.00 ', 'USD')).toBe(120000);
    expect(parsePrice('0', 'EUR')).toBe(0);
    expect(parsePrice('5000', 'JPY')).toBe(5000);
  });

  it('refuses what is not an amount, or finer than the currency', () => {
    for (const bad of ['', 'abc', '-5', '4.555', '1,20', '1e3', '12.3.4']) expect(parsePrice(bad, 'EUR'), bad).toBeNull();
    expect(parsePrice('50.5', 'JPY')).toBeNull();
  });

  it('writes a stored price back as the form shows it', () => {
    expect(formatPriceInput(4550, 'EUR')).toBe('45.50');
    expect(formatPriceInput(5, 'EUR')).toBe('0.05');
    expect(formatPriceInput(5000, 'JPY')).toBe('5000');
    expect(parsePrice(formatPriceInput(123456, 'GBP'), 'GBP')).toBe(123456);
  });
});

describe('times', () => {
  it('round-trips a local datetime input through UTC', () => {
    const iso = '2030-02-01T19:30:00.000Z';
    expect(fromLocalInput(toLocalInput(iso))).toBe(iso);
    expect(fromLocalInput('2030-02-01')).toBeNull();
    expect(fromLocalInput('')).toBeNull();
    expect(toLocalInput('not a date')).toBe('');
  });
});

describe('validateShow', () => {
  it('builds the request: trimmed title, UTC times, upper-case currency, a price per category', () => {
    const { errors, body } = validateShow(filled(), venue, NOW);
    expect(errors).toEqual({});
    expect(body).toEqual({
      venue_id: 'v1',
      title: 'Neujahrskonzert',
      description: 'Strauss',
      starts_at: '2030-02-01T19:30:00.000Z',
      sale_opens_at: '2030-01-10T09:00:00.000Z',
      currency: 'EUR',
      prices: [
        { category: 'Kategorie 1', price_cents: 12000 },
        { category: 'Kategorie 2', price_cents: 4550 },
      ],
      max_seats_per_order: 8,
      queue: { enabled: false },
    });
  });

  it('names a category without a price, as the server’s missing_price would', () => {
    const { errors, body } = validateShow(filled({ prices: { 'Kategorie 1': '120' } }), venue, NOW);
    expect(body).toBeNull();
    expect(errors.prices).toEqual({ 'Kategorie 2': expect.stringContaining('Kategorie 2') });
  });

  it('says what is wrong with each field', () => {
    const { errors } = validateShow(
      filled({ title: ' ', venueId: '', startsAt: '', saleOpensAt: 'x', currency: 'EURO', maxSeats: '0', prices: { 'Kategorie 1': 'free' } }),
      null,
      NOW,
    );
    expect(Object.keys(errors).sort()).toEqual(['currency', 'maxSeats', 'saleOpensAt', 'startsAt', 'title', 'venueId']);
    expect(validateShow(filled({ venueId: 'elsewhere' }), null, NOW).errors.venueId).toContain('not one of');
  });

  it('wants a new show in the future, and its sale opening before it starts', () => {
    expect(validateShow(filled({ startsAt: toLocalInput('2029-12-31T12:00:00Z') }), venue, NOW).errors.startsAt).toContain('future');
    expect(validateShow(filled({ saleOpensAt: toLocalInput('2030-02-01T19:30:00Z') }), venue, NOW).errors.saleOpensAt).toContain('before');
    // A sale that opens in the past opens at once: allowed.
    expect(validateShow(filled({ saleOpensAt: toLocalInput('2029-06-01T09:00:00Z') }), venue, NOW).errors).toEqual({});
  });

  it('lets an edit keep a start that has passed, but not move one into the past', () => {
    const original = show({ starts_at: '2029-12-31T20:00:00Z', sale_opens_at: '2029-12-01T09:00:00Z' });
    const values = { ...formFromShow(original), title: 'Renamed' };
    expect(validateShow(values, venue, NOW, original).errors).toEqual({});
    expect(validateShow({ ...values, startsAt: toLocalInput('2029-12-31T21:00:00Z') }, venue, NOW, original).errors.startsAt).toBeTruthy();
  });

  it('checks the waiting room’s numbers only when it is on', () => {
    expect(validateShow(filled({ queueEnabled: false, capacity: 'lots' }), venue, NOW).errors).toEqual({});
    const on = validateShow(filled({ queueEnabled: true, capacity: '500', outflow: '' }), venue, NOW);
    expect(on.body?.queue).toEqual({ enabled: true, capacity: 500 });
    const bad = validateShow(filled({ queueEnabled: true, capacity: '0', outflow: '2.5' }), venue, NOW);
    expect(Object.keys(bad.errors).sort()).toEqual(['capacity', 'outflow']);
    expect(validateShow(filled({ maxSeats: '101' }), venue, NOW).errors.maxSeats).toBeTruthy();
    expect(validateShow(filled({ maxSeats: '100' }), venue, NOW).body?.max_seats_per_order).toBe(100);
  });
});

function show(p: Partial<OrganizerShow> = {}): OrganizerShow {
  return {
    id: 's1',
    title: 'Neujahrskonzert',
    description: 'Strauss',
    venue: { id: 'v1', name: 'Musikverein', city: 'Wien', lat: 48.2, lng: 16.37 },
    starts_at: '2030-02-01T19:30:00Z',
    sale_opens_at: '2030-01-10T09:00:00Z',
    status: 'scheduled',
    price_range: { min_cents: 4550, max_cents: 12000, currency: 'EUR' },
    seats: { total: 620, available: 620 },
    sale: 'scheduled',
    queue: { enabled: true, capacity: 200, outflow_per_minute: 60 },
    venue_id: 'v1',
    currency: 'EUR',
    prices: [
      { category: 'Kategorie 1', price_cents: 12000 },
      { category: 'Kategorie 2', price_cents: 4550 },
    ],
    max_seats_per_order: 6,
    ...p,
  };
}

describe('editing', () => {
  it('fills the form from the show', () => {
    expect(formFromShow(show())).toMatchObject({
      venueId: 'v1',
      prices: { 'Kategorie 1': '120.00', 'Kategorie 2': '45.50' },
      maxSeats: '6',
      queueEnabled: true,
      capacity: '200',
      outflow: '60',
    });
  });

  it('sends only what changed, so a show with sales is not refused for what stayed', () => {
    const original = show();
    const same = validateShow(formFromShow(original), venue, NOW, original).body!;
    expect(showPatch(original, same)).toEqual({});
    const values = { ...formFromShow(original), title: 'Neujahr', outflow: '90', prices: { ...formFromShow(original).prices, 'Kategorie 2': '50' } };
    expect(showPatch(original, validateShow(values, venue, NOW, original).body!)).toEqual({
      title: 'Neujahr',
      prices: [
        { category: 'Kategorie 1', price_cents: 12000 },
        { category: 'Kategorie 2', price_cents: 5000 },
      ],
      queue: { enabled: true, capacity: 200, outflow_per_minute: 90 },
    });
  });

  it('sends the venue when it changed', () => {
    const original = show();
    const other = { ...venue, venue_id: 'v2' };
    const body = validateShow({ ...formFromShow(original), venueId: 'v2' }, other, NOW, original).body!;
    expect(showPatch(original, body)).toEqual({ venue_id: 'v2' });
  });
});

describe('explainShowError', () => {
  it('explains show_has_sales and names the category when the server does', () => {
    const e = new ApiError(409, 'show_has_sales', 'Has sales.', { error: 'show_has_sales', category: 'Kategorie 1' });
    expect(explainShowError(e)).toEqual({ message: expect.stringContaining('sold tickets'), category: 'Kategorie 1' });
  });

  it('names the category of missing_price, from the body or the detail', () => {
    expect(explainShowError(new ApiError(422, 'missing_price', 'x', { error: 'missing_price', category: 'Galerie' }))?.category).toBe('Galerie');
    expect(explainShowError(new ApiError(422, 'missing_price', "Category 'Balkon' has no price.", { error: 'missing_price' }))).toEqual({
      message: expect.stringContaining('Balkon has none'),
      category: 'Balkon',
    });
  });

  it('leaves other errors as they are', () => {
    expect(explainShowError(new ApiError(422, 'invalid', 'x'))).toBeNull();
    expect(explainShowError(new Error('x'))).toBeNull();
  });
});

describe('parseQueueSetting', () => {
  it('is empty (unchanged), a whole number from 1, or invalid', () => {
    expect(parseQueueSetting(' ')).toBeNull();
    expect(parseQueueSetting('60')).toBe(60);
    expect(parseQueueSetting('0')).toBe('invalid');
    expect(parseQueueSetting('1.5')).toBe('invalid');
    expect(parseQueueSetting('-3')).toBe('invalid');
  });
});
