"""Catalog benchmark: search, near and pagination over 100,000 shows, and the stadium's seat map.

Fills a fresh database (SQLite by default; DATABASE_URL=postgresql://... for PostgreSQL) with the demo data plus
100,000 generated shows over 2,000 venues, starts a real server process, and times requests through HTTP.
Run: `.venv/bin/python bench/catalog.py [--shows 100000]`. Writes the "Catalog" section of docs/performance.md.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.report import bind_database, percentile, prepare_environment, publish

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
        if len(batch) == 5000:
            await Show.insert(*batch)
            batch = []
    if batch:
        await Show.insert(*batch)



async def _time(client, path: str, params: dict | None = None, headers: dict | None = None,
                repeat: int = 30) -> tuple[float, float, int]:
    timings, size = [], 0
    for _ in range(repeat):
        started = time.perf_counter()
        response = await client.get(path, params=params, headers=headers)
        timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code in (200, 304), (path, response.status_code, response.text[:200])
        size = len(response.content)
    return statistics.median(timings), percentile(timings, 99), size


async def _run(shows: int) -> str:
    import httpx

    from backend.embedded_valkey import start_valkey
    from backend.processes import stop
    from tests.support.servers import ServerProcess

    started = time.perf_counter()
    await _fill(shows)
    fill_s = time.perf_counter() - started
    valkey, redis_url = start_valkey(Path(os.environ["VAR_DIR"]) / "valkey")
    server = ServerProcess(var_dir=Path(os.environ["VAR_DIR"]),
                           env={"REDIS_URL": redis_url, "STRIPE_SECRET_KEY": "sk_test_bench"}, name="bench")
    server.start()
    rows = []
    try:
        async with httpx.AsyncClient(base_url=server.url, timeout=60) as client:
            first = (await client.get("/api/v1/shows", params={"limit": 20})).json()
            cases = [
                ("upcoming, first page (limit 20)", "/api/v1/shows", {"limit": 20}),
                ("upcoming, next page via cursor", "/api/v1/shows", {"limit": 20, "cursor": first["next_cursor"]}),
                ("text q=jazz", "/api/v1/shows", {"q": "jazz", "limit": 20}),
                ("text q=jazz festival paris", "/api/v1/shows", {"q": "jazz festival paris", "limit": 20}),
                ("near Paris, 50 km", "/api/v1/shows", {"near": "48.8566,2.3522", "radius_km": 50, "limit": 20}),
                ("near Oslo, 10 km + q=rock", "/api/v1/shows",
                 {"near": "59.9139,10.7522", "radius_km": 10, "q": "rock", "limit": 20}),
                ("date window of one week", "/api/v1/shows",
                 {"from": "2027-03-01T00:00:00Z", "to": "2027-03-08T00:00:00Z", "limit": 20}),
            ]
            for label, path, params in cases:
                p50, p99, size = await _time(client, path, params)
                rows.append((label, p50, p99, size))
            stadium = (await client.get("/api/v1/shows", params={"q": "Summer Stadium"})).json()["items"][0]["id"]
            map_path = f"/api/v1/shows/{stadium}/map"
            cold_start = time.perf_counter()
            await client.get(map_path, headers={"Accept-Encoding": "gzip"})
            cold = (time.perf_counter() - cold_start) * 1000
            rows.append(("stadium map 52,800 seats, first request (cold layout)", cold, cold, 0))
            p50, p99, size = await _time(client, map_path, headers={"Accept-Encoding": "gzip"})
            rows.append(("stadium map, warm, gzip", p50, p99, size))
            p50, p99, size = await _time(client, map_path, headers={"Accept-Encoding": "identity"}, repeat=10)
            rows.append(("stadium map, warm, identity", p50, p99, size))
            etag = (await client.get(map_path)).headers["etag"]
            p50, p99, size = await _time(client, map_path, headers={"If-None-Match": etag})
            rows.append(("stadium map, unchanged (304)", p50, p99, size))
    finally:
        server.stop()
        stop(valkey)
    backend = "PostgreSQL" if os.environ["DATABASE_URL"].startswith("postgres") else "SQLite"
    lines = [
        f"## Catalog ({backend}, {shows:,} generated shows + demo data)",
        "",
        f"Database filled in {fill_s:.0f} s. One server process, one client, sequential requests over loopback.",
        "",
        "| request | p50 ms | p99 ms | bytes |",
        "|---|---:|---:|---:|",
    ]
    lines += [f"| {label} | {p50:.1f} | {p99:.1f} | {size:,} |" for label, p50, p99, size in rows]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--shows", type=int, default=100_000)
    args = parser.parse_args()
    prepare_environment()
    bind_database()

    body = asyncio.run(_run(args.shows))
    backend = "postgresql" if os.environ["DATABASE_URL"].startswith("postgres") else "sqlite"
    publish(f"catalog-{backend}", body)


if __name__ == "__main__":
    main()
