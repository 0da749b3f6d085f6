"""A fan's turn in a queue-enabled show's line, as a table: the specification the waiting room's scripts follow.

docs/architecture.md carries it between its waiting-room-table markers, rendered from these rows
(`python -m realtime.waiting_room.turn_states` prints it; tests/realtime/waiting_room/test_turn_table.py fails when the
two differ). It sits beside the purchase lifecycle's table (backend/payments/order_states.py): a turn ends when its
fan pays, releases everything or cancels the order, and when its admission expires.
"""

from __future__ import annotations

import sys
from typing import Final

# (event, from, to, what happens)
TURN_TRANSITIONS: Final = (
    ("join", "not in line, or turn over", "waiting",
     "a new number at the back (INCR issued); one entry per profile; nobody waiting is passed"),
    ("join again", "waiting or shopping", "unchanged", "the same entry (200)"),
    ("advance", "waiting", "shopping", "serving reaches the number while fewer than capacity shop: admitted until "
                                      "now + ADMISSION_TTL_SECONDS"),
    ("release all, cancel order, paid", "shopping", "turn over", "admission withdrawn: the place goes to the next"),
    ("admission expires", "shopping", "turn over", "ADMISSION_TTL_SECONDS passed; holds answer 403 queue_required"),
)


def render_markdown() -> str:
    """The table as docs/architecture.md carries it, between its waiting-room-table markers."""
    lines = ["| waiting-room event | from | to | what happens |", "|---|---|---|---|"]
    lines += [f"| {event} | {source} | {target} | {what.replace('|', chr(92) + '|')} |"
              for event, source, target, what in TURN_TRANSITIONS]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.stdout.write(render_markdown())
