"""SQLite through aiosqlite with fewer thread hops per statement.

aiosqlite runs every sqlite3 call on the connection's own thread and hands the result back to
the event loop: one queue put, one thread wake-up and one loop wake-up per call. SQLAlchemy's
adapter makes four such calls per statement (create the cursor, execute, fetch, close the
cursor), and the pool adds a ROLLBACK call when it takes a connection back. On a read those
hand-offs cost more than SQLite's own work.

`BatchedConnection` keeps aiosqlite's model (one thread per connection, every sqlite3 call on
it) and batches the calls instead:

- `cursor()` hands out a cursor at once; its sqlite3 cursor is created on the thread with the
  first statement;
- `execute()` runs the statement and fetches up to `PREFETCH_ROWS` rows in the same hand-off;
  a result that fits is complete and its sqlite3 cursor is closed there too (`description`,
  `rowcount` and `lastrowid` stay readable), so fetching and closing need no further call;
  a bigger result keeps its cursor open and the rest is fetched as before (streams still
  stream);
- `commit()` and `rollback()` outside a transaction do nothing without a hand-off (sqlite3
  itself does nothing then either; `in_transaction` is readable from any thread).

Statement for statement the database sees exactly what it saw before.
"""

from __future__ import annotations

import sqlite3
from collections import deque
from collections.abc import Callable, Generator, Iterable
from typing import Any

import aiosqlite

# A page of the API (at most 201 rows) and most single statements fit in one hand-off.
PREFETCH_ROWS = 256


class BatchedCursor(aiosqlite.Cursor):
    """An aiosqlite cursor whose statement and first rows travel in one hand-off."""

    _conn: BatchedConnection

    def __init__(self, conn: BatchedConnection) -> None:
        # The sqlite3 cursor is made on the connection's thread by the first statement.
        self._conn = conn
        self._raw: sqlite3.Cursor | None = None
        self._buffer: deque[Any] = deque()
        self._open = False  # the sqlite3 cursor may still have rows to give
        self._spent = False  # the sqlite3 cursor was closed: the next statement needs another
        self._arraysize = 1
        self.iter_chunk_size = conn._iter_chunk_size

    # -- on the connection's thread ------------------------------------------------------
    def _raw_cursor(self) -> sqlite3.Cursor:
        if self._raw is None or self._spent:
            self._raw = self._conn._conn.cursor()
            self._raw.arraysize = self._arraysize
            self._spent = False
        return self._raw

    def _run(self, call: Callable[[sqlite3.Cursor], Any]) -> list[Any]:
        raw = self._raw_cursor()
        call(raw)
        if raw.description is None:
            return []
        rows = raw.fetchmany(PREFETCH_ROWS)
        if len(rows) < PREFETCH_ROWS:
            raw.close()
            self._spent = True
        else:
            self._open = True
        return rows

    def _rest(self, size: int | None) -> list[Any]:
        raw = self._raw_cursor()
        rows = raw.fetchall() if size is None else raw.fetchmany(size)
        if size is None or len(rows) < size:
            raw.close()
            self._spent = True
            self._open = False
        return rows

    # -- on the event loop -----------------------------------------------------------------
    @property
    def _cursor(self) -> sqlite3.Cursor:  # type: ignore[override]
        # aiosqlite's own helpers (iteration, row_factory) use `_cursor`.
        if self._raw is None:
            raise sqlite3.ProgrammingError("the cursor has not run a statement yet")
        return self._raw

    async def _start(self, call: Callable[[sqlite3.Cursor], Any]) -> BatchedCursor:
        self._buffer.clear()
        self._open = False
        self._buffer.extend(await self._conn.call(self._run, call))
        return self

    async def execute(self, sql: str, parameters: Any = None) -> BatchedCursor:
        params = () if parameters is None else parameters
        return await self._start(lambda raw: raw.execute(sql, params))

    async def executemany(self, sql: str, parameters: Iterable[Any]) -> BatchedCursor:
        return await self._start(lambda raw: raw.executemany(sql, parameters))

    async def executescript(self, sql_script: str) -> BatchedCursor:
        return await self._start(lambda raw: raw.executescript(sql_script))

    async def fetchone(self) -> Any:
        if not self._buffer and self._open:
            self._buffer.extend(await self._conn.call(self._rest, PREFETCH_ROWS))
        return self._buffer.popleft() if self._buffer else None

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        wanted = self.arraysize if size is None else size
        if len(self._buffer) < wanted and self._open:
            self._buffer.extend(
                await self._conn.call(self._rest, max(wanted - len(self._buffer), 1))
            )
        return [self._buffer.popleft() for _ in range(min(wanted, len(self._buffer)))]

    async def fetchall(self) -> list[Any]:
        rows = list(self._buffer)
        self._buffer.clear()
        if self._open:
            rows.extend(await self._conn.call(self._rest, None))
        return rows

    async def close(self) -> None:
        self._buffer.clear()
        if self._open and self._raw is not None:
            self._open = False
            self._spent = True
            await self._conn.call(self._raw.close)

    @property
    def rowcount(self) -> int:
        return -1 if self._raw is None else self._raw.rowcount

    @property
    def lastrowid(self) -> int | None:
        return None if self._raw is None else self._raw.lastrowid

    @property
    def arraysize(self) -> int:
        return self._arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._arraysize = value
        if self._raw is not None:
            self._raw.arraysize = value

    @property
    def description(self) -> Any:
        return None if self._raw is None else self._raw.description


class _ReadyCursor:
    """What `cursor()` returns: awaitable and an async context manager, like aiosqlite's."""

    __slots__ = ("_cursor",)

    def __init__(self, cursor: BatchedCursor) -> None:
        self._cursor = cursor

    def __await__(self) -> Generator[Any, None, BatchedCursor]:
        return self._ready().__await__()

    async def _ready(self) -> BatchedCursor:
        return self._cursor

    async def __aenter__(self) -> BatchedCursor:
        return self._cursor

    async def __aexit__(self, *_: object) -> None:
        await self._cursor.close()


class BatchedConnection(aiosqlite.Connection):
    """An aiosqlite connection handing out `BatchedCursor`s (see the module docstring)."""

    async def call(self, fn: Callable[..., Any], *args: Any) -> Any:
        """Run `fn(*args)` on the connection's thread (aiosqlite's hand-off, typed)."""
        return await self._execute(fn, *args)  # type: ignore[no-untyped-call]

    def cursor(self) -> _ReadyCursor:  # type: ignore[override]
        return _ReadyCursor(BatchedCursor(self))

    async def commit(self) -> None:
        if self._conn.in_transaction:
            await self.call(self._conn.commit)

    async def rollback(self) -> None:
        if self._conn.in_transaction:
            await self.call(self._conn.rollback)


def connect(database: str, *, iter_chunk_size: int = 64, **kwargs: Any) -> BatchedConnection:
    """Like `aiosqlite.connect`, with a `BatchedConnection` (its thread is a daemon, as
    SQLAlchemy makes aiosqlite's own)."""

    def connector() -> sqlite3.Connection:
        connection: sqlite3.Connection = sqlite3.connect(database, **kwargs)
        return connection

    connection = BatchedConnection(connector, iter_chunk_size)
    connection._thread.daemon = True
    return connection
