"""CSV imports: the upload is copied to disk in chunks; the job then reads it as a stream,
validates each row, and writes the good ones chunk by chunk (one transaction per chunk).

Documented columns (header names are case-insensitive; unknown columns are ignored):

* `daily_metrics`: `date, channel, campaign, creative, impressions, clicks, spend,
  conversions, revenue`, optional `platform, frequency, video_views`. `campaign` and
  `creative` may be empty (channel- or campaign-level rows); a creative needs its campaign.
  Channels, campaigns and creatives are matched by name (a campaign within its channel, a
  creative within its campaign) and created when missing: a new channel takes the row's
  `platform` (else `other`), a new creative the format `image`.
* `orders`: `order_id, customer_id, order_date, revenue`, optional `channel`. `customer_id`
  is the customer's external id; missing customers are created. An existing `order_id` is
  updated.

Line 1 is the header. A failure part-way (e.g. bytes that are not UTF-8) marks the import
failed; the chunks written before it stay, and no chunk is ever written in part. Either way
the outcome is announced to webhook subscribers (`import.completed`, in the transaction that
records it).
"""

from __future__ import annotations

import csv
import io
import logging
import re
import uuid
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, ClassVar

import anyio
from pydantic import BaseModel, ConfigDict, TypeAdapter, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.datastructures import UploadFile

from brain.billing.gates import record_ingested
from brain.core.auth import AuthContext, SubjectType
from brain.core.db import tenant_session
from brain.core.models import utcnow, uuid7
from brain.core.sanitize import ExternalId, Name
from brain.organizations.permissions import Role, permissions_for
from brain.warehouse import bulk
from brain.warehouse.models import (
    Campaign,
    Channel,
    Creative,
    CreativeFormat,
    ImportJob,
    ImportKind,
    ImportStatus,
    Platform,
)
from brain.warehouse.repository import (
    CampaignRepository,
    ChannelRepository,
    CreativeRepository,
    CustomerRepository,
    ImportJobRepository,
)
from brain.warehouse.schemas import Amount, Count, Day, Frequency
from brain.webhooks.events import payload_time
from brain.webhooks.outbox import enqueue_event

logger = logging.getLogger("brain.warehouse.imports")

UPLOAD_CHUNK_BYTES = 1024 * 1024
ROWS_PER_CHUNK = 5_000
MAX_STORED_ERRORS = 1_000
# Distinct names whose validation result is remembered during one import.
_NAME_CACHE_LIMIT = 100_000
_UNSAFE_FILENAME = re.compile(r"[^\w.\- ()]+")
IMPORT_COMPLETED = "import.completed"


# The upload -----------------------------------------------------------------------------


def safe_filename(filename: str | None) -> str | None:
    """The client's file name reduced to a harmless base name (for display only)."""
    if not filename:
        return None
    base = filename.replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = _UNSAFE_FILENAME.sub("_", base).strip()[:255]
    return cleaned or None


def import_file_path(imports_dir: Path, import_id: uuid.UUID) -> Path:
    return imports_dir / f"{import_id}.csv"


def _copy_in_chunks(source: IO[bytes], target: Path) -> int:
    target.parent.mkdir(parents=True, exist_ok=True)
    source.seek(0)
    size = 0
    with target.open("wb") as out:
        while chunk := source.read(UPLOAD_CHUNK_BYTES):
            out.write(chunk)
            size += len(chunk)
    return size


async def discard_file(path: Path) -> None:
    """Delete an upload's file if it is there."""
    await anyio.Path(path).unlink(missing_ok=True)


async def save_upload(upload: UploadFile, target: Path) -> int:
    """Copy the (already spooled) upload to `target` 1 MiB at a time; returns its size."""
    return await anyio.to_thread.run_sync(_copy_in_chunks, upload.file, target)


# Row parsing ----------------------------------------------------------------------------


class RowError(ValueError):
    """A row that cannot be imported; the message is shown with the row's line number."""


class ImportFailed(Exception):
    """The whole import cannot go on (bad header, not a CSV, not UTF-8)."""


def _first_error(exc: ValidationError) -> str:
    error = exc.errors(include_url=False, include_input=False)[0]
    where = ".".join(str(part) for part in error.get("loc", ()))
    return f"{where}: {error['msg']}" if where else str(error["msg"])


class _Names:
    """Validates names with `Name`/`ExternalId`, remembering results (names repeat a lot)."""

    def __init__(self, adapter: TypeAdapter[str]) -> None:
        self._adapter = adapter
        self._cache: dict[str, tuple[bool, str]] = {}

    def clean(self, value: str, column: str) -> str:
        cached = self._cache.get(value)
        if cached is None:
            try:
                cached = (True, self._adapter.validate_python(value))
            except ValidationError as exc:
                cached = (False, exc.errors(include_url=False, include_input=False)[0]["msg"])
            if len(self._cache) < _NAME_CACHE_LIMIT:
                self._cache[value] = cached
        ok, result = cached
        if not ok:
            raise RowError(f"{column}: {result}")
        return result


class _MetricValues(BaseModel):
    model_config = ConfigDict(extra="ignore")

    date: Day
    impressions: Count
    clicks: Count
    spend: Amount
    conversions: Amount
    revenue: Amount
    frequency: Frequency | None = None
    video_views: Count | None = None


class _OrderValues(BaseModel):
    model_config = ConfigDict(extra="ignore")

    order_date: Day
    revenue: Amount


@dataclass(slots=True)
class MetricRow:
    channel: str
    campaign: str | None
    creative: str | None
    platform: Platform | None
    values: dict[str, Any]


@dataclass(slots=True)
class OrderRow:
    order_id: str
    customer_id: str
    channel: str | None
    values: dict[str, Any]


class ImportKindHandler(ABC):
    """Parses one kind of file's rows and writes a chunk of them."""

    required: ClassVar[tuple[str, ...]]
    optional: ClassVar[tuple[str, ...]]

    @abstractmethod
    def parse(self, record: dict[str, str]) -> Any:
        """The row's typed values, or `RowError`."""

    @abstractmethod
    async def write(self, session: AsyncSession, auth: AuthContext, rows: list[Any]) -> None:
        """Write parsed rows (creating what they refer to by name)."""


def _require_values(record: dict[str, str], columns: tuple[str, ...]) -> None:
    for column in columns:
        if not record.get(column):
            raise RowError(f"{column}: a value is required")


def _optional(record: dict[str, str], column: str) -> str | None:
    return record.get(column) or None


@dataclass
class _NameResolver:
    """Ids of channels/campaigns/creatives by name, creating missing ones (kept per import)."""

    channels: dict[str, uuid.UUID] = field(default_factory=dict)
    campaigns: dict[tuple[uuid.UUID, str], uuid.UUID] = field(default_factory=dict)
    creatives: dict[tuple[uuid.UUID, str], uuid.UUID] = field(default_factory=dict)

    async def channel_ids(
        self, session: AsyncSession, auth: AuthContext, wanted: dict[str, Platform | None]
    ) -> None:
        missing = [name for name in wanted if name not in self.channels]
        if not missing:
            return
        repo = ChannelRepository(session, auth)
        found = await repo.by_names(missing)
        for name in missing:
            channel = found.get(name)
            if channel is None:
                platform = wanted[name] or Platform.other
                channel = repo.add(Channel(id=uuid7(), name=name, platform=platform.value))
            self.channels[name] = channel.id
        await session.flush()

    async def campaign_ids(
        self, session: AsyncSession, auth: AuthContext, wanted: set[tuple[uuid.UUID, str]]
    ) -> None:
        missing = [key for key in wanted if key not in self.campaigns]
        if not missing:
            return
        repo = CampaignRepository(session, auth)
        found = await repo.by_keys(missing)
        for channel_id, name in missing:
            campaign = found.get((channel_id, name))
            if campaign is None:
                campaign = repo.add(Campaign(id=uuid7(), name=name, channel_id=channel_id))
            self.campaigns[(channel_id, name)] = campaign.id
        await session.flush()

    async def creative_ids(
        self, session: AsyncSession, auth: AuthContext, wanted: set[tuple[uuid.UUID, str]]
    ) -> None:
        missing = [key for key in wanted if key not in self.creatives]
        if not missing:
            return
        repo = CreativeRepository(session, auth)
        found = await repo.by_keys(missing)
        for campaign_id, name in missing:
            creative = found.get((campaign_id, name))
            if creative is None:
                creative = repo.add(
                    Creative(
                        id=uuid7(),
                        name=name,
                        campaign_id=campaign_id,
                        format=CreativeFormat.image.value,
                    )
                )
            self.creatives[(campaign_id, name)] = creative.id
        await session.flush()


class DailyMetricsImport(ImportKindHandler):
    """Rows of `daily_metrics` files."""

    required: ClassVar[tuple[str, ...]] = (
        "date", "channel", "impressions", "clicks", "spend", "conversions", "revenue"
    )
    optional: ClassVar[tuple[str, ...]] = (
        "campaign", "creative", "platform", "frequency", "video_views"
    )
    _numbers = ("date", "impressions", "clicks", "spend", "conversions", "revenue")

    def __init__(self) -> None:
        self._names = _Names(TypeAdapter(Name))
        self._resolver = _NameResolver()

    def parse(self, record: dict[str, str]) -> MetricRow:
        _require_values(record, self.required)
        campaign, creative = _optional(record, "campaign"), _optional(record, "creative")
        if creative is not None and campaign is None:
            raise RowError("creative: needs the creative's campaign in the campaign column")
        platform = None
        if raw_platform := _optional(record, "platform"):
            try:
                platform = Platform(raw_platform.lower())
            except ValueError:
                allowed = ", ".join(p.value for p in Platform)
                raise RowError(f"platform: must be one of {allowed}") from None
        try:
            values = _MetricValues.model_validate(
                {
                    **{name: record[name] for name in self._numbers},
                    "frequency": _optional(record, "frequency"),
                    "video_views": _optional(record, "video_views"),
                }
            )
        except ValidationError as exc:
            raise RowError(_first_error(exc)) from None
        return MetricRow(
            channel=self._names.clean(record["channel"], "channel"),
            campaign=None if campaign is None else self._names.clean(campaign, "campaign"),
            creative=None if creative is None else self._names.clean(creative, "creative"),
            platform=platform,
            values=vars(values),
        )

    async def write(self, session: AsyncSession, auth: AuthContext, rows: list[MetricRow]) -> None:
        resolver = self._resolver
        platforms: dict[str, Platform | None] = {}
        for row in rows:
            if platforms.get(row.channel) is None:
                platforms[row.channel] = row.platform
        await resolver.channel_ids(session, auth, platforms)
        await resolver.campaign_ids(
            session,
            auth,
            {(resolver.channels[r.channel], r.campaign) for r in rows if r.campaign is not None},
        )
        creative_keys: set[tuple[uuid.UUID, str]] = set()
        for row in rows:
            if row.campaign is not None and row.creative is not None:
                owner = resolver.campaigns[(resolver.channels[row.channel], row.campaign)]
                creative_keys.add((owner, row.creative))
        await resolver.creative_ids(session, auth, creative_keys)
        metric_rows: list[dict[str, Any]] = []
        for row in rows:
            channel_id = resolver.channels[row.channel]
            campaign_id = (
                None if row.campaign is None else resolver.campaigns[(channel_id, row.campaign)]
            )
            creative_id = (
                None
                if campaign_id is None or row.creative is None
                else resolver.creatives[(campaign_id, row.creative)]
            )
            metric_rows.append(
                {
                    **row.values,
                    "channel_id": channel_id,
                    "campaign_id": campaign_id,
                    "creative_id": creative_id,
                }
            )
        await bulk.upsert_daily_metrics(session, auth.organization_id, metric_rows)


class OrdersImport(ImportKindHandler):
    """Rows of `orders` files."""

    required: ClassVar[tuple[str, ...]] = ("order_id", "customer_id", "order_date", "revenue")
    optional: ClassVar[tuple[str, ...]] = ("channel",)

    def __init__(self) -> None:
        self._names = _Names(TypeAdapter(Name))
        self._external_ids = _Names(TypeAdapter(ExternalId))
        self._resolver = _NameResolver()

    def parse(self, record: dict[str, str]) -> OrderRow:
        _require_values(record, self.required)
        try:
            values = _OrderValues.model_validate(
                {"order_date": record["order_date"], "revenue": record["revenue"]}
            )
        except ValidationError as exc:
            raise RowError(_first_error(exc)) from None
        channel = _optional(record, "channel")
        return OrderRow(
            order_id=self._external_ids.clean(record["order_id"], "order_id"),
            customer_id=self._external_ids.clean(record["customer_id"], "customer_id"),
            channel=None if channel is None else self._names.clean(channel, "channel"),
            values=vars(values),
        )

    async def write(self, session: AsyncSession, auth: AuthContext, rows: list[OrderRow]) -> None:
        resolver = self._resolver
        await resolver.channel_ids(
            session, auth, {row.channel: None for row in rows if row.channel is not None}
        )
        customers = CustomerRepository(session, auth)
        wanted = {row.customer_id for row in rows}
        customer_ids = await customers.ids_by_external_ids(wanted)
        missing = wanted - customer_ids.keys()
        if missing:
            await bulk.upsert_customers(
                session,
                auth.organization_id,
                [{"id": uuid7(), "external_id": external_id} for external_id in missing],
            )
            customer_ids.update(await customers.ids_by_external_ids(missing))
        await bulk.upsert_orders(
            session,
            auth.organization_id,
            [
                {
                    "external_id": row.order_id,
                    "customer_id": customer_ids[row.customer_id],
                    "order_date": row.values["order_date"],
                    "revenue": row.values["revenue"],
                    "channel_id": None if row.channel is None else resolver.channels[row.channel],
                }
                for row in rows
            ],
        )


def handler_for(kind: ImportKind) -> ImportKindHandler:
    if kind is ImportKind.daily_metrics:
        return DailyMetricsImport()
    return OrdersImport()


# The job --------------------------------------------------------------------------------


def _column_positions(header: list[str], handler: ImportKindHandler) -> dict[str, int]:
    """Where each known column is; `ImportFailed` when a required one is missing."""
    known = set(handler.required) | set(handler.optional)
    positions: dict[str, int] = {}
    for index, raw_name in enumerate(header):
        name = raw_name.strip().lower()
        if name not in known:
            continue  # unknown columns are ignored
        if name in positions:
            raise ImportFailed(f"The header names the column '{name}' twice.")
        positions[name] = index
    missing = [column for column in handler.required if column not in positions]
    if missing:
        raise ImportFailed(
            "The header lacks the required column(s): "
            + ", ".join(missing)
            + ". Expected: "
            + ", ".join(handler.required)
            + (" (optional: " + ", ".join(handler.optional) + ")" if handler.optional else "")
            + "."
        )
    return positions


@dataclass
class _Chunk:
    rows: list[Any] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.rows) + len(self.errors)


class ImportRunner:
    """Runs one queued import: marks it running, streams the file, records the outcome."""

    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        *,
        organization_id: uuid.UUID,
        import_id: uuid.UUID,
    ) -> None:
        self.session_factory = session_factory
        self.organization_id = organization_id
        self.import_id = import_id
        self.auth = AuthContext(
            organization_id=organization_id,
            role=Role.analyst,
            permissions=permissions_for(Role.analyst),
            subject_type=SubjectType.job,
            subject_id=import_id,
        )
        self.rows_accepted = 0
        self.rows_rejected = 0
        self.stored_errors: list[dict[str, Any]] = []

    async def _load(self, session: AsyncSession) -> ImportJob | None:
        return await ImportJobRepository(session, self.auth).get(self.import_id)

    async def run(self) -> None:
        """Import the file, then delete it; never raises for a bad file."""
        async with tenant_session(self.session_factory, self.organization_id) as session:
            job = await self._load(session)
            if job is None or job.status != ImportStatus.queued.value:
                logger.warning("import %s is missing or not queued; skipped", self.import_id)
                return
            job.status = ImportStatus.running.value
            job.started_at = utcnow()
            kind, path = ImportKind(job.kind), Path(job.file_path or "")
        failure: str | None = None
        try:
            await self._import_file(handler_for(kind), path)
        except ImportFailed as exc:
            failure = str(exc)
        except Exception:
            logger.exception("import %s stopped", self.import_id)
            failure = "The import stopped because of an internal error."
        finally:
            await discard_file(path)
        await self._finish(failure)

    async def _import_file(self, handler: ImportKindHandler, path: Path) -> None:
        try:
            binary = open(path, "rb")  # noqa: ASYNC230, SIM115 - read in small blocks
        except FileNotFoundError:
            raise ImportFailed("The uploaded file is no longer available.") from None
        with binary, io.TextIOWrapper(binary, encoding="utf-8-sig", newline="") as text:
            reader = csv.reader(text)
            line = 1
            try:
                header = next(reader, None)
                if header is None:
                    raise ImportFailed("The file is empty; line 1 must be the header.")
                positions = _column_positions(header, handler)
                chunk = _Chunk()
                for line, record in self._records(reader):
                    if len(record) != len(header):
                        chunk.errors.append(
                            {
                                "line": line,
                                "message": f"expected {len(header)} fields, found {len(record)}",
                            }
                        )
                    else:
                        values = {name: record[i].strip() for name, i in positions.items()}
                        try:
                            chunk.rows.append(handler.parse(values))
                        except RowError as exc:
                            chunk.errors.append({"line": line, "message": str(exc)})
                    if len(chunk) >= ROWS_PER_CHUNK:
                        await self._write_chunk(handler, chunk, binary.tell())
                        chunk = _Chunk()
            except UnicodeDecodeError:
                raise ImportFailed(f"The file is not UTF-8 text (near line {line + 1}).") from None
            except csv.Error as exc:
                raise ImportFailed(f"Line {line + 1} is not valid CSV: {exc}.") from None
            await self._write_chunk(handler, chunk, binary.tell())

    @staticmethod
    def _records(reader: Any) -> Iterator[tuple[int, list[str]]]:
        """(first line of the record, fields), skipping blank lines."""
        previous = reader.line_num
        for record in reader:
            first_line = previous + 1
            previous = reader.line_num
            if record:
                yield first_line, record

    async def _write_chunk(self, handler: ImportKindHandler, chunk: _Chunk, position: int) -> None:
        """Write the chunk's good rows and the progress in one transaction."""
        async with tenant_session(self.session_factory, self.organization_id) as session:
            if chunk.rows:
                await handler.write(session, self.auth, chunk.rows)
                # Counted against the plan's events per month, past the limit too: kept.
                await record_ingested(session, self.organization_id, len(chunk.rows))
            self.rows_accepted += len(chunk.rows)
            self.rows_rejected += len(chunk.errors)
            room = MAX_STORED_ERRORS - len(self.stored_errors)
            if room > 0 and chunk.errors:
                self.stored_errors = [*self.stored_errors, *chunk.errors[:room]]
            job = await self._load(session)
            if job is not None:
                job.rows_accepted = self.rows_accepted
                job.rows_rejected = self.rows_rejected
                job.errors = self.stored_errors
                job.bytes_processed = position

    async def _finish(self, failure: str | None) -> None:
        """Record the outcome and write `import.completed` for webhook subscribers (one
        transaction: the event exists exactly when the outcome was stored)."""
        async with tenant_session(self.session_factory, self.organization_id) as session:
            job = await self._load(session)
            if job is None:
                return
            job.status = (ImportStatus.failed if failure else ImportStatus.succeeded).value
            job.failure_reason = failure[:1000] if failure else None
            if failure is None:
                job.bytes_processed = job.size_bytes
            job.finished_at = utcnow()
            await enqueue_event(session, self.organization_id, IMPORT_COMPLETED,
                                completed_payload(job), now=job.finished_at)


def completed_payload(job: ImportJob) -> dict[str, Any]:
    """The `import.completed` event's data."""
    assert job.finished_at is not None
    return {
        "import_id": str(job.id),
        "kind": job.kind,
        "status": job.status,
        "rows_accepted": job.rows_accepted,
        "rows_rejected": job.rows_rejected,
        "failure_reason": job.failure_reason,
        "finished_at": payload_time(job.finished_at),
    }
