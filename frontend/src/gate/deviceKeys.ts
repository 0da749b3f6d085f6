/**
 * Which Ed25519 device keys a gate trusts: the canonical encoding of a point outside the curve's small subgroup, the
 * rule the server applies when it certifies a key (backend/tickets/device_keys.py, where the reason is written).
 * With a small-order key (the identity above all) a "signature" verifies for any message, in WebCrypto as in OpenSSL,
 * so a certificate for one would let a screenshot pass at every time step. Arithmetic of RFC 8032 section 5.1.
 */

export const P = 2n ** 255n - 19n;

function mod(a: bigint): bigint {
  const r = a % P;
  return r < 0n ? r + P : r;
}

export function power(base: bigint, exponent: bigint): bigint {
  let result = 1n;
  let b = mod(base);
  let e = exponent;
  while (e > 0n) {
    if (e & 1n) result = (result * b) % P;
    b = (b * b) % P;
    e >>= 1n;
  }
  return result;
}

const inverse = (a: bigint): bigint => power(a, P - 2n);
export const D = mod(-121665n * inverse(121666n));
const SQRT_MINUS_ONE = power(2n, (P - 1n) / 4n);

export type Point = readonly [bigint, bigint];
export const IDENTITY: Point = [0n, 1n];

/** The point 32 bytes encode, or null when they encode none, or encode one non-canonically. */
export function decodePoint(raw: Uint8Array): Point | null {
  if (raw.length !== 32) return null;
  let number = 0n;
  for (let i = 31; i >= 0; i--) number = (number << 8n) | BigInt(raw[i]!);
  const sign = number >> 255n;
  const y = number & ((1n << 255n) - 1n);
  if (y >= P) return null;
  const u = mod(y * y - 1n);
  const v = mod(D * y * y + 1n);
  let x = mod(u * power(v, 3n) * power(u * power(v, 7n), (P - 5n) / 8n));
  const vxx = mod(v * x * x);
  if (vxx === mod(-u)) x = mod(x * SQRT_MINUS_ONE);
  else if (vxx !== u) return null;
  if (x === 0n && sign === 1n) return null;
  if ((x & 1n) !== sign) x = P - x;
  return [x, y];
}

/** The complete addition law of the twisted Edwards curve (a = -1). */
export function add([x1, y1]: Point, [x2, y2]: Point): Point {
  const t = mod(D * x1 * x2 * y1 * y2);
  return [mod((x1 * y2 + y1 * x2) * inverse(1n + t)), mod((y1 * y2 + x1 * x2) * inverse(1n - t))];
}

/** Whether [8]point is the identity. */
export function hasSmallOrder(point: Point): boolean {
  let q = point;
  for (let i = 0; i < 3; i++) q = add(q, q);
  return q[0] === 0n && q[1] === 1n;
}

/** Whether a gate may trust signatures by this raw Ed25519 public key. */
export function soundEd25519Key(raw: Uint8Array): boolean {
  const point = decodePoint(raw);
  return point !== null && !hasSmallOrder(point);
}
