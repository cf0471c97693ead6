"""The generic route walker: every operation under /api/v1/organizations/{org_id} is called
without credentials (401), with each role that lacks its permission (403), and across tenants
(404), with a valid request built from the spec. A route the walker cannot call fails it."""

from __future__ import annotations

import re
import uuid
from collections import Counter
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from brain.identity.models import ApiKey
from brain.organizations.models import Organization
from brain.organizations.permissions import Permission, Role, permissions_for
from brain.warehouse.models import (
    AdSet,
    Campaign,
    Channel,
    Creative,
    Customer,
    DailyMetric,
    ImportJob,
    Order,
)
from tests.platform.helpers import describe, problem_violations, system_view
from tests.platform.openapi_walk import (
    Operation,
    RequestBuilder,
    WalkerError,
    spec_operations,
    tenant_operations,
    tenant_routes_missing_from_spec,
)
from tests.platform.tenant_objects import PATH_PARAMETERS, TenantObjects, World

# Operations anyone may call; every other operation must declare the ApiKey scheme.
# Reads anyone may make; then the sign-up, login and recovery steps that come before a
# credential exists (each proves itself with a token, a password or a provider's answer).
PUBLIC_READS = {"healthz", "readyz", "get_problem_type", "list_social_providers"}
PUBLIC_OPERATIONS = PUBLIC_READS | {
    "register",
    "verify_email",
    "login",
    "complete_mfa_challenge",
    "start_passkey_mfa",
    "finish_passkey_mfa",
    "start_passkey_login",
    "finish_passkey_login",
    "discover_sso",
    "request_password_reset",
    "reset_password",
    "accept_invite",
    "start_sso_login",
    "finish_sso_login",
    "start_social_login",
    "finish_social_login",
    # Stripe authenticates its deliveries with the Stripe-Signature header.
    "receive_stripe_webhook",
    # Providers authenticate inbound webhooks with their signature headers (HubSpot v3,
    # Shopify HMAC, Stripe-Signature, Standard Webhooks).
    "receive_inbound_webhook",
}
SELF_SERVICE_WRITES = {"leave_organization", "dismiss_onboarding"}
# Roles from the least to the most privileged.
ROLES_BY_PRIVILEGE = (Role.viewer, Role.analyst, Role.admin)
SNAKE_CASE = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")


def _operations(app: FastAPI) -> list[Operation]:
    operations = tenant_operations(app)
    assert operations, "no operation under /api/v1/organizations/{org_id} in the spec"
    return operations


async def _send(
    client: httpx.AsyncClient,
    builder: RequestBuilder,
    operation: Operation,
    *,
    headers: dict[str, str],
    path_ids: dict[str, str] | None = None,
) -> httpx.Response:
    plan = builder.build(operation, path_ids)
    return await client.request(
        plan.method, plan.url, headers={**plan.headers, **headers}, **plan.kwargs()
    )


def _report(failures: list[str]) -> str:
    return f"{len(failures)} failure(s):\n" + "\n".join(failures)


def test_every_tenant_route_is_walkable(app: FastAPI) -> None:
    """No silent skips: each tenant route is in the spec, guarded by `require()`, and the walker
    can build a valid request for it."""
    failures = [f"{r}: served but not in the OpenAPI spec" for r in
                tenant_routes_missing_from_spec(app)]
    ids = {name: str(uuid.uuid4()) for name in PATH_PARAMETERS}
    builder = RequestBuilder(app.openapi(), ids)
    for operation in _operations(app):
        if not operation.permissions:
            failures.append(f"{operation}: no require(permission) dependency")
        try:
            builder.build(operation)
        except WalkerError as exc:
            failures.append(str(exc))
    assert not failures, _report(failures)


def test_openapi_declares_security_and_operation_ids(app: FastAPI) -> None:
    spec = app.openapi()
    assert spec["components"]["securitySchemes"]["ApiKey"]["scheme"] == "bearer"
    operation_ids: list[str] = []
    failures: list[str] = []
    for method, path, operation in spec_operations(spec):
        operation_id = operation.get("operationId")
        where = f"{method} {path}"
        if not isinstance(operation_id, str) or not SNAKE_CASE.match(operation_id):
            failures.append(f"{where}: operationId {operation_id!r} is not snake_case")
            continue
        operation_ids.append(operation_id)
        if operation_id in PUBLIC_OPERATIONS:
            if path.startswith("/api/v1/organizations"):
                failures.append(f"{where}: public operations live outside tenants")
            if operation_id in PUBLIC_READS and method != "GET":
                failures.append(f"{where}: expected a read")
            if "security" in operation:
                failures.append(f"{where}: a public operation declares security")
            continue
        if operation.get("security") != [{"ApiKey": []}, {"Session": []}]:
            failures.append(f"{where}: does not declare the ApiKey and Session schemes")
        for status in ("401", "403", "404", "422"):
            content = operation.get("responses", {}).get(status, {}).get("content", {})
            if "application/problem+json" not in content:
                failures.append(f"{where}: {status} not documented as problem details")
    duplicates = [i for i, n in Counter(operation_ids).items() if n > 1]
    assert not duplicates, f"operationIds used twice: {duplicates}"
    assert set(operation_ids) >= PUBLIC_OPERATIONS
    assert not failures, _report(failures)


async def test_public_operations_need_no_credentials(api: httpx.AsyncClient) -> None:
    for url in ("/api/v1/healthz", "/api/v1/readyz", "/api/v1/problems/not-found"):
        response = await api.get(url)
        assert response.status_code == 200, describe(response)


async def test_no_credentials_is_401(
    app: FastAPI, api: httpx.AsyncClient, world: World
) -> None:
    builder = RequestBuilder(app.openapi(), world.a.ids)
    stranger_ids = {**world.a.ids, "org_id": str(uuid.uuid4())}
    credentials: list[dict[str, str]] = [
        {},
        {"Authorization": "Bearer brn_not-a-real-key"},
        {"Authorization": "Bearer "},
        {"Authorization": f"Basic {world.a.tenant.tokens[Role.admin]}"},
    ]
    failures: list[str] = []
    for operation in _operations(app):
        for headers in credentials:
            for path_ids in (world.a.ids, stranger_ids):
                response = await _send(api, builder, operation, headers=headers,
                                       path_ids=path_ids)
                failures += problem_violations(response, 401, "unauthorized")
                if not response.headers.get("www-authenticate", "").startswith("Bearer"):
                    failures.append(f"{describe(response)}: no WWW-Authenticate: Bearer")
    assert not failures, _report(failures)


async def test_role_lacking_the_permission_is_403(
    app: FastAPI, api: httpx.AsyncClient, world: World
) -> None:
    builder = RequestBuilder(app.openapi(), world.a.ids)
    failures: list[str] = []
    checked = 0
    for operation in _operations(app):
        lacking = [r for r in ROLES_BY_PRIVILEGE if not operation.permissions <= permissions_for(r)]
        if not lacking:
            # Every role may call it: only reads are open to viewers, and the self-service
            # writes a member makes about their own membership (API keys get 403 there).
            if operation.method != "GET" and operation.operation_id not in SELF_SERVICE_WRITES:
                failures.append(f"{operation}: every role may call a write")
            continue
        for role in lacking:
            response = await _send(api, builder, operation, headers=world.a.tenant.headers(role))
            violations = problem_violations(response, 403, "forbidden")
            failures += violations
            if not violations:
                checked += 1
                required = response.json().get("required_permission")
                if required not in {p.value for p in operation.permissions}:
                    failures.append(f"{describe(response)}: required_permission {required!r}")
    assert not failures, _report(failures)
    assert checked, "no route needs more than a viewer may do"


def test_viewers_may_only_read() -> None:
    """The role matrix of the contract: viewer reads; analyst writes data; admin manages;
    only the owner handles billing and deletes the organization."""
    viewer = permissions_for(Role.viewer)
    assert all(p.value.endswith(":read") for p in viewer)
    assert permissions_for(Role.analyst) - viewer == {
        Permission.data_write, Permission.imports_write, Permission.brain_run}
    assert set(Permission) - permissions_for(Role.admin) == {
        Permission.billing_manage, Permission.organization_delete}
    assert permissions_for(Role.owner) == set(Permission)


async def test_another_tenants_organization_is_404(
    app: FastAPI, api: httpx.AsyncClient, world: World
) -> None:
    """Tenant A's admin key on tenant B's organization: 404, whichever object ids follow."""
    builder = RequestBuilder(app.openapi(), world.a.ids)
    b_org_a_objects = {**world.a.ids, "org_id": world.b.ids["org_id"]}
    failures: list[str] = []
    for operation in _operations(app):
        for path_ids in (world.b.ids, b_org_a_objects):
            response = await _send(api, builder, operation, headers=world.a.tenant.admin,
                                   path_ids=path_ids)
            failures += problem_violations(response, 404, "not-found")
    assert not failures, _report(failures)
    await _assert_tenant_untouched(api, world.b)


async def test_another_tenants_objects_are_404(
    app: FastAPI, api: httpx.AsyncClient, world: World, db: AsyncSession
) -> None:
    """Tenant A's admin key, A's organization, B's object ids in the path: 404."""
    builder = RequestBuilder(app.openapi(), world.a.ids)
    a_org_b_objects = {**world.b.ids, "org_id": world.a.ids["org_id"]}
    failures: list[str] = []
    with_objects = [op for op in _operations(app) if op.object_params]
    assert with_objects, "no route addresses a single object"
    # Writes last, so a leaking delete cannot hide a leaking read.
    with_objects.sort(key=lambda op: op.method == "DELETE")
    for operation in with_objects:
        response = await _send(api, builder, operation, headers=world.a.tenant.admin,
                               path_ids=a_org_b_objects)
        failures += problem_violations(response, 404, "not-found")
    assert not failures, _report(failures)
    await _assert_tenant_untouched(api, world.b)
    await _assert_rows_untouched(db, world.b)


async def test_lists_never_show_another_tenants_objects(
    app: FastAPI, api: httpx.AsyncClient, world: World
) -> None:
    """Collections of A hold none of B's ids or names, even filtered by B's ids."""
    builder = RequestBuilder(app.openapi(), world.a.ids)
    leaks = [*world.b.ids.values(), *world.b.names, world.b.tenant.name]
    failures: list[str] = []
    for operation in _operations(app):
        if operation.method != "GET" or operation.object_params:
            continue
        plan = builder.build(operation)
        filters = [
            p["name"] for p in operation.spec.get("parameters", [])
            if p.get("in") == "query" and p["name"] in world.b.ids
        ]
        attempts = [dict(plan.params)] + [{**plan.params, f: world.b.ids[f]} for f in filters]
        for params in attempts:
            response = await api.get(plan.url, params=params, headers=world.a.tenant.admin)
            if response.status_code not in (200, 404, 422):
                failures.append(f"unexpected status: {describe(response)}")
            leaked = [value for value in leaks if value in response.text]
            if leaked:
                failures.append(f"{describe(response)}: shows tenant B's {leaked}")
    assert not failures, _report(failures)


async def test_body_references_to_another_tenants_objects_are_rejected(
    app: FastAPI, api: httpx.AsyncClient, world: World
) -> None:
    """A write of tenant A that points at B's objects in its body is a 404 or 422, never 2xx."""
    builder_a = RequestBuilder(app.openapi(), world.a.ids)
    builder_b = RequestBuilder(app.openapi(), world.b.ids)
    failures: list[str] = []
    checked: list[str] = []
    for operation in _operations(app):
        if operation.method not in ("POST", "PUT", "PATCH"):
            continue
        plan = builder_b.build(operation, path_ids=world.a.ids)
        if not plan.body_ids:
            continue
        checked.append(operation.operation_id)
        response = await api.request(
            plan.method, plan.url, headers={**plan.headers, **world.a.tenant.admin},
            **plan.kwargs(),
        )
        if response.status_code not in (404, 422):
            failures.append(f"references to B accepted: {describe(response)}")
        else:
            failures += problem_violations(response, response.status_code)
        # Control: the same request pointing at A's own objects is accepted, so the
        # rejection above was about the references.
        own = builder_a.build(operation)
        control = await api.request(
            own.method, own.url, headers={**own.headers, **world.a.tenant.admin},
            **own.kwargs(),
        )
        if not control.is_success:
            failures.append(f"the walker's own request is refused: {describe(control)}")
    assert not failures, _report(failures)
    writes_with_refs = [
        op for op in _operations(app)
        if op.method in ("POST", "PATCH") and Permission.data_write in op.permissions
    ]
    assert checked or not writes_with_refs, "no write carries a reference to check"


async def _assert_tenant_untouched(api: httpx.AsyncClient, objects: TenantObjects) -> None:
    """B's own admin still works and still sees B's organization and keys."""
    tenant = objects.tenant
    response = await api.get(tenant.path(), headers=tenant.admin)
    assert response.status_code == 200, describe(response)
    assert response.json()["name"] == tenant.name
    response = await api.get(tenant.path(f"/api-keys/{objects.ids['key_id']}"),
                             headers=tenant.admin)
    assert response.status_code == 200, describe(response)
    assert response.json()["revoked_at"] is None


async def _assert_rows_untouched(session: AsyncSession, objects: TenantObjects) -> None:
    """Every object of B still exists, undeleted, under B's organization."""
    models: dict[str, type[Any]] = {
        "org_id": Organization, "key_id": ApiKey, "channel_id": Channel,
        "campaign_id": Campaign, "ad_set_id": AdSet, "creative_id": Creative,
        "metric_id": DailyMetric, "customer_id": Customer, "order_id": Order,
        "import_id": ImportJob,
    }
    await system_view(session)
    for name, model in models.items():
        row = await session.scalar(
            select(model).where(model.id == uuid.UUID(objects.ids[name]))
        )
        assert row is not None, f"tenant B's {name} is gone"
        assert getattr(row, "deleted_at", None) is None, f"tenant B's {name} was deleted"
        owner = row.id if name == "org_id" else row.organization_id
        assert str(owner) == objects.ids["org_id"], f"tenant B's {name} changed owner"
