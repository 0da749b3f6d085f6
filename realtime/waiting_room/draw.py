"""The waiting room's provably fair draw: a committed seed, a frozen entry list, and an order anyone can recompute.

Algorithm "showtime-draw-v1" (frontend/src/queue/draw.ts is the same, byte for byte; docs/architecture.md explains
the commitment scheme and its limits):

- seed: 32 random bytes, made when the line is formed; `commitment = sha256(seed)` (hex) is published before the
  sale opens, the seed itself only after the draw.
- entries: the early arrivals' queue ids (opaque, random, already shown to each fan), sorted by their bytes
  (they are ASCII), each encoded as UTF-8 and followed by one "\\n"; `entries_hash = sha256(that text)` (hex).
- a stream of 32-bit numbers: HMAC-SHA256(key=seed, message=the 32 bytes of sha256(entries) followed by counter
  as 8-byte big-endian) for counter = 0, 1, ..., each 32-byte block read as 8 big-endian unsigned 32-bit words, in
  order. The entries' hash in the message makes the whole order depend on the whole list: whoever issues the ids
  cannot place a favourite by giving it an id that sorts to a known lucky index.
- the order: Fisher-Yates over the sorted list, i = n-1 down to 1: take words x from the stream until
  x < 2^32 - (2^32 mod (i+1)) (rejection: every j equally likely, no modulo bias), j = x mod (i+1), swap items i
  and j. The entry at index k of the result gets number k+1.
"""

from __future__ import annotations

import hashlib
import hmac
import struct
from collections.abc import Iterator, Sequence

ALGORITHM = "showtime-draw-v1"
SEED_BYTES = 32
_WORDS = struct.Struct(">8I")
_COUNTER = struct.Struct(">Q")
_SPAN = 1 << 32


def commitment(seed: bytes) -> str:
    return hashlib.sha256(seed).hexdigest()


def canonical_entries(entries: Sequence[str]) -> list[str]:
    """The frozen list: sorted by bytes (Python's str order equals it for the ASCII queue ids), duplicates refused."""
    ordered = sorted(entries, key=str.encode)
    if len(set(ordered)) != len(ordered):
        raise ValueError("a draw's entries must be distinct")
    return ordered


def entries_hash(sorted_entries: Sequence[str]) -> str:
    digest = hashlib.sha256()
    for entry in sorted_entries:
        digest.update(entry.encode() + b"\n")
    return digest.hexdigest()


def _words(seed: bytes, entries_digest: bytes) -> Iterator[int]:
    counter = 0
    while True:
        yield from _WORDS.unpack(hmac.digest(seed, entries_digest + _COUNTER.pack(counter), "sha256"))
        counter += 1


def order(seed: bytes, sorted_entries: Sequence[str]) -> list[str]:
    """The drawn order of an already sorted entry list: the first gets number 1."""
    drawn = list(sorted_entries)
    words = _words(seed, bytes.fromhex(entries_hash(sorted_entries)))
    for i in range(len(drawn) - 1, 0, -1):
        j = below(words, i + 1)
        drawn[i], drawn[j] = drawn[j], drawn[i]
    return drawn


def below(words: Iterator[int], bound: int) -> int:
    """A uniform number in [0, bound) from 32-bit words: those past the last whole multiple of bound are skipped."""
    limit = _SPAN - _SPAN % bound
    x = next(words)
    while x >= limit:
        x = next(words)
    return x % bound
