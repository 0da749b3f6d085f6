"""Card data through the real edge (a server, its middleware, real routes): every Stripe test card of every network,
in every grouping, in every field of the routes' bodies and in every JSON position, is 422 `card_data_forbidden`;
the corpus of what fans type (tests/support/corpus.py) never is, and the address that used to be refused signs up."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import msgspec

from tests.conftest import STRONG_PASSWORD
from tests.edge.test_card_screen import CORPUS_FANS, escaped
from tests.support import cards, corpus

JSON = {"Content-Type": "application/json"}
# Every route that takes a body, with a well-formed body: the number goes into each of its string fields in turn.
ROUTES: list[tuple[str, str, dict]] = [
    ("POST", "/api/v1/auth/register", {"email": "a@example.com", "password": STRONG_PASSWORD, "name": "A"}),
    ("POST", "/api/v1/auth/login", {"email": "a@example.com", "password": STRONG_PASSWORD}),
    ("POST", "/api/v1/shows/1/holds", {"seat_ids": ["1", "2"]}),
    ("POST", "/api/v1/shows/1/checkout", {"hold_id": "h"}),
    ("POST", "/api/v1/1/checkout", {"hold_id": "h"}),
    ("POST", "/api/v1/tickets/verify", {"code": "c", "show_id": "1", "gate": "North"}),
    ("PUT", "/api/v1/tickets/1/device", {"alg": "Ed25519", "public_key": "A" * 43}),
    ("POST", "/api/v1/gate/scans", {"show_id": "1", "gate": "North",
                                    "scans": [{"scan_id": "scan-0001", "code": "c", "scanned_at": "2026-01-01"}]}),
    ("POST", "/api/v1/auth/verify-email", {"token": "t"}),
    ("POST", "/api/v1/orders/1/settle", {}),
]


def _fields(body: object, path: tuple = ()) -> Iterator[tuple]:
    """Where the strings of a body are: each a path of keys and indexes."""
    if isinstance(body, dict):
        for key, value in body.items():
            yield from _fields(value, (*path, key))
    elif isinstance(body, list):
        for index, value in enumerate(body):
            yield from _fields(value, (*path, index))
    elif isinstance(body, str):
        yield path


def _replaced(body: object, path: tuple, value: object) -> object:
    if not path:
        return value
    copy = msgspec.json.decode(msgspec.json.encode(body))
    target = copy
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    return copy


FIELDS = [(method, path, body, field) for method, path, body in ROUTES for field in [*_fields(body), ("extra",)]]


def _bodies(number: str) -> Iterator[tuple[str, str, bytes, str, str]]:
    """(method, path, body, written, where): the number in every string field of every route (each field gets the
    next grouping in turn), and each grouping in every other JSON position."""
    written_as = list(cards.groupings(number))
    for index, (method, path, body, field) in enumerate(FIELDS):
        written = written_as[index % len(written_as)]
        yield (method, path, msgspec.json.encode(_replaced(body, field, written)), written,
               f"field {'.'.join(map(str, field))}")
    method, path, body = ROUTES[0]
    for written in written_as:
        positions = {
            "sentence": {**body, "name": f"my card is {written}, exp 12/31"},
            "nested": {**body, "billing": {"details": [{"remark": written}]}},
            "array": {**body, "notes": ["first", written]},
            "key": {**body, written: True},
        }
        for where, value in positions.items():
            yield method, path, msgspec.json.encode(value), written, where
        yield method, path, msgspec.json.encode([written]), written, "top-level array"
        yield method, path, msgspec.json.encode(written), written, "top-level string"
        yield method, path, b'{"name": "' + escaped(written).encode() + b'"}', written, "escaped"
    yield method, path, b'{"name": "A", "pan_free": ' + number.encode() + b"}", number, "number"
    yield method, path, b'{"amounts": [1, ' + number.encode() + b"]}", number, "number in array"


async def test_every_stripe_card_in_every_field_grouping_and_position_is_refused(fan: httpx.AsyncClient) -> None:
    sent = 0
    for number in cards.ALL:
        for method, path, body, written, where in _bodies(number):
            response = await fan.request(method, path, content=body, headers=JSON)
            sent += 1
            assert response.status_code == 422, (number, written, path, where, response.text[:200])
            assert response.json()["error"] == "card_data_forbidden", (written, path, where)
            assert number not in response.text and written not in response.text
    assert sent > 2_000


async def test_what_fans_type_is_never_refused_as_card_data(anon: httpx.AsyncClient) -> None:
    """10,400 values, 25 profiles to a body (the screen reads every field at any depth). A body that is refused is
    sent again one value at a time, so the failure names the values. The password is too short, so the handler
    answers 422 weak_password without hashing anything."""
    fans = corpus.fans(CORPUS_FANS)
    assert len(fans) * 4 >= 10_000
    refused: list[str] = []
    for start in range(0, len(fans), 25):
        batch = fans[start:start + 25]
        profiles = [{"email": f.email, "name": f.name, "phone": f.phone, "address": f.address} for f in batch]
        response = await anon.post("/api/v1/auth/register", json={**profiles[0], "password": "x",
                                                                   "household": profiles[1:]})
        assert response.status_code < 500, response.text
        if response.json().get("error") == "card_data_forbidden":
            for profile in profiles:
                for value in profile.values():
                    single = await anon.post("/api/v1/auth/register", json={"email": value, "password": "x",
                                                                            "name": "A"})
                    if single.json().get("error") == "card_data_forbidden":
                        refused.append(value)
    assert not refused, f"{len(refused)} false alarms: {refused[:20]}"


async def test_the_reported_address_signs_up(anon: httpx.AsyncClient) -> None:
    fan = corpus.REPORTED
    response = await anon.post("/api/v1/auth/register",
                               json={"email": fan.email, "password": STRONG_PASSWORD, "name": fan.name})
    assert response.status_code == 201, response.text
    assert response.json()["email"] == fan.email
