"""The Ed25519 keys an attacker would certify: the eight points of small order, found by arithmetic (not copied from
a list), their non-canonical encodings, and for each a "signature" that verifiers accept over a chosen message
without any private key."""

from __future__ import annotations

import hashlib
import random

from backend.tickets.device_keys import IDENTITY, P, Point, add, decode_point

# The order of the base point's group (RFC 8032).
L = 2**252 + 27742317777372353535851937790883648493
BASE = decode_point(bytes.fromhex("5866666666666666666666666666666666666666666666666666666666666666"))
assert BASE is not None


def multiply(k: int, point: Point) -> Point:
    result = IDENTITY
    while k:
        if k & 1:
            result = add(result, point)
        point = add(point, point)
        k >>= 1
    return result


def encode(point: Point) -> bytes:
    x, y = point
    return (y | (x & 1) << 255).to_bytes(32, "little")


def small_order_points() -> list[Point]:
    """[L]P lies in the subgroup of order 8 for every point P, and L is odd, so it ranges over all eight."""
    rng = random.Random(8)
    found: set[Point] = set()
    while len(found) < 8:
        point = decode_point(rng.randbytes(32))
        if point is not None:
            found.add(multiply(L, point))
    return sorted(found)


def non_canonical_encodings() -> list[bytes]:
    """Every encoding RFC 8032 refuses that some decoders accept: y of p or more (19 values, either sign), and an x
    of zero marked negative."""
    encodings = [(y | sign << 255).to_bytes(32, "little") for y in range(P, 2**255) for sign in (0, 1)]
    encodings += [(1 | 1 << 255).to_bytes(32, "little"), (P - 1 | 1 << 255).to_bytes(32, "little")]
    return encodings


def universal_signature(key: Point, message: bytes) -> bytes:
    """(R, s) with [s]B = R + [k]A for this small-order key A: R = [s]B - T for a T of A's subgroup such that the
    challenge k = H(R, A, message) gives [k]A = T. One try in eight or better succeeds; no private key involved."""
    multiples = [multiply(n, key) for n in range(8)]
    for s in range(1, 200):
        sb = multiply(s, BASE)
        for t in dict.fromkeys(multiples):
            r = add(sb, (P - t[0] if t[0] else 0, t[1]))  # [s]B - T
            k = int.from_bytes(hashlib.sha512(encode(r) + encode(key) + message).digest(), "little") % L
            if multiples[k % 8] == t:
                return encode(r) + s.to_bytes(32, "little")
    raise AssertionError("no signature found")
