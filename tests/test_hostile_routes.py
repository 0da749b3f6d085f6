"""Every route of the served OpenAPI document, walked with hostile values: unicode digits, ids past 64 bits,
extreme dates (also inside cursors), deep nesting, invalid UTF-8, 1 MB bodies, and text PostgreSQL cannot store (NUL,
lone surrogates) in every path segment, query parameter and string field of every body.

Every answer must be the documented one, status and error code, not merely "not a 5xx": an id parser that read a
Unicode digit as the ASCII one answered 200, which a `< 500` check let through. Each request is sent by a client
allowed to make it (a signed-in fan, a scanner with the bearer token, or anyone), so the hostile value itself is
what gets judged; the anonymous walk checks that sign-in is asked for first. The document drives the walk, so a
route added later is walked too, and fails here until its answers are written down below.

Runs on PostgreSQL too (CI's second pass), where NUL used to reach the driver as a 500."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.organizer.conftest import make_organizer  # noqa: F401 - a fixture, used by name
from tests.support.data import create_show
from tests.tickets.devices import SCANNER, Device

ARABIC_ONE, SUPERSCRIPT_TWO, FULLWIDTH_ONE = "\u0661", "\u00b2", "\uff11"
OVERFLOW = str(2**63)
BEYOND_INT4 = str(2**31)  # an id no int4 column holds (PostgreSQL's serial ids): names nothing, never a driver error
NUL = "a\x00b"
LONE_SURROGATE_JSON = b'"\\ud800"'  # JSON's only way to write one; msgspec refuses it as malformed
Answer = tuple[int, str | None]  # status, error code (None: a success without the error shape)

# Values for ids in paths: each must be the 404 (or 403) that names the missing thing, never a number it is not.
HOSTILE_IDS = [SUPERSCRIPT_TWO, ARABIC_ONE, FULLWIDTH_ONE, f"1{ARABIC_ONE}", OVERFLOW, BEYOND_INT4, "9" * 40, "-1", "0",
               "1e3", " 1", "0x1", "1.5", "%ED%A0%80", "%C2%B2"]
EXTREME_DATES = ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00Z",
                 "9999-12-31T23:59:59.999999Z", "2026-02-30T00:00:00Z", "+10000-01-01T00:00:00Z"]


def cursor(*values: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(values)).encode()).decode().rstrip("=")


HOSTILE_CURSORS = [
    cursor("2026-12-01T00:00:00Z", 2**63), cursor("2026-12-01T00:00:00Z", -(2**63) - 1),
    cursor("0001-01-01T00:00:00+14:00", 1), cursor("9999-12-31T23:59:59-14:00", 1),
    cursor(1.5, 2**63), cursor(0.0, 2**63), cursor(1e308, 1), cursor("2026-12-01T00:00:00Z", SUPERSCRIPT_TWO),
    cursor("2026-12-01T00:00:00Z", 1, 2**63), cursor([], {}),
]
BAD_PARAMETER: Answer = (400, "invalid_parameter")
# Query parameters: each value with the answer it must get.
HOSTILE_QUERY: dict[str, list[tuple[str, Answer]]] = {
    "from": [(d, BAD_PARAMETER) for d in EXTREME_DATES], "to": [(d, BAD_PARAMETER) for d in EXTREME_DATES],
    "cursor": [(c, (400, "invalid_cursor")) for c in HOSTILE_CURSORS],
    "limit": [(v, BAD_PARAMETER) for v in (SUPERSCRIPT_TWO, OVERFLOW, "9" * 40, FULLWIDTH_ONE)],
    "radius_km": [(v, BAD_PARAMETER) for v in (SUPERSCRIPT_TWO, "1e400", OVERFLOW)],
    "near": [(v, BAD_PARAMETER) for v in (f"{SUPERSCRIPT_TWO},1", f"{OVERFLOW},{OVERFLOW}", "1e400,1")],
    "q": [(SUPERSCRIPT_TWO * 200, (200, None)), (SUPERSCRIPT_TWO * 201, BAD_PARAMETER)],
    "format": [(v, BAD_PARAMETER) for v in (SUPERSCRIPT_TWO, "PRETIX", "xml")],
}
# Query strings written raw: a lone surrogate's bytes (not UTF-8; read with replacement characters).
RAW_QUERY: dict[str, list[tuple[str, Answer]]] = {
    "q": [("%ED%A0%80", (200, None))], "limit": [("%ED%A0%80", BAD_PARAMETER)], "from": [("%ED%A0%80", BAD_PARAMETER)],
}
# Bodies the edge refuses before any route sees them, the same on every route.
EDGE_BODIES: list[tuple[bytes, Answer]] = [
    (b"[" * 10_000, (400, "json_too_deep")), (b'{"a":' * 10_000, (400, "json_too_deep")),
    (b'{"email": "\xff"}', (400, "invalid_encoding")), (b"\xff\xfe", (400, "invalid_encoding")),
    (b"x" * 1_000_000, (413, "body_too_large")), (b'{"hold_id": ' + LONE_SURROGATE_JSON + b"}", (400, "malformed_json")),
    (b'{"hold_id": "' + NUL.replace("\x00", "\\u0000").encode() + b'"}', (422, "invalid_characters")),
    (b'{"note": {"key\\u0000": 1}}', (422, "invalid_characters")),
]
# Routes that take files (a seating plan) and so a larger body (backend/organizer/routes.py says how large).
FILE_ROUTES = {("POST", "/api/v1/organizer/venues")}
MALFORMED: Answer = (400, "malformed_json")
# A well-formed body full of wrong values; what each route answers to it, called by a client allowed to.
WRONG_VALUES = json.dumps({"seat_ids": [SUPERSCRIPT_TWO, ARABIC_ONE, OVERFLOW], "hold_id": SUPERSCRIPT_TWO,
                           "code": SUPERSCRIPT_TWO, "token": f"{ARABIC_ONE}.{OVERFLOW}.x", "show_id": OVERFLOW,
                           "best_available": {"count": 2**63, "section_id": OVERFLOW}}).encode()
INVALID: Answer = (422, "invalid")
WRONG_VALUES_ANSWER: dict[tuple[str, str], Answer] = {
    ("POST", "/api/v1/auth/login"): INVALID,
    ("POST", "/api/v1/auth/logout"): (204, None),
    ("POST", "/api/v1/auth/register"): INVALID,
    ("POST", "/api/v1/auth/verify-email"): (422, "invalid_token"),
    ("POST", "/api/v1/auth/verify-email/send"): (202, None),
    ("PUT", "/api/v1/tickets/{ticket_ref}/device"): INVALID,
    ("POST", "/api/v1/gate/scans"): INVALID,
    ("POST", "/api/v1/tickets/verify"): (404, "show_not_found"),
    ("DELETE", "/api/v1/holds/{hold_id}"): (404, "hold_not_found"),
    ("POST", "/api/v1/shows/{show_id}/holds"): INVALID,
    ("DELETE", "/api/v1/holds/{hold_id}/seats/{seat_id}"): (404, "hold_not_found"),
    ("DELETE", "/api/v1/orders/{order_id}"): (404, "order_not_found"),
    ("POST", "/api/v1/{show_id}/checkout"): (404, "hold_not_found"),
    ("POST", "/api/v1/shows/{show_id}/checkout"): (404, "hold_not_found"),
    ("POST", "/api/v1/orders/{order_id}/paying"): (404, "order_not_found"),
    ("POST", "/api/v1/orders/{order_id}/settle"): (404, "order_not_found"),
    ("POST", "/api/v1/payments/stripe/webhook"): (400, "invalid_signature"),
    ("POST", "/api/v1/shows/{show_id}/queue"): (409, "queue_not_enabled"),
    # The object is looked up in the caller's organization before the body is read: the walk's order and show are
    # not the walking organizer's.
    ("POST", "/api/v1/organizer/orders/{order_id}/refund"): (404, "order_not_found"),
    ("POST", "/api/v1/organizer/shows/{show_id}/cancel"): (404, "show_not_found"),
}

# Who may call what. Everything else is public.
SCANNER_ONLY = {("GET", "/api/v1/shows/{show_id}/gate"), ("POST", "/api/v1/gate/scans"),
                ("POST", "/api/v1/tickets/verify")}
SIGNED_IN_ONLY = {
    ("GET", "/api/v1/auth/me"), ("POST", "/api/v1/auth/verify-email/send"),
    ("PUT", "/api/v1/tickets/{ticket_ref}/device"), ("GET", "/api/v1/profile/{profile_ref}/tickets"),
    ("GET", "/api/v1/holds/{hold_id}"), ("DELETE", "/api/v1/holds/{hold_id}"),
    ("POST", "/api/v1/shows/{show_id}/holds"), ("DELETE", "/api/v1/holds/{hold_id}/seats/{seat_id}"),
    ("GET", "/api/v1/orders/{order_id}"), ("DELETE", "/api/v1/orders/{order_id}"),
    ("POST", "/api/v1/{show_id}/checkout"), ("POST", "/api/v1/shows/{show_id}/checkout"),
    ("POST", "/api/v1/orders/{order_id}/paying"), ("POST", "/api/v1/orders/{order_id}/settle"),
    ("POST", "/api/v1/shows/{show_id}/queue"), ("GET", "/api/v1/shows/{show_id}/queue/me"),
}
# What a path id that names nothing answers, by the first parameter of the path.
MISSING: dict[str, Answer] = {
    "show_id": (404, "show_not_found"), "hold_id": (404, "hold_not_found"), "order_id": (404, "order_not_found"),
    "ticket_ref": (404, "ticket_not_found"), "venue_id": (404, "layout_not_found"),
    "profile_ref": (403, "not_your_tickets"),
}
UNSTORABLE: Answer = (422, "invalid_characters")
ORGANIZER_PATHS = "/api/v1/organizer/"
# Bodies that let a request with hostile path ids get as far as reading them.
DEVICE_KEY = Device().public_key
PATH_WALK_BODY = {
    ("PUT", "/api/v1/tickets/{ticket_ref}/device"): {"alg": "Ed25519", "public_key": DEVICE_KEY},
    ("POST", "/api/v1/shows/{show_id}/holds"): {"seat_ids": ["1"]},
    ("POST", "/api/v1/{show_id}/checkout"): {"hold_id": "h1_abcdefghijklmnop"},
    ("POST", "/api/v1/shows/{show_id}/checkout"): {"hold_id": "h1_abcdefghijklmnop"},
    ("PATCH", "/api/v1/organizer/shows/{show_id}"): {"title": "Walked"},
    ("POST", "/api/v1/organizer/shows/{show_id}/sale"): {"action": "pause"},
    ("PUT", "/api/v1/organizer/shows/{show_id}/queue"): {"capacity": 5},
}


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    path_params: tuple[str, ...]
    query_params: tuple[str, ...]
    body_schema: dict | None

    @property
    def key(self) -> tuple[str, str]:
        return self.method, self.path

    def url(self, value: str, only: str | None = None, others: str = "1") -> str:
        url = self.path
        for name in self.path_params:
            url = url.replace("{" + name + "}", value if only in (None, name) else others)
        return url

    @property
    def unsafe(self) -> bool:
        return self.method in ("POST", "PUT", "PATCH", "DELETE")


def operations(document: dict) -> Iterator[Operation]:
    for path, methods in document["paths"].items():
        for method, spec in methods.items():
            params = spec.get("parameters", [])
            body = spec.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
            yield Operation(method.upper(), path, tuple(p["name"] for p in params if p["in"] == "path"),
                            tuple(p["name"] for p in params if p["in"] == "query"), body)


def instance(schema: dict, document: dict) -> Any:
    """A value of the schema with every optional part present (so every string field is there to be poisoned)."""
    if "$ref" in schema:
        return instance(document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]], document)
    for key in ("oneOf", "anyOf"):
        if key in schema:
            options = [o for o in schema[key] if o.get("type") != "null"]
            return instance(options[0], document)
    kind = schema.get("type")
    if "enum" in schema:
        return schema["enum"][0]
    if kind == "object" or "properties" in schema:
        return {name: instance(sub, document) for name, sub in schema.get("properties", {}).items()}
    if kind == "array":
        return [instance(schema.get("items", {}), document)]
    return {"string": "text", "integer": 1, "number": 1.5, "boolean": False}.get(kind, "text")


def string_paths(value: Any, path: tuple = ()) -> Iterator[tuple]:
    if isinstance(value, dict):
        for key, nested in value.items():
            yield from string_paths(nested, (*path, key))
    elif isinstance(value, list):
        for index, nested in enumerate(value):
            yield from string_paths(nested, (*path, index))
    elif isinstance(value, str):
        yield path


def replaced(value: Any, path: tuple, new: Any) -> Any:
    copy = json.loads(json.dumps(value))
    target = copy
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = new
    return copy


def answer_of(response: httpx.Response) -> Answer:
    code = None
    if response.headers.get("content-type", "").startswith("application/json") and response.status_code >= 400:
        code = response.json().get("error")
    return response.status_code, code


def assert_answer(response: httpx.Response, expected: Answer, what: str) -> None:
    assert "Traceback" not in response.text and 'File "' not in response.text, what
    if response.status_code >= 400:
        body = response.json()
        assert isinstance(body.get("error"), str) and isinstance(body.get("detail"), str), (what, body)
    assert answer_of(response) == expected, (what, expected, response.status_code, response.text[:300])


def organizer_only(op: Operation) -> bool:
    """Every organizer route (API.md, "Organizers") is for organizers; an id there that names nothing, or another
    organization's object, is `<object>_not_found`."""
    return op.path.startswith(ORGANIZER_PATHS)


@dataclass(frozen=True)
class Walk:
    anonymous: httpx.AsyncClient
    fan: httpx.AsyncClient
    scanner: httpx.AsyncClient
    organizer: httpx.AsyncClient
    show_id: str

    def client_for(self, op: Operation) -> httpx.AsyncClient:
        if op.key in SCANNER_ONLY:
            return self.scanner
        if organizer_only(op):
            return self.organizer
        return self.fan if op.key in SIGNED_IN_ONLY else self.anonymous

    def sign_in_answer(self, op: Operation) -> Answer | None:
        """What an anonymous caller gets once the edge let the request through, if sign-in is needed."""
        if op.key in SCANNER_ONLY:
            return 401, "scanner_token_required"
        return (401, "not_authenticated") if op.key in SIGNED_IN_ONLY or organizer_only(op) else None


def path_id_answer(op: Operation, value: str) -> Answer:
    if organizer_only(op):
        return 404, f"{op.path_params[0].removesuffix('_id')}_not_found"
    return MISSING[op.path_params[0]]


def requests_for(op: Operation, walk: Walk) -> Iterator[tuple[str, dict, Answer, bool]]:
    """(what, request arguments, documented answer, whether the edge answers before sign-in is asked for)."""
    plain = op.url(walk.show_id if op.path_params and op.path_params[0] == "show_id" else "1")
    walk_body = PATH_WALK_BODY.get(op.key)
    body_args = {"json": walk_body} if walk_body is not None else {}
    for value in HOSTILE_IDS if op.path_params else []:
        yield f"{op.method} {op.url(value)}", {"url": op.url(value), **body_args}, path_id_answer(op, value), False
    for name in op.path_params:
        url = op.url(NUL.replace("\x00", "%00"), only=name, others=walk.show_id)
        yield f"{op.method} {url}", {"url": url, **body_args}, UNSTORABLE, True
    if op.path_params:
        url = op.url("..%2F..%2Fetc")
        yield f"{op.method} {url}", {"url": url, **body_args}, (404, "not_found"), True
    for name in op.query_params:
        for value, expected in HOSTILE_QUERY[name]:
            yield f"{op.method} {plain}?{name}={value[:40]!r}", {"url": plain, "params": {name: value}}, expected, False
        for raw, expected in RAW_QUERY.get(name, []):
            yield f"{op.method} {plain}?{name}={raw}", {"url": f"{plain}?{name}={raw}"}, expected, False
        yield f"{op.method} {plain}?{name}=NUL", {"url": plain, "params": {name: NUL}}, UNSTORABLE, True
    if {"from", "to"} <= set(op.query_params):
        for start in EXTREME_DATES[:2]:
            yield (f"{op.method} {plain} window", {"url": plain, "params": {"from": start, "to": EXTREME_DATES[1]}},
                   BAD_PARAMETER, False)
    if op.unsafe:
        json_type = {"Content-Type": "application/json"}
        for raw, expected in EDGE_BODIES:
            if op.key in FILE_ROUTES and expected == (413, "body_too_large"):
                expected = MALFORMED  # within a file route's larger limit, it is judged as JSON
            yield f"{op.method} {plain} body {raw[:24]!r}", {"url": plain, "content": raw, "headers": json_type}, \
                expected, True
        wrong = WRONG_VALUES_ANSWER.get(op.key, INVALID if organizer_only(op) else None)
        assert wrong is not None, f"no documented answer to wrong values for {op.key}"
        yield (f"{op.method} {plain} wrong values", {"url": plain, "content": WRONG_VALUES, "headers": json_type},
               wrong, False)


def poisoned_bodies(op: Operation, document: dict) -> Iterator[tuple[str, Any]]:
    """The operation's body with NUL in one string field at a time (and in a key)."""
    if op.body_schema is None:
        return
    body = instance(op.body_schema, document)
    for path in string_paths(body):
        yield ".".join(map(str, path)), replaced(body, path, NUL)
    if isinstance(body, dict):
        yield "a key", {**body, NUL: "x"}


@pytest.fixture(scope="module")
def document(server) -> dict:
    return httpx.get(f"{server.url}/schema/openapi.json", timeout=30).json()


@pytest.fixture
async def walk(server, anon: httpx.AsyncClient, fan: httpx.AsyncClient,
               make_organizer) -> Walk:  # noqa: F811 - the fixture imported above
    show = await create_show(rows=1, seats_per_row=2)
    async with httpx.AsyncClient(base_url=server.url, timeout=30, headers=SCANNER) as scanner:
        yield Walk(anon, fan, scanner, await make_organizer(), str(show.id))


def walked_operations(document: dict) -> list[Operation]:
    ops = list(operations(document))
    assert len(ops) > 25
    return ops


async def test_every_route_gives_the_documented_answer_to_hostile_values(document: dict, walk: Walk) -> None:
    walked = 0
    for op in walked_operations(document):
        if op.key == ("POST", "/api/v1/auth/logout"):
            continue  # would end the walk's session; the anonymous walk covers it
        client = walk.client_for(op)
        for what, arguments, expected, _ in requests_for(op, walk):
            assert_answer(await client.request(op.method, **arguments), expected, what)
            walked += 1
    assert walked > 400
    assert (await walk.fan.get("/healthz")).status_code == 200


async def test_anonymous_callers_are_asked_to_sign_in_first(document: dict, walk: Walk) -> None:
    for op in walked_operations(document):
        sign_in = walk.sign_in_answer(op)
        for what, arguments, expected, at_the_edge in requests_for(op, walk):
            answer = expected if at_the_edge or sign_in is None else sign_in
            if op.key in (("POST", "/api/v1/shows/{show_id}/checkout"), ("POST", "/api/v1/{show_id}/checkout")) \
                    and "wrong values" not in what and not at_the_edge:
                answer = sign_in  # checkout reads its body before the session; this body is well-formed
            assert_answer(await walk.anonymous.request(op.method, **arguments), answer, f"anonymous {what}")


async def test_text_the_database_cannot_store_is_refused_in_every_field(document: dict, walk: Walk) -> None:
    """NUL in every string field of every body, one at a time (and in a key): 422 invalid_characters from the edge,
    for any caller, before a route could hand it to PostgreSQL."""
    poisoned = 0
    for op in walked_operations(document):
        url = op.url(walk.show_id)
        for field, body in poisoned_bodies(op, document):
            for client in (walk.anonymous, walk.client_for(op)):
                response = await client.request(op.method, url, json=body)
                assert_answer(response, UNSTORABLE, f"{op.method} {op.path} NUL in {field}")
                poisoned += 1
    assert poisoned > 30


async def test_the_live_map_socket_refuses_unicode_digits_without_an_error_log(server) -> None:
    import websockets

    before = len(server.log_text())
    for value in (SUPERSCRIPT_TWO, ARABIC_ONE, OVERFLOW):
        try:
            async with websockets.connect(f"{server.ws_url}/api/v1/shows/{value}/live", compression=None,
                                          open_timeout=10) as socket:
                await socket.recv()
        except websockets.exceptions.InvalidStatus as refused:
            assert refused.response.status_code < 500, refused.response.status_code
        except websockets.exceptions.ConnectionClosed as closed:
            assert closed.rcvd is not None and closed.rcvd.code != 1011, closed
    log = server.log_text()[before:]
    assert '"level":"ERROR"' not in log and "Traceback" not in log, log[-2000:]
