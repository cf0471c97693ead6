"""Inbound webhooks: verify a provider's signature, store the raw event in the inbox
(deduplicated by the provider's event id) before acknowledging, then process it in a job
with retries and back-off; after the last retry the event becomes a dead letter.

Signature schemes (constant-time compares, timestamp tolerance of five minutes where the
scheme carries a timestamp):

* HubSpot v3: `X-HubSpot-Signature-v3` = base64 HMAC-SHA256 of method + URI + body +
  `X-HubSpot-Request-Timestamp` (milliseconds) under the app secret;
* Shopify: `X-Shopify-Hmac-Sha256` = base64 HMAC-SHA256 of the raw body;
* Stripe-style: `Stripe-Signature: t=…,v1=…` = hex HMAC-SHA256 of "{t}.{body}";
* Standard Webhooks (every other sender): `webhook-id/-timestamp/-signature`.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import logging
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import unquote

import orjson
from sqlalchemy import and_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

from brain.core import pacing
from brain.core.auth import AuthContext
from brain.core.crypto import DecryptionError, Keyring
from brain.core.db import BYPASS_INFO_KEY, set_tenant, system_session
from brain.core.errors import NotFound, ProblemError
from brain.core.jobs import Dispatcher, job
from brain.core.models import uuid7
from brain.core.runtime import Runtime
from brain.integrations.inbound_models import InboundWebhookEvent, InboundWebhookSecret
from brain.integrations.loaders import job_auth
from brain.integrations.models import Connection
from brain.webhooks import signing
from brain.webhooks.models import WebhookDeadLetter

logger = logging.getLogger("brain.integrations.inbound")

TOLERANCE = timedelta(minutes=5)
# Processing attempts and the back-off before attempt n+1 (with up to 10 % jitter).
MAX_PROCESSING_ATTEMPTS = 5
PROCESSING_BACKOFF: tuple[timedelta, ...] = (
    timedelta(seconds=10), timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30),
)
PROCESSING_LEASE = timedelta(minutes=5)
# Senders whose path names a signature scheme rather than a connector.
GENERIC_SENDERS = frozenset({"generic", "stripe"})
# Request headers kept with the event (for debugging and replay); never signatures.
_KEPT_HEADERS = ("content-type", "user-agent", "x-shopify-topic", "x-shopify-shop-domain",
                 "x-shopify-api-version", "webhook-id", "webhook-timestamp")


class SignatureRejected(Exception):
    """The request is not provably from the connection's sender (reason in the message)."""


@dataclass(frozen=True)
class InboundMessage:
    """One event out of a verified request."""

    event_id: str
    event_type: str
    body: bytes


def secret_context(connection_id: uuid.UUID) -> str:
    return f"integrations.inbound_secret:{connection_id}"


def signature_scheme(provider: str) -> str:
    """Which scheme a path's provider uses."""
    if provider in ("hubspot", "shopify", "stripe"):
        return provider
    return "standard"


def _hmac(secret: bytes, message: bytes) -> bytes:
    return hmac.new(secret, message, hashlib.sha256).digest()


def _within(now: datetime, seconds: float) -> bool:
    return abs(now.timestamp() - seconds) <= TOLERANCE.total_seconds()


def _json(body: bytes) -> Any:
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise SignatureRejected("the body is not JSON") from exc


def _fallback_id(body: bytes) -> str:
    return "sha256:" + hashlib.sha256(body).hexdigest()


def _hubspot_event_id(event: dict[str, Any], raw: bytes) -> str:
    """The inbox's dedupe key of one HubSpot event. HubSpot documents `eventId` as not
    guaranteed unique, so it is qualified by what a retry of the same notification repeats
    unchanged (subscription, object, property, occurrence time) — not `attemptNumber`, which
    a retry increments."""
    event_id = event.get("eventId")
    if event_id is None:
        return _fallback_id(raw)
    parts = [event_id, event.get("subscriptionId"), event.get("subscriptionType"),
             event.get("objectId"), event.get("propertyName"), event.get("occurredAt")]
    key = "/".join("" if part is None else str(part) for part in parts)
    return key if len(key) <= 255 else _fallback_id(key.encode())


def verify_hubspot(secret: str, headers: Mapping[str, str], *, method: str, uri: str,
                   body: bytes, now: datetime) -> list[InboundMessage]:
    signature = headers.get("x-hubspot-signature-v3", "")
    timestamp = headers.get("x-hubspot-request-timestamp", "")
    if not signature or not timestamp.isdigit():
        raise SignatureRejected("missing X-HubSpot-Signature-v3 or its timestamp")
    if not _within(now, int(timestamp) / 1000):
        raise SignatureRejected("X-HubSpot-Request-Timestamp is outside the tolerance")
    signed = method.upper().encode() + unquote(uri).encode() + body + timestamp.encode()
    expected = base64.b64encode(_hmac(secret.encode(), signed)).decode()
    if not hmac.compare_digest(expected.encode(), signature.encode()):
        raise SignatureRejected("the HubSpot signature does not match")
    events = _json(body)
    if not isinstance(events, list):
        events = [events]
    messages = []
    for event in events:
        if not isinstance(event, dict):
            raise SignatureRejected("a HubSpot event is not an object")
        raw = orjson.dumps(event)
        messages.append(InboundMessage(_hubspot_event_id(event, raw),
                                       str(event.get("subscriptionType") or "unknown"), raw))
    return messages


def verify_shopify(secret: str, headers: Mapping[str, str], *, body: bytes,
                   now: datetime) -> list[InboundMessage]:
    del now  # Shopify signs no timestamp; replays are caught by the event id.
    signature = headers.get("x-shopify-hmac-sha256", "")
    if not signature:
        raise SignatureRejected("missing X-Shopify-Hmac-Sha256")
    expected = base64.b64encode(_hmac(secret.encode(), body)).decode()
    if not hmac.compare_digest(expected.encode(), signature.encode()):
        raise SignatureRejected("the Shopify HMAC does not match")
    event_id = (headers.get("x-shopify-event-id") or headers.get("x-shopify-webhook-id")
                or _fallback_id(body))
    return [InboundMessage(event_id, headers.get("x-shopify-topic") or "unknown", body)]


def verify_stripe(secret: str, headers: Mapping[str, str], *, body: bytes,
                  now: datetime) -> list[InboundMessage]:
    pairs = [part.split("=", 1) for part in headers.get("stripe-signature", "").split(",")
             if "=" in part]
    timestamps = [value for key, value in pairs if key.strip() == "t"]
    offered = [value.strip() for key, value in pairs if key.strip() == "v1"]
    if len(timestamps) != 1 or not timestamps[0].strip().isdigit() or not offered:
        raise SignatureRejected("missing or malformed Stripe-Signature")
    timestamp = timestamps[0].strip()
    if not _within(now, int(timestamp)):
        raise SignatureRejected("the Stripe-Signature timestamp is outside the tolerance")
    expected = _hmac(secret.encode(), timestamp.encode() + b"." + body).hex().encode()
    matched = False
    for candidate in offered:
        matched |= hmac.compare_digest(expected, candidate.encode())
    if not matched:
        raise SignatureRejected("no Stripe v1 signature matches")
    event = _json(body)
    event_id = str(event.get("id")) if isinstance(event, dict) and event.get("id") else None
    event_type = str(event.get("type", "unknown")) if isinstance(event, dict) else "unknown"
    return [InboundMessage(event_id or _fallback_id(body), event_type, body)]


def verify_standard(secret: str, headers: Mapping[str, str], *, body: bytes,
                    now: datetime) -> list[InboundMessage]:
    try:
        signing.verify([secret], headers, body, now=now,
                       tolerance_seconds=int(TOLERANCE.total_seconds()))
    except (signing.WebhookVerificationError, ValueError) as exc:
        raise SignatureRejected(str(exc)) from exc
    event = _json(body)
    event_type = str(event.get("type", "unknown")) if isinstance(event, dict) else "unknown"
    return [InboundMessage(headers["webhook-id"], event_type, body)]


def verify_request(scheme: str, secret: str, headers: Mapping[str, str], *, method: str,
                   uri: str, body: bytes, now: datetime) -> list[InboundMessage]:
    """The events of a request whose signature checks out (else `SignatureRejected`)."""
    lowered = {k.lower(): v for k, v in headers.items()}
    if scheme == "hubspot":
        return verify_hubspot(secret, lowered, method=method, uri=uri, body=body, now=now)
    if scheme == "shopify":
        return verify_shopify(secret, lowered, body=body, now=now)
    if scheme == "stripe":
        return verify_stripe(secret, lowered, body=body, now=now)
    return verify_standard(secret, lowered, body=body, now=now)


# --- the inbox -------------------------------------------------------------------------


@dataclass(frozen=True)
class InboundTarget:
    """What the receiver needs of a connection: whose it is, its provider, its secret."""

    id: uuid.UUID
    organization_id: uuid.UUID
    provider: str
    revoked: bool
    secret: str | None


# Per-process cache of recent lookups (the decrypted secret included), so an acknowledgement
# costs no lookup and no decryption: one INSERT shared with concurrent requests and the
# commit. A changed secret or a revocation is seen at once in the process that made it
# (`forget_target`) and within `_TARGET_TTL` seconds elsewhere; a sender refused meanwhile
# retries.
_TARGET_TTL = 10.0
_TARGET_CACHE_MAX = 10_000
_targets: dict[uuid.UUID, tuple[float, InboundTarget | None]] = {}


_loading: dict[uuid.UUID, asyncio.Future[InboundTarget | None]] = {}


def forget_target(connection_id: uuid.UUID) -> None:
    _targets.pop(connection_id, None)


def _retrieved(future: asyncio.Future[InboundTarget | None]) -> None:
    if not future.cancelled():
        future.exception()  # the requests that shared the lookup report it; no warning here


async def _load_target(session: AsyncSession, keyring: Keyring,
                       connection_id: uuid.UUID) -> InboundTarget | None:
    from brain.core.db import set_system_mode

    await set_system_mode(session, True)
    row = (await session.execute(
        select(Connection.organization_id, Connection.provider, Connection.revoked_at,
               InboundWebhookSecret.secret_encrypted)
        .outerjoin(InboundWebhookSecret, and_(
            InboundWebhookSecret.connection_id == Connection.id,
            InboundWebhookSecret.organization_id == Connection.organization_id))
        .where(Connection.id == connection_id)
    )).first()
    if row is None:
        return None
    secret: str | None = None
    if row.secret_encrypted is not None:
        try:
            secret = keyring.decrypt(row.secret_encrypted, context=secret_context(connection_id))
        except DecryptionError:
            secret = None
    return InboundTarget(id=connection_id, organization_id=row.organization_id,
                         provider=row.provider, revoked=row.revoked_at is not None,
                         secret=secret)


async def resolve_target(runtime: Runtime, provider: str, connection_id: uuid.UUID, *,
                         now: float) -> InboundTarget:
    """The live connection the path names, looked up across tenants (404 otherwise), with
    its decrypted signing secret (from the per-process cache when fresh)."""
    cached = _targets.get(connection_id)
    if cached is not None and cached[0] > now:
        target = cached[1]
    elif (loading := _loading.get(connection_id)) is not None:
        try:
            target = await asyncio.shield(loading)  # one lookup serves every waiting request
        except asyncio.CancelledError:
            if loading.cancelled():  # the request looking it up went away: look it up again
                return await resolve_target(runtime, provider, connection_id, now=now)
            raise
    else:
        loading = asyncio.get_running_loop().create_future()
        loading.add_done_callback(_retrieved)
        _loading[connection_id] = loading
        try:
            async with runtime.session_factory() as session:
                target = await _load_target(session, runtime.keys, connection_id)
                await session.rollback()
        except asyncio.CancelledError:
            loading.cancel()
            raise
        except BaseException as exc:
            loading.set_exception(exc)
            raise
        finally:
            _loading.pop(connection_id, None)
        loading.set_result(target)
        if len(_targets) >= _TARGET_CACHE_MAX:
            _targets.clear()
        _targets[connection_id] = (now + _TARGET_TTL, target)
    if (target is None or target.revoked
            or (provider != target.provider and provider not in GENERIC_SENDERS)):
        raise NotFound("Connection")
    return target


def inbox_rows(target: InboundTarget, provider: str, messages: list[InboundMessage],
               headers: Mapping[str, str], *, now: datetime) -> list[dict[str, Any]]:
    """The inbox rows of a verified request (ids made here: the writer reports which of
    them were new)."""
    kept = {k: v for k, v in ((h, headers.get(h)) for h in _KEPT_HEADERS) if v}
    return [{
        "id": uuid7(), "organization_id": target.organization_id,
        "connection_id": target.id, "provider": provider,
        "provider_event_id": message.event_id[:255], "event_type": message.event_type[:200],
        "headers": kept, "body": message.body, "received_at": now, "status": "pending",
        "attempts": 0, "next_attempt_at": now,
    } for message in messages]


Batch = list[tuple[list[dict[str, Any]], "asyncio.Future[set[uuid.UUID]]"]]


class InboxWriter:
    """Stores inbox rows with group commit: requests arriving while the writer's
    transactions are in flight wait for the next one, which inserts all their rows with one
    `INSERT … ON CONFLICT DO NOTHING RETURNING id` (a duplicate event id is skipped) and
    commits. A request is answered only after the commit holding its rows; a failed
    transaction fails every request in it (the senders retry).

    A serving process on PostgreSQL (a runtime that owns its engine) writes through
    `concurrency` dedicated autocommit connections of its own (each INSERT is its own
    durable transaction: one round trip; the connections are in system mode, as every row
    names its organization). Otherwise (SQLite, tests sharing one connection) it writes
    through the runtime's sessions, one transaction at a time.

    One writer per process and event loop (`writer_for`); `close` releases its connections.
    """

    def __init__(self, runtime: Runtime, *, max_rows: int = 500, concurrency: int = 4) -> None:
        self.runtime = runtime
        self.factory = runtime.session_factory
        self.max_rows = max_rows
        self.dedicated = runtime.owns_engine and runtime.engine.dialect.name == "postgresql"
        self.concurrency = concurrency if self.dedicated else 1
        self._engine: AsyncEngine | None = None
        self._idle: list[AsyncConnection] = []
        self._pending: Batch = []
        self._running = 0
        self.transactions = 0

    async def store(self, rows: list[dict[str, Any]]) -> set[uuid.UUID]:
        """Insert `rows` (committed when this returns); the ids of those not seen before."""
        if not rows:
            return set()
        future: asyncio.Future[set[uuid.UUID]] = asyncio.get_running_loop().create_future()
        self._pending.append((rows, future))
        self._kick()
        return await future

    def _kick(self) -> None:
        while self._pending and self._running < self.concurrency:
            batch: Batch = []
            count = 0
            while self._pending and (not batch or count + len(self._pending[0][0])
                                     <= self.max_rows):
                item = self._pending.pop(0)
                batch.append(item)
                count += len(item[0])
            self._running += 1
            task = asyncio.create_task(self._flush(batch), name="inbound-inbox-writer")
            task.add_done_callback(_done)

    async def _flush(self, batch: Batch) -> None:
        try:
            rows = [row for rows, _ in batch for row in rows]
            try:
                inserted = await (self._insert_dedicated(rows) if self.dedicated
                                  else self._insert_session(rows))
            except Exception as exc:  # handed to every waiting request
                logger.warning("inbox insert of %d row(s) failed: %s", len(rows), exc)
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                return
            self.transactions += 1
            for rows_of_request, future in batch:
                if not future.done():
                    future.set_result(
                        {row["id"] for row in rows_of_request if row["id"] in inserted})
        finally:
            self._running -= 1
            self._kick()

    async def _insert_session(self, rows: list[dict[str, Any]]) -> set[uuid.UUID]:
        async with self.factory() as session:
            # The rows name their organization; one transaction serves many tenants.
            session.info[BYPASS_INFO_KEY] = True
            try:
                stmt = _insert_statement(session.get_bind().dialect.name)
                result = await session.execute(stmt, rows)
                inserted = set(result.scalars().all())
                await session.commit()
            except BaseException:
                await session.rollback()
                raise
        return inserted

    async def _insert_dedicated(self, rows: list[dict[str, Any]]) -> set[uuid.UUID]:
        connection = self._idle.pop() if self._idle else await self._connect()
        columns = [[row[name] for row in rows] for name in _UNNEST_COLUMNS]
        columns[_UNNEST_COLUMNS.index("headers")] = [
            orjson.dumps(value).decode() for value in columns[_UNNEST_COLUMNS.index("headers")]]
        try:
            result = await connection.exec_driver_sql(_UNNEST_INSERT, tuple(columns))
            inserted = {row[0] for row in result.all()}
        except BaseException:
            await connection.close()  # a broken or interrupted connection is not reused
            raise
        self._idle.append(connection)
        return inserted

    async def _connect(self) -> AsyncConnection:
        if self._engine is None:
            from brain.core.db import create_engine

            # No pool: these connections are the writer's alone and really close.
            self._engine = create_engine(self.runtime.settings, null_pool=True) \
                .execution_options(isolation_level="AUTOCOMMIT")
        connection = await self._engine.connect()
        try:
            await connection.exec_driver_sql(
                "SELECT set_config('app.rls_bypass', 'on', false), "
                "set_config('app.current_org', '', false)")
        except BaseException:
            await connection.close()
            raise
        return connection

    async def close(self) -> None:
        idle, self._idle = self._idle, []
        for connection in idle:
            await connection.close()
        if self._engine is not None:
            await self._engine.dispose()
            self._engine = None


def _done(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        logger.error("inbox writer task failed", exc_info=task.exception())


# PostgreSQL: one constant statement whatever the batch size (prepared once per connection),
# the rows passed as one array per column.
_UNNEST_COLUMNS = ("id", "organization_id", "connection_id", "provider", "provider_event_id",
                   "event_type", "headers", "body", "received_at", "status", "attempts",
                   "next_attempt_at")
_UNNEST_TYPES = ("uuid", "uuid", "uuid", "text", "text", "text", "text", "bytea", "timestamptz",
                 "text", "int4", "timestamptz")
_UNNEST_SELECTED = ", ".join(f"u.{c}::json" if c == "headers" else f"u.{c}"
                             for c in _UNNEST_COLUMNS)
_UNNEST_INSERT = (
    f"INSERT INTO inbound_webhook_events ({', '.join(_UNNEST_COLUMNS)}) "
    f"SELECT {_UNNEST_SELECTED}"
    f" FROM unnest({', '.join(f'%s::{t}[]' for t in _UNNEST_TYPES)})"
    f" AS u({', '.join(_UNNEST_COLUMNS)}) "
    "ON CONFLICT (organization_id, connection_id, provider_event_id) DO NOTHING RETURNING id"
)


def _insert_statement(dialect: str) -> Any:
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    else:
        from sqlalchemy.dialects.sqlite import insert as dialect_insert  # type: ignore[assignment]
    return dialect_insert(InboundWebhookEvent).on_conflict_do_nothing(
        index_elements=["organization_id", "connection_id", "provider_event_id"]
    ).returning(InboundWebhookEvent.id)


def writer_for(holder: Any, runtime: Runtime) -> InboxWriter:
    """The inbox writer kept on `holder` (the app's state), made on first use."""
    writer: InboxWriter | None = getattr(holder, "inbound_inbox_writer", None)
    if writer is None or writer.runtime is not runtime:
        writer = InboxWriter(runtime)
        holder.inbound_inbox_writer = writer
    return writer


async def close_receiver(holder: Any) -> None:
    """Release the inbox writer's connections (at application shutdown)."""
    writer: InboxWriter | None = getattr(holder, "inbound_inbox_writer", None)
    if writer is not None:
        await writer.close()


class ProcessingNudger:
    """Asks for the processing of stored events with as few job messages as possible: ids
    stored while a message is being sent go together in the next one. (Inline dispatchers
    — tests, `brain seed` — run the job in the request instead.)"""

    def __init__(self, dispatcher: Dispatcher) -> None:
        self.dispatcher = dispatcher
        self._ids: list[str] = []
        self._task: asyncio.Task[None] | None = None

    def nudge(self, event_ids: list[str]) -> None:
        self._ids.extend(event_ids)
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._send(), name="inbound-nudger")

    async def _send(self) -> None:
        while self._ids:
            # Events stored meanwhile join this message: fewer, larger jobs, and processing
            # in larger batches (a job's fixed cost is shared by more events).
            await asyncio.sleep(NUDGE_COALESCE_SECONDS)
            ids, self._ids = self._ids[:NUDGE_MAX_IDS], self._ids[NUDGE_MAX_IDS:]
            try:
                await self.dispatcher.dispatch(PROCESS_JOB, {"event_ids": ids})
            except Exception:  # the inbox pump picks the events up instead
                logger.exception("could not send %s for %d event(s)", PROCESS_JOB, len(ids))


def nudger_for(holder: Any, dispatcher: Dispatcher) -> ProcessingNudger:
    nudger: ProcessingNudger | None = getattr(holder, "inbound_nudger", None)
    if nudger is None or nudger.dispatcher is not dispatcher:
        nudger = ProcessingNudger(dispatcher)
        holder.inbound_nudger = nudger
    return nudger


async def set_secret(session: AsyncSession, keyring: Keyring, connection: Connection,
                     secret: str) -> None:
    """Store (or replace) the connection's inbound signing secret, sealed."""
    sealed = keyring.encrypt(secret, context=secret_context(connection.id))
    row = await session.scalar(select(InboundWebhookSecret).where(
        InboundWebhookSecret.organization_id == connection.organization_id,
        InboundWebhookSecret.connection_id == connection.id))
    if row is None:
        session.add(InboundWebhookSecret(organization_id=connection.organization_id,
                                         connection_id=connection.id,
                                         secret_encrypted=sealed))
    else:
        row.secret_encrypted = sealed
    await session.flush()
    forget_target(connection.id)


# --- processing ------------------------------------------------------------------------

PROCESS_JOB = "integrations.process_inbound"
NUDGE_MAX_IDS = 500
NUDGE_COALESCE_SECONDS = 0.1
# Events processed between two pauses while the embedded worker gives way to requests.
PACED_UNIT = 50
InboundHandler = Callable[[AsyncSession, AuthContext, Any], Awaitable[None]]
# A handler of many events of one type at once (one transaction; on failure every event of
# the batch is processed again on its own, so one poison event cannot hold the others).
InboundBatchHandler = Callable[[AsyncSession, AuthContext, list[Any]], Awaitable[None]]
INBOUND_HANDLERS: dict[tuple[str, str], InboundHandler] = {}
INBOUND_BATCH_HANDLERS: dict[tuple[str, str], InboundBatchHandler] = {}
_ORDER_TOPICS = ("orders/create", "orders/updated", "orders/paid", "orders/cancelled")


def handles(provider: str, *event_types: str) -> Callable[[InboundHandler], InboundHandler]:
    """Register a handler for some of a provider's event types."""

    def register(handler: InboundHandler) -> InboundHandler:
        for event_type in event_types:
            INBOUND_HANDLERS[(provider, event_type)] = handler
        return handler

    return register


def handles_batches(
    provider: str, *event_types: str
) -> Callable[[InboundBatchHandler], InboundBatchHandler]:
    """Register a batch handler (used only alongside a one-event handler of the same type)."""

    def register(handler: InboundBatchHandler) -> InboundBatchHandler:
        for event_type in event_types:
            INBOUND_BATCH_HANDLERS[(provider, event_type)] = handler
        return handler

    return register


def _order_payload(payload: Any) -> Any:
    if not isinstance(payload, dict) or "id" not in payload:
        raise ValueError("a Shopify order payload needs an id")
    return payload


@handles("shopify", *_ORDER_TOPICS)
async def shopify_order(session: AsyncSession, auth: AuthContext, payload: Any) -> None:
    """Upsert the order (a cancelled or test order is removed) through the warehouse."""
    await shopify_orders(session, auth, [payload])


@handles_batches("shopify", *_ORDER_TOPICS)
async def shopify_orders(session: AsyncSession, auth: AuthContext, payloads: list[Any]) -> None:
    """Upsert many orders in one go (the last event of an order wins)."""
    from brain.integrations.providers.commerce import CommerceLoader
    from brain.integrations.providers.shopify import normalise_order, order_row

    latest: dict[str, Any] = {}
    for payload in payloads:
        order = _order_payload(payload)
        latest[str(order["id"])] = order
    await CommerceLoader(auth).load_orders(
        session, [order_row(normalise_order(order)) for order in latest.values()])


@handles("shopify", "customers/create", "customers/update")
async def shopify_customer(session: AsyncSession, auth: AuthContext, payload: Any) -> None:
    from brain.integrations.providers.commerce import CommerceLoader, CustomerRow
    from brain.integrations.providers.shopify import PROVIDER, normalise_customer

    if not isinstance(payload, dict) or "id" not in payload:
        raise ValueError("a Shopify customer payload needs an id")
    data = normalise_customer(payload)
    await CommerceLoader(auth).load_customers(
        session, [CustomerRow(external_id=f"{PROVIDER}:{data['id']}", email=data["email"])])


def processing_delay(attempts_made: int) -> timedelta | None:
    """Back-off before the next processing attempt (None after the last one)."""
    if attempts_made >= MAX_PROCESSING_ATTEMPTS:
        return None
    base = PROCESSING_BACKOFF[min(attempts_made - 1, len(PROCESSING_BACKOFF) - 1)]
    return base * (1 + int.from_bytes(uuid.uuid4().bytes[:2], "big") / 65535 * 0.1)


@dataclass(frozen=True)
class _Claimed:
    id: uuid.UUID
    organization_id: uuid.UUID
    connection_id: uuid.UUID
    provider: str
    event_type: str


def _is_due(status: str, next_attempt_at: datetime | None,
            lease_expires_at: datetime | None, now: datetime) -> bool:
    """Whether a row read by id is due: pending and its time has come, or leased by a
    worker whose lease ran out."""
    if status == "pending":
        return next_attempt_at is not None and next_attempt_at <= now
    return status == "processing" and lease_expires_at is not None and lease_expires_at <= now


async def _claim(runtime: Runtime, event_ids: Sequence[uuid.UUID] | None,
                 limit: int) -> list[_Claimed]:
    """Lease due events (skipping rows another worker holds): the named ones, or the oldest
    `limit` due ones; then one update."""
    now = runtime.clock.now()
    events = InboundWebhookEvent
    columns = (events.id, events.organization_id, events.connection_id, events.provider,
               events.event_type)
    async with system_session(runtime.session_factory) as session:
        if event_ids is not None:
            # Named events are read by primary key alone, and whether each is due is decided
            # here: with the due condition in the query, the stale statistics of a fresh,
            # busy inbox made the planner scan every due event for each message.
            rows = (await session.execute(
                select(*columns, events.status, events.next_attempt_at,
                       events.lease_expires_at, events.received_at)
                .where(events.id.in_(list(event_ids)))
                .with_for_update(skip_locked=True)
            )).all()
            due = sorted(
                (row for row in rows
                 if _is_due(row.status, row.next_attempt_at, row.lease_expires_at, now)),
                key=lambda row: (row.next_attempt_at or row.received_at, row.id))
            claimed = [_Claimed(row.id, row.organization_id, row.connection_id, row.provider,
                                row.event_type) for row in due[:limit]]
        else:
            # Two ordered scans of `ix_inbound_webhook_events_due` that stop at `limit`: a
            # single query with both conditions (an OR) fetched and sorted every due event.
            expired = select(*columns).where(
                events.status == "processing", events.lease_expires_at <= now,
            ).order_by(events.lease_expires_at, events.id).limit(limit) \
                .with_for_update(skip_locked=True)
            claimed = [_Claimed(*row) for row in (await session.execute(expired)).all()]
            if len(claimed) < limit:
                pending = select(*columns).where(
                    events.status == "pending", events.next_attempt_at <= now,
                ).order_by(events.next_attempt_at, events.id).limit(limit - len(claimed)) \
                    .with_for_update(skip_locked=True)
                claimed += [_Claimed(*row) for row in (await session.execute(pending)).all()]
        if claimed:
            await session.execute(
                update(events)
                .where(events.id.in_([c.id for c in claimed]))
                .values(status="processing", attempts=events.attempts + 1,
                        lease_expires_at=now + PROCESSING_LEASE)
                .execution_options(synchronize_session=False)
            )
        return claimed


async def _process_batch(runtime: Runtime, group: list[_Claimed]) -> bool:
    """Run a batch handler over a run of same-type events in one transaction; False (and
    nothing written) when it failed."""
    first = group[0]
    handler = INBOUND_BATCH_HANDLERS[(first.provider, first.event_type)]
    events = InboundWebhookEvent
    try:
        async with system_session(runtime.session_factory) as session:
            rows = (await session.execute(
                select(events.id, events.body)
                .where(events.id.in_([c.id for c in group]), events.status == "processing")
                .order_by(events.received_at, events.id))).all()
            if not rows:
                return True
            await set_tenant(session, first.organization_id)
            await handler(session, job_auth(first.organization_id, first.connection_id),
                          [orjson.loads(body) for _, body in rows])
            await session.execute(
                update(events)
                .where(events.id.in_([event_id for event_id, _ in rows]))
                .values(status="processed", processed_at=runtime.clock.now(),
                        lease_expires_at=None, last_error=None)
                .execution_options(synchronize_session=False)
            )
    except Exception as exc:  # each event is retried on its own next
        logger.info("inbound batch of %d %s events failed (%s); one by one", len(group),
                    first.event_type, exc)
        return False
    return True


async def _process_one(runtime: Runtime, event_id: uuid.UUID) -> None:
    """Run the event's handler in one transaction; on failure schedule a retry or bury it."""
    error: str | None = None
    try:
        async with system_session(runtime.session_factory) as session:
            event = await session.get(InboundWebhookEvent, event_id)
            if event is None or event.status != "processing":
                return
            handler = INBOUND_HANDLERS.get((event.provider, event.event_type))
            now = runtime.clock.now()
            if handler is None:
                event.status = "ignored"
            else:
                await set_tenant(session, event.organization_id)
                await handler(session, job_auth(event.organization_id, event.connection_id),
                              orjson.loads(event.body))
                event.status = "processed"
            event.processed_at = now
            event.lease_expires_at = None
            event.last_error = None
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"[:1000]
        logger.warning("inbound event %s failed: %s", event_id, error)
    if error is not None:
        await _record_failure(runtime, event_id, error)


async def _record_failure(runtime: Runtime, event_id: uuid.UUID, error: str) -> None:
    now = runtime.clock.now()
    async with system_session(runtime.session_factory) as session:
        event = await session.get(InboundWebhookEvent, event_id)
        if event is None:
            return
        event.last_error = error
        event.lease_expires_at = None
        delay = processing_delay(event.attempts)
        if delay is not None:
            event.status = "pending"
            event.next_attempt_at = now + delay
            return
        event.status = "dead"
        event.next_attempt_at = None
        session.add(WebhookDeadLetter(
            id=uuid7(), organization_id=event.organization_id, direction="inbound",
            inbound_event_id=event.id, event_type=event.event_type[:100],
            attempts=event.attempts, error=error, created_at=now,
        ))


def _runs(claimed: list[_Claimed]) -> list[list[_Claimed]]:
    """Consecutive events of the same connection and type (the order is kept)."""
    runs: list[list[_Claimed]] = []
    for item in claimed:
        last = runs[-1][0] if runs else None
        if last is not None and (last.connection_id, last.provider, last.event_type) == (
                item.connection_id, item.provider, item.event_type):
            runs[-1].append(item)
        else:
            runs.append([item])
    return runs


async def process_claimed(runtime: Runtime, claimed: list[_Claimed]) -> None:
    """Process runs of same-type events (a batch handler, else one by one). On the embedded
    worker's thread, while the API is serving requests, a run goes in pieces of
    `PACED_UNIT` events with a pause after each (core/pacing.py); when it is idle, whole."""
    for run in _runs(claimed):
        while run:
            size = PACED_UNIT if pacing.is_paced() and pacing.REQUESTS.busy() else len(run)
            unit, run = run[:size], run[size:]
            started = time.monotonic()
            key = (unit[0].provider, unit[0].event_type)
            if not (len(unit) > 1 and key in INBOUND_BATCH_HANDLERS
                    and key in INBOUND_HANDLERS and await _process_batch(runtime, unit)):
                for item in unit:
                    await _process_one(runtime, item.id)
            await pacing.give_way(time.monotonic() - started)


async def process_due(runtime: Runtime, *, event_id: uuid.UUID | None = None,
                      event_ids: Sequence[uuid.UUID] | None = None, limit: int = 100) -> int:
    """Claim due inbox events (leased, so a dead worker's events come back) and process
    them (runs of the same type together); returns how many were attempted."""
    wanted = [event_id] if event_id is not None else event_ids
    started = time.monotonic()
    claimed = await _claim(runtime, wanted, limit if wanted is None else len(wanted))
    await pacing.give_way(time.monotonic() - started)
    await process_claimed(runtime, claimed)
    return len(claimed)


@job(PROCESS_JOB)
async def process_inbound(runtime: Runtime, *, event_id: str | None = None,
                          event_ids: list[str] | None = None) -> None:
    """Process received events now (sent after the acknowledgement's commit)."""
    ids = [uuid.UUID(i) for i in ([event_id] if event_id else event_ids or [])]
    for start in range(0, len(ids), NUDGE_MAX_IDS):
        await process_due(runtime, event_ids=ids[start : start + NUDGE_MAX_IDS])


PUMP_BUDGET_SECONDS = 50.0


@job("integrations.inbound_pump")
async def inbound_pump(runtime: Runtime) -> None:
    """Process every due inbox event (retries after back-off, events a dead worker held,
    events whose job message was lost), in rounds, for at most `PUMP_BUDGET_SECONDS`."""
    started = time.monotonic()
    while await process_due(runtime, limit=200) and \
            time.monotonic() - started < PUMP_BUDGET_SECONDS:
        pass


async def requeue_inbound_event(session: AsyncSession, actor: Any,
                                event_id: uuid.UUID | None) -> None:
    """Put a dead inbound event back in line (dead-letter replay), processed after commit."""
    event = None
    if event_id is not None:
        event = await session.scalar(select(InboundWebhookEvent).where(
            InboundWebhookEvent.organization_id == actor.auth.organization_id,
            InboundWebhookEvent.id == event_id))
    if event is None:
        raise NotFound("Inbound event")
    if event.status != "dead":
        raise ProblemError(409, "The event is not in the dead letters any more.")
    event.status = "pending"
    event.attempts = 0
    event.next_attempt_at = actor.clock.now()
    event.last_error = None
    await session.flush()
    actor.jobs.enqueue(PROCESS_JOB, event_id=str(event.id))


# HubSpot's CRM events register their handlers (`handles`) on import.
from brain.integrations import hubspot_webhooks as _hubspot_webhooks  # noqa: E402,F401
