"""The Stripe calls billing makes, through the official SDK's `StripeClient` (async methods
over its httpx client). One class so tests can hand it an SDK `HTTPClient` whose requests
they inspect; nothing else in Brain talks to Stripe."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Any, TypeVar

import stripe

import brain.billing.problems  # noqa: F401  (registers the problem kinds)
from brain.billing.catalog import PURCHASABLE_PLANS
from brain.core.errors import ProblemError
from brain.settings import Settings

T = TypeVar("T")


def price_ids(settings: Settings) -> dict[str, str]:
    """plan -> Stripe price id, for the plans that have one configured."""
    configured = {
        "starter": settings.stripe_price_starter,
        "growth": settings.stripe_price_growth,
        "scale": settings.stripe_price_scale,
        "enterprise": settings.stripe_price_enterprise,
    }
    return {plan: price for plan, price in configured.items() if price}


def plan_for_price(settings: Settings, price_id: str | None) -> str | None:
    for plan, price in price_ids(settings).items():
        if price == price_id:
            return plan
    return None


@dataclass(frozen=True)
class ItemChange:
    """The subscription items a plan change sends: the plan item's new price, the seats."""

    items: list[dict[str, Any]]


class StripeGateway:
    """Customers, Checkout, the customer portal, subscription changes and their previews."""

    def __init__(self, settings: Settings, *, http_client: stripe.HTTPClient | None = None):
        if not settings.stripe_secret_key:
            raise ValueError("Stripe is not configured (BRAIN_STRIPE_SECRET_KEY)")
        self.settings = settings
        base: Any = {"api": settings.stripe_api_base} if settings.stripe_api_base else None
        self.client = stripe.StripeClient(
            settings.stripe_secret_key,
            http_client=http_client or stripe.HTTPXClient(),
            base_addresses=base,
            max_network_retries=2,
        )

    @staticmethod
    async def _call(call: Awaitable[T]) -> T:
        """Await one SDK call; Stripe's refusals and outages become a 502 problem."""
        try:
            return await call
        except stripe.StripeError as exc:
            message = exc.user_message or type(exc).__name__
            raise ProblemError(502, f"Stripe could not complete the request: {message}",
                               kind="payment-provider-error") from exc

    def price_for(self, plan: str) -> str:
        price = price_ids(self.settings).get(plan)
        if price is None or plan not in PURCHASABLE_PLANS:
            raise ValueError(f"no Stripe price configured for the {plan} plan")
        return price

    async def create_customer(self, organization_id: uuid.UUID, name: str,
                              email: str | None) -> str:
        params: dict[str, Any] = {"name": name,
                                  "metadata": {"organization_id": str(organization_id)}}
        if email:
            params["email"] = email
        customer = await self._call(self.client.v1.customers.create_async(
            params,  # type: ignore[arg-type]
            options={"idempotency_key": f"customer-{organization_id}"},
        ))
        return str(customer.id)

    def _line_items(self, plan: str, seats: int) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = [{"price": self.price_for(plan), "quantity": 1}]
        if seats > 0 and self.settings.stripe_price_seat:
            items.append({"price": self.settings.stripe_price_seat, "quantity": seats})
        return items

    async def create_checkout(
        self, *, organization_id: uuid.UUID, customer_id: str, plan: str, seats: int,
        success_url: str, cancel_url: str, trial_days: int,
    ) -> tuple[str, str]:
        """A Checkout Session for the first subscription: (session id, URL to redirect to)."""
        subscription_data: dict[str, Any] = {
            "metadata": {"organization_id": str(organization_id), "plan": plan},
        }
        if trial_days > 0:
            subscription_data["trial_period_days"] = trial_days
        params: Any = {
            "mode": "subscription",
            "customer": customer_id,
            "client_reference_id": str(organization_id),
            "line_items": self._line_items(plan, seats),
            "subscription_data": subscription_data,
            "success_url": success_url,
            "cancel_url": cancel_url,
            "metadata": {"organization_id": str(organization_id)},
        }
        session = await self._call(self.client.v1.checkout.sessions.create_async(params))
        return str(session.id), str(session.url)

    async def create_portal(self, *, customer_id: str, return_url: str) -> str:
        portal = await self._call(self.client.v1.billing_portal.sessions.create_async(
            {"customer": customer_id, "return_url": return_url}
        ))
        return str(portal.url)

    async def _item_changes(self, subscription_id: str, plan: str, seats: int) -> ItemChange:
        subscription = (await self._call(
            self.client.v1.subscriptions.retrieve_async(subscription_id))).to_dict()
        plan_prices = set(price_ids(self.settings).values())
        seat_price = self.settings.stripe_price_seat
        items: list[dict[str, Any]] = []
        seat_item_seen = False
        for item in subscription["items"]["data"]:
            price_id = item["price"]["id"]
            if price_id in plan_prices:
                items.append({"id": item["id"], "price": self.price_for(plan)})
            elif seat_price and price_id == seat_price:
                seat_item_seen = True
                items.append({"id": item["id"], "quantity": seats} if seats > 0
                             else {"id": item["id"], "deleted": True})
        if not seat_item_seen and seats > 0 and seat_price:
            items.append({"price": seat_price, "quantity": seats})
        return ItemChange(items)

    async def preview_change(
        self, *, customer_id: str, subscription_id: str, plan: str, seats: int,
        proration_date: int,
    ) -> dict[str, Any]:
        """The invoice Stripe would issue for the change (prorations included)."""
        change = await self._item_changes(subscription_id, plan, seats)
        params: Any = {
            "customer": customer_id,
            "subscription": subscription_id,
            "subscription_details": {
                "items": change.items,
                "proration_behavior": "create_prorations",
                "proration_date": proration_date,
            },
        }
        invoice = (await self._call(
            self.client.v1.invoices.create_preview_async(params))).to_dict()
        proration = 0
        for line in invoice["lines"]["data"]:
            parent = line.get("parent") or {}
            details = parent.get("subscription_item_details") or {}
            if details.get("proration") or line.get("proration"):
                proration += int(line.get("amount") or 0)
        return {"amount_due": int(invoice["amount_due"] or 0),
                "currency": str(invoice["currency"]), "proration_amount": proration}

    async def change_plan(
        self, *, subscription_id: str, plan: str, seats: int, proration_date: int | None,
    ) -> dict[str, Any]:
        change = await self._item_changes(subscription_id, plan, seats)
        params: dict[str, Any] = {
            "items": change.items, "proration_behavior": "create_prorations",
            "metadata": {"plan": plan},
        }
        if proration_date is not None:
            params["proration_date"] = proration_date
        subscription = await self._call(self.client.v1.subscriptions.update_async(
            subscription_id, params  # type: ignore[arg-type]
        ))
        return {"id": str(subscription.id), "status": str(subscription.status)}

    async def set_seats(self, *, subscription_id: str, plan: str, seats: int) -> None:
        """Keep the seat item's quantity equal to the billable members."""
        change = await self._item_changes(subscription_id, plan, seats)
        seat_items = [item for item in change.items if "price" not in item
                      or item.get("price") == self.settings.stripe_price_seat]
        if seat_items:
            params: Any = {"items": seat_items, "proration_behavior": "create_prorations"}
            await self._call(self.client.v1.subscriptions.update_async(subscription_id, params))
