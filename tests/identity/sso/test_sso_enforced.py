""""SSO enforced": password login is refused for the organization's email domains, and the
refusal says where to sign in instead."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from brain.identity.models import User
from brain.identity.passwords import hash_password
from brain.identity.sso import sso_enforced_for_email
from tests.factories import Tenant
from tests.identity.sso.conftest import SsoOrg, configure_sso, connection_body
from tests.identity.sso.flows import assert_signed_in, login
from tests.identity.sso.provider import IdpBrowser, OidcProvider

PASSWORD = "violet-Harbor-lantern-93"


async def _password_user(db: AsyncSession, email: str) -> User:
    user = User(email=email, name="Alice", password_hash=hash_password(PASSWORD),
                email_verified_at=datetime.now(UTC))
    db.add(user)
    await db.commit()
    return user


async def _password_login(web: httpx.AsyncClient, email: str) -> httpx.Response:
    response = await web.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
    if response.status_code in (404, 405):
        pytest.skip("the password login route is not there yet")
    return response


async def test_enforcement_lookup(
    web: httpx.AsyncClient, db: AsyncSession, tenant: Tenant, oidc_provider: OidcProvider
) -> None:
    org = await configure_sso(web, db, tenant, connection_body(oidc_provider))
    assert await sso_enforced_for_email(db, "alice@acme.test") is None  # not enforced yet
    await configure_sso(web, db, tenant, connection_body(oidc_provider, enforced=True))
    found = await sso_enforced_for_email(db, "Alice@ACME.test")
    assert found is not None
    assert found.organization_id == org.id
    assert await sso_enforced_for_email(db, "alice@acme.test.evil.example") is None
    assert await sso_enforced_for_email(db, "carol@other.test") is None
    await configure_sso(web, db, tenant,
                        connection_body(oidc_provider, enforced=True, enabled=False))
    assert await sso_enforced_for_email(db, "alice@acme.test") is None


async def test_password_login_is_refused_for_an_enforced_domain(
    web: httpx.AsyncClient, idp: IdpBrowser, db: AsyncSession, tenant: Tenant,
    oidc_provider: OidcProvider,
) -> None:
    await _password_user(db, "alice@acme.test")
    allowed = await _password_login(web, "alice@acme.test")
    assert allowed.status_code == 200, allowed.text
    web.cookies.clear()
    org: SsoOrg = await configure_sso(web, db, tenant,
                                      connection_body(oidc_provider, enforced=True))
    refused = await _password_login(web, "alice@acme.test")
    assert refused.status_code == 403, refused.text
    problem = refused.json()
    assert problem["type"].endswith("/sso-required")
    assert problem["sso_login_url"] == org.login_path
    assert "brain_session" not in refused.cookies
    # Where it points signs the user in (they were invited earlier: a member).
    from brain.organizations.models import Membership
    from tests.identity.sso.flows import user_by_email

    alice = await user_by_email(db, "alice@acme.test")
    assert alice is not None
    db.add(Membership(organization_id=org.id, user_id=alice.id, role="viewer"))
    await db.commit()
    assert_signed_in(await login(web, idp, problem["sso_login_url"], "alice"))


async def test_other_domains_keep_password_login(
    web: httpx.AsyncClient, db: AsyncSession, tenant: Tenant, oidc_provider: OidcProvider
) -> None:
    await configure_sso(web, db, tenant, connection_body(oidc_provider, enforced=True))
    await _password_user(db, "carol@other.test")
    response = await _password_login(web, "carol@other.test")
    assert response.status_code == 200, response.text
