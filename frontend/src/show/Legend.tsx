/** What the colours mean: one entry per price tier (with its sections), then the states. */
import { money } from '../lib/format';
import { HELD_COLOUR, MINE_COLOUR, SOLD_COLOUR, tierColours } from '../seatmap/colours';
import type { SeatMapModel } from '../seatmap/model';

export function Legend({ model }: { model: SeatMapModel }) {
  const colours = tierColours(model.prices.length);
  const tiers = model.prices.map((price, t) => {
    const sections = model.sections.filter((s) => s.tier === t);
    const available = sections.reduce((n, s) => n + model.availableBySection[s.index]!, 0);
    return { price, t, sections, available };
  });
  return (
    <section class="legend" aria-labelledby="legend-title" data-testid="seat-map-legend">
      <h2 id="legend-title" class="h3">
        Legend
      </h2>
      <ul class="legend-list">
        {tiers.map(({ price, t, sections, available }) => (
          <li key={t} class="legend-item" data-testid="legend-tier">
            <span class="swatch" aria-hidden="true" style={{ background: colours[t] }} />
            <span>
              <strong>{money(price, model.currency)}</strong>{' '}
              <span class="muted">
                {sections.length <= 4 ? sections.map((s) => s.name).join(', ') : `${sections.length} sections`} · {available.toLocaleString()} available
              </span>
            </span>
          </li>
        ))}
        <li class="legend-item">
          <span class="swatch swatch-mine" aria-hidden="true" style={{ background: MINE_COLOUR }} />
          Your seats
        </li>
        <li class="legend-item">
          <span class="swatch" aria-hidden="true" style={{ background: HELD_COLOUR }} />
          Held by someone else
        </li>
        <li class="legend-item">
          <span class="swatch" aria-hidden="true" style={{ background: SOLD_COLOUR }} />
          Sold
        </li>
        <li class="legend-item">
          <span class="swatch swatch-accessible" aria-hidden="true" style={{ background: colours[0] }}>
            <span />
          </span>
          Wheelchair accessible (white mark, when zoomed in)
        </li>
      </ul>
      <p class="muted small" data-testid="seats-available-total">
        {model.availableTotal.toLocaleString()} of {model.size.toLocaleString()} seats available
      </p>
    </section>
  );
}
