"""One object of every tenant-owned kind, written straight through the ORM (no service code),
so the route walker can aim requests at real ids of either tenant."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from brain.brain_modules.runs.models import BrainAction
from brain.core.models import utcnow
from brain.identity.models import ApiKey, User
from brain.identity.service import hash_token
from brain.integrations.models import Connection, SyncRun
from brain.organizations.models import (
    CustomRole,
    Invite,
    Membership,
    ResourceGrant,
    SsoConnection,
)
from brain.organizations.permissions import Role
from brain.warehouse.models import (
    AdSet,
    Campaign,
    Channel,
    Creative,
    Customer,
    DailyMetric,
    ImportJob,
    Order,
    daily_metric_id,
)
from brain.webhooks.models import (
    WebhookDeadLetter,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)
from tests.factories import Tenant

DAY = date(2024, 3, 1)
# Every path parameter the tenant routes use; a new one needs an object here first.
PATH_PARAMETERS = (
    "org_id", "key_id", "channel_id", "campaign_id", "ad_set_id", "creative_id",
    "metric_id", "customer_id", "order_id", "import_id",
    "member_id", "role_id", "invite_id", "grant_id",
    "endpoint_id", "dead_letter_id", "model_id", "connection_id", "sync_id",
    "run_id", "action_id",
)


@dataclass(frozen=True)
class TenantObjects:
    """A tenant with the id of one object per path parameter name."""

    tenant: Tenant
    ids: dict[str, str]
    names: frozenset[str]

    def path(self, template: str, **overrides: str) -> str:
        values = {**self.ids, **overrides}
        return template.format(**values)


@dataclass(frozen=True)
class World:
    """Two tenants, each with one object of every kind."""

    a: TenantObjects
    b: TenantObjects


async def seed_objects(session: AsyncSession, tenant: Tenant, label: str) -> TenantObjects:
    """Create a channel, campaign, ad set, creative, daily metric, customer, order and import;
    a member (a viewer) with a channel grant, a custom role and a pending invite."""
    org = tenant.id
    channel = Channel(organization_id=org, name=f"{label} channel", platform="meta")
    session.add(channel)
    await session.flush()
    campaign = Campaign(organization_id=org, channel_id=channel.id, name=f"{label} campaign")
    session.add(campaign)
    await session.flush()
    ad_set = AdSet(organization_id=org, campaign_id=campaign.id, name=f"{label} ad set")
    session.add(ad_set)
    await session.flush()
    creative = Creative(
        organization_id=org,
        campaign_id=campaign.id,
        ad_set_id=ad_set.id,
        name=f"{label} creative",
        format="image",
        launched_on=DAY,
    )
    session.add(creative)
    await session.flush()
    metric = DailyMetric(
        id=daily_metric_id(org, DAY, channel.id, campaign.id, creative.id),
        organization_id=org,
        date=DAY,
        channel_id=channel.id,
        campaign_id=campaign.id,
        creative_id=creative.id,
        impressions=1000,
        clicks=20,
        spend=12.5,
        conversions=2.0,
        revenue=60.0,
    )
    customer = Customer(
        organization_id=org,
        external_id=f"{label}-customer",
        first_order_on=DAY,
        acquisition_channel_id=channel.id,
    )
    session.add_all([metric, customer])
    await session.flush()
    order = Order(
        organization_id=org,
        external_id=f"{label}-order",
        customer_id=customer.id,
        order_date=DAY,
        revenue=60.0,
        channel_id=channel.id,
    )
    import_job = ImportJob(
        organization_id=org, kind="orders", status="succeeded", filename=f"{label}.csv"
    )
    session.add_all([order, import_job])
    await session.flush()
    key_id = await session.scalar(
        select(ApiKey.id).where(ApiKey.token_hash == hash_token(tenant.tokens[Role.viewer]))
    )
    assert key_id is not None
    slug = f"{label.lower()}-{secrets.token_hex(3)}"
    user = User(email=f"{slug}-member@example.com", name=f"{label} member")
    role = CustomRole(organization_id=org, name=f"{label} role",
                      permissions=["organization:read", "data:read"])
    session.add_all([user, role])
    await session.flush()
    membership = Membership(organization_id=org, user_id=user.id, role=Role.viewer.value)
    invite = Invite(
        organization_id=org, email=f"{slug}-invitee@example.com", role=Role.viewer.value,
        token_hash=hash_token(secrets.token_urlsafe(32)), expires_at=utcnow() + timedelta(days=7),
    )
    session.add_all([membership, invite])
    await session.flush()
    grant = ResourceGrant(organization_id=org, membership_id=membership.id,
                          resource_type="channel", resource_id=channel.id)
    session.add(grant)
    await session.flush()
    # The organization's SSO connection: a singleton at /sso that the walker reads and writes.
    session.add(SsoConnection(
        organization_id=org, issuer=f"https://idp.{label.lower()}.example",
        client_id=f"{label}-client", client_secret_encrypted="v1:not-a-real-secret",
        allowed_domains=[f"{label.lower()}.example"],
    ))
    await session.flush()
    # An integration connection (sandbox; no credentials needed).
    connection = Connection(organization_id=org, provider="shopify", name=f"{label} shop",
                            status="active", sandbox=True)
    session.add(connection)
    await session.flush()
    sync_run = SyncRun(organization_id=org, connection_id=connection.id, mode="backfill",
                       status="succeeded", start_date=DAY, end_date=DAY, streams={})
    session.add(sync_run)
    await session.flush()
    # An outbound webhook endpoint with one delivery that ended in the dead letters.
    endpoint = WebhookEndpoint(organization_id=org, url="https://hooks.example.invalid/brain",
                               events=["sync.completed"], secret_encrypted="v1:not-a-secret")
    event = WebhookEvent(organization_id=org, event_type="sync.completed", payload={},
                         created_at=utcnow(), dispatched_at=utcnow())
    session.add_all([endpoint, event])
    await session.flush()
    delivery = WebhookDelivery(organization_id=org, endpoint_id=endpoint.id, event_id=event.id,
                               event_type=event.event_type, status="dead", attempt_count=8,
                               created_at=utcnow())
    session.add(delivery)
    await session.flush()
    dead_letter = WebhookDeadLetter(organization_id=org, direction="outbound",
                                    delivery_id=delivery.id, event_type=event.event_type,
                                    attempts=8, error="HTTP 500", created_at=utcnow())
    session.add(dead_letter)
    await session.flush()
    from brain.mlops.models import MlModel

    ml_model = MlModel(organization_id=org, name=f"{label} model", module="memory")
    session.add(ml_model)
    await session.flush()
    # A finished brain run with every module's output and its proposed actions.
    from tests.brain_modules.api.stored import add_finished_run

    brain_run = await add_finished_run(session, org)
    brain_action = await session.scalar(
        select(BrainAction).where(BrainAction.run_id == brain_run.id).limit(1)
    )
    assert brain_action is not None
    ids = {
        "org_id": org,
        "key_id": key_id,
        "channel_id": channel.id,
        "campaign_id": campaign.id,
        "ad_set_id": ad_set.id,
        "creative_id": creative.id,
        "metric_id": metric.id,
        "customer_id": customer.id,
        "order_id": order.id,
        "import_id": import_job.id,
        "member_id": membership.id,
        "role_id": role.id,
        "invite_id": invite.id,
        "grant_id": grant.id,
        "endpoint_id": endpoint.id,
        "dead_letter_id": dead_letter.id,
        "connection_id": connection.id,
        "sync_id": sync_run.id,
        "model_id": ml_model.id,
        "run_id": brain_run.id,
        "action_id": brain_action.id,
    }
    assert set(ids) == set(PATH_PARAMETERS)
    names = frozenset(
        {channel.name, campaign.name, ad_set.name, creative.name, customer.external_id,
         order.external_id, user.email, user.name, role.name, invite.email}
    )
    return TenantObjects(tenant=tenant, ids={k: str(v) for k, v in ids.items()}, names=names)


def object_ids(objects: TenantObjects) -> set[uuid.UUID]:
    return {uuid.UUID(v) for v in objects.ids.values()}
