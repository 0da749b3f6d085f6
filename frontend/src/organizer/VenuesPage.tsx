/**
 * The organization's venues: each with its seats, categories and plan exports, and the import of a new one from a
 * seating-plan file (pretix's format or this project's own). The import says what it is doing at every step (reading
 * the file, sending it, the server checking and saving), and a refused plan shows where: the server's JSON pointer,
 * the same place in words, and the value the file has there.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, errorMessage } from '../api/client';
import { organizerApi, organizerPaths, uploadVenue } from '../api/organizer';
import type { OrganizerVenue, PlanFormat, VenueImported } from '../api/organizerTypes';
import { ErrorBanner, Loading } from '../components/Feedback';
import { paths } from '../lib/router';
import { useTitle } from '../pages/useTitle';
import { checkVenueFields, fileSize, importBody, locateProblem, MAX_PLAN_BYTES, readPlan, type FieldErrors, type PlanProblem, type PlanSummary, type VenueFieldValues as Fields } from './plan';
import { useLoad } from './useLoad';

export function VenuesPage() {
  useTitle('Venues');
  const venues = useLoad(() => organizerApi.listVenues());
  const [imported, setImported] = useState<string | null>(null);

  return (
    <div data-testid="org-venues">
      <div class="org-heading">
        <h1 tabIndex={-1}>Venues</h1>
      </div>
      <div class="org-columns">
        <section class="card" aria-labelledby="venue-list-title">
          <h2 id="venue-list-title" class="h3">
            Your venues
          </h2>
          {venues.loading && !venues.data ? (
            <Loading label="Loading your venues…" />
          ) : venues.error ? (
            <ErrorBanner message={venues.error} onRetry={venues.reload} />
          ) : !venues.data?.items.length ? (
            <p class="muted" data-testid="venues-empty">
              No venues yet: import a seating plan to make the first.
            </p>
          ) : (
            <VenueTable venues={venues.data.items} highlight={imported} />
          )}
        </section>
        <ImportVenue
          onImported={(venue) => {
            setImported(venue.venue_id);
            venues.reload();
          }}
        />
      </div>
    </div>
  );
}

function slug(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '') || 'venue';
}

function VenueTable({ venues, highlight }: { venues: OrganizerVenue[]; highlight: string | null }) {
  // The visible word starts the link's name (WCAG 2.5.3), the rest says whose plan it is to a screen reader.
  const exportLink = (v: OrganizerVenue, format: PlanFormat) => (
    <a href={organizerPaths.seatingPlan(v.venue_id, format)} download={`${slug(v.name)}.${format}.json`} data-testid={`venue-export-${format}`}>
      {format === 'pretix' ? 'pretix' : 'Showtime'}
      <span class="visually-hidden"> format: the seating plan of {v.name}</span>
    </a>
  );
  return (
    <div class="org-table-wrap">
      <table class="org-table" data-testid="venues-table">
        <caption class="visually-hidden">Your organization's venues</caption>
        <thead>
          <tr>
            <th scope="col">Venue</th>
            <th scope="col" class="num">
              Seats
            </th>
            <th scope="col">Categories</th>
            <th scope="col">Export plan</th>
            <th scope="col">
              <span class="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {venues.map((v) => (
            <tr key={v.venue_id} data-testid="venue-row" data-venue-id={v.venue_id} class={v.venue_id === highlight ? 'row-new' : undefined}>
              <th scope="row">
                {v.name}
                <span class="muted small block">
                  {v.city} · plan <code title={`layout_hash ${v.layout_hash}`}>{v.layout_hash.slice(0, 8)}</code>
                </span>
              </th>
              <td class="num">{v.seats.toLocaleString()}</td>
              <td>
                <ul class="chip-list">
                  {v.categories.map((c) => (
                    <li key={c} class="chip">
                      {c}
                    </li>
                  ))}
                </ul>
              </td>
              <td class="org-row-actions">
                {exportLink(v, 'showtime')}
                {exportLink(v, 'pretix')}
              </td>
              <td>
                <a href={paths.organizerNewShow(v.venue_id)} data-testid="venue-new-show">
                  New show here
                </a>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

type Phase =
  | { step: 'idle' }
  | { step: 'reading'; loaded: number; total: number }
  | { step: 'ready' }
  | { step: 'unreadable'; message: string }
  | { step: 'uploading'; loaded: number; total: number }
  | { step: 'saving' }
  | { step: 'done'; venue: VenueImported; created: boolean }
  | { step: 'refused'; message: string; code: string; pointer: string | null; problem: PlanProblem | null };

function readFile(file: File, onProgress: (loaded: number, total: number) => void): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onprogress = (e) => onProgress(e.loaded, e.lengthComputable ? e.total : file.size);
    reader.onload = () => resolve(String(reader.result ?? ''));
    reader.onerror = () => reject(reader.error ?? new Error('The file could not be read.'));
    reader.readAsText(file, 'utf-8');
  });
}

const percent = (loaded: number, total: number) => (total > 0 ? Math.min(100, Math.round((loaded / total) * 100)) : 0);

function ImportVenue({ onImported }: { onImported: (venue: VenueImported) => void }) {
  const [phase, setPhase] = useState<Phase>({ step: 'idle' });
  const [fields, setFields] = useState<Fields>({ name: '', city: '', lat: '', lng: '' });
  const [errors, setErrors] = useState<FieldErrors>({});
  const [file, setFile] = useState<{ name: string; size: number } | null>(null);
  const [summary, setSummary] = useState<PlanSummary | null>(null);
  const plan = useRef<{ text: string; parsed: unknown } | null>(null);
  const nameTouched = useRef(false);
  const fileInput = useRef<HTMLInputElement>(null);
  const busy = phase.step === 'reading' || phase.step === 'uploading' || phase.step === 'saving';

  const set = (key: keyof Fields) => (e: Event) => {
    if (key === 'name') nameTouched.current = true;
    setFields((f) => ({ ...f, [key]: (e.currentTarget as HTMLInputElement).value }));
    setErrors((er) => ({ ...er, [key]: undefined }));
  };

  const onFile = async (e: Event) => {
    const chosen = (e.currentTarget as HTMLInputElement).files?.[0];
    plan.current = null;
    setSummary(null);
    if (!chosen) {
      setFile(null);
      setPhase({ step: 'idle' });
      return;
    }
    setFile({ name: chosen.name, size: chosen.size });
    if (chosen.size > MAX_PLAN_BYTES) {
      setPhase({ step: 'unreadable', message: `This file is ${fileSize(chosen.size)}; an import takes at most 24 MB.` });
      return;
    }
    setPhase({ step: 'reading', loaded: 0, total: chosen.size });
    let text: string;
    try {
      text = await readFile(chosen, (loaded, total) => setPhase({ step: 'reading', loaded, total }));
    } catch (err) {
      setPhase({ step: 'unreadable', message: errorMessage(err) });
      return;
    }
    const reading = readPlan(text);
    if (!reading.ok) {
      setPhase({ step: 'unreadable', message: reading.message });
      return;
    }
    plan.current = { text: reading.text, parsed: reading.plan };
    setSummary(reading.summary);
    if (!nameTouched.current && reading.summary.name) setFields((f) => ({ ...f, name: reading.summary.name.slice(0, 200) }));
    setPhase({ step: 'ready' });
  };

  const onSubmit = async (e: Event) => {
    e.preventDefault();
    if (busy) return;
    const checked = checkVenueFields(fields);
    setErrors(checked.errors);
    if (!plan.current) {
      setPhase({ step: 'unreadable', message: 'Choose a seating-plan file first.' });
      fileInput.current?.focus();
      return;
    }
    if (!checked.values) {
      const first = (['name', 'city', 'lat', 'lng'] as const).find((k) => checked.errors[k]);
      if (first) document.getElementById(`venue-${first}`)?.focus();
      return;
    }
    const body = importBody(checked.values, plan.current.text);
    setPhase({ step: 'uploading', loaded: 0, total: body.length });
    try {
      const answer = await uploadVenue(body, ({ loaded, total }) => {
        // Once every byte is sent, the server reads, checks and writes the plan: say so rather than sit at 100 %.
        setPhase(loaded >= total ? { step: 'saving' } : { step: 'uploading', loaded, total });
      });
      setPhase({ step: 'done', venue: answer.venue, created: answer.created });
      onImported(answer.venue);
    } catch (err) {
      const apiError = err instanceof ApiError ? err : null;
      const pointer = typeof apiError?.body?.pointer === 'string' ? apiError.body.pointer : null;
      const problem = locateProblem(pointer ?? undefined, plan.current?.parsed);
      if (problem?.field && problem.field in fields) setErrors((er) => ({ ...er, [problem.field!]: apiError?.detail }));
      setPhase({ step: 'refused', message: errorMessage(err), code: apiError?.code ?? 'error', pointer, problem });
    }
  };

  const fieldProps = (key: keyof Fields) => ({
    id: `venue-${key}`,
    value: fields[key],
    onInput: set(key),
    'aria-invalid': errors[key] ? ('true' as const) : undefined,
    'aria-describedby': errors[key] ? `venue-${key}-error` : undefined,
    'data-testid': `venue-${key}`,
    disabled: busy,
  });
  const fieldError = (key: keyof Fields) =>
    errors[key] ? (
      <span id={`venue-${key}-error`} class="field-error">
        {errors[key]}
      </span>
    ) : null;

  return (
    <section class="card" aria-labelledby="import-title" data-testid="venue-import">
      <h2 id="import-title" class="h3">
        Import a seating plan
      </h2>
      <p class="muted small">
        A plan in pretix's seating-plan format, or in this project's own (which also carries sections, accessible seats and
        the order best available offers seats in). Up to 24 MB and 100,000 seats.
      </p>
      <form class="form" onSubmit={onSubmit} noValidate>
        <label class="field">
          <span>Seating-plan file (JSON)</span>
          <input
            ref={fileInput}
            type="file"
            accept=".json,application/json"
            onChange={onFile}
            disabled={busy}
            data-testid="venue-file"
            aria-describedby="venue-file-status"
          />
        </label>
        <div id="venue-file-status">
          {summary && file && (
            <dl class="plan-summary" data-testid="plan-summary" data-seats={summary.seats}>
              <div>
                <dt>Format</dt>
                <dd>{summary.kind === 'pretix' ? "pretix's seating plan" : "this project's own layout"}</dd>
              </div>
              <div>
                <dt>Seats</dt>
                <dd>{summary.seats.toLocaleString()}</dd>
              </div>
              <div>
                <dt>{summary.kind === 'pretix' ? 'Zones' : 'Sections'}</dt>
                <dd>{summary.groups.toLocaleString()}</dd>
              </div>
              <div>
                <dt>Categories</dt>
                <dd>{summary.categories.join(', ') || '—'}</dd>
              </div>
              {summary.accessible > 0 && (
                <div>
                  <dt>Accessible</dt>
                  <dd>{summary.accessible.toLocaleString()}</dd>
                </div>
              )}
              <div>
                <dt>File</dt>
                <dd>
                  {file.name} ({fileSize(file.size)})
                </dd>
              </div>
            </dl>
          )}
        </div>
        <label class="field">
          <span>Venue name</span>
          <input {...fieldProps('name')} autoComplete="off" maxLength={200} />
          {fieldError('name')}
        </label>
        <label class="field">
          <span>City</span>
          <input {...fieldProps('city')} autoComplete="address-level2" maxLength={100} />
          {fieldError('city')}
        </label>
        <div class="field-row">
          <label class="field grow">
            <span>Latitude</span>
            <input {...fieldProps('lat')} inputMode="decimal" placeholder="48.2008" />
            {fieldError('lat')}
          </label>
          <label class="field grow">
            <span>Longitude</span>
            <input {...fieldProps('lng')} inputMode="decimal" placeholder="16.3725" />
            {fieldError('lng')}
          </label>
        </div>
        <button type="submit" class="btn btn-primary" disabled={busy || !summary} data-testid="venue-import-submit">
          {busy ? 'Importing…' : summary ? `Import ${summary.seats.toLocaleString()} seats` : 'Import'}
        </button>
      </form>
      <ImportProgress phase={phase} summary={summary} />
    </section>
  );
}

function ImportProgress({ phase, summary }: { phase: Phase; summary: PlanSummary | null }) {
  const box = useRef<HTMLDivElement>(null);
  const problem = useRef<HTMLDivElement>(null);
  // Each step comes into view; a refusal takes the focus, so the keyboard is where the explanation is.
  useEffect(() => {
    if (phase.step === 'idle' || phase.step === 'ready') return;
    if (phase.step === 'refused' || phase.step === 'unreadable') problem.current?.focus({ preventScroll: true });
    box.current?.scrollIntoView?.({ block: 'nearest' });
  }, [phase.step]);
  let status = '';
  let bar: number | null | undefined; // a number: determinate; null: indeterminate; undefined: none
  switch (phase.step) {
    case 'reading':
      status = 'Reading the file…';
      bar = percent(phase.loaded, phase.total);
      break;
    case 'uploading':
      status = `Sending the plan (${fileSize(phase.total)})…`;
      bar = percent(phase.loaded, phase.total);
      break;
    case 'saving':
      status = `The server is checking and saving ${summary ? summary.seats.toLocaleString() : 'the'} seats…`;
      bar = null;
      break;
    case 'done':
      status = phase.created
        ? `Imported: ${phase.venue.seats.toLocaleString()} seats in ${phase.venue.categories.length} categories.`
        : `This plan was imported before under this name and city; that venue has ${phase.venue.seats.toLocaleString()} seats.`;
      break;
  }
  return (
    <div class="import-progress" ref={box}>
      {/* Announced politely at each step; the bar's percentage is there to look at, not announced. */}
      <p role="status" class="import-status" data-testid="import-status" data-step={phase.step}>
        {status}
      </p>
      {bar !== undefined && (
        <div
          class={`progress ${bar === null ? 'progress-indeterminate' : ''}`}
          role="progressbar"
          aria-label="Import progress"
          aria-valuemin={0}
          aria-valuemax={100}
          {...(bar === null ? {} : { 'aria-valuenow': bar })}
          data-testid="import-progress"
        >
          <div class="progress-bar" style={{ width: bar === null ? '35%' : `${bar}%` }} />
        </div>
      )}
      {phase.step === 'done' && (
        <p>
          <a class="btn btn-small" href={paths.organizerNewShow(phase.venue.venue_id)} data-testid="import-new-show">
            Create a show at this venue
          </a>
        </p>
      )}
      {phase.step === 'unreadable' && (
        <div class="banner banner-error" role="alert" data-testid="import-error" tabIndex={-1} ref={problem}>
          <p>{phase.message}</p>
        </div>
      )}
      {phase.step === 'refused' && (
        <div
          class="banner banner-error import-error"
          role="alert"
          tabIndex={-1}
          ref={problem}
          data-testid="import-error"
          data-code={phase.code}
          data-pointer={phase.pointer ?? ''}
        >
          <p>
            <strong>{phase.code === 'invalid_seating_plan' ? 'The plan was refused: ' : 'The import failed: '}</strong>
            {phase.message}
          </p>
          {phase.problem && (
            <dl class="problem">
              <div>
                <dt>Where</dt>
                <dd data-testid="import-error-where">{phase.problem.where}</dd>
              </div>
              {phase.pointer && (
                <div>
                  <dt>JSON pointer</dt>
                  <dd>
                    <code data-testid="import-error-pointer">{phase.pointer}</code>
                  </dd>
                </div>
              )}
              {phase.problem.value !== null && (
                <div>
                  <dt>In your file</dt>
                  <dd>
                    <code>{phase.problem.value}</code>
                  </dd>
                </div>
              )}
            </dl>
          )}
        </div>
      )}
    </div>
  );
}
