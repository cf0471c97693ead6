"""Registration and email verification end to end: the verification email arrives at a real
SMTP server and its token is taken from the link."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from brain.core.clock import FrozenClock
from brain.identity.models import OneTimeToken, User
from brain.organizations.models import Membership, Organization
from tests.identity.conftest import AuthClientFactory
from tests.identity.helpers import (
    AUTH,
    PASSWORD,
    AuthClient,
    audit_actions,
    emails,
    latest_email,
    login,
    new_email,
    problem_kind,
    register,
    set_cookie_headers,
    token_from,
)
from tests.smtp_sink import SmtpSink, text_part


async def test_register_creates_user_organization_owner_and_logs_in(
    browser: AuthClient, sink: SmtpSink, db: AsyncSession
) -> None:
    response, account = await register(browser, email="Ana.Torres@Example.COM")
    body = response.json()
    assert body["user"]["email"] == "ana.torres@example.com"
    assert body["user"]["email_verified"] is False
    assert body["user"]["mfa_enabled"] is False
    assert body["user"]["locale"] == "en"
    assert response.headers["cache-control"] == "no-store"
    cookies = set_cookie_headers(response)
    assert "HttpOnly" in cookies["brain_session"]
    assert "SameSite=lax" in cookies["brain_session"]
    assert "Secure" not in cookies["brain_session"]  # development settings
    assert "HttpOnly" not in cookies["brain_csrf"]

    user = await db.get(User, account.user_id)
    assert user is not None
    assert user.password_hash is not None
    assert user.password_hash.startswith("$argon2id$")
    assert user.email_verified_at is None
    assert user.default_organization_id == account.organization_id
    membership = await db.scalar(select(Membership).where(Membership.user_id == user.id))
    assert membership is not None
    assert membership.role == "owner"
    assert membership.organization_id == account.organization_id
    org = await db.get(Organization, account.organization_id)
    assert org is not None
    assert org.name == "Acme Coffee"

    me = await browser.get(f"{AUTH}/me")
    assert me.status_code == 200
    assert me.json()["memberships"] == [
        {"organization_id": str(account.organization_id),
         "organization_name": "Acme Coffee", "role": "owner"}
    ]
    assert [e.action for e in await audit_actions(db, actor_id=user.id)] == ["auth.register"]
    event = (await audit_actions(db, actor_id=user.id))[0]
    assert event.organization_id == account.organization_id

    message = latest_email(sink, account.email, "verify_email")
    assert "token=" in text_part(message)
    assert "2 days" in text_part(message)


async def test_verification_token_is_single_use_and_stored_hashed(
    browser: AuthClient, sink: SmtpSink, db: AsyncSession
) -> None:
    _, account = await register(browser)
    token = token_from(sink, account.email, "verify_email")
    stored = (await db.scalars(select(OneTimeToken.token_hash))).all()
    assert token not in stored

    anonymous = await browser.post(f"{AUTH}/verify", json={"token": token},
                                   headers={"Cookie": ""})
    assert anonymous.status_code == 200, anonymous.text
    assert anonymous.json()["user"]["email_verified"] is True
    again = await browser.post(f"{AUTH}/verify", json={"token": token})
    assert again.status_code == 400
    assert problem_kind(again) == "invalid-token"
    unknown = await browser.post(f"{AUTH}/verify", json={"token": "not-a-token"})
    assert unknown.status_code == 400
    me = await browser.get(f"{AUTH}/me")
    assert me.json()["user"]["email_verified"] is True
    actions = [e.action for e in await audit_actions(db, actor_id=account.user_id)]
    assert "auth.email.verify" in actions


async def test_verification_link_expires_after_48_hours(
    browser: AuthClient, sink: SmtpSink, frozen_clock: FrozenClock
) -> None:
    _, account = await register(browser)
    token = token_from(sink, account.email, "verify_email")
    frozen_clock.advance(timedelta(hours=48))
    expired = await browser.post(f"{AUTH}/verify", json={"token": token})
    assert expired.status_code == 410
    assert problem_kind(expired) == "gone"


async def test_verification_link_works_until_its_last_second(
    browser: AuthClient, sink: SmtpSink, frozen_clock: FrozenClock
) -> None:
    _, account = await register(browser)
    token = token_from(sink, account.email, "verify_email")
    frozen_clock.advance(timedelta(hours=48) - timedelta(seconds=1))
    response = await browser.post(f"{AUTH}/verify", json={"token": token})
    assert response.status_code == 200


async def test_resend_sends_a_new_link_and_kills_the_old_one(
    browser: AuthClient, sink: SmtpSink, frozen_clock: FrozenClock
) -> None:
    _, account = await register(browser)
    first = token_from(sink, account.email, "verify_email")
    resent = await browser.post_csrf(f"{AUTH}/verify/resend")
    assert resent.status_code == 202, resent.text
    second = token_from(sink, account.email, "verify_email", count=2)
    assert second != first
    old = await browser.post(f"{AUTH}/verify", json={"token": first})
    assert old.status_code == 400
    new = await browser.post(f"{AUTH}/verify", json={"token": second})
    assert new.status_code == 200
    verified = await browser.post_csrf(f"{AUTH}/verify/resend")
    assert verified.status_code == 409


async def test_resend_is_rate_limited_per_user(
    browser: AuthClient, sink: SmtpSink, frozen_clock: FrozenClock
) -> None:
    _, account = await register(browser)
    for _ in range(3):
        assert (await browser.post_csrf(f"{AUTH}/verify/resend")).status_code == 202
    limited = await browser.post_csrf(f"{AUTH}/verify/resend")
    assert limited.status_code == 429
    assert int(limited.headers["retry-after"]) > 0
    assert len(emails(sink, account.email, "verify_email")) == 4
    frozen_clock.advance(timedelta(minutes=15))
    assert (await browser.post_csrf(f"{AUTH}/verify/resend")).status_code == 202


async def test_spanish_locale_gets_spanish_email(browser: AuthClient, sink: SmtpSink) -> None:
    _, account = await register(browser, locale="es")
    message = latest_email(sink, account.email, "verify_email")
    assert "Confirma" in str(message["Subject"])
    me = await browser.get(f"{AUTH}/me")
    assert me.json()["user"]["locale"] == "es"


async def test_duplicate_email_gets_the_same_answer_and_an_email(
    make_client: AuthClientFactory, sink: SmtpSink, db: AsyncSession
) -> None:
    """Enumeration-safe sign-up: the same 201 shape and cookies; the account is untouched and
    its owner is told by email; the decoy cookies open nothing."""
    email = new_email("taken")
    async with make_client() as first:
        _, account = await register(first, email=email)
    async with make_client() as second:
        response, decoy = await register(
            second, email=email.upper(), password="another-Strong-pass-42",
            name="Mallory", organization_name="Evil Corp",
        )
        assert set(response.json()) == {"user", "organization_id"}
        assert set(response.json()["user"]) == {
            "id", "email", "name", "email_verified", "locale", "mfa_enabled",
            "is_platform_operator", "created_at"}
        assert decoy.user_id != account.user_id
        assert set(set_cookie_headers(response)) == {"brain_session", "brain_csrf"}
        assert (await second.get(f"{AUTH}/me")).status_code == 401
    notice = latest_email(sink, email, "notification")
    assert "already have an account" in str(notice["Subject"])
    assert await db.scalar(select(func.count()).select_from(User).where(User.email == email)) == 1
    assert await db.scalar(
        select(func.count()).select_from(Organization).where(Organization.name == "Evil Corp")
    ) == 0
    async with make_client() as third:
        await login(third, email, PASSWORD)
        await login(third, email, "another-Strong-pass-42", expect=401)
    failures = await audit_actions(db, actor_id=account.user_id, action="auth.register")
    assert [e.outcome for e in failures] == ["success", "failure"]


async def test_password_policy_on_register(browser: AuthClient) -> None:
    cases = {
        "short": "Sh0rt-pass",
        "common": "1qaz2wsx3edc",
        "common with digits": "sunshine2024!!",
        "repetitive": "aaaaaaaaaaaaaaaa",
        "sequence": "abcdefghijklmnop",
        "email": "zoe-martin-is-great-99",
        "name": "Martinez-blue-sky-77",
        "too long": "x" * 129,
    }
    for label, password in cases.items():
        response = await browser.post(f"{AUTH}/register", json={
            "email": "zoe-martin@example.com", "password": password, "name": "Lucía Martinez",
            "organization_name": "Zoe Inc",
        })
        assert response.status_code == 422, label
        assert problem_kind(response) == "validation-error"
        assert password not in response.text, label
        assert response.json()["errors"][0]["loc"] == ["body", "password"], label


async def test_register_validates_the_body(browser: AuthClient) -> None:
    base = {"email": new_email(), "password": PASSWORD, "name": "Ana",
            "organization_name": "Acme"}
    for change in (
        {"email": "not-an-email"},
        {"email": "a@b"},
        {"locale": "fr"},
        {"name": "<b>Ana</b>"},
        {"organization_name": ""},
        {"role": "owner"},
    ):
        response = await browser.post(f"{AUTH}/register", json={**base, **change})
        assert response.status_code == 422, change
