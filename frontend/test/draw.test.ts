import { describe, expect, it } from 'vitest';
import vectorsText from '../../tests/realtime/waiting_room/draw_vectors.json?raw';
import { below, canonicalEntries, checkDraw, commitmentOf, DRAW_ALGORITHM, drawOrder, entriesHash, fromHex } from '../src/queue/draw';

// The same vectors as tests/realtime/waiting_room/test_draw_algorithm.py: the browser and the server draw alike.
interface Vector {
  seed: string;
  commitment: string;
  entries: string[];
  sorted: string[];
  entries_hash: string;
  order: string[];
}
const vectors = JSON.parse(vectorsText) as { algorithm: string; cases: Vector[] };

describe('the draw, as the browser recomputes it', () => {
  it('uses the same algorithm as the vectors', () => expect(vectors.algorithm).toBe(DRAW_ALGORITHM));

  for (const v of vectors.cases) {
    it(`matches the shared vector with ${v.entries.length} entries`, async () => {
      const seed = fromHex(v.seed);
      expect(await commitmentOf(seed)).toBe(v.commitment);
      const sorted = canonicalEntries(v.entries);
      expect(sorted).toEqual(v.sorted);
      expect(await entriesHash(sorted)).toBe(v.entries_hash);
      expect(await drawOrder(seed, sorted)).toEqual(v.order);
    });
  }

  it('skips the words past the last whole multiple (no modulo bias)', async () => {
    const words = [0xffffffff, 0xfffffffe, 7];
    const next = () => words.shift()!;
    expect(await below(next, 3)).toBe(0xfffffffe % 3);
    expect(await below(next, 3)).toBe(1);
  });

  it('sorts by UTF-8 bytes and refuses duplicates', () => {
    expect(canonicalEntries(['b', 'B', 'a', '_'])).toEqual(['B', '_', 'a', 'b']);
    expect(canonicalEntries(['\u{1F600}', '\uFFFD'])).toEqual(['\uFFFD', '\u{1F600}']);
    expect(() => canonicalEntries(['a', 'a'])).toThrow();
  });

  it('checks a fan’s number: ✓ with the published data, ✗ when anything was changed', async () => {
    const v = vectors.cases.find((c) => c.entries.length === 10)!;
    const published = {
      algorithm: DRAW_ALGORITHM,
      commitment: v.commitment,
      seed: v.seed,
      entries_hash: v.entries_hash,
      entries_count: v.sorted.length,
      entries: v.sorted,
    };
    const mine = v.order[3]!;
    expect(await checkDraw(published, mine, 4)).toMatchObject({ ok: true, drawnNumber: 4 });
    expect(await checkDraw(published, mine, 5)).toMatchObject({ ok: false, numberMatches: false });
    const otherSeed = `${v.seed.slice(0, -2)}ff`;
    expect(await checkDraw({ ...published, seed: otherSeed }, mine, 4)).toMatchObject({ ok: false, commitmentMatches: false });
    const edited = [...v.sorted.slice(0, -1), 'q99'];
    expect(await checkDraw({ ...published, entries: edited }, mine, 4)).toMatchObject({ ok: false, entriesMatch: false });
    expect(await checkDraw(published, 'not-an-entry', 4)).toMatchObject({ ok: false, drawnNumber: null });
  });

  it('compares the revealed seed with the commitment noted before the opening, when there is one', async () => {
    const v = vectors.cases.find((c) => c.entries.length === 10)!;
    const published = {
      algorithm: DRAW_ALGORITHM,
      commitment: v.commitment,
      seed: v.seed,
      entries_hash: v.entries_hash,
      entries_count: v.sorted.length,
      entries: v.sorted,
    };
    const mine = v.order[3]!;
    expect(await checkDraw(published, mine, 4, v.commitment)).toMatchObject({ ok: true, noted: true });
    expect(await checkDraw(published, mine, 4, v.commitment.toUpperCase())).toMatchObject({ ok: true });
    const other = await commitmentOf(fromHex('11'.repeat(32)));
    expect(await checkDraw(published, mine, 4, other)).toMatchObject({ ok: false, commitmentMatches: false, noted: true });
    expect(await checkDraw(published, mine, 4, null)).toMatchObject({ ok: true, noted: false });
  });
});
