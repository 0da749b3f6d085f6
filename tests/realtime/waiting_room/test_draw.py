"""The provably fair draw on a real server: the commitment before the sale, the reveal after it, every fan's number
recomputed from the published data alone, and `just verify-draw` against the running server (also when the
published data was tampered with)."""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import shutil
import subprocess
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from redis.asyncio import Redis

from backend.accounts import verification
from realtime.waiting_room import draw
from realtime.waiting_room import verify_draw as verify_draw_cli
from realtime.waiting_room._keys import script_keys
from tests.realtime.fans import Fan, signed_in
from tests.support.data import TestShow, create_show
from tests.support.opening import before_the_opening, opening_at
from tests.support.servers import ServerProcess

EARLY = 30
VERIFIED_EARLY, UNVERIFIED_EARLY = 8, 6
ROOT = Path(__file__).resolve().parents[3]
VECTORS = Path(__file__).with_name("draw_vectors.json")


def verify_draw(url: str, show_id: int, *args: str) -> subprocess.CompletedProcess[str]:
    just = shutil.which("just")
    assert just, "the just command runner is needed for `just verify-draw`"
    return subprocess.run(
        [just, "--justfile", str(ROOT / "justfile"), "verify-draw", str(show_id), "--url", url, *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )


async def published(client: httpx.AsyncClient, show_id: int) -> httpx.Response:
    answer = await client.get(f"/api/v1/shows/{show_id}/queue/draw")
    assert answer.status_code == 200, answer.text
    return answer


async def test_commit_then_reveal_reproduces_every_number(tuned_server: ServerProcess, redis: Redis) -> None:
    fans = await signed_in(redis, EARLY + 1, tuned_server.url)
    clients = [fan.client(tuned_server.url) for fan in fans]
    anonymous = httpx.AsyncClient(base_url=tuned_server.url, timeout=30)

    async def early_arrivals_joined(opens_at: float) -> tuple[TestShow, dict, dict[str, None]]:
        show = await create_show(queue_enabled=True, sale_opens_at=opening_at(opens_at))
        # Before anyone joins, the commitment is already public (the seed is made by the first look or the first
        # joiner, whichever comes first) and nothing else is.
        before = (await published(anonymous, show.id)).json()
        assert before["drawn"] is False and before["seed"] is None and before["entries"] is None
        assert len(before["commitment"]) == 64 and before["algorithm"] == draw.ALGORITHM
        assert datetime.fromisoformat(before["entries_closed_at"]) > datetime.now(UTC)
        queue_ids = {}
        for start in range(0, EARLY, 10):
            batch = clients[start : min(start + 10, EARLY)]
            answers = await asyncio.gather(*(c.post(f"/api/v1/shows/{show.id}/queue") for c in batch))
            for answer in answers:
                assert answer.status_code == 201, answer.text
                assert answer.json()["number"] is None
                queue_ids[answer.json()["queue_id"]] = None
        during = (await published(anonymous, show.id)).json()
        assert during["commitment"] == before["commitment"] and during["seed"] is None  # never revealed early
        return show, before, queue_ids

    try:
        (show, before, queue_ids), opens_at = await before_the_opening(early_arrivals_joined)
        await asyncio.sleep(opens_at - time.monotonic() + 0.3)

        numbers = {}
        for client in clients[:EARLY]:
            me = (await client.get(f"/api/v1/shows/{show.id}/queue/me")).json()
            numbers[me["queue_id"]] = me["number"]
        late = (await clients[EARLY].post(f"/api/v1/shows/{show.id}/queue")).json()
        assert late["number"] == EARLY + 1  # after every early arrival, and not among the drawn entries

        answer = await published(anonymous, show.id)
        after = answer.json()
        assert "max-age" in answer.headers["cache-control"]  # immutable from now on
        assert after["drawn"] is True and after["commitment"] == before["commitment"]
        seed = bytes.fromhex(after["seed"])
        assert hashlib.sha256(seed).hexdigest() == before["commitment"]
        assert after["entries"] == sorted(queue_ids) and after["entries_count"] == EARLY
        assert after["entries_hash"] == draw.entries_hash(after["entries"])
        recomputed = {queue_id: k + 1 for k, queue_id in enumerate(draw.order(seed, after["entries"]))}
        assert recomputed == numbers  # the revealed seed reproduces every number
        assert list(numbers.values()) != list(range(1, EARLY + 1))

        # `just verify-draw` against the running server: every check passes for a fan's own number ...
        mine = next(iter(numbers))
        ok = verify_draw(
            tuned_server.url,
            show.id,
            f"--queue-id={mine}",
            "--number",
            str(numbers[mine]),
            "--commitment",
            before["commitment"],
        )
        assert ok.returncode == 0, ok.stdout + ok.stderr
        assert ok.stdout.count("✓") == 8 and "✗" not in ok.stdout, ok.stdout
        assert f"number {numbers[mine]}" in ok.stdout
        assert "early arrival(s)" not in ok.stdout, ok.stdout  # every early arrival here was verified: none after
        # The fan who joined after the opening is told so, not taken for an unverified early arrival.
        [*_, (passed, text)] = verify_draw_cli.checks(after, late["queue_id"], EARLY + 1, None)
        assert passed and "comes after the early arrivals, so you joined after the opening" in text, text
        [*_, (passed, text)] = verify_draw_cli.checks(after, late["queue_id"], None, None)
        assert not passed and "who joined after the opening is not drawn; give --number" in text, text
        # ... and a wrong number, or a commitment other than the one noted before the sale, is caught.
        wrong = verify_draw(
            tuned_server.url,
            show.id,
            f"--queue-id={mine}",
            "--number",
            str(numbers[mine] % EARLY + 1),
            "--commitment",
            "00" * 32,
        )
        assert wrong.returncode == 1 and wrong.stdout.count("✗") == 2, wrong.stdout

        # An operator who edits one published entry, or swaps the seed, after the fact is caught too.
        keys = script_keys(show.id)
        frozen = await redis.get(keys[18])
        await redis.set(keys[18], frozen.replace(after["entries"][0].encode(), b"x" + after["entries"][0][1:].encode()))
        tampered = verify_draw(tuned_server.url, show.id)
        assert tampered.returncode == 1 and "✗ sha256 of the entries equals entries_hash" in tampered.stdout
        await redis.set(keys[18], frozen)
        # A swapped seed brings its own matching commitment: the one the fan noted before the sale catches it, and so
        # does the fan's number, which the other seed moves (this seed list is fixed: it does move it).
        await redis.set(keys[16], (bytes([seed[0] ^ 1]) + seed[1:]).hex())
        tampered = verify_draw(
            tuned_server.url,
            show.id,
            f"--queue-id={mine}",
            "--number",
            str(numbers[mine]),
            "--commitment",
            before["commitment"],
        )
        assert tampered.returncode == 1, tampered.stdout
        assert "✗ the commitment is the one you noted before the sale" in tampered.stdout
    finally:
        await anonymous.aclose()
        for client in clients:
            await client.aclose()


async def test_only_verified_early_arrivals_are_drawn_the_others_follow_in_join_order(
    tuned_server: ServerProcess, redis: Redis
) -> None:
    """One entry per verified account in the draw: unverified early arrivals may join (201), but come after every
    drawn number, first come first served; a fan who confirms the address after joining, before the opening, is
    drawn. The published draw holds only the drawn entries and still checks out."""
    anonymous = httpx.AsyncClient(base_url=tuned_server.url, timeout=30)
    secret_key = os.environ["SECRET_KEY"]  # the suite's servers share it (tests/support/environment.py)
    every_client: list[httpx.AsyncClient] = []

    async def confirm(fan: Fan) -> None:
        # The token the registration mail carries, presented where the mail's link leads.
        token = verification.make_token(secret_key, fan.profile_id, fan.email)
        answer = await anonymous.post("/api/v1/auth/verify-email", json={"token": token})
        assert answer.status_code == 200 and answer.json()["email_verified"] is True, answer.text

    # Verified and unverified fans join in turns; the last verified one confirms only after joining.
    verified = set(range(0, 2 * (VERIFIED_EARLY - 1), 2)) | {2 * UNVERIFIED_EARLY + 1}
    early = list(range(VERIFIED_EARLY + UNVERIFIED_EARLY))
    unverified_in_join_order = [i for i in early if i not in verified]
    assert len(verified) == VERIFIED_EARLY and len(unverified_in_join_order) == UNVERIFIED_EARLY
    late_confirmer = max(verified)

    async def joined_in_turns(opens_at: float) -> tuple[TestShow, list[httpx.AsyncClient], dict[int, str]]:
        """New fans each try: the late confirmer must still be unverified when it joins."""
        fans = await signed_in(redis, VERIFIED_EARLY + UNVERIFIED_EARLY + 1, tuned_server.url, verified=False)
        clients = [fan.client(tuned_server.url) for fan in fans]
        every_client.extend(clients)
        await asyncio.gather(*(confirm(fans[i]) for i in verified if i != late_confirmer))
        show = await create_show(queue_enabled=True, sale_opens_at=opening_at(opens_at))
        queue_ids = {}
        for i in early:  # one at a time: the join order is the order of these requests
            answer = await clients[i].post(f"/api/v1/shows/{show.id}/queue")
            assert answer.status_code == 201, answer.text  # anyone signed in may join before the opening
            assert answer.json()["number"] is None
            queue_ids[i] = answer.json()["queue_id"]
        await confirm(fans[late_confirmer])
        return show, clients, queue_ids

    try:
        (show, clients, queue_ids), opens_at = await before_the_opening(joined_in_turns)
        await asyncio.sleep(opens_at - time.monotonic() + 0.3)

        numbers = {}
        for i in early:
            me = (await clients[i].get(f"/api/v1/shows/{show.id}/queue/me")).json()
            assert me["queue_id"] == queue_ids[i]
            numbers[i] = me["number"]
        assert sorted(numbers[i] for i in verified) == list(range(1, VERIFIED_EARLY + 1))
        assert [numbers[i] for i in unverified_in_join_order] == list(
            range(VERIFIED_EARLY + 1, VERIFIED_EARLY + UNVERIFIED_EARLY + 1)
        )
        late = (await clients[-1].post(f"/api/v1/shows/{show.id}/queue")).json()
        assert late["number"] == VERIFIED_EARLY + UNVERIFIED_EARLY + 1

        after = (await published(anonymous, show.id)).json()
        assert after["drawn"] is True
        assert after["entries"] == sorted(queue_ids[i] for i in verified)  # only the drawn entries
        assert after["entries_count"] == VERIFIED_EARLY and after["placed_after_count"] == UNVERIFIED_EARLY
        assert after["entries_hash"] == draw.entries_hash(after["entries"])
        drawn = draw.order(bytes.fromhex(after["seed"]), after["entries"])
        assert {queue_ids[i]: numbers[i] for i in verified} == {q: k + 1 for k, q in enumerate(drawn)}
        mine = queue_ids[late_confirmer]
        ok = verify_draw(tuned_server.url, show.id, f"--queue-id={mine}", "--number", str(numbers[late_confirmer]))
        assert ok.returncode == 0 and "✗" not in ok.stdout, ok.stdout + ok.stderr
        first, last = VERIFIED_EARLY + 1, VERIFIED_EARLY + UNVERIFIED_EARLY
        assert f"{UNVERIFIED_EARLY} early arrival(s) without a verified e-mail address are not in the draw: numbers " \
            f"{first} to {last}, in the order they joined\n" in ok.stdout, ok.stdout

        # An unverified early arrival's queue id is not among the entries: explained, not failed, given the number.
        placed = unverified_in_join_order[1]
        explained = verify_draw(
            tuned_server.url, show.id, f"--queue-id={queue_ids[placed]}", "--number", str(numbers[placed])
        )
        assert explained.returncode == 0 and "✗" not in explained.stdout, explained.stdout + explained.stderr
        assert "✓ your queue id is not among the drawn entries because your account's e-mail address was not " \
            "verified when the draw ran" in explained.stdout, explained.stdout
        assert f"(numbers {first} to {last}); yours is {numbers[placed]}." in explained.stdout, explained.stdout
        # Without the number it cannot tell an unverified early arrival from a late one, and says both.
        unsure = verify_draw(tuned_server.url, show.id, f"--queue-id={queue_ids[placed]}")
        assert unsure.returncode == 1, unsure.stdout
        assert f"placed after the {VERIFIED_EARLY} drawn entries, in the order they joined" in unsure.stdout
    finally:
        await anonymous.aclose()
        for client in every_client:
            await client.aclose()


async def test_verify_draw_before_the_draw_says_so_and_exits_2(tuned_server: ServerProcess) -> None:
    """Only the commitment is published before the opening: nothing to check yet, which is not a failure (1)."""
    show = await create_show(queue_enabled=True, sale_opens_in=timedelta(days=30))
    early = await asyncio.to_thread(verify_draw, tuned_server.url, show.id)
    assert early.returncode == 2, early.stdout + early.stderr
    assert "the draw has not happened yet: only the commitment is published" in early.stdout, early.stdout


def _published(case: dict) -> dict:
    """What GET .../queue/draw answers after the draw of one of the shared vectors' cases."""
    return {"algorithm": draw.ALGORITHM, "commitment": case["commitment"], "seed": case["seed"],
            "entries": case["sorted"], "entries_count": len(case["sorted"]), "entries_hash": case["entries_hash"]}


def test_verify_draw_fails_a_seed_that_does_not_match_the_commitment() -> None:
    """The checks themselves, on published data that a server could have altered: a commitment that is not
    sha256(seed) fails, and so does a commitment other than the one the fan noted before the opening."""
    case = max(json.loads(VECTORS.read_text())["cases"], key=lambda c: len(c["sorted"]))
    mine = case["order"][2]
    published = _published(case)
    assert all(ok for ok, _ in verify_draw_cli.checks(published, mine, 3, case["commitment"]))
    forged = {**published, "commitment": hashlib.sha256(b"another seed").hexdigest()}
    failed = [what for ok, what in verify_draw_cli.checks(forged, mine, 3, None) if not ok]
    assert failed == ["sha256(seed) equals the published commitment"]
    noted = hashlib.sha256(b"what the page showed before the opening").hexdigest()
    failed = [what for ok, what in verify_draw_cli.checks(published, mine, 3, noted.upper()) if not ok]
    assert failed == ["the commitment is the one you noted before the sale"]
    assert all(ok for ok, _ in verify_draw_cli.checks(published, mine, 3, case["commitment"].upper()))


def test_published_entries_with_a_duplicate_fail_the_check_instead_of_stopping_it() -> None:
    case = max(json.loads(VECTORS.read_text())["cases"], key=lambda c: len(c["sorted"]))
    doubled = [*case["sorted"], case["sorted"][-1]]
    published = {**_published(case), "entries": doubled, "entries_count": len(doubled)}
    failed = [what for ok, what in verify_draw_cli.checks(published, None, None, None) if not ok]
    assert failed == ["the entries are sorted and distinct", "sha256 of the entries equals entries_hash"], failed


def test_a_queue_id_missing_from_the_entries_is_explained_by_its_number() -> None:
    """Eight drawn, three unverified early arrivals after them (9..11), the late ones after those."""
    assert verify_draw_cli.not_drawn(8, 3, 9)[0] and verify_draw_cli.not_drawn(8, 3, 11)[0]
    assert "(numbers 9 to 11); yours is 10." in verify_draw_cli.not_drawn(8, 3, 10)[1]
    assert "number 9)" in verify_draw_cli.not_drawn(8, 1, 9)[1]
    late = verify_draw_cli.not_drawn(8, 3, 12)
    assert late[0] and "joined after the opening" in late[1]
    assert not verify_draw_cli.not_drawn(8, 3, 8)[0]  # a drawn number for an id the draw does not hold
    assert not verify_draw_cli.not_drawn(8, 3, None)[0]
    assert late == verify_draw_cli.not_drawn(8, 0, 12) and verify_draw_cli.not_drawn(8, 0, 9)[0]


@pytest.mark.parametrize("path", ["/api/v1/shows/999999999/queue/draw", "/api/v1/shows/abc/queue/draw"])
async def test_draw_of_an_unknown_show(tuned_server: ServerProcess, path: str) -> None:
    async with httpx.AsyncClient(base_url=tuned_server.url, timeout=30) as client:
        answer = await client.get(path)
    assert answer.status_code in (400, 404) and "error" in answer.json()


async def test_draw_of_a_show_without_a_waiting_room(tuned_server: ServerProcess) -> None:
    show = await create_show()
    async with httpx.AsyncClient(base_url=tuned_server.url, timeout=30) as client:
        answer = await client.get(f"/api/v1/shows/{show.id}/queue/draw")
    assert answer.status_code == 409 and answer.json()["error"] == "queue_not_enabled"
