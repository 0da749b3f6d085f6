import type { MapSeat, SeatMap, Section } from '../src/api/types';

/** A rectangular hall: `rows` rows of `perRow` seats, 10 units apart, one section per `rowsPerSection` rows. */
export function hall(rows = 4, perRow = 5, rowsPerSection = 2): SeatMap {
  const sections: Section[] = [];
  const seats: MapSeat[] = [];
  for (let r = 0; r < rows; r++) {
    const s = Math.floor(r / rowsPerSection);
    if (!sections[s]) sections[s] = { id: `S${s}`, name: `${100 + s}`, price_cents: 5000 - s * 1000 };
    const row = String.fromCharCode(65 + r);
    for (let n = 1; n <= perRow; n++) {
      seats.push({ id: `S${s}-${row}-${n}`, section_id: `S${s}`, row, number: n, x: n * 10, y: r * 12, accessible: r === 0 && n === 1, status: 'available' });
    }
  }
  return { show_id: 'show-1', version: 1, currency: 'EUR', sections, seats };
}

/**
 * A stadium: `sectionCount` sections around an oval, each `rows` rows deep, enough seats
 * per row to reach about `target` seats in all.
 */
export function stadium(target = 50_000, sectionCount = 40, rows = 30): SeatMap {
  const sections: Section[] = [];
  const seats: MapSeat[] = [];
  const perRow = Math.ceil(target / (sectionCount * rows));
  const prices = [2500, 4500, 6500, 9000, 12000];
  for (let s = 0; s < sectionCount; s++) {
    sections.push({ id: `sec-${s}`, name: `${101 + s}`, price_cents: prices[s % prices.length]! });
    const a0 = (s / sectionCount) * Math.PI * 2;
    const a1 = ((s + 0.92) / sectionCount) * Math.PI * 2;
    for (let r = 0; r < rows; r++) {
      const radius = 400 + r * 2.5;
      for (let k = 0; k < perRow; k++) {
        if (seats.length >= target) break;
        const a = a0 + ((a1 - a0) * (k + 0.5)) / perRow;
        seats.push({
          id: `${s}-${r}-${k + 1}`,
          section_id: `sec-${s}`,
          row: String(r + 1),
          number: k + 1,
          x: Math.round(Math.cos(a) * radius * 1.4 * 10) / 10,
          y: Math.round(Math.sin(a) * radius * 10) / 10,
          accessible: r === 0 && k % 10 === 0,
          status: 'available',
        });
      }
    }
  }
  return { show_id: 'stadium', version: 1, currency: 'EUR', sections, seats };
}

/**
 * The demo season's Olympiastadion (db/demo_data.py: stadium()): 24 blocks round an oval bowl,
 * 50 rows of 44 seats each, 52,800 seats, coordinates rounded to 0.1 as the seed rounds them.
 */
export function demoStadium(): SeatMap {
  const letters = 'ABCDEFGHJKLMNPQRSTUVWXYZ';
  const rowLabel = (r: number) => (r < letters.length ? letters[r]! : letters[Math.floor(r / letters.length) - 1]! + letters[r % letters.length]!);
  const sections: Section[] = [];
  const seats: MapSeat[] = [];
  const blocks = 24;
  const rows = 50;
  const perRow = 44;
  for (let k = 0; k < blocks; k++) {
    const centre = (k * 360) / blocks;
    const side = Math.cos((centre * Math.PI) / 180) ** 2;
    sections.push({ id: String(100 + k), name: `Block ${k + 1}`, price_cents: 4500 + Math.floor(Math.floor(side * 5000) / 500) * 500 });
    for (let r = 0; r < rows; r++) {
      for (let n = 0; n < perRow; n++) {
        const angle = ((centre - 7 + (14 * n) / (perRow - 1)) * Math.PI) / 180;
        seats.push({
          id: `${k}-${r}-${n + 1}`,
          section_id: String(100 + k),
          row: rowLabel(r),
          number: n + 1,
          x: Math.round((700 + r * 8) * Math.cos(angle) * 10) / 10,
          y: Math.round((480 + r * 8) * Math.sin(angle) * 10) / 10,
          accessible: r === 0 && n % 11 === 0,
          status: 'available',
        });
      }
    }
  }
  return { show_id: 'stadium', version: 1, currency: 'EUR', sections, seats };
}
