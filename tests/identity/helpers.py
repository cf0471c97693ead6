"""Helpers of the auth tests: a cookie-aware client that echoes the CSRF cookie, sign-up and
login shortcuts, emails by kind, and audit-trail lookups."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from brain.audit.models import AuditEvent
from brain.identity.sessions import CSRF_COOKIE, SESSION_COOKIE
from tests.smtp_sink import SmtpSink, extract_token

CHROME_MAC = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36"
)
FIREFOX_WINDOWS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0"
)
PASSWORD = "violet-Harbor-lantern-93"
OTHER_PASSWORD = "Quiet-meadow-copper-7741"
AUTH = "/api/v1/auth"


class AuthClient(httpx.AsyncClient):
    """An httpx client whose unsafe requests echo the `brain_csrf` cookie, like the web app."""

    def csrf(self) -> dict[str, str]:
        value = self.cookies.get(CSRF_COOKIE)
        return {"X-CSRF-Token": value} if value else {}

    async def send_with_csrf(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        headers = {**self.csrf(), **kwargs.pop("headers", {})}
        return await self.request(method, url, headers=headers, **kwargs)

    async def post_csrf(self, url: str, **kwargs: Any) -> httpx.Response:
        return await self.send_with_csrf("POST", url, **kwargs)

    async def patch_csrf(self, url: str, **kwargs: Any) -> httpx.Response:
        return await self.send_with_csrf("PATCH", url, **kwargs)

    async def delete_csrf(self, url: str, **kwargs: Any) -> httpx.Response:
        return await self.send_with_csrf("DELETE", url, **kwargs)

    @property
    def session_token(self) -> str | None:
        return self.cookies.get(SESSION_COOKIE)


@dataclass
class Account:
    email: str
    password: str
    name: str
    user_id: uuid.UUID
    organization_id: uuid.UUID


def new_email(prefix: str = "user") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}@example.com"


async def register(
    client: httpx.AsyncClient,
    *,
    email: str | None = None,
    password: str = PASSWORD,
    name: str = "Ana Torres",
    organization_name: str = "Acme Coffee",
    locale: str | None = None,
) -> tuple[httpx.Response, Account]:
    body: dict[str, Any] = {
        "email": email or new_email(),
        "password": password,
        "name": name,
        "organization_name": organization_name,
    }
    if locale is not None:
        body["locale"] = locale
    response = await client.post(f"{AUTH}/register", json=body)
    assert response.status_code == 201, response.text
    data = response.json()
    account = Account(
        email=body["email"].lower(), password=password, name=name,
        user_id=uuid.UUID(data["user"]["id"]),
        organization_id=uuid.UUID(data["organization_id"]),
    )
    return response, account


async def login(
    client: httpx.AsyncClient, email: str, password: str, *, expect: int = 200
) -> httpx.Response:
    response = await client.post(f"{AUTH}/login", json={"email": email, "password": password})
    assert response.status_code == expect, response.text
    return response


def emails(sink: SmtpSink, to: str, category: str) -> list[EmailMessage]:
    """Messages of one kind (the X-Brain-Category header: the template name) for `to`."""
    return [
        m for m in sink._matching(to) if m.get("X-Brain-Category") == category
    ]


def latest_email(sink: SmtpSink, to: str, category: str, *, count: int = 1) -> EmailMessage:
    """The latest `category` email for `to`, after waiting for at least `count` of them."""
    sink.wait_for(to=to, timeout=5)
    found = emails(sink, to, category)
    assert len(found) >= count, f"{len(found)} {category} email(s) for {to}, wanted {count}"
    return found[-1]


def token_from(sink: SmtpSink, to: str, category: str, *, count: int = 1) -> str:
    return extract_token(latest_email(sink, to, category, count=count))


async def audit_actions(
    db: AsyncSession, *, actor_id: uuid.UUID | None = None, action: str | None = None
) -> list[AuditEvent]:
    stmt = select(AuditEvent).order_by(AuditEvent.created_at, AuditEvent.id)
    if actor_id is not None:
        stmt = stmt.where(AuditEvent.actor_id == actor_id)
    if action is not None:
        stmt = stmt.where(AuditEvent.action == action)
    return list((await db.scalars(stmt)).all())


def set_cookie_headers(response: httpx.Response) -> dict[str, str]:
    """`Set-Cookie` headers by cookie name."""
    found: dict[str, str] = {}
    for header in response.headers.get_list("set-cookie"):
        name = header.split("=", 1)[0].strip()
        found[name] = header
    return found


def problem_kind(response: httpx.Response) -> str:
    return str(response.json().get("type", "")).rsplit("/", 1)[-1]
