"""Seating-plan import benchmark: a 60,000-seat plan in pretix's format through POST /api/v1/organizer/venues, from
the request to the committed rows (the answer comes after the commit; the seats are counted afterwards).

A fresh database (SQLite, or DATABASE_URL=postgresql://... on which a bench database is made and dropped), an
embedded Valkey, the app (`python -m backend.launcher.serve`, one uvicorn worker) pinned to core 0, this client on
core 1. The plan: 24 zones of 50 rows of 50 seats, four categories, fractional positions, a UUID on every seat as
pretix's editor writes them, sent compactly (about 11 MB). Each round imports it under a new venue name (a new
venue, 201); then the same body once more (200: found by its layout hash, nothing written). The steps of one
import are also timed here, in this process, for where the time goes.

Goal (issue 23): under 10 s. Run: `.venv/bin/python bench/seating_import.py [--rounds 3] [--dry-run]`, with
DATABASE_URL=postgresql://... for PostgreSQL. Writes the "Seating import" section of docs/performance.md (one per
database).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.loadgen import CLIENT_CPU, pin
from bench.report import bench_environment, bind_database, publish

PASSWORD = "correct horse battery staple"
ZONES, ROWS, SEATS = 24, 50, 50  # 60,000 seats
GOAL_SECONDS = 10.0


def plan() -> dict[str, Any]:
    categories = ["Kategorie 1", "Kategorie 2", "Kategorie 3", "Kategorie 4"]
    zones = []
    for z in range(ZONES):
        rows = [{"row_number": str(r + 1), "position": {"x": 0, "y": r * 13.5},
                 "seats": [{"seat_guid": f"z{z}-r{r + 1}-s{s + 1}", "uuid": str(uuid.uuid4()),
                            "seat_number": str(s + 1), "position": {"x": s * 11.25 + (r % 2) * 0.5, "y": 0.0},
                            "category": categories[min(3, r // 13)]} for s in range(SEATS)]}
                for r in range(ROWS)]
        zones.append({"name": f"Block {z + 1}", "zone_id": f"block-{z + 1}",
                      "position": {"x": (z % 6) * 620.0, "y": (z // 6) * 720.0}, "rows": rows})
    return {"name": "Bench arena", "categories": [{"name": c} for c in categories], "zones": zones,
            "size": {"width": 3800, "height": 2900}}


def body(seating_plan: dict[str, Any], name: str) -> bytes:
    return json.dumps({"name": name, "city": "Bench", "lat": 50.0, "lng": 8.0, "seating_plan": seating_plan},
                      separators=(",", ":")).encode()


async def _organizer() -> tuple[str, int]:
    from backend.organizer.staff import create_organizer

    email = "bench-organizer@example.com"
    account = await create_organizer(email, "Bench organizers", password=PASSWORD)
    return email, account.organization_id


async def _seats_of(venue_id: int) -> int:
    from db.tables import Seat

    return await Seat.count().where(Seat.venue == venue_id)


def _timed(step: Callable[[], Any]) -> tuple[Any, float]:
    started = time.perf_counter()
    result = step()
    return result, time.perf_counter() - started


def _steps(raw: bytes, organization_id: int) -> dict[str, float]:
    """One import's steps, here in this process: what the server does between receiving and answering."""
    import msgspec

    from backend.edge.screening import screen_body
    from backend.organizer.plans import read_plan
    from db.seating import insert_venue, layout_hash

    figures = {}
    refusal, figures["edge screening (decode, depth, card data)"] = _timed(
        lambda: screen_body(raw, "application/json", limit=64 << 20, file_body=True))
    assert refusal is None, refusal
    plan_raw = bytes(msgspec.json.decode(raw, type=dict[str, msgspec.Raw])["seating_plan"])
    read, figures["read and check the plan (msgspec Structs, walk)"] = _timed(lambda: read_plan(plan_raw))
    digest, figures["layout hash"] = _timed(lambda: layout_hash(read.seating))
    started = time.perf_counter()
    asyncio.run(insert_venue(name="Bench steps", city="Bench", lat=0.0, lng=0.0, organization=organization_id,
                             seating=read.seating, plan_meta=read.meta, digest=digest))
    figures["write venue, sections, 60,000 seats (one transaction)"] = time.perf_counter() - started
    return figures


def _run(rounds: int) -> str:
    import httpx

    from backend.launcher.embedded_valkey import start_valkey
    from backend.launcher.processes import stop
    from tests.support.servers import ServerProcess

    var_dir = Path(os.environ["VAR_DIR"])
    cleanup: list[Callable[[], None]] = []
    seating_plan = plan()
    try:
        valkey, redis_url = start_valkey(var_dir / "valkey")
        cleanup.append(lambda: stop(valkey))
        server = ServerProcess(var_dir=var_dir, name="bench-seating", env={"REDIS_URL": redis_url})
        server.start()
        cleanup.append(server.stop)
        assert server.process is not None
        pin(server.process.pid)
        email, organization_id = asyncio.run(_organizer())
        timings: list[float] = []
        sizes: list[int] = []
        with httpx.Client(base_url=server.url, timeout=120) as client:
            assert client.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD}).status_code == 200
            for n in range(rounds):
                raw = body(seating_plan, f"Bench arena {n + 1}")
                sizes.append(len(raw))
                started = time.perf_counter()
                response = client.post("/api/v1/organizer/venues", content=raw,
                                       headers={"Content-Type": "application/json"})
                timings.append(time.perf_counter() - started)
                assert response.status_code == 201, response.text[:300]
                answer = response.json()
                assert answer["seats"] == ZONES * ROWS * SEATS
                assert asyncio.run(_seats_of(int(answer["venue_id"]))) == ZONES * ROWS * SEATS
            started = time.perf_counter()
            again = client.post("/api/v1/organizer/venues", content=raw, headers={"Content-Type": "application/json"})
            repeat = time.perf_counter() - started
            assert again.status_code == 200 and again.json() == answer, again.text[:300]
        load = os.getloadavg()
        steps = _steps(raw, organization_id)
    finally:
        for step in reversed(cleanup):
            step()
    return _report(timings, repeat, sizes[0], steps, load)


def _report(timings: list[float], repeat: float, size: int, steps: dict[str, float],
            load: tuple[float, float, float]) -> str:
    backend = "PostgreSQL" if os.environ.get("DATABASE_URL", "").startswith("postgres") else "SQLite"
    seats = ZONES * ROWS * SEATS
    lines = [
        f"## Seating import ({backend})",
        "",
        f"A {seats:,}-seat plan in pretix's format ({ZONES} zones of {ROWS} rows of {SEATS} seats, UUIDs, "
        f"fractional positions; {size / 1e6:.1f} MB compact) through `POST /api/v1/organizer/venues`, from the "
        "request to the answer, which comes after the commit (the seats were counted after each round). The app: "
        "one uvicorn worker pinned to core 0; this client on core 1. Goal: under "
        f"{GOAL_SECONDS:.0f} s.",
        "",
        "| round | seconds |",
        "|---|---:|",
        *(f"| {n}. new venue (201) | {t:.2f} |" for n, t in enumerate(timings, 1)),
        f"| the same plan again (200, nothing written) | {repeat:.2f} |",
        "",
        f"Median **{statistics.median(timings):.2f} s**, worst {max(timings):.2f} s. Load average (1, 5, 15 min) "
        f"when the rounds ended: {load[0]:.1f}, {load[1]:.1f}, {load[2]:.1f} (2 cores, shared).",
        "",
        "Where one import's time goes (the same steps run once more in the bench process, not pinned):",
        "",
        "| step | seconds |",
        "|---|---:|",
        *(f"| {label} | {seconds:.2f} |" for label, seconds in steps.items()),
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--dry-run", action="store_true", help="print the section, leave docs/performance.md")
    args = parser.parse_args()
    os.sched_setaffinity(0, {int(CLIENT_CPU)})
    with bench_environment():
        bind_database()
        text = _run(args.rounds)
    backend = "postgresql" if os.environ.get("DATABASE_URL", "").startswith("postgres") else "sqlite"
    publish(f"seating-import-{backend}", text, dry_run=args.dry_run)


if __name__ == "__main__":
    main()
