"""The waiting-room turn table in docs/architecture.md is the code's: the document's copy is rendered from
realtime/waiting_room/turn_states.py, as the purchase lifecycle's table is from backend/payments/order_states.py."""

from __future__ import annotations

from backend.settings import PROJECT_ROOT
from realtime.waiting_room import turn_states

DOC = PROJECT_ROOT / "docs" / "architecture.md"
START, END = "<!-- waiting-room-table:start -->\n", "<!-- waiting-room-table:end -->"


def test_the_document_carries_the_code_s_turn_table() -> None:
    text = DOC.read_text()
    documented = text[text.index(START) + len(START):text.index(END)]
    assert documented == turn_states.render_markdown(), (
        "docs/architecture.md's waiting-room table differs from realtime/waiting_room/turn_states.py: paste the "
        "output of `python -m realtime.waiting_room.turn_states` between the waiting-room-table markers")
