"""Endpoint management, the test event, and dead-letter replay (never commits)."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from brain.core.crypto import Keyring
from brain.core.errors import ProblemError
from brain.core.models import uuid7
from brain.core.tenancy import TenantRepository
from brain.organizations.actor import Actor
from brain.webhooks.delivery import secret_context
from brain.webhooks.models import (
    WebhookDeadLetter,
    WebhookDelivery,
    WebhookDeliveryAttempt,
    WebhookEndpoint,
    WebhookEvent,
)
from brain.webhooks.outbox import new_delivery
from brain.webhooks.schemas import EndpointCreate, EndpointRead, EndpointUpdate
from brain.webhooks.signing import generate_secret
from brain.webhooks.ssrf import UnsafeTarget, resolve_target


class EndpointRepository(TenantRepository[WebhookEndpoint]):
    model = WebhookEndpoint
    label = "Webhook endpoint"


class DeliveryRepository(TenantRepository[WebhookDelivery]):
    model = WebhookDelivery
    label = "Webhook delivery"


class AttemptRepository(TenantRepository[WebhookDeliveryAttempt]):
    model = WebhookDeliveryAttempt
    label = "Webhook delivery attempt"

    def for_endpoint(self, endpoint_id: uuid.UUID) -> Select[WebhookDeliveryAttempt]:
        return self.select().where(WebhookDeliveryAttempt.endpoint_id == endpoint_id)


class DeadLetterRepository(TenantRepository[WebhookDeadLetter]):
    model = WebhookDeadLetter
    label = "Dead letter"


def endpoint_read(endpoint: WebhookEndpoint) -> EndpointRead:
    return EndpointRead.model_validate(endpoint)


async def check_url(url: str, *, development: bool) -> None:
    """422 unless the SSRF guard accepts the URL (resolved now; checked again per send)."""
    try:
        await resolve_target(url, development=development)
    except UnsafeTarget as exc:
        raise ProblemError(
            422, f"The webhook URL is not allowed: {exc}.",
            errors=[{"loc": ["body", "url"], "message": str(exc)}],
        ) from None


async def create_endpoint(
    session: AsyncSession, actor: Actor, body: EndpointCreate, *, keyring: Keyring,
    development: bool,
) -> tuple[WebhookEndpoint, str]:
    """A new endpoint and its secret (returned in clear only here)."""
    await check_url(body.url, development=development)
    endpoint_id = uuid7()
    secret = generate_secret()
    endpoint = EndpointRepository(session, actor.auth).add(WebhookEndpoint(
        id=endpoint_id, url=body.url, description=body.description,
        events=sorted(set(body.events)),
        secret_encrypted=keyring.encrypt(secret, context=secret_context(endpoint_id)),
        enabled=True,
    ))
    await session.flush()
    await actor.audit(session, "webhook_endpoint.created", target_type="webhook_endpoint",
                      target_id=endpoint.id, details={"url": body.url})
    return endpoint, secret


async def update_endpoint(
    session: AsyncSession, actor: Actor, endpoint: WebhookEndpoint, body: EndpointUpdate, *,
    development: bool,
) -> WebhookEndpoint:
    if body.url is not None:
        await check_url(body.url, development=development)
        endpoint.url = body.url
    if body.events is not None:
        endpoint.events = sorted(set(body.events))
    if "description" in body.model_fields_set:
        endpoint.description = body.description
    if body.enabled is True and not endpoint.enabled:
        endpoint.enabled = True
        endpoint.disabled_reason = None
        endpoint.disabled_at = None
        endpoint.failing_since = None
    elif body.enabled is False and endpoint.enabled:
        endpoint.enabled = False
        endpoint.disabled_reason = "manual"
        endpoint.disabled_at = actor.clock.now()
    await session.flush()
    await actor.audit(session, "webhook_endpoint.updated", target_type="webhook_endpoint",
                      target_id=endpoint.id,
                      details={"fields": sorted(body.model_fields_set)})
    return endpoint


async def delete_endpoint(session: AsyncSession, actor: Actor, endpoint: WebhookEndpoint) -> None:
    """Soft delete: pending deliveries are cancelled when next claimed."""
    endpoint.deleted_at = actor.clock.now()
    endpoint.enabled = False
    await session.flush()
    await actor.audit(session, "webhook_endpoint.deleted", target_type="webhook_endpoint",
                      target_id=endpoint.id)


async def rotate_secret(
    session: AsyncSession, actor: Actor, endpoint: WebhookEndpoint, *, keyring: Keyring,
    overlap: timedelta,
) -> str:
    """A new secret; the old one keeps signing (a second signature) for `overlap`."""
    secret = generate_secret()
    endpoint.previous_secret_encrypted = endpoint.secret_encrypted
    endpoint.previous_secret_expires_at = actor.clock.now() + overlap
    endpoint.secret_encrypted = keyring.encrypt(secret, context=secret_context(endpoint.id))
    await session.flush()
    await actor.audit(session, "webhook_endpoint.secret_rotated",
                      target_type="webhook_endpoint", target_id=endpoint.id)
    return secret


async def send_test_event(
    session: AsyncSession, actor: Actor, endpoint: WebhookEndpoint
) -> WebhookDelivery:
    """A `webhook.test` event for this endpoint only, sent right after commit."""
    if not endpoint.enabled:
        raise ProblemError(409, "The endpoint is disabled; enable it before testing.")
    now = actor.clock.now()
    event = WebhookEvent(
        id=uuid7(), organization_id=endpoint.organization_id, event_type="webhook.test",
        payload={"endpoint_id": str(endpoint.id), "message": "A test event from Brain."},
        created_at=now, dispatched_at=now,
    )
    session.add(event)
    await session.flush()
    delivery = new_delivery(event, endpoint, now)
    session.add(delivery)
    await session.flush()
    actor.jobs.enqueue("webhooks.deliver", delivery_id=str(delivery.id))
    return delivery


async def replay_dead_letter(
    session: AsyncSession, actor: Actor, dead_letter: WebhookDeadLetter
) -> WebhookDeadLetter:
    """Put the message back in line with a fresh retry schedule."""
    if dead_letter.replayed_at is not None:
        raise ProblemError(409, "This dead letter was already replayed.")
    now = actor.clock.now()
    if dead_letter.direction == "outbound":
        delivery = await DeliveryRepository(session, actor.auth).get_or_404(
            dead_letter.delivery_id or uuid.UUID(int=0))
        endpoint = await EndpointRepository(session, actor.auth).get(delivery.endpoint_id)
        if endpoint is None or not endpoint.enabled:
            raise ProblemError(409, "The endpoint is disabled or deleted; enable it first.")
        delivery.status = "pending"
        delivery.attempt_count = 0
        delivery.next_attempt_at = now
        delivery.completed_at = None
        delivery.lease_expires_at = None
        actor.jobs.enqueue("webhooks.deliver", delivery_id=str(delivery.id))
    else:
        from brain.integrations.inbound import requeue_inbound_event

        await requeue_inbound_event(session, actor, dead_letter.inbound_event_id)
    dead_letter.replayed_at = now
    await session.flush()
    await actor.audit(session, "webhook.dead_letter_replayed", target_type="webhook_dead_letter",
                      target_id=dead_letter.id, details={"direction": dead_letter.direction})
    return dead_letter


def dead_letter_select(
    repo: DeadLetterRepository,
    direction: str | None,
    *,
    connection_id: uuid.UUID | None = None,
    endpoint_id: uuid.UUID | None = None,
) -> Select[WebhookDeadLetter]:
    """The organization's dead letters, optionally of one direction, of one connection's
    inbound events or of one endpoint's deliveries (another tenant's id matches nothing)."""
    from brain.integrations.inbound_models import InboundWebhookEvent

    org = repo.auth.organization_id
    stmt = repo.select()
    if direction is not None:
        stmt = stmt.where(WebhookDeadLetter.direction == direction)
    if connection_id is not None:
        stmt = stmt.where(WebhookDeadLetter.inbound_event_id.in_(
            select(InboundWebhookEvent.id).where(
                InboundWebhookEvent.organization_id == org,
                InboundWebhookEvent.connection_id == connection_id)))
    if endpoint_id is not None:
        stmt = stmt.where(WebhookDeadLetter.delivery_id.in_(
            select(WebhookDelivery.id).where(
                WebhookDelivery.organization_id == org,
                WebhookDelivery.endpoint_id == endpoint_id)))
    return stmt
