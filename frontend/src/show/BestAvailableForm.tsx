/** "Best available": the server picks `count` adjacent seats, optionally in a section or accessible. */
import { useState } from 'preact/hooks';
import { money } from '../lib/format';
import type { SeatMapModel } from '../seatmap/model';
import type { ShowController } from './controller';

const MAX_SEATS = 8;

export function BestAvailableForm({ controller, model, busy }: { controller: ShowController; model: SeatMapModel; busy: boolean }) {
  const [count, setCount] = useState(2);
  const [sectionId, setSectionId] = useState('');
  const [accessible, setAccessible] = useState(false);
  const sections = [...model.sections].sort((a, b) => b.priceCents - a.priceCents || a.name.localeCompare(b.name));

  const submit = (e: Event) => {
    e.preventDefault();
    void controller.bestAvailable({
      count,
      ...(sectionId ? { section_id: sectionId } : {}),
      ...(accessible ? { accessible: true } : {}),
    });
  };

  return (
    <form class="card form best-available" onSubmit={submit} data-testid="best-available-form" aria-labelledby="best-title">
      <h2 id="best-title" class="h3">
        Best available
      </h2>
      <div class="field-row">
        <label class="field">
          <span>Seats</span>
          <select value={String(count)} onChange={(e) => setCount(Number((e.currentTarget as HTMLSelectElement).value))} data-testid="best-available-count">
            {Array.from({ length: MAX_SEATS }, (_, k) => (
              <option key={k} value={String(k + 1)}>
                {k + 1}
              </option>
            ))}
          </select>
        </label>
        <label class="field grow">
          <span>Section</span>
          <select value={sectionId} onChange={(e) => setSectionId((e.currentTarget as HTMLSelectElement).value)} data-testid="best-available-section">
            <option value="">Any section</option>
            {sections.map((s) => (
              <option key={s.id} value={s.id} disabled={model.availableBySection[s.index] === 0}>
                {s.name} · {money(s.priceCents, model.currency)} ({model.availableBySection[s.index]} left)
              </option>
            ))}
          </select>
        </label>
      </div>
      <label class="check">
        <input type="checkbox" checked={accessible} onChange={(e) => setAccessible((e.currentTarget as HTMLInputElement).checked)} data-testid="best-available-accessible" />
        Wheelchair-accessible seats
      </label>
      <button type="submit" class="btn btn-primary" disabled={busy} data-testid="best-available-submit">
        {busy ? 'Finding seats…' : 'Find seats'}
      </button>
    </form>
  );
}
