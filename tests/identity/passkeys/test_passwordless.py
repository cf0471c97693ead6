"""Signing in with a passkey alone (a discoverable credential): no credential is listed, user
verification is required, the credential must be registered and its user handle must be its
owner's, the counter must grow, and SSO enforcement still applies."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from brain.core.clock import FrozenClock
from brain.core.db import set_system_mode
from brain.identity.models import User, UserSession, WebAuthnCredential
from brain.identity.sessions import SESSION_COOKIE
from brain.organizations.models import SsoConnection
from tests.identity.conftest import AuthClientFactory
from tests.identity.helpers import Account, audit_actions, problem_kind, register
from tests.identity.passkeys.authenticator import SoftAuthenticator
from tests.identity.passkeys.conftest import (
    WEBAUTHN,
    enrol,
    new_authenticator,
    passwordless_options,
)


async def _enrolled(
    make_client: AuthClientFactory, **kwargs: str
) -> tuple[Account, SoftAuthenticator]:
    async with make_client() as client:
        _, account = await register(client, **kwargs)
        authenticator, _ = await enrol(client)
    return account, authenticator


async def _sign_in(
    client: httpx.AsyncClient, authenticator: SoftAuthenticator, **kwargs: Any
) -> httpx.Response:
    options = await passwordless_options(client)
    return await client.post(f"{WEBAUTHN}/login/verify", json={
        "ceremony_id": options["ceremony_id"],
        "credential": authenticator.get(options["public_key"], **kwargs),
    })


async def test_sign_in_with_a_passkey(
    make_client: AuthClientFactory, db: AsyncSession
) -> None:
    account, authenticator = await _enrolled(make_client)
    async with make_client() as client:
        options = await passwordless_options(client)
        public_key = options["public_key"]
        assert public_key["allowCredentials"] == []
        assert public_key["userVerification"] == "required"
        assert public_key["rpId"] == "localhost"
        response = await client.post(f"{WEBAUTHN}/login/verify", json={
            "ceremony_id": options["ceremony_id"],
            "credential": authenticator.get(public_key),
        })
        assert response.status_code == 200, response.text
        assert response.json()["user"]["id"] == str(account.user_id)
        assert response.headers["cache-control"] == "no-store"
        assert client.cookies.get(SESSION_COOKIE)
        assert client.cookies.get("brain_csrf")
        me = await client.get("/api/v1/auth/me")
        assert me.status_code == 200
    session_row = await db.scalar(
        select(UserSession).where(UserSession.user_id == account.user_id)
        .order_by(UserSession.created_at.desc(), UserSession.id.desc()))
    assert session_row is not None
    assert session_row.method == "passkey"
    stored = await db.scalar(select(WebAuthnCredential).where(
        WebAuthnCredential.user_id == account.user_id))
    assert stored is not None
    assert stored.sign_count == 1
    assert stored.last_used_at is not None
    [event] = [e for e in await audit_actions(db, actor_id=account.user_id,
                                              action="auth.login")
               if e.details.get("method") == "passkey"]
    assert event.outcome == "success"


async def test_a_synced_passkey_without_a_counter(
    make_client: AuthClientFactory, db: AsyncSession
) -> None:
    """Synced passkeys report a signature counter of 0 every time: that is no regression."""
    _account, authenticator = await _enrolled(make_client)
    async with make_client() as client:
        for _ in range(2):
            response = await _sign_in(client, authenticator, sign_count=0)
            assert response.status_code == 200


async def test_sign_count_regression_is_refused_and_audited(
    make_client: AuthClientFactory, db: AsyncSession
) -> None:
    account, authenticator = await _enrolled(make_client)
    async with make_client() as client:
        assert (await _sign_in(client, authenticator)).status_code == 200
        assert (await _sign_in(client, authenticator)).status_code == 200
    async with make_client() as clone:
        response = await _sign_in(clone, authenticator, sign_count=2)
        assert response.status_code == 401
        assert problem_kind(response) == "webauthn-verification-failed"
        assert SESSION_COOKIE not in clone.cookies
    failures = [e for e in await audit_actions(db, actor_id=account.user_id,
                                               action="auth.login")
                if e.outcome == "failure"]
    assert [e.details["reason"] for e in failures] == ["sign_count_regression"]
    stored = await db.scalar(select(WebAuthnCredential.sign_count).where(
        WebAuthnCredential.user_id == account.user_id))
    assert stored == 2


async def test_user_verification_is_required(make_client: AuthClientFactory) -> None:
    _, authenticator = await _enrolled(make_client)
    async with make_client() as client:
        response = await _sign_in(client, authenticator, uv=False)
    assert response.status_code == 401
    assert response.json()["reason"] == "invalid_assertion"


async def test_wrong_origin_and_unknown_credentials(make_client: AuthClientFactory) -> None:
    _, authenticator = await _enrolled(make_client)
    async with make_client() as client:
        wrong = await _sign_in(client, authenticator, origin="http://localhost:9999")
        assert wrong.status_code == 401
        unknown = await _sign_in(client, new_authenticator(user_handle=uuid.uuid4().bytes))
        assert unknown.status_code == 401
        assert unknown.json()["reason"] == "unknown_credential"


async def test_a_user_handle_must_be_the_owners(make_client: AuthClientFactory) -> None:
    """Mallory's assertion cannot claim to be Ana's account, nor the other way round."""
    ana, _ = await _enrolled(make_client)
    _, mallory_key = await _enrolled(make_client)
    async with make_client() as client:
        response = await _sign_in(client, mallory_key, user_handle=ana.user_id.bytes)
    assert response.status_code == 401
    assert response.json()["reason"] == "user_handle_mismatch"


async def test_replayed_and_expired_ceremonies(
    make_client: AuthClientFactory, frozen_clock: FrozenClock
) -> None:
    _, authenticator = await _enrolled(make_client)
    async with make_client() as client:
        options = await passwordless_options(client)
        body = {"ceremony_id": options["ceremony_id"],
                "credential": authenticator.get(options["public_key"])}
        assert (await client.post(f"{WEBAUTHN}/login/verify", json=body)).status_code == 200
        replay = await client.post(f"{WEBAUTHN}/login/verify", json=body)
        assert replay.status_code == 400
        assert replay.json()["reason"] == "replayed"
        options = await passwordless_options(client)
        frozen_clock.advance(timedelta(minutes=5))
        late = await client.post(f"{WEBAUTHN}/login/verify", json={
            "ceremony_id": options["ceremony_id"],
            "credential": authenticator.get(options["public_key"])})
        assert late.status_code == 400
        assert late.json()["reason"] == "expired"
        # A registration ceremony is not a login ceremony.
        unknown = await client.post(f"{WEBAUTHN}/login/verify", json={
            "ceremony_id": "made-up", "credential": authenticator.get(options["public_key"])})
        assert unknown.status_code == 400
        assert unknown.json()["reason"] == "unknown"


async def test_sso_enforcement_applies_to_passkeys(
    make_client: AuthClientFactory, db: AsyncSession
) -> None:
    account, authenticator = await _enrolled(make_client, email="lee@passkeys-sso.test")
    await set_system_mode(db, True)
    db.add(SsoConnection(
        organization_id=account.organization_id, issuer="https://idp.passkeys-sso.test",
        client_id="brain", client_secret_encrypted="unused",
        allowed_domains=["passkeys-sso.test"], enforced=True,
    ))
    await db.commit()
    async with make_client() as client:
        response = await _sign_in(client, authenticator)
        assert response.status_code == 403
        assert problem_kind(response) == "sso-required"
        assert response.json()["sso_login_url"].endswith("/login")
        assert SESSION_COOKIE not in client.cookies


async def test_a_deleted_user_cannot_sign_in(
    make_client: AuthClientFactory, db: AsyncSession, frozen_clock: FrozenClock
) -> None:
    account, authenticator = await _enrolled(make_client)
    user = await db.get(User, account.user_id)
    assert user is not None
    user.deleted_at = frozen_clock.now()
    await db.commit()
    async with make_client() as client:
        response = await _sign_in(client, authenticator)
    assert response.status_code == 401


async def test_options_are_rate_limited_per_ip(
    make_client: AuthClientFactory, auth_app: object
) -> None:
    from fastapi import FastAPI

    assert isinstance(auth_app, FastAPI)
    limit = auth_app.state.runtime.settings.login_ip_per_minute
    async with make_client(ip="203.0.113.9") as client:
        for _ in range(limit):
            assert (await client.post(f"{WEBAUTHN}/login/options")).status_code == 200
        response = await client.post(f"{WEBAUTHN}/login/options")
    assert response.status_code == 429
    assert int(response.headers["retry-after"]) > 0
