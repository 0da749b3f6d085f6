/**
 * "Check the draw": before the sale, the commitment to the draw's secret seed (worth noting down); after the draw,
 * the fan's number recomputed in this browser from the published seed and entries (./draw.ts), ✓ or ✗. An early
 * arrival whose e-mail address was not verified when the draw ran is not among the entries: the panel says why and
 * where that puts them (after the drawn places, in join order) and offers the verification mail.
 */
import { useEffect, useState } from 'preact/hooks';
import { ApiError, api, errorMessage } from '../api/client';
import type { QueueDraw } from '../api/types';
import { useSession } from '../lib/session';
import { checkDraw, notedCommitment, noteCommitment, placementOf, type Placement, type DrawCheck as Result } from './draw';

type PlacedAfter = Extract<Placement, { kind: 'placed_after' }>;

type State =
  | { kind: 'loading' }
  | { kind: 'unavailable' }
  | { kind: 'committed'; draw: QueueDraw }
  | { kind: 'late'; draw: QueueDraw }
  | { kind: 'placed_after'; draw: QueueDraw; placement: PlacedAfter; result: Result }
  | { kind: 'checked'; draw: QueueDraw; result: Result };

export function DrawCheck({ showId, queueId, number }: { showId: string; queueId: string; number: number | null }) {
  const [state, setState] = useState<State>({ kind: 'loading' });

  useEffect(() => {
    let cancelled = false;
    const run = async () => {
      try {
        const draw = await api.queueDraw(showId);
        // Noted before the opening, and compared against after the draw: the published one could be another.
        if (!draw.drawn && draw.commitment) noteCommitment(showId, draw.commitment);
        if (!draw.drawn || number === null) return void (!cancelled && setState({ kind: 'committed', draw }));
        const placement = placementOf(draw, queueId, number);
        if (placement.kind === 'late') return void (!cancelled && setState({ kind: 'late', draw }));
        const result = await checkDraw(draw, queueId, number, notedCommitment(showId));
        if (cancelled) return;
        if (placement.kind === 'placed_after') setState({ kind: 'placed_after', draw, placement, result });
        else setState({ kind: 'checked', draw, result });
      } catch {
        if (!cancelled) setState({ kind: 'unavailable' });
      }
    };
    void run();
    return () => {
      cancelled = true;
    };
  }, [showId, queueId, number]);

  if (state.kind === 'loading' || state.kind === 'unavailable') return null;
  const { draw } = state;
  // Shared by the two outcomes that checked the revealed seed.
  const seedLine = (result: Result) => (
    <li data-testid="draw-seed-line" data-ok={String(result.commitmentMatches)}>
      {mark(result.commitmentMatches)} The revealed seed matches the commitment {short(draw.commitment)}
      {result.noted && ', the one this page showed before the sale opened'}
    </li>
  );
  const checkYourself = (
    <p class="muted small">
      Check it yourself: <code>just verify-draw {showId} --queue-id={queueId} --number {number}</code>
    </p>
  );
  return (
    <section class="card draw-check" aria-labelledby="draw-check-title" data-testid="draw-check" data-state={state.kind}>
      <h2 id="draw-check-title">Check the draw</h2>
      {state.kind === 'committed' && (
        <p class="small">
          Places among those who join before the sale opens are drawn from a secret seed fixed in advance. Its fingerprint
          (SHA-256) is <code data-testid="draw-commitment">{draw.commitment}</code>; note it down. Once the sale opens the
          seed is revealed and this page checks your number against it.
        </p>
      )}
      {state.kind === 'late' && (
        <p class="small">You joined after the sale opened: your place is first come, first served, not drawn.</p>
      )}
      {state.kind === 'placed_after' && (
        <>
          <p class="draw-check-result" data-testid="draw-placed-after" data-number={state.placement.number}>
            You joined before the sale opened, but your account's e-mail address was not verified when the places were
            drawn. Only verified accounts are in the draw: the {state.placement.placedAfterCount.toLocaleString()}{' '}
            unverified early {state.placement.placedAfterCount === 1 ? 'arrival is' : 'arrivals are'} placed after the{' '}
            {state.placement.drawnCount.toLocaleString()} drawn places, in the order they joined (
            {placedRange(state.placement)}): your number is {state.placement.number}.
          </p>
          <ul class="small draw-check-steps">
            {seedLine(state.result)}
            <li>
              {mark(state.result.entriesMatch)} {draw.entries_count} drawn entries, hash {short(draw.entries_hash)}
            </li>
          </ul>
          <VerifyEmailHint />
          {checkYourself}
        </>
      )}
      {state.kind === 'checked' && (
        <>
          <p class="draw-check-result" data-testid="draw-check-result" data-ok={String(state.result.ok)}>
            <span class={state.result.ok ? 'draw-ok' : 'draw-bad'} aria-hidden="true">
              {state.result.ok ? '✓' : '✗'}
            </span>{' '}
            {state.result.ok
              ? `Your number ${number} is the one the published draw gives you.`
              : 'Your number does not follow from the published draw.'}
          </p>
          <ul class="small draw-check-steps">
            {seedLine(state.result)}
            <li>
              {mark(state.result.entriesMatch)} {draw.entries_count} early entries, hash {short(draw.entries_hash)}
            </li>
            <li>
              {mark(state.result.numberMatches)} Recomputed number: {state.result.drawnNumber ?? 'not found'}
            </li>
          </ul>
          {checkYourself}
        </>
      )}
    </section>
  );
}

/** Verify the address so the next draw counts this fan: the mail's link opens /verify-email. */
function VerifyEmailHint() {
  const session = useSession();
  const [sending, setSending] = useState<'idle' | 'sending' | 'sent' | 'already'>('idle');
  const [error, setError] = useState<string | null>(null);
  if (session.status === 'signed_in' && session.profile.email_verified) {
    return (
      <p class="small" data-testid="draw-verify-hint" data-verified="true">
        Your address is verified now, so you will be in the draw for the next sale you join early.
      </p>
    );
  }
  const send = async () => {
    setSending('sending');
    setError(null);
    try {
      const answer = await api.sendVerificationEmail();
      setSending(answer.sent ? 'sent' : 'already');
    } catch (e) {
      setSending('idle');
      const limited = e instanceof ApiError && e.status === 429;
      setError(limited ? 'Verification mails are limited to a few per hour; try again later.' : errorMessage(e));
    }
  };
  return (
    <div class="small" data-testid="draw-verify-hint" data-verified="false">
      <p>Verify your e-mail address to be in the draw for the next sale you join early.</p>
      {sending === 'sent' ? (
        <p role="status" data-testid="draw-verify-sent">
          We sent you an e-mail: open its link to verify your address.
        </p>
      ) : sending === 'already' ? (
        <p role="status" data-testid="draw-verify-sent">
          Your address is already verified: you will be in the next draw.
        </p>
      ) : (
        <button
          type="button"
          class="btn"
          disabled={sending === 'sending'}
          onClick={() => void send()}
          data-testid="draw-verify-send"
        >
          Send me the verification e-mail
        </button>
      )}
      {error && (
        <p class="error" role="alert" data-testid="draw-verify-error">
          {error}
        </p>
      )}
    </div>
  );
}

const placedRange = (p: PlacedAfter) =>
  p.placedAfterCount === 1
    ? `number ${p.drawnCount + 1}`
    : `numbers ${p.drawnCount + 1} to ${p.drawnCount + p.placedAfterCount}`;
const mark = (ok: boolean) => (ok ? '✓' : '✗');
const short = (hex: string | null) => (hex ? `${hex.slice(0, 12)}…` : '—');
