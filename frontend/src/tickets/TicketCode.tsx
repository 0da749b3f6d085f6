/**
 * A ticket's code at the gate: the rotating code (this device's signature over the current 15-second step, under the
 * certificate the server issued for this device), redrawn every step; the static code where the browser cannot
 * keep a device key. A ticket already on another device offers to move here, which revokes the other one.
 */
import { useEffect, useState } from 'preact/hooks';
import { ApiError, api, errorMessage } from '../api/client';
import type { Ticket } from '../api/types';
import { STEP_SECONDS, rotatingCode, timeStep } from '../gate/codes';
import { deviceKey, type DeviceKey } from '../gate/device';
import { QrCode } from './QrCode';

type State =
  | { mode: 'loading' }
  | { mode: 'rotating'; certificate: string; key: DeviceKey; clockOffsetMs: number }
  | { mode: 'static' }
  | { mode: 'elsewhere' }
  | { mode: 'error'; message: string };

function useNow(intervalMs: number): number {
  const [now, setNow] = useState(Date.now);
  useEffect(() => {
    const id = setInterval(() => setNow(Date.now()), intervalMs);
    return () => clearInterval(id);
  }, [intervalMs]);
  return now;
}

function RotatingQr({ certificate, device, label, clockOffsetMs }: { certificate: string; device: DeviceKey; label: string; clockOffsetMs: number }) {
  const now = useNow(1000) + clockOffsetMs;
  const step = timeStep(now);
  const [code, setCode] = useState<string | null>(null);
  useEffect(() => {
    let cancelled = false;
    rotatingCode(certificate, device.privateKey, device.alg, step).then((c) => !cancelled && setCode(c));
    return () => {
      cancelled = true;
    };
  }, [certificate, device, step]);
  const left = STEP_SECONDS - Math.floor((now / 1000) % STEP_SECONDS);
  return (
    <div class="ticket-code" data-testid="ticket-code" data-kind="rotating">
      {code ? <QrCode value={code} label={label} kind="rotating" /> : <div class="qr" />}
      <p class="muted small code-note">
        Live code, new every {STEP_SECONDS} s <span class="code-countdown" aria-hidden="true">({left} s)</span>
        <br />A screenshot will not get in.
      </p>
    </div>
  );
}

export function TicketCode({ ticket, label }: { ticket: Ticket; label: string }) {
  const [state, setState] = useState<State>({ mode: 'loading' });
  const [move, setMove] = useState(false);

  useEffect(() => {
    let cancelled = false;
    (async () => {
      let key: DeviceKey;
      try {
        key = await deviceKey();
      } catch {
        if (!cancelled) setState({ mode: 'static' });
        return;
      }
      try {
        const cert = await api.bindDevice(ticket.ticket_id, key.alg, key.publicKey, move);
        if (!cancelled) setState({ mode: 'rotating', certificate: cert.certificate, key, clockOffsetMs: cert.server_time_ms - Date.now() });
      } catch (e) {
        if (cancelled) return;
        if (e instanceof ApiError && e.code === 'bound_to_other_device') setState({ mode: 'elsewhere' });
        else setState({ mode: 'error', message: errorMessage(e) });
      }
    })();
    return () => {
      cancelled = true;
    };
  }, [ticket.ticket_id, move]);

  switch (state.mode) {
    case 'rotating':
      return <RotatingQr certificate={state.certificate} device={state.key} label={label} clockOffsetMs={state.clockOffsetMs} />;
    case 'static':
      return (
        <div class="ticket-code" data-testid="ticket-code" data-kind="static">
          <QrCode value={ticket.code} label={label} kind="static" />
          <p class="muted small code-note">Static code: this browser cannot show a live code, so staff may check your ID.</p>
        </div>
      );
    case 'elsewhere':
      return (
        <div class="ticket-code" data-testid="ticket-code" data-kind="elsewhere">
          <p class="small">This ticket is on another device.</p>
          <button type="button" class="btn btn-small" data-testid="ticket-move" onClick={() => setMove(true)}>
            Move it to this device
          </button>
          <p class="muted small">The other device's code stops working.</p>
        </div>
      );
    case 'error':
      return (
        <div class="ticket-code" data-testid="ticket-code" data-kind="error">
          <p class="small" role="alert">
            {state.message}
          </p>
        </div>
      );
    default:
      return <div class="ticket-code qr" data-testid="ticket-code" data-kind="loading" />;
  }
}
