"""Adding a passkey: the creation options, the attestation check (origin, RP ID, challenge),
single-use ceremonies that expire and belong to one session, re-authentication, and what is
stored, audited and emailed."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from brain.core.clock import FrozenClock
from brain.identity.models import UserSession, WebAuthnChallenge, WebAuthnCredential
from brain.identity.sessions import hash_token
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
from tests.identity.passkeys.authenticator import b64url, unb64url
from tests.identity.passkeys.conftest import (
    RP_ID,
    WEBAUTHN,
    enrol,
    new_authenticator,
    registration_options,
)
from tests.smtp_sink import SmtpSink


async def test_options_ask_for_a_discoverable_credential_of_this_site(
    browser: AuthClient, db: AsyncSession
) -> None:
    _, account = await register(browser, name="Ana Torres")
    options = await registration_options(browser)
    public_key = options["public_key"]
    assert public_key["rp"] == {"id": RP_ID, "name": "Brain"}
    # The user handle is the user's id: no email or name in it.
    assert unb64url(public_key["user"]["id"]) == account.user_id.bytes
    assert public_key["user"]["name"] == account.email
    assert public_key["user"]["displayName"] == "Ana Torres"
    assert len(unb64url(public_key["challenge"])) == 32
    assert public_key["attestation"] == "none"
    assert public_key["authenticatorSelection"]["residentKey"] == "preferred"
    assert {p["alg"] for p in public_key["pubKeyCredParams"]} == {-7, -8, -257}
    assert public_key["excludeCredentials"] == []
    # Stored server-side, hashed under the ceremony id, bound to this session.
    row = await db.scalar(select(WebAuthnChallenge).where(
        WebAuthnChallenge.token_hash == hash_token(options["ceremony_id"])))
    assert row is not None
    assert row.purpose == "register"
    assert row.challenge == public_key["challenge"]
    assert row.user_id == account.user_id
    assert row.session_id is not None
    assert row.expires_at - row.created_at == timedelta(minutes=5)


async def test_register_stores_the_credential_audits_and_emails(
    browser: AuthClient, db: AsyncSession, sink: SmtpSink
) -> None:
    _, account = await register(browser)
    authenticator, read = await enrol(browser, name="Work laptop")
    assert read["name"] == "Work laptop"
    assert read["credential_id"] == authenticator.id
    assert read["transports"] == ["internal", "hybrid"]
    assert read["device_type"] == "single_device"
    assert read["last_used_at"] is None
    row = await db.scalar(select(WebAuthnCredential).where(
        WebAuthnCredential.id == uuid.UUID(read["id"])))
    assert row is not None
    assert row.user_id == account.user_id
    assert row.public_key == authenticator.cose_public_key()
    assert row.sign_count == 0
    [event] = await audit_actions(db, actor_id=account.user_id,
                                  action="auth.webauthn.register")
    assert event.outcome == "success"
    assert event.target_id == read["id"]
    assert event.details["name"] == "Work laptop"
    assert authenticator.id not in str(event.details)
    sink.wait_for(to=account.email, timeout=5)
    subjects = [m["Subject"] for m in emails(sink, account.email, "notification")]
    assert "A passkey was added to your account" in subjects
    # /me now says the account has a second factor.
    me = await browser.get("/api/v1/auth/me")
    assert me.json()["user"]["mfa_enabled"] is True


async def test_several_passkeys_and_the_new_options_exclude_them(browser: AuthClient) -> None:
    await register(browser)
    first, _ = await enrol(browser, name="Phone")
    second, read = await enrol(browser, name=None)
    assert read["name"].startswith("Passkey 20")
    options = await registration_options(browser)
    excluded = {c["id"] for c in options["public_key"]["excludeCredentials"]}
    assert excluded == {first.id, second.id}
    listed = (await browser.get(f"{WEBAUTHN}/credentials")).json()["data"]
    assert [p["name"] for p in listed] == ["Phone", read["name"]]


async def test_the_first_passkey_signs_out_the_other_sessions(
    browser: AuthClient, make_client: AuthClientFactory, db: AsyncSession
) -> None:
    _, account = await register(browser)
    async with make_client() as other:
        await login(other, account.email, PASSWORD)
        await enrol(browser)
        assert (await other.get("/api/v1/auth/me")).status_code == 401
    assert (await browser.get("/api/v1/auth/me")).status_code == 200
    live = (await db.scalars(select(UserSession).where(
        UserSession.user_id == account.user_id, UserSession.revoked_at.is_(None)))).all()
    assert len(live) == 1


async def test_the_same_authenticator_cannot_register_twice(browser: AuthClient) -> None:
    await register(browser)
    authenticator, _ = await enrol(browser)
    options = await registration_options(browser)
    response = await browser.post_csrf(f"{WEBAUTHN}/register/verify", json={
        "ceremony_id": options["ceremony_id"],
        "credential": authenticator.create(options["public_key"]),
    })
    assert response.status_code == 409, response.text


async def test_a_wrong_origin_is_refused_and_audited(
    browser: AuthClient, db: AsyncSession
) -> None:
    _, account = await register(browser)
    options = await registration_options(browser)
    credential = new_authenticator().create(options["public_key"],
                                            origin="https://evil.example")
    response = await browser.post_csrf(f"{WEBAUTHN}/register/verify", json={
        "ceremony_id": options["ceremony_id"], "credential": credential})
    assert response.status_code == 400
    assert problem_kind(response) == "webauthn-verification-failed"
    assert await db.scalar(select(WebAuthnCredential.id)) is None
    [event] = await audit_actions(db, actor_id=account.user_id,
                                  action="auth.webauthn.register")
    assert event.outcome == "failure"
    assert event.details["reason"] == "invalid_attestation"


async def test_a_wrong_rp_id_or_challenge_is_refused(browser: AuthClient) -> None:
    await register(browser)
    for kwargs in ({"rp_id": "evil.example"}, {"challenge": b64url(b"x" * 32)}):
        options = await registration_options(browser)
        credential = new_authenticator().create(options["public_key"], **kwargs)
        response = await browser.post_csrf(f"{WEBAUTHN}/register/verify", json={
            "ceremony_id": options["ceremony_id"], "credential": credential})
        assert response.status_code == 400, kwargs
        assert problem_kind(response) == "webauthn-verification-failed"


async def test_a_ceremony_is_single_use(browser: AuthClient) -> None:
    await register(browser)
    options = await registration_options(browser)
    authenticator = new_authenticator()
    body = {"ceremony_id": options["ceremony_id"],
            "credential": authenticator.create(options["public_key"])}
    assert (await browser.post_csrf(f"{WEBAUTHN}/register/verify", json=body)
            ).status_code == 201
    replay = await browser.post_csrf(f"{WEBAUTHN}/register/verify", json=body)
    assert replay.status_code == 400
    assert problem_kind(replay) == "webauthn-challenge-invalid"
    assert replay.json()["reason"] == "replayed"


async def test_a_failed_answer_uses_the_ceremony_up(browser: AuthClient) -> None:
    await register(browser)
    options = await registration_options(browser)
    authenticator = new_authenticator()
    wrong = authenticator.create(options["public_key"], origin="https://evil.example")
    body = {"ceremony_id": options["ceremony_id"], "credential": wrong}
    assert (await browser.post_csrf(f"{WEBAUTHN}/register/verify", json=body)
            ).status_code == 400
    body["credential"] = authenticator.create(options["public_key"])
    retry = await browser.post_csrf(f"{WEBAUTHN}/register/verify", json=body)
    assert retry.status_code == 400
    assert retry.json()["reason"] == "replayed"


async def test_a_ceremony_expires_after_five_minutes(
    browser: AuthClient, frozen_clock: FrozenClock
) -> None:
    await register(browser)
    options = await registration_options(browser)
    frozen_clock.advance(timedelta(minutes=5))
    response = await browser.post_csrf(f"{WEBAUTHN}/register/verify", json={
        "ceremony_id": options["ceremony_id"],
        "credential": new_authenticator().create(options["public_key"])})
    assert response.status_code == 400
    assert problem_kind(response) == "webauthn-challenge-invalid"
    assert response.json()["reason"] == "expired"


async def test_a_ceremony_belongs_to_the_session_that_started_it(
    browser: AuthClient, make_client: AuthClientFactory
) -> None:
    _, account = await register(browser)
    options = await registration_options(browser)
    async with make_client() as other:
        await login(other, account.email, PASSWORD)
        response = await other.post_csrf(f"{WEBAUTHN}/register/verify", json={
            "ceremony_id": options["ceremony_id"],
            "credential": new_authenticator().create(options["public_key"])})
    assert response.status_code == 400
    assert response.json()["reason"] == "other_session"
    # Another user's session cannot use it either.
    async with make_client() as stranger:
        await register(stranger)
        response = await stranger.post_csrf(f"{WEBAUTHN}/register/verify", json={
            "ceremony_id": options["ceremony_id"],
            "credential": new_authenticator().create(options["public_key"])})
    assert response.status_code == 400
    assert problem_kind(response) == "webauthn-challenge-invalid"


async def test_an_older_session_must_reauthenticate_first(
    browser: AuthClient, frozen_clock: FrozenClock, db: AsyncSession
) -> None:
    _, account = await register(browser)
    frozen_clock.advance(timedelta(minutes=11))
    await browser.get("/api/v1/auth/me")  # keep the session from going idle
    response = await browser.post_csrf(f"{WEBAUTHN}/register/options")
    assert response.status_code == 403
    assert problem_kind(response) == "reauthentication-required"
    assert response.json()["accepted"] == ["password"]
    wrong = await browser.post_csrf(f"{WEBAUTHN}/register/options",
                                    json={"password": "not-my-password-at-all"})
    assert wrong.status_code == 403
    assert wrong.json()["errors"][0]["loc"] == ["body", "password"]
    failures = await audit_actions(db, actor_id=account.user_id,
                                   action="auth.webauthn.register")
    assert [e.details["reason"] for e in failures] == ["wrong_password"]
    options = await registration_options(browser, {"password": PASSWORD})
    assert options["ceremony_id"]


async def test_registration_needs_a_session_and_the_csrf_header(
    make_client: AuthClientFactory, browser: AuthClient
) -> None:
    async with make_client() as anonymous:
        for path in ("/register/options", "/register/verify"):
            response = await anonymous.post(f"{WEBAUTHN}{path}", json={})
            assert response.status_code == 401, path
    await register(browser)
    response = await browser.post(f"{WEBAUTHN}/register/options")
    assert response.status_code == 403
    assert problem_kind(response) == "csrf-failed"


async def test_malformed_answers_are_422_problems(browser: AuthClient) -> None:
    await register(browser)
    options = await registration_options(browser)
    for credential in (
        {"id": "x", "rawId": "x", "type": "password", "response": {}},
        {"id": "not base64!", "rawId": "x", "type": "public-key",
         "response": {"clientDataJSON": "e30", "attestationObject": "oA"}},
    ):
        response = await browser.post_csrf(f"{WEBAUTHN}/register/verify", json={
            "ceremony_id": options["ceremony_id"], "credential": credential})
        assert response.status_code == 422
        assert response.headers["content-type"] == "application/problem+json"
    # Well-formed JSON that is not a WebAuthn answer: a 400, never a 500.
    response = await browser.post_csrf(f"{WEBAUTHN}/register/verify", json={
        "ceremony_id": options["ceremony_id"],
        "credential": {"id": "AAAA", "rawId": "AAAA", "type": "public-key",
                       "response": {"clientDataJSON": "e30", "attestationObject": "oA"}}})
    assert response.status_code == 400
    assert problem_kind(response) == "webauthn-verification-failed"
