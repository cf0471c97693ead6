"""The session list, revoking sessions, and idle / absolute expiry (moved by the frozen clock,
including per-organization timeouts set through PATCH /organizations/{org_id})."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from brain.core.clock import FrozenClock
from tests.identity.conftest import AuthClientFactory
from tests.identity.helpers import (
    AUTH,
    FIREFOX_WINDOWS,
    PASSWORD,
    Account,
    AuthClient,
    audit_actions,
    login,
    problem_kind,
    register,
    set_cookie_headers,
)


async def test_session_list_shows_device_ip_and_current(
    browser: AuthClient, make_client: AuthClientFactory, frozen_clock: FrozenClock
) -> None:
    _, account = await register(browser)
    frozen_clock.advance(timedelta(minutes=5))
    async with make_client(user_agent=FIREFOX_WINDOWS, ip="203.0.113.9") as laptop:
        await login(laptop, account.email, PASSWORD)
    response = await browser.get(f"{AUTH}/sessions")
    assert response.status_code == 200
    sessions = response.json()["data"]
    assert len(sessions) == 2
    by_device = {s["device"]: s for s in sessions}
    assert set(by_device) == {"Chrome 120 on macOS", "Firefox 121 on Windows 10"}
    assert by_device["Chrome 120 on macOS"]["current"] is True
    assert by_device["Firefox 121 on Windows 10"]["current"] is False
    assert by_device["Firefox 121 on Windows 10"]["ip"] == "203.0.113.9"
    assert by_device["Firefox 121 on Windows 10"]["created_at"] == "2026-01-05T09:05:00Z"
    assert set(sessions[0]) == {"id", "device", "ip", "created_at", "last_seen_at", "current"}
    assert "token" not in response.text

    first_page = await browser.get(f"{AUTH}/sessions", params={"limit": 1})
    assert first_page.json()["has_more"] is True
    second_page = await browser.get(
        f"{AUTH}/sessions", params={"limit": 1, "cursor": first_page.json()["next_cursor"]})
    assert {s["id"] for s in first_page.json()["data"] + second_page.json()["data"]} == {
        s["id"] for s in sessions}

    one = await browser.get(f"{AUTH}/sessions/{by_device['Chrome 120 on macOS']['id']}")
    assert one.status_code == 200
    assert one.json()["current"] is True


async def test_revoke_one_session(
    browser: AuthClient, make_client: AuthClientFactory, db: AsyncSession
) -> None:
    _, account = await register(browser)
    async with make_client(user_agent=FIREFOX_WINDOWS) as laptop:
        await login(laptop, account.email, PASSWORD)
        sessions = (await browser.get(f"{AUTH}/sessions")).json()["data"]
        other = next(s for s in sessions if not s["current"])
        stale = await browser.delete_csrf(f"{AUTH}/sessions/{other['id']}",
                                          headers={"If-Match": '"stale"'})
        assert stale.status_code == 412
        etag = (await browser.get(f"{AUTH}/sessions/{other['id']}")).headers["etag"]
        response = await browser.delete_csrf(f"{AUTH}/sessions/{other['id']}",
                                             headers={"If-Match": etag})
        assert response.status_code == 204
        assert (await laptop.get(f"{AUTH}/me")).status_code == 401
        assert (await browser.get(f"{AUTH}/me")).status_code == 200
        gone = await browser.get(f"{AUTH}/sessions/{other['id']}")
        assert gone.status_code == 404
    events = await audit_actions(db, actor_id=account.user_id, action="auth.session.revoke")
    assert [e.target_id for e in events] == [other["id"]]


async def test_revoking_the_current_session_logs_out(browser: AuthClient) -> None:
    await register(browser)
    current = (await browser.get(f"{AUTH}/sessions")).json()["data"][0]
    response = await browser.delete_csrf(f"{AUTH}/sessions/{current['id']}")
    assert response.status_code == 204
    assert "Max-Age=0" in set_cookie_headers(response)["brain_session"]
    assert (await browser.get(f"{AUTH}/me")).status_code == 401


async def test_another_users_session_is_404(
    browser: AuthClient, make_client: AuthClientFactory
) -> None:
    await register(browser)
    async with make_client() as stranger:
        await register(stranger)
        theirs = (await stranger.get(f"{AUTH}/sessions")).json()["data"][0]["id"]
        assert (await browser.get(f"{AUTH}/sessions/{theirs}")).status_code == 404
        response = await browser.delete_csrf(f"{AUTH}/sessions/{theirs}")
        assert response.status_code == 404
        assert problem_kind(response) == "not-found"
        assert (await stranger.get(f"{AUTH}/me")).status_code == 200


async def test_revoke_all_other_sessions(
    browser: AuthClient, make_client: AuthClientFactory, db: AsyncSession
) -> None:
    _, account = await register(browser)
    async with make_client() as second, make_client() as third:
        await login(second, account.email, PASSWORD)
        await login(third, account.email, PASSWORD)
        response = await browser.delete_csrf(f"{AUTH}/sessions")
        assert response.status_code == 204
        assert (await second.get(f"{AUTH}/me")).status_code == 401
        assert (await third.get(f"{AUTH}/me")).status_code == 401
        assert (await browser.get(f"{AUTH}/me")).status_code == 200
        assert len((await browser.get(f"{AUTH}/sessions")).json()["data"]) == 1
    events = await audit_actions(db, actor_id=account.user_id, action="auth.session.revoke")
    assert events[-1].details == {"scope": "others", "count": 2}


async def test_idle_timeout_default_30_minutes(
    browser: AuthClient, frozen_clock: FrozenClock
) -> None:
    await register(browser)
    for _ in range(3):
        frozen_clock.advance(timedelta(minutes=29))
        assert (await browser.get(f"{AUTH}/me")).status_code == 200
    frozen_clock.advance(timedelta(minutes=30))
    expired = await browser.get(f"{AUTH}/me")
    assert expired.status_code == 401
    assert problem_kind(expired) == "unauthorized"


async def test_absolute_timeout_default_12_hours(
    browser: AuthClient, frozen_clock: FrozenClock
) -> None:
    await register(browser)
    elapsed = timedelta()
    while elapsed + timedelta(minutes=25) < timedelta(hours=12):
        frozen_clock.advance(timedelta(minutes=25))
        elapsed += timedelta(minutes=25)
        assert (await browser.get(f"{AUTH}/me")).status_code == 200, elapsed
    frozen_clock.advance(timedelta(hours=12) - elapsed)
    assert (await browser.get(f"{AUTH}/me")).status_code == 401


async def _owner_sets_timeouts(browser: AuthClient, account: Account, **changes: int) -> None:
    response = await browser.patch_csrf(
        f"/api/v1/organizations/{account.organization_id}", json=changes
    )
    assert response.status_code == 200, response.text


async def test_organization_timeouts_apply_to_new_sessions(
    browser: AuthClient, make_client: AuthClientFactory, frozen_clock: FrozenClock
) -> None:
    _, account = await register(browser)
    await _owner_sets_timeouts(browser, account, session_idle_minutes=10,
                               session_absolute_hours=1)
    async with make_client() as idle, make_client() as busy:
        await login(idle, account.email, PASSWORD)
        await login(busy, account.email, PASSWORD)
        for _ in range(6):
            frozen_clock.advance(timedelta(minutes=9))
            assert (await busy.get(f"{AUTH}/me")).status_code == 200
        assert (await idle.get(f"{AUTH}/me")).status_code == 401
        frozen_clock.advance(timedelta(minutes=6))  # 60 minutes after login
        assert (await busy.get(f"{AUTH}/me")).status_code == 401


async def test_organization_timeout_bounds(browser: AuthClient) -> None:
    _, account = await register(browser)
    path = f"/api/v1/organizations/{account.organization_id}"
    for body in ({"session_idle_minutes": 4}, {"session_idle_minutes": 1441},
                 {"session_absolute_hours": 0}, {"session_absolute_hours": 721}):
        response = await browser.patch_csrf(path, json=body)
        assert response.status_code == 422, body
    response = await browser.patch_csrf(path, json={"mfa_required": False})
    assert response.status_code == 200


async def test_strictest_organization_wins(
    browser: AuthClient, make_client: AuthClientFactory, frozen_clock: FrozenClock,
    db: AsyncSession,
) -> None:
    from brain.organizations.models import Membership

    _, account = await register(browser)
    async with make_client() as other_owner:
        _, strict = await register(other_owner, organization_name="Strict Org")
        await _owner_sets_timeouts(other_owner, strict, session_idle_minutes=5)
    db.add(Membership(organization_id=strict.organization_id, user_id=account.user_id,
                      role="viewer"))
    await db.commit()
    async with make_client() as client:
        await login(client, account.email, PASSWORD)
        frozen_clock.advance(timedelta(minutes=6))
        assert (await client.get(f"{AUTH}/me")).status_code == 401
