/**
 * The waiting room's draw, recomputed in the browser from the published data (GET .../queue/draw):
 * algorithm "showtime-draw-v1", the same as realtime/draw.py, checked against the same test vectors
 * (tests/realtime/waiting_room/draw_vectors.json). WebCrypto does the SHA-256 and HMAC-SHA256.
 *
 * - commitment = sha256(seed), hex.
 * - entries: queue ids sorted by their UTF-8 bytes, each followed by "\n"; entries_hash = sha256 of that text.
 * - words: HMAC-SHA256(key = seed, message = the 32 bytes of entries_hash, then counter as 8-byte big-endian),
 *   counter = 0, 1, ..., each block read as 8 big-endian unsigned 32-bit words.
 * - Fisher-Yates, i = n-1 down to 1: skip words x >= 2^32 - (2^32 mod (i+1)), j = x mod (i+1), swap i and j.
 *   Index k of the result has number k + 1.
 */

export const DRAW_ALGORITHM = 'showtime-draw-v1';
const SPAN = 2 ** 32;
const BLOCKS_PER_BATCH = 64; // HMACs asked of WebCrypto at once: one await per batch, not per word
const encoder = new TextEncoder();

export function toHex(bytes: ArrayBuffer | Uint8Array): string {
  return Array.from(new Uint8Array(bytes), (b) => b.toString(16).padStart(2, '0')).join('');
}

export function fromHex(text: string): Uint8Array<ArrayBuffer> {
  if (!/^(?:[0-9a-fA-F]{2})*$/.test(text)) throw new Error('not a hex string');
  const bytes = new Uint8Array(text.length / 2);
  for (let k = 0; k < bytes.length; k++) bytes[k] = parseInt(text.slice(2 * k, 2 * k + 2), 16);
  return bytes;
}

async function sha256Hex(bytes: Uint8Array<ArrayBuffer>): Promise<string> {
  return toHex(await crypto.subtle.digest('SHA-256', bytes));
}

export function commitmentOf(seed: Uint8Array<ArrayBuffer>): Promise<string> {
  return sha256Hex(seed);
}

/** UTF-8 byte order is code point order (JavaScript's `<` compares UTF-16 units, which differs past U+FFFF). */
function compareCodePoints(a: string, b: string): number {
  const x = Array.from(a, (c) => c.codePointAt(0)!);
  const y = Array.from(b, (c) => c.codePointAt(0)!);
  for (let k = 0; k < Math.min(x.length, y.length); k++) if (x[k] !== y[k]) return x[k]! - y[k]!;
  return x.length - y.length;
}

export function canonicalEntries(entries: readonly string[]): string[] {
  const sorted = [...entries].sort(compareCodePoints);
  for (let k = 1; k < sorted.length; k++) {
    if (sorted[k] === sorted[k - 1]) throw new Error("a draw's entries must be distinct");
  }
  return sorted;
}

export function entriesHash(sortedEntries: readonly string[]): Promise<string> {
  return sha256Hex(encoder.encode(sortedEntries.map((e) => `${e}\n`).join('')));
}

/** A uniform number in [0, bound) from 32-bit words: those past the last whole multiple of bound are skipped. */
export async function below(next: () => number | Promise<number>, bound: number): Promise<number> {
  const limit = SPAN - (SPAN % bound);
  let x = await next();
  while (x >= limit) x = await next();
  return x % bound;
}

/** The stream of 32-bit words, HMAC blocks fetched from WebCrypto a batch at a time. */
class Words {
  private words = new Uint32Array(0);
  private at = 0;
  private counter = 0;
  constructor(
    private readonly key: CryptoKey,
    private readonly entriesDigest: Uint8Array,
  ) {}

  static async of(seed: Uint8Array<ArrayBuffer>, entriesDigest: Uint8Array): Promise<Words> {
    const key = await crypto.subtle.importKey('raw', seed, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
    return new Words(key, entriesDigest);
  }

  /** The next word, synchronously when the batch has one left (most calls), else after fetching a batch. */
  next(): number | Promise<number> {
    if (this.at < this.words.length) return this.words[this.at++]!;
    return this.refill().then(() => this.words[this.at++]!);
  }

  private async refill(): Promise<void> {
    const blocks = await Promise.all(
      Array.from({ length: BLOCKS_PER_BATCH }, (_, k) => {
        const message = new Uint8Array(this.entriesDigest.length + 8);
        message.set(this.entriesDigest);
        const counter = new DataView(message.buffer, this.entriesDigest.length);
        counter.setUint32(0, Math.floor((this.counter + k) / SPAN));
        counter.setUint32(4, (this.counter + k) % SPAN);
        return crypto.subtle.sign('HMAC', this.key, message);
      }),
    );
    this.counter += BLOCKS_PER_BATCH;
    this.words = new Uint32Array(blocks.length * 8);
    blocks.forEach((block, b) => {
      const view = new DataView(block);
      for (let w = 0; w < 8; w++) this.words[b * 8 + w] = view.getUint32(w * 4);
    });
    this.at = 0;
  }
}

export async function drawOrder(seed: Uint8Array<ArrayBuffer>, sortedEntries: readonly string[]): Promise<string[]> {
  const drawn = [...sortedEntries];
  const words = await Words.of(seed, fromHex(await entriesHash(sortedEntries)));
  for (let i = drawn.length - 1; i > 0; i--) {
    const j = await below(() => words.next(), i + 1);
    [drawn[i], drawn[j]] = [drawn[j]!, drawn[i]!];
  }
  return drawn;
}

/** What GET /api/v1/shows/{id}/queue/draw publishes once the draw is done. */
export interface PublishedDraw {
  algorithm: string;
  commitment: string | null;
  seed: string | null;
  entries_hash: string | null;
  entries_count: number | null;
  entries: string[] | null;
  /** Early arrivals left out of the draw (no verified e-mail address when it ran); absent from older servers. */
  placed_after_count?: number | null;
}

/**
 * Where a fan stands relative to the draw, from the published record and the number the waiting room gave them.
 * Only verified accounts are drawn (numbers 1..D, D = entries_count); the early arrivals without a verified e-mail
 * address follow in the order they joined (D+1..D+P, P = placed_after_count); who joined after the opening comes
 * after them, first come first served. A queue id missing from the entries with a drawn number (1..D) is
 * `missing`: that one is a real mismatch, for the full check to show.
 */
export type Placement =
  | { kind: 'drawn' }
  | { kind: 'placed_after'; number: number; drawnCount: number; placedAfterCount: number }
  | { kind: 'late' }
  | { kind: 'missing' };

export function placementOf(published: PublishedDraw, queueId: string, number: number): Placement {
  const entries = published.entries ?? [];
  if (entries.includes(queueId)) return { kind: 'drawn' };
  const drawnCount = published.entries_count ?? entries.length;
  const placedAfterCount = published.placed_after_count ?? 0;
  if (number > drawnCount + placedAfterCount) return { kind: 'late' };
  if (number > drawnCount) return { kind: 'placed_after', number, drawnCount, placedAfterCount };
  return { kind: 'missing' };
}

export interface DrawCheck {
  algorithmKnown: boolean;
  // sha256(seed) is the published commitment, and the one this browser saw before the sale opened when it saw one
  commitmentMatches: boolean;
  noted: boolean; // this browser had noted the commitment before the opening (and compared against it)
  entriesMatch: boolean; // sorted, distinct, counted and hashed as published
  drawnNumber: number | null; // the fan's number by the recomputed order, null when not among the entries
  numberMatches: boolean; // ... and it is the number the waiting room gave
  ok: boolean;
}

/**
 * Recompute the draw and the fan's number from the published data alone. `notedCommitment`: the commitment this
 * browser saw before the opening, if it saw one. A server that swapped the seed after the opening publishes the new
 * seed's own commitment with it, so only the commitment seen before the opening can catch the swap.
 */
export async function checkDraw(
  published: PublishedDraw,
  queueId: string,
  number: number | null,
  notedCommitment: string | null = null,
): Promise<DrawCheck> {
  const entries = published.entries ?? [];
  const seed = fromHex(published.seed ?? '');
  const algorithmKnown = published.algorithm === DRAW_ALGORITHM;
  const revealed = published.seed !== null ? await commitmentOf(seed) : null;
  const noted = notedCommitment !== null;
  const commitmentMatches =
    revealed !== null && revealed === published.commitment && (!noted || revealed === notedCommitment.toLowerCase());
  let sorted: string[] = [];
  try {
    sorted = canonicalEntries(entries);
  } catch {
    sorted = [];
  }
  const entriesMatch =
    sorted.length === entries.length &&
    sorted.every((e, k) => e === entries[k]) &&
    entries.length === published.entries_count &&
    (await entriesHash(entries)) === published.entries_hash;
  const position = algorithmKnown ? (await drawOrder(seed, entries)).indexOf(queueId) : -1;
  const drawnNumber = position >= 0 ? position + 1 : null;
  const numberMatches = drawnNumber !== null && drawnNumber === number;
  return {
    algorithmKnown,
    commitmentMatches,
    noted,
    entriesMatch,
    drawnNumber,
    numberMatches,
    ok: algorithmKnown && commitmentMatches && entriesMatch && numberMatches,
  };
}

const NOTED_KEY = (showId: string) => `showtime.draw-commitment.${showId}`;

/** Keep the first commitment this browser sees for a show before its draw (a later one never replaces it). */
export function noteCommitment(showId: string, commitment: string): void {
  try {
    if (localStorage.getItem(NOTED_KEY(showId)) === null) localStorage.setItem(NOTED_KEY(showId), commitment);
  } catch {
    // storage refused (private mode, quota): the check then compares with the published commitment alone
  }
}

/** The commitment this browser noted for a show before its draw, if any. */
export function notedCommitment(showId: string): string | null {
  try {
    return localStorage.getItem(NOTED_KEY(showId));
  } catch {
    return null;
  }
}
