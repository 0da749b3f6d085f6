"""The draw's algorithm on its own (realtime/draw.py): the shared test vectors (frontend/test/draw.test.ts checks the
same file), a permutation for any entry list, uniform positions over many seeds, and sensitivity to seed and
entries."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from realtime.waiting_room import draw

VECTORS = json.loads((Path(__file__).parent / "draw_vectors.json").read_text())


@pytest.mark.parametrize("case", VECTORS["cases"], ids=lambda case: f"{len(case['entries'])}-entries")
def test_the_shared_vectors(case: dict[str, object]) -> None:
    seed = bytes.fromhex(str(case["seed"]))
    sorted_entries = draw.canonical_entries(case["entries"])  # type: ignore[arg-type]
    assert sorted_entries == case["sorted"]
    assert draw.commitment(seed) == case["commitment"]
    assert draw.entries_hash(sorted_entries) == case["entries_hash"]
    assert draw.order(seed, sorted_entries) == case["order"]
    assert VECTORS["algorithm"] == draw.ALGORITHM


def test_entries_sort_by_bytes_and_hash_as_lines() -> None:
    assert draw.canonical_entries(["b", "B", "a", "_"]) == ["B", "_", "a", "b"]
    assert draw.entries_hash(["B", "a"]) == hashlib.sha256(b"B\na\n").hexdigest()
    with pytest.raises(ValueError):
        draw.canonical_entries(["a", "a"])


def test_rejection_skips_the_words_past_the_last_whole_multiple() -> None:
    # bound 3: 2^32 mod 3 = 1, so only 0xFFFFFFFF is refused (it would make 0 a little likelier than 1 and 2)
    words: Iterator[int] = iter([0xFFFFFFFF, 0xFFFFFFFE, 7])
    assert draw.below(words, 3) == 0xFFFFFFFE % 3
    assert draw.below(words, 3) == 1
    # bound 2^31 + 1: nearly half the words are refused
    words = iter([0x80000001, 0xFFFFFFFF, 0x80000000])
    assert draw.below(words, 0x80000001) == 0x80000000


entry_lists = st.lists(st.text(alphabet="ABCDEFGHIJabcdefghij0123456789-_", min_size=1, max_size=16),
                       unique=True, max_size=200)


@given(seed=st.binary(min_size=32, max_size=32), entries=entry_lists)
def test_the_order_is_a_permutation_of_the_entries(seed: bytes, entries: list[str]) -> None:
    sorted_entries = draw.canonical_entries(entries)
    drawn = draw.order(seed, sorted_entries)
    assert len(drawn) == len(entries)
    assert sorted(drawn, key=str.encode) == sorted_entries
    assert draw.order(seed, sorted_entries) == drawn  # deterministic


def test_every_position_is_equally_likely_for_every_entry() -> None:
    entries = draw.canonical_entries([f"fan-{i}" for i in range(6)])
    seeds = [hashlib.sha256(f"chi-square {i}".encode()).digest() for i in range(3_000)]  # fixed: deterministic
    counts = {entry: [0] * len(entries) for entry in entries}
    for seed in seeds:
        for position, entry in enumerate(draw.order(seed, entries)):
            counts[entry][position] += 1
    expected = len(seeds) / len(entries)
    for entry, observed in counts.items():
        chi_square = sum((o - expected) ** 2 / expected for o in observed)
        assert chi_square < 20.52, (entry, observed)  # 5 degrees of freedom, p = 0.001


def test_one_changed_entry_changes_the_hash_and_another_seed_the_order() -> None:
    seed = hashlib.sha256(b"seed").digest()
    entries = draw.canonical_entries([f"id-{i:03d}" for i in range(40)])
    changed = draw.canonical_entries([*entries[:-1], "id-999"])
    assert draw.entries_hash(changed) != draw.entries_hash(entries)
    assert draw.entries_hash(entries[1:]) != draw.entries_hash(entries)
    other_seed = hashlib.sha256(b"another seed").digest()
    assert draw.order(other_seed, entries) != draw.order(seed, entries)
    assert draw.commitment(other_seed) != draw.commitment(seed)


def test_a_lines_seed_is_32_random_bytes() -> None:
    """showtime-draw-v1 draws from a 32-byte seed (the web app's check and the shared vectors assume it)."""
    from realtime.waiting_room.line import new_seed

    seeds = {new_seed() for _ in range(8)}
    assert len(seeds) == 8 and all(len(bytes.fromhex(seed)) == 32 for seed in seeds)
