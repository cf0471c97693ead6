"""The entitlement matrix of the real routes and jobs: every gated operation x every plan
(starter, growth, scale, enterprise, trial) → allowed, or the documented 403 `plan-required`
naming the cheapest plan that unlocks it; every quota-charging operation x every plan → 429
`quota-exceeded` once the plan's limit is used, allowed before. The expected answers are
computed from the plan catalog.

`GATES` lists every gated operation with its gates. The first test reads the gates off the
app's routes: a gated route added (or a gate changed) without updating `GATES` fails it, and
so does a job-side gate called from a module `JOB_GATE_SITES` does not name."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from brain.billing.catalog import PLAN_ORDER, PLANS, QUOTA_PERIODS, Feature, Module, Quota
from brain.billing.entitlements import ensure_entitlement, evict_plan_state
from brain.billing.gates import BRAIN_RUN_ENTITLEMENT, admit_machine_run
from brain.billing.models import QuotaUsage
from brain.billing.overrides import force_plan
from brain.billing.problems import PlanRequired
from brain.billing.quotas import period_bounds
from brain.brain_modules.runs.models import BrainRun, RunStatus
from brain.brain_modules.runs.tasks import run_pipeline, schedule_daily_runs
from brain.core.clock import FrozenClock
from brain.core.models import utcnow, uuid7
from brain.core.runtime import Runtime
from brain.integrations.models import Connection
from brain.integrations.tasks import schedule_due_syncs
from tests.factories import Tenant
from tests.platform.openapi_walk import RequestBuilder, tenant_operations
from tests.platform.tenant_objects import PATH_PARAMETERS

ORG = "/api/v1/organizations/{org_id}"
PLAN_NAMES = ("starter", "growth", "scale", "enterprise", "trial")
ROOT = Path(__file__).resolve().parents[2]


class RecordingDispatcher:
    """Records the jobs requests ask for without running them (a brain run takes seconds;
    the matrix is about who may start one)."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, dict[str, Any]]] = []

    async def dispatch(self, name: str, kwargs: dict[str, Any]) -> None:
        self.sent.append((name, kwargs))


@pytest.fixture
def dispatcher() -> RecordingDispatcher:
    return RecordingDispatcher()


@dataclass(frozen=True)
class Gate:
    """The plan gates of one operation, as its route's dependencies declare them."""

    entitlement: str | None = None  # a module or feature the plan must include
    condition: str | None = None  # the body field that makes the entitlement needed
    plan_limit: str | None = None  # a plan count checked before adding one more
    quota: str | None = None  # a day/month quota one call counts
    room: str | None = None  # a quota that must have room for the work to start


MEMORY = Gate(entitlement="memory")
GATES: dict[tuple[str, str], Gate] = {
    # Brain runs compute MEMORY first: the plan must have it; a new run is one of the day's.
    ("GET", f"{ORG}/brain/runs"): MEMORY,
    ("POST", f"{ORG}/brain/runs"): Gate(entitlement="memory", quota="brain_runs_per_day"),
    ("GET", f"{ORG}/brain/runs/{{run_id}}"): MEMORY,
    ("GET", f"{ORG}/brain/runs/{{run_id}}/outputs"): MEMORY,
    ("GET", f"{ORG}/memory/channels"): MEMORY,
    ("GET", f"{ORG}/memory/summary"): MEMORY,
    ("GET", f"{ORG}/memory/cohorts"): MEMORY,
    ("GET", f"{ORG}/memory/campaigns"): MEMORY,
    ("GET", f"{ORG}/memory/creatives"): MEMORY,
    ("GET", f"{ORG}/oracle/creatives"): Gate(entitlement="oracle"),
    ("GET", f"{ORG}/oracle/channels"): Gate(entitlement="oracle"),
    ("GET", f"{ORG}/oracle/ltv-drift"): Gate(entitlement="oracle"),
    ("GET", f"{ORG}/actions"): Gate(entitlement="curiosity"),
    ("POST", f"{ORG}/actions/{{action_id}}/accept"):
        Gate(entitlement="curiosity", quota="actions_per_day"),
    ("POST", f"{ORG}/actions/{{action_id}}/reject"): Gate(entitlement="curiosity"),
    ("POST", f"{ORG}/curiosity/optimize"): Gate(entitlement="curiosity"),
    ("GET", f"{ORG}/face"): Gate(entitlement="face"),
    # Plan features switched on by a write.
    ("PUT", f"{ORG}/sso"): Gate(entitlement="sso_enforcement", condition="enforced"),
    ("PATCH", ORG): Gate(entitlement="custom_retention", condition="data_retention_days"),
    # Integrations: the plan's count; syncs per day; events per month.
    ("POST", f"{ORG}/connections"): Gate(plan_limit="max_integrations"),
    ("POST", f"{ORG}/connections/{{connection_id}}/syncs"):
        Gate(quota="syncs_per_day", room="events_per_month"),
    # Data in: metric rows count as events (the batch is counted in its handler, by size).
    ("POST", f"{ORG}/metrics/daily"): Gate(quota="events_per_month"),
    ("POST", f"{ORG}/customers"): Gate(quota="events_per_month"),
    ("POST", f"{ORG}/orders"): Gate(quota="events_per_month"),
    ("POST", f"{ORG}/imports"): Gate(room="events_per_month"),
}
# Bodies that switch the conditional features on.
TRIGGERS: dict[str, dict[str, Any]] = {
    "enforced": {"issuer": "https://idp.example.com", "client_id": "brain",
                 "client_secret": "s3cret-value", "allowed_domains": ["example.com"],
                 "enforced": True},
    "data_retention_days": {"data_retention_days": 365},
}
# Modules calling the job-side gates, and the jobs they gate (tested below).
JOB_GATE_SITES = {
    "brain/brain_modules/runs/tasks.py": {"brain.run_pipeline", "brain.schedule_daily_runs"},
    "brain/integrations/tasks.py": {"integrations.schedule_syncs"},
    "brain/integrations/engine.py": {"integrations.run_sync (brain run after a sync)"},
}
_JOB_GATE_CALL = re.compile(r"\b(admit_job|admit_machine_run|ensure_entitlement)\(")


def _walk(dependant: Dependant) -> list[Any]:
    calls: list[Any] = []
    for sub in dependant.dependencies:
        calls.append(sub.call)
        calls.extend(_walk(sub))
    return calls


def _value(attribute: Any) -> str | None:
    return None if attribute is None else str(getattr(attribute, "value", attribute))


def route_gates(app: FastAPI) -> dict[tuple[str, str], Gate]:
    """(METHOD, path) -> the gates its dependency tree declares, for gated routes."""
    found: dict[tuple[str, str], Gate] = {}
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if not isinstance(route, APIRoute) or context.path is None:
            continue
        fields: dict[str, str | None] = {}
        for call in _walk(route.dependant):
            if (entitlement := getattr(call, "required_entitlement", None)) is not None:
                fields["entitlement"] = _value(entitlement)
                condition = getattr(call, "gate_condition", None)
                fields["condition"] = condition[0] if condition else None
            for attribute, field in (("plan_limit", "plan_limit"), ("charged_quota", "quota"),
                                     ("quota_room", "room")):
                if (value := getattr(call, attribute, None)) is not None:
                    fields[field] = _value(value)
        if fields:
            for method in context.methods or ():
                found[(method, context.path)] = Gate(**fields)
    return found


def test_every_gated_route_and_job_is_in_the_matrix(client: httpx.AsyncClient) -> None:
    app: FastAPI = client.app  # type: ignore[attr-defined]
    assert route_gates(app) == GATES
    sites = {
        str(path.relative_to(ROOT)) for path in (ROOT / "brain").rglob("*.py")
        if "brain/billing/" not in str(path) and _JOB_GATE_CALL.search(path.read_text())
    }
    assert sites == set(JOB_GATE_SITES)


def unlocking_plan(entitlement: str) -> str:
    """The cheapest plan (catalog order) whose modules or features include it."""
    for name in PLAN_ORDER:
        spec = PLANS[name]
        if entitlement in {m.value for m in spec.modules} | {f.value for f in spec.features}:
            return name
    return "enterprise"


def plan_has(plan: str, entitlement: str) -> bool:
    spec = PLANS[plan]
    return entitlement in {m.value for m in spec.modules} | {f.value for f in spec.features}


async def _on_plan(db: AsyncSession, runtime: Runtime, tenant: Tenant, plan: str,
                   clock: FrozenClock) -> None:
    await force_plan(db, tenant.id, plan, actor="tests", clock=clock)
    await db.commit()
    await evict_plan_state(runtime.cache, tenant.id)


def _request(app: FastAPI, tenant: Tenant, method: str, path: str,
             body: dict[str, Any] | None = None) -> tuple[str, str, dict[str, Any]]:
    ids = {name: str(uuid.uuid4()) for name in PATH_PARAMETERS}
    ids["org_id"] = str(tenant.id)
    operation = next(op for op in tenant_operations(app) if (op.method, op.path) == (method, path))
    plan = RequestBuilder(app.openapi(), ids).build(operation)
    kwargs = plan.kwargs()
    if body is not None:
        kwargs["json"] = body
    return plan.method, plan.url, kwargs


def _is_plan_required(response: httpx.Response) -> bool:
    return (response.status_code == 403
            and response.json().get("type") == "/api/v1/problems/plan-required")


@pytest.mark.parametrize("plan", PLAN_NAMES)
async def test_entitlement_gates_by_plan(
    plan: str, client: httpx.AsyncClient, db: AsyncSession, tenant: Tenant,
    clock: FrozenClock, runtime: Runtime,
) -> None:
    app: FastAPI = client.app  # type: ignore[attr-defined]
    await _on_plan(db, runtime, tenant, plan, clock)
    failures: list[str] = []
    for (method, path), gate in GATES.items():
        if gate.entitlement is None:
            continue
        body = TRIGGERS[gate.condition] if gate.condition else None
        verb, url, kwargs = _request(app, tenant, method, path, body)
        response = await client.request(verb, url, headers=tenant.admin, **kwargs)
        where = f"{plan}: {method} {path} -> {response.status_code} {response.text[:200]}"
        if plan_has(plan, gate.entitlement):
            if _is_plan_required(response) or response.status_code >= 500:
                failures.append(f"refused: {where}")
            continue
        if not _is_plan_required(response):
            failures.append(f"not refused: {where}")
            continue
        problem = response.json()
        expected = {"entitlement": gate.entitlement, "current_plan": plan,
                    "required_plan": unlocking_plan(gate.entitlement)}
        if {k: problem.get(k) for k in expected} != expected:
            failures.append(f"wrong problem: {where}")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("feature", ["sso_enforcement", "custom_retention"])
async def test_the_same_writes_without_the_feature_are_allowed(
    feature: str, client: httpx.AsyncClient, db: AsyncSession, tenant: Tenant,
    clock: FrozenClock, runtime: Runtime,
) -> None:
    """Only switching the feature on is gated: `enforced: false` or the default retention
    go through on every plan."""
    await _on_plan(db, runtime, tenant, "starter", clock)
    if feature == "sso_enforcement":
        body = {**TRIGGERS["enforced"], "enforced": False}
        response = await client.put(tenant.path("/sso"), json=body, headers=tenant.admin)
        assert response.status_code == 201, response.text
    else:
        response = await client.patch(tenant.path(), json={"data_retention_days": 730},
                                      headers=tenant.admin)
        assert response.status_code == 200, response.text
        refused = await client.patch(tenant.path(), json={"data_retention_days": 90},
                                     headers=tenant.admin)
        assert refused.json()["required_plan"] == unlocking_plan(feature) == "enterprise"


async def _connections(db: AsyncSession, tenant: Tenant, count: int) -> None:
    for index in range(count):
        db.add(Connection(organization_id=tenant.id, provider="meta_ads", name=f"C{index}",
                          status="active", sandbox=True))
    await db.commit()


@pytest.mark.parametrize("plan", PLAN_NAMES)
async def test_integration_count_by_plan(
    plan: str, client: httpx.AsyncClient, db: AsyncSession, tenant: Tenant,
    clock: FrozenClock, runtime: Runtime,
) -> None:
    """With two integrations connected, a third fits every plan but Starter's two."""
    await _on_plan(db, runtime, tenant, plan, clock)
    connected = 2
    await _connections(db, tenant, connected)
    response = await client.post(tenant.path("/connections"), headers=tenant.admin,
                                 json={"provider": "meta_ads", "sandbox": True})
    limit = PLANS[plan].max_integrations
    if limit is None or connected + 1 <= limit:
        assert response.status_code == 201, response.text
        return
    assert _is_plan_required(response), response.text
    required = next(name for name in PLAN_ORDER
                    if (PLANS[name].max_integrations or 10**9) > connected)
    assert response.json()["entitlement"] == "integrations"
    assert response.json()["required_plan"] == required == "growth"


async def _use_up(db: AsyncSession, tenant: Tenant, quota: str, used: int,
                  clock: FrozenClock) -> None:
    start, _ = period_bounds(QUOTA_PERIODS[Quota(quota)], clock.now())
    db.add(QuotaUsage(id=uuid7(), organization_id=tenant.id, quota=quota,
                      period_start=start.date(), used=used))
    await db.commit()


@pytest.mark.parametrize("plan", PLAN_NAMES)
async def test_quota_gates_by_plan(
    plan: str, client: httpx.AsyncClient, db: AsyncSession, tenant: Tenant,
    clock: FrozenClock, runtime: Runtime,
) -> None:
    """Each quota-gated operation, with its quota used up to the plan's limit: 429
    `quota-exceeded` (naming the quota, with Retry-After); unlimited quotas never refuse."""
    app: FastAPI = client.app  # type: ignore[attr-defined]
    await _on_plan(db, runtime, tenant, plan, clock)
    quotas_used: set[str] = set()
    for gate in GATES.values():
        for quota in (gate.quota, gate.room):
            if quota is not None and quota not in quotas_used:
                limit = PLANS[plan].quota(Quota(quota))
                await _use_up(db, tenant, quota, limit if limit is not None else 10**9, clock)
                quotas_used.add(quota)
    failures: list[str] = []
    for (method, path), gate in GATES.items():
        quota = gate.room or gate.quota
        if quota is None:
            continue
        verb, url, kwargs = _request(app, tenant, method, path)
        response = await client.request(verb, url, headers=tenant.admin, **kwargs)
        where = f"{plan}: {method} {path} -> {response.status_code} {response.text[:200]}"
        if PLANS[plan].quota(Quota(quota)) is None:
            if response.status_code == 429:
                failures.append(f"refused although unlimited: {where}")
            continue
        body = response.json()
        if (response.status_code, body.get("type")) != (429, "/api/v1/problems/quota-exceeded") \
                or body.get("quota") != quota or "retry-after" not in response.headers:
            failures.append(f"not refused: {where}")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("plan", PLAN_NAMES)
async def test_jobs_by_plan(
    plan: str, db: AsyncSession, tenant: Tenant, clock: FrozenClock, runtime: Runtime,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The jobs' gates answer as the routes' do: `ensure_entitlement` for every module and
    feature, the daily schedule and the pipeline job for the brain (which needs MEMORY)."""
    await _on_plan(db, runtime, tenant, plan, clock)
    for entitlement in [*Module, *Feature]:
        if plan_has(plan, entitlement.value):
            await ensure_entitlement(db, tenant.id, entitlement, clock=clock)
        else:
            with pytest.raises(PlanRequired) as refused:
                await ensure_entitlement(db, tenant.id, entitlement, clock=clock)
            assert refused.value.extra == {"entitlement": entitlement.value,
                                           "current_plan": plan,
                                           "required_plan": unlocking_plan(entitlement.value)}
    sent: list[tuple[str, dict[str, Any]]] = []

    class Recorder:
        async def dispatch(self, name: str, kwargs: dict[str, Any]) -> None:
            sent.append((name, kwargs))

    monkeypatch.setattr("brain.core.jobs.CeleryDispatcher", Recorder)
    await schedule_daily_runs(runtime)
    queued = [kw for name, kw in sent if name == "brain.run_pipeline"
              and kw["organization_id"] == str(tenant.id)]
    allowed = plan_has(plan, BRAIN_RUN_ENTITLEMENT.value)
    assert len(queued) == (1 if allowed else 0)
    if queued:
        # The pipeline job lets the run execute (the pipeline itself is tested elsewhere).
        executed: list[str] = []

        async def execute(runtime: Runtime, *, organization_id: uuid.UUID,
                          run_id: uuid.UUID) -> str:
            executed.append(str(run_id))
            return "succeeded"

        monkeypatch.setattr("brain.brain_modules.runs.tasks.execute_run", execute)
        await run_pipeline(runtime, **queued[0])
        assert executed == [queued[0]["run_id"]]


async def test_a_read_only_organization_gets_no_machine_work(
    db: AsyncSession, tenant: Tenant, clock: FrozenClock, runtime: Runtime,
) -> None:
    """Restricted (unpaid past the grace period): no scheduled run or sync is admitted, and
    a run queued before the restriction fails with the reason instead of running."""
    from brain.billing.models import BillingAccount
    from brain.brain_modules.runs.service import enqueue_brain_run

    run = await enqueue_brain_run(db, tenant.id, "sync", executed_by_caller=True)
    db.add(BillingAccount(organization_id=tenant.id, status="restricted", seat_quantity=0,
                          cancel_at_period_end=False, subscription_event_created=0))
    await db.commit()
    await evict_plan_state(runtime.cache, tenant.id)
    assert await admit_machine_run(db, tenant.id, clock=clock) is False
    await run_pipeline(runtime, run_id=str(run.id), organization_id=str(tenant.id))
    stored = await db.scalar(select(BrainRun).where(BrainRun.id == run.id)
                             .execution_options(populate_existing=True))
    assert stored is not None
    assert stored.status == RunStatus.failed.value
    assert stored.error is not None
    assert stored.error.startswith("Not run")
    assert "restricted" in stored.error
    await _connections(db, tenant, 1)
    connection = await db.scalar(select(Connection).where(Connection.organization_id == tenant.id))
    assert connection is not None
    connection.schedule_minutes = 60
    connection.next_sync_at = utcnow() - timedelta(minutes=1)  # the scheduler's own clock
    await db.commit()

    class Recorder:
        sent: list[str] = []

        async def dispatch(self, name: str, kwargs: dict[str, Any]) -> None:
            self.sent.append(name)

    recorder = Recorder()
    await schedule_due_syncs(runtime, dispatcher=recorder)  # type: ignore[arg-type]
    assert recorder.sent == []
