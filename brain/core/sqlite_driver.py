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

Short reads skip the hand-off altogether. Under load the hand-off, not SQLite, is what a read
costs: the connection's thread needs the GIL, which the busy event loop gives up only at the
interpreter's switch interval, and the answer waits for the loop's next turn (measured: 16
clients reading a page of 50 rows got twice the throughput, at half the p95, without the
hand-offs). So a `SELECT` first runs right on the calling thread (the event loop) with a
budget of `INLINE_BUDGET_SECONDS`, watched by SQLite's progress handler; one that finishes
within it is answered there. One that does not is interrupted — a read changes nothing, and
an interrupted `SELECT` leaves its transaction as it was — and runs again on the connection's
thread like every other statement; its SQL is remembered (`_SLOW`) and goes to the thread
from then on, until a run there takes less than half the budget (a read that was slow on a
cold cache comes back to the fast path). No query holds the event loop for much more than
the budget.

A deferred `BEGIN` (it takes no lock) runs there too, and so does the end of a transaction
that ran nothing on the thread (ending a read-only transaction releases a read mark): a
read request costs no hand-off at all. Writes, `BEGIN IMMEDIATE`, the end of a transaction
that wrote, and everything else run on the thread: an interrupted write could roll back its
transaction, a write can wait on SQLite's lock for up to the busy timeout, and a commit can
checkpoint the write-ahead log.

Statement for statement the database sees exactly what it saw before (an interrupted read
aside, which it sees twice).
"""

from __future__ import annotations

import sqlite3
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Generator, Iterable
from typing import Any

import aiosqlite

# A page of the API (at most 201 rows) and most single statements fit in one hand-off.
PREFETCH_ROWS = 256

# How much CPU time a read may take on the calling thread (the event loop) before it is
# handed to the connection's thread instead — CPU time of the thread, not wall time, so a
# query the operating system happened to pause is not counted as slow — and how many SQLite
# VM instructions pass between two looks at that clock (a look costs about a microsecond; a
# page of the API takes a few thousand instructions).
INLINE_BUDGET_SECONDS = 0.002
PROGRESS_INSTRUCTIONS = 2000
# SQL of reads that ran past the budget: these go straight to the connection's thread.
_SLOW: OrderedDict[str, None] = OrderedDict()
_SLOW_MAX = 1024


def _is_read(sql: str) -> bool:
    """A plain SELECT: it cannot change the database (a `WITH` may front a write)."""
    return sql.lstrip()[:6].upper() == "SELECT"


def _remember_slow(sql: str) -> None:
    _SLOW[sql] = None
    _SLOW.move_to_end(sql)
    while len(_SLOW) > _SLOW_MAX:
        _SLOW.popitem(last=False)


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

    def _reset(self) -> None:
        """Forget the previous statement's rows (a new statement starts)."""
        self._buffer.clear()
        self._open = False

    def _run_timed(self, call: Callable[[sqlite3.Cursor], Any]) -> tuple[list[Any], float]:
        started = time.thread_time()
        rows = self._run(call)
        return rows, time.thread_time() - started

    async def _start(self, call: Callable[[sqlite3.Cursor], Any], *,
                     slow_read: str | None = None) -> BatchedCursor:
        """Run the statement on the connection's thread. `slow_read` is the SQL of a read
        known to be slow: forgotten as slow once it runs well within the budget there (it
        was slow on a cold cache, say)."""
        self._reset()
        self._conn._thread_work = True
        rows, elapsed = await self._conn.call(self._run_timed, call)
        self._buffer.extend(rows)
        if slow_read is not None and elapsed < INLINE_BUDGET_SECONDS / 2:
            _SLOW.pop(slow_read, None)
        return self

    def _run_inline(self, call: Callable[[sqlite3.Cursor], Any]) -> list[Any] | None:
        """`_run` on the calling thread within the budget; None when it ran past it."""
        raw_conn = self._conn._conn
        deadline = time.thread_time() + INLINE_BUDGET_SECONDS
        over = False

        def progress() -> int:
            nonlocal over
            over = time.thread_time() > deadline
            return 1 if over else 0

        raw_conn.set_progress_handler(progress, PROGRESS_INSTRUCTIONS)
        try:
            return self._run(call)
        except sqlite3.OperationalError:
            self._spent = True  # the next statement gets a fresh sqlite3 cursor
            if over:
                return None
            raise
        finally:
            raw_conn.set_progress_handler(None, 0)

    async def execute(self, sql: str, parameters: Any = None) -> BatchedCursor:
        params = () if parameters is None else parameters

        def call(raw: sqlite3.Cursor) -> Any:
            return raw.execute(sql, params)

        conn = self._conn
        if sql == "BEGIN" and not parameters and conn.inline_ready:
            # A deferred BEGIN takes no lock: nothing to wait for, nothing to hand off.
            self._reset()
            self._run(call)
            conn._thread_work = False
            return self
        if _is_read(sql) and sql not in _SLOW and conn.inline_ready:
            self._reset()
            rows = self._run_inline(call)
            if rows is not None:
                self._buffer.extend(rows)
                return self
            _remember_slow(sql)
        return await self._start(call, slow_read=sql if sql in _SLOW else None)

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

    # Calls handed to the thread and not answered yet.
    _in_flight = 0
    # Whether the transaction ran anything on the thread (a write, a long read) since its
    # inline BEGIN: then it is ended there too.
    _thread_work = True

    @property
    def inline_ready(self) -> bool:
        """The sqlite3 connection is open and its thread has nothing to do for it, so the
        calling thread may use it (every statement is awaited, so this holds between them;
        checked rather than assumed)."""
        return self._connection is not None and self._in_flight == 0 and self._tx.empty()

    async def call(self, fn: Callable[..., Any], *args: Any) -> Any:
        """Run `fn(*args)` on the connection's thread (aiosqlite's hand-off, typed)."""
        self._in_flight += 1
        try:
            return await self._execute(fn, *args)  # type: ignore[no-untyped-call]
        finally:
            self._in_flight -= 1

    def cursor(self) -> _ReadyCursor:  # type: ignore[override]
        return _ReadyCursor(BatchedCursor(self))

    async def commit(self) -> None:
        await self._end(self._conn.commit)

    async def rollback(self) -> None:
        await self._end(self._conn.rollback)

    async def _end(self, end: Callable[[], None]) -> None:
        if not self._conn.in_transaction:
            return
        if not self._thread_work and self.inline_ready:
            # Only inline reads since BEGIN: ending it releases a WAL read mark, no more.
            end()
        else:
            await self.call(end)
        self._thread_work = True


def connect(database: str, *, iter_chunk_size: int = 64, **kwargs: Any) -> BatchedConnection:
    """Like `aiosqlite.connect`, with a `BatchedConnection` (its thread is a daemon, as
    SQLAlchemy makes aiosqlite's own)."""

    # Short reads run on the event loop's thread (see the module docstring); never two
    # threads at once, as every call on a connection is awaited before the next.
    kwargs["check_same_thread"] = False

    def connector() -> sqlite3.Connection:
        connection: sqlite3.Connection = sqlite3.connect(database, **kwargs)
        return connection

    connection = BatchedConnection(connector, iter_chunk_size)
    connection._thread.daemon = True
    return connection
