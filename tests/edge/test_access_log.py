"""Access logs in batches: every request's line, with its request id, written shortly after, in one write."""

from __future__ import annotations

import asyncio
import io
import json
import logging

import pytest

from backend.edge import access_log
from backend.edge.access_log import AccessLog


class CountingStream(io.StringIO):
    writes = 0

    def write(self, text: str) -> int:
        self.writes += 1
        return super().write(text)


async def test_lines_are_written_in_one_batch_with_their_request_ids() -> None:
    logging.getLogger(access_log.LOGGER_NAME).setLevel(logging.INFO)
    stream = CountingStream()
    log = AccessLog(stream)
    for n in range(50):
        log.record("POST", f"/api/v1/shows/{n}/holds", 201, 1.234567, f"request-{n:04d}")
    assert stream.getvalue() == ""  # nothing written while the requests run
    await asyncio.sleep(access_log.FLUSH_AFTER_S + 0.1)
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert stream.writes == 1 and len(lines) == 50
    assert lines[7] == {"ts": lines[7]["ts"], "level": "INFO", "logger": "showtime.access",
                        "msg": "POST /api/v1/shows/7/holds 201", "request_id": "request-0007", "status": 201,
                        "duration_ms": 1.23, "path": "/api/v1/shows/7/holds", "method": "POST"}
    assert lines[7]["ts"].endswith("Z")


async def test_a_burst_is_written_before_it_grows_without_bound() -> None:
    logging.getLogger(access_log.LOGGER_NAME).setLevel(logging.INFO)
    stream = io.StringIO()
    log = AccessLog(stream)
    for n in range(access_log.MAX_PENDING):
        log.record("GET", "/healthz", 200, 0.5, f"r{n}")
    assert len(stream.getvalue().splitlines()) == access_log.MAX_PENDING


async def test_nothing_is_written_when_the_level_says_so() -> None:
    logger = logging.getLogger(access_log.LOGGER_NAME)
    logger.setLevel(logging.WARNING)
    try:
        stream = io.StringIO()
        log = AccessLog(stream)
        log.record("GET", "/healthz", 200, 0.5, "r1")
        log.flush()
        assert stream.getvalue() == ""
    finally:
        logger.setLevel(logging.NOTSET)


@pytest.mark.parametrize(("path", "request_id"), [
    ("/api/v1/shows/4111111111111111", "r1"),
    # X-Request-ID is the other field a client writes (the edge keeps any 8-64 characters of [A-Za-z0-9._-])
    ("/healthz", "4111111111111111"),
], ids=["in the path", "as the request id"])
async def test_a_card_number_a_client_writes_is_masked(path: str, request_id: str) -> None:
    logging.getLogger(access_log.LOGGER_NAME).setLevel(logging.INFO)
    stream = io.StringIO()
    log = AccessLog(stream)
    log.record("GET", path, 404, 0.5, request_id)
    log.flush()
    assert "4111111111111111" not in stream.getvalue() and "[card number removed]" in stream.getvalue()
