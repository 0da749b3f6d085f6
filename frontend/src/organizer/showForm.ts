/**
 * The show form's values, their checks, and the request they become (POST /organizer/shows, or the PATCH of what
 * changed). The form keeps what was typed as strings; `validateShow` says what is wrong, field by field, in words,
 * or gives the body. Times are typed in the organizer's local time (datetime-local) and sent as UTC.
 */
import { ApiError } from '../api/client';
import type { CategoryPrice, OrganizerShow, OrganizerVenue, ShowCreate, ShowErrorBody, ShowPatch } from '../api/organizerTypes';

export interface ShowFormValues {
  venueId: string;
  title: string;
  description: string;
  /** datetime-local: "2026-05-01T19:30". */
  startsAt: string;
  saleOpensAt: string;
  currency: string;
  /** Category name → the price as typed ("45", "45.50"). */
  prices: Record<string, string>;
  maxSeats: string;
  queueEnabled: boolean;
  capacity: string;
  outflow: string;
}

export type ShowFormErrors = Partial<Record<'venueId' | 'title' | 'description' | 'startsAt' | 'saleOpensAt' | 'currency' | 'maxSeats' | 'capacity' | 'outflow', string>> & {
  prices?: Record<string, string>;
};

export const DEFAULT_MAX_SEATS = 8;
export const MAX_SEATS_LIMIT = 100;
export const TITLE_MAX = 200;
export const DESCRIPTION_MAX = 5000;

export function emptyForm(venueId = ''): ShowFormValues {
  return {
    venueId,
    title: '',
    description: '',
    startsAt: '',
    saleOpensAt: '',
    currency: 'EUR',
    prices: {},
    maxSeats: String(DEFAULT_MAX_SEATS),
    queueEnabled: false,
    capacity: '',
    outflow: '',
  };
}

const pad = (n: number) => String(n).padStart(2, '0');

/** An instant as a datetime-local value in this browser's time zone. */
export function toLocalInput(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** A datetime-local value (local time) as an RFC 3339 UTC instant, or null. */
export function fromLocalInput(value: string): string | null {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/.test(value)) return null;
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
}

/** How many minor units a currency has (EUR 2, JPY 0), as the browser's Intl knows it; null for an unknown code. */
export function minorDigits(currency: string): number | null {
  try {
    return new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
  } catch {
    return null;
  }
}

/** "45.50" in EUR → 4550; "1,000" → 100000 (grouping commas are allowed); null when it is not an amount. */
export function parsePrice(typed: string, currency: string): number | null {
  const digits = minorDigits(currency) ?? 2;
  const s = typed.trim().replace(/[\s\u00a0]/g, '');
  const m = /^(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d*))?$/.exec(s);
  if (!m) return null;
  const whole = m[1]!.replace(/,/g, '');
  const frac = m[2] ?? '';
  if (frac.length > digits) return null;
  const cents = Number(whole) * 10 ** digits + Number(frac.padEnd(digits, '0') || '0');
  return Number.isSafeInteger(cents) ? cents : null;
}

/** 4550 in EUR → "45.50" (what the form shows for a stored price). */
export function formatPriceInput(cents: number, currency: string): string {
  const digits = minorDigits(currency) ?? 2;
  if (digits === 0) return String(cents);
  const whole = Math.floor(cents / 10 ** digits);
  return `${whole}.${String(cents % 10 ** digits).padStart(digits, '0')}`;
}

function wholeNumber(typed: string, min: number, max: number): number | null {
  const s = typed.trim();
  if (!/^\d+$/.test(s)) return null;
  const n = Number(s);
  return n >= min && n <= max ? n : null;
}

export interface Validated {
  errors: ShowFormErrors;
  body: ShowCreate | null;
}

/**
 * Checks every field and builds the body. `now` is passed in (tests use a fixed one); a new show must start in
 * the future, and its sale must open before it starts. An edited show's start is checked against `now` only when it
 * changed (`original`).
 */
export function validateShow(values: ShowFormValues, venue: OrganizerVenue | null, now: number, original?: OrganizerShow | null): Validated {
  const errors: ShowFormErrors = {};
  const title = values.title.trim();
  if (!title) errors.title = 'Give the show a title.';
  else if (title.length > TITLE_MAX) errors.title = `A title has at most ${TITLE_MAX} characters.`;
  if (values.description.length > DESCRIPTION_MAX) errors.description = `A description has at most ${DESCRIPTION_MAX} characters.`;
  if (!values.venueId) errors.venueId = 'Choose the venue.';
  else if (!venue) errors.venueId = 'This venue is not one of your organization\'s.';

  const startsAt = fromLocalInput(values.startsAt);
  const saleOpensAt = fromLocalInput(values.saleOpensAt);
  const startsChanged = !original || toLocalInput(original.starts_at) !== values.startsAt;
  if (!startsAt) errors.startsAt = 'Enter the date and time the show starts.';
  else if (startsChanged && Date.parse(startsAt) <= now) errors.startsAt = 'The show must start in the future.';
  if (!saleOpensAt) errors.saleOpensAt = 'Enter when the sale opens.';
  // An opening in the past is allowed: the sale is then open at once.
  else if (startsAt && Date.parse(saleOpensAt) >= Date.parse(startsAt)) errors.saleOpensAt = 'The sale must open before the show starts.';

  const currency = values.currency.trim().toUpperCase();
  if (!/^[A-Z]{3}$/.test(currency) || minorDigits(currency) === null) errors.currency = 'Use a three-letter currency code such as EUR, GBP or USD.';

  const prices: CategoryPrice[] = [];
  const priceErrors: Record<string, string> = {};
  for (const category of venue?.categories ?? []) {
    const typed = values.prices[category] ?? '';
    if (!typed.trim()) {
      priceErrors[category] = `Every seat category needs a price: enter one for ${category}.`;
      continue;
    }
    const cents = parsePrice(typed, errors.currency ? 'EUR' : currency);
    if (cents === null) priceErrors[category] = `Enter the price of ${category} as an amount, such as 45 or 45.50.`;
    else prices.push({ category, price_cents: cents });
  }
  if (Object.keys(priceErrors).length) errors.prices = priceErrors;

  const maxSeats = wholeNumber(values.maxSeats, 1, MAX_SEATS_LIMIT);
  if (maxSeats === null) errors.maxSeats = `Allow between 1 and ${MAX_SEATS_LIMIT} seats per order.`;

  let capacity: number | null = null;
  let outflow: number | null = null;
  if (values.queueEnabled) {
    if (values.capacity.trim()) {
      capacity = wholeNumber(values.capacity, 1, 1_000_000);
      if (capacity === null) errors.capacity = 'The number of shoppers let in at once is a whole number of at least 1.';
    }
    if (values.outflow.trim()) {
      outflow = wholeNumber(values.outflow, 1, 1_000_000);
      if (outflow === null) errors.outflow = 'The outflow is a whole number of people per minute, at least 1.';
    }
  }

  if (hasErrors(errors)) return { errors, body: null };
  return {
    errors,
    body: {
      venue_id: values.venueId,
      title,
      description: values.description.trim(),
      starts_at: startsAt!,
      sale_opens_at: saleOpensAt!,
      currency,
      prices,
      max_seats_per_order: maxSeats!,
      queue: values.queueEnabled
        ? { enabled: true, ...(capacity !== null ? { capacity } : {}), ...(outflow !== null ? { outflow_per_minute: outflow } : {}) }
        : { enabled: false },
    },
  };
}

export function hasErrors(errors: ShowFormErrors): boolean {
  return Object.entries(errors).some(([key, v]) => (key === 'prices' ? Object.keys(v as object).length > 0 : !!v));
}

/** The form's values for a show being edited. */
export function formFromShow(show: OrganizerShow): ShowFormValues {
  const currency = show.currency ?? show.price_range.currency;
  const prices: Record<string, string> = {};
  for (const p of show.prices ?? []) prices[p.category] = formatPriceInput(p.price_cents, currency);
  return {
    venueId: show.venue_id ?? show.venue.id,
    title: show.title,
    description: show.description ?? '',
    startsAt: toLocalInput(show.starts_at),
    saleOpensAt: toLocalInput(show.sale_opens_at),
    currency,
    prices,
    maxSeats: String(show.max_seats_per_order ?? DEFAULT_MAX_SEATS),
    queueEnabled: show.queue.enabled,
    capacity: show.queue.capacity != null ? String(show.queue.capacity) : '',
    outflow: show.queue.outflow_per_minute != null ? String(show.queue.outflow_per_minute) : '',
  };
}

function samePrices(a: CategoryPrice[], b: CategoryPrice[] | undefined): boolean {
  if (!b || a.length !== b.length) return false;
  const byCategory = new Map(b.map((p) => [p.category, p.price_cents]));
  return a.every((p) => byCategory.get(p.category) === p.price_cents);
}

/**
 * The PATCH of an edit: only the fields that changed, so an edit of a show with sales does not send (and so cannot
 * be refused for) a venue or prices it left alone.
 */
export function showPatch(original: OrganizerShow, body: ShowCreate): ShowPatch {
  const patch: ShowPatch = {};
  if (body.venue_id !== (original.venue_id ?? original.venue.id)) patch.venue_id = body.venue_id;
  if (body.title !== original.title) patch.title = body.title;
  if (body.description !== (original.description ?? '')) patch.description = body.description;
  if (Date.parse(body.starts_at) !== Date.parse(original.starts_at)) patch.starts_at = body.starts_at;
  if (Date.parse(body.sale_opens_at) !== Date.parse(original.sale_opens_at)) patch.sale_opens_at = body.sale_opens_at;
  if (body.currency !== (original.currency ?? original.price_range.currency)) patch.currency = body.currency;
  if (!samePrices(body.prices, original.prices)) patch.prices = body.prices;
  if (body.max_seats_per_order !== (original.max_seats_per_order ?? DEFAULT_MAX_SEATS)) patch.max_seats_per_order = body.max_seats_per_order!;
  const q = original.queue;
  const bq = body.queue;
  if (bq.enabled !== q.enabled || (bq.capacity ?? null) !== (q.capacity ?? null) || (bq.outflow_per_minute ?? null) !== (q.outflow_per_minute ?? null)) {
    patch.queue = bq;
  }
  return patch;
}

/** A refusal of the show form in words: what the organizer can do about it. */
export function explainShowError(e: unknown): { message: string; category?: string } | null {
  if (!(e instanceof ApiError)) return null;
  const body = (e.body ?? {}) as ShowErrorBody;
  if (e.status === 409 && e.code === 'show_has_sales') {
    return {
      message:
        'This show has sold tickets, so what a sold ticket is can no longer change: not its venue, and not the price of a category with sold seats. ' +
        'Change the other fields, or refund those orders first.',
      ...(body.category ? { category: body.category } : {}),
    };
  }
  if (e.code === 'missing_price') {
    const category = typeof body.category === 'string' ? body.category : /'([^']+)'/.exec(e.detail)?.[1];
    return {
      message: category
        ? `Every seat category of the venue needs a price, and ${category} has none. Enter a price for it.`
        : `Every seat category of the venue needs a price. ${e.detail}`,
      ...(category ? { category } : {}),
    };
  }
  return null;
}

/** A waiting-room setting typed in the cockpit: null when left empty (unchanged), or a whole number from 1. */
export function parseQueueSetting(typed: string): number | null | 'invalid' {
  const s = typed.trim();
  if (!s) return null;
  return wholeNumber(s, 1, 1_000_000) ?? 'invalid';
}
