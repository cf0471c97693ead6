"""POST /api/v1/webhooks/stripe: every handled event type, signed as Stripe signs and
verified through the SDK; bad signatures, replays and out-of-order deliveries."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from brain.billing.entitlements import evict_plan_state
from brain.billing.models import BillingAccount, BillingInvoice, BillingNotification, StripeEvent
from brain.core.clock import FrozenClock
from brain.core.db import set_system_mode
from brain.core.email import list_outbox
from brain.core.runtime import Runtime
from brain.organizations.models import Organization
from tests.billing import stripe_payloads as sp
from tests.factories import Tenant
from tests.organizations.helpers import Person, ok, problem

URL = "/api/v1/webhooks/stripe"


async def _send(client: httpx.AsyncClient, evt: dict[str, Any], *,
                signature: str | None = None) -> httpx.Response:
    payload = sp.body(evt)
    return await client.post(URL, content=payload, headers={
        "Content-Type": "application/json",
        "Stripe-Signature": signature if signature is not None else sp.sign(payload)})


async def _deliver(client: httpx.AsyncClient, evt: dict[str, Any]) -> str:
    response = await _send(client, evt)
    assert response.status_code == 200, response.text
    outcome: str = response.json()["outcome"]
    return outcome


async def _state(db: AsyncSession, tenant: Tenant) -> tuple[str, BillingAccount]:
    await set_system_mode(db, True)
    db.expire_all()
    org = await db.get(Organization, tenant.id)
    account = await db.get(BillingAccount, tenant.id)
    assert org is not None
    assert account is not None
    return org.plan, account


async def _notice_kinds(db: AsyncSession, tenant: Tenant) -> list[str]:
    await set_system_mode(db, True)
    rows = await db.scalars(select(BillingNotification.kind).where(
        BillingNotification.organization_id == tenant.id).order_by(
            BillingNotification.created_at, BillingNotification.kind))
    return list(rows.all())


async def test_signatures_are_verified(client: httpx.AsyncClient, tenant: Tenant) -> None:
    now = int(time.time())
    evt = sp.event("invoice.upcoming", sp.invoice(invoice_id=None, period_end=now), created=now)
    payload = sp.body(evt)
    for signature in (None, "", "t=1,v1=abc", sp.sign(payload, "whsec_other"),
                      sp.sign(payload, timestamp=now - 3600)):
        headers = {"Content-Type": "application/json"}
        if signature is not None:
            headers["Stripe-Signature"] = signature
        problem(await client.post(URL, content=payload, headers=headers), 400, "bad-request")
    # A signature over other bytes does not verify either.
    tampered = payload.replace(b"invoice.upcoming", b"invoice.paid")
    problem(await client.post(URL, content=tampered, headers={
        "Content-Type": "application/json", "Stripe-Signature": sp.sign(payload)}), 400)


async def test_subscription_lifecycle_through_every_event_type(
    client: httpx.AsyncClient, db: AsyncSession, tenant: Tenant, owner: Person,
    clock: FrozenClock, runtime: Runtime,
) -> None:
    org = str(tenant.id)
    t0 = int(time.time())
    period_end = t0 + 30 * 86400
    trial_end = t0 + 3 * 86400

    assert await _deliver(client, sp.event("checkout.session.completed",
                                           sp.checkout_session(org), created=t0)) == "processed"
    plan, account = await _state(db, tenant)
    assert (account.stripe_customer_id, account.stripe_subscription_id) == (
        "cus_test_1", "sub_test_1")

    sub = sp.subscription(org, status="trialing", plan="growth", period_end=period_end,
                          trial_end=trial_end)
    assert await _deliver(client, sp.event("customer.subscription.created", sub,
                                           created=t0 + 1)) == "processed"
    plan, account = await _state(db, tenant)
    assert (plan, account.status) == ("growth", "trialing")
    assert int(account.current_period_end.timestamp()) == period_end  # type: ignore[union-attr]
    assert int(account.trial_ends_at.timestamp()) == trial_end  # type: ignore[union-attr]

    await _deliver(client, sp.event("customer.subscription.trial_will_end", sub,
                                    created=t0 + 2))
    sub = sp.subscription(org, status="active", plan="scale", seats=2, period_end=period_end)
    await _deliver(client, sp.event("customer.subscription.updated", sub, created=t0 + 3,
                                     previous_attributes={"status": "trialing"}))
    plan, account = await _state(db, tenant)
    assert (plan, account.status, account.seat_quantity) == ("scale", "active", 2)

    await _deliver(client, sp.event("invoice.finalized", sp.invoice(period_end=period_end),
                                    created=t0 + 4))
    await _deliver(client, sp.event("invoice.upcoming", sp.invoice(
        invoice_id=None, amount_due=159_900, period_end=period_end + 30 * 86400,
        next_payment_attempt=period_end), created=t0 + 5))
    await _deliver(client, sp.event("invoice.paid", sp.invoice(
        status="paid", amount_paid=79900, period_end=period_end), created=t0 + 6))
    billing = ok(await client.get(tenant.path("/billing"), headers=owner.headers))
    assert billing["plan"] == "scale"
    assert billing["next_invoice"]["amount"] == 159_900
    assert billing["has_payment_account"] is True
    invoices = ok(await client.get(tenant.path("/billing/invoices"), headers=owner.headers))
    assert [(i["stripe_invoice_id"], i["status"], i["amount_paid"])
            for i in invoices["data"]] == [("in_test_1", "paid", 79900)]

    # A failed renewal: past due with a grace period, a critical banner and an email.
    await _deliver(client, sp.event("invoice.payment_failed", sp.invoice(
        invoice_id="in_test_2", status="open", period_end=period_end), created=t0 + 7))
    await _deliver(client, sp.event("invoice.payment_action_required", sp.invoice(
        invoice_id="in_test_2", status="open", period_end=period_end), created=t0 + 8))
    plan, account = await _state(db, tenant)
    assert account.status == "past_due"
    assert account.grace_ends_at == clock.now() + timedelta(days=7)
    mails = [m for m in list_outbox(runtime.settings, 300)
             if owner.email in m.to and "Payment failed" in m.subject]
    assert len(mails) == 1  # the banner's email, sent once after commit
    billing = ok(await client.get(tenant.path("/billing"), headers=owner.headers))
    assert billing["status"] == "past_due"
    assert billing["read_only"] is False
    assert {b["kind"] for b in billing["banners"]} >= {"billing.past_due",
                                                        "billing.action_required"}
    # After the grace period the organization is read-only; its data is kept.
    clock.advance(timedelta(days=7))
    await evict_plan_state(runtime.cache, tenant.id)
    plan_body = ok(await client.get(tenant.path("/plan"), headers=tenant.viewer))
    assert (plan_body["status"], plan_body["read_only"]) == ("restricted", True)
    problem(await client.post(tenant.path("/channels"), json={"name": "X", "platform": "meta"},
                              headers=tenant.admin), 403, "billing-restricted")
    # Paying the invoice lifts it.
    await _deliver(client, sp.event("invoice.paid", sp.invoice(
        invoice_id="in_test_2", status="paid", amount_paid=79900, period_end=period_end),
        created=t0 + 9))
    plan, account = await _state(db, tenant)
    assert (account.status, account.grace_ends_at) == ("active", None)

    paused = sp.subscription(org, status="paused", plan="scale", period_end=period_end)
    await _deliver(client, sp.event("customer.subscription.paused", paused, created=t0 + 10))
    assert (await _state(db, tenant))[1].status == "paused"
    resumed = sp.subscription(org, status="active", plan="scale", period_end=period_end)
    await _deliver(client, sp.event("customer.subscription.resumed", resumed, created=t0 + 11))
    assert (await _state(db, tenant))[1].status == "active"

    ended = sp.subscription(org, status="canceled", plan="scale", period_end=period_end)
    await _deliver(client, sp.event("customer.subscription.deleted", ended, created=t0 + 12))
    plan, account = await _state(db, tenant)
    assert (plan, account.status) == ("scale", "canceled")  # the data and the plan are kept
    await evict_plan_state(runtime.cache, tenant.id)
    assert ok(await client.get(tenant.path("/plan"), headers=tenant.viewer))["read_only"]
    kinds = await _notice_kinds(db, tenant)
    assert {"billing.trial_will_end", "billing.past_due", "billing.action_required",
            "billing.canceled"} <= set(kinds)


async def test_replays_are_acknowledged_and_change_nothing(
    client: httpx.AsyncClient, db: AsyncSession, tenant: Tenant
) -> None:
    t0 = int(time.time())
    failed = sp.event("invoice.payment_failed", sp.invoice(period_end=t0), created=t0,
                      event_id="evt_replayed_1")
    await _deliver(client, sp.event("customer.subscription.created", sp.subscription(
        str(tenant.id), period_end=t0 + 86400), created=t0 - 10))
    assert await _deliver(client, failed) == "processed"
    for _ in range(2):
        response = await _send(client, failed)
        assert response.status_code == 200
        assert response.json() == {"received": True, "event_id": "evt_replayed_1",
                                   "outcome": "duplicate"}
    kinds = await _notice_kinds(db, tenant)
    assert kinds.count("billing.past_due") == 1
    await set_system_mode(db, True)
    assert (await db.get(StripeEvent, "evt_replayed_1")) is not None


async def test_out_of_order_deliveries_keep_the_newest_state(
    client: httpx.AsyncClient, db: AsyncSession, tenant: Tenant
) -> None:
    org = str(tenant.id)
    t0 = int(time.time())
    newer = sp.event("customer.subscription.updated", sp.subscription(
        org, status="active", plan="scale", period_end=t0 + 86400), created=t0 + 20)
    older = sp.event("customer.subscription.updated", sp.subscription(
        org, status="past_due", plan="growth", period_end=t0 + 86400), created=t0 + 10)
    created = sp.event("customer.subscription.created", sp.subscription(
        org, status="incomplete", plan="growth", period_end=t0 + 86400), created=t0)
    assert await _deliver(client, newer) == "processed"
    assert await _deliver(client, older) == "stale"
    assert await _deliver(client, created) == "stale"
    plan, account = await _state(db, tenant)
    assert (plan, account.status) == ("scale", "active")
    # An invoice paid, then its earlier failure arriving late: still paid, not past due.
    paid = sp.event("invoice.paid", sp.invoice(status="paid", amount_paid=79900,
                                               period_end=t0), created=t0 + 40)
    failed = sp.event("invoice.payment_failed", sp.invoice(status="open", period_end=t0),
                      created=t0 + 30)
    assert await _deliver(client, paid) == "processed"
    assert await _deliver(client, failed) == "stale"
    plan, account = await _state(db, tenant)
    assert account.status == "active"
    await set_system_mode(db, True)
    row = await db.scalar(select(BillingInvoice).where(
        BillingInvoice.organization_id == tenant.id))
    assert row is not None
    assert row.status == "paid"
    # The old subscription's deletion arriving after a new subscription started is ignored.
    other = sp.event("customer.subscription.deleted", sp.subscription(
        org, sub_id="sub_old", status="canceled", period_end=t0), created=t0 + 50)
    assert await _deliver(client, other) == "stale"
    assert (await _state(db, tenant))[1].status == "active"


async def test_unknown_and_unmatched_events_are_acknowledged(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    t0 = int(time.time())
    assert await _deliver(client, sp.event("customer.created", {
        "id": "cus_x", "object": "customer"}, created=t0)) == "ignored"
    assert await _deliver(client, sp.event("invoice.paid", sp.invoice(
        customer="cus_unknown", period_end=t0), created=t0)) == "unmatched"
