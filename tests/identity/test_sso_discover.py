"""SSO discovery by email domain: the login page asks whether an address's domain signs in
with single sign-on. The answer depends on the domain only (never on whether the address has
an account), is rate-limited per IP, and ignores disabled connections and deleted
organizations."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from brain.core.clock import FrozenClock
from brain.core.db import set_system_mode
from brain.organizations.models import Organization, SsoConnection
from tests.identity.conftest import AuthClientFactory
from tests.identity.helpers import AUTH, Account, problem_kind, register

DISCOVER = f"{AUTH}/sso/discover"


async def _organization_with_sso(
    make_client: AuthClientFactory, db: AsyncSession, domain: str, *, enforced: bool,
    enabled: bool = True, organization_name: str = "Globex Corporation",
) -> Account:
    async with make_client() as client:
        _, account = await register(client, organization_name=organization_name)
    await set_system_mode(db, True)
    db.add(SsoConnection(
        organization_id=account.organization_id, issuer=f"https://idp.{domain}",
        client_id="brain", client_secret_encrypted="unused", allowed_domains=[domain],
        enforced=enforced, enabled=enabled,
    ))
    await db.commit()
    return account


async def test_a_domain_with_sso(make_client: AuthClientFactory, db: AsyncSession) -> None:
    account = await _organization_with_sso(make_client, db, "globex.test", enforced=False)
    async with make_client() as client:
        response = await client.post(DISCOVER, json={"email": "Hank@Globex.TEST"})
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    org = await db.get(Organization, account.organization_id)
    assert org is not None
    assert response.json() == {
        "sso": True, "enforced": False, "organization_name": "Globex Corporation",
        "login_url": f"/api/v1/auth/sso/{org.slug}/login",
    }


async def test_an_enforced_domain(make_client: AuthClientFactory, db: AsyncSession) -> None:
    await _organization_with_sso(make_client, db, "initech.test", enforced=True,
                                 organization_name="Initech")
    async with make_client() as client:
        body = (await client.post(DISCOVER, json={"email": "peter@initech.test"})).json()
    assert body["sso"] is True
    assert body["enforced"] is True
    assert body["organization_name"] == "Initech"


async def test_the_answer_does_not_depend_on_the_account(
    make_client: AuthClientFactory, db: AsyncSession
) -> None:
    """A registered and an unknown address of the same domain get byte-identical answers."""
    await _organization_with_sso(make_client, db, "umbrella.test", enforced=True)
    async with make_client() as client:
        _, member = await register(client, email="alice@umbrella.test")
    async with make_client() as client:
        known = await client.post(DISCOVER, json={"email": member.email})
        unknown = await client.post(DISCOVER, json={"email": f"x{uuid.uuid4().hex}@umbrella.test"})
        plain_known = await client.post(DISCOVER, json={"email": "someone@example.com"})
        plain_unknown = await client.post(DISCOVER, json={"email": "nobody@nowhere.test"})
    assert known.content == unknown.content
    assert plain_known.content == plain_unknown.content == b'{"sso":false,"enforced":false,' \
        b'"login_url":null,"organization_name":null}'


async def test_disabled_connections_and_deleted_organizations_do_not_count(
    make_client: AuthClientFactory, db: AsyncSession, frozen_clock: FrozenClock
) -> None:
    await _organization_with_sso(make_client, db, "hooli.test", enforced=True, enabled=False)
    deleted = await _organization_with_sso(make_client, db, "piedpiper.test", enforced=False)
    org = await db.get(Organization, deleted.organization_id)
    assert org is not None
    org.deleted_at = frozen_clock.now()
    await db.commit()
    async with make_client() as client:
        for email in ("gavin@hooli.test", "richard@piedpiper.test"):
            body = (await client.post(DISCOVER, json={"email": email})).json()
            assert body["sso"] is False, email


async def test_bad_bodies_are_422_problems(make_client: AuthClientFactory) -> None:
    async with make_client() as client:
        for body in ({}, {"email": "x"}, {"email": "a@b.test", "extra": 1},
                     {"email": "a" * 400 + "@b.test"}):
            response = await client.post(DISCOVER, json=body)
            assert response.status_code == 422, body
            assert problem_kind(response) == "validation-error"
        # Not an address at all: simply no SSO.
        response = await client.post(DISCOVER, json={"email": "no-at-sign"})
        assert response.json()["sso"] is False


async def test_discovery_is_rate_limited_per_ip(
    make_client: AuthClientFactory, auth_app: object
) -> None:
    from fastapi import FastAPI

    assert isinstance(auth_app, FastAPI)
    limit = auth_app.state.runtime.settings.login_ip_per_minute
    async with make_client(ip="198.51.100.7") as client:
        for _ in range(limit):
            response = await client.post(DISCOVER, json={"email": "a@example.com"})
            assert response.status_code == 200
        limited = await client.post(DISCOVER, json={"email": "a@example.com"})
    assert limited.status_code == 429
    assert problem_kind(limited) == "rate-limited"
    assert int(limited.headers["retry-after"]) > 0
    async with make_client(ip="198.51.100.8") as other:
        assert (await other.post(DISCOVER, json={"email": "a@example.com"})).status_code == 200
