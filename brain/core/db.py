"""Database engine, sessions and the per-transaction tenant setting used by row-level security."""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import Session, SessionTransaction
from sqlalchemy.pool import NullPool

from brain.core import sqlite_driver
from brain.settings import Settings

# A pooled PostgreSQL connection that sat idle may have been closed by the server, a proxy or a
# restart in the meantime. SQLAlchemy's `pool_pre_ping` pings on every checkout — one extra
# round trip on every request; Brain pings only connections idle for longer than this.
IDLE_PING_SECONDS = 10.0
ORG_INFO_KEY = "brain_org_id"
# A session that will write (SQLite opens its transactions with BEGIN IMMEDIATE).
WRITER_INFO_KEY = "brain_writer"
BYPASS_INFO_KEY = "brain_rls_bypass"


def is_postgres(engine_or_conn: AsyncEngine | Connection) -> bool:
    return engine_or_conn.dialect.name == "postgresql"


def ensure_sqlite_directory(url: str) -> None:
    """SQLite creates the database file but not its directory (`var/` on a fresh checkout)."""
    if not url.startswith("sqlite"):
        return
    path = url.split("///", 1)[-1]
    if path and path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)


def _is_sqlite_memory(url: str) -> bool:
    """An in-memory SQLite database gets SQLAlchemy's own pool (one shared connection)."""
    return url.startswith("sqlite") and (":memory:" in url or url.rstrip("/").endswith(":"))


def create_engine(settings: Settings, *, null_pool: bool = False) -> AsyncEngine:
    """An async engine for the configured URL, with the dialect's connection set-up."""
    url = settings.database_url
    kwargs: dict[str, Any] = {}
    if null_pool:
        kwargs["poolclass"] = NullPool
    if url.startswith("sqlite"):
        ensure_sqlite_directory(url)
        kwargs.setdefault("connect_args", {"timeout": 30})
    if not null_pool and not _is_sqlite_memory(url):
        # Enough pooled connections for the requests a process serves at once: one past the
        # pool is opened and closed per checkout (for SQLite, a thread and its pragmas too).
        kwargs["pool_size"] = settings.database_pool_size
        kwargs["max_overflow"] = max(1, settings.database_pool_size // 2)
    engine = create_async_engine(url, **kwargs)
    install_connection_setup(engine, settings)
    if not url.startswith("sqlite") and not null_pool:
        install_idle_ping(engine)
    return engine


def install_idle_ping(engine: AsyncEngine, idle_seconds: float = IDLE_PING_SECONDS) -> None:
    """Ping a pooled connection on checkout only when it has been idle for `idle_seconds`.

    A connection that fails the ping is discarded and the pool hands out a fresh one (the
    documented "pessimistic disconnect handling" through the `checkout` event), so a request
    never meets a connection the server closed while it sat in the pool.
    """
    sync_engine = engine.sync_engine
    dialect = sync_engine.dialect

    @event.listens_for(sync_engine, "checkin")
    def _checked_in(_dbapi_conn: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(sync_engine, "checkout")
    def _checked_out(dbapi_conn: Any, record: Any, _proxy: Any) -> None:
        since = record.info.pop("idle_since", None)
        if since is None or time.monotonic() - since < idle_seconds:
            return
        try:
            alive = dialect.do_ping(dbapi_conn)
        except Exception as exc:  # the driver's error for a dead socket, whatever it is
            raise DisconnectionError("the pooled connection did not answer a ping") from exc
        if alive is False:
            raise DisconnectionError("the pooled connection did not answer a ping")


def install_connection_setup(engine: AsyncEngine, settings: Settings) -> None:
    """SQLite pragmas, or on PostgreSQL the switch to the non-owner application role."""
    sync_engine = engine.sync_engine
    if sync_engine.dialect.name == "sqlite":
        if sync_engine.dialect.driver == "aiosqlite":

            @event.listens_for(sync_engine, "do_connect")
            def _batched_connection(
                dialect: Any, _record: Any, cargs: list[Any], cparams: dict[str, Any]
            ) -> Any:
                # aiosqlite with fewer thread hand-offs per statement (`sqlite_driver`).
                return dialect.dbapi.connect(
                    *cargs, async_creator_fn=sqlite_driver.connect, **cparams
                )

        @event.listens_for(sync_engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            cursor = dbapi_conn.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()
            # Let SQLAlchemy, not the driver, open transactions, so SAVEPOINTs nest properly.
            dbapi_conn.isolation_level = None

        # BEGIN is sent with the transaction's first statement (`_defer_begin`): by a
        # session that will write (`WRITER_INFO_KEY`, an API request with an unsafe method)
        # as BEGIN IMMEDIATE, which takes SQLite's write lock up front. A deferred transaction
        # that reads and then writes cannot take the lock if another connection committed in
        # between (the embedded worker, say): SQLite refuses at once with "database is
        # locked", whatever the busy timeout. IMMEDIATE waits for the lock instead, so a write
        # request never fails that way. Reads (GET requests, jobs' loads) stay deferred.
        _defer_begin(sync_engine)

    elif sync_engine.dialect.name == "postgresql":
        if settings.database_app_role:
            role = settings.database_app_role

            @event.listens_for(sync_engine, "connect")
            def _pg_role(dbapi_conn: Any, _record: Any) -> None:
                # psycopg opens an implicit transaction; SET ROLE must outlive it.
                dbapi_conn.autocommit = True
                cursor = dbapi_conn.cursor()
                cursor.execute(f'SET ROLE "{role}"')
                cursor.close()
                dbapi_conn.autocommit = False

        install_deferred_begin(engine)


# The transaction's first round trip carries BEGIN and the row-level-security settings
# together. psycopg, left to itself, sends BEGIN on its own before a transaction's first
# statement — a round trip that does nothing else, on every request. Checked-out connections
# are therefore put in the driver's autocommit mode and Brain sends BEGIN itself: a session's
# transaction opens with `BEGIN; SELECT set_config(…)` in one simple-protocol message
# (`_apply_rls_settings`); any other transaction (a Core connection, a migration) gets a
# plain BEGIN just before its first statement. psycopg's commit() and rollback() act on the
# server's transaction status, so they still end what BEGIN started (and skip an empty one).
_PENDING_BEGIN = "brain_pending_begin"


def install_deferred_begin(engine: AsyncEngine) -> None:
    """PostgreSQL: the driver in autocommit mode on checkout, BEGIN sent by Brain."""
    sync_engine = engine.sync_engine

    @event.listens_for(sync_engine, "checkout")
    def _autocommit_driver(dbapi_conn: Any, _record: Any, _proxy: Any) -> None:
        if not dbapi_conn.autocommit:
            dbapi_conn.autocommit = True

    _defer_begin(sync_engine)


def _defer_begin(sync_engine: Engine) -> None:
    """Hold a transaction's BEGIN until its first statement. A session sends it itself with
    what it needs alongside (`_apply_rls_settings`); anything else gets a plain BEGIN just
    before its first statement; an empty transaction sends nothing."""

    @event.listens_for(sync_engine, "checkout")
    def _fresh(_dbapi_conn: Any, record: Any, _proxy: Any) -> None:
        record.info.pop(_PENDING_BEGIN, None)

    @event.listens_for(sync_engine, "begin")
    def _begin(conn: Connection) -> None:
        # An AUTOCOMMIT connection (`execution_options(isolation_level="AUTOCOMMIT")`)
        # wants no transaction at all.
        if conn.get_execution_options().get("isolation_level") != "AUTOCOMMIT":
            conn.info[_PENDING_BEGIN] = True

    @event.listens_for(sync_engine, "before_cursor_execute")
    def _send_begin(conn: Connection, cursor: Any, *_: Any) -> None:
        if conn.info.pop(_PENDING_BEGIN, False):
            cursor.execute("BEGIN")

    @event.listens_for(sync_engine, "commit")
    @event.listens_for(sync_engine, "rollback")
    def _end(conn: Connection) -> None:
        conn.info.pop(_PENDING_BEGIN, None)


def create_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


def _apply_rls_settings(session: Session, connection: Connection) -> None:
    if connection.dialect.name == "sqlite":
        if connection.info.pop(_PENDING_BEGIN, False):
            writer = bool(session.info.get(WRITER_INFO_KEY))
            connection.exec_driver_sql("BEGIN IMMEDIATE" if writer else "BEGIN")
        return
    if connection.dialect.name != "postgresql":
        return
    org = session.info.get(ORG_INFO_KEY)
    bypass = bool(session.info.get(BYPASS_INFO_KEY))
    # Literal values (a UUID's canonical text and on/off: nothing to escape) so the statement
    # needs no parameters and can travel with BEGIN in one simple-protocol message.
    org_text = str(uuid.UUID(str(org))) if org else ""
    statement = (
        f"SELECT set_config('app.current_org', '{org_text}', true),"
        f" set_config('app.rls_bypass', '{'on' if bypass else 'off'}', true)"
    )
    if connection.info.pop(_PENDING_BEGIN, False):
        statement = "BEGIN; " + statement
    connection.exec_driver_sql(statement)


@event.listens_for(Session, "after_begin")
def _after_begin(session: Session, _tx: SessionTransaction, connection: Connection) -> None:
    _apply_rls_settings(session, connection)


async def set_tenant(session: AsyncSession, organization_id: uuid.UUID | None) -> None:
    """Bind the session to one organization (and leave system mode) for RLS."""
    session.info[ORG_INFO_KEY] = organization_id
    session.info[BYPASS_INFO_KEY] = False
    await _refresh_rls(session)


async def set_system_mode(session: AsyncSession, enabled: bool) -> None:
    """Let a session see every tenant's rows (auth lookups, CLI, maintenance jobs only)."""
    session.info[BYPASS_INFO_KEY] = enabled
    await _refresh_rls(session)


async def _refresh_rls(session: AsyncSession) -> None:
    if session.in_transaction() and session.bind is not None:
        conn = await session.connection()
        await conn.run_sync(lambda c: _apply_rls_settings(session.sync_session, c))


@asynccontextmanager
async def system_session(
    factory: async_sessionmaker[AsyncSession],
) -> AsyncIterator[AsyncSession]:
    """A session in system mode that commits on success (CLI and maintenance code)."""
    async with factory() as session:
        session.info[BYPASS_INFO_KEY] = True
        try:
            yield session
            await session.commit()
        except BaseException:
            await session.rollback()
            raise


@asynccontextmanager
async def tenant_session(
    factory: async_sessionmaker[AsyncSession], organization_id: uuid.UUID
) -> AsyncIterator[AsyncSession]:
    """A session bound to one organization that commits on success (jobs)."""
    async with factory() as session:
        session.info[ORG_INFO_KEY] = organization_id
        try:
            yield session
            await session.commit()
        except BaseException:
            await session.rollback()
            raise
