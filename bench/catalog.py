"""Catalog benchmark: catalog reads under load against a ceiling app in the same run, and the stadium's seat map.

Fills a fresh database (SQLite by default; with DATABASE_URL=postgresql://... a bench database of its own on that
server, dropped afterwards) with the demo data plus 100,000 generated shows over 2,000 venues, starts an embedded
Valkey (or uses --redis), the app (`python -m backend.launcher.serve`, one uvicorn worker) and the ceiling (bench/ceiling.py:
bare Litestar answering a prepared JSON document with one Redis GET; the document is the app's own answer to the
same request, stored in Redis). Each server runs pinned to core 0 while `wrk` (32 connections) runs pinned to
core 1; every app case runs right after a ceiling run, so both see the machine in the same state.
Then the stadium's map, one request at a time: the real compressed bytes on the wire, warm and cold timings, and a
304 asserted wherever one is claimed.
Run: `.venv/bin/python bench/catalog.py [--shows 100000] [--seconds 10]`. Writes the "Catalog" section of
docs/performance.md (catalog-postgresql or catalog-sqlite).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.loadgen import CeilingServer, LoadResult, pin, settle, wrk, wrk_script
from bench.profiling import profile_during
from bench.report import bench_environment, bind_database, percentile, publish

WORDS = ("rock jazz opera ballet comedy symphony festival tour night live acoustic classic electric summer winter "
         "gala premiere encore legends stars").split()
CITIES = [("Paris", 48.8566, 2.3522), ("Lyon", 45.764, 4.8357), ("Madrid", 40.4168, -3.7038),
          ("Rome", 41.9028, 12.4964), ("Vienna", 48.2082, 16.3738), ("Prague", 50.0755, 14.4378),
          ("Warsaw", 52.2297, 21.0122), ("Oslo", 59.9139, 10.7522), ("Dublin", 53.3498, -6.2603),
          ("Lisbon", 38.7223, -9.1393)]



async def _fill(shows: int) -> None:
    from backend.timeutil import utcnow
    from db.manage import migrate
    from db.manage import seed as seed_demo
    from db.tables import Show, Venue

    await migrate()
    await seed_demo(if_empty=True)
    rng = random.Random(7)
    venues = []
    for i in range(2000):
        city, lat, lng = rng.choice(CITIES)
        venues.append(Venue(name=f"Hall {i}", city=city, lat=lat + rng.uniform(-0.3, 0.3),
                            lng=lng + rng.uniform(-0.3, 0.3)))
    venue_ids = [r["id"] for r in await Venue.insert(*venues).returning(Venue.id)]
    city_of = {v: venues[i].city for i, v in enumerate(venue_ids)}
    now = utcnow()
    batch = []
    for _ in range(shows):
        venue = rng.choice(venue_ids)
        title = " ".join(rng.sample(WORDS, 3)).title()
        starts = now + timedelta(minutes=rng.randint(60, 365 * 24 * 60))
        batch.append(Show(title=title, description="generated", venue=venue, starts_at=starts,
                          sale_opens_at=now, currency="EUR", seats_total=500,
                          search_text=f"{title} Hall {city_of[venue]}"))
        if len(batch) == 2000:  # PostgreSQL takes at most 32,767 parameters per statement
            await Show.insert(*batch)
            batch = []
    if batch:
        await Show.insert(*batch)



@dataclass(frozen=True)
class Case:
    label: str
    path: str
    ceiling_doc: str  # the ceiling document the same-run comparison uses
    mix: bool = False  # a rotating mix of different queries (bench/wrk/paths.lua) instead of one path


def _text_mix(count: int) -> list[str]:
    """Different text and near queries, as arbitrary searches look: few repeat within a cache's lifetime."""
    rng = random.Random(11)
    paths = []
    for i in range(count):
        if i % 2:
            _, lat, lng = rng.choice(CITIES)
            paths.append(f"/api/v1/shows?near={lat + rng.uniform(-0.2, 0.2):.4f},{lng + rng.uniform(-0.2, 0.2):.4f}"
                         f"&radius_km={rng.choice((10, 25, 50))}")
        else:
            paths.append("/api/v1/shows?q=" + "+".join(rng.sample(WORDS, rng.choice((1, 2)))))
    return paths


async def _sequential(client, path: str, headers: dict | None = None, repeat: int = 30,
                      expect: int = 200) -> tuple[float, float, int]:
    """p50 and p99 ms of `repeat` requests one after the other, and the bytes on the wire of the last one."""
    timings, wire = [], 0
    for _ in range(repeat):
        started = time.perf_counter()
        response = await client.get(path, headers=headers)
        await response.aread()
        timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == expect, (path, response.status_code, response.text[:200])
        wire = response.num_bytes_downloaded
    return statistics.median(timings), percentile(timings, 99), wire


async def _prepare_documents(base_url: str, redis_url: str, detail_id: str) -> None:
    """The ceiling's documents: the app's own answers, stored in Redis as they are."""
    import httpx
    from redis.asyncio import Redis

    async with httpx.AsyncClient(base_url=base_url, timeout=60) as client:
        documents = {"list": (await client.get("/api/v1/shows")).content,
                     "detail": (await client.get(f"/api/v1/shows/{detail_id}")).content}
    redis = Redis.from_url(redis_url.replace("valkey://", "redis://", 1))
    try:
        for name, body in documents.items():
            await redis.set(f"bench:doc:{name}", body)
    finally:
        await redis.aclose()


async def _stadium_id(base_url: str) -> str:
    import httpx

    async with httpx.AsyncClient(base_url=base_url, timeout=60) as client:
        return (await client.get("/api/v1/shows", params={"q": "Summer Stadium"})).json()["items"][0]["id"]


async def _busy_house(redis_url: str, stadium: str, share: float) -> None:
    """Sell a random `share` of the stadium in Redis (as sales would), so the status overlay is a busy one."""
    from redis.asyncio import Redis

    from backend.seats import mark_sold
    from db.tables import Seat, Show

    venue = (await Show.select(Show.venue).where(Show.id == int(stadium)).first())["venue"]
    seat_ids = await Seat.select(Seat.id).where(Seat.venue == venue).output(as_list=True)
    chosen = [str(seat) for seat in random.Random(5).sample(seat_ids, int(len(seat_ids) * share))]
    redis = Redis.from_url(redis_url.replace("valkey://", "redis://", 1))
    try:
        for start in range(0, len(chosen), 2000):
            await mark_sold(redis, int(stadium), chosen[start:start + 2000], None, order_id=0)
    finally:
        await redis.aclose()


async def _map_figures(base_url: str, redis_url: str, stadium: str) -> list[tuple[str, float, float, int]]:
    import httpx

    rows = []
    map_path = f"/api/v1/shows/{stadium}/map"
    status_path = f"/api/v1/shows/{stadium}/map/status"
    gzip_only = {"Accept-Encoding": "gzip"}
    async with httpx.AsyncClient(base_url=base_url, timeout=60) as client:
        started = time.perf_counter()
        first = await client.get(map_path, headers=gzip_only)
        cold = (time.perf_counter() - started) * 1000
        assert first.status_code == 200
        rows.append(("legacy map, first request in this process", cold, cold, first.num_bytes_downloaded))
        p50, p99, wire = await _sequential(client, map_path, gzip_only)
        rows.append(("legacy map, warm, gzip", p50, p99, wire))
        p50, p99, wire = await _sequential(client, map_path, {"Accept-Encoding": "identity"}, repeat=10)
        rows.append(("legacy map, warm, identity", p50, p99, wire))
        etag = first.headers["etag"]
        p50, p99, wire = await _sequential(client, map_path, {"If-None-Match": etag, **gzip_only}, expect=304)
        rows.append(("legacy map, unchanged (304 asserted)", p50, p99, wire))

        status = await client.get(status_path, headers=gzip_only)
        assert status.status_code == 200 and status.headers.get("content-encoding") == "gzip"
        layout = await client.get(status.json()["layout"], headers=gzip_only)
        assert layout.status_code == 200 and layout.headers.get("content-encoding") == "gzip"
        assert "immutable" in layout.headers["cache-control"], layout.headers
        first_load = status.num_bytes_downloaded + layout.num_bytes_downloaded
        rows.append(("**first load, empty house: layout + status (gzip)**", 0, 0, first_load))
        p50, p99, wire = await _sequential(client, status.json()["layout"], gzip_only, repeat=10)
        rows.append(("layout, warm, gzip (immutable: a browser asks once)", p50, p99, wire))
        p50, p99, wire = await _sequential(client, status.json()["layout"],
                                           {"If-None-Match": layout.headers["etag"], **gzip_only}, expect=304)
        rows.append(("layout, revalidated (304 asserted)", p50, p99, wire))

        await _busy_house(redis_url, stadium, 0.4)
        busy = await client.get(status_path, headers={"If-None-Match": status.headers["etag"], **gzip_only})
        assert busy.status_code == 200, "the status must change when seats are sold"
        rows.append(("**reload, unchanged layout, 40 % of seats sold since: status only (gzip)**", 0, 0,
                     busy.num_bytes_downloaded))
        p50, p99, wire = await _sequential(client, status_path, gzip_only)
        rows.append(("status, warm, busy house, gzip", p50, p99, wire))
        p50, p99, wire = await _sequential(client, status_path, {"If-None-Match": busy.headers["etag"], **gzip_only},
                                           expect=304)
        rows.append(("status, unchanged (304 asserted)", p50, p99, wire))
        p50, p99, wire = await _sequential(client, map_path, gzip_only)
        rows.append(("legacy map, warm, busy house, gzip", p50, p99, wire))
    return rows


def _run(args: argparse.Namespace) -> str:
    from backend.launcher.embedded_valkey import start_valkey
    from backend.launcher.processes import stop
    from tests.support.servers import ServerProcess

    started = time.perf_counter()
    asyncio.run(_fill(args.shows))
    fill_s = time.perf_counter() - started
    var_dir = Path(os.environ["VAR_DIR"])
    cleanup = []
    redis_url = args.redis or os.environ.get("REDIS_URL")
    redis_label = "Redis at " + redis_url if redis_url else "an embedded Valkey"
    results: list[tuple[Case, list[tuple[LoadResult, LoadResult]]]] = []
    profile = None
    try:
        if not redis_url:
            valkey, redis_url = start_valkey(var_dir / "valkey")
            cleanup.append(lambda: stop(valkey))
        server = ServerProcess(var_dir=var_dir, env={"REDIS_URL": redis_url, "STRIPE_SECRET_KEY": "sk_test_bench"},
                               name="bench")
        server.start()
        cleanup.append(server.stop)
        assert server.process is not None
        pin(server.process.pid)
        stadium = asyncio.run(_stadium_id(server.url))
        asyncio.run(_prepare_documents(server.url, redis_url, stadium))
        mix_file = var_dir / "mix.txt"
        mix_file.write_text("\n".join(_text_mix(2000)) + "\n")
        cases = [
            Case("GET /api/v1/shows (the default upcoming list)", "/api/v1/shows", "list"),
            Case("GET /api/v1/shows?q=Paris (a city's list)", "/api/v1/shows?q=Paris", "list"),
            Case(f"GET /api/v1/shows/{stadium} (show detail)", f"/api/v1/shows/{stadium}", "detail"),
            Case("GET /api/v1/shows?q=stadium (one text query, repeated)", "/api/v1/shows?q=stadium", "list"),
            Case("GET /api/v1/shows?near=52.5,13.4 (one near query, repeated)", "/api/v1/shows?near=52.5,13.4",
                 "list"),
            Case("text and near, 2,000 different queries at random", "", "list", mix=True),
            Case("GET /healthz (one Redis PING, one SQL query)", "/healthz", "list"),
        ]
        with CeilingServer(redis_url, var_dir) as ceiling:
            for url in (f"{ceiling.url}/doc/list", f"{server.url}/api/v1/shows"):
                wrk(url, script=wrk_script("get.lua"), seconds=3)  # warm: imports, pools, caches
            for case in cases:
                pairs = []
                for _ in range(args.rounds):
                    settle()
                    top = wrk(f"{ceiling.url}/doc/{case.ceiling_doc}", script=wrk_script("get.lua"),
                              seconds=args.seconds)
                    settle()
                    if case.mix:
                        app = wrk(server.url, script=wrk_script("paths.lua"), script_args=(str(mix_file),),
                                  seconds=args.seconds)
                    else:
                        app = wrk(server.url + case.path, script=wrk_script("get.lua"), seconds=args.seconds)
                    pairs.append((app, top))
                results.append((case, pairs))
        if args.profile:
            settle()
            profile = profile_during(server.process.pid, args.seconds, lambda: wrk(
                f"{server.url}/api/v1/shows", script=wrk_script("get.lua"), seconds=args.seconds + 2), keep=var_dir / "profile-raw.txt")
        map_rows = asyncio.run(_map_figures(server.url, redis_url, stadium))
    finally:
        for step in reversed(cleanup):
            step()
    return _report(args, fill_s, redis_label, results, profile, map_rows)


def _report(args: argparse.Namespace, fill_s: float, redis_label: str,
            results: list[tuple[Case, list[tuple[LoadResult, LoadResult]]]], profile: str | None,
            map_rows: list[tuple[str, float, float, int]]) -> str:
    backend = "PostgreSQL" if os.environ["DATABASE_URL"].startswith("postgres") else "SQLite"
    lines = [
        f"## Catalog ({backend}, {args.shows:,} generated shows + demo data)",
        "",
        f"Database filled in {fill_s:.0f} s; {redis_label} (not pinned). One app process (uvicorn, 1 worker) pinned "
        "to core 0, `wrk` with 32 connections pinned to core 1, "
        f"{args.seconds:.0f} s per run. The ceiling (bench/ceiling.py) is bare Litestar answering the app's own "
        "answer (the default list, or the show's detail) from one Redis GET, run just before each app run; "
        f"{args.rounds} such pairs per case, the row shows the pair with the median ratio (all ratios listed).",
        "",
        "| request | req/s | p50 ms | p99 ms | errors | ceiling req/s | ratio | ratios | load avg |",
        "|---|---:|---:|---:|---:|---:|---:|---|---:|",
    ]
    for case, pairs in results:
        ranked = sorted(pairs, key=lambda pair: pair[0].rate / pair[1].rate)
        app, top = ranked[len(ranked) // 2]
        every = ", ".join(f"{a.rate / t.rate:.2f}" for a, t in pairs)
        lines.append(f"| {case.label} | {app.rate:,.0f} | {app.p50_ms:.1f} | {app.p99_ms:.1f} | {app.errors} | "
                     f"{top.rate:,.0f} | **{app.rate / top.rate:.2f}** | {every} | {app.load_average:.1f} |")
    if profile:
        lines += ["", "py-spy on the app serving the default list at the maximum rate (share of samples):", "",
                  profile]
    lines += [
        "",
        "The stadium (52,800 seats), one request at a time; bytes are what crossed the wire (compressed when the "
        "answer was):",
        "",
        "| request | p50 ms | p99 ms | bytes on the wire |",
        "|---|---:|---:|---:|",
        *(f"| {label} | {p50:.1f} | {p99:.1f} | {wire:,} |" if p50 else f"| {label} | | | {wire:,} |"
          for label, p50, p99, wire in map_rows),
        "",
        f"Load average when the run ended: {os.getloadavg()[0]:.1f}.",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--shows", type=int, default=100_000)
    parser.add_argument("--seconds", type=float, default=6.0)
    parser.add_argument("--rounds", type=int, default=3, help="ceiling/app pairs per case (the median is shown)")
    parser.add_argument("--profile", action="store_true", help="also sample the app with py-spy under load")
    parser.add_argument("--redis", help="a Redis URL to use (default REDIS_URL, else an embedded Valkey)")
    args = parser.parse_args()
    with bench_environment():
        bind_database()
        body = _run(args)
        backend = "postgresql" if os.environ["DATABASE_URL"].startswith("postgres") else "sqlite"
    publish(f"catalog-{backend}", body)


if __name__ == "__main__":
    main()
