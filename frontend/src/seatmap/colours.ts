/**
 * Seat colours. Available seats take their section's price-tier colour (cheapest first);
 * taken seats are greys that differ in lightness; the fan's own seats are near-black so
 * they stand out from every tier. The tier palette is Okabe–Ito (safe for colour-blind
 * fans); the legend repeats every colour with text, so colour is never the only cue.
 */
const TIER_PALETTE = ['#0072B2', '#009E73', '#E69F00', '#CC79A7', '#D55E00', '#56B4E9', '#8C564B', '#7F3C8D'];

export const MAP_BACKGROUND = '#f8fafc';
export const HELD_COLOUR = '#cfd4dc';
export const SOLD_COLOUR = '#8b929c';
export const MINE_COLOUR = '#111827';
export const PENDING_COLOUR = '#4b5563';
export const FOCUS_COLOUR = '#1d4ed8';
export const HOVER_COLOUR = '#111827';
export const FLASH_COLOUR = '#dc2626';

/** One colour per price tier; past eight tiers, hues spread evenly. */
export function tierColours(tiers: number): string[] {
  if (tiers <= TIER_PALETTE.length) return TIER_PALETTE.slice(0, Math.max(1, tiers));
  return Array.from({ length: tiers }, (_, t) => `hsl(${Math.round(220 - (t * 300) / (tiers - 1))} 70% 42%)`);
}
