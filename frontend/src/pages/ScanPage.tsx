/**
 * The gate scanner, for staff signed in with a scanner account. While online it downloads the show's public keys and
 * revocation list; from then on it verifies every code on the device, with no network at all, keeps each scan in
 * IndexedDB, and uploads the scans whenever the network is back. The server's answers then name the tickets another
 * gate let in first.
 *
 * Offline first: the page registers a service worker (src/offline/) that keeps the page and its files, so after
 * one visit it opens with no network at all. Opened that way, nobody can be signed in (the server cannot say), so
 * the page starts the last gate set up on this device from the keys it downloaded then; the scans upload once the
 * network is back and the session answers again.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { useOnline } from '../lib/online';
import { errorMessage } from '../api/client';
import { api } from '../api/client';
import type { Show } from '../api/types';
import { ErrorBanner, InfoBanner, Loading } from '../components/Feedback';
import { cameraSupported, startCamera } from '../gate/camera';
import { beep } from '../gate/feedback';
import { scanLog, type ScanRecord, type ScanResult } from '../gate/scanLog';
import { GateVerifier } from '../gate/verifier';
import { showTime } from '../lib/format';
import { useOfflineReadiness, type OfflineReadiness } from '../offline/register';
import { paths } from '../lib/router';
import { useSession } from '../lib/session';
import { useTitle } from './useTitle';

// The last gate set up on this device (the show's bundle itself is in IndexedDB): what an offline start resumes.
const GATE_NAME = 'gate-name';
const GATE_SHOW = 'gate-show';

const OFFLINE_NOTE: Record<OfflineReadiness, string> = {
  ready: 'Works offline on this device',
  installing: 'Preparing offline use…',
  failed: 'Cannot work offline: keep this page open',
  unsupported: 'This browser cannot open the page offline: keep it open',
};

const HEADLINE: Record<ScanResult, string> = {
  valid: 'Valid: let in',
  already_scanned: 'Already scanned here',
  invalid: 'Invalid code',
  expired: 'Expired code: ask the fan to show the live code',
};

function time(iso: string | null | undefined): string {
  return iso ? new Date(iso).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' }) : '';
}

function ScanResultPanel({ scan }: { scan: ScanRecord | null }) {
  if (!scan) {
    return (
      <div class="scan-result scan-idle" data-testid="scan-result" data-result="none">
        Ready to scan
      </div>
    );
  }
  return (
    <div class={`scan-result scan-${scan.result}`} data-testid="scan-result" data-result={scan.result} data-kind={scan.kind ?? ''} role="status">
      <strong class="scan-headline">{HEADLINE[scan.result]}</strong>
      {scan.seat_label && <span class="scan-seat">{scan.seat_label}</span>}
      {scan.kind === 'static' && <span class="scan-note">Static code: check the fan's ID</span>}
      {scan.ticket_id && <span class="scan-note">Ticket {scan.ticket_id}</span>}
    </div>
  );
}

function Scanner({ verifier, gate, offline }: { verifier: GateVerifier; gate: string; offline: OfflineReadiness }) {
  const showId = verifier.bundle.show_id;
  const online = useOnline();
  const [scans, setScans] = useState<ScanRecord[]>([]);
  const [last, setLast] = useState<ScanRecord | null>(null);
  const [code, setCode] = useState('');
  const [uploadError, setUploadError] = useState<string | null>(null);
  const [camera, setCamera] = useState(false);
  const uploading = useRef(false);
  const video = useRef<HTMLVideoElement>(null);
  const input = useRef<HTMLInputElement>(null);
  const scansRef = useRef<ScanRecord[]>([]);

  const remember = (next: ScanRecord[]) => {
    scansRef.current = next;
    setScans(next);
  };

  useEffect(() => {
    scanLog.scans(showId).then(remember);
  }, [showId]);

  const upload = async () => {
    const pending = scansRef.current.filter((s) => !s.uploaded);
    if (uploading.current || pending.length === 0 || !navigator.onLine) return;
    uploading.current = true;
    try {
      for (let i = 0; i < pending.length; i += 200) {
        const batch = pending.slice(i, i + 200);
        const answer = await api.uploadScans(showId, gate, batch.map(({ scan_id, code, scanned_at }) => ({ scan_id, code, scanned_at })));
        const byId = new Map(answer.items.map((o) => [o.scan_id, o]));
        const judged = batch.map((s) => ({ ...s, uploaded: true, server: byId.get(s.scan_id) ?? null }));
        for (const s of judged) await scanLog.save(s);
        const ids = new Map(judged.map((s) => [s.scan_id, s]));
        remember(scansRef.current.map((s) => ids.get(s.scan_id) ?? s));
      }
      setUploadError(null);
    } catch (e) {
      setUploadError(errorMessage(e));
    } finally {
      uploading.current = false;
    }
  };

  useEffect(() => {
    if (online) void upload();
    const id = setInterval(() => void upload(), 10_000);
    return () => clearInterval(id);
  }, [online, gate, showId]);

  const scan = async (raw: string) => {
    const text = raw.trim();
    if (!text) return;
    const now = Date.now();
    const verdict = await verifier.check(text, now);
    // The seen-set: a ticket this gate already let in, whatever code (rotating, static, replayed) shows it again.
    const first = verdict.result === 'valid'
      ? scansRef.current.find((s) => s.ticket_id === verdict.ticketId && s.result === 'valid')
      : undefined;
    const record: ScanRecord = {
      scan_id: crypto.randomUUID(), show_id: showId, gate, code: text, scanned_at: new Date(now).toISOString(),
      result: first ? 'already_scanned' : verdict.result, kind: verdict.kind, ticket_id: verdict.ticketId,
      seat_label: verdict.seatLabel, uploaded: false, server: null,
    };
    await scanLog.save(record);
    remember([...scansRef.current, record]);
    setLast(record);
    beep(record.result);
    void upload();
  };

  useEffect(() => {
    if (!camera || !video.current) return;
    let stop: (() => void) | null = null;
    startCamera(video.current, (c) => void scan(c)).then((s) => (stop = s)).catch((e) => {
      setUploadError(errorMessage(e));
      setCamera(false);
    });
    return () => stop?.();
  }, [camera]);

  const pending = scans.filter((s) => !s.uploaded).length;
  const duplicates = scans.filter((s) => s.server?.duplicate && s.server.scanned_gate !== gate);
  const b = verifier.bundle;
  return (
    <div class="scanner" data-testid="scanner">
      <p class="scanner-status">
        <strong data-testid="scan-show">{b.title}</strong>, {b.venue.name} · {showTime(b.starts_at)} · gate <strong>{gate}</strong>
        <br />
        <span class={online ? 'badge badge-ok' : 'badge badge-warn'} data-testid="scan-network" data-online={String(online)}>
          {online ? 'Online' : 'Offline: checking on this device'}
        </span>{' '}
        <span class="muted small" data-testid="scan-offline-ready" data-state={offline}>
          {OFFLINE_NOTE[offline]}
        </span>
        <br />
        <span class="muted small">
          Keys from {time(b.generated_at)}, {b.revocations.length} on the revocation list · scans: <span data-testid="scan-count">{scans.length}</span> ·{' '}
          <span data-testid="scan-pending" data-pending={pending}>
            {pending}
          </span>{' '}
          waiting to upload
        </span>
      </p>
      <ScanResultPanel scan={last} />
      <form
        class="scan-form"
        onSubmit={(e) => {
          e.preventDefault();
          const value = code;
          setCode('');
          void scan(value);
          input.current?.focus();
        }}
      >
        <label class="field scan-field">
          <span>Code (a hand-held scanner types here)</span>
          <input
            ref={input}
            type="text"
            autoFocus
            autoComplete="off"
            spellcheck={false}
            value={code}
            onInput={(e) => setCode((e.currentTarget as HTMLInputElement).value)}
            data-testid="scan-input"
          />
        </label>
        <button type="submit" class="btn btn-primary" data-testid="scan-submit">
          Check
        </button>
        {cameraSupported() && (
          <button type="button" class="btn" data-testid="scan-camera" onClick={() => setCamera(!camera)}>
            {camera ? 'Stop camera' : 'Use camera'}
          </button>
        )}
      </form>
      {camera && <video ref={video} class="scan-video" muted playsInline />}
      {uploadError && online && <ErrorBanner message={`Upload failed: ${uploadError}`} />}
      {duplicates.length > 0 && (
        <section class="card scan-duplicates" data-testid="scan-duplicates">
          <h2 class="h3">Let in at another gate first</h2>
          <ul>
            {duplicates.map((s) => (
              <li key={s.scan_id} data-testid="scan-duplicate" data-ticket-id={s.server?.ticket_id ?? ''}>
                Ticket {s.server?.ticket_id} {s.seat_label ? `(${s.seat_label})` : ''}: scanned here at {time(s.scanned_at)}, but
                already at <strong>{s.server?.scanned_gate ?? 'another gate'}</strong> at {time(s.server?.scanned_at)}
              </li>
            ))}
          </ul>
        </section>
      )}
    </div>
  );
}

function Setup({ onReady }: { onReady: (v: GateVerifier, gate: string) => void }) {
  const [shows, setShows] = useState<Show[] | null>(null);
  const [showId, setShowId] = useState('');
  const [gate, setGate] = useState(() => localStorage.getItem(GATE_NAME) ?? 'Main gate');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    // A gate set up from a link (`/scan?show=ID`) starts on that show, even one beyond the next 50.
    const linked = new URLSearchParams(location.search).get('show');
    api
      .listShows({ limit: 50 })
      .then(async (list) => {
        let items = list.items;
        if (linked && !items.some((s) => s.id === linked)) {
          items = [await api.getShow(linked), ...items];
        }
        setShows(items);
        setShowId((current) => current || (linked && items.some((s) => s.id === linked) ? linked : items[0]?.id) || '');
      })
      .catch((e) => setError(errorMessage(e)));
  }, []);

  const start = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      // Fresh keys and revocations while online; the last downloaded copy when not.
      let bundle = null;
      try {
        bundle = await api.gateBundle(showId);
        await scanLog.saveBundle(bundle);
      } catch (err) {
        bundle = await scanLog.bundle(showId);
        if (!bundle) throw err;
      }
      localStorage.setItem(GATE_NAME, gate);
      localStorage.setItem(GATE_SHOW, showId);
      onReady(await GateVerifier.create(bundle), gate.trim());
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  };

  if (shows === null && !error) return <Loading label="Loading shows…" />;
  return (
    <form class="card scan-setup" onSubmit={start}>
      {error && <ErrorBanner message={error} />}
      <label class="field">
        <span>Show</span>
        <select value={showId} onChange={(e) => setShowId((e.currentTarget as HTMLSelectElement).value)} data-testid="scan-show-select">
          {(shows ?? []).map((s) => (
            <option key={s.id} value={s.id}>
              {s.title}, {s.venue.name}, {showTime(s.starts_at)}
            </option>
          ))}
        </select>
      </label>
      <label class="field">
        <span>Gate</span>
        <input type="text" required maxLength={60} value={gate} onInput={(e) => setGate((e.currentTarget as HTMLInputElement).value)} data-testid="scan-gate" />
      </label>
      <button type="submit" class="btn btn-primary" disabled={busy || !showId} data-testid="scan-start">
        Download keys and start scanning
      </button>
    </form>
  );
}

/** Opened with no answer from the server: the last gate this device set up, from its stored keys, if any. */
function OfflineStart({ onReady }: { onReady: (v: GateVerifier, gate: string) => void }) {
  const [missing, setMissing] = useState(false);
  useEffect(() => {
    const showId = localStorage.getItem(GATE_SHOW);
    const gate = localStorage.getItem(GATE_NAME)?.trim();
    if (!showId || !gate) {
      setMissing(true);
      return;
    }
    scanLog
      .bundle(showId)
      .then(async (bundle) => (bundle ? onReady(await GateVerifier.create(bundle), gate) : setMissing(true)))
      .catch(() => setMissing(true));
  }, []);
  if (!missing) return <Loading label="Starting the gate from this device's keys…" />;
  return (
    <InfoBanner testid="scan-offline-unprepared">
      The server cannot be reached, and this device has no gate keys yet: open this page once with a network and start
      the gate, then it works offline.
    </InfoBanner>
  );
}

export function ScanPage() {
  useTitle('Gate scanner');
  const session = useSession();
  const offline = useOfflineReadiness();
  const [ready, setReady] = useState<{ verifier: GateVerifier; gate: string } | null>(null);
  const start = (verifier: GateVerifier, gate: string) => setReady({ verifier, gate });
  const unreachable = session.status === 'signed_out' && session.unreachable === true;

  let body;
  if (session.status === 'loading') body = <Loading />;
  else if (ready && (unreachable || (session.status === 'signed_in' && session.profile.role === 'scanner')))
    body = <Scanner verifier={ready.verifier} gate={ready.gate} offline={offline} />;
  else if (unreachable) body = <OfflineStart onReady={start} />;
  else if (session.status === 'signed_out')
    body = (
      <InfoBanner testid="signin-prompt">
        Please <a href={paths.signin(paths.scan())}>sign in with your scanner account</a>.
      </InfoBanner>
    );
  else if (session.profile.role !== 'scanner')
    body = <InfoBanner testid="scan-forbidden">This page is for gate staff with a scanner account.</InfoBanner>;
  else body = <Setup onReady={start} />;

  return (
    <div class="scan-page" data-testid="scan-page">
      <h1 tabIndex={-1}>Gate scanner</h1>
      {body}
    </div>
  );
}
