"""Managing an organization's SSO connection: GET/PUT/DELETE /organizations/{org_id}/sso and
the discovery checklist of POST …/sso/test. (401/403/cross-tenant 404 for these routes come
from the platform route walker.)"""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from brain.audit.models import AuditEvent
from brain.core.runtime import Runtime
from brain.organizations.models import SsoConnection
from brain.organizations.permissions import Role
from tests.factories import Tenant
from tests.identity.sso.conftest import (
    SSO_CALLBACK,
    SSO_CLIENT,
    configure_sso,
    connection_body,
)
from tests.identity.sso.flows import error_of, login
from tests.identity.sso.provider import IdpBrowser, OidcProvider

SECRET = SSO_CLIENT["client_secret"]


async def _row(db: AsyncSession, tenant: Tenant) -> SsoConnection | None:
    row: SsoConnection | None = await db.scalar(
        select(SsoConnection).where(SsoConnection.organization_id == tenant.id)
    )
    return row


async def _audit(db: AsyncSession, tenant: Tenant) -> list[AuditEvent]:
    stmt = (select(AuditEvent)
            .where(AuditEvent.organization_id == tenant.id,
                   AuditEvent.action.like("sso.connection.%"))
            .order_by(AuditEvent.created_at, AuditEvent.id))
    return list((await db.scalars(stmt)).all())


async def test_create_read_update_delete(
    web: httpx.AsyncClient, tenant: Tenant, db: AsyncSession, oidc_provider: OidcProvider,
    sso_runtime: Runtime,
) -> None:
    url = tenant.path("/sso")
    assert (await web.get(url, headers=tenant.admin)).status_code == 404
    created = await web.put(url, json=connection_body(oidc_provider), headers=tenant.admin)
    assert created.status_code == 201, created.text
    body = created.json()
    assert SECRET not in created.text
    assert "client_secret" not in body
    assert body["has_client_secret"] is True
    assert body["issuer"] == oidc_provider.issuer
    assert body["allowed_domains"] == ["acme.test"]
    assert body["role_mapping"]["founders"] == "owner"
    assert body["redirect_uri"] == SSO_CALLBACK
    assert body["login_url"] == "/api/v1/auth/sso/tenant-a/login"
    assert created.headers["location"] == url

    row = await _row(db, tenant)
    assert row is not None
    assert SECRET not in row.client_secret_encrypted
    assert sso_runtime.keys.decrypt(row.client_secret_encrypted,
                                    context=f"sso_connections:{tenant.id}") == SECRET

    read = await web.get(url, headers=tenant.admin)
    assert read.status_code == 200
    assert read.json() == body
    etag = read.headers["etag"]
    assert created.headers["etag"] == etag

    # Replace without a secret: the stored one stays.
    changed = connection_body(oidc_provider, enforced=True, allowed_domains=["acme.test",
                                                                            "ACME.example"])
    del changed["client_secret"]
    updated = await web.put(url, json=changed, headers={**tenant.admin, "If-Match": etag})
    assert updated.status_code == 200, updated.text
    assert updated.json()["allowed_domains"] == ["acme.example", "acme.test"]
    assert updated.json()["enforced"] is True
    await db.refresh(row)
    assert sso_runtime.keys.decrypt(row.client_secret_encrypted,
                                    context=f"sso_connections:{tenant.id}") == SECRET

    stale = await web.put(url, json=changed, headers={**tenant.admin, "If-Match": etag})
    assert stale.status_code == 412
    stale_delete = await web.delete(url, headers={**tenant.admin, "If-Match": etag})
    assert stale_delete.status_code == 412
    deleted = await web.delete(url, headers={**tenant.admin,
                                             "If-Match": updated.headers["etag"]})
    assert deleted.status_code == 204
    assert (await web.get(url, headers=tenant.admin)).status_code == 404
    assert (await web.delete(url, headers=tenant.admin)).status_code == 404

    events = await _audit(db, tenant)
    assert [e.action for e in events] == [
        "sso.connection.create", "sso.connection.update", "sso.connection.delete"]
    assert events[0].details["client_secret_changed"] is True
    assert events[1].details == {"changed": ["allowed_domains", "enforced"],
                                 "client_secret_changed": False, "enforced": True,
                                 "enabled": True}
    assert all(SECRET not in str(e.details) for e in events)


async def test_the_secret_is_required_to_create_and_never_returned(
    web: httpx.AsyncClient, tenant: Tenant, oidc_provider: OidcProvider
) -> None:
    body = connection_body(oidc_provider)
    del body["client_secret"]
    response = await web.put(tenant.path("/sso"), json=body, headers=tenant.admin)
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["body", "client_secret"]
    created = await web.put(tenant.path("/sso"), json=connection_body(oidc_provider),
                            headers=tenant.admin)
    for response in (created, await web.get(tenant.path("/sso"), headers=tenant.admin)):
        assert SECRET not in response.text


async def test_if_match_on_a_missing_connection(
    web: httpx.AsyncClient, tenant: Tenant, oidc_provider: OidcProvider
) -> None:
    response = await web.put(tenant.path("/sso"), json=connection_body(oidc_provider),
                             headers={**tenant.admin, "If-Match": '"abc"'})
    assert response.status_code == 412


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"default_role": "owner"}, "default_role"),
        ({"allowed_domains": ["gmail.com"]}, "allowed_domains"),
        ({"allowed_domains": ["not a domain"]}, "allowed_domains"),
        ({"issuer": "ftp://idp.example"}, "issuer"),
        ({"issuer": "https://idp.example/?tenant=1"}, "issuer"),
        ({"role_mapping": {"x": "superuser"}}, "role_mapping"),
        ({"role_claim": "bad claim!"}, "role_claim"),
        ({"client_secret": ""}, "client_secret"),
        ({"unknown": True}, "unknown"),
    ],
)
async def test_invalid_connections(
    web: httpx.AsyncClient, tenant: Tenant, oidc_provider: OidcProvider,
    changes: dict[str, object], field: str,
) -> None:
    body = connection_body(oidc_provider, **changes)
    response = await web.put(tenant.path("/sso"), json=body, headers=tenant.admin)
    assert response.status_code == 422, response.text
    assert field in {str(e["loc"][1]) for e in response.json()["errors"]}


@pytest.mark.parametrize(
    "changes", [{"role_claim": None}, {"allowed_domains": [], "enforced": True}]
)
async def test_rules_across_fields(
    web: httpx.AsyncClient, tenant: Tenant, oidc_provider: OidcProvider,
    changes: dict[str, object],
) -> None:
    """A mapping needs its claim; enforcement needs domains."""
    body = connection_body(oidc_provider, **changes)
    response = await web.put(tenant.path("/sso"), json=body, headers=tenant.admin)
    assert response.status_code == 422


async def test_a_connection_without_domains_signs_nobody_in(
    web: httpx.AsyncClient, idp: IdpBrowser, db: AsyncSession, tenant: Tenant,
    oidc_provider: OidcProvider,
) -> None:
    """Set up the provider first (and test it), add the domains afterwards."""
    org = await configure_sso(web, db, tenant, connection_body(oidc_provider,
                                                               allowed_domains=[]))
    assert org.connection["allowed_domains"] == []
    response = await login(web, idp, org.login_path, "alice")
    assert error_of(response) == "domain-not-allowed"


async def test_a_domain_belongs_to_one_organization(
    web: httpx.AsyncClient, tenant: Tenant, other_tenant: Tenant, oidc_provider: OidcProvider
) -> None:
    first = await web.put(tenant.path("/sso"), json=connection_body(oidc_provider),
                          headers=tenant.admin)
    assert first.status_code == 201
    second = await web.put(other_tenant.path("/sso"), json=connection_body(oidc_provider),
                           headers=other_tenant.admin)
    assert second.status_code == 409
    assert "acme.test" in second.json()["detail"]
    # A disabled connection claims nothing.
    disabled = connection_body(oidc_provider, enabled=False)
    assert (await web.put(other_tenant.path("/sso"), json=disabled,
                          headers=other_tenant.admin)).status_code == 201


async def test_only_admins_manage_sso(
    web: httpx.AsyncClient, tenant: Tenant, oidc_provider: OidcProvider
) -> None:
    for role in (Role.viewer, Role.analyst):
        response = await web.get(tenant.path("/sso"), headers=tenant.headers(role))
        assert response.status_code == 403
        assert response.json()["required_permission"] == "sso:manage"


async def test_the_checklist_of_a_working_provider(
    web: httpx.AsyncClient, tenant: Tenant, oidc_provider: OidcProvider
) -> None:
    await web.put(tenant.path("/sso"), json=connection_body(oidc_provider),
                  headers=tenant.admin)
    response = await web.post(tenant.path("/sso/test"), headers=tenant.admin)
    assert response.status_code == 200, response.text
    result = response.json()
    statuses = {c["name"]: c["status"] for c in result["checks"]}
    assert result["ok"] is True, result
    assert statuses == {
        "client_secret": "pass", "discovery": "pass", "issuer": "pass", "endpoints": "pass",
        "code_flow": "pass", "pkce": "pass", "id_token_signing": "pass",
        "client_authentication": "pass", "scopes": "pass", "jwks": "pass",
    }
    assert result["redirect_uri"] == SSO_CALLBACK
    assert SECRET not in response.text


async def test_the_checklist_of_an_unreachable_provider(
    web: httpx.AsyncClient, tenant: Tenant, oidc_provider: OidcProvider
) -> None:
    body = connection_body(oidc_provider, issuer="http://127.0.0.1:9")
    await web.put(tenant.path("/sso"), json=body, headers=tenant.admin)
    response = await web.post(tenant.path("/sso/test"), headers=tenant.admin)
    assert response.status_code == 200
    result = response.json()
    assert result["ok"] is False
    statuses = {c["name"]: c["status"] for c in result["checks"]}
    assert statuses == {"client_secret": "pass", "discovery": "fail", "jwks": "skip"}


def _mock_idp(documents: dict[str, httpx.Response]) -> httpx.MockTransport:
    def handler(request: httpx.Request) -> httpx.Response:
        return documents.get(request.url.path, httpx.Response(404))

    return httpx.MockTransport(handler)


@pytest.mark.parametrize(
    ("documents", "failed"),
    [
        ({"/.well-known/openid-configuration": httpx.Response(500)}, "discovery"),
        ({"/.well-known/openid-configuration": httpx.Response(200, text="<html>hi</html>")},
         "discovery"),
        ({"/.well-known/openid-configuration": httpx.Response(200, json=["not", "a", "dict"])},
         "discovery"),
        ({"/.well-known/openid-configuration": httpx.Response(200, json={"issuer": "x"})},
         "discovery"),
        ({"/.well-known/openid-configuration": httpx.Response(200, json={
            "issuer": "https://impostor.example", "authorization_endpoint": "https://a/x",
            "token_endpoint": "https://a/t", "jwks_uri": "https://idp.example/jwks"}),
          "/jwks": httpx.Response(200, json={"keys": []})}, "issuer"),
        ({"/.well-known/openid-configuration": httpx.Response(200, json={
            "issuer": "https://idp.example", "authorization_endpoint": "https://a/x",
            "token_endpoint": "https://a/t", "jwks_uri": "https://idp.example/jwks",
            "id_token_signing_alg_values_supported": ["HS256"],
            "token_endpoint_auth_methods_supported": ["private_key_jwt"],
            "response_types_supported": ["id_token"]}),
          "/jwks": httpx.Response(200, text="nope")}, "jwks"),
    ],
)
async def test_a_broken_provider_is_a_failed_check_never_an_error(
    sso_app: FastAPI, web: httpx.AsyncClient, tenant: Tenant, oidc_provider: OidcProvider,
    documents: dict[str, httpx.Response], failed: str,
) -> None:
    body = connection_body(oidc_provider, issuer="https://idp.example")
    assert (await web.put(tenant.path("/sso"), json=body, headers=tenant.admin)).is_success
    sso_app.state.oidc_transport = _mock_idp(documents)
    response = await web.post(tenant.path("/sso/test"), headers=tenant.admin)
    assert response.status_code == 200, response.text
    result = response.json()
    assert result["ok"] is False
    assert {c["name"]: c["status"] for c in result["checks"]}[failed] == "fail"


async def test_testing_needs_a_connection(web: httpx.AsyncClient, tenant: Tenant) -> None:
    response = await web.post(tenant.path("/sso/test"), headers=tenant.admin)
    assert response.status_code == 404
