"""Organization lifecycle endpoints: leave, delete (soft, purged later) and the plan change
(local mode: directly; Stripe mode: the subscription is updated, prorated, first)."""

from __future__ import annotations

import uuid
from functools import partial
from typing import Annotated

from fastapi import APIRouter, Request
from starlette.responses import Response

from brain.billing.entitlements import evict_plan_state
from brain.core.auth import AuthContext
from brain.core.deps import DbSession
from brain.core.errors import NotFound
from brain.core.etag import check_if_match
from brain.core.pagination import json_response
from brain.organizations import lifecycle, plans
from brain.organizations.actor import Acting, Actor
from brain.organizations.models import Organization
from brain.organizations.permissions import Permission
from brain.organizations.schemas import OrganizationRead
from brain.organizations.schemas_members import (
    OrganizationDeleted,
    PlanChange,
    PlanLimitsRead,
    PlanRead,
)
from brain.warehouse.router_common import IfMatch, no_content

router = APIRouter(prefix="/api/v1/organizations/{org_id}", tags=["organizations"])

# Any member may leave; API keys are not members.
Member = Annotated[Actor, Acting(Permission.organization_read, members_only=True)]
Deleting = Annotated[Actor, Acting(Permission.organization_delete)]
ManagingBilling = Annotated[Actor, Acting(Permission.billing_manage)]


async def _organization(session: DbSession, org_id: uuid.UUID) -> Organization:
    org = await session.get(Organization, org_id)
    if org is None or org.deleted_at is not None:
        raise NotFound("Organization")
    return org


@router.post("/leave", status_code=204, operation_id="leave_organization")
async def leave_organization(org_id: uuid.UUID, actor: Member, session: DbSession) -> Response:
    """Leave the organization (the last owner must first make someone else an owner: 409)."""
    await lifecycle.leave_organization(session, actor)
    return no_content()


@router.delete(
    "", response_model=OrganizationDeleted, status_code=202, operation_id="delete_organization"
)
async def delete_organization(
    org_id: uuid.UUID, actor: Deleting, session: DbSession, if_match: IfMatch = None
) -> Response:
    """Delete the organization (owners): it disappears now; its data is erased after its
    retention period."""
    org = await _organization(session, actor.organization_id)
    check_if_match(if_match, OrganizationRead.model_validate(org))
    deleted = await lifecycle.delete_organization(session, actor, org)
    return json_response(deleted, status_code=202)


async def _change_subscription(
    request: Request, session: DbSession, org: Organization, body: PlanChange
) -> None:
    from brain.billing.router import gateway
    from brain.billing.service import change_subscription_plan, get_account

    account = await get_account(session, org.id)
    if account is None or not account.stripe_subscription_id or body.plan == org.plan:
        return  # local mode, or no subscription yet: the plan changes directly
    if getattr(request.app.state, "stripe_gateway", None) is None and not \
            request.app.state.runtime.settings.stripe_secret_key:
        return
    violations = await plans.plan_violations(session, _auth(request), org, body.plan,
                                             request.app.state.runtime.clock)
    if violations:
        return  # change_plan refuses it with the list (409) before anything is charged
    await change_subscription_plan(session, gateway(request), org.id, body.plan,
                                   body.proration_date)


def _auth(request: Request) -> AuthContext:
    auth: AuthContext = request.state.auth
    return auth


@router.post("/plan", response_model=PlanRead, operation_id="change_plan")
async def change_plan(
    org_id: uuid.UUID, body: PlanChange, request: Request, actor: ManagingBilling,
    session: DbSession,
) -> Response:
    """Switch plans. A plan whose limits the organization exceeds is refused (409 with the
    list of what must change)."""
    org = await _organization(session, actor.organization_id)
    # Stripe mode: the subscription moves first (prorated); its webhook confirms the state.
    await _change_subscription(request, session, org, body)
    previous = await plans.change_plan(session, actor.auth, org, body.plan, actor.clock)
    await evict_plan_state(actor.cache, org.id)
    actor.jobs.after_commit(partial(evict_plan_state, actor.cache, org.id))
    if previous != org.plan:
        await actor.audit(session, "organization.plan_change", target_type="organization",
                          target_id=org.id, details={"from": previous, "to": org.plan})
    limits = plans.limits_of(org.plan)
    members = await plans.count_members(session, actor.auth)
    read = PlanRead(
        organization_id=org.id,
        plan=org.plan,
        previous_plan=previous,
        limits=PlanLimitsRead(
            included_seats=limits.included_seats, max_seats=limits.max_seats,
            max_integrations=limits.max_integrations,
            sso_enforcement=limits.sso_enforcement, custom_retention=limits.custom_retention,
        ),
        members=members,
        billable_extra_seats=max(0, members - limits.included_seats),
    )
    return json_response(read)


routers: list[APIRouter] = [router]
