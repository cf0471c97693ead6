"""Login, logout, MFA hand-off, SSO enforcement and the account lockout, through the API with a
frozen clock."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from brain.core.clock import FrozenClock
from brain.identity.models import OneTimeToken, TotpFactor, UserSession
from brain.organizations.models import Organization, SsoConnection
from tests.identity.conftest import AuthClientFactory
from tests.identity.helpers import (
    AUTH,
    PASSWORD,
    Account,
    audit_actions,
    login,
    new_email,
    problem_kind,
    register,
    set_cookie_headers,
)


async def _account(make_client: AuthClientFactory, **kwargs: str) -> Account:
    async with make_client() as client:
        _, account = await register(client, **kwargs)
    return account


def _comparable(response: object) -> tuple[int, object, dict[str, str]]:
    import httpx

    assert isinstance(response, httpx.Response)
    # Date and the rate-limit counters change from one response to the next.
    headers = {k: v for k, v in response.headers.items()
               if k != "date" and not k.startswith("ratelimit-")}
    return response.status_code, response.json(), headers


async def test_login_sets_cookies_and_returns_the_user(
    make_client: AuthClientFactory, db: AsyncSession
) -> None:
    account = await _account(make_client)
    async with make_client() as client:
        response = await login(client, account.email.upper(), PASSWORD)
        body = response.json()
        assert body["mfa_required"] is False
        assert body["user"]["id"] == str(account.user_id)
        cookies = set_cookie_headers(response)
        assert "HttpOnly" in cookies["brain_session"]
        assert "SameSite=lax" in cookies["brain_session"]
        assert client.cookies.get("brain_csrf")
        me = await client.get(f"{AUTH}/me")
        assert me.status_code == 200
        assert me.json()["user"]["email"] == account.email
    events = await audit_actions(db, actor_id=account.user_id, action="auth.login")
    assert [(e.outcome, e.organization_id) for e in events] == [
        ("success", account.organization_id)]
    assert events[0].ip == "127.0.0.1"
    assert events[0].user_agent is not None


async def test_each_login_is_a_new_session_token(
    make_client: AuthClientFactory, db: AsyncSession
) -> None:
    account = await _account(make_client)
    async with make_client() as client:
        first = (await login(client, account.email, PASSWORD)).cookies["brain_session"]
        second = (await login(client, account.email, PASSWORD)).cookies["brain_session"]
    assert first != second
    stored = (await db.scalars(
        select(UserSession.token_hash).where(UserSession.user_id == account.user_id)
    )).all()
    assert len(stored) == 3  # registration + two logins
    assert first not in stored
    assert second not in stored


async def test_wrong_password_and_unknown_email_get_the_same_401(
    make_client: AuthClientFactory, db: AsyncSession
) -> None:
    account = await _account(make_client)
    async with make_client() as client:
        wrong = await login(client, account.email, "Wrong-password-123", expect=401)
        unknown = await login(client, new_email("nobody"), "Wrong-password-123", expect=401)
        assert not client.cookies
    assert _comparable(wrong) == _comparable(unknown)
    assert problem_kind(wrong) == "unauthorized"
    assert "set-cookie" not in wrong.headers
    known_failure = await audit_actions(db, actor_id=account.user_id, action="auth.login")
    assert [(e.outcome, e.details) for e in known_failure] == [
        ("failure", {"reason": "invalid_credentials"})]
    anonymous = [
        e for e in await audit_actions(db, action="auth.login") if e.actor_id is None
    ]
    assert len(anonymous) == 1
    assert anonymous[0].organization_id is None
    assert anonymous[0].outcome == "failure"


async def test_logout_revokes_the_session_and_clears_cookies(
    make_client: AuthClientFactory, db: AsyncSession
) -> None:
    account = await _account(make_client)
    async with make_client() as client:
        await login(client, account.email, PASSWORD)
        token = client.session_token
        response = await client.post_csrf(f"{AUTH}/logout")
        assert response.status_code == 204
        cleared = set_cookie_headers(response)
        assert "Max-Age=0" in cleared["brain_session"]
        assert "Max-Age=0" in cleared["brain_csrf"]
        assert not client.cookies.get("brain_session")
    async with make_client() as replay:
        replay.cookies.set("brain_session", str(token))
        assert (await replay.get(f"{AUTH}/me")).status_code == 401
    revoked = await db.scalar(
        select(UserSession).where(UserSession.user_id == account.user_id,
                                  UserSession.revoked_at.is_not(None))
    )
    assert revoked is not None
    assert [e.action for e in await audit_actions(db, actor_id=account.user_id)][-1] == (
        "auth.logout")


async def test_user_with_confirmed_totp_gets_a_challenge_and_no_cookie(
    make_client: AuthClientFactory, db: AsyncSession, frozen_clock: FrozenClock
) -> None:
    account = await _account(make_client)
    db.add(TotpFactor(user_id=account.user_id, secret_encrypted="v1:placeholder",
                      confirmed_at=frozen_clock.now()))
    await db.commit()
    async with make_client() as client:
        response = await login(client, account.email, PASSWORD)
        body = response.json()
        assert body["mfa_required"] is True
        assert isinstance(body["challenge_id"], str)
        assert len(body["challenge_id"]) >= 32
        assert "user" not in body
        assert "set-cookie" not in response.headers
        assert not client.cookies
    challenge = await db.scalar(
        select(OneTimeToken).where(OneTimeToken.user_id == account.user_id,
                                   OneTimeToken.purpose == "mfa_challenge")
    )
    assert challenge is not None
    assert challenge.token_hash != body["challenge_id"]


async def test_unconfirmed_totp_does_not_require_mfa(
    make_client: AuthClientFactory, db: AsyncSession
) -> None:
    account = await _account(make_client)
    db.add(TotpFactor(user_id=account.user_id, secret_encrypted="v1:placeholder"))
    await db.commit()
    async with make_client() as client:
        response = await login(client, account.email, PASSWORD)
        assert response.json()["mfa_required"] is False


async def test_sso_enforced_domain_must_use_sso(
    make_client: AuthClientFactory, db: AsyncSession
) -> None:
    email = new_email("member").replace("example.com", "corp.example")
    account = await _account(make_client, email=email)
    org = await db.get(Organization, account.organization_id)
    assert org is not None
    db.add(SsoConnection(
        organization_id=org.id, issuer="https://idp.corp.example", client_id="brain",
        client_secret_encrypted="v1:placeholder", allowed_domains=["corp.example"],
        enforced=True, enabled=True,
    ))
    await db.commit()
    async with make_client() as client:
        for address in (email, "someone-else@corp.example"):
            response = await login(client, address, PASSWORD, expect=403)
            assert problem_kind(response) == "sso-required"
            assert response.json()["sso_login_url"] == f"/api/v1/auth/sso/{org.slug}/login"
            assert not client.cookies
        other = await _account(make_client)
        await login(client, other.email, PASSWORD)
    denied = await audit_actions(db, actor_id=account.user_id, action="auth.login")
    assert [(e.outcome, e.details) for e in denied] == [
        ("denied", {"reason": "sso_required"})]


async def test_account_lockout_with_exponential_backoff(
    make_client: AuthClientFactory, frozen_clock: FrozenClock, db: AsyncSession
) -> None:
    """5 failures lock for 30 s; every further failure doubles it; a success resets."""
    account = await _account(make_client)
    async with make_client() as client:
        for _ in range(5):
            await login(client, account.email, "Wrong-password-123", expect=401)
        locked = await login(client, account.email, PASSWORD, expect=429)
        assert locked.headers["retry-after"] == "30"
        assert problem_kind(locked) == "rate-limited"
        assert "set-cookie" not in locked.headers
        frozen_clock.advance(timedelta(seconds=29))
        assert (await login(client, account.email, PASSWORD, expect=429)).headers[
            "retry-after"] == "1"
        frozen_clock.advance(timedelta(seconds=1))
        await login(client, account.email, "Wrong-password-123", expect=401)
        assert (await login(client, account.email, PASSWORD, expect=429)).headers[
            "retry-after"] == "60"
        frozen_clock.advance(timedelta(seconds=60))
        await login(client, account.email, "Wrong-password-123", expect=401)
        assert (await login(client, account.email, PASSWORD, expect=429)).headers[
            "retry-after"] == "120"
        frozen_clock.advance(timedelta(seconds=120))
        await login(client, account.email, PASSWORD)
        # The success reset the count: four more failures do not lock.
        for _ in range(4):
            await login(client, account.email, "Wrong-password-123", expect=401)
        await login(client, account.email, PASSWORD)
    denied = [
        e for e in await audit_actions(db, actor_id=account.user_id, action="auth.login")
        if e.outcome == "denied"
    ]
    assert len(denied) == 4
    assert denied[0].details == {"reason": "locked", "scope": "account"}


async def test_unknown_email_locks_like_a_known_one(
    make_client: AuthClientFactory,
) -> None:
    account = await _account(make_client)
    ghost = new_email("ghost")
    async with make_client() as client:
        for email in (account.email, ghost):
            for _ in range(5):
                await login(client, email, "Wrong-password-123", expect=401)
        known = await login(client, account.email, PASSWORD, expect=429)
        unknown = await login(client, ghost, PASSWORD, expect=429)
    assert _comparable(known) == _comparable(unknown)


async def test_lockout_is_per_account(make_client: AuthClientFactory) -> None:
    victim = await _account(make_client)
    bystander = await _account(make_client)
    async with make_client() as client:
        for _ in range(5):
            await login(client, victim.email, "Wrong-password-123", expect=401)
        await login(client, victim.email, PASSWORD, expect=429)
        await login(client, bystander.email, PASSWORD)
