"""Operator actions on an organization's plan: force a plan, add an override (a quota
raised, a module or feature enabled, a trial extended) until a date with a reason, revoke
one, and flag platform operators. Each one is audited. The CLI (`brain orgs override`) and
the operators' HTTP API (`/api/v1/admin/organizations/{org_id}/overrides`) both land here."""

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


OVERRIDE_KINDS = ("quota", "module", "feature", "trial")
MAX_TRIAL_DAYS = 365


class OverrideError(ValueError):
    """The operator's input is not a valid override (message names the fix; `field` the
    input at fault: kind, key, value, until or reason)."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


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
        if not 1 <= days <= MAX_TRIAL_DAYS:
            raise OverrideError(f"trial_days must be 1-{MAX_TRIAL_DAYS}", "value")
        return OverrideSpec("trial", "trial", days)
    for prefix, enum, kind in (("module.", Module, "module"), ("feature.", Feature, "feature")):
        if target.startswith(prefix):
            name = target.removeprefix(prefix)
            if name not in {e.value for e in enum}:
                choices = ", ".join(prefix + e.value for e in enum)
                raise OverrideError(f"unknown {kind} {name!r}; one of {choices}", "key")
            if value.lower() not in ("on", "1", "true", "yes"):
                raise OverrideError(f"{target} takes 'on' (an override only adds access)",
                                    "value")
            return OverrideSpec(kind, name, 1)
    if target not in {q.value for q in Quota}:
        raise OverrideError(
            f"unknown quota {target!r}; one of {', '.join(q.value for q in Quota)}, "
            "module.<name>, feature.<name> or trial_days", "key"
        )
    if value.lower() == UNLIMITED:
        return OverrideSpec("quota", target, None)
    limit = _int(value, target)
    if limit < 0:
        raise OverrideError("a quota must be >= 0 (or 'unlimited')", "value")
    return OverrideSpec("quota", target, limit)


def build_override(kind: str, key: str, value: int | None) -> OverrideSpec:
    """The override an API body describes: `quota` (key: a quota, value: the new limit,
    null for unlimited), `module` / `feature` (key: its name; value omitted or 1: on),
    `trial` (key `trial`, value: days added to the trial, 1-365)."""
    if kind == "trial":
        if key != "trial":
            raise OverrideError("a trial override's key is 'trial'", "key")
        if value is None or not 1 <= value <= MAX_TRIAL_DAYS:
            raise OverrideError(f"a trial override's value is the days added, "
                                f"1-{MAX_TRIAL_DAYS}", "value")
        return OverrideSpec("trial", "trial", value)
    if kind in ("module", "feature"):
        names = [e.value for e in (Module if kind == "module" else Feature)]
        if key not in names:
            raise OverrideError(f"unknown {kind} {key!r}; one of {', '.join(names)}", "key")
        if value not in (None, 1):
            raise OverrideError(f"a {kind} override turns it on: leave value out or send 1",
                                "value")
        return OverrideSpec(kind, key, 1)
    if kind == "quota":
        names = [q.value for q in Quota]
        if key not in names:
            raise OverrideError(f"unknown quota {key!r}; one of {', '.join(names)}", "key")
        if value is not None and value < 0:
            raise OverrideError("a quota limit is >= 0 (null: unlimited)", "value")
        return OverrideSpec("quota", key, value)
    raise OverrideError(f"unknown kind {kind!r}; one of {', '.join(OVERRIDE_KINDS)}", "kind")


def _int(value: str, what: str) -> int:
    try:
        return int(value)
    except ValueError as exc:
        raise OverrideError(f"{what} needs a whole number, got {value!r}", "value") from exc


async def _organization(session: AsyncSession, organization_id: uuid.UUID) -> Organization:
    org = await session.get(Organization, organization_id)
    if org is None or org.deleted_at is not None:
        raise OverrideError(f"no organization {organization_id}", "organization")
    return org


async def add_override(
    session: AsyncSession, organization_id: uuid.UUID, spec: OverrideSpec, *,
    until: datetime, reason: str, actor: str, clock: Clock, actor_id: uuid.UUID | None = None,
) -> PlanOverride:
    """Record the override (effective at once, until `until`) and audit it (`actor`: who,
    as text; `actor_id`: the operator's user id when known)."""
    await _organization(session, organization_id)
    now = clock.now()
    if until <= now:
        raise OverrideError("--until must be in the future", "until")
    reason = reason.strip()
    if not 3 <= len(reason) <= 500:
        raise OverrideError("--reason must be 3-500 characters", "reason")
    override = PlanOverride(organization_id=organization_id, kind=spec.kind, key=spec.key,
                            value=spec.value, expires_at=until, reason=reason,
                            created_by=actor[:320], created_at=now, updated_at=now)
    session.add(override)
    await session.flush()
    await record_audit(
        session, clock=clock, action="billing.override_added", organization_id=organization_id,
        actor_type="operator", actor_id=actor_id, target_type="plan_override",
        target_id=override.id,
        details={"kind": spec.kind, "key": spec.key, "value": spec.value,
                 "until": until.isoformat(), "reason": reason, "by": actor},
    )
    return override


async def revoke_override(
    session: AsyncSession, organization_id: uuid.UUID, override_id: uuid.UUID, *,
    actor: str, clock: Clock, actor_id: uuid.UUID | None = None,
) -> PlanOverride | None:
    """End the override now (kept, with `revoked_at`, for the record) and audit it. None
    when the organization has no such override; `OverrideError` when it already ended."""
    override: PlanOverride | None = await session.scalar(
        select(PlanOverride).where(PlanOverride.organization_id == organization_id,
                                   PlanOverride.id == override_id)
    )
    if override is None:
        return None
    now = clock.now()
    if override.revoked_at is not None:
        raise OverrideError("this override was already revoked", "override")
    if override.expires_at <= now:
        raise OverrideError("this override has already expired", "override")
    override.revoked_at = now
    override.updated_at = now
    await session.flush()
    await record_audit(
        session, clock=clock, action="billing.override_revoked",
        organization_id=organization_id, actor_type="operator", actor_id=actor_id,
        target_type="plan_override", target_id=override.id,
        details={"kind": override.kind, "key": override.key, "value": override.value,
                 "by": actor},
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
