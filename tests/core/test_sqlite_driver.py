"""The batched aiosqlite connection: same results as plain aiosqlite, fewer thread hand-offs
(one per statement instead of four, none for commit/rollback outside a transaction), and big
results still fetched in parts rather than all at once."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from brain.core import sqlite_driver
from brain.core.db import WRITER_INFO_KEY, create_engine, create_session_factory
from brain.settings import Settings


class Counting:
    """Counts the calls a connection sends to its thread."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls = 0
        original = sqlite_driver.BatchedConnection.call

        async def counted(conn: Any, fn: Any, *args: Any) -> Any:
            self.calls += 1
            return await original(conn, fn, *args)

        monkeypatch.setattr(sqlite_driver.BatchedConnection, "call", counted)


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    settings = Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'driver.db'}",
                        var_dir=tmp_path, secret_key="x" * 40,
                        _env_file=None)  # type: ignore[call-arg]
    engine = create_engine(settings)
    async with engine.begin() as conn:
        await conn.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, label TEXT)"))
    yield engine
    await engine.dispose()


async def test_connections_are_batched(engine: AsyncEngine) -> None:
    async with engine.connect() as conn:
        raw = await conn.get_raw_connection()
        assert isinstance(raw.driver_connection, sqlite_driver.BatchedConnection)


async def test_a_read_request_costs_no_hand_off(
    engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with engine.begin() as conn:
        await conn.execute(text("INSERT INTO t (label) VALUES ('a'), ('b'), ('c')"))
    counting = Counting(monkeypatch)
    make = create_session_factory(engine)
    async with make() as session:
        rows = (await session.execute(text("SELECT id, label FROM t ORDER BY id"))).all()
        await session.commit()
    assert [tuple(r) for r in rows] == [(1, "a"), (2, "b"), (3, "c")]
    # BEGIN, the SELECT with its rows and COMMIT all ran on the calling thread.
    assert counting.calls == 0


async def test_a_write_request_runs_on_the_thread(
    engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    counting = Counting(monkeypatch)
    make = create_session_factory(engine)
    async with make() as session:
        session.info[WRITER_INFO_KEY] = True
        await session.execute(text("INSERT INTO t (label) VALUES ('w')"))
        await session.commit()
    # BEGIN IMMEDIATE (it may wait for the write lock), the INSERT, COMMIT.
    assert counting.calls == 3
    make = create_session_factory(engine)
    counting.calls = 0
    async with make() as session:
        assert (await session.execute(text("SELECT label FROM t"))).scalar() == "w"
        await session.execute(text("UPDATE t SET label = 'v'"))
        await session.commit()
    # A read inline, then a write: the write and the COMMIT go to the thread.
    assert counting.calls == 2
    async with engine.connect() as conn:
        assert (await conn.execute(text("SELECT label FROM t"))).scalar() == "v"


@pytest.fixture
def no_inline_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every read that gets as far as a progress check runs past the budget."""
    monkeypatch.setattr(sqlite_driver, "PROGRESS_INSTRUCTIONS", 100)
    monkeypatch.setattr(sqlite_driver, "INLINE_BUDGET_SECONDS", 0.0)
    monkeypatch.setattr(sqlite_driver, "_SLOW", type(sqlite_driver._SLOW)())


@pytest.mark.usefixtures("no_inline_budget")
async def test_a_read_past_the_budget_moves_to_the_thread(
    engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A plain SELECT (over a recursive one) of some 20,000 rows' worth of work.
    select = ("SELECT count(*), sum(i) FROM (WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL "
              "SELECT i + 1 FROM n WHERE i < 20000) SELECT i FROM n)")
    counting = Counting(monkeypatch)
    async with engine.connect() as conn:
        # Interrupted on the calling thread, run again on the connection's: the same answer.
        assert tuple((await conn.execute(text(select))).one()) == (20000, 200010000)
        assert counting.calls == 1
        assert select in sqlite_driver._SLOW
        # Known to be slow: straight to the thread.
        assert tuple((await conn.execute(text(select))).one()) == (20000, 200010000)
        assert counting.calls == 2
        # The connection is as good as before.
        assert (await conn.execute(text("SELECT count(*) FROM t"))).scalar() == 0
        # Once it runs fast on the thread, it comes back to the calling thread.
        monkeypatch.setattr(sqlite_driver, "INLINE_BUDGET_SECONDS", 60.0)
        assert tuple((await conn.execute(text(select))).one()) == (20000, 200010000)
        assert select not in sqlite_driver._SLOW
        calls = counting.calls
        assert tuple((await conn.execute(text(select))).one()) == (20000, 200010000)
        assert counting.calls == calls


async def test_results_bigger_than_one_hand_off_are_complete(engine: AsyncEngine) -> None:
    total = sqlite_driver.PREFETCH_ROWS * 3 + 7
    async with engine.begin() as conn:
        await conn.execute(
            text("INSERT INTO t (label) VALUES (:label)"),
            [{"label": f"row {i}"} for i in range(total)],
        )
    async with engine.connect() as conn:
        rows = (await conn.execute(text("SELECT id FROM t ORDER BY id"))).all()
        assert [r[0] for r in rows] == list(range(1, total + 1))
        # A streamed result arrives in parts and still ends complete.
        streamed: list[int] = []
        result = await conn.stream(text("SELECT id FROM t ORDER BY id"))
        async for part in result.partitions(100):
            assert len(part) <= 100
            streamed.extend(r[0] for r in part)
        assert streamed == list(range(1, total + 1))


async def test_exactly_one_buffer_of_rows(engine: AsyncEngine) -> None:
    total = sqlite_driver.PREFETCH_ROWS
    async with engine.begin() as conn:
        await conn.execute(
            text("INSERT INTO t (label) VALUES (:label)"),
            [{"label": str(i)} for i in range(total)],
        )
    async with engine.connect() as conn:
        assert len((await conn.execute(text("SELECT id FROM t"))).all()) == total
        assert (await conn.execute(text("SELECT count(*) FROM t"))).scalar() == total


async def test_writes_report_rowcount_and_lastrowid(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        inserted = await conn.execute(text("INSERT INTO t (label) VALUES ('x')"))
        assert inserted.lastrowid == 1
        await conn.execute(text("INSERT INTO t (label) VALUES ('y'), ('z')"))
        updated = await conn.execute(text("UPDATE t SET label = 'w' WHERE id > 1"))
        assert updated.rowcount == 2
        returned = await conn.execute(
            text("INSERT INTO t (label) VALUES ('r') RETURNING id, label")
        )
        assert [tuple(r) for r in returned] == [(4, "r")]


async def test_errors_reach_the_caller_and_the_connection_stays_usable(
    engine: AsyncEngine,
) -> None:
    from sqlalchemy.exc import OperationalError

    async with engine.connect() as conn:
        with pytest.raises(OperationalError):
            await conn.execute(text("SELECT * FROM no_such_table"))
        await conn.rollback()
        assert (await conn.execute(text("SELECT 1"))).scalar() == 1


async def test_rollback_undoes_a_write_and_commit_keeps_it(engine: AsyncEngine) -> None:
    make = create_session_factory(engine)
    async with make() as session:
        session.info[WRITER_INFO_KEY] = True
        await session.execute(text("INSERT INTO t (label) VALUES ('gone')"))
        await session.rollback()
    async with make() as session:
        session.info[WRITER_INFO_KEY] = True
        await session.execute(text("INSERT INTO t (label) VALUES ('kept')"))
        await session.commit()
    async with engine.connect() as conn:
        labels = (await conn.execute(text("SELECT label FROM t"))).scalars().all()
    assert labels == ["kept"]


async def test_the_cursor_api_directly() -> None:
    conn = await sqlite_driver.connect(":memory:")
    try:
        async with conn.cursor() as cursor:
            assert cursor.description is None
            assert cursor.rowcount == -1
            await cursor.execute("CREATE TABLE n (v INTEGER)")
            await cursor.executemany("INSERT INTO n VALUES (?)", [(i,) for i in range(600)])
            assert cursor.rowcount == 600
            await cursor.execute("SELECT v FROM n ORDER BY v")
            assert cursor.description[0][0] == "v"
            assert await cursor.fetchone() == (0,)
            assert await cursor.fetchmany(2) == [(1,), (2,)]
            rest = await cursor.fetchall()
            assert [r[0] for r in rest] == list(range(3, 600))
            assert await cursor.fetchone() is None
            # The same cursor runs the next statement after its result was used up.
            await cursor.execute("SELECT count(*) FROM n")
            assert await cursor.fetchall() == [(600,)]
        cursor = await conn.cursor()
        await cursor.execute("SELECT v FROM n")
        assert len(await cursor.fetchmany(300)) == 300
        await cursor.close()  # closes the open sqlite3 cursor with rows left
        await conn.commit()  # outside a transaction: nothing to do
        await conn.rollback()
    finally:
        await conn.close()


async def test_a_file_database_pools_as_many_connections_as_configured(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'pool.db'}",
                        var_dir=tmp_path, secret_key="x" * 40, database_pool_size=24,
                        _env_file=None)  # type: ignore[call-arg]
    engine = create_engine(settings)
    try:
        pool: Any = engine.pool
        # Concurrent requests past the pool would each open and close a connection (and,
        # through aiosqlite, a thread) per checkout.
        assert pool.size() == 24
    finally:
        await engine.dispose()


@pytest.mark.usefixtures("no_inline_budget")
async def test_an_interrupted_read_leaves_its_write_transaction_whole(
    engine: AsyncEngine,
) -> None:
    make = create_session_factory(engine)
    async with make() as session:
        session.info[WRITER_INFO_KEY] = True
        await session.execute(text("INSERT INTO t (label) VALUES ('before')"))
        # Interrupted on the calling thread, then run on the connection's thread.
        read = ("SELECT count(*) FROM t, (WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL "
                "SELECT i + 1 FROM n WHERE i < 5000) SELECT i FROM n)")
        assert (await session.execute(text(read))).scalar() == 5000
        assert read in sqlite_driver._SLOW
        await session.execute(text("INSERT INTO t (label) VALUES ('after')"))
        await session.commit()
    async with engine.connect() as conn:
        labels = (await conn.execute(text("SELECT label FROM t ORDER BY id"))).scalars().all()
    assert labels == ["before", "after"]
