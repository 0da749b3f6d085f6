"""Prepared answers: built once per key while fresh, rebuilt after their time, one build for concurrent misses."""

from __future__ import annotations

import asyncio
import gzip

import pytest

from backend.catalog.prepared import PreparedAnswers
from backend.errors import NotFound


async def test_an_answer_is_built_once_while_fresh_and_again_after() -> None:
    answers = PreparedAnswers(ttl=1.0, size=8)
    builds = 0

    async def build() -> bytes:
        nonlocal builds
        builds += 1
        await asyncio.sleep(0.01)
        return b'{"n":%d}' % builds

    first = await asyncio.gather(*(answers.get("list", build) for _ in range(20)))
    assert builds == 1 and {a.body for a in first} == {b'{"n":1}'}
    assert gzip.decompress(first[0].gzipped) == b'{"n":1}' and first[0].etag.startswith('"c')
    assert (await answers.get("list", build)).body == b'{"n":1}'
    await asyncio.sleep(1.05)
    assert (await answers.get("list", build)).body == b'{"n":2}'
    assert (await answers.get("other", build)).body == b'{"n":3}'


async def test_a_failed_build_is_not_kept() -> None:
    answers = PreparedAnswers(ttl=10, size=8)
    outcomes = iter([NotFound("No such show."), b"{}"])

    async def build() -> bytes:
        outcome = next(outcomes)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    with pytest.raises(NotFound):
        await answers.get(7, build)
    assert (await answers.get(7, build)).body == b"{}"


async def test_the_oldest_answers_go_first_beyond_the_size() -> None:
    answers = PreparedAnswers(ttl=10, size=2)
    built: list[str] = []

    def builder(key: str):
        async def build() -> bytes:
            built.append(key)
            return key.encode()
        return build

    for key in ("a", "b", "c", "a"):
        await answers.get(key, builder(key))
    assert built == ["a", "b", "c", "a"]
