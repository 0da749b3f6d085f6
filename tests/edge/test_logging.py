"""Logging never raises and every line stays one JSON object: whatever a library puts in a record (websockets puts
a weakref.proxy to its connection), and whatever card number a message carries (masked)."""

from __future__ import annotations

import asyncio
import json
import logging
import weakref

import websockets

from backend.edge.logging_setup import JsonFormatter

CARD = "4111111111111111"
LAUNCHER = "[serve] "  # the launcher's own lines (backend/launcher/serve.py) share the server's log; not the app's logging


class _Connection:
    pass


def _line(record: logging.LogRecord) -> dict:
    text = JsonFormatter().format(record)
    assert "\n" not in text
    return json.loads(text)


def test_records_with_unencodable_extras_are_one_json_line() -> None:
    connection = _Connection()
    record = logging.makeLogRecord({"msg": "connection open", "websocket": weakref.proxy(connection),
                                    "by_number": {1: "x"}, "raw": object()})
    line = _line(record)
    assert line["msg"] == "connection open" and "weakproxy" in line["websocket"]


def test_records_whose_arguments_do_not_fit_are_kept() -> None:
    line = _line(logging.makeLogRecord({"msg": "two %s %s", "args": ("one",)}))
    assert "two %s %s" in line["msg"]


def test_card_numbers_are_masked_in_every_field() -> None:
    spaced = f"{CARD[:4]} {CARD[4:8]} {CARD[8:12]} {CARD[12:]}"
    line = JsonFormatter().format(logging.makeLogRecord({"msg": f"name {CARD} / {spaced}", "body": CARD}))
    assert CARD not in line and spaced not in line and "[card number removed]" in line
    assert "order 1234567890123" in JsonFormatter().format(logging.makeLogRecord({"msg": "order 1234567890123"}))


async def test_websocket_connections_log_no_logging_errors(server) -> None:
    before = len(server.log_text())
    for _ in range(3):
        async with websockets.connect(f"{server.ws_url}/api/v1/shows/1/live", compression=None) as socket:
            assert json.loads(await socket.recv())["type"] == "snapshot"
    async with websockets.connect(f"{server.ws_url}/api/v1/shows/1/live", compression=None) as socket:
        await socket.recv()
    # Each connection's access line is written when the server has closed it, which may be after the client did:
    # judge the log once the four are there and whole (a line still being written once failed as broken JSON).
    # The launcher may print its own line meanwhile (when it saw the app answer): that one is plain text.
    for _ in range(100):
        log = server.log_text()[before:]
        whole = log[:log.rfind("\n") + 1]
        if whole.count("WS /api/v1/shows/1/live") >= 4:
            break
        await asyncio.sleep(0.05)
    assert whole.count("WS /api/v1/shows/1/live") >= 4, log
    assert "Logging error" not in log and "Traceback" not in log
    for text in whole.splitlines():
        if not text.startswith(LAUNCHER):
            assert isinstance(json.loads(text), dict), text
