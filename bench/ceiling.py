"""The ceiling the benchmarks measure the app against: bare Litestar plus exactly one Redis command per request.

- `POST /api/v1/shows/{show_id}/holds` with a msgspec body `{seat_ids}` runs the app's hold script once (EVALSHA)
  and answers 201 with the hold; `DELETE /api/v1/holds/{hold_id}` runs the release script once and answers 204.
  No session, no validation beyond the body's shape, no bookkeeping: what the stack costs for that one script.
  The fan is named by an `X-Fan` header, since there is no session to name it.
- `GET /doc/{name}` answers the JSON document stored at `bench:doc:<name>` with one Redis GET.

`create_bare_app` is the barer ceiling: the same two routes, each one EVALSHA of a bare script, `SET NX PX` of the
request's seat locks for a hold and `DEL` of them for its release (the hold id names the seats); no hold record, no
state hash, no pub/sub. What Litestar and one script call cost, with nothing of the app's own Redis work.

Served by uvicorn exactly like the app (`--no-access-log`, same loop and HTTP parser), on the same Redis.
"""

from __future__ import annotations

import os

import msgspec
from litestar import Litestar, Request, Response, delete, get, post
from redis.asyncio import Redis

from backend.booking.hold_ids import new_hold_id, show_of_hold
from backend.catalog.cache_keys import cancelled_key
from backend.infra.lua import LuaScript
from backend.seats import _keys as keys  # the very keys and scripts the app runs
from backend.seats import scripts

prefix = keys.prefix

TTL_MS = 480_000
PRICE_CENTS = 5000


class HoldBody(msgspec.Struct):
    seat_ids: list[str]


class HoldAnswer(msgspec.Struct):
    hold_id: str
    show_id: str
    seat_ids: list[str]
    expires_at_ms: int
    amount_cents: int


def create_app() -> Litestar:
    redis = Redis.from_url(os.environ["REDIS_URL"].replace("valkey://", "redis://", 1), max_connections=512)

    @get("/ready")
    async def ready() -> str:
        return "ok"

    @get("/doc/{name:str}")
    async def document(name: str) -> Response[bytes]:
        return Response(await redis.get(f"bench:doc:{name}") or b"null", media_type="application/json")

    @post("/api/v1/shows/{show_id:int}/holds")
    async def place(request: Request, show_id: int, data: HoldBody) -> HoldAnswer:
        fan = request.headers.get("x-fan", "0")
        hold_id = new_hold_id(show_id)
        script_keys = [keys.state(show_id), keys.version(show_id), keys.expiries(show_id),
                       keys.changes_channel(show_id), keys.holder(show_id, fan), keys.hold(show_id, hold_id),
                       cancelled_key(show_id), *(keys.seat_lock(show_id, seat) for seat in data.seat_ids)]
        args: list[str | int] = [prefix(show_id), hold_id, fan, TTL_MS, 8, "EUR", "0"]
        for seat in data.seat_ids:
            args += [seat, PRICE_CENTS]
        reply = await scripts.place_hold(redis, script_keys, args)
        return HoldAnswer(hold_id=reply[1].decode(), show_id=str(show_id), seat_ids=msgspec.json.decode(reply[2]),
                          expires_at_ms=int(reply[3]), amount_cents=int(reply[4]))

    @delete("/api/v1/holds/{hold_id:str}")
    async def release(request: Request, hold_id: str) -> None:
        show_id = show_of_hold(hold_id) or 0
        await scripts.release_hold(
            redis, [keys.state(show_id), keys.version(show_id), keys.expiries(show_id),
                    keys.changes_channel(show_id), keys.hold(show_id, hold_id)],
            [prefix(show_id), hold_id, request.headers.get("x-fan", "0"), "0"])

    return Litestar([ready, document, place, release], debug=False)


BARE_LOCK = LuaScript("""
for _, key in ipairs(KEYS) do redis.call('SET', key, ARGV[1], 'NX', 'PX', ARGV[2]) end
return 1
""")
BARE_UNLOCK = LuaScript("""
for _, key in ipairs(KEYS) do redis.call('DEL', key) end
return 1
""")


def _bare_lock(show_id: int | str, seat: str) -> str:
    # Keys of its own, in the show's slot: a lock a run leaves behind must not refuse the app's holds of that seat.
    return f"{keys.prefix(show_id)}bare:{seat}"


def create_bare_app() -> Litestar:
    redis = Redis.from_url(os.environ["REDIS_URL"].replace("valkey://", "redis://", 1), max_connections=512)

    @get("/ready")
    async def ready() -> str:
        return "ok"

    @post("/api/v1/shows/{show_id:int}/holds")
    async def place(request: Request, show_id: int, data: HoldBody) -> HoldAnswer:
        hold_id = f"{show_id}.{'.'.join(data.seat_ids)}"
        await BARE_LOCK(redis, [_bare_lock(show_id, seat) for seat in data.seat_ids], [hold_id, TTL_MS])
        return HoldAnswer(hold_id=hold_id, show_id=str(show_id), seat_ids=data.seat_ids, expires_at_ms=0,
                          amount_cents=PRICE_CENTS * len(data.seat_ids))

    @delete("/api/v1/holds/{hold_id:str}")
    async def release(hold_id: str) -> None:
        show_id, *seat_ids = hold_id.split(".")
        await BARE_UNLOCK(redis, [_bare_lock(show_id, seat) for seat in seat_ids])

    return Litestar([ready, place, release], debug=False)
