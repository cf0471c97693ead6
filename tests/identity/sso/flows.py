"""Walking the browser login flows in tests: our login URL → the provider → our callback."""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import urlsplit

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from brain.audit.models import AuditEvent
from brain.identity.models import ExternalIdentity, User, UserSession
from brain.identity.sessions import SESSION_COOKIE
from brain.organizations.models import Membership
from tests.identity.sso.provider import IdpBrowser, query


async def start(web: httpx.AsyncClient, path: str, **params: str) -> str:
    """Our login URL's redirect to the provider (asserted), as the authorization URL."""
    response = await web.get(path, params=params)
    assert response.status_code == 302, response.text
    location = response.headers["location"]
    assert not location.startswith("/login"), f"login refused: {location}"
    return location


async def login(
    web: httpx.AsyncClient,
    idp: IdpBrowser,
    path: str,
    user: str,
    *,
    deny: bool = False,
    **params: str,
) -> httpx.Response:
    """The whole flow for provider account `user`; returns our callback's response."""
    authorization_url = await start(web, path, **params)
    callback = await idp.authorize(authorization_url, user=user, deny=deny)
    return await web.get(callback)


def error_of(response: httpx.Response) -> str | None:
    """The `error` of a redirect to /login?error=…, None for any other response."""
    if response.status_code != 302:
        return None
    location = response.headers["location"]
    if not location.startswith("/login?"):
        return None
    return query(location).get("error")


def redirect_path(response: httpx.Response) -> str:
    assert response.status_code == 302, response.text
    return response.headers["location"]


def assert_signed_in(response: httpx.Response, next_path: str = "/") -> None:
    assert response.status_code == 302, response.text
    assert response.headers["location"] == next_path, response.headers["location"]
    assert SESSION_COOKIE in response.cookies, response.headers.get_list("set-cookie")


async def user_by_email(db: AsyncSession, email: str) -> User | None:
    user: User | None = await db.scalar(select(User).where(User.email == email))
    return user


async def identities(db: AsyncSession, user_id: uuid.UUID) -> list[ExternalIdentity]:
    return list(
        await db.scalars(select(ExternalIdentity).where(ExternalIdentity.user_id == user_id))
    )


async def membership(
    db: AsyncSession, organization_id: uuid.UUID, user_id: uuid.UUID
) -> Membership | None:
    found: Membership | None = await db.scalar(
        select(Membership).where(Membership.organization_id == organization_id,
                                 Membership.user_id == user_id)
    )
    return found


async def memberships(db: AsyncSession, user_id: uuid.UUID) -> list[Membership]:
    return list(await db.scalars(select(Membership).where(Membership.user_id == user_id)))


async def sessions_of(db: AsyncSession, user_id: uuid.UUID) -> list[UserSession]:
    return list(await db.scalars(select(UserSession).where(UserSession.user_id == user_id)))


async def audit_events(db: AsyncSession, action: str) -> list[AuditEvent]:
    stmt = (select(AuditEvent).where(AuditEvent.action == action)
            .order_by(AuditEvent.created_at, AuditEvent.id))
    return list(await db.scalars(stmt))


def authorization_params(url: str) -> dict[str, str]:
    return query(url)


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def cookie_header(response: httpx.Response, name: str) -> str:
    for header in response.headers.get_list("set-cookie"):
        if header.split("=", 1)[0].strip() == name:
            return header
    raise AssertionError(f"no Set-Cookie for {name}")


def merge(base: dict[str, Any], **changes: Any) -> dict[str, Any]:
    return {**base, **changes}
