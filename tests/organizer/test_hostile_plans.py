"""Bad and hostile plans: each is answered 4xx in API.md's error shape, never a 5xx; a bad plan is 422
`invalid_seating_plan` whose `pointer` is the RFC 6901 pointer (in the request body) of the first offending value;
nothing is written."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from backend.organizer.plans import MAX_SEATS
from backend.organizer.routes import PLAN_MAX_BODY_BYTES
from db.tables import Venue
from tests.organizer.conftest import MakeOrganizer
from tests.organizer.plans import pretix_plan, pretix_seat, sample_plan, showtime_plan, venue_body

VENUES = "/api/v1/organizer/venues"
JSON = {"Content-Type": "application/json"}
SEAT = "/seating_plan/zones/0/rows/1/seats/2"


def seat(plan: dict, row: int = 1, index: int = 2) -> dict:
    return plan["zones"][0]["rows"][row]["seats"][index]


def changed(change: Callable[[dict], Any], plan: dict | None = None) -> dict:
    plan = copy.deepcopy(plan or pretix_plan())
    change(plan)
    return plan


def _duplicate_guid(plan: dict) -> None:
    seat(plan)["seat_guid"] = seat(plan, 0, 0)["seat_guid"]


def _set(path: str, value: Any) -> Callable[[dict], None]:
    def change(plan: dict) -> None:
        target: Any = plan
        *parents, last = [int(p) if p.isdigit() else p for p in path.split("/")]
        for part in parents:
            target = target[part]
        target[last] = value
    return change


def _twice_in_a_row(plan: dict) -> None:
    seat(plan)["seat_number"] = seat(plan, 1, 0)["seat_number"]


def _category_named_twice(plan: dict) -> None:
    plan["categories"].append({"name": "Front"})


def _own(change: Callable[[dict], Any]) -> dict:
    return changed(change, showtime_plan())


# (plan, pointer of the first bad value). Each is refused; the pointer says where.
BAD_PLANS = {
    "duplicate guid": (changed(_duplicate_guid), f"{SEAT}/seat_guid"),
    "unknown category": (changed(_set("zones/0/rows/1/seats/2/category", "Balcony")), f"{SEAT}/category"),
    "position not a number": (changed(_set("zones/0/rows/1/seats/2/position/x", "10")), f"{SEAT}/position/x"),
    "position a boolean": (changed(_set("zones/0/rows/1/seats/2/position/y", True)), f"{SEAT}/position/y"),
    "position null": (changed(_set("zones/0/rows/1/seats/2/position", None)), f"{SEAT}/position"),
    "huge number": (changed(_set("zones/0/rows/1/seats/2/position/x", 1e300)), f"{SEAT}/position/x"),
    "huge integer": (changed(_set("zones/0/rows/1/seats/2/position/x", 10**40)), f"{SEAT}/position/x"),
    # Zone 999,999 + row 0 + seat 0: in bounds; the next seat, 10 further: beyond.
    "sum out of bounds": (changed(_set("zones/0/position/x", 999_999.0)),
                          "/seating_plan/zones/0/rows/0/seats/1/position"),
    "seat number not a whole number": (changed(_set("zones/0/rows/1/seats/2/seat_number", "12a")),
                                       f"{SEAT}/seat_number"),
    "seat number too long": (changed(_set("zones/0/rows/1/seats/2/seat_number", "1" * 7)), f"{SEAT}/seat_number"),
    "row label too long": (changed(_set("zones/0/rows/1/row_number", "Row eleven")),
                           "/seating_plan/zones/0/rows/1/row_number"),
    "the same seat twice in a row": (changed(_twice_in_a_row), f"{SEAT}/seat_number"),
    "a category named twice": (changed(_category_named_twice), "/seating_plan/categories/2/name"),
    "unknown field": (changed(_set("zones/0/rows/1/seats/2/price", 10)), f"{SEAT}/price"),
    "unknown field with a slash": (changed(lambda p: p["zones"][0].update({"a/b~c": 1})),
                                   "/seating_plan/zones/0/a~1b~0c"),
    "missing field": (changed(lambda p: seat(p).pop("seat_guid")), SEAT),
    "missing zones": (changed(lambda p: p.pop("zones")), "/seating_plan"),
    "no seats": (changed(_set("zones", [])), "/seating_plan/zones"),
    "not an object": ([1, 2], "/seating_plan"),
    "unknown format": ({"format": "seatsio"}, "/seating_plan/format"),
    "own: unknown section": (_own(_set("seats/3/section", "Gallery")), "/seating_plan/seats/3/section"),
    "own: duplicate guid": (_own(lambda p: p["seats"][4].update(seat_guid=p["seats"][1]["seat_guid"])),
                            "/seating_plan/seats/4/seat_guid"),
    "own: negative rank": (_own(_set("seats/2/rank", -1)), "/seating_plan/seats/2/rank"),
    "own: fractional seat number": (_own(_set("seats/2/seat_number", 1.5)), "/seating_plan/seats/2/seat_number"),
    "own: section of an unknown category": (_own(_set("sections/1/category", "Gallery")),
                                            "/seating_plan/sections/1/category"),
    "own: wrong version": (_own(_set("version", 2)), "/seating_plan/version"),
}


@pytest.mark.parametrize("case", list(BAD_PLANS))
async def test_a_bad_plan_names_its_first_bad_value(make_organizer: MakeOrganizer, case: str) -> None:
    client = await make_organizer()
    plan, pointer = BAD_PLANS[case]
    body = venue_body(plan, name=f"Bad {case}")
    response = await client.post(VENUES, json=body)
    assert response.status_code == 422, response.text[:500]
    answer = response.json()
    assert answer["error"] == "invalid_seating_plan" and answer["pointer"] == pointer, answer
    assert isinstance(answer["detail"], str) and answer["detail"]
    assert not await Venue.exists().where(Venue.name == body["name"])


# Text the database cannot store is the edge's to refuse, for every route, plans included (422 invalid_characters);
# the answer names where it is, as a plan's other errors do.
UNSTORABLE_PLANS: dict[str, tuple[dict, str]] = {
    "NUL in a guid": (changed(_set("zones/0/rows/1/seats/2/seat_guid", "a\u0000b")), f"{SEAT}/seat_guid"),
    "NUL in a zone name": (changed(_set("zones/0/name", "\u0000")), "/seating_plan/zones/0/name"),
    "NUL in a key": (changed(_set("zones/0/rows/1/seats/2/\u0000", 1)), f"{SEAT}/\u0000"),
}


@pytest.mark.parametrize("case", list(UNSTORABLE_PLANS))
async def test_text_the_database_cannot_store_is_refused_where_it_is(make_organizer: MakeOrganizer,
                                                                     case: str) -> None:
    client = await make_organizer()
    plan, pointer = UNSTORABLE_PLANS[case]
    body = venue_body(plan, name=f"Bad {case}")
    response = await client.post(VENUES, json=body)
    answer = response.json()
    assert (response.status_code, answer["error"], answer["pointer"]) == (422, "invalid_characters", pointer), answer
    assert not await Venue.exists().where(Venue.name == body["name"])


async def test_bad_venue_fields_name_their_pointer(make_organizer: MakeOrganizer) -> None:
    client = await make_organizer()
    for field, value, error in (("lat", 91, "invalid"), ("name", "", "invalid"), ("city", "x\u0000", "invalid_characters"),
                                ("lng", "east", "invalid")):
        response = await client.post(VENUES, json={**venue_body(pretix_plan()), field: value})
        assert response.status_code == 422, response.text
        assert response.json()["error"] == error and response.json()["pointer"] == f"/{field}"
    missing = {k: v for k, v in venue_body(pretix_plan()).items() if k != "seating_plan"}
    response = await client.post(VENUES, json=missing)
    assert response.status_code == 422 and response.json()["pointer"] == ""


def _many_seats(count: int) -> bytes:
    """A plan of `count` seats written compactly, as bytes (built without a million dicts)."""
    row = ",".join(f'{{"seat_guid":"{i}","seat_number":"{i % 100000}","position":{{"x":0,"y":0}},"category":"c"}}'
                   for i in range(count))
    return (b'{"name":"Many","city":"X","lat":0,"lng":0,"seating_plan":{"name":"many","categories":[{"name":"c"}],'
            b'"zones":[{"position":{"x":0,"y":0},"rows":[{"row_number":"1","seats":[' + row.encode() + b"]}]}]}}")


async def test_too_many_seats_is_refused_at_the_first_seat_too_many(make_organizer: MakeOrganizer) -> None:
    client = await make_organizer()
    body = _many_seats(MAX_SEATS + 1)
    assert len(body) < PLAN_MAX_BODY_BYTES
    response = await client.post(VENUES, content=body, headers=JSON)
    assert response.status_code == 422, response.text[:300]
    assert response.json()["pointer"] == f"/seating_plan/zones/0/rows/0/seats/{MAX_SEATS}"


async def test_a_million_seats_is_too_large_a_body(make_organizer: MakeOrganizer, anon: httpx.AsyncClient) -> None:
    client = await make_organizer()
    body = _many_seats(1_000_000)
    assert len(body) > PLAN_MAX_BODY_BYTES
    for caller in (client, anon):
        response = await caller.post(VENUES, content=body, headers=JSON)
        assert response.status_code == 413 and response.json()["error"] == "body_too_large", response.text[:300]

    async def chunks():  # no Content-Length: the edge counts what arrives
        for start in range(0, len(body), 1 << 20):
            yield body[start:start + (1 << 20)]

    response = await client.post(VENUES, content=chunks(), headers=JSON)
    assert response.status_code == 413 and response.json()["error"] == "body_too_large"


async def test_deep_nesting_and_broken_json_are_refused_at_the_edge(make_organizer: MakeOrganizer) -> None:
    client = await make_organizer()
    deep = json.dumps(venue_body(pretix_plan())).encode().replace(b'"size"', b'"x":' + b"[" * 100 + b"]" * 100
                                                                   + b',"size"')
    for raw, status, code in ((deep, 400, "json_too_deep"), (b"[" * 100_000, 400, "json_too_deep"),
                              (b'{"name": "\xff"}', 400, "invalid_encoding"), (b"{not json", 400, "malformed_json")):
        response = await client.post(VENUES, content=raw, headers=JSON)
        assert response.status_code == status and response.json()["error"] == code, response.text[:300]


async def test_card_data_in_a_plan_is_refused(make_organizer: MakeOrganizer) -> None:
    client = await make_organizer()
    for plan in (pretix_plan(), sample_plan()):
        seat(plan)["seat_guid"] = "4111 1111 1111 1111"
        response = await client.post(VENUES, json=venue_body(plan))
        assert response.status_code == 422 and response.json()["error"] == "card_data_forbidden"
        assert "4111" not in response.text


async def test_a_guid_may_hold_any_other_text(make_organizer: MakeOrganizer) -> None:
    """Unicode, quotes, slashes, emoji: kept as written, exported as written."""
    client = await make_organizer()
    plan = pretix_plan(rows=1, seats_per_row=1)
    plan["zones"][0]["rows"][0]["seats"] = [pretix_seat('Sitz "1"/ä~😀', 1, 0, 0, "Front")]
    answer = (await client.post(VENUES, json=venue_body(plan))).json()
    exported = (await client.get(f"{VENUES}/{answer['venue_id']}/seating-plan", params={"format": "pretix"})).json()
    assert exported["zones"][0]["rows"][0]["seats"][0]["seat_guid"] == 'Sitz "1"/ä~😀'


async def test_export_refuses_an_unknown_format(make_organizer: MakeOrganizer) -> None:
    client = await make_organizer()
    answer = (await client.post(VENUES, json=venue_body(pretix_plan()))).json()
    response = await client.get(f"{VENUES}/{answer['venue_id']}/seating-plan", params={"format": "seatsio"})
    assert response.status_code == 400 and isinstance(response.json()["detail"], str)


def _luhn_passing_float() -> float:
    """A coordinate whose 17 printed digits pass the Luhn check, as one float in ten's do."""
    from backend.edge.card_data import looks_like_card_number

    value = 1.0
    while not looks_like_card_number(repr(value).encode()):
        value += 0.1
    return value


async def test_digit_runs_that_only_look_like_card_numbers_are_fine_in_a_plan(make_organizer: MakeOrganizer) -> None:
    """A plan's floats and ids hold digit runs passing the Luhn check by chance; the byte-level net would refuse
    the file, so a plan is screened value by value: only a value that is a card number is one."""
    from backend.edge.card_data import looks_like_card_number

    client = await make_organizer()
    for plan in (pretix_plan(), sample_plan()):  # a small body, and one over 64 KB (screened in a worker thread)
        seat(plan)["position"]["x"] = _luhn_passing_float()
        seat(plan, 0, 0)["seat_guid"] = "4111-1111-1111-1111-a1b2"  # an id with a card-like stretch in it
        body = json.dumps(venue_body(plan)).encode()
        assert looks_like_card_number(body)  # what the byte-level net alone would have refused
        response = await client.post(VENUES, content=body, headers=JSON)
        assert response.status_code == 201, response.text
