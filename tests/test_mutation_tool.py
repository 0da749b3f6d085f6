"""`just mutate --retest` writes a session's mutants at the places they were found: the tool tells when a module
changed under its session (tools/mutation/__main__.py, `shape`)."""

from __future__ import annotations

from pathlib import Path

from tools.mutation.__main__ import shape
from tools.mutation.targets import Target

SOURCE = "def luhn_ok(digits: str) -> bool:\n    return digits.isdigit()  # a note\n\n\ndef other() -> int:\n    return 1\n"


def _shape_of(tmp_path: Path, text: str) -> str:
    (tmp_path / "m.py").write_text(text)
    return shape(Target(("m.py",), ()), tmp_path)


def test_a_comment_changes_no_place_and_a_moved_line_does(tmp_path: Path) -> None:
    first = _shape_of(tmp_path, SOURCE)
    assert _shape_of(tmp_path, SOURCE.replace("# a note", "# another note")) == first
    assert _shape_of(tmp_path, SOURCE.replace("\n\n\ndef other", "\n\n\n\ndef other")) != first
    assert _shape_of(tmp_path, SOURCE.replace("return 1", "return 2")) != first
