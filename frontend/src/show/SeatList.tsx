/**
 * The list alternative to the canvas: one section and one row at a time, the row's seats
 * in a virtual list of real buttons (each with the full seat label), so a screen reader
 * or keyboard user can pick seats without the map.
 */
import { useEffect, useState } from 'preact/hooks';
import { VirtualList } from '../components/VirtualList';
import { money } from '../lib/format';
import { AVAILABLE, HELD, MINE_HELD, MINE_NONE, MINE_PENDING, type SeatMapModel } from '../seatmap/model';
import type { ShowController } from './controller';

const ITEM_HEIGHT = 48;

export function SeatList({ controller, model, tick }: { controller: ShowController; model: SeatMapModel; tick: number }) {
  const firstSection = () => {
    let best = 0;
    for (let s = 0; s < model.sections.length; s++) if (model.availableBySection[s]! > model.availableBySection[best]!) best = s;
    return best;
  };
  const [section, setSection] = useState(firstSection);
  const rowsOfSection = model.rowsBySection[section] ?? [];
  const [row, setRow] = useState(rowsOfSection[0] ?? -1);
  // Re-render on every change to the model's seats in this row (the list is small).
  const [, setVersion] = useState(0);

  useEffect(() => {
    setSection(firstSection());
  }, [model]);

  useEffect(() => {
    const rows = model.rowsBySection[section] ?? [];
    if (!rows.includes(row)) setRow(rows[0] ?? -1);
  }, [section, model]);

  useEffect(
    () =>
      model.onChange((changed) => {
        if (row < 0) return;
        if (changed === null) return setVersion((v) => v + 1);
        for (let k = 0; k < changed.length; k++) {
          if (model.rowOf[changed[k]!] === row) return setVersion((v) => v + 1);
        }
      }),
    [model, row],
  );

  const seats = row >= 0 ? model.rows[row]!.seats : new Int32Array(0);
  const available = (r: number) => {
    let n = 0;
    for (const i of model.rows[r]!.seats) if (model.status[i] === AVAILABLE && model.mine[i] === MINE_NONE) n++;
    return n;
  };
  const sec = model.sections[section];

  const renderItem = (k: number) => {
    const i = seats[k]!;
    const mine = model.mine[i]!;
    const status = mine === MINE_HELD ? 'mine' : mine !== MINE_NONE ? 'pending' : model.statusName(i);
    const free = model.status[i] === AVAILABLE || mine !== MINE_NONE;
    const text =
      mine === MINE_HELD ? 'In your hold — select to release' : mine === MINE_PENDING ? 'Holding…' : mine !== MINE_NONE ? 'Releasing…' : model.status[i] === AVAILABLE ? 'Available' : model.status[i] === HELD ? 'Taken' : 'Sold';
    return (
      <button
        type="button"
        class={`seat-item seat-${status}`}
        data-index={k}
        data-testid="seat-list-item"
        data-seat-id={model.idAt(i)}
        data-status={status}
        aria-pressed={mine === MINE_HELD}
        aria-disabled={!free}
        aria-label={model.label(i, money)}
        onClick={() => controller.toggleSeat(i)}
      >
        <span class="seat-item-number">Seat {model.numbers[i]}</span>
        {model.accessible[i] ? <span class="badge">Accessible</span> : null}
        <span class="seat-item-state">{text}</span>
      </button>
    );
  };

  return (
    <section class="seat-list card" aria-labelledby="seat-list-title" data-testid="seat-list">
      <h2 id="seat-list-title" class="h3">
        Pick seats from a list
      </h2>
      <div class="field-row">
        <label class="field grow">
          <span>Section</span>
          <select value={String(section)} onChange={(e) => setSection(Number((e.currentTarget as HTMLSelectElement).value))} data-testid="seat-list-section">
            {model.sections.map((s) => (
              <option key={s.id} value={String(s.index)}>
                {s.name} · {money(s.priceCents, model.currency)} · {model.availableBySection[s.index]} available
              </option>
            ))}
          </select>
        </label>
        <label class="field grow">
          <span>Row</span>
          <select value={String(row)} onChange={(e) => setRow(Number((e.currentTarget as HTMLSelectElement).value))} data-testid="seat-list-row">
            {rowsOfSection.map((r) => (
              <option key={r} value={String(r)}>
                Row {model.rows[r]!.label} · {available(r)} of {model.rows[r]!.seats.length} available
              </option>
            ))}
          </select>
        </label>
      </div>
      {sec && row >= 0 ? (
        <VirtualList
          count={seats.length}
          itemHeight={ITEM_HEIGHT}
          height={Math.min(seats.length, 8) * ITEM_HEIGHT + 2}
          label={`Section ${sec.name}, row ${model.rows[row]!.label}`}
          testid="seat-list-items"
          renderItem={renderItem}
          version={tick}
        />
      ) : (
        <p class="muted">This section has no seats.</p>
      )}
    </section>
  );
}
