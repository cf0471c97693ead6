"""The entitlement gate itself, for every module (EYES, REFLEXES and VOICE have no routes
yet): probe routes gated like a module's route x every plan → allowed, or the documented 403
`plan-required` naming the cheapest plan that unlocks it; overrides; integration slots. The
matrix of the real routes and jobs is `test_entitlement_matrix.py`."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import Depends, FastAPI
from fastapi.routing import APIRoute
from sqlalchemy.ext.asyncio import AsyncSession

from brain.billing.catalog import PLANS, Feature, Module
from brain.billing.entitlements import (
    PlanState,
    ensure_entitlement,
    evict_plan_state,
    require_entitlement,
)
from brain.billing.overrides import add_override, force_plan, parse_override
from brain.billing.problems import PlanRequired
from brain.core.clock import FrozenClock
from brain.core.runtime import Runtime
from tests.factories import Tenant

# PRODUCT.md's pricing table, written out independently of the catalog.
DOCUMENTED: dict[str, set[str]] = {
    "trial": {"memory", "oracle", "curiosity", "face", "eyes"},
    "starter": {"memory", "oracle", "curiosity", "face"},
    "growth": {"memory", "oracle", "curiosity", "face", "eyes"},
    "scale": {m.value for m in Module},
    "enterprise": {m.value for m in Module},
}
UNLOCKED_BY = {"eyes": "growth", "reflexes": "scale", "voice": "scale", "memory": "starter",
               "oracle": "starter", "curiosity": "starter", "face": "starter"}


def _gated_routes(app: FastAPI) -> list[tuple[APIRoute, Module | Feature]]:
    """Routes of the app whose dependencies include `require_entitlement(...)`."""
    found: list[tuple[APIRoute, Module | Feature]] = []

    def walk(dependant: Any, route: APIRoute) -> None:
        for dep in dependant.dependencies:
            gate = getattr(dep.call, "required_entitlement", None)
            if gate is not None:
                found.append((route, gate))
            walk(dep, route)

    for route in app.routes:
        if isinstance(route, APIRoute):
            walk(route.dependant, route)
    return found


def _add_probes(app: FastAPI) -> None:
    """One probe route per module, gated exactly as a module's route is."""
    for module in Module:
        async def probe(org_id: str, state: PlanState = Depends(require_entitlement(module))
                        ) -> dict[str, str]:
            return {"plan": state.plan}

        route = APIRoute(f"/api/v1/organizations/{{org_id}}/_probe/{module.value}", probe,
                         methods=["GET"], include_in_schema=False)
        app.router.routes.insert(0, route)


@pytest.mark.parametrize("plan", list(PLANS))
async def test_entitlement_matrix_routes_and_jobs(
    plan: str, client: httpx.AsyncClient, db: AsyncSession, tenant: Tenant,
    clock: FrozenClock, runtime: Runtime,
) -> None:
    app: FastAPI = client.app  # type: ignore[attr-defined]
    _add_probes(app)
    await force_plan(db, tenant.id, plan, actor="tests", clock=clock)
    await db.commit()
    await evict_plan_state(runtime.cache, tenant.id)
    gated = _gated_routes(app)
    assert {gate for _, gate in gated} >= set(Module)
    for route, gate in gated:
        if "{" in route.path.replace("{org_id}", ""):
            continue  # routes needing other objects are covered by their domain's tests
        method = sorted(route.methods or {"GET"})[0]
        response = await client.request(method, route.path.replace("{org_id}", str(tenant.id)),
                                         headers=tenant.admin)
        allowed = gate.value in DOCUMENTED[plan] or gate.value in {
            f.value for f in PLANS[plan].features}
        if allowed:
            assert response.status_code != 403, (plan, route.path, response.text)
        else:
            assert response.status_code == 403, (plan, route.path, response.text)
            body = response.json()
            assert body["type"] == "/api/v1/problems/plan-required"
            assert body["entitlement"] == gate.value
            assert body["current_plan"] == plan
            assert body["required_plan"] == UNLOCKED_BY.get(gate.value, "enterprise")
    # Jobs: the same answer from `ensure_entitlement`.
    for module in Module:
        if module.value in DOCUMENTED[plan]:
            await ensure_entitlement(db, tenant.id, module, clock=clock)
        else:
            with pytest.raises(PlanRequired) as refused:
                await ensure_entitlement(db, tenant.id, module, clock=clock)
            assert refused.value.extra["required_plan"] == UNLOCKED_BY[module.value]


async def test_gates_are_tenant_safe(client: httpx.AsyncClient, tenant: Tenant,
                                     other_tenant: Tenant) -> None:
    app: FastAPI = client.app  # type: ignore[attr-defined]
    _add_probes(app)
    url = tenant.path("/_probe/voice")
    assert (await client.get(url)).status_code == 401
    assert (await client.get(url, headers=other_tenant.admin)).status_code == 404
    assert (await client.get(url, headers=tenant.admin)).status_code == 403


async def test_an_override_enables_a_module_until_it_expires(
    client: httpx.AsyncClient, db: AsyncSession, tenant: Tenant, clock: FrozenClock,
    runtime: Runtime,
) -> None:
    from datetime import timedelta

    app: FastAPI = client.app  # type: ignore[attr-defined]
    _add_probes(app)
    url = tenant.path("/_probe/voice")
    assert (await client.get(url, headers=tenant.admin)).status_code == 403
    await add_override(db, tenant.id, parse_override("module.voice", "on"),
                       until=clock.now() + timedelta(days=7), reason="pilot of VOICE",
                       actor="tests", clock=clock)
    await db.commit()
    await evict_plan_state(runtime.cache, tenant.id)
    assert (await client.get(url, headers=tenant.admin)).status_code == 200
    clock.advance(timedelta(days=7))
    await evict_plan_state(runtime.cache, tenant.id)
    assert (await client.get(url, headers=tenant.admin)).status_code == 403


async def test_integration_slots_follow_the_plan(db: AsyncSession, tenant: Tenant,
                                                 clock: FrozenClock) -> None:
    from brain.billing.entitlements import check_integration_slot, load_plan_state

    await force_plan(db, tenant.id, "starter", actor="tests", clock=clock)
    state = await load_plan_state(db, tenant.id, clock=clock)
    check_integration_slot(state, 1)
    with pytest.raises(PlanRequired) as refused:
        check_integration_slot(state, 2)
    assert refused.value.extra == {"entitlement": "integrations", "current_plan": "starter",
                                   "required_plan": "growth"}
    await force_plan(db, tenant.id, "scale", actor="tests", clock=clock)
    check_integration_slot(await load_plan_state(db, tenant.id, clock=clock), 500)
