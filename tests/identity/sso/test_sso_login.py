"""Organization SSO end to end against the real OpenID provider: our login URL → the provider's
authorization endpoint → its (programmatic) login → our callback, and what it leaves behind:
the user, the link to the provider's `sub`, the membership and its role, the session, the
audit trail."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from brain.core.clock import FrozenClock
from brain.core.runtime import Runtime
from brain.identity.external_login import BINDING_COOKIE, pending_key
from brain.identity.models import ExternalIdentity, User
from brain.identity.passwords import hash_password
from brain.identity.sessions import SESSION_COOKIE
from brain.organizations.models import Membership, SsoConnection
from brain.settings import Settings
from tests.factories import Tenant
from tests.identity.sso.conftest import (
    PUBLIC_URL,
    SSO_CALLBACK,
    SSO_CLIENT,
    STRICT_CLIENT,
    SsoOrg,
    configure_sso,
    connection_body,
    web_client,
)
from tests.identity.sso.flows import (
    assert_signed_in,
    audit_events,
    authorization_params,
    cookie_header,
    error_of,
    identities,
    login,
    membership,
    sessions_of,
    start,
    user_by_email,
)
from tests.identity.sso.provider import IdpBrowser, OidcProvider

LOGIN = "auth.sso.login"


async def test_first_login_provisions_the_member_just_in_time(
    web: httpx.AsyncClient, idp: IdpBrowser, acme: SsoOrg, db: AsyncSession,
    oidc_provider: OidcProvider,
) -> None:
    response = await login(web, idp, acme.login_path, "alice", next="/dashboards?range=7d")
    assert_signed_in(response, "/dashboards?range=7d")
    user = await user_by_email(db, "alice@acme.test")
    assert user is not None
    assert user.name == "Alice Adams"
    assert user.password_hash is None
    assert user.email_verified_at is not None
    assert user.default_organization_id == acme.id
    [link] = await identities(db, user.id)
    assert (link.issuer, link.subject, link.source) == (
        oidc_provider.issuer, "alice", f"sso:{acme.id}")
    member = await membership(db, acme.id, user.id)
    assert member is not None
    assert member.role == "analyst"  # groups: engineering → analyst
    [session] = await sessions_of(db, user.id)
    assert session.method == "sso"
    # The session cookie works: the new member reads their organization.
    me = await web.get(f"/api/v1/organizations/{acme.id}")
    assert me.status_code == 200, me.text
    [event] = await audit_events(db, LOGIN)
    assert event.outcome == "success"
    assert event.organization_id == acme.id
    assert event.actor_id == user.id
    assert event.details["account"] == "created"
    assert event.details["membership"] == "created"


async def test_second_login_links_by_subject_not_email(
    web: httpx.AsyncClient, idp: IdpBrowser, acme: SsoOrg, db: AsyncSession
) -> None:
    assert_signed_in(await login(web, idp, acme.login_path, "alice"))
    user = await user_by_email(db, "alice@acme.test")
    assert user is not None
    # The user changes their email in Brain: the provider's `sub` still finds them.
    user.email = "alice.adams@acme.test"
    await db.commit()
    web.cookies.clear()
    assert_signed_in(await login(web, idp, acme.login_path, "alice"))
    users = (await db.scalars(select(User).where(User.email.like("alice%")))).all()
    assert [u.id for u in users] == [user.id]
    assert len(await identities(db, user.id)) == 1
    assert len(await sessions_of(db, user.id)) == 2
    second = (await audit_events(db, LOGIN))[-1]
    assert second.details["account"] == "linked"
    assert second.details["membership"] == "kept"


async def test_roles_come_from_the_groups_claim(
    web: httpx.AsyncClient, idp: IdpBrowser, acme: SsoOrg, db: AsyncSession
) -> None:
    expected = {"bob": "admin",  # engineering + brain-admins: the most privileged wins
                "erin": "owner",  # founders is explicitly mapped to owner
                "frank": "viewer"}  # no groups: the default role
    for user, role in expected.items():
        web.cookies.clear()
        assert_signed_in(await login(web, idp, acme.login_path, user))
        found = await user_by_email(db, f"{user}@acme.test")
        assert found is not None
        member = await membership(db, acme.id, found.id)
        assert member is not None
        assert member.role == role, user


async def test_later_logins_follow_the_mapping_but_never_demote_an_owner(
    web: httpx.AsyncClient, idp: IdpBrowser, acme: SsoOrg, db: AsyncSession,
    oidc_provider: OidcProvider,
) -> None:
    assert_signed_in(await login(web, idp, acme.login_path, "alice"))
    assert_signed_in(await login(web, idp, acme.login_path, "erin"))
    changed = connection_body(oidc_provider, role_mapping={"engineering": "admin",
                                                           "founders": "viewer"})
    await configure_sso(web, db, acme.tenant, changed)
    for name in ("alice", "erin"):
        web.cookies.clear()
        assert_signed_in(await login(web, idp, acme.login_path, name))
    alice = await user_by_email(db, "alice@acme.test")
    erin = await user_by_email(db, "erin@acme.test")
    assert alice is not None
    assert erin is not None
    alice_member = await membership(db, acme.id, alice.id)
    erin_member = await membership(db, acme.id, erin.id)
    assert alice_member is not None
    assert erin_member is not None
    assert alice_member.role == "admin"
    assert erin_member.role == "owner"


async def test_email_domain_not_allowed(
    web: httpx.AsyncClient, idp: IdpBrowser, acme: SsoOrg, db: AsyncSession
) -> None:
    response = await login(web, idp, acme.login_path, "carol")
    assert error_of(response) == "domain-not-allowed"
    assert SESSION_COOKIE not in response.cookies
    assert await user_by_email(db, "carol@other.test") is None
    [event] = await audit_events(db, LOGIN)
    assert (event.outcome, event.organization_id) == ("failure", acme.id)
    assert event.details == {"reason": "domain-not-allowed",
                             "detail": "other.test is not allowed"}


async def test_unverified_email_is_refused(
    web: httpx.AsyncClient, idp: IdpBrowser, acme: SsoOrg, db: AsyncSession
) -> None:
    response = await login(web, idp, acme.login_path, "dave")
    assert error_of(response) == "email-not-verified"
    assert await user_by_email(db, "dave@acme.test") is None


async def test_unverified_email_never_links_an_existing_account(
    web: httpx.AsyncClient, idp: IdpBrowser, acme: SsoOrg, db: AsyncSession
) -> None:
    dave = User(email="dave@acme.test", name="Dave", password_hash=hash_password("x" * 16))
    db.add(dave)
    await db.flush()
    db.add(Membership(organization_id=acme.id, user_id=dave.id, role="viewer"))
    await db.commit()
    response = await login(web, idp, acme.login_path, "dave")
    assert error_of(response) == "email-not-verified"
    assert await identities(db, dave.id) == []
    assert await sessions_of(db, dave.id) == []


async def test_missing_email_is_refused(
    web: httpx.AsyncClient, idp: IdpBrowser, acme: SsoOrg
) -> None:
    response = await login(web, idp, acme.login_path, "nomail")
    assert error_of(response) == "email-missing"


async def test_an_existing_member_is_linked_by_verified_email(
    web: httpx.AsyncClient, idp: IdpBrowser, acme: SsoOrg, db: AsyncSession
) -> None:
    alice = User(email="alice@acme.test", name="Alice", password_hash=hash_password("p" * 16),
                 email_verified_at=datetime.now(UTC))
    db.add(alice)
    await db.flush()
    db.add(Membership(organization_id=acme.id, user_id=alice.id, role="admin"))
    await db.commit()
    assert_signed_in(await login(web, idp, acme.login_path, "alice"))
    [link] = await identities(db, alice.id)
    assert link.subject == "alice"
    await db.refresh(alice)
    assert alice.password_hash is not None  # a verified account keeps its password
    member = await membership(db, acme.id, alice.id)
    assert member is not None
    assert member.role == "analyst"  # the mapping applies to existing members too
    event = (await audit_events(db, LOGIN))[-1]
    assert event.details["account"] == "email"


async def test_linking_an_unverified_account_drops_its_password(
    web: httpx.AsyncClient, idp: IdpBrowser, acme: SsoOrg, db: AsyncSession
) -> None:
    """Account pre-hijacking: whoever registered the email never proved owning it."""
    alice = User(email="alice@acme.test", name="Alice", password_hash=hash_password("p" * 16))
    db.add(alice)
    await db.flush()
    db.add(Membership(organization_id=acme.id, user_id=alice.id, role="viewer"))
    await db.commit()
    assert_signed_in(await login(web, idp, acme.login_path, "alice"))
    await db.refresh(alice)
    assert alice.password_hash is None
    assert alice.email_verified_at is not None


async def test_an_account_outside_the_organization_is_not_taken_over(
    web: httpx.AsyncClient, idp: IdpBrowser, acme: SsoOrg, db: AsyncSession
) -> None:
    """An organization's provider vouches for its own members only."""
    alice = User(email="alice@acme.test", name="Alice", password_hash=hash_password("p" * 16))
    db.add(alice)
    await db.commit()
    response = await login(web, idp, acme.login_path, "alice")
    assert error_of(response) == "account-exists"
    assert await identities(db, alice.id) == []
    assert await membership(db, acme.id, alice.id) is None


async def test_the_authorization_request(
    web: httpx.AsyncClient, acme: SsoOrg, oidc_provider: OidcProvider
) -> None:
    response = await web.get(acme.login_path, params={"email": "Alice@Acme.test"})
    assert response.status_code == 302
    url = response.headers["location"]
    assert url.startswith(oidc_provider.issuer + "/auth?")
    params = authorization_params(url)
    assert params["response_type"] == "code"
    assert params["client_id"] == SSO_CLIENT["client_id"]
    assert params["redirect_uri"] == SSO_CALLBACK
    assert params["scope"] == "openid email profile"
    assert params["code_challenge_method"] == "S256"
    assert len(params["code_challenge"]) == 43
    assert len(params["state"]) >= 43
    assert len(params["nonce"]) >= 43
    assert params["state"] != params["nonce"]
    assert params["login_hint"] == "alice@acme.test"
    assert "code_verifier" not in params
    binding = cookie_header(response, BINDING_COOKIE).lower()
    assert "httponly" in binding
    assert "path=/api/v1/auth" in binding
    assert "samesite=lax" in binding
    assert "max-age=600" in binding
    assert response.headers["cache-control"] == "no-store"


@pytest.mark.parametrize(
    ("next_path", "expected"),
    [
        ("/reports/weekly", "/reports/weekly"),
        ("https://evil.example/", "/"),
        ("//evil.example/path", "/"),
        ("/\\evil.example", "/"),
        ("javascript:alert(1)", "/"),
        ("", "/"),
    ],
)
async def test_next_is_a_relative_path_only(
    web: httpx.AsyncClient, idp: IdpBrowser, acme: SsoOrg, next_path: str, expected: str
) -> None:
    response = await login(web, idp, acme.login_path, "alice", next=next_path)
    assert_signed_in(response, expected)


async def test_state_is_bound_to_the_browser_that_started_the_login(
    web: httpx.AsyncClient, idp: IdpBrowser, acme: SsoOrg, sso_app: FastAPI, db: AsyncSession
) -> None:
    authorization_url = await start(web, acme.login_path)
    callback = await idp.authorize(authorization_url, user="alice")
    async with web_client(sso_app) as attacker:
        stolen = await attacker.get(callback)
    assert error_of(stolen) == "invalid-state"
    # The state was not burnt by the replay: the real browser still finishes.
    assert_signed_in(await web.get(callback))
    # ...once.
    web.cookies.delete(SESSION_COOKIE)
    assert error_of(await web.get(callback)) == "invalid-state"
    reasons = [(e.outcome, e.details.get("reason")) for e in await audit_events(db, LOGIN)]
    assert reasons == [("failure", "invalid-state"), ("success", None),
                       ("failure", "invalid-state")]


async def test_unknown_or_tampered_state_is_refused(
    web: httpx.AsyncClient, idp: IdpBrowser, acme: SsoOrg
) -> None:
    authorization_url = await start(web, acme.login_path)
    callback = await idp.authorize(authorization_url, user="alice")
    state = authorization_params(callback)["state"]
    tampered = callback.replace(f"state={state}", f"state={state[:-2]}xx")
    assert error_of(await web.get(tampered)) == "invalid-state"
    missing = callback.replace(f"state={state}", "")
    assert error_of(await web.get(missing)) == "invalid-state"
    assert error_of(await web.get(SSO_CALLBACK, params={"code": "x"})) == "invalid-state"


async def test_state_expires_after_ten_minutes(
    web: httpx.AsyncClient, idp: IdpBrowser, acme: SsoOrg, sso_runtime: Runtime
) -> None:
    """The pending login lives in the cache with a 10-minute TTL (checked on the entry)."""
    authorization_url = await start(web, acme.login_path)
    state = authorization_params(authorization_url)["state"]
    assert await sso_runtime.cache.get(pending_key(state)) is not None
    await sso_runtime.cache.delete(pending_key(state))  # what the TTL does after 10 minutes
    callback = await idp.authorize(authorization_url, user="alice")
    assert error_of(await web.get(callback)) == "invalid-state"


async def test_a_provider_error_is_a_redirect(
    web: httpx.AsyncClient, idp: IdpBrowser, acme: SsoOrg, db: AsyncSession
) -> None:
    response = await login(web, idp, acme.login_path, "alice", deny=True)
    assert error_of(response) == "access-denied"
    [event] = await audit_events(db, LOGIN)
    assert event.details["reason"] == "access-denied"


async def test_a_mixed_up_issuer_is_refused(
    web: httpx.AsyncClient, idp: IdpBrowser, acme: SsoOrg
) -> None:
    """RFC 9207: the provider names itself in `iss`; another value means a mix-up."""
    authorization_url = await start(web, acme.login_path)
    callback = await idp.authorize(authorization_url, user="alice")
    assert "iss=" in callback
    forged = callback.split("&iss=")[0] + "&iss=https%3A%2F%2Fattacker.example"
    assert error_of(await web.get(forged)) == "invalid-issuer"


async def test_expired_id_token_is_refused(
    web: httpx.AsyncClient, idp: IdpBrowser, acme: SsoOrg, sso_clock: FrozenClock
) -> None:
    authorization_url = await start(web, acme.login_path)
    callback = await idp.authorize(authorization_url, user="alice")
    sso_clock.advance(timedelta(hours=1))  # the provider's ID tokens live 10 minutes
    assert error_of(await web.get(callback)) == "invalid-id-token"


async def test_id_token_from_the_future_is_refused(
    web: httpx.AsyncClient, idp: IdpBrowser, acme: SsoOrg, sso_clock: FrozenClock
) -> None:
    authorization_url = await start(web, acme.login_path)
    callback = await idp.authorize(authorization_url, user="alice")
    sso_clock.advance(timedelta(minutes=-5))  # beyond the 60 s leeway: iat is in the future
    assert error_of(await web.get(callback)) == "invalid-id-token"


async def test_small_clock_skew_is_tolerated(
    web: httpx.AsyncClient, idp: IdpBrowser, acme: SsoOrg, sso_clock: FrozenClock
) -> None:
    authorization_url = await start(web, acme.login_path)
    callback = await idp.authorize(authorization_url, user="alice")
    sso_clock.advance(timedelta(seconds=-30))
    assert_signed_in(await web.get(callback))


async def test_unknown_organization_or_disabled_connection(
    web: httpx.AsyncClient, acme: SsoOrg, db: AsyncSession
) -> None:
    response = await web.get("/api/v1/auth/sso/no-such-org/login")
    assert error_of(response) == "sso-not-configured"
    connection = await db.scalar(select(SsoConnection).where(
        SsoConnection.organization_id == acme.id))
    assert connection is not None
    connection.enabled = False
    await db.commit()
    assert error_of(await web.get(acme.login_path)) == "sso-not-configured"
    assert await audit_events(db, LOGIN) == []  # unknown slugs leave no trail to flood


async def test_unreachable_provider_is_a_redirect(
    web: httpx.AsyncClient, db: AsyncSession, tenant: Tenant, oidc_provider: OidcProvider
) -> None:
    org = await configure_sso(
        web, db, tenant, connection_body(oidc_provider, issuer="http://127.0.0.1:9")
    )
    response = await web.get(org.login_path)
    assert error_of(response) == "sso-unavailable"
    [event] = await audit_events(db, LOGIN)
    assert (event.outcome, event.organization_id) == ("failure", org.id)
    assert event.details["reason"] == "sso-unavailable"


async def test_login_starts_are_rate_limited_per_address(
    web: httpx.AsyncClient, acme: SsoOrg, sso_settings: Settings
) -> None:
    for _ in range(sso_settings.login_ip_per_minute):
        await start(web, acme.login_path)
    assert error_of(await web.get(acme.login_path)) == "rate-limited"


async def test_userinfo_completes_a_minimal_id_token_with_client_secret_post(
    web: httpx.AsyncClient, idp: IdpBrowser, db: AsyncSession, tenant: Tenant,
    strict_provider: OidcProvider,
) -> None:
    """A provider that keeps profile claims out of the ID token (UserInfo has them) and only
    accepts client_secret_post at its token endpoint."""
    org = await configure_sso(
        web, db, tenant,
        connection_body(strict_provider, client_id=STRICT_CLIENT["client_id"],
                         client_secret=STRICT_CLIENT["client_secret"]),
    )
    assert_signed_in(await login(web, idp, org.login_path, "alice"))
    user = await user_by_email(db, "alice@acme.test")
    assert user is not None
    member = await membership(db, org.id, user.id)
    assert member is not None
    assert member.role == "analyst"  # the groups claim came from UserInfo


async def test_sso_sessions_are_usable_with_csrf(
    web: httpx.AsyncClient, idp: IdpBrowser, acme: SsoOrg
) -> None:
    """The login sets the same cookies as a password login (session + CSRF token)."""
    response = await login(web, idp, acme.login_path, "bob")
    assert_signed_in(response)
    session = cookie_header(response, SESSION_COOKIE).lower()
    assert "httponly" in session
    assert "samesite=lax" in session
    assert "brain_csrf" in response.cookies
    key = await web.post(
        f"/api/v1/organizations/{acme.id}/api-keys", json={"name": "from sso"},
        headers={"X-CSRF-Token": response.cookies["brain_csrf"]},
    )
    assert key.status_code == 201, key.text


async def test_callback_errors_never_500(web: httpx.AsyncClient, acme: SsoOrg) -> None:
    for params in ({}, {"state": "x" * 5000}, {"error": "server_error", "state": "a" * 43},
                   {"code": "c" * 5000, "state": "b" * 43}):
        response = await web.get(SSO_CALLBACK.removeprefix(PUBLIC_URL), params=params)
        assert error_of(response) == "invalid-state", (params, response.text)


async def test_sso_identities_are_unique_per_issuer_and_subject(
    web: httpx.AsyncClient, idp: IdpBrowser, acme: SsoOrg, db: AsyncSession
) -> None:
    for _ in range(2):
        web.cookies.clear()
        assert_signed_in(await login(web, idp, acme.login_path, "alice"))
    rows = (await db.scalars(select(ExternalIdentity).where(
        ExternalIdentity.subject == "alice"))).all()
    assert len(rows) == 1
