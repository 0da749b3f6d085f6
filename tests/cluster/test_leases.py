"""One worker per job and show across processes: the hold sweeper and the waiting-room advance run under a lease.

- Fencing, on the real scripts: once a lease changed hands, the old holder's writes are refused.
- Two server processes: only one takes a show's sweeper lease while both live; when it is killed (SIGKILL), the
  other takes the lease over within seconds and expired holds are released again.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Iterator

import httpx
import pytest
from redis.asyncio import Redis

from backend.infra.leases import Fenced, Leases, lease_key
from backend.launcher.embedded_valkey import start_valkey
from backend.launcher.processes import stop
from backend.seats.writes import sweep_show
from realtime.waiting_room import WaitingRoom, admission
from realtime.waiting_room._keys import ADVANCE_JOB
from tests.booking.helpers import eventually, hold, statuses
from tests.conftest import ENV, STRONG_PASSWORD, unique_email
from tests.realtime.waiting_room.test_waiting_room_scripts import OPENS_MS, a_show
from tests.support.data import create_show
from tests.support.fixtures import private_valkey
from tests.support.servers import ServerProcess

pytestmark = pytest.mark.cluster

HOLD_TTL_SECONDS = 2
TAKEOVER_BUDGET_S = 10.0  # lease ttl (3 s) + a sweep tick, with room for a loaded CI machine


async def test_a_stale_holder_cannot_sweep_once_the_lease_moved(redis: Redis) -> None:
    show_id = 990_000_000 + int(time.time()) % 1_000_000  # a show no process sweeps: only these two leases ask
    first = Leases(redis, "sweeper", owner="first", ttl_ms=200)
    second = Leases(redis, "sweeper", owner="second", ttl_ms=5_000)
    token = await first.hold(show_id)
    assert token is not None and await second.hold(show_id) is None
    assert await sweep_show(redis, show_id, 10, fence=(lease_key("sweeper", show_id), token)) == (0, 0)
    await asyncio.sleep(0.3)  # the first holder stalls past its lease
    newer = await second.hold(show_id)
    assert newer is not None and newer > token
    with pytest.raises(Fenced):
        await sweep_show(redis, show_id, 10, fence=(lease_key("sweeper", show_id), token))
    assert await first.hold(show_id) is None  # and it cannot take the lease back while the new holder lives
    assert await sweep_show(redis, show_id, 10, fence=(lease_key("sweeper", show_id), newer)) == (0, 0)
    await second.release_all()


async def test_a_clean_shutdown_hands_its_leases_over_at_once(redis: Redis) -> None:
    """release_all lets go of every lease held: another process takes them without waiting for them to run out."""
    shows = [990_000_000 + int(time.time()) % 1_000_000 + k * 1_000_000 for k in (1, 2)]
    leaving = Leases(redis, "sweeper", owner="leaving", ttl_ms=60_000)
    staying = Leases(redis, "sweeper", owner="staying", ttl_ms=60_000)
    for show_id in shows:
        assert await leaving.hold(show_id) is not None and await staying.hold(show_id) is None
    await leaving.release_all()
    assert leaving.held == {}
    for show_id in shows:
        assert await staying.hold(show_id) is not None
    await staying.release_all()


async def test_a_stale_holder_cannot_advance_the_line_once_the_lease_moved() -> None:
    """The waiting room's advance is fenced as the sweep is: the old holder lets no one in, the new one does. On a
    Valkey of its own: a server of the suite on the shared Redis runs the same advance job, and could take the lease
    in the gap the test leaves between the two holders."""
    with private_valkey("advance-fence-valkey") as url:
        redis = Redis.from_url(url)
        try:
            await _stale_holder_cannot_advance(redis)
        finally:
            await redis.aclose()


async def _stale_holder_cannot_advance(redis: Redis) -> None:
    room = WaitingRoom(redis, active_shoppers=1, admission_ttl_s=60)
    show = a_show()
    now = OPENS_MS + 1_000
    for profile in (1, 2, 3):
        await room.join(show, profile, now)  # the first is let in on joining; the others wait for a place
    first = Leases(redis, ADVANCE_JOB, owner="first", ttl_ms=200)
    second = Leases(redis, ADVANCE_JOB, owner="second", ttl_ms=5_000)
    token = await first.hold(show.id)
    assert token is not None
    await admission.finish(redis, show.id, 1)  # a place is free
    await asyncio.sleep(0.3)  # the first holder stalls past its lease
    newer = await second.hold(show.id)
    assert newer is not None and newer > token
    with pytest.raises(Fenced):
        await room.advance(show.id, now + 1_000, token=str(token))
    assert not (await room.place(show, 2, now + 1_000)).admitted  # the refused advance let no one in
    assert await room.advance(show.id, now + 1_000, token=str(newer)) == 1
    assert (await room.place(show, 2, now + 1_000)).admitted
    await second.release_all()


@pytest.fixture
def two_processes() -> Iterator[list[ServerProcess]]:
    """Two processes on a Redis of their own, so no other process of the suite competes for their leases."""
    valkey, redis_url = start_valkey(ENV.var_dir / "lease-valkey")
    started: list[ServerProcess] = []
    try:
        for name in ("lease-a", "lease-b"):
            var_dir = ENV.var_dir / name
            var_dir.mkdir(parents=True, exist_ok=True)
            started.append(ServerProcess(var_dir=var_dir, name=name, env={
                "REDIS_URL": redis_url, "REDIS_CLUSTER_NODES": "", "HOLD_TTL_SECONDS": str(HOLD_TTL_SECONDS)}).start())
        yield started
    finally:
        for process in started:
            process.stop()
        stop(valkey)


def _takes(process: ServerProcess, show_id: int) -> list[int]:
    """Tokens with which this process took the show's sweeper lease, from its log."""
    pattern = rf"took the sweeper lease of show {show_id} \(token (\d+)"
    return [int(token) for token in re.findall(pattern, process.log_text())]


async def test_one_process_sweeps_a_show_and_another_takes_over_when_it_dies(
        two_processes: list[ServerProcess]) -> None:
    show = await create_show()
    first, second = (httpx.AsyncClient(base_url=p.url, timeout=30) for p in two_processes)
    try:
        registered = await first.post("/api/v1/auth/register",
                                      json={"email": unique_email("lease"), "password": STRONG_PASSWORD, "name": "F"})
        assert registered.status_code == 201, registered.text
        second.cookies = first.cookies  # one session, valid on both processes (it lives in their Redis)
        placed = await hold(first, show.id, show.seat_ids[:2])
        assert placed.status_code == 201, placed.text
        await eventually(lambda: _available(first, show.id, show.seat_ids[:2]), timeout=HOLD_TTL_SECONDS + 5)
        # Both processes ran their sweeper all along: exactly one of them took the show's lease, once.
        takes = [_takes(p, show.id) for p in two_processes]
        assert sorted(len(t) for t in takes) == [0, 1], takes
        holder = next(p for p, t in zip(two_processes, takes, strict=True) if t)
        survivor, client = (two_processes[1], second) if holder is two_processes[0] else (two_processes[0], first)
        old_token = _takes(holder, show.id)[0]

        holder.kill()
        killed_at = time.monotonic()
        again = await hold(client, show.id, show.seat_ids[2:4])
        assert again.status_code == 201, again.text
        await eventually(lambda: _taken_over(survivor, show.id, old_token), timeout=TAKEOVER_BUDGET_S)
        took_over_after = time.monotonic() - killed_at
        await eventually(lambda: _available(client, show.id, show.seat_ids[2:4]), timeout=TAKEOVER_BUDGET_S)
        print(f"\nsweeper lease of show {show.id}: taken over {took_over_after:.2f} s after its holder was killed")
    finally:
        await first.aclose()
        await second.aclose()


async def _available(client: httpx.AsyncClient, show_id: int, seat_ids: list[str]) -> bool:
    seats = await statuses(client, show_id)
    return all(seats[seat] == "available" for seat in seat_ids)


async def _taken_over(process: ServerProcess, show_id: int, old_token: int) -> bool:
    return any(token > old_token for token in _takes(process, show_id))
