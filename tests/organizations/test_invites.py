"""Invitations: created by members:invite holders, emailed (received by a real SMTP server;
the token is taken from the link), listed, revoked, and accepted once within 7 days by new and
existing users, who are then logged in."""

from __future__ import annotations

import uuid
from datetime import timedelta

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from brain.core.clock import FrozenClock
from brain.core.db import set_system_mode
from brain.identity.models import TotpFactor, User, UserSession
from brain.identity.sessions import CSRF_COOKIE, SESSION_COOKIE, hash_token
from brain.organizations.models import (
    CustomRole,
    Invite,
    Membership,
    Organization,
    SsoConnection,
)
from tests.factories import Tenant
from tests.organizations.helpers import (
    PASSWORD,
    Person,
    add_person,
    audit_events,
    ok,
    problem,
)
from tests.smtp_sink import SmtpSink, extract_token, text_part

NEW_PASSWORD = "a long and unusual passphrase 7"


async def _invite(
    client: httpx.AsyncClient, tenant: Tenant, who: Person | dict[str, str], email: str,
    sink: SmtpSink, **body: str,
) -> tuple[dict[str, str], str]:
    """Invite `email`; the invite and the token from the email that arrived."""
    headers = who.headers if isinstance(who, Person) else who
    response = await client.post(tenant.path("/invites"), json={"email": email, **body},
                                 headers=headers)
    invite = ok(response, 201)
    message = await sink.wait_for_async(to=email, timeout=5)
    return invite, extract_token(message)


def _session_headers(response: httpx.Response) -> dict[str, str]:
    token = response.cookies[SESSION_COOKIE]
    csrf = response.cookies[CSRF_COOKIE]
    return {"Cookie": f"{SESSION_COOKIE}={token}; {CSRF_COOKIE}={csrf}", "X-CSRF-Token": csrf}


async def _accept(
    client: httpx.AsyncClient, token: str, headers: dict[str, str] | None = None, **body: str
) -> httpx.Response:
    response = await client.post(f"/api/v1/invites/{token}/accept", json=body,
                                 headers=headers or {})
    client.cookies.clear()
    return response


async def test_invite_a_new_user_who_signs_up_by_accepting(
    client: httpx.AsyncClient, db: AsyncSession, sink: SmtpSink, tenant: Tenant, owner: Person,
) -> None:
    invite, token = await _invite(client, tenant, owner, "New.Person@Example.com", sink,
                                  role="analyst")
    assert invite["email"] == "new.person@example.com"
    assert invite["role"] == "analyst"
    assert invite["invited_by_user_id"] == str(owner.user_id)
    assert token not in str(invite)
    message = sink.messages[-1]
    assert tenant.name in message["Subject"] + text_part(message)
    assert owner.name in text_part(message)
    assert "https://app.brain.test/invite?token=" in text_part(message)
    stored = await db.scalar(select(Invite).where(Invite.id == uuid.UUID(invite["id"])))
    assert stored is not None
    assert stored.token_hash == hash_token(token)
    assert token not in stored.token_hash

    listed = ok(await client.get(tenant.path("/invites"), headers=tenant.admin))
    assert [i["id"] for i in listed["data"]] == [invite["id"]]

    # A new account needs a name and a password (a good one).
    missing = problem(await _accept(client, token), 422)
    assert {tuple(e["loc"]) for e in missing["errors"]} == {("body", "name"),
                                                           ("body", "password")}
    problem(await _accept(client, token, name="Nuevo", password="password1234"), 422)

    response = await _accept(client, token, name="Nuevo", password=NEW_PASSWORD)
    body = ok(response)
    assert body["organization_id"] == str(tenant.id)
    assert body["organization_name"] == tenant.name
    assert body["member"]["role"] == "analyst"
    assert body["member"]["email"] == "new.person@example.com"
    assert body["logged_in"] is True
    assert response.headers["cache-control"] == "no-store"
    assert token not in response.text
    session = _session_headers(response)
    # Logged in: the new member uses the organization (and may write data as an analyst).
    ok(await client.get(tenant.path(), headers=session))
    ok(await client.post(tenant.path("/channels"), json={"name": "Mine", "platform": "meta"},
                         headers=session), 201)
    await set_system_mode(db, True)
    user = await db.scalar(select(User).where(User.email == "new.person@example.com"))
    assert user is not None
    assert user.email_verified_at is not None
    assert user.default_organization_id == tenant.id
    assert user.password_hash is not None
    assert NEW_PASSWORD not in user.password_hash
    user_id = user.id

    # Single use. Error answers never show the token (`instance` masks it).
    gone = problem(await _accept(client, token, name="Again", password=NEW_PASSWORD), 410,
                   "gone")
    assert gone["instance"] == "/api/v1/invites/{token}/accept"
    assert token not in str(gone)
    assert ok(await client.get(tenant.path("/invites"), headers=tenant.admin))["data"] == []
    [event] = await audit_events(db, tenant.id, "invite.accept")
    assert event.actor_id == user_id
    assert event.details["new_account"] is True
    assert [e.action for e in await audit_events(db, tenant.id, "invite.create")]


async def test_an_expired_invite_is_gone(
    client: httpx.AsyncClient, clock: FrozenClock, sink: SmtpSink, tenant: Tenant,
    owner: Person,
) -> None:
    _, token = await _invite(client, tenant, owner, "late@example.com", sink)
    clock.advance(timedelta(days=7) - timedelta(seconds=1))
    assert ok(await client.get(tenant.path("/invites"), headers=tenant.admin))["data"]
    clock.advance(timedelta(seconds=1))
    assert ok(await client.get(tenant.path("/invites"), headers=tenant.admin))["data"] == []
    body = problem(await _accept(client, token, name="Late", password=NEW_PASSWORD), 410,
                   "gone")
    assert "expired" in body["detail"]


async def test_a_revoked_invite_no_longer_works(
    client: httpx.AsyncClient, db: AsyncSession, sink: SmtpSink, tenant: Tenant,
    owner: Person,
) -> None:
    invite, token = await _invite(client, tenant, tenant.admin, "revoked@example.com", sink)
    url = tenant.path(f"/invites/{invite['id']}")
    etag = (await client.get(url, headers=owner.headers)).headers["etag"]
    problem(await client.delete(url, headers={**owner.headers, "If-Match": '"stale"'}), 412)
    assert (await client.delete(url, headers={**owner.headers, "If-Match": etag})
            ).status_code == 204
    problem(await client.get(url, headers=owner.headers), 404)
    problem(await _accept(client, token, name="Nope", password=NEW_PASSWORD), 404)
    problem(await _accept(client, "not-a-token", name="Nope", password=NEW_PASSWORD), 404)
    assert [e.action for e in await audit_events(db, tenant.id)] == ["invite.create",
                                                                    "invite.revoke"]
    # An API key's invite names no inviting user.
    assert invite["invited_by_user_id"] is None


async def test_an_existing_user_accepts_from_the_email_link(
    client: httpx.AsyncClient, db: AsyncSession, clock: FrozenClock, sink: SmtpSink,
    tenant: Tenant, other_tenant: Tenant, owner: Person,
) -> None:
    """A user of another organization, not logged in: the emailed token proves the address;
    a password, when given, must be theirs."""
    existing = await add_person(db, clock, other_tenant.id, "owner", password=PASSWORD)
    _, token = await _invite(client, tenant, owner, existing.email, sink, role="viewer")
    problem(await _accept(client, token, password="not the password 123"), 401)
    response = await _accept(client, token, password=PASSWORD)
    body = ok(response)
    assert body["logged_in"] is True
    assert body["member"]["user_id"] == str(existing.user_id)
    session = _session_headers(response)
    # One user, two organizations: both work with the same session.
    ok(await client.get(tenant.path(), headers=session))
    ok(await client.get(other_tenant.path(), headers=session))
    [event] = await audit_events(db, tenant.id, "invite.accept")
    assert event.details["new_account"] is False


async def test_a_logged_in_user_accepts_with_their_session(
    client: httpx.AsyncClient, db: AsyncSession, clock: FrozenClock, sink: SmtpSink,
    tenant: Tenant, other_tenant: Tenant, owner: Person,
) -> None:
    invitee = await add_person(db, clock, other_tenant.id, "admin")
    someone_else = await add_person(db, clock, None)
    _, token = await _invite(client, tenant, owner, invitee.email, sink, role="admin")
    # The session must belong to the invited email, and carry the CSRF header.
    problem(await _accept(client, token, headers=someone_else.headers), 403)
    problem(await _accept(client, token, headers={"Cookie": invitee.headers["Cookie"]}), 403,
            "csrf-failed")
    response = await _accept(client, token, headers=invitee.headers)
    body = ok(response)
    assert body["logged_in"] is False
    assert SESSION_COOKIE not in response.cookies
    assert ok(await client.get(tenant.path("/members"), headers=invitee.headers))["data"]
    # Already a member now.
    _, token2 = await _invite(client, tenant, owner, "second@example.com", sink)
    problem(await client.post(tenant.path("/invites"), json={"email": invitee.email},
                              headers=owner.headers), 409)
    assert token2


async def test_accepting_into_an_organization_one_belongs_to_is_a_conflict(
    client: httpx.AsyncClient, db: AsyncSession, clock: FrozenClock, sink: SmtpSink,
    tenant: Tenant, owner: Person,
) -> None:
    email = "twice@example.com"
    _, token = await _invite(client, tenant, owner, email, sink)
    member = await add_person(db, clock, tenant.id, "viewer", email=email)
    problem(await _accept(client, token, headers=member.headers), 409)


async def test_a_user_with_mfa_must_log_in_first(
    client: httpx.AsyncClient, db: AsyncSession, clock: FrozenClock, sink: SmtpSink,
    tenant: Tenant, owner: Person,
) -> None:
    person = await add_person(db, clock, None, password=PASSWORD)
    await set_system_mode(db, True)
    db.add(TotpFactor(user_id=person.user_id, secret_encrypted="x", confirmed_at=clock.now()))
    await db.commit()
    _, token = await _invite(client, tenant, owner, person.email, sink)
    problem(await _accept(client, token), 401)
    problem(await _accept(client, token, password=PASSWORD), 401)
    # The invite was not used up: accepting while logged in works.
    assert ok(await _accept(client, token, headers=person.headers))["logged_in"] is False


async def test_invite_rules(
    client: httpx.AsyncClient, db: AsyncSession, clock: FrozenClock, sink: SmtpSink,
    tenant: Tenant, other_tenant: Tenant, owner: Person,
) -> None:
    url = tenant.path("/invites")
    admin = await add_person(db, clock, tenant.id, "admin")
    # Only owners invite owners.
    body = problem(await client.post(url, json={"email": "boss@example.com", "role": "owner"},
                                     headers=admin.headers), 403)
    assert body["required_role"] == "owner"
    problem(await client.post(url, json={"email": "boss@example.com", "role": "owner"},
                              headers=tenant.admin), 403)
    invite, token = await _invite(client, tenant, owner, "boss@example.com", sink, role="owner")
    assert invite["role"] == "owner"
    # One pending invite per email.
    problem(await client.post(url, json={"email": "boss@example.com"}, headers=owner.headers),
            409)
    # Analysts may not invite; bad emails and unknown fields are 422.
    problem(await client.post(url, json={"email": "x@example.com"}, headers=tenant.analyst),
            403, "forbidden")
    problem(await client.post(url, json={"email": "not an email"}, headers=owner.headers), 422)
    problem(await client.post(url, json={"email": "x@example.com", "token": "mine"},
                              headers=owner.headers), 422)
    # Custom roles: this organization's only, and not more than the inviter holds.
    await set_system_mode(db, True)
    foreign = CustomRole(organization_id=other_tenant.id, name="Foreign",
                         permissions=["organization:read"])
    db.add(foreign)
    await db.commit()
    problem(await client.post(url, json={"email": "c@example.com",
                                         "custom_role_id": str(foreign.id)},
                              headers=owner.headers), 404)
    role = ok(await client.post(tenant.path("/roles"), json={
        "name": "Buyer", "permissions": ["organization:read", "data:read"]},
        headers=owner.headers), 201)
    invite, token = await _invite(client, tenant, owner, "buyer@example.com", sink,
                                  custom_role_id=role["id"])
    assert invite["role"] == "custom"
    body = ok(await _accept(client, token, name="Buyer", password=NEW_PASSWORD))
    assert body["member"]["custom_role_id"] == role["id"]


async def test_the_plan_caps_seats(
    client: httpx.AsyncClient, db: AsyncSession, clock: FrozenClock, sink: SmtpSink,
    tenant: Tenant, owner: Person,
) -> None:
    """Starter allows 10 members (pending invites count)."""
    await set_system_mode(db, True)
    org = await db.get(Organization, tenant.id)
    assert org is not None
    org.plan = "starter"
    for _ in range(8):
        db.add(User(email=f"seat-{uuid.uuid4().hex[:8]}@example.com", name="Seat"))
    await db.flush()
    users = (await db.scalars(select(User).where(User.name == "Seat"))).all()
    for user in users:
        db.add(Membership(organization_id=tenant.id, user_id=user.id, role="viewer"))
    await db.commit()
    _, token = await _invite(client, tenant, owner, "tenth@example.com", sink)
    body = problem(await client.post(tenant.path("/invites"), json={"email": "x@example.com"},
                                     headers=owner.headers), 409)
    assert body["violations"][0]["allowed"] == 10
    ok(await _accept(client, token, name="Tenth", password=NEW_PASSWORD))


async def test_accept_logs_in_with_a_new_session_row(
    client: httpx.AsyncClient, db: AsyncSession, sink: SmtpSink, tenant: Tenant,
    owner: Person,
) -> None:
    _, token = await _invite(client, tenant, owner, "row@example.com", sink)
    response = await _accept(client, token, name="Row", password=NEW_PASSWORD)
    ok(response)
    await set_system_mode(db, True)
    row = await db.scalar(select(UserSession).where(
        UserSession.token_hash == hash_token(response.cookies[SESSION_COOKIE])))
    assert row is not None
    assert row.method == "invite"
    cookie = next(v for k, v in response.headers.multi_items()
                  if k == "set-cookie" and v.startswith(SESSION_COOKIE))
    assert "HttpOnly" in cookie


async def test_errors_of_the_accept_route_never_echo_the_token(
    client: httpx.AsyncClient, sink: SmtpSink, tenant: Tenant, owner: Person,
) -> None:
    _, token = await _invite(client, tenant, owner, "echo@example.com", sink)
    for response in (
        await _accept(client, token, name="<b>x</b>", password=NEW_PASSWORD),  # 422 (body)
        await _accept(client, token),  # 422 (service)
        await _accept(client, token + "x", name="X", password=NEW_PASSWORD),  # 404
        await client.post(f"/api/v1/invites/{token}/accept", content=b"{",
                          headers={"Content-Type": "application/json"}),
    ):
        assert response.status_code in (404, 422), response.text
        assert token not in response.text
        assert response.json()["instance"] == "/api/v1/invites/{token}/accept"


async def test_sso_enforced_domains_sign_in_with_sso_first(
    client: httpx.AsyncClient, db: AsyncSession, clock: FrozenClock, sink: SmtpSink,
    tenant: Tenant, other_tenant: Tenant, owner: Person,
) -> None:
    await set_system_mode(db, True)
    db.add(SsoConnection(organization_id=other_tenant.id, issuer="https://idp.example.com",
                         client_id="brain", client_secret_encrypted="x",
                         allowed_domains=["corp.example"], enforced=True))
    await db.commit()
    existing = await add_person(db, clock, other_tenant.id, email="ana@corp.example")
    _, token = await _invite(client, tenant, owner, "bob@corp.example", sink)
    problem(await _accept(client, token, name="Bob", password=NEW_PASSWORD), 409)
    _, token = await _invite(client, tenant, owner, existing.email, sink)
    problem(await _accept(client, token), 409)
    # Signed in (through SSO), the invitee accepts with the session.
    assert ok(await _accept(client, token, headers=existing.headers))["logged_in"] is False
