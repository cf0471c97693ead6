"""What an organization may use right now: its plan, its billing status and the operators'
unexpired overrides folded into one `PlanState`, cached briefly for the request path.

Routes gate a module with the `require_entitlement(Module.x)` dependency; jobs call
`ensure_entitlement(session, org_id, Module.x)`. Both raise the 403 `plan-required` problem
naming the cheapest plan that includes the module."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import orjson
from fastapi import Request
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from brain.billing.catalog import (
    PLAN_ORDER,
    PLANS,
    TRIAL_DAYS,
    Feature,
    Module,
    Quota,
    cheapest_plan_with,
    plan_spec,
)
from brain.billing.models import BillingAccount, PlanOverride
from brain.billing.problems import PlanRequired
from brain.core.cache import Cache
from brain.core.clock import Clock, SystemClock
from brain.core.db import set_tenant
from brain.core.deps import DbSession, authenticate
from brain.core.errors import NotFound
from brain.organizations.models import Organization

# Billing statuses in which the organization is read-only (data kept, writes refused).
READ_ONLY_STATUSES = frozenset({"restricted", "canceled", "paused", "unpaid"})
CACHE_PREFIX = "plan-state:"


@dataclass(frozen=True)
class PlanState:
    """The organization's effective plan: catalog entry + billing status + overrides."""

    organization_id: uuid.UUID
    plan: str
    status: str
    trial_ends_at: datetime | None
    grace_ends_at: datetime | None
    modules: frozenset[str]
    features: frozenset[str]
    quotas: dict[str, int | None]
    included_seats: int
    max_seats: int | None
    max_integrations: int | None

    @property
    def read_only(self) -> bool:
        return self.status in READ_ONLY_STATUSES

    def has(self, entitlement: Module | Feature) -> bool:
        return entitlement.value in self.modules or entitlement.value in self.features

    def limit(self, quota: Quota) -> int | None:
        return self.quotas.get(quota.value)

    def to_bytes(self) -> bytes:
        return orjson.dumps({
            "organization_id": str(self.organization_id), "plan": self.plan,
            "status": self.status,
            "trial_ends_at": self.trial_ends_at.isoformat() if self.trial_ends_at else None,
            "grace_ends_at": self.grace_ends_at.isoformat() if self.grace_ends_at else None,
            "modules": sorted(self.modules), "features": sorted(self.features),
            "quotas": self.quotas, "included_seats": self.included_seats,
            "max_seats": self.max_seats, "max_integrations": self.max_integrations,
        })

    @classmethod
    def from_bytes(cls, raw: bytes) -> PlanState:
        data = orjson.loads(raw)
        return cls(
            organization_id=uuid.UUID(data["organization_id"]), plan=data["plan"],
            status=data["status"],
            trial_ends_at=_parse_dt(data["trial_ends_at"]),
            grace_ends_at=_parse_dt(data["grace_ends_at"]),
            modules=frozenset(data["modules"]), features=frozenset(data["features"]),
            quotas=dict(data["quotas"]), included_seats=data["included_seats"],
            max_seats=data["max_seats"], max_integrations=data["max_integrations"],
        )


def _parse_dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


async def active_overrides(
    session: AsyncSession, organization_id: uuid.UUID, now: datetime
) -> list[PlanOverride]:
    """Unexpired, unrevoked overrides, oldest first (a newer one wins on the same key)."""
    stmt = (
        select(PlanOverride)
        .where(PlanOverride.organization_id == organization_id,
               PlanOverride.expires_at > now, PlanOverride.revoked_at.is_(None))
        .order_by(PlanOverride.created_at, PlanOverride.id)
    )
    return list((await session.scalars(stmt)).all())


def effective_status(account: BillingAccount | None, plan: str, now: datetime) -> str:
    """The status the product acts on: a past-due account whose grace period ended is
    restricted (read-only)."""
    if account is None:
        return "trialing" if plan == "trial" else "active"
    if account.status == "past_due" and account.grace_ends_at and now >= account.grace_ends_at:
        return "restricted"
    return account.status


async def load_plan_state(
    session: AsyncSession, organization_id: uuid.UUID, *, clock: Clock | None = None
) -> PlanState:
    """Read the organization's plan state from the database (404 for a missing org)."""
    now = (clock or SystemClock()).now()
    org = await session.get(Organization, organization_id)
    if org is None or org.deleted_at is not None:
        raise NotFound("Organization")
    account = await session.get(BillingAccount, organization_id)
    spec = plan_spec(org.plan)
    modules = {m.value for m in spec.modules}
    features = {f.value for f in spec.features}
    quotas: dict[str, int | None] = {q.value: spec.quota(q) for q in Quota}
    trial_ends_at: datetime | None = None
    if org.plan == "trial":
        trial_ends_at = (account.trial_ends_at if account and account.trial_ends_at
                         else org.created_at + timedelta(days=TRIAL_DAYS))
    for override in await active_overrides(session, organization_id, now):
        if override.kind == "quota":
            quotas[override.key] = override.value
        elif override.kind == "module":
            modules.add(override.key)
        elif override.kind == "feature":
            features.add(override.key)
        elif override.kind == "trial" and trial_ends_at is not None:
            trial_ends_at = trial_ends_at + timedelta(days=override.value or 0)
    return PlanState(
        organization_id=organization_id, plan=org.plan,
        status=effective_status(account, org.plan, now), trial_ends_at=trial_ends_at,
        grace_ends_at=account.grace_ends_at if account else None,
        modules=frozenset(modules), features=frozenset(features), quotas=quotas,
        included_seats=spec.included_seats, max_seats=spec.max_seats,
        max_integrations=spec.max_integrations,
    )


async def cached_plan_state(
    session: AsyncSession, cache: Cache, organization_id: uuid.UUID, *, clock: Clock,
    ttl_seconds: int,
) -> PlanState:
    """`load_plan_state` behind the cache (evicted on every plan, override or billing
    change; `ttl_seconds` bounds staleness in other processes)."""
    key = CACHE_PREFIX + str(organization_id)
    if ttl_seconds > 0:
        raw = await cache.get(key)
        if raw is not None:
            return PlanState.from_bytes(raw)
    state = await load_plan_state(session, organization_id, clock=clock)
    if ttl_seconds > 0:
        await cache.set(key, state.to_bytes(), ttl_seconds)
    return state


async def evict_plan_state(cache: Cache, organization_id: uuid.UUID) -> None:
    await cache.delete(CACHE_PREFIX + str(organization_id))


def check_entitlement(state: PlanState, entitlement: Module | Feature) -> None:
    """403 `plan-required` unless the plan (or an override) includes `entitlement`."""
    if not state.has(entitlement):
        raise PlanRequired(entitlement.value, state.plan, cheapest_plan_with(entitlement))


def check_integration_slot(state: PlanState, connected: int) -> None:
    """403 `plan-required` when connecting one more integration exceeds the plan's count
    (`connected`: the integrations the organization has now)."""
    limit = state.max_integrations
    if limit is None or connected + 1 <= limit:
        return
    required = next((name for name in PLAN_ORDER
                     if (PLANS[name].max_integrations or 10**9) > connected), "enterprise")
    raise PlanRequired("integrations", state.plan, required)


async def ensure_entitlement(
    session: AsyncSession, organization_id: uuid.UUID, entitlement: Module | Feature,
    *, clock: Clock | None = None,
) -> PlanState:
    """For jobs: raise `PlanRequired` when the organization's plan lacks `entitlement`."""
    state = await load_plan_state(session, organization_id, clock=clock)
    check_entitlement(state, entitlement)
    return state


async def request_plan_state(request: Request, session: AsyncSession,
                             organization_id: uuid.UUID) -> PlanState:
    """The plan state for this request (computed once per request)."""
    cached: PlanState | None = getattr(request.state, "plan_state", None)
    if cached is not None and cached.organization_id == organization_id:
        return cached
    runtime = request.app.state.runtime
    state = await cached_plan_state(
        session, runtime.cache, organization_id, clock=runtime.clock,
        ttl_seconds=runtime.settings.plan_cache_seconds,
    )
    request.state.plan_state = state
    return state


def require_entitlement(
    entitlement: Module | Feature,
) -> Callable[..., Coroutine[Any, Any, PlanState]]:
    """A dependency for a gated route: the caller must belong to `org_id` (else 404) and
    the organization's plan must include `entitlement` (else 403 `plan-required`). Put it
    next to the route's permission dependency: `dependencies=[Depends(require_entitlement(
    Module.voice))]`."""

    async def dependency(org_id: uuid.UUID, request: Request, session: DbSession) -> PlanState:
        auth = await authenticate(request, session, org_id)
        await set_tenant(session, auth.organization_id)
        state = await request_plan_state(request, session, org_id)
        check_entitlement(state, entitlement)
        return state

    dependency.__name__ = f"require_entitlement_{entitlement.value}"
    dependency.required_entitlement = entitlement  # type: ignore[attr-defined]
    dependency.needs_credentials = True  # type: ignore[attr-defined]
    return dependency


def plan_unlocking(entitlement: Module | Feature) -> str:
    """The documented answer for a locked entitlement (used by the matrix test and docs)."""
    return cheapest_plan_with(entitlement)


__all__ = [
    "PLANS",
    "PlanState",
    "cached_plan_state",
    "check_entitlement",
    "ensure_entitlement",
    "evict_plan_state",
    "load_plan_state",
    "require_entitlement",
]
