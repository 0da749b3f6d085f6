"""Every route of the served OpenAPI document, walked with hostile values: unicode digits, ids past 64 bits,
extreme dates (also inside cursors), deep nesting, invalid UTF-8 and 1 MB bodies; anonymous and signed in. No
answer is a 5xx, every error is in API.md's shape with no stack trace, and /healthz is 200 afterwards.

The document drives the walk, so a route added later is walked too."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

ARABIC_ONE, SUPERSCRIPT_TWO, FULLWIDTH_ONE = "\u0661", "\u00b2", "\uff11"
OVERFLOW = str(2**63)
# Values for ids in paths: each must be a 4xx (never read as a number it is not, never an overflow).
HOSTILE_IDS = [SUPERSCRIPT_TWO, ARABIC_ONE, FULLWIDTH_ONE, f"1{ARABIC_ONE}", OVERFLOW, "9" * 40, "-1", "0",
               "1e3", " 1", "0x1", "1.5", "%00", "..%2F..%2Fetc"]
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
HOSTILE_QUERY = {
    "from": EXTREME_DATES, "to": EXTREME_DATES, "cursor": HOSTILE_CURSORS,
    "limit": [SUPERSCRIPT_TWO, OVERFLOW, "9" * 40], "radius_km": [SUPERSCRIPT_TWO, "1e400", OVERFLOW],
    "near": [f"{SUPERSCRIPT_TWO},1", f"{OVERFLOW},{OVERFLOW}", "1e400,1"], "q": [SUPERSCRIPT_TWO * 200, "\x00"],
}
HOSTILE_BODIES = [
    b"[" * 10_000, b'{"a":' * 10_000, b'{"email": "\xff"}', b"\xff\xfe", b"x" * 1_000_000,
    json.dumps({"seat_ids": [SUPERSCRIPT_TWO, ARABIC_ONE, OVERFLOW], "hold_id": SUPERSCRIPT_TWO,
                "code": SUPERSCRIPT_TWO, "token": f"{ARABIC_ONE}.{OVERFLOW}.x", "show_id": OVERFLOW,
                "best_available": {"count": 2**63, "section_id": OVERFLOW}}).encode(),
]


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    path_params: tuple[str, ...]
    query_params: tuple[str, ...]
    has_body: bool

    def url(self, value: str) -> str:
        url = self.path
        for name in self.path_params:
            url = url.replace("{" + name + "}", value)
        return url


def operations(document: dict) -> Iterator[Operation]:
    for path, methods in document["paths"].items():
        for method, spec in methods.items():
            params = spec.get("parameters", [])
            yield Operation(method.upper(), path, tuple(p["name"] for p in params if p["in"] == "path"),
                            tuple(p["name"] for p in params if p["in"] == "query"), "requestBody" in spec)


def assert_sane(response: httpx.Response, what: str) -> None:
    assert response.status_code < 500, (what, response.status_code, response.text[:300])
    assert "Traceback" not in response.text and 'File "' not in response.text, what
    if response.status_code >= 400 and response.headers.get("content-type", "").startswith("application/json"):
        body = response.json()
        assert isinstance(body.get("error"), str) and isinstance(body.get("detail"), str), (what, body)


def requests_for(op: Operation) -> Iterator[tuple[str, dict]]:
    """(what, httpx request arguments) for every hostile value that applies to this operation."""
    plain = op.url("1")
    for value in HOSTILE_IDS if op.path_params else []:
        yield f"{op.method} {op.url(value)}", {"url": op.url(value)}
    for name in op.query_params:
        for value in HOSTILE_QUERY.get(name, [SUPERSCRIPT_TWO, OVERFLOW]):
            yield f"{op.method} {plain}?{name}={value[:40]}", {"url": plain, "params": {name: value}}
    if op.query_params:
        for start in EXTREME_DATES[:2]:
            yield f"{op.method} {plain} window", {"url": plain, "params": {"from": start, "to": EXTREME_DATES[1]}}
    if op.method in ("POST", "PUT", "PATCH", "DELETE"):
        for body in HOSTILE_BODIES:
            yield (f"{op.method} {plain} body {body[:20]!r}",
                   {"url": plain, "content": body, "headers": {"Content-Type": "application/json"}})


@pytest.fixture(scope="module")
def document(server) -> dict:
    return httpx.get(f"{server.url}/schema/openapi.json", timeout=30).json()


@pytest.mark.parametrize("signed_in", [False, True], ids=["anonymous", "signed-in"])
async def test_every_route_answers_hostile_values_with_a_4xx(document: dict, anon: httpx.AsyncClient, fan,
                                                             signed_in: bool) -> None:
    client = fan if signed_in else anon
    walked = 0
    for op in operations(document):
        if op.path.startswith("/api/v1/auth/logout"):
            continue  # would end the signed-in walk's session
        for what, arguments in requests_for(op):
            assert_sane(await client.request(op.method, **arguments), what)
            walked += 1
    assert walked > 200
    assert (await client.get("/healthz")).status_code == 200


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
