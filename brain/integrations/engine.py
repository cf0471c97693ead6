"""The sync engine: runs one `SyncRun` of a connection, resumable at every checkpoint.

For each enabled stream the run's date window is split into chunks of at most the
connector's `max_chunk_days`; `Connector.read(stream, page_state, chunk)` yields records and
checkpoints. Records are buffered until a checkpoint is reached with at least
`integrations_sync_batch_rows` of them (or the stream ends); then ONE transaction writes them
(`Connector.write`, idempotent upserts), stores the stream state (this run, the last finished
day, the connector's page state), adds the counts to the run and renews the lease. A worker
killed at any point therefore leaves either all of a batch and its state or neither; the next
worker resumes from the stored state and at worst re-reads one page, which the upserts absorb.

Stream state (`ConnectionStreamState.state`):
  {"sync_run_id", "window_start", "through" (last finished day of this run), "page"
   (the connector's checkpoint inside the current chunk), "done", "cursor" (last day ever
   finished — delta runs start `LOOKBACK_DAYS` before it)}.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import uuid
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, TypeVar

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

import brain.models_registry  # noqa: F401  (every mapper configured, also in bare workers)
from brain.billing.gates import admit_machine_run, record_ingested
from brain.core.auth import AuthContext
from brain.core.db import tenant_session
from brain.core.jobs import CeleryDispatcher, Dispatcher, JobBuffer, load_job_modules
from brain.core.models import utcnow
from brain.core.runtime import Runtime
from brain.integrations import events
from brain.integrations.base import (
    AuthMethod,
    Connector,
    ConnectorError,
    ConnectorErrorKind,
    Credentials,
    Record,
    StateCheckpoint,
    Stream,
    SyncWindow,
)
from brain.integrations.factory import build_connector
from brain.integrations.leases import LeaseLost, acquire_lease, release_lease, renew_lease
from brain.integrations.loaders import job_auth
from brain.integrations.models import (
    Connection,
    ConnectionStatus,
    ConnectionStreamState,
    SyncKind,
    SyncRun,
    SyncStatus,
    open_credentials,
    seal_credentials,
)
from brain.integrations.registry import ProviderEntry, get_provider
from brain.integrations.repository import (
    ConnectionRepository,
    StreamStateRepository,
    SyncRunRepository,
)

logger = logging.getLogger("brain.integrations.sync")

LOOKBACK_DAYS = 3  # ad platforms restate recent days (late conversions): delta re-reads them
TERMINAL = {SyncStatus.succeeded.value, SyncStatus.failed.value}
MAX_ATTEMPTS = 20  # worker starts of one run (each resumes from its last checkpoint)

TransportFactory = Callable[[ProviderEntry, Connection], httpx.AsyncBaseTransport | None]


def worker_identity() -> str:
    """A lease holder id unique to this process (host, pid and a random part)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


@dataclass
class _StreamProgress:
    rows_read: int = 0
    rows_written: int = 0
    status: str = "running"


@dataclass
class SyncResult:
    """What `SyncEngine.run` did: `status` is the run's status, or "busy"/"lost"/"missing"."""

    status: str
    error: str | None = None
    jobs: list[tuple[str, dict[str, Any]]] = field(default_factory=list)


class SyncEngine:
    """Runs sync runs for one process (one lease holder identity)."""

    def __init__(
        self,
        runtime: Runtime,
        *,
        holder: str | None = None,
        dispatcher: Dispatcher | None = None,
        transport_factory: TransportFactory | None = None,
        oauth_transport: httpx.AsyncBaseTransport | None = None,
        sleep: Callable[[float], Awaitable[None]] | None = None,
        request_brain_run: bool = True,
        on_progress: Callable[[SyncRun], None] | None = None,
    ) -> None:
        self.runtime = runtime
        self.request_brain_run = request_brain_run
        # Called after every committed checkpoint with the run's counters (progress bars).
        self.on_progress = on_progress
        self.holder = holder or worker_identity()
        self.dispatcher = dispatcher
        self.transport_factory = transport_factory
        self.oauth_transport = oauth_transport
        self.sleep = sleep
        self.ttl = timedelta(seconds=runtime.settings.integrations_sync_lease_seconds)
        self.batch_rows = runtime.settings.integrations_sync_batch_rows

    # ---- the run -------------------------------------------------------------------------

    async def run(self, *, sync_run_id: uuid.UUID, organization_id: uuid.UUID) -> SyncResult:
        """Run (or resume) the sync run; never raises for provider failures."""
        started = await self._start(sync_run_id, organization_id)
        if isinstance(started, SyncResult):
            return started
        run, connection, entry = started
        connector: Connector | None = None
        current: dict[str, Any] = {}  # the stream being synced (for a failure's timing)
        try:
            credentials = await self._fresh_credentials(connection, entry)
            transport = (
                self.transport_factory(entry, connection) if self.transport_factory else None
            )
            connector = build_connector(
                entry,
                connection,
                keyring=self.runtime.keys,
                settings=self.runtime.settings,
                transport=transport,
                credentials=credentials,
                sleep=self.sleep,
            )
            for stream in connector.streams():
                if stream.name in (connection.disabled_streams or []):
                    continue
                if run.only_streams is not None and stream.name not in run.only_streams:
                    continue
                await self._sync_stream(connector, run, stream, current)
        except LeaseLost:
            return self._lost(sync_run_id)
        except ConnectorError as exc:
            return await self._end(self._fail(run, connection, entry, exc, current),
                                   sync_run_id)
        except Exception as exc:
            logger.exception("sync %s failed unexpectedly", sync_run_id)
            return await self._end(self._fail(run, connection, entry, exc, current),
                                   sync_run_id)
        finally:
            if connector is not None:
                await connector.http.aclose()
        return await self._end(self._succeed(run, connection, entry), sync_run_id)

    @staticmethod
    def _lost(sync_run_id: uuid.UUID) -> SyncResult:
        logger.warning("sync %s: lease lost to another worker; stopping", sync_run_id)
        return SyncResult(status="lost")

    async def _end(
        self, ending: Coroutine[Any, Any, SyncResult], sync_run_id: uuid.UUID
    ) -> SyncResult:
        """Finish the run, unless another worker took it over meanwhile (then it finishes)."""
        try:
            return await ending
        except LeaseLost:
            return self._lost(sync_run_id)

    async def _start(
        self, sync_run_id: uuid.UUID, organization_id: uuid.UUID
    ) -> tuple[SyncRun, Connection, ProviderEntry] | SyncResult:
        now = utcnow()
        async with tenant_session(self.runtime.session_factory, organization_id) as session:
            run = await _get_run(session, organization_id, sync_run_id)
            if run is None:
                return SyncResult(status="missing")
            if run.status in TERMINAL:
                return SyncResult(status=run.status, error=run.error)
            connection = await _get_connection(session, organization_id, run.connection_id)
            entry = get_provider(connection.provider) if connection is not None else None
            if connection is None or entry is None or connection.status in (
                ConnectionStatus.revoked.value,
                ConnectionStatus.pending.value,
            ):
                run.status = SyncStatus.failed.value
                run.error = "the connection is not ready (deleted, pending or unknown provider)"
                run.error_kind = "connection_unavailable"
                run.finished_at = now
                return SyncResult(status=run.status, error=run.error)
            if (run.attempts or 0) >= MAX_ATTEMPTS:
                # A run whose workers keep dying (a poison page, an out-of-memory) stops here
                # instead of being resumed by the scheduler forever.
                run.status = SyncStatus.failed.value
                run.error = f"gave up after {run.attempts} attempts"
                run.error_kind = "internal_error"
                run.finished_at = now
                await release_lease(session, connection_id=connection.id, holder=self.holder)
                return SyncResult(status=run.status, error=run.error)
            lease = await acquire_lease(
                session,
                organization_id=organization_id,
                connection_id=connection.id,
                sync_run_id=run.id,
                holder=self.holder,
                now=now,
                ttl=self.ttl,
            )
            if lease is None:
                return SyncResult(status="busy")
            run.status = SyncStatus.running.value
            run.started_at = run.started_at or now
            run.attempts = (run.attempts or 0) + 1
        return run, connection, entry

    async def _fresh_credentials(
        self, connection: Connection, entry: ProviderEntry
    ) -> Credentials:
        """The connection's credentials, refreshed first when an OAuth token is about to end."""
        from brain.integrations import oauth

        credentials = open_credentials(self.runtime.keys, connection)
        spec = entry.connector.spec
        if connection.sandbox or spec.auth is not AuthMethod.oauth2:
            return credentials
        now = utcnow()
        if not oauth.needs_refresh(credentials, now):
            return credentials
        client = oauth_client(self.runtime, spec.id)
        if client is None:
            raise ConnectorError(
                ConnectorErrorKind.expired_token,
                "the token expired and no OAuth app is configured to refresh it",
                provider=spec.id,
            )
        fresh = await oauth.refresh(
            spec, client, credentials, now=now, transport=self.oauth_transport
        )
        async with tenant_session(
            self.runtime.session_factory, connection.organization_id
        ) as session:
            stored = await _get_connection(session, connection.organization_id, connection.id)
            if stored is not None:
                seal_credentials(self.runtime.keys, stored, fresh)
        return fresh

    # ---- one stream ----------------------------------------------------------------------

    async def _sync_stream(
        self, connector: Connector, run: SyncRun, stream: Stream, current: dict[str, Any]
    ) -> None:
        org = run.organization_id
        async with tenant_session(self.runtime.session_factory, org) as session:
            row = await _get_state(session, org, run.connection_id, stream.name)
            state: dict[str, Any] = dict(row.state) if row is not None else {}
        cursor = _date(state.get("cursor"))
        if state.get("sync_run_id") == str(run.id):
            if state.get("done"):
                return
            window_start = _date(state.get("window_start")) or run.start_date
            through = _date(state.get("through"))
            page: dict[str, Any] | None = state.get("page")
        else:
            window_start = _window_start(run, cursor)
            through, page = None, None
        # When the stream started in this run (an earlier worker's start when resuming).
        started_at = str((run.streams or {}).get(stream.name, {}).get("started_at")
                         or utcnow().isoformat())
        current.clear()
        current.update(stream=stream.name, started_at=started_at)
        end = run.end_date
        next_start = through + timedelta(days=1) if through else window_start
        base = {"sync_run_id": str(run.id), "window_start": window_start.isoformat()}
        chunk_days = max(1, int(connector.max_chunk_days))
        # Records wait for a checkpoint; a batch is committed at the first checkpoint after it
        # reaches `batch_rows` (any checkpoint is a valid resume point, so skipping some only
        # means re-reading a little more after a crash — and far fewer transactions).
        # Reading, mapping and writing overlap: pages are fetched and parsed up to
        # `READ_AHEAD_PAGES` ahead, and a batch is written (its own transaction, records and
        # state together) while the next one is gathered — batches are still committed one
        # at a time, in order. What was read but not committed is read again after a crash.
        pending: list[Record] = []
        pages = _read_ahead(_stream_pages(connector, stream, page, next_start, end, chunk_days),
                            READ_AHEAD_PAGES)
        writer = _BatchWriter(
            lambda records, state, status: self._checkpoint(
                connector, run, stream, records, state, stream_status=status,
                started_at=started_at))
        try:
            async for messages in pages:
                for message in messages:
                    if isinstance(message, Record):
                        pending.append(message)
                        continue
                    if isinstance(message, StateCheckpoint):
                        page = dict(message.state)
                    else:  # the end of a chunk: the next resume starts after it
                        through, page = message.end, None
                        cursor = max(cursor, message.end) if cursor else message.end
                    if len(pending) >= self.batch_rows:
                        await writer.submit(
                            pending,
                            {**base, "through": _iso(through), "page": page,
                             "cursor": _iso(cursor)},
                        )
                        pending = []
            await writer.submit(
                pending,
                {**base, "through": _iso(through), "page": None, "cursor": _iso(cursor),
                 "done": True},
                "succeeded",
            )
            await writer.finish()
            current.clear()
        finally:
            await writer.abort()
            await pages.aclose()

    async def _checkpoint(
        self,
        connector: Connector,
        run: SyncRun,
        stream: Stream,
        records: list[Record],
        state: dict[str, Any],
        *,
        stream_status: str = "running",
        started_at: str | None = None,
    ) -> None:
        """Write `records` and `state` (and renew the lease) in one transaction; the stream's
        progress gets its counts, and its start, end and seconds once it finished."""
        org = run.organization_id
        now = utcnow()
        # Counters live on `run` (this worker holds the lease, so it is the only writer).
        streams = dict(run.streams or {})
        progress = dict(streams.get(stream.name) or {"rows_read": 0, "rows_written": 0})
        async with tenant_session(self.runtime.session_factory, org) as session:
            await renew_lease(
                session, connection_id=run.connection_id, holder=self.holder, now=now,
                ttl=self.ttl,
            )
            written = await connector.write(session, stream, records) if records else 0
            # Counted against the plan's events per month, past the limit too: kept.
            await record_ingested(session, org, written)
            states = StreamStateRepository(session, _auth(org))
            if not await states.update_state(run.connection_id, stream.name, state, run.id, now):
                states.add(
                    ConnectionStreamState(
                        connection_id=run.connection_id,
                        stream=stream.name,
                        state=state,
                        sync_run_id=run.id,
                        updated_at=now,
                    )
                )
            progress["rows_read"] = int(progress.get("rows_read", 0)) + len(records)
            progress["rows_written"] = int(progress.get("rows_written", 0)) + written
            progress["status"] = stream_status
            progress["through"] = state.get("through")
            _time_stream(progress, started_at or now.isoformat(),
                         now if stream_status == "succeeded" else None)
            streams[stream.name] = progress
            rows_read = (run.rows_read or 0) + len(records)
            rows_written = (run.rows_written or 0) + written
            updated = await SyncRunRepository(session, _auth(org)).update_progress(
                run.id, rows_read=rows_read, rows_written=rows_written, streams=streams, now=now
            )
            if not updated:
                raise LeaseLost(str(run.id))
        run.rows_read, run.rows_written, run.streams = rows_read, rows_written, streams
        if self.on_progress is not None:
            self.on_progress(run)

    # ---- endings -------------------------------------------------------------------------

    async def _succeed(
        self, run: SyncRun, connection: Connection, entry: ProviderEntry
    ) -> SyncResult:
        org = run.organization_id
        now = utcnow()
        jobs = JobBuffer()
        async with tenant_session(self.runtime.session_factory, org) as session:
            stored = await _get_run(session, org, run.id)
            conn = await _get_connection(session, org, connection.id)
            if stored is None or conn is None:
                return SyncResult(status="missing")
            await renew_lease(session, connection_id=conn.id, holder=self.holder, now=now,
                              ttl=self.ttl)
            stored.status = SyncStatus.succeeded.value
            stored.finished_at = now
            stored.error = None
            stored.error_kind = None
            conn.last_sync_at = now
            conn.last_error = None
            if conn.status == ConnectionStatus.error.value:
                conn.status = ConnectionStatus.active.value
            await release_lease(session, connection_id=conn.id, holder=self.holder)
            await events.emit(
                session, org, events.SYNC_COMPLETED,
                _event_payload(stored, conn, entry),
            )
            if self.request_brain_run:
                await _enqueue_brain_run(session, org, jobs)
        return await self._after_commit(SyncResult(status=SyncStatus.succeeded.value), jobs)

    async def _fail(
        self, run: SyncRun, connection: Connection, entry: ProviderEntry, exc: Exception,
        current: dict[str, Any] | None = None,
    ) -> SyncResult:
        org = run.organization_id
        now = utcnow()
        jobs = JobBuffer()
        message = str(exc)[:2000] or type(exc).__name__
        kind = exc.kind.value if isinstance(exc, ConnectorError) else "internal_error"
        reauth = isinstance(exc, ConnectorError) and exc.needs_reauth
        async with tenant_session(self.runtime.session_factory, org) as session:
            stored = await _get_run(session, org, run.id)
            conn = await _get_connection(session, org, connection.id)
            if stored is None or conn is None:
                return SyncResult(status="missing")
            await renew_lease(session, connection_id=conn.id, holder=self.holder, now=now,
                              ttl=self.ttl)
            stored.status = SyncStatus.failed.value
            stored.finished_at = now
            stored.error = message
            stored.error_kind = kind
            stored.streams = _failed_streams(stored.streams, current or {}, now)
            conn.last_error = message[:1000]
            if reauth:
                conn.status = ConnectionStatus.needs_reauth.value
                await events.notify_admins_needs_reauth(
                    session, org,
                    connection_id=conn.id,
                    provider_name=entry.connector.spec.name,
                    reason=message[:200],
                    enqueue_job=jobs.enqueue,
                )
            elif conn.status == ConnectionStatus.active.value:
                conn.status = ConnectionStatus.error.value
            await release_lease(session, connection_id=conn.id, holder=self.holder)
            payload = _event_payload(stored, conn, entry)
            payload["error"] = message[:500]
            await events.emit(session, org, events.SYNC_FAILED, payload)
        result = SyncResult(status=SyncStatus.failed.value, error=message)
        return await self._after_commit(result, jobs)

    async def _after_commit(self, result: SyncResult, jobs: JobBuffer) -> SyncResult:
        result.jobs = list(jobs.pending)
        try:
            await jobs.flush(self.dispatcher or CeleryDispatcher())
        except Exception:  # the sync itself is committed; a lost notification is logged
            logger.exception("could not dispatch follow-up jobs %s", result.jobs)
        return result


# ---- helpers -------------------------------------------------------------------------------

READ_AHEAD_PAGES = 16


@dataclass(frozen=True)
class _ChunkDone:
    """Every page of the chunk ending on `end` was read."""

    end: date


StreamMessage = Record | StateCheckpoint | _ChunkDone


async def _stream_pages(
    connector: Connector, stream: Stream, page: dict[str, Any] | None, start: date, end: date,
    chunk_days: int,
) -> AsyncIterator[list[StreamMessage]]:
    """The stream's reads chunk after chunk, one list per connector page (its records, then
    its checkpoint), and a `_ChunkDone` after each chunk. `page` resumes the first chunk."""
    while start <= end:
        chunk_end = min(start + timedelta(days=chunk_days - 1), end)
        messages: list[StreamMessage] = []
        async for message in connector.read(stream, page, SyncWindow(start, chunk_end)):
            messages.append(message)
            if not isinstance(message, Record):
                yield messages
                messages = []
        messages.append(_ChunkDone(chunk_end))
        yield messages
        page = None
        start = chunk_end + timedelta(days=1)


T = TypeVar("T")
WriteBatch = Callable[[list[Record], dict[str, Any], str], Awaitable[None]]


class _BatchWriter:
    """Writes checkpoint batches in order, one at a time, in a task of its own, so the
    stream's next batch is gathered meanwhile; at most one batch waits. A failed write is
    raised to the stream at its next `submit` (or `finish`)."""

    def __init__(self, write: WriteBatch) -> None:
        self._write = write
        self._queue: asyncio.Queue[tuple[list[Record], dict[str, Any], str] | None] = (
            asyncio.Queue(maxsize=1))
        self._task = asyncio.create_task(self._run(), name="sync-batch-writer")

    async def _run(self) -> None:
        while (item := await self._queue.get()) is not None:
            await self._write(*item)

    async def _put(self, item: tuple[list[Record], dict[str, Any], str] | None) -> None:
        if self._task.done():  # it failed: raise that, it takes nothing more
            self._task.result()
            raise RuntimeError("the batch writer stopped")
        put = asyncio.ensure_future(self._queue.put(item))
        await asyncio.wait({put, self._task}, return_when=asyncio.FIRST_COMPLETED)
        if put.done():
            return  # a failure meanwhile is raised by the next call
        put.cancel()  # the writer failed while the queue was full
        self._task.result()
        raise RuntimeError("the batch writer stopped")

    async def submit(self, records: list[Record], state: dict[str, Any],
                     status: str = "running") -> None:
        await self._put((records, state, status))

    async def finish(self) -> None:
        """Wait for every submitted batch to be committed (raises a failed write)."""
        await self._put(None)
        await self._task

    async def abort(self) -> None:
        """Stop writing (after `finish`, a no-op): an uncommitted batch is read again."""
        if not self._task.done():
            self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task


async def _read_ahead(source: AsyncIterator[T], limit: int) -> AsyncGenerator[T, None]:
    """`source`'s items, produced by a task of their own up to `limit` items ahead of the
    consumer; the source's exception (any, even a `BaseException`) is raised here in turn."""
    queue: asyncio.Queue[tuple[bool, Any]] = asyncio.Queue(maxsize=limit)

    async def pump() -> None:
        try:
            async for item in source:
                await queue.put((True, item))
        except asyncio.CancelledError:
            raise
        except BaseException as exc:  # handed to the consumer, who raises it
            await queue.put((False, exc))
        else:
            await queue.put((False, None))

    task = asyncio.create_task(pump(), name="sync-read-ahead")
    try:
        while True:
            ok, item = await queue.get()
            if ok:
                yield item
            elif item is None:
                return
            else:
                raise item
    finally:
        if not task.done():
            task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        close = getattr(source, "aclose", None)
        if close is not None:
            await close()


def oauth_client(runtime: Runtime, provider: str) -> Any:
    """The configured OAuth app of `provider` (settings.integrations_oauth_clients), or None."""
    from brain.integrations.oauth import OAuthClient

    raw = runtime.settings.integrations_oauth_clients.get(provider) or {}
    if not raw.get("client_id") or not raw.get("client_secret"):
        return None
    return OAuthClient(client_id=raw["client_id"], client_secret=raw["client_secret"])


def _event_payload(run: SyncRun, connection: Connection, entry: ProviderEntry) -> dict[str, Any]:
    return {
        "sync_id": str(run.id),
        "connection_id": str(connection.id),
        "provider": entry.id,
        "mode": run.mode,
        "rows_read": run.rows_read,
        "rows_written": run.rows_written,
    }


async def _enqueue_brain_run(session: AsyncSession, org: uuid.UUID, jobs: JobBuffer) -> None:
    """Ask for a brain run after a successful sync, when the brain pipeline is installed."""
    try:
        from brain.brain_modules.runs.service import enqueue_brain_run
    except ImportError:
        return
    load_job_modules()
    try:
        async with session.begin_nested():
            if await admit_machine_run(session, org, jobs=jobs):
                await enqueue_brain_run(session, org, "sync", jobs=jobs)
    except KeyError:
        logger.warning("brain run job is not registered; no run enqueued after the sync")


def _time_stream(progress: dict[str, Any], started_at: str, finished: datetime | None) -> None:
    """A stream's timing in its progress: when it started and, once it ended, when and how
    many seconds it took (wall time, a resumed run's pause included)."""
    progress["started_at"] = started_at
    if finished is None:
        return
    progress["finished_at"] = finished.isoformat()
    try:
        began = datetime.fromisoformat(started_at)
    except ValueError:
        return
    progress["seconds"] = round(max((finished - began).total_seconds(), 0.0), 3)


def _failed_streams(
    streams: dict[str, Any] | None, current: dict[str, Any], now: datetime
) -> dict[str, Any]:
    """The run's stream progress once it failed: the stream it was reading (even before its
    first checkpoint) ends `failed` with its timing."""
    result = {name: dict(value) for name, value in (streams or {}).items()}
    name = current.get("stream")
    if name:
        progress = result.setdefault(name, {"rows_read": 0, "rows_written": 0})
        if progress.get("status") != "succeeded":
            progress["status"] = "failed"
            _time_stream(progress, str(progress.get("started_at") or current["started_at"]),
                         now)
    return result


def _window_start(run: SyncRun, cursor: date | None) -> date:
    if run.mode == SyncKind.delta.value and cursor is not None:
        return min(cursor - timedelta(days=LOOKBACK_DAYS - 1), run.end_date)
    return run.start_date


def _date(value: Any) -> date | None:
    return date.fromisoformat(str(value)) if value else None


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _auth(org: uuid.UUID) -> AuthContext:
    return job_auth(org, org)


async def _get_run(
    session: AsyncSession, org: uuid.UUID, run_id: uuid.UUID
) -> SyncRun | None:
    return await SyncRunRepository(session, _auth(org)).get(run_id)


async def _get_connection(
    session: AsyncSession, org: uuid.UUID, connection_id: uuid.UUID
) -> Connection | None:
    """The live (not revoked) connection."""
    return await ConnectionRepository(session, _auth(org)).get(connection_id)


async def _get_state(
    session: AsyncSession, org: uuid.UUID, connection_id: uuid.UUID, stream: str
) -> ConnectionStreamState | None:
    return await StreamStateRepository(session, _auth(org)).get_stream(connection_id, stream)
