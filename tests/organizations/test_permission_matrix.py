"""The permission matrix: every organization route and every built-in role answers as
docs/permissions.md (generated from the code) says — allowed, or a 403 naming the missing
permission. Owners are logged-in users; admin, analyst and viewer are tried both as members
with a session and as API keys. Each request runs in a savepoint that is rolled back, so every
route sees the same world."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest
import pytest_asyncio
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from brain.app import create_app
from brain.core.clock import FrozenClock
from brain.core.db import set_system_mode
from brain.core.jobs import InlineDispatcher
from brain.core.runtime import Runtime
from brain.organizations.permissions import Role
from brain.organizations.permissions_doc import ALLOWED, DENIED, DOC_PATH
from brain.warehouse.models import Channel
from tests.factories import Tenant
from tests.organizations.helpers import Person, add_person
from tests.platform.openapi_walk import RequestBuilder, tenant_operations
from tests.platform.tenant_objects import seed_objects

_ROW = re.compile(
    r"^\| (?P<method>GET|POST|PUT|PATCH|DELETE) \| `(?P<path>[^`]+)` \| `(?P<op>[^`]+)` \| "
    r"(?P<permissions>[^|]+) \| (?P<cells>(?:[^|]+\|){4}) (?P<note>[^|]*)\|$"
)
ROLES = [r.value for r in Role]


@dataclass(frozen=True)
class DocumentedRoute:
    method: str
    path: str
    operation_id: str
    expected: dict[str, bool]  # role -> allowed
    members_only: bool


def documented_routes() -> list[DocumentedRoute]:
    routes: list[DocumentedRoute] = []
    for line in DOC_PATH.read_text(encoding="utf-8").splitlines():
        match = _ROW.match(line)
        if match is None:
            continue
        cells = [c.strip() for c in match["cells"].split("|") if c.strip()]
        assert set(cells) <= {ALLOWED, DENIED}, line
        routes.append(DocumentedRoute(
            method=match["method"], path=match["path"], operation_id=match["op"],
            expected={role: cell == ALLOWED for role, cell in zip(ROLES, cells, strict=True)},
            members_only="members only" in match["note"],
        ))
    return routes


@dataclass
class World:
    tenant: Tenant
    ids: dict[str, str]
    people: dict[str, Person]


@pytest.fixture
def app(runtime: Runtime) -> FastAPI:
    return create_app(runtime.settings, runtime=runtime, dispatcher=InlineDispatcher(runtime))


@pytest_asyncio.fixture
async def api(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


@pytest_asyncio.fixture
async def world(db: AsyncSession, clock: FrozenClock, tenant: Tenant) -> World:
    await set_system_mode(db, True)
    objects = await seed_objects(db, tenant, "Matrix")
    spare = Channel(organization_id=tenant.id, name="Matrix spare channel", platform="google")
    db.add(spare)
    await db.commit()
    people = {role: await add_person(db, clock, tenant.id, role) for role in ROLES}
    # A second owner, so that an owner may leave.
    await add_person(db, clock, tenant.id, "owner")
    # Body members naming an object get one of this organization's (a grant's resource_id:
    # a channel the seeded member has no grant for yet).
    ids = {**objects.ids, "resource_id": str(spare.id)}
    return World(tenant=tenant, ids=ids, people=people)


def test_the_document_lists_every_route_the_app_guards(app: FastAPI) -> None:
    documented = {(r.method, r.path, r.operation_id) for r in documented_routes()}
    served = {(op.method, op.path, op.operation_id) for op in tenant_operations(app)}
    assert documented == served, (
        "docs/permissions.md is stale: run scripts/generate_permissions_doc.py"
    )


def _credentials(world: World, role: str, *, api_key: bool) -> dict[str, str]:
    if api_key:
        return world.tenant.headers(Role(role))
    return world.people[role].headers


async def _check_role(
    api: httpx.AsyncClient, app: FastAPI, connection: AsyncConnection, world: World, role: str,
    *, api_key: bool,
) -> tuple[list[str], int]:
    builder = RequestBuilder(app.openapi(), world.ids)
    operations = {(op.method, op.path): op for op in tenant_operations(app)}
    failures: list[str] = []
    checked = 0
    for route in documented_routes():
        operation = operations[(route.method, route.path)]
        plan = builder.build(operation)
        allowed = route.expected[role] and not (api_key and route.members_only)
        savepoint = await connection.begin_nested()
        try:
            response = await api.request(
                plan.method, plan.url,
                headers={**plan.headers, **_credentials(world, role, api_key=api_key)},
                **plan.kwargs(),
            )
        finally:
            await savepoint.rollback()
        checked += 1
        who = f"{role} ({'API key' if api_key else 'member'})"
        where = f"{route.method} {route.path} as {who} -> {response.status_code}"
        body = response.json() if response.headers.get("content-type", "").endswith("json") \
            and response.content else {}
        detail = body.get("detail") if isinstance(body, dict) else None
        if allowed:
            refused = response.status_code in (401, 403) or (
                response.status_code == 404 and detail == "Organization not found.")
            if refused or response.status_code == 500:
                failures.append(f"{where} (documented as allowed): {response.text[:200]}")
        elif response.status_code != 403:
            failures.append(f"{where} (documented as 403): {response.text[:200]}")
        elif api_key and route.members_only and route.expected[role]:
            if body.get("required_subject") != "user":
                failures.append(f"{where}: not the members-only refusal: {response.text[:200]}")
        elif body.get("required_permission") not in {p.value for p in operation.permissions}:
            failures.append(f"{where}: required_permission {body.get('required_permission')!r}")
    return failures, checked


@pytest.mark.parametrize("role", ROLES)
async def test_members_of_each_role_get_what_the_document_says(
    api: httpx.AsyncClient, app: FastAPI, connection: AsyncConnection, world: World, role: str,
) -> None:
    failures, checked = await _check_role(api, app, connection, world, role, api_key=False)
    assert not failures, f"{len(failures)} mismatch(es):\n" + "\n".join(failures)
    assert checked == len(documented_routes())


@pytest.mark.parametrize("role", [r for r in ROLES if r != Role.owner.value])
async def test_api_keys_of_each_role_get_what_the_document_says(
    api: httpx.AsyncClient, app: FastAPI, connection: AsyncConnection, world: World, role: str,
) -> None:
    failures, checked = await _check_role(api, app, connection, world, role, api_key=True)
    assert not failures, f"{len(failures)} mismatch(es):\n" + "\n".join(failures)
    assert checked == len(documented_routes())
