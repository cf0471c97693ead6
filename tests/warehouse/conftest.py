"""Fixtures of the warehouse tests: a full set of objects per tenant."""

from __future__ import annotations

import httpx
import pytest_asyncio

from tests.factories import Tenant
from tests.warehouse.helpers import (
    make_ad_set,
    make_campaign,
    make_channel,
    make_creative,
    make_customer,
    make_metric,
    make_order,
    upload_csv,
)

CATALOG_CSV = (
    "date,channel,campaign,creative,impressions,clicks,spend,conversions,revenue\n"
    "2024-03-01,Imported,Imported campaign,,100,5,1.5,0,0\n"
)


async def build_catalog(client: httpx.AsyncClient, tenant: Tenant) -> dict[str, str]:
    """One object of every warehouse kind, by the path parameter name of its id."""
    channel = await make_channel(client, tenant)
    campaign = await make_campaign(client, tenant, channel["id"])
    ad_set = await make_ad_set(client, tenant, campaign["id"])
    creative = await make_creative(client, tenant, campaign["id"], ad_set_id=ad_set["id"])
    metric = await make_metric(
        client, tenant, channel["id"], campaign_id=campaign["id"], creative_id=creative["id"]
    )
    customer = await make_customer(client, tenant, acquisition_channel_id=channel["id"])
    order = await make_order(client, tenant, customer["id"], channel_id=channel["id"])
    upload = await upload_csv(client, tenant, "daily_metrics", CATALOG_CSV)
    assert upload.status_code == 202, upload.text
    return {
        "org_id": str(tenant.id),
        "channel_id": channel["id"],
        "campaign_id": campaign["id"],
        "ad_set_id": ad_set["id"],
        "creative_id": creative["id"],
        "metric_id": metric["id"],
        "customer_id": customer["id"],
        "order_id": order["id"],
        "import_id": upload.json()["id"],
    }


@pytest_asyncio.fixture
async def catalog(client: httpx.AsyncClient, tenant: Tenant) -> dict[str, str]:
    return await build_catalog(client, tenant)


@pytest_asyncio.fixture
async def other_catalog(client: httpx.AsyncClient, other_tenant: Tenant) -> dict[str, str]:
    return await build_catalog(client, other_tenant)
