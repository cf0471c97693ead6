"""The CRM lifecycle table: HubSpot and Salesforce records mapped onto one funnel, upserted by
natural key through the sync engine, and the read API (list with filters, funnel summary)."""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from brain.core.db import BYPASS_INFO_KEY, set_system_mode
from brain.core.runtime import Runtime
from brain.integrations.crm import (
    CrmLoader,
    email_hash,
    hubspot_contact,
    hubspot_deal,
    salesforce_lead,
    salesforce_opportunity,
)
from brain.integrations.crm_models import CrmRecord, FunnelStage
from brain.integrations.loaders import job_auth
from brain.integrations.sandbox.common import cached_simulation
from brain.organizations.models import Organization
from brain.warehouse.models import Customer
from tests.factories import Tenant, make_member_session
from tests.integrations.helpers import SANDBOX_TODAY
from tests.integrations.providers.recorded import rerun, sandbox_backfill

DAYS = 30


def test_hubspot_contacts_and_deals_map_onto_the_funnel() -> None:
    contact = hubspot_contact({
        "id": "51", "email": " Jo@Example.com ", "lifecyclestage": "marketingqualifiedlead",
        "createdate": "2026-01-02T10:00:00.000Z", "lastmodifieddate": "1767348000000",
        "hs_lifecyclestage_lead_date": "2026-01-02T10:00:00.000Z",
        "hs_lifecyclestage_marketingqualifiedlead_date": "2026-01-05T08:30:00.000Z",
        "hs_lifecyclestage_customer_date": None,
    })
    assert (contact.kind, contact.stage, contact.funnel_stage) == (
        "contact", "marketingqualifiedlead", FunnelStage.mql)
    assert contact.stage_dates == {"lead": "2026-01-02T10:00:00+00:00",
                                   "mql": "2026-01-05T08:30:00+00:00"}
    assert contact.source_updated_at == datetime(2026, 1, 2, 10, 0, tzinfo=UTC)
    assert email_hash(contact.email) == hashlib.sha256(b"jo@example.com").hexdigest()
    assert hubspot_contact({"id": "52", "lifecyclestage": "evangelist"}).funnel_stage == \
        FunnelStage.customer
    assert hubspot_contact({"id": "53"}).funnel_stage == FunnelStage.other

    won = hubspot_deal({"id": "7", "dealname": "Big one", "amount": "1200.50",
                        "dealstage": "closedwon", "hs_is_closed_won": "true",
                        "hs_is_closed": "true", "closedate": "2026-02-01T00:00:00Z",
                        "createdate": "2026-01-10T00:00:00Z", "contact_id": "51"})
    assert (won.funnel_stage, won.amount, won.related_external_id) == (
        FunnelStage.customer, 1200.5, "51")
    assert won.closed_at == datetime(2026, 2, 1, tzinfo=UTC)
    assert set(won.stage_dates) == {"opportunity", "customer"}
    lost = hubspot_deal({"id": "8", "dealstage": "4711", "hs_is_closed_won": "false",
                         "hs_is_closed": "true", "closedate": "2026-02-01T00:00:00Z"})
    assert lost.funnel_stage == FunnelStage.lost
    open_deal = hubspot_deal({"id": "9", "dealstage": "qualifiedtobuy",
                              "hs_is_closed_won": "false", "hs_is_closed": "false",
                              "closedate": "2026-03-31T00:00:00Z"})
    assert (open_deal.funnel_stage, open_deal.closed_at) == (FunnelStage.opportunity, None)


def test_salesforce_leads_and_opportunities_map_onto_the_funnel() -> None:
    converted = salesforce_lead({"Id": "00Q1", "Email": "a@b.co", "Status": "Closed - Converted",
                                 "IsConverted": True, "ConvertedDate": "2026-03-02",
                                 "ConvertedAccountId": "0015", "CreatedDate":
                                 "2026-03-01T09:00:00.000+0000"})
    assert (converted.funnel_stage, converted.related_external_id) == (FunnelStage.sql, "0015")
    assert converted.stage_dates == {"lead": "2026-03-01T09:00:00+00:00",
                                     "sql": "2026-03-02T00:00:00+00:00"}
    assert salesforce_lead({"Id": "00Q2", "Status": "Closed - Not Converted",
                            "IsConverted": False}).funnel_stage == FunnelStage.lost
    assert salesforce_lead({"Id": "00Q3", "Status": "Working - Contacted",
                            "IsConverted": False}).funnel_stage == FunnelStage.lead
    won = salesforce_opportunity({"Id": "0061", "Name": "Renewal", "StageName": "Closed Won",
                                  "IsClosed": True, "IsWon": True, "Amount": 99.9,
                                  "CloseDate": "2026-04-01", "AccountId": "0015"})
    assert (won.funnel_stage, won.stage, won.amount) == (FunnelStage.customer, "Closed Won", 99.9)
    assert salesforce_opportunity({"Id": "0062", "StageName": "Closed Lost", "IsClosed": True,
                                   "IsWon": False}).funnel_stage == FunnelStage.lost
    assert salesforce_opportunity({"Id": "0063", "StageName": "Prospecting", "IsClosed": False,
                                   "IsWon": False}).funnel_stage == FunnelStage.opportunity


async def _records(runtime: Runtime, tenant: Tenant) -> list[CrmRecord]:
    async with runtime.session_factory() as session:
        session.info[BYPASS_INFO_KEY] = True
        return list((await session.scalars(
            select(CrmRecord).where(CrmRecord.organization_id == tenant.id)
            .order_by(CrmRecord.kind, CrmRecord.external_id)
            .execution_options(populate_existing=True))).all())


async def test_loading_twice_upserts_by_natural_key_and_links_customers(
    runtime: Runtime, tenant: Tenant, db: AsyncSession
) -> None:
    db.add(Customer(organization_id=tenant.id, external_id="shop:1", email="jo@example.com"))
    await db.commit()
    loader = CrmLoader(job_auth(tenant.id, tenant.id), None)
    contact = {"id": "51", "email": "JO@example.com", "lifecyclestage": "lead"}
    deal = {"id": "7", "dealstage": "appointmentscheduled", "hs_is_closed": "false",
            "hs_is_closed_won": "false", "amount": "10", "contact_id": "51"}
    async with runtime.session_factory() as session:
        session.info[BYPASS_INFO_KEY] = True
        assert await loader.load(session, [hubspot_contact(contact)]) == 1
        assert await loader.load(session, [hubspot_deal(deal)]) == 1
        await session.commit()
    first = await _records(runtime, tenant)
    assert [(r.kind, r.funnel_stage) for r in first] == [("contact", "lead"),
                                                          ("deal", "opportunity")]
    customer = await db.scalar(select(Customer.id).where(Customer.organization_id == tenant.id))
    assert [r.customer_id for r in first] == [customer, customer]
    assert first[0].email_hash == email_hash("jo@example.com")

    contact["lifecyclestage"] = "customer"
    deal.update(dealstage="closedwon", hs_is_closed="true", hs_is_closed_won="true",
                closedate="2026-05-05T00:00:00Z")
    async with runtime.session_factory() as session:
        session.info[BYPASS_INFO_KEY] = True
        # Duplicates in one batch: the last one wins.
        await loader.load(session, [hubspot_contact({**contact, "lifecyclestage": "lead"}),
                                    hubspot_contact(contact), hubspot_deal(deal)])
        await session.commit()
    second = await _records(runtime, tenant)
    assert [(r.id, r.funnel_stage) for r in second] == [(first[0].id, "customer"),
                                                         (first[1].id, "customer")]
    assert second[1].closed_at == datetime(2026, 5, 5, tzinfo=UTC)


async def test_sandbox_hubspot_fills_the_lifecycle_table_but_no_customers(
    runtime: Runtime, tenant: Tenant
) -> None:
    sim = cached_simulation("beauty", 7, DAYS, SANDBOX_TODAY)
    start, end = sim.end - timedelta(days=6), sim.end
    connection, run = await sandbox_backfill(runtime, tenant.id, "hubspot", start=start,
                                             end=end, days=DAYS)
    records = await _records(runtime, tenant)
    deals = [r for r in records if r.kind == "deal"]
    window = [j for j, d in enumerate(sim.orders.day.tolist())
              if start <= sim.date_at(d) <= end]
    assert len(deals) == len(window) == run.streams["deals"]["rows_read"]
    assert {r.funnel_stage for r in records} == {"customer"}
    assert all(r.connection_id == connection.id for r in records)
    assert round(sum(r.amount or 0 for r in deals), 2) == round(
        sum(float(sim.orders.revenue[j]) for j in window), 2)
    contacts = [r for r in records if r.kind == "contact"]
    assert contacts
    assert all(r.email_hash and "customer" in r.stage_dates for r in contacts)
    # Deals know their contact; nothing became a customer or an order.
    contact_ids = {r.external_id for r in contacts}
    assert all(r.related_external_id for r in deals)
    assert sum(r.related_external_id in contact_ids for r in deals) > 0
    async with runtime.session_factory() as session:
        session.info[BYPASS_INFO_KEY] = True
        assert await session.scalar(select(func.count()).select_from(Customer).where(
            Customer.organization_id == tenant.id)) == 0
    assert run.rows_written == len(records)
    # A second backfill changes nothing but the timestamps.
    await rerun(runtime, connection, start=start, end=end)
    again = await _records(runtime, tenant)
    assert [(r.id, r.funnel_stage, r.amount) for r in again] == [
        (r.id, r.funnel_stage, r.amount) for r in records]


async def test_sandbox_salesforce_opportunities_link_to_the_converted_leads_customers(
    runtime: Runtime, tenant: Tenant
) -> None:
    sim = cached_simulation("beauty", 7, DAYS, SANDBOX_TODAY)
    await sandbox_backfill(runtime, tenant.id, "salesforce", start=sim.start, end=sim.end,
                           days=DAYS, config={"import_leads": True})
    records = await _records(runtime, tenant)
    leads = [r for r in records if r.kind == "lead"]
    opportunities = [r for r in records if r.kind == "opportunity"]
    assert leads
    assert opportunities
    assert {r.funnel_stage for r in leads} == {"sql"}
    assert {r.funnel_stage for r in opportunities} == {"customer"}
    assert all(r.customer_id is not None for r in leads)
    linked = [r for r in opportunities if r.customer_id is not None]
    by_account = {r.related_external_id: r.customer_id for r in leads}
    assert linked
    assert all(by_account[r.related_external_id] == r.customer_id for r in linked)


# --- the API ------------------------------------------------------------------------------


async def _arrange(runtime: Runtime, tenant: Tenant) -> None:
    loader = CrmLoader(job_auth(tenant.id, tenant.id), None)
    rows: list[Any] = [
        hubspot_contact({"id": str(i), "lifecyclestage": stage, "email": f"p{i}@x.io",
                         "lastmodifieddate": f"2026-01-{i + 1:02d}T00:00:00Z"})
        for i, stage in enumerate(["lead", "lead", "marketingqualifiedlead", "customer"])
    ]
    rows += [
        hubspot_deal({"id": "d1", "dealstage": "closedwon", "hs_is_closed_won": "true",
                      "amount": "100", "closedate": "2026-01-09T00:00:00Z"}),
        salesforce_opportunity({"Id": "o1", "StageName": "Prospecting", "IsClosed": False,
                                "IsWon": False, "Amount": 50}),
        salesforce_opportunity({"Id": "o2", "StageName": "Closed Lost", "IsClosed": True,
                                "IsWon": False, "Amount": 20, "CloseDate": "2026-01-10"}),
    ]
    async with runtime.session_factory() as session:
        session.info[BYPASS_INFO_KEY] = True
        await loader.load(session, rows)
        await session.commit()


async def test_the_list_filters_and_pages(
    client: httpx.AsyncClient, runtime: Runtime, tenant: Tenant
) -> None:
    await _arrange(runtime, tenant)
    everything = await client.get(tenant.path("/crm/lifecycle"), headers=tenant.viewer)
    assert everything.status_code == 200, everything.text
    assert len(everything.json()["data"]) == 7
    item = everything.json()["data"][0]
    assert {"id", "source", "kind", "external_id", "stage", "funnel_stage", "amount",
            "stage_dates", "email_hash", "customer_id"} <= set(item)
    assert "email" not in item
    leads = await client.get(tenant.path("/crm/lifecycle"), headers=tenant.viewer,
                             params={"funnel_stage": "lead", "source": "hubspot"})
    assert sorted(r["external_id"] for r in leads.json()["data"]) == ["0", "1"]
    lost = await client.get(tenant.path("/crm/lifecycle"), headers=tenant.viewer,
                            params={"kind": "opportunity", "stage": "Closed Lost"})
    assert [r["external_id"] for r in lost.json()["data"]] == ["o2"]
    recent = await client.get(tenant.path("/crm/lifecycle"), headers=tenant.viewer,
                              params={"updated_since": "2026-01-03T00:00:00Z"})
    assert sorted(r["external_id"] for r in recent.json()["data"]) == ["2", "3"]
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 3, "sort": "created_at"}
        if cursor:
            params["cursor"] = cursor
        page = await client.get(tenant.path("/crm/lifecycle"), headers=tenant.viewer,
                                params=params)
        assert page.status_code == 200, page.text
        seen += [r["id"] for r in page.json()["data"]]
        cursor = page.json()["next_cursor"]
        if not cursor:
            break
    assert len(seen) == len(set(seen)) == 7
    bad = await client.get(tenant.path("/crm/lifecycle"), headers=tenant.viewer,
                           params={"funnel_stage": "nirvana"})
    assert bad.status_code == 422
    assert bad.headers["content-type"].startswith("application/problem+json")


async def test_the_funnel_counts_every_stage_in_order(
    client: httpx.AsyncClient, runtime: Runtime, tenant: Tenant
) -> None:
    await _arrange(runtime, tenant)
    response = await client.get(tenant.path("/crm/lifecycle/funnel"), headers=tenant.viewer)
    assert response.status_code == 200, response.text
    body = response.json()
    assert [s["stage"] for s in body["stages"]] == [s.value for s in FunnelStage]
    counts = {s["stage"]: (s["records"], s["amount"], s["by_kind"]) for s in body["stages"]}
    assert counts["lead"] == (2, 0.0, {"contact": 2})
    assert counts["customer"] == (2, 100.0, {"contact": 1, "deal": 1})
    assert counts["opportunity"] == (1, 50.0, {"opportunity": 1})
    assert counts["lost"] == (1, 20.0, {"opportunity": 1})
    assert counts["sql"] == (0, 0.0, {})
    assert body["total"] == 7
    only_hubspot = await client.get(tenant.path("/crm/lifecycle/funnel"),
                                    headers=tenant.viewer, params={"source": "hubspot"})
    assert only_hubspot.json()["total"] == 5


@pytest.mark.parametrize("path", ["/crm/lifecycle", "/crm/lifecycle/funnel"])
async def test_access_401_403_and_other_tenants_404(
    client: httpx.AsyncClient, runtime: Runtime, tenant: Tenant, other_tenant: Tenant,
    db: AsyncSession, session_factory: Any, path: str,
) -> None:
    await _arrange(runtime, tenant)
    assert (await client.get(tenant.path(path))).status_code == 401
    assert (await client.get(tenant.path(path),
                             headers={"Authorization": "Bearer brn_nope"})).status_code == 401
    # Another tenant's key on this tenant's organization: not found, and nothing leaks.
    crossed = await client.get(tenant.path(path), headers=other_tenant.admin)
    assert crossed.status_code == 404
    own = await client.get(other_tenant.path(path), headers=other_tenant.admin)
    assert own.status_code == 200
    assert (own.json().get("total") == 0) or own.json().get("data") == []
    # A member of an organization that requires MFA, without it: 403.
    member = await make_member_session(session_factory, tenant.id, "viewer")
    await set_system_mode(db, True)
    org = await db.get(Organization, tenant.id)
    assert org is not None
    org.mfa_required = True
    await db.commit()
    denied = await client.get(tenant.path(path), headers=member)
    assert denied.status_code == 403
    assert denied.json()["type"] == "/api/v1/problems/mfa-enrolment-required"


async def test_restricted_members_see_only_their_channels_customers(
    runtime: Runtime, tenant: Tenant, db: AsyncSession
) -> None:
    from brain.core.auth import AuthContext
    from brain.core.tenancy import scope_to_tenant
    from brain.warehouse.models import Channel

    channel = Channel(organization_id=tenant.id, name="Meta", platform="meta")
    db.add(channel)
    await db.flush()
    db.add_all([Customer(organization_id=tenant.id, external_id="c1", email="in@x.io",
                         acquisition_channel_id=channel.id),
                Customer(organization_id=tenant.id, external_id="c2", email="out@x.io")])
    await db.commit()
    loader = CrmLoader(job_auth(tenant.id, tenant.id), None)
    async with runtime.session_factory() as session:
        session.info[BYPASS_INFO_KEY] = True
        await loader.load(session, [hubspot_contact({"id": "1", "email": "in@x.io"}),
                                    hubspot_contact({"id": "2", "email": "out@x.io"})])
        await session.commit()
    base = job_auth(tenant.id, uuid.uuid4())
    restricted = AuthContext(organization_id=tenant.id, role=base.role,
                             permissions=base.permissions, subject_type=base.subject_type,
                             subject_id=base.subject_id, channel_ids=frozenset({channel.id}))
    visible = (await db.scalars(scope_to_tenant(select(CrmRecord.external_id), CrmRecord,
                                                restricted))).all()
    assert list(visible) == ["1"]
