/**
 * Create or edit a show: title, description, venue, start, sale opening, currency, a price per seat category of the
 * venue, the seat limit per order, and the waiting room (on or off, its capacity and outflow per minute). An edit
 * sends only what changed. The server's 409 `show_has_sales` and 422 `missing_price` are explained in words next to
 * the fields they concern.
 */
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { errorMessage } from '../api/client';
import { organizerApi } from '../api/organizer';
import type { OrganizerShow, OrganizerVenue } from '../api/organizerTypes';
import { ErrorBanner, Loading } from '../components/Feedback';
import { money } from '../lib/format';
import { navigate, paths } from '../lib/router';
import { useTitle } from '../pages/useTitle';
import {
  emptyForm,
  explainShowError,
  formFromShow,
  MAX_SEATS_LIMIT,
  parsePrice,
  showPatch,
  validateShow,
  type ShowFormErrors,
  type ShowFormValues,
} from './showForm';
import { useLoad } from './useLoad';

export function ShowFormPage({ showId, venueId }: { showId: string | null; venueId: string | null }) {
  useTitle(showId ? 'Edit show' : 'New show');
  const venues = useLoad(() => organizerApi.listVenues());
  const show = useLoad<OrganizerShow | null>(() => (showId ? organizerApi.getShow(showId) : Promise.resolve(null)), [showId]);

  if ((venues.loading && !venues.data) || (show.loading && !show.data && showId)) return <Loading label="Loading…" />;
  if (venues.error) return <ErrorBanner message={venues.error} onRetry={venues.reload} />;
  if (show.error) return <ErrorBanner message={show.error} onRetry={show.reload} />;
  return <ShowForm original={show.data} venues={venues.data?.items ?? []} initialVenue={venueId} onSaved={show.setData} />;
}

function ShowForm({
  original,
  venues,
  initialVenue,
  onSaved,
}: {
  original: OrganizerShow | null;
  venues: OrganizerVenue[];
  initialVenue: string | null;
  onSaved: (show: OrganizerShow) => void;
}) {
  const [values, setValues] = useState<ShowFormValues>(() => {
    if (original) return formFromShow(original);
    const first = initialVenue && venues.some((v) => v.venue_id === initialVenue) ? initialVenue : venues.length === 1 ? venues[0]!.venue_id : '';
    return emptyForm(first);
  });
  const [errors, setErrors] = useState<ShowFormErrors>({});
  const [serverError, setServerError] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  const [saved, setSaved] = useState<string | null>(null);
  const summaryRef = useRef<HTMLDivElement>(null);
  const venue = useMemo(() => venues.find((v) => v.venue_id === values.venueId) ?? null, [venues, values.venueId]);
  const editing = original !== null;

  useEffect(() => {
    if (serverError || Object.keys(errors).length) summaryRef.current?.focus();
  }, [errors, serverError]);

  const set = <K extends keyof ShowFormValues>(key: K, value: ShowFormValues[K], category?: string) => {
    setValues((v) => ({ ...v, [key]: value }));
    setSaved(null);
    // A field being corrected stops showing its old problem (the summary keeps the others).
    setErrors((er) => {
      if (key === 'prices') {
        if (!category || !er.prices?.[category]) return er;
        const { [category]: _gone, ...rest } = er.prices;
        return { ...er, prices: rest };
      }
      const field = key === 'queueEnabled' ? null : (key as keyof ShowFormErrors);
      if (!field || !er[field]) return er;
      const { [field]: _gone, ...rest } = er;
      return rest;
    });
  };
  const text = (key: 'title' | 'description' | 'startsAt' | 'saleOpensAt' | 'currency' | 'maxSeats' | 'capacity' | 'outflow') => ({
    id: `show-${key}`,
    value: values[key],
    onInput: (e: Event) => set(key, (e.currentTarget as HTMLInputElement).value),
    'aria-invalid': errors[key] ? ('true' as const) : undefined,
    'aria-describedby': errors[key] ? `show-${key}-error` : undefined,
    'data-testid': `show-${key}`,
  });
  const error = (key: keyof ShowFormErrors) =>
    errors[key] && key !== 'prices' ? (
      <span id={`show-${key}-error`} class="field-error">
        {errors[key] as string}
      </span>
    ) : null;

  const onSubmit = async (e: Event) => {
    e.preventDefault();
    if (saving) return;
    setServerError(null);
    setSaved(null);
    const checked = validateShow(values, venue, Date.now(), original);
    setErrors(checked.errors);
    if (!checked.body) return;
    setSaving(true);
    try {
      if (!original) {
        const created = await organizerApi.createShow(checked.body);
        navigate(paths.cockpit(created.id));
        return;
      }
      const patch = showPatch(original, checked.body);
      if (!Object.keys(patch).length) {
        setSaved('Nothing changed.');
        return;
      }
      const updated = await organizerApi.updateShow(original.id, patch);
      onSaved(updated);
      setSaved('Saved. Fans see the changes at once.');
    } catch (err) {
      const explained = explainShowError(err);
      if (explained?.category) setErrors((er) => ({ ...er, prices: { ...er.prices, [explained.category!]: explained.message } }));
      setServerError(explained?.message ?? errorMessage(err));
    } finally {
      setSaving(false);
    }
  };

  const problems = [
    ...(['title', 'description', 'venueId', 'startsAt', 'saleOpensAt', 'currency', 'maxSeats', 'capacity', 'outflow'] as const)
      .filter((k) => errors[k])
      .map((k) => ({ id: `show-${k}`, text: errors[k] as string })),
    ...Object.entries(errors.prices ?? {}).map(([category, text]) => ({ id: priceId(category), text })),
  ];

  return (
    <div class="org-form-page" data-testid="show-form">
      <div class="org-heading">
        <h1 tabIndex={-1}>{editing ? `Edit ${original.title}` : 'New show'}</h1>
        {editing && (
          <a class="btn" href={paths.cockpit(original.id)}>
            Open the sale cockpit
          </a>
        )}
      </div>
      {!venues.length ? (
        <div class="card">
          <p>A show needs a venue first.</p>
          <a class="btn btn-primary" href={paths.organizerVenues()}>
            Import a seating plan
          </a>
        </div>
      ) : (
        <form class="form card" onSubmit={onSubmit} noValidate>
          <div ref={summaryRef} tabIndex={-1} class="form-summary" data-testid="show-form-errors">
            {serverError && (
              <div class="banner banner-error" role="alert" data-testid="show-form-server-error">
                <p>{serverError}</p>
              </div>
            )}
            {problems.length > 0 && !serverError && (
              <div class="banner banner-error" role="alert">
                <p>
                  <strong>Please correct {problems.length === 1 ? 'one field' : `${problems.length} fields`}:</strong>
                </p>
                <ul>
                  {problems.map((p) => (
                    <li key={p.id}>
                      <a href={`#${p.id}`} data-external onClick={(e) => focusField(e, p.id)}>
                        {p.text}
                      </a>
                    </li>
                  ))}
                </ul>
              </div>
            )}
          </div>

          <fieldset class="form-group">
            <legend>The show</legend>
            <label class="field">
              <span>Title</span>
              <input {...text('title')} maxLength={200} autoComplete="off" />
              {error('title')}
            </label>
            <label class="field">
              <span>Description</span>
              <textarea {...text('description')} rows={4} />
              {error('description')}
            </label>
            <label class="field">
              <span>Venue</span>
              <select
                id="show-venueId"
                value={values.venueId}
                onChange={(e) => set('venueId', (e.currentTarget as HTMLSelectElement).value)}
                aria-invalid={errors.venueId ? 'true' : undefined}
                aria-describedby={errors.venueId ? 'show-venueId-error' : 'show-venue-hint'}
                data-testid="show-venue"
              >
                <option value="">Choose a venue…</option>
                {venues.map((v) => (
                  <option key={v.venue_id} value={v.venue_id}>
                    {v.name}, {v.city} ({v.seats.toLocaleString()} seats)
                  </option>
                ))}
              </select>
              {error('venueId') ?? (
                <span id="show-venue-hint" class="muted small">
                  Once tickets are sold, the venue can no longer change.
                </span>
              )}
            </label>
            <div class="field-row">
              <label class="field grow">
                <span>Starts (your local time)</span>
                <input type="datetime-local" {...text('startsAt')} />
                {error('startsAt')}
              </label>
              <label class="field grow">
                <span>Sale opens (your local time)</span>
                <input type="datetime-local" {...text('saleOpensAt')} />
                {error('saleOpensAt')}
              </label>
            </div>
          </fieldset>

          <fieldset class="form-group" data-testid="show-prices">
            <legend>Prices</legend>
            <div class="field-row">
              <label class="field">
                <span>Currency</span>
                <input {...text('currency')} maxLength={3} size={5} autoComplete="off" class="upper" />
                {error('currency')}
              </label>
            </div>
            {!venue ? (
              <p class="muted small">Choose the venue to price its seat categories.</p>
            ) : (
              <div class="price-grid">
                {venue.categories.map((category) => {
                  const typed = values.prices[category] ?? '';
                  const problem = errors.prices?.[category];
                  const cents = parsePrice(typed, values.currency.toUpperCase());
                  return (
                    <label class="field" key={category}>
                      <span>{category}</span>
                      <input
                        id={priceId(category)}
                        value={typed}
                        inputMode="decimal"
                        autoComplete="off"
                        placeholder="0.00"
                        onInput={(e) => set('prices', { ...values.prices, [category]: (e.currentTarget as HTMLInputElement).value }, category)}
                        aria-invalid={problem ? 'true' : undefined}
                        aria-describedby={problem ? `${priceId(category)}-error` : undefined}
                        data-testid="show-price"
                        data-category={category}
                      />
                      {problem ? (
                        <span id={`${priceId(category)}-error`} class="field-error">
                          {problem}
                        </span>
                      ) : cents !== null && /^[A-Z]{3}$/i.test(values.currency) ? (
                        <span class="muted small" aria-hidden="true">
                          {money(cents, values.currency.toUpperCase())}
                        </span>
                      ) : null}
                    </label>
                  );
                })}
              </div>
            )}
          </fieldset>

          <fieldset class="form-group">
            <legend>Selling</legend>
            <label class="field narrow">
              <span>Seats per order, at most</span>
              <input type="number" min={1} max={MAX_SEATS_LIMIT} step={1} {...text('maxSeats')} />
              {error('maxSeats')}
            </label>
            <label class="check">
              <input
                type="checkbox"
                checked={values.queueEnabled}
                onChange={(e) => set('queueEnabled', (e.currentTarget as HTMLInputElement).checked)}
                data-testid="show-queue-enabled"
              />
              A waiting room lets buyers in, first come first served (early arrivals get a random place when the sale opens)
            </label>
            {values.queueEnabled && (
              <div class="field-row">
                <label class="field grow">
                  <span>Capacity: shoppers at once</span>
                  <input type="number" min={1} step={1} {...text('capacity')} placeholder="server default" />
                  {error('capacity')}
                </label>
                <label class="field grow">
                  <span>Outflow: people let in per minute</span>
                  <input type="number" min={1} step={1} {...text('outflow')} placeholder="no limit" />
                  {error('outflow')}
                </label>
              </div>
            )}
          </fieldset>

          <div class="actions">
            <button type="submit" class="btn btn-primary" disabled={saving} data-testid="show-submit">
              {saving ? 'Saving…' : editing ? 'Save changes' : 'Create show'}
            </button>
            <p role="status" class="muted" data-testid="show-saved">
              {saved}
            </p>
          </div>
        </form>
      )}
    </div>
  );
}

function priceId(category: string): string {
  return `show-price-${category.replace(/[^A-Za-z0-9_-]/g, (c) => `_${c.charCodeAt(0).toString(16)}`)}`;
}

function focusField(e: Event, id: string) {
  e.preventDefault();
  document.getElementById(id)?.focus();
}
