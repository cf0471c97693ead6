"""Test harness: one database per run (SQLite, or PostgreSQL with BRAIN_TEST_DATABASE_URL),
migrated once with Alembic; each test runs inside a transaction that is rolled back."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
from sqlalchemy import create_engine as create_sync_engine
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker

from brain.app import create_app
from brain.core.cache import Cache, MemoryCache, RedisCache
from brain.core.db import create_engine
from brain.core.jobs import InlineDispatcher
from brain.core.migrate import upgrade
from brain.core.runtime import Runtime
from brain.settings import Settings
from tests.factories import Tenant, make_tenant

TEST_DATABASE_URL = os.environ.get("BRAIN_TEST_DATABASE_URL", "")
TEST_REDIS_URL = os.environ.get("BRAIN_TEST_REDIS_URL", "")
SHARED_DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data"


def _sync_url(url: str) -> str:
    return url.replace("+asyncpg", "+psycopg").replace("+aiosqlite", "")


@contextmanager
def migrated_database(var_dir: Path, label: str) -> Iterator[Settings]:
    """Settings for a fresh, migrated database of its own (dropped afterwards on PostgreSQL)."""
    if TEST_DATABASE_URL:
        base = make_url(TEST_DATABASE_URL)
        name = f"brain_{label}_{os.getpid()}_{uuid.uuid4().hex[:6]}"
        admin = create_sync_engine(
            _sync_url(base.set(database="postgres").render_as_string(hide_password=False)),
            isolation_level="AUTOCOMMIT",
        )
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        url = base.set(database=name).render_as_string(hide_password=False)
    else:
        admin = None
        url = f"sqlite+aiosqlite:///{var_dir / f'{label}.db'}"
    test_settings = Settings(
        database_url=url,
        var_dir=var_dir,
        secret_key="test-secret-key-with-enough-length-0123456789",
        redis_url=TEST_REDIS_URL or None,
        rate_limit_per_minute=100_000,
        # Plan API limits (per tenant) off for the suite; tests/billing turns them on.
        plan_rate_limits=False,
        _env_file=None,  # type: ignore[call-arg]
    )
    upgrade(test_settings)
    try:
        yield test_settings
    finally:
        if admin is not None:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()


@pytest.fixture(scope="session")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    with migrated_database(tmp_path_factory.mktemp("var"), "test") as test_settings:
        yield test_settings


@pytest.fixture(scope="session")
def is_postgres(settings: Settings) -> bool:
    return not settings.is_sqlite


@pytest_asyncio.fixture(scope="session")
async def engine(settings: Settings) -> AsyncIterator[AsyncEngine]:
    eng = create_engine(settings)
    yield eng
    await eng.dispose()


@pytest_asyncio.fixture
async def connection(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    async with engine.connect() as conn:
        trans = await conn.begin()
        try:
            yield conn
        finally:
            if trans.is_active:
                await trans.rollback()


@pytest.fixture
def session_factory(connection: AsyncConnection) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(
        bind=connection,
        expire_on_commit=False,
        autoflush=False,
        join_transaction_mode="create_savepoint",
    )


@pytest_asyncio.fixture
async def cache() -> AsyncIterator[Cache]:
    if TEST_REDIS_URL:
        redis_cache = RedisCache(TEST_REDIS_URL, prefix=f"brain-test:{uuid.uuid4().hex}:")
        yield redis_cache
        await redis_cache.close()
    else:
        yield MemoryCache()


@pytest.fixture
def runtime(
    settings: Settings,
    engine: AsyncEngine,
    session_factory: async_sessionmaker[AsyncSession],
    cache: Cache,
) -> Runtime:
    return Runtime(
        settings=settings,
        engine=engine,
        session_factory=session_factory,
        cache=cache,
        owns_engine=False,
    )


@pytest.fixture
def dispatcher(runtime: Runtime) -> InlineDispatcher:
    return InlineDispatcher(runtime)


@pytest_asyncio.fixture
async def client(
    settings: Settings, runtime: Runtime, dispatcher: InlineDispatcher
) -> AsyncIterator[httpx.AsyncClient]:
    application = create_app(settings, runtime=runtime, dispatcher=dispatcher)
    transport = httpx.ASGITransport(app=application)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


@pytest_asyncio.fixture
async def db(session_factory: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """A system-mode session for arranging data directly.

    All sessions of a test share one PostgreSQL transaction, so a request in between resets
    the transaction-local RLS settings; this session re-asserts system mode before each query.
    """
    from sqlalchemy import event
    from sqlalchemy.orm import ORMExecuteState

    from brain.core.db import BYPASS_INFO_KEY

    async with session_factory() as session:
        session.info[BYPASS_INFO_KEY] = True

        @event.listens_for(session.sync_session, "do_orm_execute")
        def _reassert_system_mode(state: ORMExecuteState) -> None:
            connection = state.session.connection()
            if connection.dialect.name == "postgresql":
                connection.execute(text("SELECT set_config('app.rls_bypass', 'on', true)"))

        yield session
        await session.commit()


@pytest_asyncio.fixture
async def tenant(session_factory: async_sessionmaker[AsyncSession]) -> Tenant:
    return await make_tenant(session_factory, "Tenant A")


@pytest_asyncio.fixture
async def other_tenant(session_factory: async_sessionmaker[AsyncSession]) -> Tenant:
    return await make_tenant(session_factory, "Tenant B")
