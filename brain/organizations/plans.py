"""The plan checks a plan change runs; the plans themselves are data in
`brain.billing.catalog` (PRODUCT.md's pricing table), read here as `PlanLimits`.

Members above the included seats are billed per seat, up to the plan's maximum. Moving to a
plan whose limits the organization exceeds is refused (409) with the list of what must change
first. Integration counts come from probes other domains register (`register_usage_probe`),
so the organizations package does not depend on them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from brain.billing.catalog import PLANS as CATALOG
from brain.billing.catalog import PURCHASABLE_PLANS, PlanSpec
from brain.core.auth import AuthContext
from brain.core.clock import Clock
from brain.core.errors import ProblemError
from brain.core.tenancy import scope_to_tenant
from brain.organizations.models import (
    DEFAULT_RETENTION_DAYS,
    Invite,
    Membership,
    Organization,
    SsoConnection,
)


@dataclass(frozen=True)
class PlanLimits:
    included_seats: int
    max_seats: int | None  # None: unlimited
    max_integrations: int | None  # None: unlimited
    sso_enforcement: bool
    custom_retention: bool


def _limits(spec: PlanSpec) -> PlanLimits:
    return PlanLimits(spec.included_seats, spec.max_seats, spec.max_integrations,
                      sso_enforcement=spec.sso_enforcement,
                      custom_retention=spec.custom_retention)


PLANS: dict[str, PlanLimits] = {name: _limits(spec) for name, spec in CATALOG.items()}

# name -> async (session, auth) -> current count; e.g. "integrations" from that domain.
UsageProbe = Callable[[AsyncSession, AuthContext], Awaitable[int]]
USAGE_PROBES: dict[str, UsageProbe] = {}


def register_usage_probe(name: str, probe: UsageProbe) -> None:
    """Let a domain report a usage a plan limits (only "integrations" is checked today)."""
    USAGE_PROBES[name] = probe


def limits_of(plan: str) -> PlanLimits:
    return PLANS.get(plan, PLANS["trial"])


@dataclass(frozen=True)
class PlanViolation:
    """One thing that must change before the organization fits the target plan."""

    limit: str
    current: int | str
    allowed: int | str
    action: str

    def as_json(self) -> dict[str, Any]:
        return {"limit": self.limit, "current": self.current, "allowed": self.allowed,
                "action": self.action}


async def count_members(session: AsyncSession, auth: AuthContext) -> int:
    stmt = scope_to_tenant(select(func.count(Membership.id)), Membership, auth)
    return int(await session.scalar(stmt) or 0)


async def count_pending_invites(session: AsyncSession, auth: AuthContext, clock: Clock) -> int:
    stmt = scope_to_tenant(select(func.count(Invite.id)), Invite, auth).where(
        Invite.accepted_at.is_(None), Invite.expires_at > clock.now()
    )
    return int(await session.scalar(stmt) or 0)


async def _sso_enforced(session: AsyncSession, auth: AuthContext) -> bool:
    stmt = scope_to_tenant(select(SsoConnection.id), SsoConnection, auth).where(
        SsoConnection.enforced.is_(True)
    )
    return (await session.scalar(stmt)) is not None


async def plan_violations(
    session: AsyncSession, auth: AuthContext, org: Organization, target: str, clock: Clock
) -> list[PlanViolation]:
    """What keeps the organization from moving to `target` (empty when it fits)."""
    limits = PLANS[target]
    violations: list[PlanViolation] = []
    if limits.max_seats is not None:
        members = await count_members(session, auth)
        invites = await count_pending_invites(session, auth, clock)
        if members > limits.max_seats:
            violations.append(PlanViolation(
                "members", members, limits.max_seats,
                f"Remove {members - limits.max_seats} member(s): the {target} plan allows "
                f"{limits.max_seats}.",
            ))
        elif members + invites > limits.max_seats:
            extra = members + invites - limits.max_seats
            violations.append(PlanViolation(
                "members_and_pending_invites", members + invites, limits.max_seats,
                f"Revoke {extra} pending invite(s): with them the organization would exceed "
                f"the {target} plan's {limits.max_seats} seats.",
            ))
    probe = USAGE_PROBES.get("integrations")
    if limits.max_integrations is not None and probe is not None:
        integrations = await probe(session, auth)
        if integrations > limits.max_integrations:
            violations.append(PlanViolation(
                "integrations", integrations, limits.max_integrations,
                f"Disconnect {integrations - limits.max_integrations} integration(s): the "
                f"{target} plan allows {limits.max_integrations}.",
            ))
    if not limits.sso_enforcement and await _sso_enforced(session, auth):
        violations.append(PlanViolation(
            "sso_enforcement", "on", "off",
            f"Turn off SSO enforcement: the {target} plan does not include it.",
        ))
    if not limits.custom_retention and org.data_retention_days != DEFAULT_RETENTION_DAYS:
        violations.append(PlanViolation(
            "data_retention_days", org.data_retention_days, DEFAULT_RETENTION_DAYS,
            f"Set data retention back to {DEFAULT_RETENTION_DAYS} days: custom retention is "
            "an enterprise feature.",
        ))
    return violations


async def change_plan(
    session: AsyncSession, auth: AuthContext, org: Organization, target: str, clock: Clock
) -> str:
    """Record `target` as the organization's plan (409 listing what must change when the
    organization exceeds its limits); returns the previous plan."""
    if target not in PURCHASABLE_PLANS:
        raise ProblemError(422, f"Unknown plan {target!r}.")
    previous = org.plan
    if target == previous:
        return previous
    violations = await plan_violations(session, auth, org, target, clock)
    if violations:
        raise ProblemError(
            409,
            f"The organization exceeds the {target} plan's limits: "
            + " ".join(v.action for v in violations),
            extra={"target_plan": target, "violations": [v.as_json() for v in violations]},
        )
    org.plan = target
    await session.flush()
    return previous


async def seat_check(
    session: AsyncSession, auth: AuthContext, org: Organization, clock: Clock,
    *, adding_invite: bool,
) -> None:
    """409 when one more member (or invite) would exceed the plan's maximum seats."""
    limits = limits_of(org.plan)
    if limits.max_seats is None:
        return
    members = await count_members(session, auth)
    invites = await count_pending_invites(session, auth, clock) if adding_invite else 0
    if members + invites + 1 > limits.max_seats:
        raise ProblemError(
            409,
            f"The {org.plan} plan allows {limits.max_seats} members: remove members"
            + (" or revoke pending invites" if adding_invite else "")
            + " first, or move to a larger plan.",
            extra={"violations": [PlanViolation(
                "members", members + invites, limits.max_seats,
                "Remove members or revoke invites, or upgrade the plan.",
            ).as_json()]},
        )
