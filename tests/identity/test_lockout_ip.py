"""Per-IP protection through the API: failed logins from one address across many accounts
lock the address (not the accounts); sign-ups and reset requests are limited per address."""

from __future__ import annotations

from datetime import timedelta

import pytest

from brain.core.clock import FrozenClock
from tests.identity.conftest import AuthClientFactory
from tests.identity.helpers import AUTH, PASSWORD, login, new_email, register


@pytest.fixture
def auth_overrides() -> dict[str, object]:
    return {"login_ip_per_minute": 3}


async def test_failures_across_accounts_lock_the_ip(
    make_client: AuthClientFactory, frozen_clock: FrozenClock
) -> None:
    async with make_client(ip="10.0.0.1") as owner:
        _, account = await register(owner)
    async with make_client(ip="192.0.2.66") as attacker:
        for _ in range(4):
            await login(attacker, new_email("target"), "Guess-password-123", expect=401)
        locked = await login(attacker, account.email, PASSWORD, expect=429)
        assert locked.headers["retry-after"] == "30"
    async with make_client(ip="10.0.0.2") as elsewhere:
        await login(elsewhere, account.email, PASSWORD)
    frozen_clock.advance(timedelta(seconds=30))
    async with make_client(ip="192.0.2.66") as attacker:
        await login(attacker, account.email, PASSWORD)


async def test_signups_are_limited_per_ip(make_client: AuthClientFactory,
                                          frozen_clock: FrozenClock) -> None:
    async with make_client(ip="192.0.2.10") as client:
        for _ in range(3):
            await register(client)
        body = {"email": new_email(), "password": PASSWORD, "name": "Ana",
                "organization_name": "Acme"}
        limited = await client.post(f"{AUTH}/register", json=body)
        assert limited.status_code == 429
        assert 0 < int(limited.headers["retry-after"]) <= 60
        frozen_clock.advance(timedelta(seconds=60))
        assert (await client.post(f"{AUTH}/register", json=body)).status_code == 201


async def test_reset_requests_are_limited_per_ip(make_client: AuthClientFactory) -> None:
    async with make_client(ip="192.0.2.11") as client:
        for _ in range(3):
            response = await client.post(f"{AUTH}/reset/request",
                                         json={"email": new_email()})
            assert response.status_code == 202
        limited = await client.post(f"{AUTH}/reset/request", json={"email": new_email()})
        assert limited.status_code == 429
