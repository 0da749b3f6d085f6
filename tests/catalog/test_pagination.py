"""Keyset pagination and the date window, on shows made for each test in a time slot no other show uses: pages
over rows with equal starts_at, pages with inserts between them, a window whose every show inside is listed and
none outside, and search text carrying injection that neither widens the result nor changes the data."""

from __future__ import annotations

import re
import secrets
import unicodedata
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
        response = await anon.get("/api/v1/shows", params={**params, **({"cursor": cursor} if cursor else {})})
        assert response.status_code == 200, (params, response.status_code, response.text[:300])
        page = response.json()
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


# What a client may send to break out of the search: SQL quotes and comments, LIKE wildcards (% and _), FTS5 and
# tsquery operators, backslashes, unbalanced brackets. Only the words count; the rest must mean nothing.
INJECTIONS = [
    "' OR '1'='1",
    "' OR 1=1 --",
    '"; DROP TABLE show; --',
    "*) OR (1=1",
    "%' OR title LIKE '%",
    "NEAR(a b)",
    "a OR b",
    "\\' UNION SELECT * FROM profile --",
    "%",
    "_",
    "%_%",
    "'",
    "''",
    '"',
    "\\",
    "\\%",
    "a%",
    "b_",
    "!a | b",
    "a:* | b",
    "-a",
    "a & !b",
    "(",
    ")",
    "*",
]
# What FTS5's unicode61 tokenizer and PostgreSQL's 'simple' parser both call a word: letters and digits (the
# underscore is a separator to both).
WORD = re.compile(r"[^\W_]+")


def _words(text: str) -> list[str]:
    folded = "".join(c for c in unicodedata.normalize("NFKD", text.lower()) if not unicodedata.combining(c))
    return WORD.findall(folded)


def _pieces(word: str) -> list[str]:
    """A word as PostgreSQL's text parser may also read it: one that starts with digits can be a number followed by
    a word ("33e27a" is the number 33e27 and the word "a"), so its runs of letters and of digits count too."""
    return [word, *re.findall(r"[^\W\d_]+|\d+", word)] if word[:1].isdigit() else [word]


def _matches(search_text: str, query: str, *, as_postgres_may_read_it: bool = False) -> bool:
    """q's meaning, worked out here rather than asked of the server: every word of the query begins a word of the
    show's title, venue or city. A query with no word at all (only punctuation) matches nothing. Shows made by other
    tests carry random hex ("Test Show 33e27a"): for them, `as_postgres_may_read_it` also lets a query word begin
    one of the pieces PostgreSQL's parser may cut such a word into."""
    have = _words(search_text)
    if as_postgres_may_read_it:
        have = [piece for word in have for piece in _pieces(word)]
    wanted = _words(query)
    return bool(wanted) and all(any(word.startswith(w) for word in have) for w in wanted)


async def _search_texts(ids: list[int]) -> dict[int, str]:
    rows = await Show.select(Show.id, Show.search_text).where(Show.id.is_in(ids)) if ids else []
    return {row["id"]: row["search_text"] for row in rows}


async def test_injection_in_search_text_neither_widens_the_result_nor_changes_data(anon: httpx.AsyncClient) -> None:
    """Each search answers 200 with exactly the shows whose words the query's words begin: metacharacters neither
    widen the result (`%`, `_`, a quote or `OR` matching everything), nor narrow it (a lone quote erroring), nor
    change data. Three shows of this test's own tell the cases apart: one with the token only, one with the token
    and every word the injections carry, one with those words but not the token. The other parameters refuse the
    same strings with 400."""
    token = f"zq{secrets.token_hex(4)}"
    every_word = " ".join(sorted({word for injection in INJECTIONS for word in _words(injection)}))
    slot = _slot()
    titles = [f"Recital {token}", f"Recital {token} {every_word}", f"Decoy {every_word}"]
    mine = {(await _shows_at([slot], title=title))[0]: title for title in titles}
    total = await Show.count()
    for injection in INJECTIONS:
        for text in (f"{token} {injection}", f"{token}{injection}", injection):
            assert len(_words(text)) <= 8, text  # the server reads the first 8 words only
            found = await _walk(anon, {"q": text, "limit": 100})
            texts = await _search_texts(found)
            wrong = {show_id: words for show_id, words in texts.items()
                     if not _matches(words, text, as_postgres_may_read_it=show_id not in mine)}
            assert not wrong, (text, wrong)
            expected = {show_id for show_id, title in mine.items() if _matches(f"{title} Test Hall Paris", text)}
            assert set(found) & set(mine) == expected, (text, set(found) & set(mine), expected)
        for name in ("near", "radius_km", "from", "to", "limit", "cursor"):
            response = await anon.get("/api/v1/shows", params={"q": token, name: injection})
            assert response.status_code == 400 and response.json()["error"], (name, injection, response.text[:300])
    assert await Show.count() == total
    assert {
        show_id: words.removesuffix(" Test Hall Paris") for show_id, words in (await _search_texts(list(mine))).items()
    } == mine
    found = await _walk(anon, {"q": token})
    assert sorted(found) == sorted(mine)[:2]
