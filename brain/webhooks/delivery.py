"""Sending deliveries: claim due ones under a lease (committed), POST them outside any
transaction, then record each outcome and schedule the retry. A worker that dies after
claiming leaves a lease that expires, and the next run claims the delivery again."""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx
import orjson
from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from brain.core.crypto import DecryptionError, Keyring
from brain.core.models import uuid7
from brain.webhooks.models import (
    WebhookDeadLetter,
    WebhookDelivery,
    WebhookDeliveryAttempt,
    WebhookEndpoint,
    WebhookEvent,
)
from brain.webhooks.retry import AUTO_DISABLE_AFTER, parse_retry_after, retry_delay
from brain.webhooks.signing import signature_headers
from brain.webhooks.ssrf import UnsafeTarget, pinned_url, resolve_target

RESPONSE_LOG_CHARS = 1024
_READ_LIMIT = 64 * 1024
USER_AGENT = "Brain-Webhooks/1.0"


def secret_context(endpoint_id: uuid.UUID) -> str:
    """AES-GCM associated data binding a secret to its endpoint."""
    return f"webhooks.endpoint:{endpoint_id}"


def secrets_in_use(keyring: Keyring, endpoint: WebhookEndpoint, now: datetime) -> list[str]:
    """The current secret, then the previous one while its overlap window lasts."""
    context = secret_context(endpoint.id)
    found = [keyring.decrypt(endpoint.secret_encrypted, context=context)]
    if (endpoint.previous_secret_encrypted and endpoint.previous_secret_expires_at
            and endpoint.previous_secret_expires_at > now):
        found.append(keyring.decrypt(endpoint.previous_secret_encrypted, context=context))
    return found


def message_body(event: WebhookEvent) -> bytes:
    """The Standard Webhooks envelope: `{type, timestamp, data}`."""
    return orjson.dumps({
        "type": event.event_type,
        "timestamp": event.created_at.isoformat().replace("+00:00", "Z"),
        "data": event.payload,
    })


def message_id(event_id: uuid.UUID) -> str:
    """`webhook-id`: the event's id, the same on every retry (receivers deduplicate on it)."""
    return f"msg_{event_id.hex}"


@dataclass(frozen=True)
class Claim:
    """A delivery leased to this worker, with everything needed to send it."""

    delivery_id: uuid.UUID
    attempt_number: int
    url: str
    secrets: tuple[str, ...]
    msg_id: str
    body: bytes


@dataclass(frozen=True)
class AttemptOutcome:
    requested_at: datetime
    duration_ms: int
    status_code: int | None
    error: str | None
    response_body: str | None
    retry_after: str | None

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def lease_length(timeout_seconds: float) -> timedelta:
    """Long enough for the request and the bookkeeping around it."""
    return timedelta(seconds=timeout_seconds * 2 + 30)


def _due(now: datetime) -> object:
    return or_(
        and_(WebhookDelivery.status == "pending", WebhookDelivery.next_attempt_at <= now),
        and_(WebhookDelivery.status == "delivering", WebhookDelivery.lease_expires_at <= now),
    )


async def claim_due(
    session: AsyncSession,
    keyring: Keyring,
    *,
    now: datetime,
    limit: int,
    lease: timedelta,
    delivery_id: uuid.UUID | None = None,
) -> list[Claim]:
    """Lease up to `limit` due deliveries (or just `delivery_id`); the caller commits."""
    stmt = select(WebhookDelivery).where(_due(now))  # type: ignore[arg-type]
    if delivery_id is not None:
        stmt = stmt.where(WebhookDelivery.id == delivery_id)
    stmt = (stmt.order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
            .limit(limit).with_for_update(skip_locked=True))
    deliveries = list((await session.scalars(stmt)).all())
    if not deliveries:
        return []
    endpoints = {e.id: e for e in (await session.scalars(select(WebhookEndpoint).where(
        WebhookEndpoint.id.in_({d.endpoint_id for d in deliveries})))).all()}
    events = {e.id: e for e in (await session.scalars(select(WebhookEvent).where(
        WebhookEvent.id.in_({d.event_id for d in deliveries})))).all()}
    claims: list[Claim] = []
    for delivery in deliveries:
        endpoint = endpoints[delivery.endpoint_id]
        if endpoint.deleted_at is not None:
            delivery.status = "cancelled"
            delivery.completed_at = now
            continue
        if not endpoint.enabled:
            await bury(session, delivery, now=now,
                       error=f"endpoint disabled ({endpoint.disabled_reason or 'by a member'})")
            continue
        try:
            signing_secrets = tuple(secrets_in_use(keyring, endpoint, now))
        except DecryptionError:
            # A poison delivery must not block the batch: bury it, visibly.
            await bury(session, delivery, now=now, error="cannot decrypt the endpoint secret")
            continue
        delivery.status = "delivering"
        delivery.attempt_count += 1
        delivery.lease_expires_at = now + lease
        event = events[delivery.event_id]
        claims.append(Claim(
            delivery_id=delivery.id, attempt_number=delivery.attempt_count, url=endpoint.url,
            secrets=signing_secrets, msg_id=message_id(event.id), body=message_body(event),
        ))
    await session.flush()
    return claims


def _host_header(url: str) -> str:
    parts = httpx.URL(url)
    default_port = 443 if parts.scheme == "https" else 80
    port = parts.port
    host = parts.host if ":" not in parts.host else f"[{parts.host}]"
    return host if port in (None, default_port) else f"{host}:{port}"


async def send(
    client: httpx.AsyncClient, claim: Claim, *, now: datetime, development: bool,
    timeout_seconds: float,
) -> AttemptOutcome:
    """POST one signed message; never raises (every failure is an outcome). The target is
    re-checked by the SSRF guard and the connection pinned to the checked address;
    redirects are not followed."""
    started = time.perf_counter()

    def outcome(status: int | None, error: str | None, body: str | None = None,
                retry_after: str | None = None) -> AttemptOutcome:
        elapsed = int((time.perf_counter() - started) * 1000)
        return AttemptOutcome(requested_at=now, duration_ms=elapsed, status_code=status,
                              error=error, response_body=body, retry_after=retry_after)

    try:
        # Resolution counts against the attempt's time budget too.
        async with asyncio.timeout(timeout_seconds):
            target = await resolve_target(claim.url, development=development)
    except UnsafeTarget as exc:
        return outcome(None, f"target refused: {exc}")
    except TimeoutError:
        return outcome(None, f"timed out after {timeout_seconds:g} s resolving the host")
    headers = {
        **signature_headers(claim.secrets, claim.msg_id, int(now.timestamp()), claim.body),
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        "host": _host_header(claim.url),
    }
    try:
        async with asyncio.timeout(timeout_seconds):
            async with client.stream(
                "POST", pinned_url(target), content=claim.body, headers=headers,
                extensions={"sni_hostname": target.host},
            ) as response:
                received = bytearray()
                async for chunk in response.aiter_bytes():
                    received.extend(chunk)
                    if len(received) >= _READ_LIMIT:
                        break
    except TimeoutError:
        return outcome(None, f"timed out after {timeout_seconds:g} s")
    except httpx.TimeoutException:
        return outcome(None, f"timed out after {timeout_seconds:g} s")
    except httpx.HTTPError as exc:
        return outcome(None, f"{type(exc).__name__}: {exc}"[:1000])
    text = bytes(received).decode("utf-8", errors="replace")[:RESPONSE_LOG_CHARS]
    status = response.status_code
    error = None
    if 300 <= status < 400:
        error = "redirects are not followed"
    elif not 200 <= status < 300:
        error = f"HTTP {status}"
    return outcome(status, error, text, response.headers.get("retry-after"))


async def bury(session: AsyncSession, delivery: WebhookDelivery, *, now: datetime,
               error: str) -> None:
    """Give up on a delivery: it becomes a dead letter (replayable)."""
    delivery.status = "dead"
    delivery.completed_at = now
    delivery.next_attempt_at = None
    delivery.lease_expires_at = None
    delivery.last_error = error[:1000]
    session.add(WebhookDeadLetter(
        id=uuid7(), organization_id=delivery.organization_id, direction="outbound",
        delivery_id=delivery.id, event_type=delivery.event_type,
        attempts=delivery.attempt_count, error=error[:1000], created_at=now,
    ))


def _disable(endpoint: WebhookEndpoint, reason: str, now: datetime) -> None:
    endpoint.enabled = False
    endpoint.disabled_reason = reason
    endpoint.disabled_at = now


async def record_outcome(
    session: AsyncSession, claim: Claim, result: AttemptOutcome, *, now: datetime
) -> None:
    """Log the attempt and move the delivery on: done, retry later, or dead letter. 410
    disables the endpoint; so do five days of failures without a success."""
    delivery = await session.get(WebhookDelivery, claim.delivery_id, with_for_update=True)
    if (delivery is None or delivery.status != "delivering"
            or delivery.attempt_count != claim.attempt_number):
        return  # the lease expired and another worker took the delivery over
    endpoint = await session.get(WebhookEndpoint, delivery.endpoint_id)
    assert endpoint is not None
    attempt = WebhookDeliveryAttempt(
        id=uuid7(), organization_id=delivery.organization_id, delivery_id=delivery.id,
        endpoint_id=delivery.endpoint_id, event_id=delivery.event_id,
        event_type=delivery.event_type, attempt_number=claim.attempt_number,
        requested_at=result.requested_at, duration_ms=result.duration_ms,
        status_code=result.status_code, succeeded=result.succeeded,
        error=result.error, response_body=result.response_body,
    )
    session.add(attempt)
    delivery.last_status_code = result.status_code
    delivery.lease_expires_at = None
    if result.succeeded:
        delivery.status = "succeeded"
        delivery.completed_at = now
        delivery.last_error = None
        delivery.next_attempt_at = None
        endpoint.failing_since = None
        return
    error = result.error or "failed"
    if result.status_code == 410:
        _disable(endpoint, "gone", now)
        await bury(session, delivery, now=now, error="HTTP 410: the endpoint was disabled")
        return
    if endpoint.failing_since is None:
        endpoint.failing_since = now
    if now - endpoint.failing_since >= AUTO_DISABLE_AFTER:
        _disable(endpoint, "failing", now)
        await bury(session, delivery, now=now, error=f"{error}; endpoint failing for 5 days")
        return
    delay = retry_delay(claim.attempt_number, parse_retry_after(result.retry_after, now))
    if delay is None:
        await bury(session, delivery, now=now, error=error)
        return
    delivery.status = "pending"
    delivery.last_error = error[:1000]
    delivery.next_attempt_at = now + delay
    attempt.next_attempt_at = delivery.next_attempt_at
