"""GET …/plan, the RateLimit-* headers on every response, plan limits and overrides (429 with
Retry-After), and read-only enforcement for restricted accounts."""

from __future__ import annotations

from datetime import timedelta

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from brain.billing.entitlements import evict_plan_state
from brain.billing.models import BillingAccount
from brain.billing.overrides import add_override, force_plan, parse_override
from brain.core.clock import FrozenClock
from brain.core.db import set_system_mode
from brain.core.jobs import InlineDispatcher
from brain.core.runtime import Runtime
from brain.settings import Settings
from tests.factories import Tenant
from tests.organizations.helpers import Person, ok, problem


def _has_rate_headers(response: httpx.Response) -> None:
    for name in ("ratelimit-limit", "ratelimit-remaining", "ratelimit-reset"):
        assert name in response.headers, (response.status_code, response.url, name)


async def test_plan_contract(client: httpx.AsyncClient, tenant: Tenant, owner: Person,
                             clock: FrozenClock) -> None:
    body = ok(await client.get(tenant.path("/plan"), headers=tenant.viewer))
    assert set(body) == {"organization_id", "plan", "status", "read_only", "trial_ends_at",
                         "seats", "entitlements", "quotas"}
    assert body["plan"] == "trial"
    assert body["status"] == "trialing"
    assert body["trial_ends_at"].endswith("Z")
    assert body["seats"] == {"included": 5, "used": 1, "max": 25, "billable_extra": 0}
    modules = body["entitlements"]["modules"]
    assert (modules["eyes"], modules["memory"], modules["voice"]) == (True, True, False)
    assert body["entitlements"]["required_plan"]["voice"] == "scale"
    assert body["entitlements"]["required_plan"]["sso_enforcement"] == "enterprise"
    quotas = body["quotas"]
    assert set(quotas) == {"api_requests_per_minute", "events_per_month", "brain_runs_per_day",
                           "actions_per_day", "llm_tokens_per_day", "syncs_per_day"}
    assert quotas["events_per_month"]["limit"] == 100_000
    assert quotas["events_per_month"]["used"] == 0
    assert quotas["brain_runs_per_day"]["resets_at"].startswith(
        (clock.now() + timedelta(days=1)).date().isoformat())
    minute = clock.now().replace(second=0) + timedelta(minutes=1)
    assert quotas["api_requests_per_minute"] == {
        "limit": 600, "used": 1, "resets_at": minute.isoformat().replace("+00:00", "Z")}


async def test_every_api_response_carries_ratelimit_headers(
    client: httpx.AsyncClient, tenant: Tenant, owner: Person
) -> None:
    responses = [
        await client.get(tenant.path("/plan"), headers=tenant.viewer),
        await client.get(tenant.path("/plan"), headers=owner.headers),
        await client.get(tenant.path("/plan")),  # 401
        await client.get(tenant.path("/plan"), headers={"Authorization": "Bearer brn_nope"}),
        await client.get("/api/v1/healthz"),
        await client.get("/api/v1/no-such-route"),
        await client.post(tenant.path("/billing/checkout"), json={"plan": "growth"},
                          headers=tenant.viewer),  # 403
    ]
    assert [r.status_code for r in responses] == [200, 200, 401, 401, 200, 404, 403]
    for response in responses:
        _has_rate_headers(response)
    first = responses[0]
    assert first.headers["ratelimit-limit"] == "600"
    assert 1 <= int(first.headers["ratelimit-reset"]) <= 60


async def test_plan_limit_override_gives_429_then_resets(
    client: httpx.AsyncClient, db: AsyncSession, tenant: Tenant, clock: FrozenClock,
    runtime: Runtime,
) -> None:
    await add_override(db, tenant.id, parse_override("api_requests_per_minute", "3"),
                       until=clock.now() + timedelta(days=1), reason="load test",
                       actor="tests", clock=clock)
    await db.commit()
    url = tenant.path("/plan")
    seen = [await client.get(url, headers=tenant.viewer) for _ in range(3)]
    assert [r.status_code for r in seen] == [200, 200, 200]
    assert [r.headers["ratelimit-remaining"] for r in seen] == ["2", "1", "0"]
    limited = problem(await client.get(url, headers=tenant.admin), 429, "rate-limited")
    assert limited["limit"] == 3
    response = await client.get(url, headers=tenant.viewer)
    assert response.status_code == 429
    assert response.headers["retry-after"] == "55"  # the clock stands at hh:mm:05
    assert response.headers["ratelimit-limit"] == "3"
    assert response.headers["ratelimit-remaining"] == "0"
    clock.advance(timedelta(seconds=55))  # the next minute: a fresh window
    assert (await client.get(url, headers=tenant.viewer)).status_code == 200
    # When the override expires, the plan's own limit applies again.
    clock.advance(timedelta(days=1))
    await evict_plan_state(runtime.cache, tenant.id)  # the cached state lives 30 s at most
    fresh = await client.get(url, headers=tenant.viewer)
    assert fresh.status_code == 200
    assert fresh.headers["ratelimit-limit"] == "600"


async def test_set_plan_changes_limits_and_entitlements(
    client: httpx.AsyncClient, db: AsyncSession, tenant: Tenant, clock: FrozenClock
) -> None:
    await force_plan(db, tenant.id, "scale", actor="tests", clock=clock)
    await db.commit()
    body = ok(await client.get(tenant.path("/plan"), headers=tenant.viewer))
    assert body["plan"] == "scale"
    assert body["status"] == "active"
    assert body["entitlements"]["modules"]["voice"] is True
    assert body["quotas"]["api_requests_per_minute"]["limit"] == 3000
    assert body["quotas"]["actions_per_day"]["limit"] is None


async def test_restricted_organization_is_read_only(
    client: httpx.AsyncClient, db: AsyncSession, tenant: Tenant, owner: Person
) -> None:
    await set_system_mode(db, True)
    db.add(BillingAccount(organization_id=tenant.id, status="restricted", seat_quantity=0,
                          cancel_at_period_end=False, subscription_event_created=0))
    await db.commit()
    refused = problem(await client.post(tenant.path("/channels"),
                                        json={"name": "Meta", "platform": "meta"},
                                        headers=tenant.admin), 403, "billing-restricted")
    assert refused["billing_status"] == "restricted"
    ok(await client.get(tenant.path("/channels"), headers=tenant.admin))
    body = ok(await client.get(tenant.path("/billing"), headers=tenant.admin))
    assert body["read_only"] is True
    assert body["mode"] == "local"
    # Paying (the plan change in local mode) stays possible.
    ok(await client.post(tenant.path("/plan"), json={"plan": "growth"}, headers=owner.headers))


async def test_anonymous_calls_are_limited_per_client_ip(
    billing_settings: Settings, runtime: Runtime, dispatcher: InlineDispatcher,
) -> None:
    from brain.app import create_app

    settings = billing_settings.model_copy(update={"rate_limit_per_minute": 2})
    runtime.settings = settings
    app = create_app(settings, runtime=runtime, dispatcher=dispatcher)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://testserver") as api:
        statuses = [(await api.get("/api/v1/healthz")).status_code for _ in range(3)]
        assert statuses == [200, 200, 429]
        limited = await api.get("/api/v1/healthz")
        problem(limited, 429, "rate-limited")
        assert limited.headers["ratelimit-limit"] == "2"
        assert 1 <= int(limited.headers["retry-after"]) <= 60
        assert limited.headers["x-content-type-options"] == "nosniff"


async def test_api_requests_are_metered_per_tenant_and_day(
    billing_settings: Settings, runtime: Runtime, dispatcher: InlineDispatcher,
    db: AsyncSession, tenant: Tenant,
) -> None:
    from sqlalchemy import select

    from brain.app import create_app
    from brain.finops.models import UsageDaily

    settings = billing_settings.model_copy(update={"usage_flush_requests": 3})
    runtime.settings = settings
    app = create_app(settings, runtime=runtime, dispatcher=dispatcher)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://testserver") as api:
        for _ in range(4):
            ok(await api.get(tenant.path("/plan"), headers=tenant.viewer))
    await set_system_mode(db, True)
    rows = (await db.scalars(select(UsageDaily).where(
        UsageDaily.organization_id == tenant.id, UsageDaily.meter == "api_requests"))).all()
    assert [row.amount for row in rows] == [3.0]  # flushed in batches of 3; 1 still pending
