"""A read-only organization (restricted after an unpaid grace period, or canceled): every
write under /api/v1/organizations/{org_id} is refused with 403 `billing-restricted` — gated
and quota-charging routes included — except paying, changing plan, leaving and deleting;
every read keeps working. Walked over the whole spec, as the owner (who may call all)."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from brain.billing.entitlements import evict_plan_state
from brain.billing.models import BillingAccount
from brain.core.clock import FrozenClock
from brain.core.runtime import Runtime
from tests.factories import Tenant
from tests.organizations.helpers import add_person
from tests.platform.openapi_walk import RequestBuilder, tenant_operations
from tests.platform.tenant_objects import seed_objects

ORG = "/api/v1/organizations/{org_id}"
# What a read-only organization may still write: pay, change plan, leave, rename or delete.
STILL_WRITABLE = {
    ("PATCH", ORG), ("DELETE", ORG), ("POST", f"{ORG}/plan"), ("POST", f"{ORG}/leave"),
    ("POST", f"{ORG}/billing/checkout"), ("POST", f"{ORG}/billing/portal"),
    ("POST", f"{ORG}/billing/preview"),
}


def _restricted(response: httpx.Response) -> bool:
    return (response.status_code == 403
            and response.json().get("type") == "/api/v1/problems/billing-restricted")


@pytest.mark.parametrize("status", ["restricted", "canceled"])
async def test_read_only_organizations_refuse_writes_and_serve_reads(
    status: str, client: httpx.AsyncClient, db: AsyncSession, tenant: Tenant,
    clock: FrozenClock, runtime: Runtime,
) -> None:
    app: FastAPI = client.app  # type: ignore[attr-defined]
    objects = await seed_objects(db, tenant, "Alpha")
    db.add(BillingAccount(organization_id=tenant.id, status=status, seat_quantity=0,
                          cancel_at_period_end=False, subscription_event_created=0))
    await db.commit()
    owner = await add_person(db, clock, tenant.id, "owner")
    await evict_plan_state(runtime.cache, tenant.id)
    builder = RequestBuilder(app.openapi(), objects.ids)
    operations = tenant_operations(app)
    # Deleting the organization last: it would end the walk.
    operations.sort(key=lambda op: (op.method, op.path) == ("DELETE", ORG))
    failures: list[str] = []
    writes = 0
    for operation in operations:
        plan = builder.build(operation)
        response = await client.request(plan.method, plan.url,
                                        headers={**plan.headers, **owner.headers},
                                        **plan.kwargs())
        where = f"{operation}: {response.status_code} {response.text[:160]}"
        if response.status_code >= 500:
            failures.append(f"server error: {where}")
        elif operation.method == "GET" or (operation.method, operation.path) in STILL_WRITABLE:
            if _restricted(response):
                failures.append(f"refused: {where}")
        else:
            writes += 1
            if not _restricted(response):
                failures.append(f"not refused: {where}")
            elif response.json().get("billing_status") != status:
                failures.append(f"wrong billing_status: {where}")
    assert not failures, "\n".join(failures)
    assert writes > 50
