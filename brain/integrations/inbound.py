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

import base64
import hashlib
import hmac
import logging
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import unquote

import orjson
from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from brain.core.auth import AuthContext
from brain.core.crypto import DecryptionError, Keyring
from brain.core.db import set_tenant, system_session
from brain.core.errors import NotFound, ProblemError
from brain.core.jobs import job
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
        event_id = str(event.get("eventId") or _fallback_id(raw))
        messages.append(InboundMessage(event_id, str(event.get("subscriptionType") or
                                                     "unknown"), raw))
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


# Per-process cache of recent lookups: the acknowledgement then costs one INSERT and the
# commit. A changed secret or a revocation is seen within `_TARGET_TTL` seconds (at once in
# the process that made the change); a sender refused meanwhile retries.
_TARGET_TTL = 10.0
_TARGET_CACHE_MAX = 10_000
_targets: dict[uuid.UUID, tuple[float, InboundTarget | None]] = {}


def forget_target(connection_id: uuid.UUID) -> None:
    _targets.pop(connection_id, None)


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
    # No switch back here: the caller binds the session to the organization next (one
    # round trip fewer), or ends the request with a 404.
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


async def find_connection(
    session: AsyncSession, keyring: Keyring, provider: str, connection_id: uuid.UUID,
    *, now: float,
) -> InboundTarget:
    """The live connection the path names, looked up across tenants (404 otherwise), with
    its decrypted signing secret; the session is then bound to its organization."""
    cached = _targets.get(connection_id)
    if cached is not None and cached[0] > now:
        target = cached[1]
    else:
        target = await _load_target(session, keyring, connection_id)
        if len(_targets) >= _TARGET_CACHE_MAX:
            _targets.clear()
        _targets[connection_id] = (now + _TARGET_TTL, target)
    if (target is None or target.revoked
            or (provider != target.provider and provider not in GENERIC_SENDERS)):
        raise NotFound("Connection")
    await set_tenant(session, target.organization_id)
    return target


async def store_messages(
    session: AsyncSession, connection: InboundTarget, provider: str,
    messages: list[InboundMessage], headers: Mapping[str, str], *, now: datetime,
) -> list[uuid.UUID]:
    """Insert the events not seen before (by provider event id); returns the new ids."""
    kept = {k: v for k, v in ((h, headers.get(h)) for h in _KEPT_HEADERS) if v}
    rows = [{
        "id": uuid7(), "organization_id": connection.organization_id,
        "connection_id": connection.id, "provider": provider,
        "provider_event_id": message.event_id[:255], "event_type": message.event_type[:200],
        "headers": kept, "body": message.body, "received_at": now, "status": "pending",
        "attempts": 0, "next_attempt_at": now,
    } for message in messages]
    if not rows:
        return []
    bind = session.get_bind()
    if bind.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    else:
        from sqlalchemy.dialects.sqlite import insert as dialect_insert  # type: ignore[assignment]
    stmt = dialect_insert(InboundWebhookEvent).values(rows).on_conflict_do_nothing(
        index_elements=["organization_id", "connection_id", "provider_event_id"]
    ).returning(InboundWebhookEvent.id)
    return list((await session.scalars(stmt)).all())


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

InboundHandler = Callable[[AsyncSession, AuthContext, Any], Awaitable[None]]
INBOUND_HANDLERS: dict[tuple[str, str], InboundHandler] = {}


def handles(provider: str, *event_types: str) -> Callable[[InboundHandler], InboundHandler]:
    """Register a handler for some of a provider's event types."""

    def register(handler: InboundHandler) -> InboundHandler:
        for event_type in event_types:
            INBOUND_HANDLERS[(provider, event_type)] = handler
        return handler

    return register


@handles("shopify", "orders/create", "orders/updated", "orders/paid", "orders/cancelled")
async def shopify_order(session: AsyncSession, auth: AuthContext, payload: Any) -> None:
    """Upsert the order (a cancelled or test order is removed) through the warehouse."""
    from brain.integrations.providers.commerce import CommerceLoader
    from brain.integrations.providers.shopify import normalise_order, order_row

    if not isinstance(payload, dict) or "id" not in payload:
        raise ValueError("a Shopify order payload needs an id")
    await CommerceLoader(auth).load_orders(session, [order_row(normalise_order(payload))])


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


def _due(now: datetime) -> Any:
    return or_(
        and_(InboundWebhookEvent.status == "pending", InboundWebhookEvent.next_attempt_at <= now),
        and_(InboundWebhookEvent.status == "processing",
             InboundWebhookEvent.lease_expires_at <= now),
    )


async def _claim(runtime: Runtime, event_id: uuid.UUID | None, limit: int) -> list[uuid.UUID]:
    now = runtime.clock.now()
    async with system_session(runtime.session_factory) as session:
        stmt = select(InboundWebhookEvent).where(_due(now))
        if event_id is not None:
            stmt = stmt.where(InboundWebhookEvent.id == event_id)
        stmt = stmt.order_by(InboundWebhookEvent.next_attempt_at).limit(limit).with_for_update(
            skip_locked=True)
        events = list((await session.scalars(stmt)).all())
        for event in events:
            event.status = "processing"
            event.attempts += 1
            event.lease_expires_at = now + PROCESSING_LEASE
        return [event.id for event in events]


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


async def process_due(runtime: Runtime, *, event_id: uuid.UUID | None = None,
                      limit: int = 100) -> int:
    """Claim due inbox events (leased, so a dead worker's events come back) and process
    them one by one; returns how many were attempted."""
    claimed = await _claim(runtime, event_id, limit)
    for claimed_id in claimed:
        await _process_one(runtime, claimed_id)
    return len(claimed)


@job("integrations.process_inbound")
async def process_inbound(runtime: Runtime, *, event_id: str) -> None:
    """Process one received event now (sent after the acknowledgement's commit)."""
    await process_due(runtime, event_id=uuid.UUID(event_id), limit=1)


@job("integrations.inbound_pump")
async def inbound_pump(runtime: Runtime) -> None:
    """Process every due inbox event: retries after back-off, events a dead worker held."""
    await process_due(runtime)


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
    actor.jobs.enqueue("integrations.process_inbound", event_id=str(event.id))
