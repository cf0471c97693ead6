"""`brain seed` loads the demo tenant through sandbox connections, and the warehouse that
results is the simulation's — compared here, row by row, with the direct writer the test
fixtures use (`write_simulation`).

What the connectors cannot carry, because the providers' APIs the connectors read do not
say it, is asserted as the exact difference:

* Google Ads reports no `frequency` (the API has no such metric per ad and day): NULL on
  Google and YouTube rows, equal on Meta and TikTok;
* campaign objectives: Google Ads' GAQL query selects none (NULL), TikTok and Meta report
  theirs (equal);
* creatives: Meta's insights do not say an ad's format, so every Meta creative is `image`
  (Google's and TikTok's formats come through); `launched_on`, `copy_length` and `cta` are
  not in any ad-performance report, so they are NULL (the brain falls back to the first
  day with delivery for a creative's age);
* customers and orders keep the shop's ids (`shopify:…`), not the simulation's (`cus_…`):
  they are compared by e-mail, date, revenue and channel;
* ad sets with no ad delivering in the period are in no report, so they are not created
  (the direct writer writes every ad set of the simulation);
* the demo also has what the direct writer never wrote: the GA4 property's channel (site
  traffic per source / medium / campaign) and HubSpot's CRM lifecycle rows.
"""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from brain.app import create_app
from brain.core.db import system_session
from brain.core.jobs import InlineDispatcher
from brain.core.runtime import Runtime
from brain.demo.connections import DEMO_FLAG, DEMO_PROVIDERS
from brain.demo.seed import seed_vertical, write_simulation
from brain.demo.simulator import Simulation
from brain.integrations.crm_models import CrmRecord
from brain.integrations.models import Connection, SyncRun
from brain.integrations.sandbox.common import cached_simulation
from brain.organizations.service import create_organization
from brain.settings import Settings
from brain.warehouse.models import AdSet, Campaign, Channel, Creative, Customer, DailyMetric, Order
from tests.demo.conftest import TODAY

AD_PLATFORMS = ("meta", "google", "youtube", "tiktok")


async def _warehouse(runtime: Runtime, org: uuid.UUID) -> dict[str, Any]:
    """The organization's live warehouse by natural keys (names, e-mails), ad platforms."""
    async with system_session(runtime.session_factory) as session:
        metrics = (await session.execute(
            select(DailyMetric.date, Channel.platform, Channel.external_account_id,
                   Campaign.name, AdSet.name, Creative.name, DailyMetric.impressions,
                   DailyMetric.clicks, DailyMetric.spend, DailyMetric.conversions,
                   DailyMetric.revenue, DailyMetric.frequency, DailyMetric.video_views)
            .join(Channel, Channel.id == DailyMetric.channel_id)
            .outerjoin(Campaign, Campaign.id == DailyMetric.campaign_id)
            .outerjoin(Creative, Creative.id == DailyMetric.creative_id)
            .outerjoin(AdSet, AdSet.id == Creative.ad_set_id)
            .where(DailyMetric.organization_id == org, Channel.platform.in_(AD_PLATFORMS))
        )).all()
        channels = (await session.execute(
            select(Channel.platform, Channel.external_account_id, Channel.name)
            .where(Channel.organization_id == org, Channel.deleted_at.is_(None)))).all()
        campaigns = (await session.execute(
            select(Channel.platform, Campaign.name, Campaign.objective)
            .join(Channel, Channel.id == Campaign.channel_id)
            .where(Campaign.organization_id == org, Campaign.deleted_at.is_(None),
                   Channel.platform.in_(AD_PLATFORMS)))).all()
        creatives = (await session.execute(
            select(Channel.platform, Campaign.name, AdSet.name, Creative.name,
                   Creative.format, Creative.launched_on, Creative.copy_length, Creative.cta)
            .join(Campaign, Campaign.id == Creative.campaign_id)
            .join(Channel, Channel.id == Campaign.channel_id)
            .outerjoin(AdSet, AdSet.id == Creative.ad_set_id)
            .where(Creative.organization_id == org, Creative.deleted_at.is_(None)))).all()
        acquired = aliased(Channel)
        customers = (await session.execute(
            select(Customer.email, Customer.first_order_on, acquired.platform)
            .outerjoin(acquired, acquired.id == Customer.acquisition_channel_id)
            .where(Customer.organization_id == org, Customer.deleted_at.is_(None)))).all()
        buyer, via = aliased(Customer), aliased(Channel)
        orders = (await session.execute(
            select(buyer.email, Order.order_date, Order.revenue, via.platform)
            .join(buyer, buyer.id == Order.customer_id)
            .outerjoin(via, via.id == Order.channel_id)
            .where(Order.organization_id == org, Order.deleted_at.is_(None)))).all()
    return {
        "metrics": {tuple(r[:6]): (int(r[6]), int(r[7]), round(float(r[8]), 4), float(r[9]),
                                   round(float(r[10]), 4), r[11], r[12]) for r in metrics},
        "metric_rows": len(metrics),
        "channels": sorted(tuple(r) for r in channels),
        "campaigns": sorted(tuple(r) for r in campaigns),
        "creatives": sorted(tuple(r) for r in creatives),
        "customers": sorted(tuple(r) for r in customers),
        "orders": Counter((e, d, round(float(v), 2), p) for e, d, v, p in orders),
    }


async def test_the_sandbox_seeded_warehouse_is_the_simulations(
    demo_settings: Settings,
) -> None:
    sim: Simulation = cached_simulation("wellness", 5, 60, TODAY)
    seeded = await seed_vertical(demo_settings, "wellness", days=60, seed=5, today=TODAY)
    runtime = Runtime.create(demo_settings)
    try:
        async with system_session(runtime.session_factory) as session:
            direct_org = await create_organization(session, name="Direct writer")
            await write_simulation(session, direct_org.id, sim)
        via_sandbox = await _warehouse(runtime, seeded.organization_id)
        direct = await _warehouse(runtime, direct_org.id)

        # Every metric row, every measure, except Google's missing frequency.
        assert via_sandbox["metric_rows"] == direct["metric_rows"] == len(sim.metrics)
        assert via_sandbox["metrics"].keys() == direct["metrics"].keys()
        for key, values in direct["metrics"].items():
            got = via_sandbox["metrics"][key]
            if key[1] in ("google", "youtube"):
                assert got[5] is None, key
                assert got[:5] + got[6:] == values[:5] + values[6:], key
            else:
                assert got == values, key

        # The ad structure; the sandbox demo also has the GA4 property's channel.
        ga4 = [c for c in via_sandbox["channels"] if c[0] == "ga4"]
        assert len(ga4) == 1
        assert [c for c in via_sandbox["channels"] if c[0] != "ga4"] == direct["channels"]
        assert [c[:2] for c in via_sandbox["campaigns"]] == [c[:2] for c in direct["campaigns"]]
        for got, want in zip(via_sandbox["campaigns"], direct["campaigns"], strict=True):
            assert got[2] == (None if got[0] in ("google", "youtube") else want[2]), got
        async with system_session(runtime.session_factory) as session:
            ad_sets = {}
            for org in (seeded.organization_id, direct_org.id):
                ad_sets[org] = set((await session.execute(
                    select(Campaign.name, AdSet.name)
                    .join(Campaign, Campaign.id == AdSet.campaign_id)
                    .where(AdSet.organization_id == org, AdSet.deleted_at.is_(None)))).all())
        delivered = {sim.creatives[k].ad_set for k in set(sim.metrics.creative.tolist())}
        delivering = {(sim.campaigns[sim.ad_sets[a].campaign].name, sim.ad_sets[a].name)
                      for a in delivered}
        assert ad_sets[direct_org.id] == {(sim.campaigns[a.campaign].name, a.name)
                                          for a in sim.ad_sets}
        assert ad_sets[seeded.organization_id] == delivering
        ad_creatives = [c for c in via_sandbox["creatives"] if c[0] in AD_PLATFORMS]
        assert [c[:4] for c in ad_creatives] == [c[:4] for c in direct["creatives"]]
        for got, want in zip(ad_creatives, direct["creatives"], strict=True):
            assert got[4] == ("image" if got[0] == "meta" else want[4]), got
            assert got[5:] == (None, None, None)

        # Customers and orders: the same people, days, amounts and channels.
        assert via_sandbox["customers"] == direct["customers"]
        assert len(via_sandbox["customers"]) == len(sim.customers)
        assert via_sandbox["orders"] == direct["orders"]
        assert sum(via_sandbox["orders"].values()) == len(sim.orders)

        # Each demo provider is a sandbox connection whose backfills all succeeded, and the
        # CRM lifecycle rows link to the shop's customers.
        async with system_session(runtime.session_factory) as session:
            connections = (await session.scalars(select(Connection).where(
                Connection.organization_id == seeded.organization_id))).all()
            assert sorted(c.provider for c in connections) == sorted(DEMO_PROVIDERS)
            assert all(c.sandbox and c.config[DEMO_FLAG] for c in connections)
            statuses = Counter((await session.scalars(select(SyncRun.status).where(
                SyncRun.organization_id == seeded.organization_id))).all())
            assert statuses == {"succeeded": len(DEMO_PROVIDERS)}
            crm = (await session.execute(
                select(CrmRecord.kind, func.count(), func.count(CrmRecord.customer_id))
                .where(CrmRecord.organization_id == seeded.organization_id)
                .group_by(CrmRecord.kind))).all()
        assert {kind for kind, _, _ in crm} == {"contact", "deal"}
        assert all(total == linked for _, total, linked in crm)
    finally:
        await runtime.close()


@pytest.mark.slow
async def test_the_sandbox_seeded_beauty_tenant_tells_the_story(
    demo_settings: Settings,
) -> None:
    """PRODUCT.md's story, told by the brain on the demo tenant `brain seed beauty` makes."""
    seeded = await seed_vertical(demo_settings, "beauty", days=365, seed=7, today=TODAY)
    runtime = Runtime.create(demo_settings)
    app = create_app(demo_settings, runtime=runtime, dispatcher=InlineDispatcher(runtime))
    headers = {"Authorization": f"Bearer {seeded.api_key}"}
    path = f"/api/v1/organizations/{seeded.organization_id}"
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                     base_url="http://testserver") as client:
            started = await client.post(f"{path}/brain/runs", headers=headers)
            assert started.status_code == 202, started.text
            run = (await client.get(f"{path}/brain/runs/{started.json()['id']}",
                                    headers=headers)).json()
            assert run["status"] == "succeeded", run
            face = (await client.get(f"{path}/face?persona=cmo&period=28d",
                                     headers=headers)).json()
            funnel = (await client.get(f"{path}/crm/lifecycle/funnel",
                                       headers=headers)).json()
    finally:
        await runtime.close()
    assert face["data_as_of"] == (TODAY - timedelta(days=1)).isoformat()
    channels = {c["name"]: c for c in face["cards"]["memory"]["channels"]}
    meta = next(c for name, c in channels.items() if name.startswith("Meta"))
    assert meta["status"] == "winner"
    assert meta["roas"] == pytest.approx(3.6, abs=0.3)
    alerts = face["alerts"]
    decay = [a for a in alerts if a["kind"] == "channel_decay"]
    assert decay
    assert decay[0]["entity_name"].startswith("TikTok")
    assert "C12" in {a["entity_name"] for a in alerts if a["kind"] == "creative_fatigue"}
    assert [a for a in alerts if a["kind"] == "ltv_drift"]
    actions = {a["type"] for a in face["actions"]}
    assert "shift_budget" in actions
    # The CRM's recent contacts and deals, all customers (the shop's people).
    assert funnel["total"] > 0
    assert {s["stage"] for s in funnel["stages"] if s["records"]} == {"customer"}
