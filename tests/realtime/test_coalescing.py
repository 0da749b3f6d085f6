"""The live map's pause between broadcasts: changes wait at least the coalescing window, and broadcasting, however
long one takes (many watchers, a loaded machine), leaves a fifth of the process to everything else."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from realtime.live_map import WINDOW_MIN_S, pause_after


@given(broadcast_s=st.floats(min_value=0.0, max_value=60.0, allow_nan=False))
def test_broadcasting_takes_at_most_four_fifths_of_the_time(broadcast_s: float) -> None:
    pause = pause_after(broadcast_s)
    assert pause >= WINDOW_MIN_S
    assert broadcast_s <= 4 * pause  # broadcast / (broadcast + pause) <= 4/5


def test_a_short_broadcast_still_waits_the_window_and_a_long_one_no_longer_than_needed() -> None:
    assert pause_after(0.001) == WINDOW_MIN_S  # a few watchers: changes still share a message per window
    assert pause_after(0.4) == 0.1  # 0.4 s of sends, then 0.1 s for requests: four fifths of the process
