"""The checklist, computed from what the organization has really done (nothing is ticked by
hand), and the member's choice to hide it.

Steps, in order, and what makes each one done:

- `verify_email`: the calling member's address is verified (for an API key: an owner's is);
- `connect_data`: a connection exists (not disconnected), a CSV import succeeded, or the
  warehouse holds daily metrics (loaded through the API, say);
- `first_sync`: a sync or a CSV import succeeded, or the warehouse holds daily metrics;
- `first_brain_run`: a brain run succeeded;
- `invite_teammate`: an invitation was sent (and not revoked) or the organization has more than
  one member.

`done_at` is when the step was first done, as far as the rows tell.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ScalarSelect, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request

from brain.audit.service import record_audit
from brain.brain_modules.runs.models import BrainRun, RunStatus
from brain.core.auth import AuthContext
from brain.core.clock import Clock
from brain.identity.models import User
from brain.integrations.models import Connection, ConnectionStatus, SyncRun, SyncStatus
from brain.onboarding.models import OnboardingPreference
from brain.onboarding.schemas import Onboarding, OnboardingStep, StepId
from brain.organizations.models import Invite, Membership
from brain.organizations.permissions import Role
from brain.warehouse.models import DailyMetric, ImportJob, ImportStatus

# Where each step is done in the web app.
STEP_HREFS: dict[StepId, str] = {
    "verify_email": "/verify",
    "connect_data": "/connections/new",
    "first_sync": "/connections",
    "first_brain_run": "/",
    "invite_teammate": "/settings/members",
}
STEP_ORDER: tuple[StepId, ...] = (
    "verify_email", "connect_data", "first_sync", "first_brain_run", "invite_teammate",
)


def _earliest(*values: datetime | None) -> datetime | None:
    present = [v for v in values if v is not None]
    return min(present) if present else None


def _first(column: Any, *where: Any) -> ScalarSelect[Any]:
    return select(func.min(column)).where(*where).scalar_subquery()


def _facts(auth: AuthContext) -> list[ScalarSelect[Any]]:
    """One scalar subquery per fact, all read in a single round trip."""
    org = auth.organization_id
    if auth.user_id is not None:
        verified = select(User.email_verified_at).where(User.id == auth.user_id)
        verified_at = verified.scalar_subquery()
    else:
        verified_at = _first(
            User.email_verified_at,
            User.id == Membership.user_id,
            Membership.organization_id == org,
            Membership.role == Role.owner.value,
        )
    second_member = (
        select(Membership.created_at)
        .where(Membership.organization_id == org)
        .order_by(Membership.created_at, Membership.id)
        .offset(1)
        .limit(1)
        .scalar_subquery()
    )
    return [
        verified_at,
        _first(Connection.created_at, Connection.organization_id == org,
               Connection.revoked_at.is_(None),
               Connection.status != ConnectionStatus.revoked.value),
        _first(ImportJob.finished_at, ImportJob.organization_id == org,
               ImportJob.status == ImportStatus.succeeded.value),
        _first(DailyMetric.created_at, DailyMetric.organization_id == org),
        _first(SyncRun.finished_at, SyncRun.organization_id == org,
               SyncRun.status == SyncStatus.succeeded.value),
        _first(BrainRun.finished_at, BrainRun.organization_id == org,
               BrainRun.status == RunStatus.succeeded.value),
        _first(Invite.created_at, Invite.organization_id == org,
               or_(Invite.deleted_at.is_(None), Invite.accepted_at.is_not(None))),
        second_member,
    ]


async def _dismissed(session: AsyncSession, auth: AuthContext) -> bool:
    if auth.user_id is None:
        return False
    dismissed_at = await session.scalar(
        select(OnboardingPreference.dismissed_at).where(
            OnboardingPreference.organization_id == auth.organization_id,
            OnboardingPreference.user_id == auth.user_id,
        )
    )
    return dismissed_at is not None


def _step(step_id: StepId, done: bool, done_at: datetime | None) -> OnboardingStep:
    return OnboardingStep(id=step_id, done=done, done_at=done_at if done else None,
                          href=STEP_HREFS[step_id])


async def onboarding_state(session: AsyncSession, auth: AuthContext) -> Onboarding:
    """The checklist of the caller's organization, as the caller sees it."""
    row = (await session.execute(select(*_facts(auth)))).one()
    (verified_at, connection_at, import_at, data_at, sync_at, run_at, invite_at,
     second_member_at) = row
    connected_at = _earliest(connection_at, import_at, data_at)
    landed_at = _earliest(sync_at, import_at, data_at)
    teammate_at = _earliest(invite_at, second_member_at)
    facts: dict[StepId, datetime | None] = {
        "verify_email": verified_at,
        "connect_data": connected_at,
        "first_sync": landed_at,
        "first_brain_run": run_at,
        "invite_teammate": teammate_at,
    }
    steps = [_step(step_id, facts[step_id] is not None, facts[step_id])
             for step_id in STEP_ORDER]
    pending = [s.id for s in steps if not s.done]
    return Onboarding(
        steps=steps,
        completed=not pending,
        dismissed=await _dismissed(session, auth),
        next_step=pending[0] if pending else None,
    )


async def dismiss_onboarding(
    session: AsyncSession,
    auth: AuthContext,
    user_id: uuid.UUID,
    *,
    clock: Clock,
    request: Request | None,
) -> None:
    """Hide the checklist for this member (kept; dismissing again changes nothing)."""
    preference = await session.scalar(
        select(OnboardingPreference).where(
            OnboardingPreference.organization_id == auth.organization_id,
            OnboardingPreference.user_id == user_id,
        )
    )
    if preference is not None and preference.dismissed_at is not None:
        return
    now = clock.now()
    if preference is None:
        try:
            # A concurrent dismissal of the same member wins the unique constraint: the
            # checklist is hidden either way.
            async with session.begin_nested():
                session.add(OnboardingPreference(
                    organization_id=auth.organization_id, user_id=user_id, dismissed_at=now,
                    created_at=now, updated_at=now,
                ))
        except IntegrityError:
            return
    else:
        preference.dismissed_at = now
        preference.updated_at = now
        await session.flush()
    await record_audit(
        session, clock=clock, action="onboarding.dismiss", actor=auth,
        target_type="onboarding", target_id=user_id, request=request,
    )
