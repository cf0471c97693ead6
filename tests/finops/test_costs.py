"""Usage metering, the cost model, GET /api/v1/admin/costs (operators only: tenant owners
get 403) and GET …/usage, and the per-plan cost alert."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from brain.billing.models import BillingNotification
from brain.billing.overrides import OverrideError, force_plan, set_operator
from brain.billing.quotas import consume
from brain.core.clock import FrozenClock
from brain.core.db import set_system_mode
from brain.core.email import list_outbox
from brain.core.runtime import Runtime
from brain.finops.costs import CostModel
from brain.finops.metering import record_usage
from brain.finops.tasks import cost_alerts
from tests.factories import Tenant
from tests.organizations.helpers import Person, add_person, ok, problem


async def test_record_usage_adds_per_day_meter_and_dimension(
    db: AsyncSession, tenant: Tenant, clock: FrozenClock, client: httpx.AsyncClient,
    owner: Person,
) -> None:
    for _ in range(3):
        await record_usage(db, tenant.id, "llm_tokens_in", 1000, dimension="gpt-4o-mini",
                           clock=clock)
    await record_usage(db, tenant.id, "rows_ingested", 500, clock=clock)
    await record_usage(db, tenant.id, "rows_ingested", 250, clock=clock,
                       at=clock.now() - timedelta(days=40))
    await consume(db, tenant.id, "events_per_month", 750, clock=clock)
    await db.commit()
    with pytest.raises(ValueError, match="unknown meter"):
        await record_usage(db, tenant.id, "coffee", 1)
    body = ok(await client.get(tenant.path("/usage"), headers=owner.headers))
    assert body["totals"]["llm_tokens_in"] == 3000
    assert body["totals"]["rows_ingested"] == 500  # the row 40 days ago is another month
    assert body["quotas"]["events_per_month"]["used"] == 750
    assert {(m["meter"], m["dimension"]) for m in body["meters"]} >= {
        ("llm_tokens_in", "gpt-4o-mini"), ("rows_ingested", "")}
    problem(await client.get(tenant.path("/usage"), headers=tenant.viewer), 403, "forbidden")
    problem(await client.get(tenant.path("/usage?start=2026-02-01&end=2026-01-01"),
                             headers=owner.headers), 422)


def test_cost_model_prices_by_model_and_configuration() -> None:
    model = CostModel({"llm_tokens_out": 2e-6, "llm_tokens_out:big": 1e-5})
    assert model.cost("llm_tokens_out", "small", 1000) == pytest.approx(0.002)
    assert model.cost("llm_tokens_out", "big", 1000) == pytest.approx(0.01)
    assert model.cost("unknown", "", 10) == 0


async def test_admin_costs_are_for_operators_only(
    client: httpx.AsyncClient, db: AsyncSession, tenant: Tenant, other_tenant: Tenant,
    owner: Person, clock: FrozenClock,
) -> None:
    url = "/api/v1/admin/costs"
    problem(await client.get(url), 401, "unauthorized")
    problem(await client.get(url, headers=tenant.admin), 403, "operator-required")
    problem(await client.get(url, headers=owner.headers), 403, "operator-required")
    operator = await add_person(db, clock, None, "viewer")
    await set_operator(db, operator.email, enabled=True, clock=clock)
    with pytest.raises(OverrideError):
        await set_operator(db, "nobody@example.com", enabled=True, clock=clock)
    await force_plan(db, tenant.id, "starter", actor="tests", clock=clock)
    today = clock.now()
    await record_usage(db, tenant.id, "brain_cpu_seconds", 3600 * 10, at=today)
    await record_usage(db, tenant.id, "llm_tokens_out", 1_000_000, dimension="gpt-x", at=today)
    await record_usage(db, other_tenant.id, "emails_sent", 1000, at=today)
    await record_usage(db, other_tenant.id, "emails_sent", 5000, at=today - timedelta(days=30))
    await db.commit()
    body = ok(await client.get(f"{url}?start={today.date()}&end={today.date()}",
                               headers=operator.headers))
    tenants = {t["organization_id"]: t for t in body["tenants"]}
    a = tenants[str(tenant.id)]
    assert a["plan"] == "starter"
    assert a["cost_usd"] == pytest.approx(10 * 0.05 + 1.5)
    assert a["revenue_usd"] == pytest.approx(499 / 30, rel=1e-4)
    assert a["margin_usd"] == pytest.approx(499 / 30 - 2.0, rel=1e-4)
    assert tenants[str(other_tenant.id)]["cost_usd"] == pytest.approx(0.1)
    assert body["total_cost_usd"] == pytest.approx(2.1)
    assert {p["plan"] for p in body["plans"]} == {"starter", "trial"}
    movers = {m["organization_id"]: m for m in body["top_movers"]}
    assert movers[str(tenant.id)]["change_usd"] == pytest.approx(2.0)
    assert body["top_movers"][0]["organization_id"] == str(tenant.id)
    # Last period's view shows the other tenant's earlier cost as the previous period's mover.
    problem(await client.get(f"{url}?start=2026-05-02&end=2026-05-01",
                             headers=operator.headers), 422)


async def test_cost_alert_notifies_operators_once_a_month(
    db: AsyncSession, tenant: Tenant, clock: FrozenClock, runtime: Runtime, owner: Person,
) -> None:
    operator = await add_person(db, clock, None, "viewer")
    await set_operator(db, operator.email, enabled=True, clock=clock)
    await force_plan(db, tenant.id, "starter", actor="tests", clock=clock)
    # $499/month; month to date revenue share: cost above 40 % of it alerts.
    await record_usage(db, tenant.id, "llm_tokens_out", 400_000_000, dimension="gpt-x",
                       at=clock.now())
    await db.commit()
    await cost_alerts(runtime)
    await cost_alerts(runtime)
    await set_system_mode(db, True)
    alerts = (await db.scalars(select(BillingNotification).where(
        BillingNotification.organization_id == tenant.id,
        BillingNotification.kind == "finops.cost_alert"))).all()
    assert len(alerts) == 1
    assert alerts[0].emailed_at is not None  # never emailed to the tenant's own admins
    mails = [m for m in list_outbox(runtime.settings, 200) if operator.email in m.to]
    assert len(mails) == 1
    assert "Tenant A" in mails[0].subject
    assert not [m for m in list_outbox(runtime.settings, 200)
                if owner.email in m.to and "costs" in m.subject]
