"""Fixtures of the passkey tests: the app's public URL (so its RP ID and origin), software
authenticators for it, and shortcuts for the registration and login ceremonies."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.identity.helpers import AUTH, AuthClient, login
from tests.identity.passkeys.authenticator import SoftAuthenticator

PUBLIC_URL = "http://localhost:8000"
RP_ID = "localhost"
ORIGIN = "http://localhost:8000"
WEBAUTHN = f"{AUTH}/webauthn"


@pytest.fixture
def auth_overrides() -> dict[str, object]:
    return {"public_url": PUBLIC_URL}


def new_authenticator(**kwargs: Any) -> SoftAuthenticator:
    return SoftAuthenticator(rp_id=RP_ID, origin=ORIGIN, **kwargs)


async def registration_options(
    client: AuthClient, body: dict[str, Any] | None = None
) -> dict[str, Any]:
    response = await client.post_csrf(f"{WEBAUTHN}/register/options",
                                      **({"json": body} if body is not None else {}))
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()
    return data


async def enrol(
    client: AuthClient, authenticator: SoftAuthenticator | None = None, *,
    name: str | None = "Laptop",
) -> tuple[SoftAuthenticator, dict[str, Any]]:
    """Register a passkey for the client's user; the authenticator and the stored passkey."""
    authenticator = authenticator or new_authenticator()
    options = await registration_options(client)
    body: dict[str, Any] = {
        "ceremony_id": options["ceremony_id"],
        "credential": authenticator.create(options["public_key"]),
    }
    if name is not None:
        body["name"] = name
    response = await client.post_csrf(f"{WEBAUTHN}/register/verify", json=body)
    assert response.status_code == 201, response.text
    read: dict[str, Any] = response.json()
    return authenticator, read


async def password_login_challenge(client: httpx.AsyncClient, email: str, password: str
                                   ) -> dict[str, Any]:
    response = await login(client, email, password)
    body: dict[str, Any] = response.json()
    assert body["mfa_required"] is True, body
    return body


async def mfa_options(client: httpx.AsyncClient, challenge_id: str) -> dict[str, Any]:
    response = await client.post(f"{WEBAUTHN}/mfa/options", json={"challenge_id": challenge_id})
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()
    return data


async def passwordless_options(client: httpx.AsyncClient) -> dict[str, Any]:
    response = await client.post(f"{WEBAUTHN}/login/options")
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()
    return data
