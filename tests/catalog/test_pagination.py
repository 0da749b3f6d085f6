"""Keyset pagination and the date window, on shows made for each test in a time slot no other show uses: pages
over rows with equal starts_at, pages with inserts between them, a window whose every show inside is listed and
none outside, and search text carrying injection that neither widens the result nor changes the data."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

import httpx

from db.tables import Show
from tests.support.data import create_show


def _slot() -> datetime:
    """A start time (whole seconds) some centuries ahead that only this test uses."""
    return (datetime(2400, 1, 1, tzinfo=UTC) + timedelta(minutes=secrets.randbelow(10**8))).replace(microsecond=0)


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


async def _shows_at(moments: list[datetime], title: str | None = None) -> list[int]:
    ids = []
    for moment in moments:
        show = await create_show(rows=1, seats_per_row=2, title=title)
        await Show.update({Show.starts_at: moment}).where(Show.id == show.id)
        ids.append(show.id)
    return ids


async def _walk(anon: httpx.AsyncClient, params: dict, between_pages=None) -> list[int]:
    seen: list[int] = []
    cursor = None
    for page_number in range(100):
        page = (await anon.get("/api/v1/shows", params={**params, **({"cursor": cursor} if cursor else {})})).json()
        seen += [int(item["id"]) for item in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            return seen
        if between_pages:
            await between_pages(page_number)
    raise AssertionError("pagination did not end")


async def test_pages_over_equal_start_times_visit_each_show_once(anon: httpx.AsyncClient) -> None:
    slot = _slot()
    ids = await _shows_at([slot] * 7)
    seen = await _walk(anon, {"from": _iso(slot), "to": _iso(slot), "limit": 2})
    assert seen == sorted(ids)  # ties broken by id, none skipped or repeated


async def test_inserts_between_pages_are_neither_repeated_nor_skip_anything(anon: httpx.AsyncClient) -> None:
    slot = _slot()
    ids = await _shows_at([slot] * 4 + [slot + timedelta(minutes=1)] * 3)
    inserted: list[int] = []

    async def insert(page_number: int) -> None:
        if page_number == 0:
            # One before the cursor (never listed now), one tied with the cursor's time (after it: later id).
            inserted.extend(await _shows_at([slot - timedelta(minutes=1), slot]))

    seen = await _walk(anon, {"from": _iso(slot - timedelta(minutes=5)), "to": _iso(slot + timedelta(minutes=5)),
                              "limit": 2}, insert)
    assert len(seen) == len(set(seen)), seen
    assert set(ids) <= set(seen)
    assert inserted[0] not in seen and inserted[1] in seen
    starts = {int(i): s for i, s in ((row["id"], row["starts_at"]) for row in await Show.select(
        Show.id, Show.starts_at).where(Show.id.is_in(seen)))}
    assert [(starts[i], i) for i in seen] == sorted((starts[i], i) for i in seen)


async def test_a_date_window_lists_every_show_inside_and_none_outside(anon: httpx.AsyncClient) -> None:
    start = _slot()
    end = start + timedelta(hours=6)
    inside = await _shows_at([start, start + timedelta(hours=1), start + timedelta(hours=3), end])
    outside = await _shows_at([start - timedelta(seconds=1), end + timedelta(seconds=1),
                               start - timedelta(days=1), end + timedelta(days=1)])
    seen = await _walk(anon, {"from": _iso(start), "to": _iso(end), "limit": 3})
    assert set(inside) <= set(seen)
    assert not set(outside) & set(seen)
    moments = [row["starts_at"] for row in await Show.select(Show.starts_at).where(Show.id.is_in(seen))]
    assert all(start <= moment <= end for moment in moments)


INJECTIONS = ["' OR '1'='1", "' OR 1=1 --", "\"; DROP TABLE show; --", "*) OR (1=1", "%' OR title LIKE '%",
              "NEAR(a b)", "a OR b", "\\' UNION SELECT * FROM profile --"]


async def test_injection_in_search_text_neither_widens_the_result_nor_changes_data(anon: httpx.AsyncClient) -> None:
    token = f"zq{secrets.token_hex(4)}"
    [mine] = await _shows_at([_slot()], title=f"Recital {token}")
    total = await Show.count()
    for injection in INJECTIONS:
        for text in (f"{token} {injection}", f"{token}{injection}", injection):
            response = await anon.get("/api/v1/shows", params={"q": text, "limit": 100})
            assert response.status_code in (200, 400), (text, response.text)
            if response.status_code == 200:
                ids = {int(item["id"]) for item in response.json()["items"]}
                assert ids <= {mine} or token not in text, (text, ids)
                # Whatever matched holds the words of the query: nothing was matched "by default".
                titles = [item["title"].lower() + " " + item["venue"]["name"].lower()
                          for item in response.json()["items"]]
                assert len(titles) < 100, text
    assert await Show.count() == total
    assert (await anon.get("/api/v1/shows", params={"q": token})).json()["items"][0]["id"] == str(mine)
