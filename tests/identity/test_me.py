"""GET/PATCH /auth/me and switching organizations."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from brain.identity.models import TotpFactor, User
from brain.organizations.models import Membership
from tests.identity.conftest import AuthClientFactory
from tests.identity.helpers import AUTH, AuthClient, audit_actions, problem_kind, register


async def test_me_shape(browser: AuthClient) -> None:
    _, account = await register(browser, name="Ana Torres", organization_name="Acme")
    response = await browser.get(f"{AUTH}/me")
    assert response.status_code == 200
    assert response.headers["etag"]
    body = response.json()
    assert set(body) == {"user", "memberships", "current_organization_id"}
    assert set(body["user"]) == {
        "id", "email", "name", "email_verified", "locale", "mfa_enabled",
        "is_platform_operator", "created_at"}
    assert body["user"]["is_platform_operator"] is False
    assert body["user"]["created_at"] == "2026-01-05T09:00:00Z"
    assert body["current_organization_id"] == str(account.organization_id)
    assert "password" not in response.text


async def test_mfa_enabled_reflects_a_confirmed_factor(
    browser: AuthClient, db: AsyncSession
) -> None:
    _, account = await register(browser)
    db.add(TotpFactor(user_id=account.user_id, secret_encrypted="v1:placeholder",
                      confirmed_at=(await db.get(User, account.user_id)).created_at))  # type: ignore[union-attr]
    await db.commit()
    assert (await browser.get(f"{AUTH}/me")).json()["user"]["mfa_enabled"] is True


async def test_operator_flag_is_shown(browser: AuthClient, db: AsyncSession) -> None:
    """The web app shows the operator console's nav entry from this flag."""
    _, account = await register(browser)
    user = await db.get(User, account.user_id)
    assert user is not None
    user.is_platform_operator = True
    await db.commit()
    assert (await browser.get(f"{AUTH}/me")).json()["user"]["is_platform_operator"] is True


async def test_update_me(browser: AuthClient, db: AsyncSession) -> None:
    _, account = await register(browser)
    etag = (await browser.get(f"{AUTH}/me")).headers["etag"]
    response = await browser.patch_csrf(f"{AUTH}/me", json={"name": "Ana María Torres",
                                                          "locale": "es"},
                                        headers={"If-Match": etag})
    assert response.status_code == 200, response.text
    assert response.json()["user"]["name"] == "Ana María Torres"
    assert response.json()["user"]["locale"] == "es"
    assert response.headers["etag"] != etag
    stale = await browser.patch_csrf(f"{AUTH}/me", json={"name": "Other"},
                                     headers={"If-Match": etag})
    assert stale.status_code == 412
    for body in ({"email": "x@example.com"}, {"locale": "fr"}, {"name": ""},
                 {"name": "<script>x</script>"}):
        assert (await browser.patch_csrf(f"{AUTH}/me", json=body)).status_code == 422, body
    events = await audit_actions(db, actor_id=account.user_id, action="auth.profile.update")
    assert events[0].details == {"fields": ["locale", "name"]}


async def test_switch_organization(
    browser: AuthClient, make_client: AuthClientFactory, db: AsyncSession
) -> None:
    _, account = await register(browser, organization_name="Zeta Org")
    async with make_client() as other:
        _, second = await register(other, organization_name="Alpha Org")
        _, foreign = await register(other, organization_name="Foreign Org")
    db.add(Membership(organization_id=second.organization_id, user_id=account.user_id,
                      role="analyst"))
    await db.commit()
    me = (await browser.get(f"{AUTH}/me")).json()
    assert [m["organization_name"] for m in me["memberships"]] == ["Alpha Org", "Zeta Org"]
    assert me["current_organization_id"] == str(account.organization_id)

    switched = await browser.post_csrf(f"{AUTH}/switch-organization",
                                       json={"organization_id": str(second.organization_id)})
    assert switched.status_code == 200, switched.text
    assert switched.json()["current_organization_id"] == str(second.organization_id)
    user = await db.get(User, account.user_id)
    assert user is not None
    await db.refresh(user)
    assert user.default_organization_id == second.organization_id

    for org_id in (foreign.organization_id, uuid.uuid4()):
        response = await browser.post_csrf(f"{AUTH}/switch-organization",
                                           json={"organization_id": str(org_id)})
        assert response.status_code == 404
        assert problem_kind(response) == "not-found"
    events = await audit_actions(db, actor_id=account.user_id,
                                 action="auth.organization.switch")
    assert [e.target_id for e in events] == [str(second.organization_id)]
    # Audit events of the user now file under the organization they switched to.
    assert events[0].organization_id == second.organization_id
