"""A passkey as the second step of a password login: the login says which factors can answer,
the options list the user's passkeys, and the answer is checked like any assertion (origin,
challenge, signature counter, owner) within the challenge's attempts."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from brain.core.clock import FrozenClock
from brain.identity.models import UserSession, WebAuthnCredential
from brain.identity.sessions import SESSION_COOKIE
from tests.identity.conftest import AuthClientFactory
from tests.identity.helpers import PASSWORD, AuthClient, audit_actions, problem_kind, register
from tests.identity.passkeys.authenticator import SoftAuthenticator
from tests.identity.passkeys.conftest import (
    WEBAUTHN,
    enrol,
    mfa_options,
    password_login_challenge,
)


async def _enrolled(make_client: AuthClientFactory) -> tuple[str, SoftAuthenticator]:
    async with make_client() as client:
        _, account = await register(client)
        authenticator, _ = await enrol(client)
    return account.email, authenticator


async def test_password_then_passkey(
    make_client: AuthClientFactory, db: AsyncSession
) -> None:
    email, authenticator = await _enrolled(make_client)
    async with make_client() as client:
        challenge = await password_login_challenge(client, email, PASSWORD)
        assert challenge["methods"] == ["webauthn"]
        assert SESSION_COOKIE not in client.cookies
        options = await mfa_options(client, challenge["challenge_id"])
        public_key = options["public_key"]
        assert public_key["rpId"] == "localhost"
        assert [c["id"] for c in public_key["allowCredentials"]] == [authenticator.id]
        assert public_key["userVerification"] == "preferred"
        response = await client.post(f"{WEBAUTHN}/mfa/verify", json={
            "challenge_id": challenge["challenge_id"],
            "ceremony_id": options["ceremony_id"],
            "credential": authenticator.get(public_key),
        })
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["mfa_required"] is False
        assert body["user"]["mfa_enabled"] is True
        assert client.cookies.get(SESSION_COOKIE)
        assert (await client.get("/api/v1/auth/me")).status_code == 200
        # The login challenge is used up.
        again = await client.post(f"{WEBAUTHN}/mfa/options",
                                  json={"challenge_id": challenge["challenge_id"]})
        assert again.status_code == 401
    user_id = (await client_user_id(db, email))
    row = await db.scalar(select(UserSession).where(UserSession.user_id == user_id)
                          .order_by(UserSession.created_at.desc(), UserSession.id.desc()))
    assert row is not None
    assert row.method == "password+mfa"
    stored = await db.scalar(select(WebAuthnCredential).where(
        WebAuthnCredential.user_id == user_id))
    assert stored is not None
    assert stored.sign_count == 1
    assert stored.last_used_at is not None
    [event] = await audit_actions(db, actor_id=user_id, action="auth.mfa.challenge")
    assert event.outcome == "success"
    assert event.details["factor"] == "webauthn"
    logins = await audit_actions(db, actor_id=user_id, action="auth.login")
    assert logins[-1].details == {"method": "password+mfa", "stage": "mfa",
                                  "factor": "webauthn"}


async def client_user_id(db: AsyncSession, email: str) -> object:
    from brain.identity.models import User

    return await db.scalar(select(User.id).where(User.email == email))


async def test_the_login_lists_both_factors(
    browser: AuthClient, make_client: AuthClientFactory, frozen_clock: FrozenClock
) -> None:
    from tests.identity.mfa.conftest import code_at

    _, account = await register(browser)
    setup = await browser.post_csrf("/api/v1/auth/mfa/totp/setup")
    secret = setup.json()["secret"]
    confirm = await browser.post_csrf("/api/v1/auth/mfa/totp/confirm",
                                      json={"code": code_at(secret, frozen_clock)})
    assert confirm.status_code == 200, confirm.text
    # Registering after the app was confirmed: this session logged in without MFA, so it
    # proves itself with a code.
    frozen_clock.advance(timedelta(seconds=30))
    options = await browser.post_csrf(f"{WEBAUTHN}/register/options",
                                      json={"code": code_at(secret, frozen_clock)})
    assert options.status_code == 200, options.text
    credential = SoftAuthenticator(rp_id="localhost", origin="http://localhost:8000").create(
        options.json()["public_key"])
    done = await browser.post_csrf(f"{WEBAUTHN}/register/verify", json={
        "ceremony_id": options.json()["ceremony_id"], "credential": credential})
    assert done.status_code == 201, done.text
    async with make_client() as client:
        challenge = await password_login_challenge(client, account.email, PASSWORD)
    assert challenge["methods"] == ["totp", "webauthn"]


async def test_a_wrong_origin_spends_an_attempt(
    make_client: AuthClientFactory, db: AsyncSession
) -> None:
    email, authenticator = await _enrolled(make_client)
    async with make_client() as client:
        challenge = await password_login_challenge(client, email, PASSWORD)
        options = await mfa_options(client, challenge["challenge_id"])
        response = await client.post(f"{WEBAUTHN}/mfa/verify", json={
            "challenge_id": challenge["challenge_id"],
            "ceremony_id": options["ceremony_id"],
            "credential": authenticator.get(options["public_key"],
                                            origin="https://evil.example"),
        })
        assert response.status_code == 401
        assert problem_kind(response) == "webauthn-verification-failed"
        assert response.json()["attempts_remaining"] == 4
        assert SESSION_COOKIE not in client.cookies
        # A fresh ceremony of the same login still works.
        options = await mfa_options(client, challenge["challenge_id"])
        ok = await client.post(f"{WEBAUTHN}/mfa/verify", json={
            "challenge_id": challenge["challenge_id"],
            "ceremony_id": options["ceremony_id"],
            "credential": authenticator.get(options["public_key"]),
        })
        assert ok.status_code == 200, ok.text
    user_id = await client_user_id(db, email)
    events = await audit_actions(db, actor_id=user_id, action="auth.mfa.challenge")
    assert [e.outcome for e in events] == ["failure", "success"]
    assert events[0].details["reason"] == "invalid_assertion"


async def test_another_users_passkey_cannot_answer(make_client: AuthClientFactory) -> None:
    email, _ = await _enrolled(make_client)
    _, mallory_key = await _enrolled(make_client)
    async with make_client() as client:
        challenge = await password_login_challenge(client, email, PASSWORD)
        options = await mfa_options(client, challenge["challenge_id"])
        response = await client.post(f"{WEBAUTHN}/mfa/verify", json={
            "challenge_id": challenge["challenge_id"],
            "ceremony_id": options["ceremony_id"],
            "credential": mallory_key.get(options["public_key"]),
        })
    assert response.status_code == 401
    assert response.json()["reason"] == "unknown_credential"


async def test_a_ceremony_answers_only_its_own_login(make_client: AuthClientFactory) -> None:
    email, authenticator = await _enrolled(make_client)
    async with make_client() as client:
        first = await password_login_challenge(client, email, PASSWORD)
        second = await password_login_challenge(client, email, PASSWORD)
        options = await mfa_options(client, first["challenge_id"])
        response = await client.post(f"{WEBAUTHN}/mfa/verify", json={
            "challenge_id": second["challenge_id"],
            "ceremony_id": options["ceremony_id"],
            "credential": authenticator.get(options["public_key"]),
        })
    assert response.status_code == 400
    assert problem_kind(response) == "webauthn-challenge-invalid"
    assert response.json()["reason"] == "other_login"


async def test_a_ceremony_is_used_up_by_its_first_answer(
    make_client: AuthClientFactory,
) -> None:
    email, authenticator = await _enrolled(make_client)
    async with make_client() as client:
        challenge = await password_login_challenge(client, email, PASSWORD)
        options = await mfa_options(client, challenge["challenge_id"])
        body = {"challenge_id": challenge["challenge_id"],
                "ceremony_id": options["ceremony_id"],
                "credential": authenticator.get(options["public_key"],
                                                origin="https://evil.example")}
        assert (await client.post(f"{WEBAUTHN}/mfa/verify", json=body)).status_code == 401
        body["credential"] = authenticator.get(options["public_key"])
        replay = await client.post(f"{WEBAUTHN}/mfa/verify", json=body)
    assert replay.status_code == 400
    assert problem_kind(replay) == "webauthn-challenge-invalid"
    assert replay.json()["reason"] == "replayed"
    assert replay.json()["attempts_remaining"] == 3


async def test_an_expired_login_is_refused(
    make_client: AuthClientFactory, frozen_clock: FrozenClock
) -> None:
    email, authenticator = await _enrolled(make_client)
    async with make_client() as client:
        challenge = await password_login_challenge(client, email, PASSWORD)
        options = await mfa_options(client, challenge["challenge_id"])
        frozen_clock.advance(timedelta(minutes=5))
        expired = await client.post(f"{WEBAUTHN}/mfa/verify", json={
            "challenge_id": challenge["challenge_id"], "ceremony_id": options["ceremony_id"],
            "credential": authenticator.get(options["public_key"])})
        assert expired.status_code == 401
        assert expired.json()["attempts_remaining"] == 0
        late_options = await client.post(f"{WEBAUTHN}/mfa/options",
                                         json={"challenge_id": challenge["challenge_id"]})
    assert late_options.status_code == 401
    assert SESSION_COOKIE not in client.cookies


async def test_sign_count_regression_is_refused(make_client: AuthClientFactory) -> None:
    email, authenticator = await _enrolled(make_client)
    async with make_client() as client:
        for _ in range(2):
            challenge = await password_login_challenge(client, email, PASSWORD)
            options = await mfa_options(client, challenge["challenge_id"])
            ok = await client.post(f"{WEBAUTHN}/mfa/verify", json={
                "challenge_id": challenge["challenge_id"],
                "ceremony_id": options["ceremony_id"],
                "credential": authenticator.get(options["public_key"])})
            assert ok.status_code == 200
        challenge = await password_login_challenge(client, email, PASSWORD)
        options = await mfa_options(client, challenge["challenge_id"])
        cloned = await client.post(f"{WEBAUTHN}/mfa/verify", json={
            "challenge_id": challenge["challenge_id"], "ceremony_id": options["ceremony_id"],
            "credential": authenticator.get(options["public_key"], sign_count=1)})
    assert cloned.status_code == 401
    assert cloned.json()["reason"] == "sign_count_regression"


async def test_options_need_a_live_challenge_and_a_passkey(
    make_client: AuthClientFactory, browser: AuthClient, frozen_clock: FrozenClock
) -> None:
    from tests.identity.mfa.conftest import code_at

    async with make_client() as client:
        response = await client.post(f"{WEBAUTHN}/mfa/options",
                                     json={"challenge_id": "no-such-challenge"})
        assert response.status_code == 401
        verify = await client.post(f"{WEBAUTHN}/mfa/verify", json={
            "challenge_id": "no-such-challenge", "ceremony_id": "x",
            "credential": {"id": "AAAA", "rawId": "AAAA", "type": "public-key",
                           "response": {"clientDataJSON": "e30", "authenticatorData": "AA",
                                        "signature": "AA"}}})
        assert verify.status_code == 401
    # A user whose only factor is an authenticator app has no passkey to offer: 409.
    _, account = await register(browser)
    setup = await browser.post_csrf("/api/v1/auth/mfa/totp/setup")
    confirm = await browser.post_csrf(
        "/api/v1/auth/mfa/totp/confirm",
        json={"code": code_at(setup.json()["secret"], frozen_clock)})
    assert confirm.status_code == 200
    async with make_client() as client:
        challenge = await password_login_challenge(client, account.email, PASSWORD)
        assert challenge["methods"] == ["totp"]
        response = await client.post(f"{WEBAUTHN}/mfa/options",
                                     json={"challenge_id": challenge["challenge_id"]})
    assert response.status_code == 409
