"""Plans at work: the route dependencies and job checks that make the plan catalog bite.

Routes list these in their decorator's `dependencies=[...]` (next to the permission they
already ask for):

- `require_entitlement(Module.x)` (in `brain.billing.entitlements`): the module or feature
  must be in the plan (403 `plan-required` naming the cheapest plan that has it).
- `require_entitlement_if(feature, field, when)`: a write that switches a plan feature on
  (`enforced: true` on the SSO connection, a custom `data_retention_days`) needs the
  feature; the same write leaving it off does not.
- `require_integration_slot()`: connecting one more integration must fit the plan's
  `max_integrations` (403 `plan-required`, entitlement `integrations`).
- `charge_quota(Quota.x)`: the request is one unit of a day/month quota (a brain run, a
  sync, an accepted action, a metric row), counted in the request's own transaction: a
  request that fails afterwards (404, 409, 422) rolls the count back with everything else.
  At the limit: 429 `quota-exceeded` with `Retry-After`.
- `require_quota_room(Quota.x)`: the request starts background work that will use the
  quota as it goes (a CSV import, a sync, against `events_per_month`): refused with 429
  while the quota has no room left.

Every dependency authenticates first (401 without a credential, 404 for another
organization), refuses writes of a read-only organization (403 `billing-restricted`), then
answers for the plan. Each carries attributes (`required_entitlement`, `plan_limit`,
`charged_quota`, `quota_room`, `gate_condition`) that the entitlement matrix test reads
from the app's routes, so a gated route cannot be added without being in the matrix.

Jobs call `admit_job` (the same checks, raising the problem for the job to log) and
`admit_machine_run` (brain runs asked for by the schedule or after a sync). Rows written by
an accepted import or sync are counted with `record_ingested`.

**Accepted work is never cut short.** A sync or CSV import is admitted while
`events_per_month` has room; once admitted it runs to the end and every row it writes is
kept and counted, even past the limit (`consume(..., enforce=False)`); the overage is
bounded by that one run, and the next sync or import is refused until the month resets.
Stopping mid-run would leave a window half-synced (and re-read on the next run) without
saving anything, and a refused row could not be told from a lost one. Requests whose size
is known up front (`metrics/daily:batch`, one metric row) are all-or-nothing instead: a
batch that would cross the limit is refused whole and nothing of it is written.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Coroutine
from typing import Any

import orjson
from fastapi import Request
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import ClientDisconnect

from brain.billing import quotas
from brain.billing.catalog import Feature, Module, Quota
from brain.billing.entitlements import (
    PlanState,
    check_entitlement,
    check_integration_slot,
    load_plan_state,
    request_plan_state,
)
from brain.billing.problems import BillingRestricted, PlanRequired, QuotaExceeded
from brain.core.auth import AuthContext
from brain.core.clock import Clock
from brain.core.db import set_tenant
from brain.core.deps import DbSession, authenticate, request_jobs
from brain.core.errors import NotFound
from brain.core.jobs import JobBuffer
from brain.finops.metering import record_usage
from brain.organizations.plans import register_usage_probe

logger = logging.getLogger("brain.billing.gates")

# A brain run computes MEMORY first and every other module from it: the plan must have it.
BRAIN_RUN_ENTITLEMENT = Module.memory
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
Dependency = Callable[..., Coroutine[Any, Any, Any]]


async def _tenant_state(
    request: Request, session: AsyncSession, org_id: uuid.UUID
) -> PlanState:
    """Authenticate the caller in `org_id` (401/404), bind the session to the tenant, and
    return the organization's plan state (computed once per request)."""
    auth = await authenticate(request, session, org_id)
    await set_tenant(session, auth.organization_id)
    return await request_plan_state(request, session, auth.organization_id)


def _refuse_read_only(request: Request, state: PlanState) -> None:
    if state.read_only and request.method not in _SAFE_METHODS:
        raise BillingRestricted(state.status)


def _mark(dependency: Dependency, name: str, **attributes: Any) -> Dependency:
    dependency.__name__ = name
    dependency.needs_credentials = True  # type: ignore[attr-defined]
    for key, value in attributes.items():
        setattr(dependency, key, value)
    return dependency


async def _json_object(request: Request) -> dict[str, Any] | None:
    """The request's JSON object body (FastAPI has already read and cached it), or None."""
    try:
        raw = await request.body()
    except ClientDisconnect:
        return None
    if not raw:
        return None
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None
    return data if isinstance(data, dict) else None


def require_entitlement_if(
    entitlement: Module | Feature, field: str, when: Callable[[Any], bool], description: str,
) -> Dependency:
    """A dependency for a write whose body may switch a plan feature on: when the JSON body's
    `field` satisfies `when`, the plan must include `entitlement` (403 `plan-required`);
    otherwise the write goes on (and a malformed body is left to the route's validation)."""

    async def dependency(org_id: uuid.UUID, request: Request, session: DbSession) -> None:
        state = await _tenant_state(request, session, org_id)
        body = await _json_object(request)
        if body is not None and field in body and when(body[field]):
            check_entitlement(state, entitlement)

    return _mark(dependency, f"require_entitlement_{entitlement.value}_if_{field}",
                 required_entitlement=entitlement, gate_condition=(field, description))


async def count_integrations(session: AsyncSession, organization_id: uuid.UUID) -> int:
    """Connections that take an integration slot: every one not deleted (revoked), sandbox
    and pending ones included."""
    from brain.integrations.models import Connection, ConnectionStatus

    stmt = select(func.count(Connection.id)).where(
        Connection.organization_id == organization_id,
        Connection.status != ConnectionStatus.revoked.value,
    )
    return int(await session.scalar(stmt) or 0)


async def _integrations_probe(session: AsyncSession, auth: AuthContext) -> int:
    return await count_integrations(session, auth.organization_id)


# A plan change to a plan with fewer integration slots than are in use is refused (409).
register_usage_probe("integrations", _integrations_probe)


def require_integration_slot() -> Dependency:
    """A dependency for connecting an integration: one more must fit the plan's count."""

    async def dependency(org_id: uuid.UUID, request: Request, session: DbSession) -> PlanState:
        state = await _tenant_state(request, session, org_id)
        _refuse_read_only(request, state)
        check_integration_slot(state, await count_integrations(session, org_id))
        return state

    return _mark(dependency, "require_integration_slot", plan_limit="max_integrations")


def charge_quota(quota: Quota, amount: int = 1, *, meter: str | None = None) -> Dependency:
    """A dependency counting `amount` of `quota` for this request, in its transaction (429
    `quota-exceeded` at the limit; the 80 % warning goes out once per period), and adding
    `amount` to the usage `meter` when given."""
    if amount < 1:
        raise ValueError("a charged quota counts at least 1")

    async def dependency(
        org_id: uuid.UUID, request: Request, session: DbSession
    ) -> quotas.QuotaStatus:
        state = await _tenant_state(request, session, org_id)
        _refuse_read_only(request, state)
        runtime = request.app.state.runtime
        status = await quotas.consume(session, org_id, quota, amount, clock=runtime.clock,
                                      jobs=request_jobs(request), state=state)
        if meter is not None:
            await record_usage(session, org_id, meter, amount, clock=runtime.clock)
        return status

    return _mark(dependency, f"charge_quota_{quota.value}", charged_quota=quota)


def require_quota_room(quota: Quota) -> Dependency:
    """A dependency refusing (429) work that would start while `quota` has no room left."""

    async def dependency(
        org_id: uuid.UUID, request: Request, session: DbSession
    ) -> quotas.QuotaStatus:
        state = await _tenant_state(request, session, org_id)
        _refuse_read_only(request, state)
        runtime = request.app.state.runtime
        return await quotas.check(session, org_id, quota, 1, clock=runtime.clock, state=state)

    return _mark(dependency, f"require_quota_room_{quota.value}", quota_room=quota)


# ---- ingestion ---------------------------------------------------------------------------


async def admit_ingestion(
    request: Request, session: AsyncSession, organization_id: uuid.UUID, rows: int
) -> None:
    """For a request writing `rows` rows now: count them against `events_per_month` all or
    nothing (429 when they would cross the limit) and meter them as ingested."""
    if rows <= 0:
        return
    runtime = request.app.state.runtime
    state = await request_plan_state(request, session, organization_id)
    await quotas.consume(session, organization_id, Quota.events_per_month, rows,
                         clock=runtime.clock, jobs=request_jobs(request), state=state)
    await record_usage(session, organization_id, "rows_ingested", rows, clock=runtime.clock)


async def record_ingested(
    session: AsyncSession, organization_id: uuid.UUID, rows: int, *,
    clock: Clock | None = None, jobs: JobBuffer | None = None,
) -> None:
    """Rows an accepted import or sync has just written (in the same transaction): counted
    against `events_per_month` even past the limit — they are kept — and metered."""
    if rows <= 0:
        return
    await quotas.consume(session, organization_id, Quota.events_per_month, rows, clock=clock,
                         jobs=jobs, enforce=False)
    await record_usage(session, organization_id, "rows_ingested", rows, clock=clock)


# ---- jobs --------------------------------------------------------------------------------


async def admit_job(
    session: AsyncSession, organization_id: uuid.UUID, *,
    entitlement: Module | Feature | None = None, quota: Quota | None = None, amount: int = 1,
    room: Quota | None = None, clock: Clock | None = None, jobs: JobBuffer | None = None,
) -> PlanState:
    """Work a job starts for an organization: the organization must not be read-only
    (`BillingRestricted`), its plan must include `entitlement` (`PlanRequired`), `room` must
    have room and `amount` of `quota` is counted (`QuotaExceeded`), in `session`'s
    transaction."""
    state = await load_plan_state(session, organization_id, clock=clock)
    if state.read_only:
        raise BillingRestricted(state.status)
    if entitlement is not None:
        check_entitlement(state, entitlement)
    if room is not None:
        await quotas.check(session, organization_id, room, 1, clock=clock, state=state)
    if quota is not None:
        await quotas.consume(session, organization_id, quota, amount, clock=clock, jobs=jobs,
                             state=state)
    return state


REFUSALS = (PlanRequired, BillingRestricted, QuotaExceeded, NotFound)


async def admit_machine_run(
    session: AsyncSession, organization_id: uuid.UUID, *, clock: Clock | None = None,
    jobs: JobBuffer | None = None,
) -> bool:
    """Whether a brain run the machine asks for (the daily schedule, a finished sync) may be
    queued: the plan has the brain, the organization is not read-only, and a new run fits
    `brain_runs_per_day` (counted here). When a run is already queued or running, the one
    coming serves and nothing is counted. A refusal is logged; the caller skips the run."""
    from brain.brain_modules.runs.models import BrainRun, RunStatus

    try:
        state = await admit_job(session, organization_id, entitlement=BRAIN_RUN_ENTITLEMENT,
                                clock=clock)
        pending = await session.scalar(
            select(BrainRun.id).where(
                BrainRun.organization_id == organization_id,
                BrainRun.status.in_((RunStatus.queued.value, RunStatus.running.value)),
            ).limit(1)
        )
        if pending is None:
            await quotas.consume(session, organization_id, Quota.brain_runs_per_day, 1,
                                 clock=clock, jobs=jobs, state=state)
    except REFUSALS as exc:
        logger.info("no brain run queued for %s: %s", organization_id, exc.detail)
        return False
    return True




def _custom_retention(value: Any) -> bool:
    from brain.organizations.models import DEFAULT_RETENTION_DAYS

    return value is not None and value != DEFAULT_RETENTION_DAYS


# PATCH …/organizations/{org_id} with a retention other than the default: Enterprise's.
CUSTOM_RETENTION_GATE = require_entitlement_if(
    Feature.custom_retention, "data_retention_days", _custom_retention,
    "data_retention_days other than the default",
)
# PUT …/sso with `enforced: true` (members must sign in with SSO): Enterprise's.
SSO_ENFORCEMENT_GATE = require_entitlement_if(
    Feature.sso_enforcement, "enforced", lambda value: value is True, "enforced: true",
)


__all__ = [
    "BRAIN_RUN_ENTITLEMENT",
    "CUSTOM_RETENTION_GATE",
    "REFUSALS",
    "SSO_ENFORCEMENT_GATE",
    "admit_ingestion",
    "admit_job",
    "admit_machine_run",
    "charge_quota",
    "count_integrations",
    "record_ingested",
    "require_entitlement_if",
    "require_integration_slot",
    "require_quota_room",
]
