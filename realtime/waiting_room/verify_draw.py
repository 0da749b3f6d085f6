"""Check a show's waiting-room draw from its published data only: `just verify-draw SHOW` (or
`python -m realtime.waiting_room.verify_draw SHOW --url URL [--queue-id=ID [--number N]] [--commitment HEX]`).

Fetches GET /api/v1/shows/{id}/queue/draw from a running server, then checks, printing each check: the revealed
seed matches the commitment (and the one you noted before the sale, if given), the entry list is sorted, distinct
and counted right, its hash matches, and, for your queue id, the number the recomputed order gives you (and that it
is the number the waiting room showed you, if given). A queue id that is not among the entries is explained rather
than failed when its number says why: an early arrival without a verified e-mail address is placed after the drawn
entries in join order (`placed_after_count` of them), a late one after those. Exit status 0 when every check passes,
1 otherwise, 2 when the draw has not happened yet.
"""

from __future__ import annotations

import argparse
import json
import sys
import urllib.request
from collections.abc import Sequence
from typing import Any

from realtime.waiting_room import draw

DEFAULT_URL = "http://127.0.0.1:8000"


def fetch(url: str, show_id: str) -> dict[str, Any]:
    if not url.startswith(("http://", "https://")):
        raise SystemExit(f"--url must be an http(s) address, not {url!r}")
    address = f"{url.rstrip('/')}/api/v1/shows/{show_id}/queue/draw"
    with urllib.request.urlopen(address, timeout=30) as answer:  # noqa: S310 (the scheme is checked above)
        published: dict[str, Any] = json.load(answer)
        return published


def checks(
    published: dict[str, Any], queue_id: str | None, number: int | None, noted_commitment: str | None
) -> list[tuple[bool, str]]:
    seed = bytes.fromhex(published["seed"])
    entries: list[str] = published["entries"]
    results = [
        (published["algorithm"] == draw.ALGORITHM, f"algorithm is {draw.ALGORITHM} ({published['algorithm']})"),
        (draw.commitment(seed) == published["commitment"], "sha256(seed) equals the published commitment"),
    ]
    if noted_commitment is not None:
        results.append(
            (noted_commitment.lower() == published["commitment"], "the commitment is the one you noted before the sale")
        )
    try:
        canonical = draw.canonical_entries(entries)
    except ValueError:
        canonical = []
    results += [
        (canonical == entries, "the entries are sorted and distinct"),
        (len(entries) == published["entries_count"], f"entries_count is {len(entries)}"),
        (draw.entries_hash(entries) == published["entries_hash"], "sha256 of the entries equals entries_hash"),
    ]
    if queue_id is not None:
        drawn = draw.order(seed, entries)
        if queue_id in drawn:
            mine = drawn.index(queue_id) + 1
            results.append((True, f"your queue id is among the entries: number {mine}"))
            if number is not None:
                results.append((mine == number, f"the waiting room's number for you ({number}) is the drawn one"))
        else:
            results.append(not_drawn(len(entries), published.get("placed_after_count") or 0, number))
    return results


def not_drawn(drawn_count: int, placed_after: int, number: int | None) -> tuple[bool, str]:
    """A queue id missing from the entries: an early arrival whose account had no verified e-mail address when the
    draw ran (numbers drawn_count + 1 .. drawn_count + placed_after, in join order), or one who joined after the
    opening (first come, first served). Only a drawn number (1 .. drawn_count) claimed for it is a failure."""
    first, last = drawn_count + 1, drawn_count + placed_after
    numbers = f"number {first}" if first == last else f"numbers {first} to {last}"
    placed = (
        f"early arrivals without a verified e-mail address when the draw ran are placed after the {drawn_count} "
        f"drawn entries, in the order they joined ({numbers})"
    )
    if number is None:
        explained = (
            f"{placed}, and who joined after the opening comes after them"
            if placed_after
            else "who joined after the opening is not drawn"
        )
        return False, f"your queue id is not among the entries: {explained}; give --number to check yours"
    if number <= drawn_count:
        return (
            False,
            f"your queue id is not among the entries, yet the waiting room's number for you ({number}) is a drawn one",
        )
    if number <= last:
        return True, (
            f"your queue id is not among the drawn entries because your account's e-mail address was not verified "
            f"when the draw ran: {placed}; yours is {number}. Verify your address to be in the next draw"
        )
    return (
        True,
        f"your queue id is not among the entries: number {number} comes after the early arrivals, so you "
        "joined after the opening (first come, first served, not drawn)",
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="verify-draw", description="Check a show's waiting-room draw.")
    parser.add_argument("show_id")
    parser.add_argument("--url", default=DEFAULT_URL, help=f"a running server (default {DEFAULT_URL})")
    parser.add_argument("--queue-id", help="your queue id (GET /api/v1/shows/{id}/queue/me)")
    parser.add_argument("--number", type=int, help="the number the waiting room gave you")
    parser.add_argument("--commitment", help="the commitment you saw before the sale opened")
    args = parser.parse_args(argv)
    published = fetch(args.url, args.show_id)
    print(
        f"show {args.show_id}: commitment {published['commitment']}, entries closed at {published['entries_closed_at']}"
    )
    if not published["drawn"]:
        print("the draw has not happened yet: only the commitment is published")
        return 2
    print(f"seed {published['seed']}, {published['entries_count']} entries, hash {published['entries_hash']}")
    after = published.get("placed_after_count") or 0  # absent from servers older than the rule
    if after:
        first = published["entries_count"] + 1
        print(
            f"{after} early arrival(s) without a verified e-mail address are not in the draw: numbers {first} to "
            f"{first + after - 1}, in the order they joined"
        )
    results = checks(published, args.queue_id, args.number, args.commitment)
    for passed, text in results:
        print(f"{'✓' if passed else '✗'} {text}")
    return 0 if all(passed for passed, _ in results) else 1


if __name__ == "__main__":
    sys.exit(main())
