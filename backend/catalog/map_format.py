"""The seat map's compact form: an immutable, content-addressed venue layout and a small per-show status overlay.

A venue's seating does not change during a sale, only the seats' status does. So the layout (ids, sections, rows,
numbers, coordinates, accessibility, prices by section) is encoded once per process, binary and columnar, and
served at a URL that carries its hash with a year-long immutable cache; the status is 2 bits per seat in the
layout's seat order, a few KB, with its own ETag per map version.

Layout bytes (all integers little-endian):

    "STL1"                  magic, 4 bytes
    header_length           uint32
    header                  UTF-8 JSON, header_length bytes, then spaces up to a multiple of 4
    id                      int32 x seats   seat ids (integers) as deltas from the previous seat (the first from 0)
    number                  int32 x seats   seat numbers, deltas the same way
    x, y                    int32 x seats   each: hundredths of a map unit, second-order deltas (delta of deltas)
    accessible              ceil(seats / 8) bytes, bit i % 8 of byte i // 8 set for an accessible seat

    header = {"venue_id": "3", "seats": 52800, "columns": ["id", "number", "x", "y", "accessible"],
              "sections": [{"id": "12", "name": "Block 1", "price_cents": 9500}, ...],
              "rows": [[section_index, "A", seat_count], ...]}

Seats come section by section (in the venue's section order), row by row, in seat-number order, so each row is
one run of consecutive seats and neighbours differ little: the stadium's 52,800 seats gzip to ~90 KB.
"""

from __future__ import annotations

import array
import base64
import functools
import hashlib
import re
import sys
import zlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

import msgspec

MAGIC = b"STL1"
COLUMNS = ("id", "number", "x", "y", "accessible")
COORDINATE_SCALE = 100
STATUS_CODES = {"available": 0, "held": 1, "sold": 2}
# Encoded once per venue and per map version, served many times: the best compression is worth its time.
GZIP_LEVEL = 9


class Section(Protocol):
    @property
    def id(self) -> int: ...
    @property
    def name(self) -> str: ...
    @property
    def price_cents(self) -> int: ...


class Seating(Protocol):
    """What the encoder reads of a venue's layout (catalog.layout.VenueLayout has it), seat i in each list."""

    @property
    def venue_id(self) -> int: ...
    @property
    def sections(self) -> Sequence[Section]: ...
    @property
    def seat_ids(self) -> Sequence[str]: ...
    @property
    def section_ids(self) -> Sequence[int]: ...
    @property
    def rows(self) -> Sequence[str]: ...
    @property
    def numbers(self) -> Sequence[int]: ...
    @property
    def accessible(self) -> Sequence[bool]: ...
    @property
    def xs(self) -> Sequence[float]: ...
    @property
    def ys(self) -> Sequence[float]: ...


@dataclass(frozen=True)
class EncodedLayout:
    hash: str
    body: bytes
    gzipped: bytes
    # position[i] is where the layout puts VenueLayout seat i: the status overlay's order.
    position: list[int]

    def path(self, venue_id: int) -> str:
        return f"/api/v1/venues/{venue_id}/layouts/{self.hash}"


def gzip(body: bytes, level: int = GZIP_LEVEL) -> bytes:
    compressor = zlib.compressobj(level, zlib.DEFLATED, 31)
    return compressor.compress(body) + compressor.flush()


@functools.lru_cache(maxsize=4096)
def _natural(label: str) -> tuple:
    """Row labels in the order people read them ("2" before "10"), as the web app's collator orders them."""
    return tuple((0, int(part), "") if part.isascii() and part.isdigit() else (1, 0, part.casefold())
                 for part in re.findall(r"\d+|\D+", label))


def _int32(values: Iterable[int]) -> bytes:
    column = array.array("i", values)
    if sys.byteorder == "big":
        column.byteswap()
    return column.tobytes()


def _deltas(values: list[int]) -> list[int]:
    return [value - previous for previous, value in zip([0, *values], values, strict=False)]


def encode_layout(layout: Seating) -> EncodedLayout:
    section_order = {section.id: k for k, section in enumerate(layout.sections)}
    n = len(layout.seat_ids)
    order = sorted(range(n), key=lambda i: (section_order.get(layout.section_ids[i], len(section_order)),
                                            _natural(layout.rows[i]), layout.numbers[i], layout.xs[i]))
    rows: list[list] = []
    for i in order:
        section = section_order[layout.section_ids[i]]
        if rows and rows[-1][0] == section and rows[-1][1] == layout.rows[i]:
            rows[-1][2] += 1
        else:
            rows.append([section, layout.rows[i], 1])
    header = msgspec.json.encode({
        "venue_id": str(layout.venue_id),
        "seats": n,
        "columns": list(COLUMNS),
        "sections": [{"id": str(s.id), "name": s.name, "price_cents": s.price_cents} for s in layout.sections],
        "rows": rows,
    })
    padding = b" " * (-(8 + len(header)) % 4)
    accessible = bytearray((n + 7) // 8)
    for k, i in enumerate(order):
        if layout.accessible[i]:
            accessible[k >> 3] |= 1 << (k & 7)
    body = b"".join((
        MAGIC, len(header).to_bytes(4, "little"), header, padding,
        _int32(_deltas([int(layout.seat_ids[i]) for i in order])),
        _int32(_deltas([layout.numbers[i] for i in order])),
        _int32(_deltas(_deltas([round(layout.xs[i] * COORDINATE_SCALE) for i in order]))),
        _int32(_deltas(_deltas([round(layout.ys[i] * COORDINATE_SCALE) for i in order]))),
        bytes(accessible),
    ))
    position = [0] * n
    for k, i in enumerate(order):
        position[i] = k
    return EncodedLayout(hash=hashlib.sha256(body).hexdigest()[:32], body=body, gzipped=gzip(body),
                         position=position)


def pack_status(encoded: EncodedLayout, index: dict[str, int], taken: Iterable[tuple[str, str]]) -> bytes:
    """2 bits per seat in the layout's order (0 available, 1 held, 2 sold), four seats a byte, low bits first.
    `taken` lists (seat id, "held" | "sold"); seats not listed are available, unknown ids are skipped."""
    packed = bytearray((len(encoded.position) + 3) // 4)
    for seat_id, status in taken:
        i = index.get(seat_id)
        if i is not None:
            k = encoded.position[i]
            packed[k >> 2] |= STATUS_CODES[status] << ((k & 3) * 2)
    return bytes(packed)


def status_document(show_id: int, version: int, currency: str, layout_path: str, packed: bytes,
                    seats: int, prices: Mapping[int, int] | None = None) -> bytes:
    """`prices` (an extension): section id -> price, for a show priced per category by its organizer; the layout's
    own prices (the venue's) are then not this show's."""
    document = {
        "show_id": str(show_id), "version": version, "currency": currency, "layout": layout_path,
        "seats": seats, "encoding": "2bit", "status": base64.b64encode(packed).decode(),
    }
    if prices is not None:
        document["prices"] = {str(section): price for section, price in prices.items()}
    return msgspec.json.encode(document)
