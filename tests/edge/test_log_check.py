"""The end-of-run log check finds what it is there for (and only that)."""

from __future__ import annotations

from pathlib import Path

from tests.support.log_check import log_problems, problems_in_logs


def test_a_logging_error_and_a_card_number_are_found(tmp_path: Path) -> None:
    (tmp_path / "server.log").write_text('{"msg":"ok"}\n--- Logging error ---\nTraceback ...\n')
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "other.log").write_text('{"msg":"name 4111 1111 1111 1111"}\n')
    (tmp_path / "clean.log").write_text('{"request_id":"4111111111111111ab","msg":"[card number removed]"}\n')
    found = problems_in_logs([*tmp_path.rglob("*.log"), tmp_path / "never-written.log"])
    assert set(found) == {tmp_path / "server.log", tmp_path / "sub" / "other.log"}
    assert log_problems("Logging error") and log_problems('"4242424242424242"')
    assert not log_problems('{"ms": 1764599999999, "order": "1234567890123"}')
