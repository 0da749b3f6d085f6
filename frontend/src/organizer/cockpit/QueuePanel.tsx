/**
 * The waiting room: its live figures, and its capacity and outflow per minute set while the sale runs
 * (PUT .../queue, in force within a second). Queue-it calls the outflow "outflow", AWS's Virtual Waiting Room the
 * serving counter's pace, Cloudflare "new users per minute".
 */
import { useEffect, useState } from 'preact/hooks';
import { errorMessage } from '../../api/client';
import type { OrganizerClient } from '../../api/organizer';
import type { Dashboard, QueueSettings } from '../../api/organizerTypes';
import { paths } from '../../lib/router';
import type { Sample } from '../dashboard';
import { parseQueueSetting as parseSetting } from '../showForm';
import { QueueCounters } from './Counters';

export function QueuePanel({
  api,
  showId,
  settings,
  dashboard,
  history,
  onApplied,
}: {
  api: Pick<OrganizerClient, 'setQueue'>;
  showId: string;
  settings: QueueSettings | null;
  dashboard: Dashboard | null;
  history: readonly Sample[];
  onApplied: (settings: QueueSettings) => void;
}) {
  const [capacity, setCapacity] = useState(settings?.capacity != null ? String(settings.capacity) : '');
  const [outflow, setOutflow] = useState(settings?.outflow_per_minute != null ? String(settings.outflow_per_minute) : '');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [said, setSaid] = useState('');
  useEffect(() => {
    setCapacity(settings?.capacity != null ? String(settings.capacity) : '');
    setOutflow(settings?.outflow_per_minute != null ? String(settings.outflow_per_minute) : '');
  }, [settings?.capacity, settings?.outflow_per_minute]);

  const enabled = settings?.enabled ?? dashboard?.queue != null;
  const c = parseSetting(capacity);
  const o = parseSetting(outflow);

  const apply = async (e: Event) => {
    e.preventDefault();
    if (c === 'invalid' || o === 'invalid' || (c === null && o === null)) return;
    setBusy(true);
    setError(null);
    setSaid('');
    try {
      const inForce = await api.setQueue(showId, { ...(c !== null ? { capacity: c } : {}), ...(o !== null ? { outflow_per_minute: o } : {}) });
      onApplied({ ...settings, ...inForce, enabled: true });
      const cap = inForce.capacity ?? c;
      const out = inForce.outflow_per_minute ?? o;
      setSaid(`In force: ${cap != null ? `${cap.toLocaleString()} shoppers at once` : 'capacity unchanged'}, ${out != null ? `${out.toLocaleString()} let in per minute` : 'outflow unchanged'}.`);
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section class="card cockpit-card" aria-labelledby="queue-title" data-testid="queue-panel">
      <h2 id="queue-title" class="h3">
        Waiting room
      </h2>
      {!enabled ? (
        <p class="muted small" data-testid="queue-off">
          This show has no waiting room. <a href={paths.organizerEditShow(showId)}>Turn it on in the show's settings</a> before a
          busy sale.
        </p>
      ) : (
        <>
          <QueueCounters d={dashboard} history={history} />
          <form class="queue-settings" onSubmit={apply} noValidate>
            <SettingField
              id="queue-capacity"
              label="Capacity (shoppers at once)"
              value={capacity}
              invalid={c === 'invalid'}
              onInput={setCapacity}
            />
            <SettingField
              id="queue-outflow"
              label="Outflow (let in per minute)"
              value={outflow}
              invalid={o === 'invalid'}
              onInput={setOutflow}
            />
            <button
              type="submit"
              class="btn"
              disabled={busy || c === 'invalid' || o === 'invalid' || (c === null && o === null)}
              data-testid="queue-apply"
            >
              {busy ? 'Applying…' : 'Apply now'}
            </button>
          </form>
          <p role="status" class="small" data-testid="queue-said">
            {said}
          </p>
          {error && (
            <div class="banner banner-error" role="alert">
              <p>{error}</p>
            </div>
          )}
        </>
      )}
    </section>
  );
}

/** One whole-number setting of the waiting room, with its error tied to it for screen readers. */
function SettingField({
  id,
  label,
  value,
  invalid,
  onInput,
}: {
  id: string;
  label: string;
  value: string;
  invalid: boolean;
  onInput: (value: string) => void;
}) {
  return (
    <label class="field">
      <span>{label}</span>
      <input
        type="number"
        min={1}
        step={1}
        value={value}
        onInput={(e) => onInput((e.currentTarget as HTMLInputElement).value)}
        aria-invalid={invalid ? 'true' : undefined}
        aria-describedby={invalid ? `${id}-error` : undefined}
        data-testid={id}
      />
      {invalid && (
        <span id={`${id}-error`} class="field-error">
          A whole number, at least 1.
        </span>
      )}
    </label>
  );
}
