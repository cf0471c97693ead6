"""The daily billing sweep: a past-due account past its grace period and a trial that ended
without a subscription become read-only, with one notice each; data is kept."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from brain.billing.models import BillingAccount, BillingNotification
from brain.billing.overrides import add_override, parse_override
from brain.billing.tasks import apply_dunning
from brain.core.clock import FrozenClock
from brain.core.db import set_system_mode
from brain.core.runtime import Runtime
from tests.factories import Tenant


async def _status(db: AsyncSession, tenant: Tenant) -> str | None:
    await set_system_mode(db, True)
    db.expire_all()
    account = await db.get(BillingAccount, tenant.id)
    return account.status if account else None


async def test_dunning_restricts_after_grace_and_expired_trials(
    db: AsyncSession, tenant: Tenant, other_tenant: Tenant, clock: FrozenClock,
    runtime: Runtime,
) -> None:
    await set_system_mode(db, True)
    db.add(BillingAccount(organization_id=tenant.id, status="past_due", seat_quantity=0,
                          cancel_at_period_end=False, subscription_event_created=0,
                          stripe_subscription_id="sub_x", past_due_since=clock.now(),
                          grace_ends_at=clock.now() + timedelta(days=7)))
    # The other tenant's trial is extended by an operator by 3 days.
    await add_override(db, other_tenant.id, parse_override("trial_days", "3"),
                       until=clock.now() + timedelta(days=60), reason="sales asked",
                       actor="tests", clock=clock)
    await db.commit()
    await apply_dunning(runtime)
    assert await _status(db, tenant) == "past_due"
    assert await _status(db, other_tenant) == "trialing"
    clock.advance(timedelta(days=7))
    await apply_dunning(runtime)
    assert await _status(db, tenant) == "restricted"
    clock.advance(timedelta(days=7))  # day 14: the plain trial would end; 3 more days here
    await apply_dunning(runtime)
    assert await _status(db, other_tenant) == "trialing"
    clock.advance(timedelta(days=4))  # the org was created a little after the clock's start
    await apply_dunning(runtime)
    await apply_dunning(runtime)
    assert await _status(db, other_tenant) == "restricted"
    kinds = list((await db.scalars(select(BillingNotification.kind).where(
        BillingNotification.organization_id.in_([tenant.id, other_tenant.id])))).all())
    assert sorted(kinds) == ["billing.restricted", "billing.trial_ended"]
