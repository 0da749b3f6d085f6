/**
 * "Check the draw": before the sale, the commitment to the draw's secret seed (worth noting down); after the draw,
 * the fan's number recomputed in this browser from the published seed and entries (./draw.ts), ✓ or ✗.
 */
import { useEffect, useState } from 'preact/hooks';
import { api } from '../api/client';
import type { QueueDraw } from '../api/types';
import { checkDraw, type DrawCheck as Result } from './draw';

type State =
  | { kind: 'loading' }
  | { kind: 'unavailable' }
  | { kind: 'committed'; draw: QueueDraw }
  | { kind: 'late'; draw: QueueDraw }
  | { kind: 'checked'; draw: QueueDraw; result: Result };

export function DrawCheck({ showId, queueId, number }: { showId: string; queueId: string; number: number | null }) {
  const [state, setState] = useState<State>({ kind: 'loading' });

  useEffect(() => {
    let cancelled = false;
    const run = async () => {
      try {
        const draw = await api.queueDraw(showId);
        if (!draw.drawn || number === null) return void (!cancelled && setState({ kind: 'committed', draw }));
        if (!(draw.entries ?? []).includes(queueId)) return void (!cancelled && setState({ kind: 'late', draw }));
        const result = await checkDraw(draw, queueId, number);
        if (!cancelled) setState({ kind: 'checked', draw, result });
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
            <li>{mark(state.result.commitmentMatches)} The revealed seed matches the commitment {short(draw.commitment)}</li>
            <li>
              {mark(state.result.entriesMatch)} {draw.entries_count} early entries, hash {short(draw.entries_hash)}
            </li>
            <li>
              {mark(state.result.numberMatches)} Recomputed number: {state.result.drawnNumber ?? 'not found'}
            </li>
          </ul>
          <p class="muted small">
            Check it yourself: <code>just verify-draw {showId} --queue-id {queueId} --number {number}</code>
          </p>
        </>
      )}
    </section>
  );
}

const mark = (ok: boolean) => (ok ? '✓' : '✗');
const short = (hex: string | null) => (hex ? `${hex.slice(0, 12)}…` : '—');
