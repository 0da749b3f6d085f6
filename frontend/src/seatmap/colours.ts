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

/** One colour per price tier (as #rrggbb); past eight tiers, hues spread evenly. */
export function tierColours(tiers: number): string[] {
  if (tiers <= TIER_PALETTE.length) return TIER_PALETTE.slice(0, Math.max(1, tiers));
  return Array.from({ length: tiers }, (_, t) => hslToHex(220 - (t * 300) / (tiers - 1), 0.7, 0.42));
}

export function hslToHex(hue: number, s: number, l: number): string {
  const h = ((hue % 360) + 360) % 360;
  const k = (n: number) => (n + h / 30) % 12;
  const a = s * Math.min(l, 1 - l);
  const f = (n: number) => l - a * Math.max(-1, Math.min(k(n) - 3, Math.min(9 - k(n), 1)));
  const hex = (x: number) => Math.round(x * 255).toString(16).padStart(2, '0');
  return `#${hex(f(0))}${hex(f(8))}${hex(f(4))}`;
}

const littleEndian = new Uint8Array(new Uint32Array([0x01020304]).buffer)[0] === 0x04;

/** #rrggbb → one opaque pixel as a Uint32 in ImageData's byte order (RGBA in memory). */
export function pixelOf(hex: string): number {
  const v = parseInt(hex.slice(1, 7), 16);
  const r = (v >> 16) & 255;
  const g = (v >> 8) & 255;
  const b = v & 255;
  return (littleEndian ? ((255 << 24) | (b << 16) | (g << 8) | r) : ((r << 24) | (g << 16) | (b << 8) | 255)) >>> 0;
}
