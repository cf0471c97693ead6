"""FinOps jobs: the daily storage measure (`finops.measure_storage`, see
`brain.finops.storage`) and the daily cost alert (a tenant costing more than its plan's
`cost_alert_share` of the plan's price, month to date, notifies the platform operators once
per month; trials are compared with `finops_trial_alert_usd` a month)."""

from __future__ import annotations

import logging

from sqlalchemy import select

from brain.audit.service import record_audit
from brain.billing.catalog import plan_spec
from brain.billing.models import BillingNotification
from brain.core.db import system_session
from brain.core.jobs import job
from brain.core.runtime import Runtime
from brain.finops.costs import CostModel, cost_by_tenant, plan_revenue
from brain.identity.models import User
from brain.organizations.models import Organization

logger = logging.getLogger("brain.finops")
COST_ALERTS_JOB = "finops.cost_alerts"
MEASURE_STORAGE_JOB = "finops.measure_storage"


@job(COST_ALERTS_JOB)
async def cost_alerts(runtime: Runtime) -> None:
    """Alert operators about tenants whose month-to-date cost passed the plan's threshold."""
    from brain.core.email import send_email_now

    now = runtime.clock.now()
    start = now.date().replace(day=1)
    days = (now.date() - start).days + 1
    model = CostModel.from_settings(runtime.settings)
    alerts: list[tuple[str, str]] = []
    async with system_session(runtime.session_factory) as session:
        costs = await cost_by_tenant(session, model, start, now.date())
        for org_id, meters in costs.items():
            org = await session.get(Organization, org_id)
            if org is None:
                continue
            revenue = plan_revenue(org.plan, days)
            cost = sum(meters.values())
            share = plan_spec(org.plan).cost_alert_share
            if revenue == 0:  # a trial pays nothing: a fixed dollar allowance instead
                threshold = runtime.settings.finops_trial_alert_usd * days / 30
            elif revenue is None:  # custom-priced Enterprise: no list price to compare to
                continue
            else:
                threshold = share * revenue
            if cost <= threshold:
                continue
            key = f"cost_alert:{start.isoformat()}"
            seen = await session.scalar(select(BillingNotification.id).where(
                BillingNotification.organization_id == org_id,
                BillingNotification.dedupe_key == key))
            if seen is not None:
                continue
            title = f"{org.name} costs ${cost:.2f} this month ({org.plan} plan)"
            body = (f"Month to date, {org.name} ({org_id}) cost ${cost:.2f} against "
                    f"${revenue:.2f} of {org.plan} plan revenue: over the alert threshold "
                    f"of ${threshold:.2f}.")
            # Operator-only: recorded as already emailed so the tenant's admins never get it.
            session.add(BillingNotification(
                organization_id=org_id, kind="finops.cost_alert", severity="internal",
                title=title[:200], body=body, data={"cost_usd": round(cost, 4),
                                                   "revenue_usd": round(revenue, 4)},
                dedupe_key=key, created_at=now, emailed_at=now,
            ))
            await record_audit(session, clock=runtime.clock, action="finops.cost_alert",
                               organization_id=org_id, actor_type="system",
                               target_type="organization", target_id=org_id,
                               details={"cost_usd": round(cost, 4),
                                        "revenue_usd": round(revenue, 4)})
            alerts.append((title, body))
        operators = list((await session.scalars(select(User.email).where(
            User.is_platform_operator.is_(True), User.deleted_at.is_(None)))).all())
    for title, body in alerts:
        logger.warning("cost alert: %s", title)
        for email in operators:
            await send_email_now(runtime, to=email, template="notification", locale="en",
                                 context={"title": title, "body": body}, delays=())


@job(MEASURE_STORAGE_JOB)
async def measure_storage(runtime: Runtime) -> None:
    """Daily: record each organization's stored bytes in the `storage_bytes` meter (the
    cost model prices them per GB-month)."""
    from brain.finops.storage import record_storage

    async with system_session(runtime.session_factory) as session:
        await record_storage(session, runtime.clock.now().date())
