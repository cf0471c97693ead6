"""Social login for individuals, with the real OpenID provider standing in for Google and
Microsoft (issuer overrides in Settings): accounts without an organization, linking only on
a verified email, and the same checks as organization SSO."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from brain.identity.models import User
from brain.identity.passwords import hash_password
from brain.identity.sessions import SESSION_COOKIE
from tests.factories import Tenant
from tests.identity.sso.conftest import (
    GOOGLE_CLIENT,
    PUBLIC_URL,
    SsoOrg,
    configure_sso,
    connection_body,
)
from tests.identity.sso.flows import (
    assert_signed_in,
    audit_events,
    authorization_params,
    error_of,
    identities,
    login,
    memberships,
    sessions_of,
    start,
    user_by_email,
)
from tests.identity.sso.provider import IdpBrowser, OidcProvider

GOOGLE = "/api/v1/auth/social/google/login"
MICROSOFT = "/api/v1/auth/social/microsoft/login"
LOGIN = "auth.social.login"


async def test_the_providers_on_offer(web: httpx.AsyncClient) -> None:
    response = await web.get("/api/v1/auth/social")
    assert response.status_code == 200
    assert response.json() == {"providers": [
        {"name": "google", "login_url": GOOGLE},
        {"name": "microsoft", "login_url": MICROSOFT},
    ]}


async def test_a_new_person_gets_an_account_without_organization(
    web: httpx.AsyncClient, idp: IdpBrowser, db: AsyncSession, oidc_provider: OidcProvider
) -> None:
    response = await login(web, idp, GOOGLE, "pat", next="/welcome")
    assert_signed_in(response, "/welcome")
    user = await user_by_email(db, "pat@example.org")
    assert user is not None
    assert user.name == "Pat Park"
    assert user.password_hash is None
    assert user.email_verified_at is not None
    assert user.default_organization_id is None
    assert await memberships(db, user.id) == []
    [link] = await identities(db, user.id)
    assert (link.issuer, link.subject, link.source) == (oidc_provider.issuer, "pat",
                                                        "social:google")
    [session] = await sessions_of(db, user.id)
    assert session.method == "social"
    [event] = await audit_events(db, LOGIN)
    assert (event.outcome, event.actor_id, event.organization_id) == ("success", user.id, None)
    assert event.details == {"provider": "google", "account": "created",
                             "mfa_required": False}


async def test_the_google_authorization_request(
    web: httpx.AsyncClient, oidc_provider: OidcProvider
) -> None:
    url = await start(web, GOOGLE)
    assert url.startswith(oidc_provider.issuer + "/auth?")
    params = authorization_params(url)
    assert params["client_id"] == GOOGLE_CLIENT["client_id"]
    assert params["redirect_uri"] == f"{PUBLIC_URL}/api/v1/auth/social/google/callback"
    assert params["scope"] == "openid email profile"
    assert params["code_challenge_method"] == "S256"
    assert params["nonce"]


async def test_returning_person_is_found_by_subject(
    web: httpx.AsyncClient, idp: IdpBrowser, db: AsyncSession
) -> None:
    assert_signed_in(await login(web, idp, GOOGLE, "pat"))
    web.cookies.clear()
    assert_signed_in(await login(web, idp, GOOGLE, "pat"))
    user = await user_by_email(db, "pat@example.org")
    assert user is not None
    assert len(await identities(db, user.id)) == 1
    assert [e.details["account"] for e in await audit_events(db, LOGIN)] == ["created",
                                                                             "linked"]


async def test_an_existing_account_is_linked_on_a_verified_email(
    web: httpx.AsyncClient, idp: IdpBrowser, db: AsyncSession
) -> None:
    pat = User(email="pat@example.org", name="Pat", password_hash=hash_password("p" * 16),
               email_verified_at=datetime.now(UTC))
    db.add(pat)
    await db.commit()
    assert_signed_in(await login(web, idp, GOOGLE, "pat"))
    [link] = await identities(db, pat.id)
    assert link.source == "social:google"
    await db.refresh(pat)
    assert pat.password_hash is not None


async def test_an_unverified_email_never_links_or_creates(
    web: httpx.AsyncClient, idp: IdpBrowser, db: AsyncSession
) -> None:
    response = await login(web, idp, GOOGLE, "uma")
    assert error_of(response) == "email-not-verified"
    assert await user_by_email(db, "uma@example.org") is None
    uma = User(email="uma@example.org", name="Uma", password_hash=hash_password("p" * 16),
               email_verified_at=datetime.now(UTC))
    db.add(uma)
    await db.commit()
    web.cookies.clear()
    response = await login(web, idp, GOOGLE, "uma")
    assert error_of(response) == "email-not-verified"
    assert SESSION_COOKIE not in response.cookies
    assert await identities(db, uma.id) == []
    assert await sessions_of(db, uma.id) == []
    events = await audit_events(db, LOGIN)
    assert [(e.outcome, e.details["reason"]) for e in events] == [
        ("failure", "email-not-verified")] * 2


async def test_social_login_is_refused_where_sso_is_enforced(
    web: httpx.AsyncClient, idp: IdpBrowser, db: AsyncSession, tenant: Tenant,
    oidc_provider: OidcProvider,
) -> None:
    org: SsoOrg = await configure_sso(web, db, tenant,
                                      connection_body(oidc_provider, enforced=True))
    response = await login(web, idp, GOOGLE, "alice")
    assert error_of(response) == "sso-required"
    assert await user_by_email(db, "alice@acme.test") is None
    [event] = await audit_events(db, LOGIN)
    assert event.organization_id == org.id
    # The organization's own SSO still signs them in.
    web.cookies.clear()
    assert_signed_in(await login(web, idp, org.login_path, "alice"))


@pytest.mark.parametrize(("user", "outcome"), [("max", None), ("nia", "email-not-verified")])
async def test_microsoft_vouches_for_emails_only_with_xms_edov(
    web: httpx.AsyncClient, idp: IdpBrowser, db: AsyncSession, user: str, outcome: str | None
) -> None:
    """Entra ID tenants can set any email: without `email_verified` or `xms_edov` (domain
    owner verified) the email is unverified."""
    response = await login(web, idp, MICROSOFT, user)
    if outcome is None:
        assert_signed_in(response)
        found = await user_by_email(db, f"{user}@contoso.test")
        assert found is not None
        [link] = await identities(db, found.id)
        assert link.source == "social:microsoft"
    else:
        assert error_of(response) == outcome


async def test_a_user_with_mfa_still_answers_the_second_factor(
    web: httpx.AsyncClient, idp: IdpBrowser, db: AsyncSession,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Continue with Google must not bypass the account's authenticator app."""
    import brain.identity.mfa as mfa

    pat = User(email="pat@example.org", name="Pat", email_verified_at=datetime.now(UTC))
    db.add(pat)
    await db.commit()

    async def methods(_db: Any, user_id: Any) -> list[str]:
        return ["totp", "webauthn"] if user_id == pat.id else []

    monkeypatch.setattr(mfa, "mfa_methods", methods)
    response = await login(web, idp, GOOGLE, "pat", next="/reports")
    assert response.status_code == 302
    location = response.headers["location"]
    assert location.startswith("/login?mfa_challenge=")
    assert authorization_params(location)["next"] == "/reports"
    # The login page offers the factors the account has.
    assert authorization_params(location)["mfa_methods"] == "totp,webauthn"
    assert SESSION_COOKIE not in response.cookies
    assert await sessions_of(db, pat.id) == []
    [event] = await audit_events(db, LOGIN)
    assert event.details["mfa_required"] is True


@pytest.mark.parametrize(("provider", "at_callback"), [("github", "invalid-state"),
                                                      ("myspace", "social-not-configured")])
async def test_providers_not_on_offer(
    web: httpx.AsyncClient, provider: str, at_callback: str
) -> None:
    response = await web.get(f"/api/v1/auth/social/{provider}/login")
    assert error_of(response) == "social-not-configured"
    callback = await web.get(f"/api/v1/auth/social/{provider}/callback",
                             params={"code": "x", "state": "s" * 43})
    assert error_of(callback) == at_callback


async def test_a_state_works_only_at_its_own_callback(
    web: httpx.AsyncClient, idp: IdpBrowser, acme: SsoOrg
) -> None:
    google_callback = await idp.authorize(await start(web, GOOGLE), user="pat")
    as_microsoft = google_callback.replace("/social/google/", "/social/microsoft/")
    assert error_of(await web.get(as_microsoft)) == "invalid-state"
    sso_callback = await idp.authorize(await start(web, acme.login_path), user="alice")
    as_social = sso_callback.replace("/auth/sso/callback", "/auth/social/google/callback")
    assert error_of(await web.get(as_social)) == "invalid-state"


async def test_a_provider_refusal_is_a_redirect(
    web: httpx.AsyncClient, idp: IdpBrowser
) -> None:
    response = await login(web, idp, GOOGLE, "pat", deny=True)
    assert error_of(response) == "access-denied"


class TestUnreachableProvider:
    @pytest.fixture
    def sso_overrides(self) -> dict[str, Any]:
        return {"social_google_issuer": "http://127.0.0.1:9"}

    async def test_is_a_redirect(self, web: httpx.AsyncClient, db: AsyncSession) -> None:
        assert error_of(await web.get(GOOGLE)) == "social-unavailable"
