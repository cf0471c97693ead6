"""ETags on every GET (single objects and lists), conditional GETs answered with 304, the
default Cache-Control, and If-Match on every write to a single object."""

from __future__ import annotations

import re

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from brain.organizations.permissions import Role, permissions_for
from tests.factories import Tenant, make_member_session, put_on_plan
from tests.platform.helpers import assert_problem, describe, problem_violations
from tests.platform.openapi_walk import RequestBuilder, tenant_operations
from tests.platform.tenant_objects import World

CACHE_CONTROL = "private, no-cache"


async def _get(api: httpx.AsyncClient, url: str, tenant: Tenant, **headers: str) -> httpx.Response:
    return await api.get(url, headers={**tenant.admin, **headers})


@pytest.mark.parametrize("path", ["", "/api-keys", "/api-keys?limit=1"])
async def test_gets_carry_a_strong_etag_and_cache_control(
    api: httpx.AsyncClient, tenant: Tenant, path: str
) -> None:
    response = await _get(api, tenant.path(path), tenant)
    assert response.status_code == 200, describe(response)
    etag = response.headers["etag"]
    assert re.fullmatch(r'"[^"]+"', etag), etag
    assert response.headers["cache-control"] == CACHE_CONTROL
    again = await _get(api, tenant.path(path), tenant)
    assert again.headers["etag"] == etag, "the same representation changed its ETag"


async def test_single_object_get_has_an_etag(api: httpx.AsyncClient, tenant: Tenant) -> None:
    keys = await _get(api, tenant.path("/api-keys"), tenant)
    key_id = keys.json()["data"][0]["id"]
    response = await _get(api, tenant.path(f"/api-keys/{key_id}"), tenant)
    assert response.headers["etag"]
    assert response.headers["cache-control"] == CACHE_CONTROL


@pytest.mark.parametrize(
    "form",
    ["{etag}", "W/{etag}", "*", '"nope", {etag}', '"a",W/{etag} ,"b"'],
)
@pytest.mark.parametrize("path", ["", "/api-keys"])
async def test_if_none_match_gives_304_without_body(
    api: httpx.AsyncClient, tenant: Tenant, form: str, path: str
) -> None:
    first = await _get(api, tenant.path(path), tenant)
    etag = first.headers["etag"]
    response = await _get(api, tenant.path(path), tenant,
                          **{"If-None-Match": form.format(etag=etag)})
    assert response.status_code == 304, describe(response)
    assert response.content == b""
    assert response.headers["etag"] == etag
    assert response.headers["cache-control"] == CACHE_CONTROL
    assert "content-type" not in response.headers


@pytest.mark.parametrize("header", ['"0123"', 'W/"0123"', '"", ""'])
async def test_if_none_match_mismatch_gives_200(
    api: httpx.AsyncClient, tenant: Tenant, header: str
) -> None:
    response = await _get(api, tenant.path(), tenant, **{"If-None-Match": header})
    assert response.status_code == 200
    assert response.json()["id"] == str(tenant.id)


async def test_list_etag_changes_when_the_list_changes(
    api: httpx.AsyncClient, tenant: Tenant
) -> None:
    before = await _get(api, tenant.path("/api-keys"), tenant)
    created = await api.post(tenant.path("/api-keys"), json={"name": "etag"}, headers=tenant.admin)
    assert created.status_code == 201
    stale = await _get(api, tenant.path("/api-keys"), tenant,
                       **{"If-None-Match": before.headers["etag"]})
    assert stale.status_code == 200
    assert stale.headers["etag"] != before.headers["etag"]


async def test_errors_carry_no_etag(api: httpx.AsyncClient, tenant: Tenant) -> None:
    response = await api.get(tenant.path(), headers={"If-None-Match": "*"})
    assert_problem(response, 401)
    assert "etag" not in response.headers


async def test_if_match_on_patch(
    api: httpx.AsyncClient, tenant: Tenant, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    await put_on_plan(session_factory, tenant.id, "enterprise")  # custom retention
    first = await _get(api, tenant.path(), tenant)
    etag = first.headers["etag"]
    updated = await api.patch(tenant.path(), json={"name": "Renamed once"},
                              headers={**tenant.admin, "If-Match": etag})
    assert updated.status_code == 200, describe(updated)
    assert updated.json()["name"] == "Renamed once"
    new_etag = updated.headers["etag"]
    assert new_etag != etag
    # The ETag of the PATCH response is the one a GET now returns.
    assert (await _get(api, tenant.path(), tenant)).headers["etag"] == new_etag
    stale = await api.patch(tenant.path(), json={"name": "Lost update"},
                            headers={**tenant.admin, "If-Match": etag})
    assert_problem(stale, 412, "precondition-failed")
    assert (await _get(api, tenant.path(), tenant)).json()["name"] == "Renamed once"
    listed = await api.patch(tenant.path(), json={"data_retention_days": 90},
                             headers={**tenant.admin, "If-Match": f'"x", {new_etag}'})
    assert listed.status_code == 200, describe(listed)
    star = await api.patch(tenant.path(), json={"data_retention_days": 120},
                           headers={**tenant.admin, "If-Match": "*"})
    assert star.status_code == 200, describe(star)
    assert star.json()["data_retention_days"] == 120
    unconditional = await api.patch(tenant.path(), json={"name": "No precondition"},
                                    headers=tenant.admin)
    assert unconditional.status_code == 200


async def test_if_match_is_checked_after_permissions(
    api: httpx.AsyncClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    """A stale If-Match reveals nothing to someone who may not write, or not see, the object."""
    viewer = await api.patch(tenant.path(), json={"name": "x"},
                             headers={**tenant.viewer, "If-Match": '"stale"'})
    assert_problem(viewer, 403)
    other = await api.patch(other_tenant.path(), json={"name": "x"},
                            headers={**tenant.admin, "If-Match": '"stale"'})
    assert_problem(other, 404)


async def test_every_write_to_an_object_honours_if_match(
    app: FastAPI,
    api: httpx.AsyncClient,
    world: World,
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    """Walks every PATCH/PUT/DELETE of a single object: it declares If-Match, a stale one is
    a 412, and the object is unchanged afterwards."""
    builder = RequestBuilder(app.openapi(), world.a.ids)
    admin = world.a.tenant.admin
    # Writes no API key may make (owner-only permissions) run as the organization's owner.
    owner = await make_member_session(session_factory, world.a.tenant.id, "owner")
    failures: list[str] = []
    writes = [op for op in tenant_operations(app) if op.method in ("PATCH", "PUT", "DELETE")]
    assert writes
    for operation in writes:
        headers = owner if not operation.permissions <= permissions_for(Role.admin) else admin
        declared = {
            str(p.get("name", "")).lower() for p in operation.spec.get("parameters", [])
            if p.get("in") == "header"
        }
        if "if-match" not in declared:
            failures.append(f"{operation}: If-Match is not declared")
        plan = builder.build(operation)
        before = await api.get(plan.url, headers=headers)
        assert before.status_code == 200, describe(before)
        response = await api.request(
            plan.method, plan.url, headers={**plan.headers, **headers, "If-Match": '"stale"'},
            **plan.kwargs(),
        )
        failures += problem_violations(response, 412, "precondition-failed")
        after = await api.get(plan.url, headers=headers)
        if after.status_code != 200 or after.headers["etag"] != before.headers["etag"]:
            failures.append(f"{operation}: changed despite the stale If-Match")
    assert not failures, "\n".join(failures)


async def test_delete_with_the_current_etag(api: httpx.AsyncClient, tenant: Tenant) -> None:
    created = await api.post(tenant.path("/api-keys"), json={"name": "to revoke"},
                             headers=tenant.admin)
    url = created.headers["location"]
    current = (await api.get(url, headers=tenant.admin)).headers["etag"]
    response = await api.delete(url, headers={**tenant.admin, "If-Match": current})
    assert response.status_code == 204, describe(response)
    assert (await api.get(url, headers=tenant.admin)).json()["revoked_at"] is not None
