"""Your passkeys: list, read, rename and remove (with recent re-authentication), another
user's passkeys are 404s, every route needs a session (401) and the CSRF header (403); a
passkey satisfies an organization's MFA policy, and an admin's MFA reset removes them."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from brain.core.clock import FrozenClock
from brain.core.db import set_system_mode
from brain.identity.models import WebAuthnCredential
from brain.organizations.models import Membership, Organization
from tests.identity.conftest import AuthClientFactory
from tests.identity.helpers import (
    PASSWORD,
    AuthClient,
    audit_actions,
    emails,
    login,
    problem_kind,
    register,
)
from tests.identity.passkeys.conftest import WEBAUTHN, enrol, passwordless_options
from tests.smtp_sink import SmtpSink


async def test_list_read_and_rename(browser: AuthClient, db: AsyncSession) -> None:
    _, account = await register(browser)
    empty = await browser.get(f"{WEBAUTHN}/credentials")
    assert empty.status_code == 200
    assert empty.json() == {"data": [], "next_cursor": None, "has_more": False}
    _, read = await enrol(browser, name="Phone")
    one = await browser.get(f"{WEBAUTHN}/credentials/{read['id']}")
    assert one.status_code == 200
    assert one.json() == read
    etag = one.headers["etag"]
    renamed = await browser.patch_csrf(f"{WEBAUTHN}/credentials/{read['id']}",
                                       json={"name": "  Work phone  "},
                                       headers={"If-Match": etag})
    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["name"] == "Work phone"
    stale = await browser.patch_csrf(f"{WEBAUTHN}/credentials/{read['id']}",
                                     json={"name": "Again"}, headers={"If-Match": etag})
    assert stale.status_code == 412
    blank = await browser.patch_csrf(f"{WEBAUTHN}/credentials/{read['id']}",
                                     json={"name": "   "})
    assert blank.status_code == 422
    [event] = await audit_actions(db, actor_id=account.user_id, action="auth.webauthn.rename")
    assert event.details == {"from": "Phone", "to": "Work phone"}


async def test_delete_right_after_login(
    browser: AuthClient, db: AsyncSession, sink: SmtpSink
) -> None:
    _, account = await register(browser)
    _, read = await enrol(browser)
    response = await browser.delete_csrf(f"{WEBAUTHN}/credentials/{read['id']}")
    assert response.status_code == 204, response.text
    assert await db.scalar(select(WebAuthnCredential.id)) is None
    [event] = await audit_actions(db, actor_id=account.user_id, action="auth.webauthn.delete")
    assert event.details["proof"] == "recent_login"
    assert event.target_id == read["id"]
    sink.wait_for(to=account.email, timeout=5)
    subjects = [m["Subject"] for m in emails(sink, account.email, "notification")]
    assert "A passkey was removed from your account" in subjects
    gone = await browser.get(f"{WEBAUTHN}/credentials/{read['id']}")
    assert gone.status_code == 404


async def test_delete_later_needs_reauthentication(
    browser: AuthClient, frozen_clock: FrozenClock, make_client: AuthClientFactory,
    db: AsyncSession,
) -> None:
    _, account = await register(browser)
    authenticator, read = await enrol(browser)
    frozen_clock.advance(timedelta(minutes=11))
    await browser.get("/api/v1/auth/me")
    path = f"{WEBAUTHN}/credentials/{read['id']}"
    refused = await browser.delete_csrf(path)
    assert refused.status_code == 403
    assert problem_kind(refused) == "reauthentication-required"
    wrong = await browser.delete_csrf(path, json={"password": "definitely-not-it-123"})
    assert wrong.status_code == 403
    assert await db.scalar(select(WebAuthnCredential.id)) is not None
    ok = await browser.delete_csrf(path, json={"password": PASSWORD})
    assert ok.status_code == 204, ok.text
    [event] = [e for e in await audit_actions(db, actor_id=account.user_id,
                                              action="auth.webauthn.delete")
               if e.outcome == "success"]
    assert event.details["proof"] == "password"
    # A passwordless login is a fresh strong login: it may delete without more proof.
    authenticator2, read2 = await enrol_again(browser)
    async with make_client() as client:
        options = await passwordless_options(client)
        signed_in = await client.post(f"{WEBAUTHN}/login/verify", json={
            "ceremony_id": options["ceremony_id"],
            "credential": authenticator2.get(options["public_key"])})
        assert signed_in.status_code == 200
        frozen_clock.advance(timedelta(minutes=9))
        deleted = await client.delete_csrf(f"{WEBAUTHN}/credentials/{read2['id']}")
        assert deleted.status_code == 204, deleted.text
    assert authenticator.id != authenticator2.id


async def enrol_again(browser: AuthClient) -> tuple[object, dict[str, object]]:
    from tests.identity.passkeys.authenticator import SoftAuthenticator
    from tests.identity.passkeys.conftest import ORIGIN, RP_ID

    options = await browser.post_csrf(f"{WEBAUTHN}/register/options",
                                      json={"password": PASSWORD})
    assert options.status_code == 200, options.text
    authenticator = SoftAuthenticator(rp_id=RP_ID, origin=ORIGIN)
    done = await browser.post_csrf(f"{WEBAUTHN}/register/verify", json={
        "ceremony_id": options.json()["ceremony_id"],
        "credential": authenticator.create(options.json()["public_key"])})
    assert done.status_code == 201, done.text
    return authenticator, done.json()


async def test_another_users_passkey_is_a_404(
    browser: AuthClient, make_client: AuthClientFactory, db: AsyncSession
) -> None:
    await register(browser)
    _, read = await enrol(browser)
    path = f"{WEBAUTHN}/credentials/{read['id']}"
    async with make_client() as mallory:
        await register(mallory)
        assert (await mallory.get(path)).status_code == 404
        assert (await mallory.patch_csrf(path, json={"name": "Mine"})).status_code == 404
        assert (await mallory.delete_csrf(path)).status_code == 404
        listed = await mallory.get(f"{WEBAUTHN}/credentials")
        assert listed.json()["data"] == []
        unknown = await mallory.get(f"{WEBAUTHN}/credentials/{uuid.uuid4()}")
        assert unknown.status_code == 404
        assert problem_kind(unknown) == "not-found"
    assert await db.scalar(select(WebAuthnCredential.name)) == "Laptop"


async def test_every_route_needs_a_session_and_csrf(
    browser: AuthClient, make_client: AuthClientFactory
) -> None:
    await register(browser)
    _, read = await enrol(browser)
    path = f"{WEBAUTHN}/credentials/{read['id']}"
    async with make_client() as anonymous:
        for method, url in (("GET", f"{WEBAUTHN}/credentials"), ("GET", path),
                            ("PATCH", path), ("DELETE", path)):
            response = await anonymous.request(
                method, url, json={"name": "x"} if method == "PATCH" else None)
            assert response.status_code == 401, (method, url)
            assert problem_kind(response) == "unauthorized"
    for method, body in (("PATCH", {"name": "x"}), ("DELETE", None)):
        response = await browser.request(method, path, json=body)
        assert response.status_code == 403, method
        assert problem_kind(response) == "csrf-failed"


async def test_a_passkey_satisfies_the_organization_mfa_policy(
    browser: AuthClient, db: AsyncSession
) -> None:
    _, account = await register(browser)
    await set_system_mode(db, True)
    org = await db.get(Organization, account.organization_id)
    assert org is not None
    org.mfa_required = True
    await db.commit()
    path = f"/api/v1/organizations/{account.organization_id}/members"
    refused = await browser.get(path)
    assert refused.status_code == 403
    assert problem_kind(refused) == "mfa-enrolment-required"
    _, read = await enrol(browser)
    assert (await browser.get(path)).status_code == 200
    # Removing the only factor puts the member back behind the policy at once.
    assert (await browser.delete_csrf(f"{WEBAUTHN}/credentials/{read['id']}")
            ).status_code == 204
    assert (await browser.get(path)).status_code == 403


async def test_an_admin_mfa_reset_removes_the_passkeys(
    browser: AuthClient, make_client: AuthClientFactory, db: AsyncSession
) -> None:
    _, owner = await register(browser)
    async with make_client() as member_client:
        _, member = await register(member_client)
        await enrol(member_client)
    await set_system_mode(db, True)
    membership = Membership(organization_id=owner.organization_id, user_id=member.user_id,
                            role="analyst")
    db.add(membership)
    await db.commit()
    response = await browser.post_csrf(
        f"/api/v1/organizations/{owner.organization_id}/members/{membership.id}/mfa/reset")
    assert response.status_code == 204, response.text
    assert await db.scalar(select(WebAuthnCredential.id).where(
        WebAuthnCredential.user_id == member.user_id)) is None
    async with make_client() as member_client:
        again = await login(member_client, member.email, PASSWORD)
        assert again.json()["mfa_required"] is False
