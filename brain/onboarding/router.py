"""Onboarding endpoints: the getting-started checklist and hiding it."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter
from starlette.responses import Response

from brain.core.deps import DbSession, ReadOrg
from brain.core.pagination import json_response
from brain.onboarding.schemas import Onboarding
from brain.onboarding.service import dismiss_onboarding, onboarding_state
from brain.organizations.actor import Acting, Actor
from brain.organizations.permissions import Permission

router = APIRouter(prefix="/api/v1/organizations/{org_id}/onboarding", tags=["onboarding"])

# Hiding the checklist is a member's own preference; API keys are not members.
Member = Annotated[Actor, Acting(Permission.organization_read, members_only=True)]


@router.get("", response_model=Onboarding, operation_id="get_onboarding")
async def get_onboarding(org_id: uuid.UUID, auth: ReadOrg, session: DbSession) -> Response:
    """The getting-started checklist (verify the email, connect data, first sync, first brain
    run, invite a teammate), each step computed from the organization's real state, with the
    web app's page where it is done."""
    return json_response(await onboarding_state(session, auth))


@router.post("/dismiss", response_model=Onboarding, operation_id="dismiss_onboarding")
async def dismiss(org_id: uuid.UUID, actor: Member, session: DbSession) -> Response:
    """Hide the checklist for the calling member (audited as `onboarding.dismiss`; other
    members still see it). Dismissing again changes nothing."""
    await dismiss_onboarding(session, actor.auth, actor.member_user_id(), clock=actor.clock,
                             request=actor.request)
    return json_response(await onboarding_state(session, actor.auth))


routers = [router]
