"""Pooled PostgreSQL connections: no ping while busy, a ping (and a fresh connection when the
server closed the old one) after sitting idle."""

from __future__ import annotations

import os

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from brain.core.db import install_idle_ping

URL = os.environ.get("BRAIN_TEST_DATABASE_URL", "")
pytestmark = pytest.mark.skipif(
    not URL.startswith("postgresql"), reason="pooled connections are PostgreSQL's"
)


async def test_busy_connections_are_not_pinged() -> None:
    engine = create_async_engine(URL, pool_size=1, max_overflow=0)
    pings: list[int] = []
    original = engine.sync_engine.dialect.do_ping

    def counting_ping(dbapi_conn: object) -> bool:
        pings.append(1)
        return bool(original(dbapi_conn))

    engine.sync_engine.dialect.do_ping = counting_ping  # type: ignore[method-assign]
    install_idle_ping(engine, idle_seconds=60)
    try:
        for _ in range(5):
            async with engine.connect() as conn:
                assert (await conn.execute(text("SELECT 1"))).scalar() == 1
        assert pings == []
    finally:
        await engine.dispose()


async def test_a_connection_closed_while_idle_is_replaced() -> None:
    engine = create_async_engine(URL, pool_size=1, max_overflow=0)
    install_idle_ping(engine, idle_seconds=0)
    admin = create_async_engine(URL)
    try:
        async with engine.connect() as conn:
            pid = (await conn.execute(text("SELECT pg_backend_pid()"))).scalar()
        # The server closes the pooled connection while it sits idle in the pool.
        async with admin.connect() as other:
            await other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        async with engine.connect() as conn:
            new_pid = (await conn.execute(text("SELECT pg_backend_pid()"))).scalar()
        assert new_pid != pid
    finally:
        await engine.dispose()
        await admin.dispose()
