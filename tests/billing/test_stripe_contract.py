"""Contract tests of the requests the official Stripe SDK sends for Checkout, the customer
portal, the proration preview and a plan change (the SDK's httpx client on a mock
transport: method, path, form fields and headers as Stripe's API reference describes)."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest_asyncio
import stripe
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from brain.billing.models import BillingAccount
from brain.billing.stripe_gateway import StripeGateway
from brain.core.cache import Cache
from brain.core.clock import FrozenClock
from brain.core.db import set_system_mode
from brain.core.runtime import Runtime
from brain.organizations.models import Organization
from brain.settings import Settings
from tests.billing import stripe_payloads as sp
from tests.factories import Tenant
from tests.organizations.helpers import Person, ok, problem

SECRET_KEY = "sk_test_contract_0123456789"


@dataclass
class StripeMock:
    """Answers like api.stripe.com and keeps every request the SDK sent."""

    org_id: str = ""
    requests: list[httpx.Request] = field(default_factory=list)

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        path = request.url.path
        routes: dict[tuple[str, str], Callable[[], dict[str, Any]]] = {
            ("POST", "/v1/customers"): lambda: {"id": "cus_new", "object": "customer"},
            ("POST", "/v1/checkout/sessions"): lambda: {
                "id": "cs_test_1", "object": "checkout.session",
                "url": "https://checkout.stripe.com/c/pay/cs_test_1"},
            ("POST", "/v1/billing_portal/sessions"): lambda: {
                "id": "bps_1", "object": "billing_portal.session",
                "url": "https://billing.stripe.com/p/session/test_1"},
            ("GET", "/v1/subscriptions/sub_test_1"): lambda: sp.subscription(
                self.org_id, plan="growth", seats=1, period_end=int(time.time()) + 86400),
            ("POST", "/v1/invoices/create_preview"): lambda: {
                "object": "invoice", "amount_due": 61_234, "currency": "usd",
                "lines": {"object": "list", "has_more": False, "data": [
                    {"id": "il_1", "object": "line_item", "amount": -40_000,
                     "parent": {"type": "subscription_item_details",
                                "subscription_item_details": {"proration": True}}},
                    {"id": "il_2", "object": "line_item", "amount": 75_000,
                     "parent": {"type": "subscription_item_details",
                                "subscription_item_details": {"proration": True}}},
                    {"id": "il_3", "object": "line_item", "amount": 26_234,
                     "parent": {"type": "subscription_item_details",
                                "subscription_item_details": {"proration": False}}},
                ]}},
            ("POST", "/v1/subscriptions/sub_test_1"): lambda: {
                "id": "sub_test_1", "object": "subscription", "status": "active"},
        }
        answer = routes.get((request.method, path))
        if answer is None:
            return httpx.Response(404, json={"error": {"type": "invalid_request_error",
                                                       "message": f"no route {path}"}})
        return httpx.Response(200, json=answer(), headers={"Request-Id": "req_test"})


class MockHTTPXClient(stripe.HTTPXClient):
    """The SDK's own httpx client, on a mock transport."""

    def __init__(self, mock: StripeMock) -> None:
        super().__init__()
        self._client_async = httpx.AsyncClient(transport=httpx.MockTransport(mock.handler))


def form(request: httpx.Request) -> dict[str, str]:
    parsed = parse_qs(request.content.decode(), keep_blank_values=True)
    return {key: values[0] for key, values in parsed.items()}


@pytest_asyncio.fixture
async def stripe_api(
    billing_settings: Settings, engine: AsyncEngine,
    session_factory: async_sessionmaker[AsyncSession], cache: Cache, clock: FrozenClock,
    dispatcher: object, tenant: Tenant,
) -> AsyncIterator[tuple[httpx.AsyncClient, StripeMock]]:
    from brain.app import create_app

    settings = billing_settings.model_copy(update={"stripe_secret_key": SECRET_KEY})
    runtime = Runtime(settings=settings, engine=engine, session_factory=session_factory,
                      cache=cache, owns_engine=False, clock=clock)
    application = create_app(settings, runtime=runtime, dispatcher=dispatcher)  # type: ignore[arg-type]
    mock = StripeMock(org_id=str(tenant.id))
    application.state.stripe_gateway = StripeGateway(settings,
                                                     http_client=MockHTTPXClient(mock))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=application),
                                 base_url="http://testserver") as http:
        yield http, mock


def _assert_stripe_headers(request: httpx.Request, *, idempotent: bool) -> None:
    assert request.headers["authorization"] == f"Bearer {SECRET_KEY}"
    assert request.headers["stripe-version"] == stripe.api_version
    assert request.url.host == "api.stripe.com"
    if request.method == "POST":
        assert request.headers["content-type"] == "application/x-www-form-urlencoded"
        assert ("idempotency-key" in request.headers) or not idempotent


async def test_checkout_creates_the_customer_then_a_subscription_session(
    stripe_api: tuple[httpx.AsyncClient, StripeMock], tenant: Tenant, owner: Person
) -> None:
    client, mock = stripe_api
    body = ok(await client.post(tenant.path("/billing/checkout"), json={"plan": "growth"},
                                headers=owner.headers))
    assert body == {"mode": "stripe", "plan": "growth", "session_id": "cs_test_1",
                    "url": "https://checkout.stripe.com/c/pay/cs_test_1"}
    customer, checkout = mock.requests
    assert (customer.method, customer.url.path) == ("POST", "/v1/customers")
    _assert_stripe_headers(customer, idempotent=True)
    assert customer.headers["idempotency-key"] == f"customer-{tenant.id}"
    assert form(customer) == {"name": "Tenant A", "metadata[organization_id]": str(tenant.id)}
    assert (checkout.method, checkout.url.path) == ("POST", "/v1/checkout/sessions")
    _assert_stripe_headers(checkout, idempotent=True)
    fields = form(checkout)
    assert fields["mode"] == "subscription"
    assert fields["customer"] == "cus_new"
    assert fields["client_reference_id"] == str(tenant.id)
    assert fields["line_items[0][price]"] == "price_growth_test"
    assert fields["line_items[0][quantity]"] == "1"
    assert "line_items[1][price]" not in fields  # one member: no extra seats
    assert fields["subscription_data[metadata][organization_id]"] == str(tenant.id)
    assert 12 <= int(fields["subscription_data[trial_period_days]"]) <= 14
    assert fields["success_url"] == "https://app.brain.test/settings/billing?checkout=success"
    # A second checkout while the first subscription is live is refused.
    await _with_subscription(client, tenant)
    problem(await client.post(tenant.path("/billing/checkout"), json={"plan": "scale"},
                              headers=owner.headers), 409)


async def _with_subscription(client: httpx.AsyncClient, tenant: Tenant) -> None:
    app = client._transport.app  # type: ignore[attr-defined]
    async with app.state.runtime.session_factory() as session:
        await set_system_mode(session, True)
        account = await session.get(BillingAccount, tenant.id)
        if account is None:
            account = BillingAccount(organization_id=tenant.id, status="active",
                                     seat_quantity=0, cancel_at_period_end=False,
                                     subscription_event_created=0)
            session.add(account)
        account.stripe_customer_id = "cus_test_1"
        account.stripe_subscription_id = "sub_test_1"
        account.status = "active"
        org = await session.get(Organization, tenant.id)
        assert org is not None
        org.plan = "growth"
        await session.commit()


async def test_portal_preview_and_plan_change_requests(
    stripe_api: tuple[httpx.AsyncClient, StripeMock], tenant: Tenant, owner: Person,
    clock: FrozenClock,
) -> None:
    client, mock = stripe_api
    await _with_subscription(client, tenant)
    portal = ok(await client.post(tenant.path("/billing/portal"), headers=owner.headers))
    assert portal == {"url": "https://billing.stripe.com/p/session/test_1"}
    request = mock.requests[-1]
    assert (request.method, request.url.path) == ("POST", "/v1/billing_portal/sessions")
    _assert_stripe_headers(request, idempotent=True)
    assert form(request) == {"customer": "cus_test_1",
                             "return_url": "https://app.brain.test/settings/billing"}

    preview = ok(await client.post(tenant.path("/billing/preview"), json={"plan": "scale"},
                                   headers=owner.headers))
    proration_date = int(clock.now().timestamp())
    assert preview == {"plan": "scale", "amount_due": 61_234, "proration_amount": 35_000,
                       "currency": "usd", "proration_date": proration_date, "seats": 0}
    retrieve, create_preview = mock.requests[-2:]
    assert (retrieve.method, retrieve.url.path) == ("GET", "/v1/subscriptions/sub_test_1")
    assert create_preview.url.path == "/v1/invoices/create_preview"
    fields = form(create_preview)
    assert fields == {
        "customer": "cus_test_1", "subscription": "sub_test_1",
        "subscription_details[items][0][id]": "si_plan",
        "subscription_details[items][0][price]": "price_scale_test",
        # One member on Scale (25 seats included): the seat item is removed.
        "subscription_details[items][1][id]": "si_seats",
        "subscription_details[items][1][deleted]": "true",
        "subscription_details[proration_behavior]": "create_prorations",
        "subscription_details[proration_date]": str(proration_date),
    }

    changed = ok(await client.post(tenant.path("/plan"), json={
        "plan": "scale", "proration_date": proration_date}, headers=owner.headers))
    assert changed["plan"] == "scale"
    update = mock.requests[-1]
    assert (update.method, update.url.path) == ("POST", "/v1/subscriptions/sub_test_1")
    fields = form(update)
    assert fields["items[0][id]"] == "si_plan"
    assert fields["items[0][price]"] == "price_scale_test"
    assert fields["proration_behavior"] == "create_prorations"
    assert fields["proration_date"] == str(proration_date)
    assert fields["metadata[plan]"] == "scale"


async def test_stripe_errors_are_problems_not_500s(
    stripe_api: tuple[httpx.AsyncClient, StripeMock], tenant: Tenant, owner: Person
) -> None:
    client, _ = stripe_api
    # No subscription yet: the portal and the preview explain what to do first.
    problem(await client.post(tenant.path("/billing/portal"), headers=owner.headers), 409)
    problem(await client.post(tenant.path("/billing/preview"), json={"plan": "scale"},
                              headers=owner.headers), 409)
    problem(await client.post(tenant.path("/billing/preview"), json={"plan": "gold"},
                              headers=owner.headers), 422)
    assert json.loads(json.dumps({"ok": True}))
