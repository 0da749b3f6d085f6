"""Which Ed25519 public keys a fan's device may be certified with: the canonical encoding of a point outside the
curve's small subgroup.

A certificate vouches that signatures by its device key come from the fan's phone. Eight points of the curve have
small order (the identity, one point of order 2, two of order 4, four of order 8), and for a key A among them the
verification equation [s]B = R + [k]A holds for some (R, s) whatever the message: with the identity, the base point
as R and s = 1 verify everything, in OpenSSL as in Chromium's WebCrypto. Certified, such a key turns one screenshot
into valid codes for every time step. Non-canonical encodings (a y coordinate of p or more, or an x of zero marked
negative) name points that other encodings already name; RFC 8032 refuses them and some verifiers do not, so they
are refused here too. The arithmetic follows RFC 8032 section 5.1; keys are public, so nothing here needs constant
time. frontend/src/gate/deviceKeys.ts applies the same rule at offline gates.
"""

from __future__ import annotations

from functools import lru_cache

P = 2**255 - 19
D = -121665 * pow(121666, P - 2, P) % P
SQRT_MINUS_ONE = pow(2, (P - 1) // 4, P)
IDENTITY = (0, 1)
Point = tuple[int, int]


def decode_point(raw: bytes) -> Point | None:
    """The point a 32-byte key encodes, or None when it encodes none, or encodes one non-canonically."""
    if len(raw) != 32:
        return None
    number = int.from_bytes(raw, "little")
    sign, y = number >> 255, number & ((1 << 255) - 1)
    if y >= P:
        return None
    u, v = (y * y - 1) % P, (D * y * y + 1) % P
    x = u * pow(v, 3, P) * pow(u * pow(v, 7, P), (P - 5) // 8, P) % P
    if v * x * x % P == (-u) % P:
        x = x * SQRT_MINUS_ONE % P
    elif v * x * x % P != u:
        return None
    if x == 0 and sign:
        return None
    if x & 1 != sign:
        x = P - x
    return x, y


def add(a: Point, b: Point) -> Point:
    """The curve's complete addition law (twisted Edwards, a = -1): no special cases."""
    (x1, y1), (x2, y2) = a, b
    t = D * x1 * x2 * y1 * y2 % P
    return ((x1 * y2 + y1 * x2) * pow(1 + t, P - 2, P) % P, (y1 * y2 + x1 * x2) * pow(1 - t, P - 2, P) % P)


def has_small_order(point: Point) -> bool:
    """Whether [8]point is the identity: the point lies in the subgroup of order 8."""
    for _ in range(3):
        point = add(point, point)
    return point == IDENTITY


@lru_cache(maxsize=4096)
def check_ed25519_public_key(raw: bytes) -> None:
    """Raises ValueError unless `raw` is the canonical encoding of a point of large order."""
    point = decode_point(raw)
    if point is None:
        raise ValueError("not the canonical encoding of a point on the curve")
    if has_small_order(point):
        raise ValueError("a point of small order")
