"""Resource grants: a restricted member sees only the channels granted to them, and every
warehouse list and read respects it (proved through the API)."""

from __future__ import annotations

from datetime import date

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from brain.core.clock import FrozenClock
from brain.core.db import set_system_mode
from brain.warehouse.models import (
    AdSet,
    Campaign,
    Channel,
    Creative,
    Customer,
    DailyMetric,
    Order,
    daily_metric_id,
)
from tests.factories import Tenant
from tests.organizations.helpers import Person, add_person, audit_events, ok, problem

DAY = date(2024, 3, 1)


async def _channel_with_data(db: AsyncSession, tenant: Tenant, name: str) -> dict[str, str]:
    """A channel with a campaign, ad set, creative, daily metric, customer and order."""
    await set_system_mode(db, True)
    org = tenant.id
    channel = Channel(organization_id=org, name=name, platform="meta")
    db.add(channel)
    await db.flush()
    campaign = Campaign(organization_id=org, channel_id=channel.id, name=f"{name} campaign")
    db.add(campaign)
    await db.flush()
    ad_set = AdSet(organization_id=org, campaign_id=campaign.id, name=f"{name} ad set")
    db.add(ad_set)
    await db.flush()
    creative = Creative(organization_id=org, campaign_id=campaign.id, ad_set_id=ad_set.id,
                        name=f"{name} creative", format="image", launched_on=DAY)
    customer = Customer(organization_id=org, external_id=f"{name}-customer", first_order_on=DAY,
                        acquisition_channel_id=channel.id)
    db.add_all([creative, customer])
    await db.flush()
    metric = DailyMetric(
        id=daily_metric_id(org, DAY, channel.id, campaign.id, creative.id),
        organization_id=org, date=DAY, channel_id=channel.id, campaign_id=campaign.id,
        creative_id=creative.id, impressions=100, clicks=5, spend=10.0, conversions=1.0,
        revenue=30.0,
    )
    order = Order(organization_id=org, external_id=f"{name}-order", customer_id=customer.id,
                  order_date=DAY, revenue=30.0, channel_id=channel.id)
    db.add_all([metric, order])
    await db.commit()
    return {
        "channels": str(channel.id), "campaigns": str(campaign.id), "ad-sets": str(ad_set.id),
        "creatives": str(creative.id), "metrics/daily": str(metric.id),
        "customers": str(customer.id), "orders": str(order.id),
    }


async def _ids(client: httpx.AsyncClient, url: str, person: Person) -> set[str]:
    page = ok(await client.get(url, headers=person.headers, params={"limit": 200}))
    return {row["id"] for row in page["data"]}


async def test_a_restricted_member_sees_only_granted_channels(
    client: httpx.AsyncClient, db: AsyncSession, clock: FrozenClock, tenant: Tenant,
    owner: Person,
) -> None:
    granted = await _channel_with_data(db, tenant, "Granted")
    hidden = await _channel_with_data(db, tenant, "Hidden")
    viewer = await add_person(db, clock, tenant.id, "viewer", restricted=True)

    # Restricted with no grant: nothing at all.
    assert await _ids(client, tenant.path("/channels"), viewer) == set()

    response = await client.post(
        tenant.path(f"/members/{viewer.member_id}/grants"),
        json={"resource_type": "channel", "resource_id": granted["channels"]},
        headers=owner.headers,
    )
    grant = ok(response, 201)
    assert grant["resource_id"] == granted["channels"]
    assert response.headers["location"].endswith(f"/grants/{grant['id']}")

    for collection in granted:
        url = tenant.path(f"/{collection}")
        # The owner sees both channels' rows; the restricted viewer only the granted one's.
        assert {granted[collection], hidden[collection]} <= await _ids(client, url, owner)
        assert await _ids(client, url, viewer) == {granted[collection]}, collection
        ok(await client.get(f"{url}/{granted[collection]}", headers=viewer.headers))
        problem(await client.get(f"{url}/{hidden[collection]}", headers=viewer.headers), 404)

    # Lifting the restriction shows everything at once (the cached context is evicted).
    ok(await client.patch(tenant.path(f"/members/{viewer.member_id}"),
                          json={"restricted": False}, headers=owner.headers))
    assert hidden["channels"] in await _ids(client, tenant.path("/channels"), viewer)


async def test_removing_a_grant_hides_the_channel_at_once(
    client: httpx.AsyncClient, db: AsyncSession, clock: FrozenClock, tenant: Tenant,
    owner: Person,
) -> None:
    channel = await _channel_with_data(db, tenant, "Temporary")
    analyst = await add_person(db, clock, tenant.id, "analyst", restricted=True)
    grant = ok(await client.post(
        tenant.path(f"/members/{analyst.member_id}/grants"),
        json={"resource_type": "channel", "resource_id": channel["channels"]},
        headers=owner.headers,
    ), 201)
    assert await _ids(client, tenant.path("/channels"), analyst) == {channel["channels"]}
    listed = ok(await client.get(tenant.path(f"/members/{analyst.member_id}/grants"),
                                 headers=analyst.headers))
    assert [g["id"] for g in listed["data"]] == [grant["id"]]
    url = tenant.path(f"/members/{analyst.member_id}/grants/{grant['id']}")
    etag = (await client.get(url, headers=owner.headers)).headers["etag"]
    problem(await client.delete(url, headers={**owner.headers, "If-Match": '"stale"'}), 412)
    response = await client.delete(url, headers={**owner.headers, "If-Match": etag})
    assert response.status_code == 204
    assert await _ids(client, tenant.path("/channels"), analyst) == set()
    problem(await client.get(url, headers=owner.headers), 404)
    actions = [e.action for e in await audit_events(db, tenant.id)]
    assert actions.count("member.grant_add") == 1
    assert actions.count("member.grant_remove") == 1


async def test_grant_validation(
    client: httpx.AsyncClient, db: AsyncSession, clock: FrozenClock, tenant: Tenant,
    other_tenant: Tenant, owner: Person,
) -> None:
    mine = await _channel_with_data(db, tenant, "Mine")
    theirs = await _channel_with_data(db, other_tenant, "Theirs")
    viewer = await add_person(db, clock, tenant.id, "viewer", restricted=True)
    url = tenant.path(f"/members/{viewer.member_id}/grants")
    problem(await client.post(url, json={"resource_type": "channel",
                                         "resource_id": theirs["channels"]},
                              headers=owner.headers), 404)
    problem(await client.post(url, json={"resource_type": "integration",
                                         "resource_id": mine["channels"]},
                              headers=owner.headers), 422)
    ok(await client.post(url, json={"resource_type": "channel", "resource_id": mine["channels"]},
                         headers=tenant.admin), 201)
    problem(await client.post(url, json={"resource_type": "channel",
                                         "resource_id": mine["channels"]},
                              headers=owner.headers), 409)
    # Managing grants needs members:manage; reading them members:read.
    problem(await client.post(url, json={"resource_type": "channel",
                                         "resource_id": mine["channels"]},
                              headers=tenant.analyst), 403)
    ok(await client.get(url, headers=tenant.viewer))


async def test_a_restricted_admin_cannot_grant_what_they_cannot_see(
    client: httpx.AsyncClient, db: AsyncSession, clock: FrozenClock, tenant: Tenant,
    owner: Person,
) -> None:
    hidden = await _channel_with_data(db, tenant, "Out of sight")
    admin = await add_person(db, clock, tenant.id, "admin", restricted=True)
    viewer = await add_person(db, clock, tenant.id, "viewer", restricted=True)
    problem(await client.post(tenant.path(f"/members/{viewer.member_id}/grants"),
                              json={"resource_type": "channel",
                                    "resource_id": hidden["channels"]},
                              headers=admin.headers), 404)
