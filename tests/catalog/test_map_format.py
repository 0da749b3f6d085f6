"""The seat map's compact form: the layout's bytes are what the web app decodes, the status overlay follows the
layout's seat order. The golden files in frontend/test/golden/ are decoded by the web app's tests
(layoutGolden.test.ts): the two sides agree on the format through them. `UPDATE_GOLDEN=1` rewrites them."""

from __future__ import annotations

import base64
import json
import os

import msgspec

from backend.catalog.layout import SectionInfo, VenueLayout
from backend.catalog.map_format import encode_layout, pack_status, status_document
from backend.settings import PROJECT_ROOT

GOLDEN = PROJECT_ROOT / "frontend" / "test" / "golden"


def small_layout() -> VenueLayout:
    """Two sections given in rank order (not layout order); rows "2" and "10" (natural order puts 2 first);
    ids far apart; negative and fractional coordinates; two accessible seats."""
    seats = [  # id, section, row, number, x, y, accessible
        ("907", 22, "10", 2, -12.5, 40.25, False),
        ("15", 11, "2", 3, 0.0, 0.0, True),
        ("16", 11, "2", 1, -20.0, 0.5, False),
        ("300001", 22, "10", 1, -22.75, 40.25, False),
        ("17", 11, "2", 2, -10.0, 0.25, False),
        ("18", 11, "A", 1, 5.5, -9.99, True),
        ("19", 11, "10", 1, 1.0, 20.0, False),
    ]
    ids = [s[0] for s in seats]
    return VenueLayout(
        venue_id=4, sections=[SectionInfo(11, "Stalls", 8500), SectionInfo(22, "Circle", 4500)], seat_ids=ids,
        index={seat_id: i for i, seat_id in enumerate(ids)}, section_ids=[s[1] for s in seats],
        rows=[s[2] for s in seats], numbers=[s[3] for s in seats], ranks=list(range(len(seats))),
        accessible=[s[6] for s in seats], xs=[s[4] for s in seats], ys=[s[5] for s in seats])


def _expected(layout: VenueLayout) -> dict:
    encoded = encode_layout(layout)
    order = sorted(range(len(layout.seat_ids)), key=encoded.position.__getitem__)
    return {"seats": [[layout.seat_ids[i], str(layout.section_ids[i]), layout.rows[i], layout.numbers[i],
                       layout.xs[i], layout.ys[i], layout.accessible[i]] for i in order]}


def _status(layout: VenueLayout) -> bytes:
    encoded = encode_layout(layout)
    packed = pack_status(encoded, layout.index, [("907", "held"), ("18", "sold"), ("nope", "sold")])
    return status_document(9, 41, "EUR", encoded.path(layout.venue_id), packed, len(layout.seat_ids))


def test_golden_files_are_what_the_encoder_writes() -> None:
    layout = small_layout()
    if os.environ.get("UPDATE_GOLDEN"):
        GOLDEN.mkdir(parents=True, exist_ok=True)
        (GOLDEN / "small.layout").write_bytes(encode_layout(layout).body)
        (GOLDEN / "small.status.json").write_bytes(_status(layout))
        (GOLDEN / "small.expected.json").write_text(json.dumps(_expected(layout), indent=1) + "\n")
    assert (GOLDEN / "small.layout").read_bytes() == encode_layout(layout).body
    assert (GOLDEN / "small.status.json").read_bytes() == _status(layout)
    assert json.loads((GOLDEN / "small.expected.json").read_text()) == _expected(layout)


def test_layout_order_is_section_row_number() -> None:
    expected = _expected(small_layout())["seats"]
    assert [(s[1], s[2], s[3]) for s in expected] == [
        ("11", "2", 1), ("11", "2", 2), ("11", "2", 3), ("11", "10", 1), ("11", "A", 1), ("22", "10", 1),
        ("22", "10", 2)]


def test_status_is_two_bits_per_seat_in_layout_order() -> None:
    layout = small_layout()
    document = msgspec.json.decode(_status(layout))
    assert document["version"] == 41 and document["seats"] == 7 and document["encoding"] == "2bit"
    packed = base64.b64decode(document["status"])
    codes = [(packed[k >> 2] >> ((k & 3) * 2)) & 3 for k in range(7)]
    # layout order: 16, 17, 15, 19, 18 (sold), 300001, 907 (held)
    assert codes == [0, 0, 0, 0, 2, 0, 1]


def test_hash_names_the_content() -> None:
    layout = small_layout()
    moved = small_layout()
    moved.xs[0] += 0.01
    assert encode_layout(layout).hash == encode_layout(small_layout()).hash
    assert encode_layout(moved).hash != encode_layout(layout).hash
