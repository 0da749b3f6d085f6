/**
 * Pause, resume or close the sale (POST .../sale). Pausing and resuming take effect at once and are undone as easily;
 * closing asks first. While paused or closed, fans' new holds and waiting-room admissions are refused, and the
 * waiting room shows "paused"; holds that exist may still be paid.
 */
import { useState } from 'preact/hooks';
import { errorMessage } from '../../api/client';
import type { OrganizerClient } from '../../api/organizer';
import type { SaleAction, SaleState } from '../../api/organizerTypes';
import { allowedActions, SALE_EXPLAINED, SALE_LABEL } from '../saleState';
import { ConfirmDialog } from './ConfirmDialog';

const DONE: Record<SaleAction, string> = {
  pause: 'The sale is paused.',
  resume: 'The sale is open again.',
  close: 'The sale is closed.',
};

export function SaleControls({
  api,
  showId,
  sale,
  onChanged,
}: {
  api: Pick<OrganizerClient, 'setSale'>;
  showId: string;
  sale: SaleState | 'cancelled' | null;
  onChanged: (sale: SaleState) => void;
}) {
  const [busy, setBusy] = useState<SaleAction | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [said, setSaid] = useState('');
  const [confirmClose, setConfirmClose] = useState(false);
  const actions = sale ? allowedActions(sale) : (['pause', 'resume', 'close'] as SaleAction[]);

  const act = async (action: SaleAction) => {
    setBusy(action);
    setError(null);
    try {
      const out = await api.setSale(showId, action);
      onChanged(out.sale);
      setSaid(DONE[action]);
      setConfirmClose(false);
    } catch (e) {
      setError(errorMessage(e));
      setConfirmClose(false);
    } finally {
      setBusy(null);
    }
  };

  return (
    <section class="card cockpit-card" aria-labelledby="sale-title" data-testid="sale-controls" data-sale={sale ?? ''}>
      <h2 id="sale-title" class="h3">
        Sale{' '}
        {sale && (
          <span class={`sale-badge sale-${sale}`} data-testid="sale-state">
            {SALE_LABEL[sale]}
          </span>
        )}
      </h2>
      <p class="muted small">{sale ? SALE_EXPLAINED[sale] : 'The sale’s state is shown after the first change.'}</p>
      <div class="actions">
        {actions.includes('pause') && (
          <button type="button" class="btn" onClick={() => void act('pause')} disabled={busy !== null} data-testid="sale-pause">
            {busy === 'pause' ? 'Pausing…' : 'Pause sale'}
          </button>
        )}
        {actions.includes('resume') && (
          <button type="button" class="btn btn-primary" onClick={() => void act('resume')} disabled={busy !== null} data-testid="sale-resume">
            {busy === 'resume' ? 'Resuming…' : 'Resume sale'}
          </button>
        )}
        {actions.includes('close') && (
          <button type="button" class="btn btn-danger-outline" onClick={() => setConfirmClose(true)} disabled={busy !== null} data-testid="sale-close">
            Close sale…
          </button>
        )}
      </div>
      <p role="status" class="small" data-testid="sale-said">
        {said}
      </p>
      {error && (
        <div class="banner banner-error" role="alert" data-testid="sale-error">
          <p>{error}</p>
        </div>
      )}
      <ConfirmDialog
        open={confirmClose}
        title="Close the sale?"
        confirmLabel="Close the sale"
        danger
        busy={busy === 'close'}
        onConfirm={() => void act('close')}
        onCancel={() => setConfirmClose(false)}
        testid="confirm-close"
      >
        <p>No one can hold seats or be let in from the waiting room after this. Seats already held can still be paid for.</p>
        <p>To stop the sale for a moment instead, pause it: a paused sale resumes with one click.</p>
      </ConfirmDialog>
    </section>
  );
}
