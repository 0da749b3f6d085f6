/**
 * The Ed25519 keys an attacker would have certified, and "signatures" they accept without any private key
 * (tests/tickets/small_order.py is the same on the server's side, where the eight points are found by arithmetic).
 */
import { add, decodePoint, IDENTITY, P, type Point } from '../src/gate/deviceKeys';

export const L = 2n ** 252n + 27742317777372353535851937790883648493n;

// The eight points of small order (identity, order 2, two of order 4, four of order 8), canonically encoded.
export const SMALL_ORDER_HEX = [
  '0100000000000000000000000000000000000000000000000000000000000000',
  'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  '0000000000000000000000000000000000000000000000000000000000000000',
  '0000000000000000000000000000000000000000000000000000000000000080',
  '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05',
  '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85',
  'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a',
  'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa',
];

export function fromHex(hex: string): Uint8Array<ArrayBuffer> {
  return new Uint8Array(hex.match(/../g)!.map((h) => parseInt(h, 16)));
}

function littleEndian(n: bigint): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(32);
  for (let i = 0; i < 32; i++) out[i] = Number((n >> BigInt(8 * i)) & 0xffn);
  return out;
}

export function encode([x, y]: Point): Uint8Array<ArrayBuffer> {
  return littleEndian(y | ((x & 1n) << 255n));
}

export function multiply(k: bigint, point: Point): Point {
  let result: Point = IDENTITY;
  let p = point;
  for (let n = k; n > 0n; n >>= 1n) {
    if (n & 1n) result = add(result, p);
    p = add(p, p);
  }
  return result;
}

const BASE = decodePoint(fromHex('5866666666666666666666666666666666666666666666666666666666666666'))!;

/** Non-canonical encodings some decoders accept: y of p or more, and an x of zero marked negative. */
export function nonCanonical(): Uint8Array<ArrayBuffer>[] {
  const out = [];
  for (let y = P; y < 2n ** 255n; y++) for (const sign of [0n, 1n]) out.push(littleEndian(y | (sign << 255n)));
  out.push(littleEndian(1n | (1n << 255n)), littleEndian((P - 1n) | (1n << 255n)));
  return out;
}

/** (R, s) with [s]B = R + [k]A for the small-order key A, over this message: R = [s]B - T for a T of A's subgroup
 * such that the challenge k = SHA-512(R, A, message) gives [k]A = T. */
export async function universalSignature(key: Point, message: Uint8Array): Promise<Uint8Array<ArrayBuffer>> {
  const multiples = Array.from({ length: 8 }, (_, n) => multiply(BigInt(n), key));
  const keyBytes = encode(key);
  for (let s = 1n; s < 200n; s++) {
    const sb = multiply(s, BASE);
    for (const t of multiples) {
      const r = add(sb, [t[0] === 0n ? 0n : P - t[0], t[1]]);
      const rBytes = encode(r);
      const hash = new Uint8Array(await crypto.subtle.digest('SHA-512', new Uint8Array([...rBytes, ...keyBytes, ...message])));
      let k = 0n;
      for (let i = 63; i >= 0; i--) k = (k << 8n) | BigInt(hash[i]!);
      const hit = multiples[Number((k % L) % 8n)]!;
      if (hit[0] === t[0] && hit[1] === t[1]) return new Uint8Array([...rBytes, ...littleEndian(s)]);
    }
  }
  throw new Error('no signature found');
}
