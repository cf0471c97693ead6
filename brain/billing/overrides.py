"""Operator actions on an organization's plan: force a plan, add an override (a quota
raised, a module or feature enabled, a trial extended) until a date with a reason, and
flag platform operators. Each one is audited."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from brain.audit.service import record_audit
from brain.billing.catalog import PLANS, Feature, Module, Quota
from brain.billing.models import PlanOverride
from brain.core.clock import Clock
from brain.identity.models import User
from brain.organizations.models import Organization

UNLIMITED = "unlimited"


class OverrideError(ValueError):
    """The operator's input is not a valid override (message names the fix)."""


@dataclass(frozen=True)
class OverrideSpec:
    kind: str
    key: str
    value: int | None


def parse_override(target: str, value: str) -> OverrideSpec:
    """`api_requests_per_minute 5`, `events_per_month unlimited`, `module.voice on`,
    `feature.sso_enforcement on`, `trial_days 7`."""
    target = target.strip()
    if target == "trial_days":
        days = _int(value, "trial_days")
        if not 1 <= days <= 365:
            raise OverrideError("trial_days must be 1-365")
        return OverrideSpec("trial", "trial", days)
    for prefix, enum, kind in (("module.", Module, "module"), ("feature.", Feature, "feature")):
        if target.startswith(prefix):
            name = target.removeprefix(prefix)
            if name not in {e.value for e in enum}:
                choices = ", ".join(prefix + e.value for e in enum)
                raise OverrideError(f"unknown {kind} {name!r}; one of {choices}")
            if value.lower() not in ("on", "1", "true", "yes"):
                raise OverrideError(f"{target} takes 'on' (an override only adds access)")
            return OverrideSpec(kind, name, 1)
    if target not in {q.value for q in Quota}:
        raise OverrideError(
            f"unknown quota {target!r}; one of {', '.join(q.value for q in Quota)}, "
            "module.<name>, feature.<name> or trial_days"
        )
    if value.lower() == UNLIMITED:
        return OverrideSpec("quota", target, None)
    limit = _int(value, target)
    if limit < 0:
        raise OverrideError("a quota must be >= 0 (or 'unlimited')")
    return OverrideSpec("quota", target, limit)


def _int(value: str, what: str) -> int:
    try:
        return int(value)
    except ValueError as exc:
        raise OverrideError(f"{what} needs a whole number, got {value!r}") from exc


async def _organization(session: AsyncSession, organization_id: uuid.UUID) -> Organization:
    org = await session.get(Organization, organization_id)
    if org is None or org.deleted_at is not None:
        raise OverrideError(f"no organization {organization_id}")
    return org


async def add_override(
    session: AsyncSession, organization_id: uuid.UUID, spec: OverrideSpec, *,
    until: datetime, reason: str, actor: str, clock: Clock,
) -> PlanOverride:
    """Record the override (effective at once, until `until`) and audit it."""
    await _organization(session, organization_id)
    now = clock.now()
    if until <= now:
        raise OverrideError("--until must be in the future")
    reason = reason.strip()
    if not 3 <= len(reason) <= 500:
        raise OverrideError("--reason must be 3-500 characters")
    override = PlanOverride(organization_id=organization_id, kind=spec.kind, key=spec.key,
                            value=spec.value, expires_at=until, reason=reason,
                            created_by=actor[:320], created_at=now, updated_at=now)
    session.add(override)
    await session.flush()
    await record_audit(
        session, clock=clock, action="billing.override_added", organization_id=organization_id,
        actor_type="operator", target_type="plan_override", target_id=override.id,
        details={"kind": spec.kind, "key": spec.key, "value": spec.value,
                 "until": until.isoformat(), "reason": reason, "by": actor},
    )
    return override


async def force_plan(
    session: AsyncSession, organization_id: uuid.UUID, plan: str, *, actor: str, clock: Clock,
) -> str:
    """Set the plan directly (operators; no limit checks). Returns the previous plan."""
    if plan not in PLANS:
        raise OverrideError(f"unknown plan {plan!r}; one of {', '.join(PLANS)}")
    org = await _organization(session, organization_id)
    previous = org.plan
    org.plan = plan
    await session.flush()
    await record_audit(
        session, clock=clock, action="organization.plan_change",
        organization_id=organization_id, actor_type="operator", target_type="organization",
        target_id=organization_id, details={"from": previous, "to": plan, "by": actor},
    )
    return previous


async def set_operator(session: AsyncSession, email: str, *, enabled: bool,
                       clock: Clock) -> User:
    user: User | None = await session.scalar(
        select(User).where(User.email == email.strip().lower(), User.deleted_at.is_(None))
    )
    if user is None:
        raise OverrideError(f"no user with email {email!r}")
    user.is_platform_operator = enabled
    await session.flush()
    await record_audit(
        session, clock=clock, action="platform.operator_added" if enabled
        else "platform.operator_removed", actor_type="operator", target_type="user",
        target_id=user.id, details={"email": user.email},
    )
    return user
