"""Plan and billing endpoints of an organization: the plan with its entitlements and quotas,
the billing page's data, invoices, Checkout, the customer portal and the proration preview."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from functools import partial
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from sqlalchemy import select
from starlette.responses import Response

from brain.billing import service
from brain.billing.catalog import Feature, Module, cheapest_plan_with, plan_spec
from brain.billing.entitlements import PlanState, evict_plan_state, load_plan_state
from brain.billing.limiter import STATE_KEY
from brain.billing.models import BillingInvoice
from brain.billing.quotas import all_quotas
from brain.billing.schemas import (
    BannerRead,
    BillingRead,
    CheckoutRead,
    CheckoutRequest,
    EntitlementsRead,
    InvoiceRead,
    NextInvoiceRead,
    PlanOverview,
    PlanPreviewRead,
    PlanPreviewRequest,
    PortalRead,
    QuotaRead,
    SeatsRead,
)
from brain.billing.stripe_gateway import StripeGateway
from brain.core.auth import AuthContext
from brain.core.deps import Authorized, DbSession
from brain.core.errors import NotFound, ProblemError
from brain.core.pagination import PageParams, SortOptions, json_response, page_params, paginate
from brain.core.schemas import Page
from brain.core.tenancy import scope_to_tenant
from brain.organizations import plans
from brain.organizations.actor import Acting, Actor
from brain.organizations.models import Organization
from brain.organizations.permissions import Permission
from brain.warehouse.router_common import page_of

router = APIRouter(prefix="/api/v1/organizations/{org_id}", tags=["billing"])

ReadOrg = Annotated[AuthContext, Authorized(Permission.organization_read)]
ReadBilling = Annotated[AuthContext, Authorized(Permission.billing_read)]
ManagingBilling = Annotated[Actor, Acting(Permission.billing_manage)]
INVOICE_SORT = SortOptions(BillingInvoice.id, "-created_at", created_at=BillingInvoice.created_at)


def gateway(request: Request) -> StripeGateway:
    """The app's Stripe gateway (409 `billing-not-configured` in local mode)."""
    settings = request.app.state.runtime.settings
    existing: StripeGateway | None = getattr(request.app.state, "stripe_gateway", None)
    if existing is not None:
        return existing
    if not service.stripe_configured(settings):
        raise service.not_configured()
    created = StripeGateway(settings)
    request.app.state.stripe_gateway = created
    return created


def _now(request: Request) -> datetime:
    now: datetime = request.app.state.runtime.clock.now()
    return now


async def _seats(session: DbSession, state: PlanState) -> SeatsRead:
    used = await service.count_members(session, state.organization_id)
    return SeatsRead(included=state.included_seats, used=used, max=state.max_seats,
                     billable_extra=max(0, used - state.included_seats))


def _entitlements(state: PlanState) -> EntitlementsRead:
    locked: dict[str, str] = {}
    for entitlement in [*Module, *Feature]:
        if not state.has(entitlement):
            locked[entitlement.value] = cheapest_plan_with(entitlement)
    return EntitlementsRead(
        modules={m.value: m.value in state.modules for m in Module},
        features={f.value: f.value in state.features for f in Feature},
        max_integrations=state.max_integrations, required_plan=locked,
    )


@router.get("/plan", response_model=PlanOverview, operation_id="get_plan")
async def get_plan(org_id: uuid.UUID, request: Request, auth: ReadOrg,
                   session: DbSession) -> Response:
    """The plan, its status, seats, entitlements and every quota with its use and reset."""
    now = _now(request)
    state = await load_plan_state(session, auth.organization_id,
                                  clock=request.app.state.runtime.clock)
    quotas = {name: QuotaRead(limit=q.limit, used=q.used, resets_at=q.resets_at)
              for name, q in (await all_quotas(session, state, now)).items()}
    minute = now.replace(second=0, microsecond=0)
    quotas["api_requests_per_minute"] = QuotaRead(
        limit=state.quotas.get("api_requests_per_minute"),
        used=_minute_used(request, state), resets_at=minute + timedelta(minutes=1),
    )
    overview = PlanOverview(
        organization_id=auth.organization_id, plan=state.plan, status=state.status,
        read_only=state.read_only, trial_ends_at=state.trial_ends_at,
        seats=await _seats(session, state), entitlements=_entitlements(state), quotas=quotas,
    )
    return json_response(overview)


def _minute_used(request: Request, state: PlanState) -> int:
    """Requests counted in this minute's window (this one included) by the limiter."""
    info = request.scope.get("state", {}).get(STATE_KEY)
    limit = state.quotas.get("api_requests_per_minute")
    if info is None or limit is None or info.limit != limit:
        return 0
    return int(info.limit - info.remaining)


@router.get("/billing", response_model=BillingRead, operation_id="get_billing")
async def get_billing(org_id: uuid.UUID, request: Request, auth: ReadBilling,
                      session: DbSession) -> Response:
    """The billing page: plan, status, seats, next invoice and the banners to show."""
    settings = request.app.state.runtime.settings
    state = await load_plan_state(session, auth.organization_id,
                                  clock=request.app.state.runtime.clock)
    account = await service.get_account(session, auth.organization_id)
    next_invoice = None
    if account is not None and account.next_invoice_amount is not None:
        next_invoice = NextInvoiceRead(amount=account.next_invoice_amount,
                                       currency=account.next_invoice_currency or "usd",
                                       at=account.next_invoice_at)
    read = BillingRead(
        mode="stripe" if service.stripe_configured(settings) else "local",
        plan=state.plan, status=state.status, read_only=state.read_only,
        monthly_price_usd=plan_spec(state.plan).monthly_price_usd,
        seats=await _seats(session, state), trial_ends_at=state.trial_ends_at,
        grace_ends_at=state.grace_ends_at if state.status in ("past_due", "restricted")
        else None,
        current_period_end=account.current_period_end if account else None,
        cancel_at_period_end=bool(account and account.cancel_at_period_end),
        next_invoice=next_invoice,
        has_payment_account=bool(account and account.stripe_customer_id),
        banners=[BannerRead.model_validate(b)
                 for b in await service.banners(session, auth.organization_id)],
    )
    return json_response(read)


@router.get("/billing/invoices", response_model=Page[InvoiceRead],
            operation_id="list_invoices")
async def list_invoices(
    org_id: uuid.UUID, request: Request, auth: ReadBilling, session: DbSession,
    params: PageParams = Depends(page_params),
) -> Response:
    """The organization's invoices (as Stripe reported them), newest first."""
    stmt = scope_to_tenant(select(BillingInvoice), BillingInvoice, auth)
    rows, cursor = await paginate(session, stmt, request=request, params=params,
                                  sort=INVOICE_SORT)
    return page_of(request, InvoiceRead, rows, cursor)


async def _organization(session: DbSession, org_id: uuid.UUID) -> Organization:
    org = await session.get(Organization, org_id)
    if org is None or org.deleted_at is not None:
        raise NotFound("Organization")
    return org


@router.post("/billing/checkout", response_model=CheckoutRead, operation_id="start_checkout")
async def start_checkout(org_id: uuid.UUID, body: CheckoutRequest, request: Request,
                         actor: ManagingBilling, session: DbSession) -> Response:
    """Subscribe: a Stripe Checkout URL for the first subscription. In local mode (no Stripe
    key) the plan changes at once and nothing is charged."""
    settings = request.app.state.runtime.settings
    org = await _organization(session, actor.organization_id)
    if not service.stripe_configured(settings) and getattr(
        request.app.state, "stripe_gateway", None
    ) is None:
        previous = await plans.change_plan(session, actor.auth, org, body.plan, actor.clock)
        if previous != org.plan:
            await actor.audit(session, "organization.plan_change", target_type="organization",
                              target_id=org.id, details={"from": previous, "to": org.plan,
                                                         "mode": "local"})
        await evict_plan_state(actor.cache, org.id)
        actor.jobs.after_commit(partial(evict_plan_state, actor.cache, org.id))
        return json_response(CheckoutRead(mode="local", plan=org.plan, url=None,
                                          session_id=None))
    base = settings.public_url.rstrip("/")
    started = await service.start_checkout(
        session, gateway(request), org, plan=body.plan,
        success_url=base + body.success_path, cancel_url=base + body.cancel_path,
        owner_email=None, now=actor.clock.now(),
    )
    await actor.audit(session, "billing.checkout_started", target_type="organization",
                      target_id=org.id, details={"plan": body.plan})
    return json_response(CheckoutRead(mode="stripe", plan=started.plan, url=started.url,
                                      session_id=started.session_id))


@router.post("/billing/portal", response_model=PortalRead, operation_id="open_billing_portal")
async def open_billing_portal(org_id: uuid.UUID, request: Request, actor: ManagingBilling,
                              session: DbSession) -> Response:
    """A Stripe customer-portal URL (cards, invoices, cancellation)."""
    stripe_gateway = gateway(request)
    account = await service.get_account(session, actor.organization_id)
    if account is None or not account.stripe_customer_id:
        raise ProblemError(409, "The organization has no Stripe customer yet: subscribe with "
                           "POST …/billing/checkout first.")
    settings = request.app.state.runtime.settings
    url = await stripe_gateway.create_portal(
        customer_id=account.stripe_customer_id,
        return_url=settings.public_url.rstrip("/") + "/settings/billing",
    )
    return json_response(PortalRead(url=url))


@router.post("/billing/preview", response_model=PlanPreviewRead,
             operation_id="preview_plan_change")
async def preview_plan_change(org_id: uuid.UUID, body: PlanPreviewRequest, request: Request,
                              actor: ManagingBilling, session: DbSession) -> Response:
    """What moving to another plan would cost now (prorated), before confirming it with
    POST …/plan and the returned `proration_date`."""
    preview = await service.preview_plan_change(
        session, gateway(request), actor.organization_id, body.plan, actor.clock.now()
    )
    return json_response(PlanPreviewRead(**preview))


routers: list[APIRouter] = [router]
