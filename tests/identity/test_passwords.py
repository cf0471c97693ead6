"""Password change and password reset end to end (reset links from the SMTP sink), with token
lifetimes and session revocation under a frozen clock."""

from __future__ import annotations

from datetime import timedelta

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from brain.core.clock import FrozenClock
from brain.identity.models import OneTimeToken, User
from tests.identity.conftest import AuthClientFactory
from tests.identity.helpers import (
    AUTH,
    OTHER_PASSWORD,
    PASSWORD,
    AuthClient,
    audit_actions,
    emails,
    latest_email,
    login,
    new_email,
    problem_kind,
    register,
    token_from,
)
from tests.smtp_sink import SmtpSink


def _comparable(response: httpx.Response) -> tuple[int, bytes, dict[str, str]]:
    # Date and the rate-limit counters change from one response to the next.
    headers = {k: v for k, v in response.headers.items()
               if k != "date" and not k.startswith("ratelimit-")}
    return response.status_code, response.content, headers


# -- change -----------------------------------------------------------------------------------


async def test_change_password_revokes_other_sessions_only(
    browser: AuthClient, make_client: AuthClientFactory, sink: SmtpSink, db: AsyncSession
) -> None:
    _, account = await register(browser)
    async with make_client() as other:
        await login(other, account.email, PASSWORD)
        response = await browser.post_csrf(f"{AUTH}/password", json={
            "current_password": PASSWORD, "new_password": OTHER_PASSWORD})
        assert response.status_code == 204, response.text
        assert (await other.get(f"{AUTH}/me")).status_code == 401
        assert (await browser.get(f"{AUTH}/me")).status_code == 200
    async with make_client() as fresh:
        await login(fresh, account.email, PASSWORD, expect=401)
        await login(fresh, account.email, OTHER_PASSWORD)
    notice = latest_email(sink, account.email, "notification")
    assert "password was changed" in str(notice["Subject"])
    events = await audit_actions(db, actor_id=account.user_id, action="auth.password.change")
    assert [(e.outcome, e.details) for e in events] == [("success", {"sessions_revoked": 1})]


async def test_change_password_needs_the_current_one(
    browser: AuthClient, db: AsyncSession
) -> None:
    _, account = await register(browser)
    wrong = await browser.post_csrf(f"{AUTH}/password", json={
        "current_password": "Not-my-password-1", "new_password": OTHER_PASSWORD})
    assert wrong.status_code == 403
    assert wrong.json()["errors"][0]["loc"] == ["body", "current_password"]
    assert (await browser.get(f"{AUTH}/me")).status_code == 200
    events = await audit_actions(db, actor_id=account.user_id, action="auth.password.change")
    assert [e.outcome for e in events] == ["failure"]


async def test_wrong_current_passwords_count_towards_the_lockout(browser: AuthClient) -> None:
    _, account = await register(browser)
    for _ in range(5):
        response = await browser.post_csrf(f"{AUTH}/password", json={
            "current_password": "Not-my-password-1", "new_password": OTHER_PASSWORD})
        assert response.status_code == 403
    locked = await browser.post_csrf(f"{AUTH}/password", json={
        "current_password": PASSWORD, "new_password": OTHER_PASSWORD})
    assert locked.status_code == 429
    assert locked.headers["retry-after"] == "30"
    await login(browser, account.email, PASSWORD, expect=429)


async def test_new_password_must_meet_the_policy(browser: AuthClient) -> None:
    await register(browser, name="Ana Torres")
    for new_password in ("short-pw", "password1234", "Torres-rocks-2024", "x" * 129):
        response = await browser.post_csrf(f"{AUTH}/password", json={
            "current_password": PASSWORD, "new_password": new_password})
        assert response.status_code == 422, new_password
        assert new_password not in response.text


# -- reset ------------------------------------------------------------------------------------


async def test_reset_flow_revokes_every_session_and_verifies_the_email(
    browser: AuthClient, make_client: AuthClientFactory, sink: SmtpSink, db: AsyncSession
) -> None:
    _, account = await register(browser)
    async with make_client() as other, make_client() as anonymous:
        await login(other, account.email, PASSWORD)
        asked = await anonymous.post(f"{AUTH}/reset/request", json={"email": account.email})
        assert asked.status_code == 202
        assert asked.content == b""
        message = latest_email(sink, account.email, "reset_password")
        assert "1 hour" in message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
        token = token_from(sink, account.email, "reset_password")
        done = await anonymous.post(f"{AUTH}/reset", json={
            "token": token, "new_password": OTHER_PASSWORD})
        assert done.status_code == 204, done.text
        assert not anonymous.cookies  # a reset does not log in
        assert (await browser.get(f"{AUTH}/me")).status_code == 401
        assert (await other.get(f"{AUTH}/me")).status_code == 401
        await login(anonymous, account.email, PASSWORD, expect=401)
        await login(anonymous, account.email, OTHER_PASSWORD)
        again = await anonymous.post(f"{AUTH}/reset", json={
            "token": token, "new_password": "Yet-another-pass-555"})
        assert again.status_code == 400
        assert problem_kind(again) == "invalid-token"
    user = await db.get(User, account.user_id)
    assert user is not None
    await db.refresh(user)
    assert user.email_verified_at is not None
    stored = (await db.scalars(select(OneTimeToken.token_hash))).all()
    assert token not in stored
    actions = [e.action for e in await audit_actions(db, actor_id=account.user_id)]
    assert "auth.password_reset.request" in actions
    assert "auth.password_reset.complete" in actions


async def test_reset_link_expires_after_one_hour(
    browser: AuthClient, sink: SmtpSink, frozen_clock: FrozenClock
) -> None:
    _, account = await register(browser)
    await browser.post(f"{AUTH}/reset/request", json={"email": account.email})
    token = token_from(sink, account.email, "reset_password")
    frozen_clock.advance(timedelta(hours=1))
    expired = await browser.post(f"{AUTH}/reset", json={
        "token": token, "new_password": OTHER_PASSWORD})
    assert expired.status_code == 410
    assert problem_kind(expired) == "gone"


async def test_reset_link_works_just_before_expiry(
    browser: AuthClient, sink: SmtpSink, frozen_clock: FrozenClock
) -> None:
    _, account = await register(browser)
    await browser.post(f"{AUTH}/reset/request", json={"email": account.email})
    token = token_from(sink, account.email, "reset_password")
    frozen_clock.advance(timedelta(minutes=59, seconds=59))
    response = await browser.post(f"{AUTH}/reset", json={
        "token": token, "new_password": OTHER_PASSWORD})
    assert response.status_code == 204


async def test_a_new_reset_link_replaces_the_old_one(
    browser: AuthClient, sink: SmtpSink
) -> None:
    _, account = await register(browser)
    await browser.post(f"{AUTH}/reset/request", json={"email": account.email})
    first = token_from(sink, account.email, "reset_password")
    await browser.post(f"{AUTH}/reset/request", json={"email": account.email})
    second = token_from(sink, account.email, "reset_password", count=2)
    assert (await browser.post(f"{AUTH}/reset", json={
        "token": first, "new_password": OTHER_PASSWORD})).status_code == 400
    assert (await browser.post(f"{AUTH}/reset", json={
        "token": second, "new_password": OTHER_PASSWORD})).status_code == 204


async def test_reset_new_password_policy(browser: AuthClient, sink: SmtpSink) -> None:
    _, account = await register(browser)
    await browser.post(f"{AUTH}/reset/request", json={"email": account.email})
    token = token_from(sink, account.email, "reset_password")
    local = account.email.split("@")[0]
    bad = await browser.post(f"{AUTH}/reset", json={
        "token": token, "new_password": f"{local}-Long-enough"})
    assert bad.status_code == 422
    # The token was not used up by the refused attempt.
    good = await browser.post(f"{AUTH}/reset", json={
        "token": token, "new_password": OTHER_PASSWORD})
    assert good.status_code == 204


async def test_reset_clears_the_lockout(browser: AuthClient, sink: SmtpSink) -> None:
    _, account = await register(browser)
    for _ in range(5):
        await login(browser, account.email, "Wrong-password-123", expect=401)
    await login(browser, account.email, PASSWORD, expect=429)
    await browser.post(f"{AUTH}/reset/request", json={"email": account.email})
    token = token_from(sink, account.email, "reset_password")
    await browser.post(f"{AUTH}/reset", json={"token": token, "new_password": OTHER_PASSWORD})
    await login(browser, account.email, OTHER_PASSWORD)


async def test_reset_request_is_identical_for_unknown_emails(
    make_client: AuthClientFactory, sink: SmtpSink, db: AsyncSession
) -> None:
    async with make_client() as owner:
        _, account = await register(owner)
    async with make_client() as client:
        known = await client.post(f"{AUTH}/reset/request", json={"email": account.email})
        unknown_email = new_email("nobody")
        unknown = await client.post(f"{AUTH}/reset/request", json={"email": unknown_email})
    assert _comparable(known) == _comparable(unknown)
    assert known.status_code == 202
    assert len(emails(sink, account.email, "reset_password")) == 1
    assert sink._matching(unknown_email) == []
    anonymous = [e for e in await audit_actions(db, action="auth.password_reset.request")
                 if e.actor_id is None]
    assert [e.details for e in anonymous] == [{"email_sent": False}]


async def test_reset_emails_per_address_are_limited_silently(
    browser: AuthClient, sink: SmtpSink
) -> None:
    _, account = await register(browser)
    for _ in range(5):
        response = await browser.post(f"{AUTH}/reset/request", json={"email": account.email})
        assert response.status_code == 202
    assert len(emails(sink, account.email, "reset_password")) == 3


async def test_login_responses_identical_for_unknown_emails(
    make_client: AuthClientFactory,
) -> None:
    async with make_client() as owner:
        _, account = await register(owner)
    async with make_client() as client:
        known = await login(client, account.email, "Wrong-password-123", expect=401)
        unknown = await login(client, new_email("nobody"), "Wrong-password-123", expect=401)
    assert _comparable(known) == _comparable(unknown)
