/**
 * Cancel the show (POST .../cancel with a reason): confirmed by typing the show's title, since it cannot be undone.
 * The show is cancelled at once; every paid order is then refunded by a job on the server, whose progress
 * (GET .../cancel) is followed here until it is done, after a reload too.
 */
import { useEffect, useState } from 'preact/hooks';
import { errorMessage } from '../../api/client';
import type { OrganizerClient } from '../../api/organizer';
import type { CancelProgress } from '../../api/organizerTypes';
import { progressText } from '../dashboard';
import { ConfirmDialog } from './ConfirmDialog';

export const PROGRESS_POLL_MS = 1_500;

export function CancelPanel({
  api,
  showId,
  title,
  cancelled,
  onCancelled,
}: {
  api: Pick<OrganizerClient, 'cancelShow' | 'cancelProgress'>;
  showId: string;
  title: string;
  cancelled: boolean;
  onCancelled: () => void;
}) {
  const [open, setOpen] = useState(false);
  const [reason, setReason] = useState('');
  const [typed, setTyped] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [progress, setProgress] = useState<CancelProgress | null>(null);

  // A cancelled show: follow the refunds until they are done (this also picks up a cancellation after a reload).
  useEffect(() => {
    if (!cancelled) return;
    let stop = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const poll = async () => {
      try {
        const p = await api.cancelProgress(showId);
        if (stop) return;
        setProgress(p);
        setError(null);
        if (p.done ?? p.refunded >= p.total) return;
      } catch (e) {
        if (stop) return;
        setError(errorMessage(e));
      }
      timer = setTimeout(() => void poll(), PROGRESS_POLL_MS);
    };
    void poll();
    return () => {
      stop = true;
      clearTimeout(timer);
    };
  }, [cancelled, showId]);

  const confirm = async () => {
    setBusy(true);
    setError(null);
    try {
      setProgress(await api.cancelShow(showId, reason.trim()));
      setOpen(false);
      onCancelled();
    } catch (e) {
      setError(errorMessage(e));
      setOpen(false);
    } finally {
      setBusy(false);
    }
  };

  const percent = progress && progress.total > 0 ? Math.round((progress.refunded / progress.total) * 100) : progress ? 100 : 0;
  return (
    <section class="card cockpit-card danger-zone" aria-labelledby="cancel-title" data-testid="cancel-panel">
      <h2 id="cancel-title" class="h3">
        {cancelled ? 'Show cancelled' : 'Cancel the show'}
      </h2>
      {cancelled ? (
        <div data-testid="cancel-progress" data-done={progress ? String(progress.done ?? progress.refunded >= progress.total) : ''}>
          <p role="status" data-testid="cancel-progress-text">
            {progress ? progressText(progress) : 'Refunding paid orders…'}
          </p>
          <div class="progress" role="progressbar" aria-label="Refunds done" aria-valuemin={0} aria-valuemax={100} aria-valuenow={percent}>
            <div class="progress-bar" style={{ width: `${percent}%` }} />
          </div>
          <p class="muted small">The refunds run on the server and carry on after a restart; each order is refunded once.</p>
        </div>
      ) : (
        <>
          <p class="muted small">
            Cancelling stops the sale at once and refunds every paid order to the card that paid. It cannot be undone.
          </p>
          <button type="button" class="btn btn-danger-outline" onClick={() => setOpen(true)} data-testid="cancel-show">
            Cancel the show…
          </button>
        </>
      )}
      {error && (
        <div class="banner banner-error" role="alert" data-testid="cancel-error">
          <p>{error}</p>
        </div>
      )}
      <ConfirmDialog
        open={open}
        title={`Cancel ${title}?`}
        confirmLabel="Cancel the show and refund everyone"
        cancelLabel="Keep the show"
        danger
        busy={busy}
        confirmDisabled={!reason.trim() || typed.trim() !== title.trim()}
        onConfirm={() => void confirm()}
        onCancel={() => setOpen(false)}
        testid="confirm-cancel"
      >
        <p>Every paid order is refunded, every ticket stops working, and fans get an e-mail with your reason.</p>
        <label class="field">
          <span>Reason (fans read it)</span>
          <textarea rows={3} value={reason} maxLength={500} onInput={(e) => setReason((e.currentTarget as HTMLTextAreaElement).value)} data-testid="cancel-reason" />
        </label>
        <label class="field">
          <span>
            Type the show's title to confirm: <strong>{title}</strong>
          </span>
          <input value={typed} onInput={(e) => setTyped((e.currentTarget as HTMLInputElement).value)} autoComplete="off" data-testid="cancel-confirm-title" />
        </label>
      </ConfirmDialog>
    </section>
  );
}
