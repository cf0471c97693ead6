"""API keys: shown once, stored as SHA-256 only, revocation effective at once (even with the
auth cache warm), last_used_at, and the role matrix of the key and organization routes."""

from __future__ import annotations

import hashlib
import uuid

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from brain.identity.models import ApiKey
from brain.organizations.permissions import Role
from tests.factories import Tenant, put_on_plan
from tests.platform.helpers import assert_problem, describe, raw_headers, system_view


async def _create(api: httpx.AsyncClient, tenant: Tenant, name: str = "ETL",
                  role: str = "viewer") -> httpx.Response:
    response = await api.post(tenant.path("/api-keys"), json={"name": name, "role": role},
                              headers=tenant.admin)
    assert response.status_code == 201, describe(response)
    return response


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_secret_is_shown_once(api: httpx.AsyncClient, tenant: Tenant) -> None:
    created = await _create(api, tenant, role="analyst")
    body = created.json()
    token = body["api_key"]
    assert token.startswith("brn_")
    assert len(token) >= 40
    assert body["prefix"] == token[:12]
    assert body["role"] == "analyst"
    assert created.headers["cache-control"] == "no-store"
    assert created.headers["location"] == tenant.path(f"/api-keys/{body['id']}")
    single = await api.get(created.headers["location"], headers=tenant.admin)
    listed = await api.get(tenant.path("/api-keys?limit=200"), headers=tenant.admin)
    for response in (single, listed):
        assert response.status_code == 200
        assert token not in response.text
        assert "api_key" not in response.text
    assert body["id"] in {k["id"] for k in listed.json()["data"]}


async def test_keys_are_stored_hashed(
    api: httpx.AsyncClient, tenant: Tenant, db: AsyncSession
) -> None:
    created = await _create(api, tenant)
    token = created.json()["api_key"]
    key_id = uuid.UUID(created.json()["id"])
    row = await (await system_view(db)).scalar(select(ApiKey).where(ApiKey.id == key_id))
    assert row is not None
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    stored = [str(getattr(row, c.key)) for c in ApiKey.__table__.columns]
    assert not [v for v in stored if token in v], "the plaintext key is stored"
    assert not [v for v in stored if token[12:30] in v], "part of the secret is stored"


async def test_the_new_key_works_with_its_role(api: httpx.AsyncClient, tenant: Tenant) -> None:
    token = (await _create(api, tenant, role="viewer")).json()["api_key"]
    assert (await api.get(tenant.path(), headers=_bearer(token))).status_code == 200
    assert_problem(await api.get(tenant.path("/api-keys"), headers=_bearer(token)), 403)


async def test_revoked_key_is_rejected_at_once_even_when_cached(
    api: httpx.AsyncClient, tenant: Tenant
) -> None:
    created = await _create(api, tenant, role="admin")
    token, key_id = created.json()["api_key"], created.json()["id"]
    # Warm the auth cache.
    for _ in range(3):
        assert (await api.get(tenant.path(), headers=_bearer(token))).status_code == 200
    revoked = await api.delete(tenant.path(f"/api-keys/{key_id}"), headers=tenant.admin)
    assert revoked.status_code == 204
    assert revoked.content == b""
    response = await api.get(tenant.path(), headers=_bearer(token))
    assert_problem(response, 401, "unauthorized")
    detail = await api.get(tenant.path(f"/api-keys/{key_id}"), headers=tenant.admin)
    assert detail.json()["revoked_at"] is not None
    # Revoking again is harmless.
    again = await api.delete(tenant.path(f"/api-keys/{key_id}"), headers=tenant.admin)
    assert again.status_code == 204


async def test_a_key_can_revoke_itself(api: httpx.AsyncClient, tenant: Tenant) -> None:
    created = await _create(api, tenant, role="admin")
    token, key_id = created.json()["api_key"], created.json()["id"]
    response = await api.delete(tenant.path(f"/api-keys/{key_id}"), headers=_bearer(token))
    assert response.status_code == 204
    assert_problem(await api.get(tenant.path(), headers=_bearer(token)), 401)


async def test_last_used_at_is_recorded(api: httpx.AsyncClient, tenant: Tenant) -> None:
    created = await _create(api, tenant)
    assert created.json()["last_used_at"] is None
    token, key_id = created.json()["api_key"], created.json()["id"]
    url = tenant.path(f"/api-keys/{key_id}")
    assert (await api.get(url, headers=tenant.admin)).json()["last_used_at"] is None
    assert (await api.get(tenant.path(), headers=_bearer(token))).status_code == 200
    used = (await api.get(url, headers=tenant.admin)).json()["last_used_at"]
    assert used is not None
    assert used.endswith("Z")
    assert used >= created.json()["created_at"]


@pytest.mark.parametrize(
    ("role", "read_org", "write_org", "manage_keys"),
    [
        (Role.viewer, 200, 403, 403),
        (Role.analyst, 200, 403, 403),
        (Role.admin, 200, 200, 200),
    ],
)
async def test_role_matrix(
    api: httpx.AsyncClient, tenant: Tenant, role: Role, read_org: int, write_org: int,
    manage_keys: int, session_factory: async_sessionmaker[AsyncSession],
) -> None:
    await put_on_plan(session_factory, tenant.id, "enterprise")  # custom retention
    headers = tenant.headers(role)
    assert (await api.get(tenant.path(), headers=headers)).status_code == read_org
    patch = await api.patch(tenant.path(), json={"data_retention_days": 365}, headers=headers)
    assert patch.status_code == write_org, describe(patch)
    listed = await api.get(tenant.path("/api-keys"), headers=headers)
    assert listed.status_code == manage_keys
    created = await api.post(tenant.path("/api-keys"), json={"name": "x"}, headers=headers)
    assert created.status_code == (201 if manage_keys == 200 else 403)
    key_id = (await api.get(tenant.path("/api-keys"), headers=tenant.admin)).json()["data"][0]["id"]
    single = await api.get(tenant.path(f"/api-keys/{key_id}"), headers=headers)
    assert single.status_code == manage_keys
    if manage_keys != 200:
        revoke = await api.delete(tenant.path(f"/api-keys/{key_id}"), headers=headers)
        assert_problem(revoke, 403)


@pytest.mark.parametrize("role", ["owner", "superuser", "ADMIN", ""])
async def test_unknown_roles_are_rejected(
    api: httpx.AsyncClient, tenant: Tenant, role: str
) -> None:
    response = await api.post(tenant.path("/api-keys"), json={"name": "x", "role": role},
                              headers=tenant.admin)
    body = assert_problem(response, 422)
    assert ["body", "role"] in [e["loc"] for e in body["errors"]]


async def test_default_role_is_viewer(api: httpx.AsyncClient, tenant: Tenant) -> None:
    response = await api.post(tenant.path("/api-keys"), json={"name": "x"}, headers=tenant.admin)
    assert response.json()["role"] == "viewer"


@pytest.mark.parametrize(
    "token",
    ["brn_" + "x" * 300, "sk_live_123", "brn_", "brn_\u00e9"],
    ids=["too-long", "wrong-prefix", "prefix-only", "non-ascii"],
)
async def test_malformed_tokens_are_401(
    api: httpx.AsyncClient, tenant: Tenant, token: str
) -> None:
    headers = raw_headers({}, authorization=f"Bearer {token}".encode())
    response = await api.get(tenant.path(), headers=headers)
    assert_problem(response, 401)
