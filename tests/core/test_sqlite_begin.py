"""SQLite transactions: a session that will write opens with BEGIN IMMEDIATE and waits for the
write lock, so another connection's commit between its read and its write cannot make it
fail; reading sessions stay deferred and never wait."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import event, text
from sqlalchemy.exc import OperationalError

from brain.core.db import WRITER_INFO_KEY, create_engine, create_session_factory
from brain.settings import Settings


@pytest.fixture
async def factory(tmp_path: Path):  # type: ignore[no-untyped-def]
    settings = Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'begin.db'}",
                        var_dir=tmp_path, secret_key="x" * 40,
                        _env_file=None)  # type: ignore[call-arg]
    engine = create_engine(settings)
    async with engine.begin() as conn:
        await conn.execute(text("CREATE TABLE t (x INTEGER)"))
    statements: list[str] = []

    @event.listens_for(engine.sync_engine, "before_cursor_execute")
    def _seen(_conn, _cursor, statement, *_):  # type: ignore[no-untyped-def]
        statements.append(statement)

    yield create_session_factory(engine), statements
    await engine.dispose()


async def test_a_writer_opens_with_begin_immediate_a_reader_with_begin(factory) -> None:  # type: ignore[no-untyped-def]
    make, statements = factory
    async with make() as writer:
        writer.info[WRITER_INFO_KEY] = True
        await writer.execute(text("SELECT count(*) FROM t"))
        await writer.commit()
    async with make() as reader:
        await reader.execute(text("SELECT count(*) FROM t"))
        await reader.commit()
    assert [s for s in statements if s.startswith("BEGIN")] == ["BEGIN IMMEDIATE", "BEGIN"]


async def test_a_commit_between_a_writers_read_and_write_waits_instead_of_failing(
    factory,  # type: ignore[no-untyped-def]
) -> None:
    make, _ = factory
    async with make() as writer:
        writer.info[WRITER_INFO_KEY] = True
        assert (await writer.execute(text("SELECT count(*) FROM t"))).scalar() == 0

        async def other_connection_writes() -> None:
            async with make() as other:
                other.info[WRITER_INFO_KEY] = True
                await other.execute(text("INSERT INTO t VALUES (2)"))
                await other.commit()

        other = asyncio.create_task(other_connection_writes())
        await asyncio.sleep(0.3)
        assert not other.done()  # it waits for the write lock the writer holds
        await writer.execute(text("INSERT INTO t VALUES (1)"))
        await writer.commit()
        await asyncio.wait_for(other, 10)
    async with make() as check:
        assert sorted((await check.execute(text("SELECT x FROM t"))).scalars()) == [1, 2]


async def test_without_it_the_same_interleaving_fails_at_once(factory) -> None:  # type: ignore[no-untyped-def]
    make, _ = factory
    async with make() as deferred:
        await deferred.execute(text("SELECT count(*) FROM t"))
        async with make() as other:
            await other.execute(text("INSERT INTO t VALUES (2)"))
            await other.commit()
        with pytest.raises(OperationalError, match="database is locked"):
            await deferred.execute(text("INSERT INTO t VALUES (1)"))
        await deferred.rollback()
