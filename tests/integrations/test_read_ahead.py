"""The engine reads ahead of its writes: the reader's items arrive in order, its failure (even
a `BaseException`, as a killed worker's) reaches the writer after the items read before it,
and a writer that stops early stops the reader."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from brain.integrations.engine import _read_ahead


class Killed(BaseException):
    pass


async def test_items_arrive_in_order_and_the_reader_runs_ahead() -> None:
    produced: list[int] = []

    async def source() -> AsyncIterator[int]:
        for i in range(10):
            produced.append(i)
            yield i

    seen = []
    async for item in _read_ahead(source(), 3):
        await asyncio.sleep(0)  # the writer's I/O: the reader gets to run meanwhile
        seen.append(item)
        assert len(produced) >= len(seen)
    assert seen == list(range(10))


async def test_a_failure_of_the_reader_follows_the_items_before_it() -> None:
    async def source() -> AsyncIterator[int]:
        yield 1
        yield 2
        raise Killed("worker killed")

    seen: list[int] = []

    async def consume() -> None:
        async for item in _read_ahead(source(), 8):
            seen.append(item)

    with pytest.raises(Killed, match="worker killed"):
        await consume()
    assert seen == [1, 2]


async def test_a_writer_that_stops_early_stops_the_reader() -> None:
    closed = asyncio.Event()

    async def source() -> AsyncIterator[int]:
        try:
            i = 0
            while True:
                yield i
                i += 1
        finally:
            closed.set()

    pages = _read_ahead(source(), 2)
    async for item in pages:
        if item == 3:
            break
    await pages.aclose()
    assert closed.is_set()
