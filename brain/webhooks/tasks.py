"""Background jobs of outbound webhooks: the pump (beat, every few seconds) fans out the
outbox and sends due deliveries; `webhooks.deliver` sends one delivery at once."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from datetime import timedelta

import httpx
from sqlalchemy import delete, select

from brain.core.db import system_session
from brain.core.jobs import job
from brain.core.runtime import Runtime
from brain.integrations.inbound_models import InboundWebhookEvent
from brain.settings import Environment
from brain.webhooks.delivery import (
    AttemptOutcome,
    Claim,
    claim_due,
    lease_length,
    record_outcome,
    send,
)
from brain.webhooks.models import WebhookDelivery, WebhookEvent
from brain.webhooks.outbox import fan_out

_CONCURRENT_SENDS = 16


@dataclass(frozen=True)
class PumpResult:
    events_fanned_out: int
    attempts_made: int


async def _send_claims(runtime: Runtime, claims: list[Claim]) -> None:
    """POST the claimed deliveries concurrently (no database work meanwhile), then record
    each outcome in its own short transaction."""
    settings = runtime.settings
    development = settings.env is Environment.development
    timeout = settings.webhook_timeout_seconds
    limiter = asyncio.Semaphore(_CONCURRENT_SENDS)
    async with httpx.AsyncClient(
        follow_redirects=False, timeout=httpx.Timeout(timeout), trust_env=False
    ) as client:
        async def bounded(claim: Claim) -> AttemptOutcome:
            async with limiter:
                return await send(client, claim, now=runtime.clock.now(),
                                  development=development, timeout_seconds=timeout)

        outcomes = await asyncio.gather(*(bounded(claim) for claim in claims))
    for claim, outcome in zip(claims, outcomes, strict=True):
        async with system_session(runtime.session_factory) as session:
            await record_outcome(session, claim, outcome, now=runtime.clock.now())


async def _claim(runtime: Runtime, delivery_id: uuid.UUID | None = None) -> list[Claim]:
    settings = runtime.settings
    async with system_session(runtime.session_factory) as session:
        return await claim_due(
            session, runtime.keys, now=runtime.clock.now(),
            limit=settings.webhook_dispatch_batch,
            lease=lease_length(settings.webhook_timeout_seconds), delivery_id=delivery_id,
        )


async def pump_once(runtime: Runtime) -> PumpResult:
    """One round: outbox → deliveries, then every due delivery (one batch) is attempted."""
    async with system_session(runtime.session_factory) as session:
        fanned = await fan_out(session, now=runtime.clock.now(),
                               limit=runtime.settings.webhook_dispatch_batch)
    claims = await _claim(runtime)
    if claims:
        await _send_claims(runtime, claims)
    return PumpResult(events_fanned_out=fanned, attempts_made=len(claims))


@job("webhooks.pump")
async def pump(runtime: Runtime) -> None:
    """Fan out new events and send due deliveries (scheduled by beat every 5 seconds)."""
    await pump_once(runtime)


async def purge_old(runtime: Runtime, *, older_than: timedelta) -> int:
    """Delete events (with their deliveries, attempts and dead letters) older than
    `older_than` once none of their deliveries is still in flight; returns how many."""
    cutoff = runtime.clock.now() - older_than
    in_flight = select(WebhookDelivery.event_id).where(
        WebhookDelivery.status.in_(("pending", "delivering")))
    async with system_session(runtime.session_factory) as session:
        outbound = await session.execute(
            delete(WebhookEvent)
            .where(WebhookEvent.created_at < cutoff, WebhookEvent.dispatched_at.is_not(None),
                   WebhookEvent.id.not_in(in_flight))
            .execution_options(synchronize_session=False)
        )
        received = await session.execute(
            delete(InboundWebhookEvent)
            .where(InboundWebhookEvent.received_at < cutoff,
                   InboundWebhookEvent.status.in_(("processed", "ignored", "dead")))
            .execution_options(synchronize_session=False)
        )
    return int(outbound.rowcount or 0) + int(received.rowcount or 0)  # type: ignore[attr-defined]


@job("webhooks.purge")
async def purge(runtime: Runtime) -> None:
    """Forget delivered webhook history after `webhook_retention_days` (daily)."""
    await purge_old(runtime, older_than=timedelta(days=runtime.settings.webhook_retention_days))


@job("webhooks.deliver")
async def deliver(runtime: Runtime, *, delivery_id: str) -> None:
    """Attempt one delivery now if it is due (the "send test event" call, replays)."""
    claims = await _claim(runtime, uuid.UUID(delivery_id))
    if claims:
        await _send_claims(runtime, claims)
