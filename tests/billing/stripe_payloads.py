"""Stripe objects and events shaped as Stripe's API reference documents them (API version
2026-10-28: billing periods on subscription items, an invoice's subscription under
`parent.subscription_details`), and signatures made exactly as Stripe makes them."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from typing import Any

API_VERSION = "2026-10-28.endive"
WEBHOOK_SECRET = "whsec_test_0123456789abcdef"
PRICES = {
    "stripe_price_starter": "price_starter_test",
    "stripe_price_growth": "price_growth_test",
    "stripe_price_scale": "price_scale_test",
    "stripe_price_enterprise": "price_enterprise_test",
    "stripe_price_seat": "price_seat_test",
}


def sign(payload: bytes, secret: str = WEBHOOK_SECRET, timestamp: int | None = None) -> str:
    """`Stripe-Signature: t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<payload>">`."""
    t = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{t}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={t},v1={digest}"


def event(event_type: str, obj: dict[str, Any], *, created: int,
          event_id: str | None = None,
          previous_attributes: dict[str, Any] | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {"object": obj}
    if previous_attributes is not None:
        data["previous_attributes"] = previous_attributes
    return {
        "id": event_id or f"evt_{secrets.token_hex(12)}", "object": "event",
        "api_version": API_VERSION, "created": created, "data": data, "livemode": False,
        "pending_webhooks": 1, "request": {"id": None, "idempotency_key": None},
        "type": event_type,
    }


def body(evt: dict[str, Any]) -> bytes:
    return json.dumps(evt, separators=(",", ":")).encode()


def price(plan_or_seat: str, amount: int) -> dict[str, Any]:
    key = "stripe_price_seat" if plan_or_seat == "seat" else f"stripe_price_{plan_or_seat}"
    return {"id": PRICES[key], "object": "price", "active": True, "billing_scheme": "per_unit",
            "currency": "usd", "livemode": False, "lookup_key": None, "metadata": {},
            "product": f"prod_{plan_or_seat}", "type": "recurring", "unit_amount": amount,
            "recurring": {"interval": "month", "interval_count": 1, "usage_type": "licensed"}}


def subscription(
    org_id: str, *, sub_id: str = "sub_test_1", customer: str = "cus_test_1",
    status: str = "active", plan: str = "growth", seats: int = 0, period_end: int,
    trial_end: int | None = None, cancel_at_period_end: bool = False,
) -> dict[str, Any]:
    start = period_end - 30 * 86400
    items = [{"id": "si_plan", "object": "subscription_item", "created": start,
              "current_period_start": start, "current_period_end": period_end,
              "metadata": {}, "price": price(plan, 79900), "quantity": 1,
              "subscription": sub_id}]
    if seats:
        items.append({"id": "si_seats", "object": "subscription_item", "created": start,
                      "current_period_start": start, "current_period_end": period_end,
                      "metadata": {}, "price": price("seat", 4900), "quantity": seats,
                      "subscription": sub_id})
    return {
        "id": sub_id, "object": "subscription", "customer": customer, "status": status,
        "cancel_at_period_end": cancel_at_period_end, "canceled_at": None,
        "collection_method": "charge_automatically", "created": start, "currency": "usd",
        "items": {"object": "list", "data": items, "has_more": False,
                  "url": f"/v1/subscription_items?subscription={sub_id}"},
        "latest_invoice": "in_test_1", "livemode": False,
        "metadata": {"organization_id": org_id, "plan": plan},
        "pause_collection": None, "start_date": start, "trial_end": trial_end,
        "trial_start": start if trial_end else None,
    }


def invoice(
    *, invoice_id: str | None = "in_test_1", customer: str = "cus_test_1",
    sub_id: str = "sub_test_1", status: str = "open", amount_due: int = 79900,
    amount_paid: int = 0, period_end: int, next_payment_attempt: int | None = None,
) -> dict[str, Any]:
    obj: dict[str, Any] = {
        "object": "invoice", "customer": customer, "status": status,
        "amount_due": amount_due, "amount_paid": amount_paid, "amount_remaining":
        amount_due - amount_paid, "currency": "usd", "billing_reason": "subscription_cycle",
        "collection_method": "charge_automatically", "number": "BRN-0001",
        "hosted_invoice_url": "https://invoice.stripe.com/i/acct_test/test_inv",
        "period_start": period_end - 30 * 86400, "period_end": period_end,
        "next_payment_attempt": next_payment_attempt, "livemode": False,
        "parent": {"type": "subscription_details", "quote_details": None,
                   "subscription_details": {"metadata": {}, "subscription": sub_id}},
    }
    if invoice_id is not None:  # an upcoming invoice has no id yet
        obj["id"] = invoice_id
    return obj


def checkout_session(org_id: str, *, customer: str = "cus_test_1",
                     sub_id: str = "sub_test_1") -> dict[str, Any]:
    return {
        "id": "cs_test_a1", "object": "checkout.session", "mode": "subscription",
        "status": "complete", "payment_status": "paid", "client_reference_id": org_id,
        "customer": customer, "subscription": sub_id, "currency": "usd",
        "amount_total": 79900, "livemode": False, "metadata": {"organization_id": org_id},
        "success_url": "https://app.brain.test/settings/billing?checkout=success",
        "cancel_url": "https://app.brain.test/settings/billing?checkout=cancel",
    }
