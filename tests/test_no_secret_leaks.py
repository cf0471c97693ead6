"""No secret ever leaves in a response or a log line, or sits in the database in clear.

A full flow — register, verify (token from the real SMTP sink), logout and login, a failed
login, password reset, password change, creating and using an API key, a refused weak password
— runs while every log record of every logger is captured at DEBUG (the `brain` tree and
SQLAlchemy's engine, which logs each statement with its parameters, included) and every
response is recorded. Then no password, session token, CSRF value, verification or reset
token or API key secret may appear in any log record, any response body or header (except
the documented one-time displays: the `Set-Cookie` of register/login and the `api_key` of
the key-creation response), or any row of any table.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field

import httpx
import pytest
import pytest_asyncio
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from brain.app import create_app
from brain.core.jobs import InlineDispatcher
from brain.core.models import Base
from brain.core.runtime import Runtime
from brain.settings import Settings
from tests.identity.helpers import AUTH, CHROME_MAC, AuthClient, token_from
from tests.smtp_sink import SmtpSink

PASSWORD_1 = "violet-Harbor-lantern-93"
PASSWORD_2 = "Quiet-meadow-copper-7741"
PASSWORD_3 = "Amber-fjord-whistle-2208"
WRONG_PASSWORD = "Wrong-guess-Octopus-55"
WEAK_PASSWORD = "password1234"
EMAIL = "leak-check@example.com"


@dataclass
class Recorded:
    """Every response of the flow, and the secrets the flow produced."""

    responses: list[tuple[str, httpx.Response]] = field(default_factory=list)
    secrets: dict[str, str] = field(default_factory=dict)
    # (label, what) pairs that carry a secret by contract.
    one_time: set[tuple[str, str]] = field(default_factory=set)

    def secret(self, name: str, value: str | None) -> None:
        assert value, f"the flow did not produce {name}"
        self.secrets[f"{name}#{len(self.secrets)}"] = value


@pytest.fixture(autouse=True)
def debug_logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    """DEBUG for every logger, set before the test's database connection is opened (SQLAlchemy
    decides per connection whether to log statements)."""
    for name in ("", "brain", "sqlalchemy", "sqlalchemy.engine", "sqlalchemy.pool",
                 "sqlalchemy.orm", "aiosmtplib", "httpx", "celery"):
        caplog.set_level(logging.DEBUG, logger=name)
    return caplog


@pytest.fixture
def sink() -> Iterator[SmtpSink]:
    with SmtpSink() as smtp:
        yield smtp


@pytest.fixture
def leak_app(settings: Settings, runtime: Runtime, sink: SmtpSink) -> FastAPI:
    leak_settings = settings.model_copy(
        update={"email_backend": "smtp", "smtp_url": sink.url, "log_level": "DEBUG"})
    leak_runtime = Runtime(
        settings=leak_settings, engine=runtime.engine, session_factory=runtime.session_factory,
        cache=runtime.cache, owns_engine=False,
    )
    return create_app(leak_settings, runtime=leak_runtime,
                      dispatcher=InlineDispatcher(leak_runtime))


@pytest_asyncio.fixture
async def recorded_client(leak_app: FastAPI) -> AsyncIterator[tuple[AuthClient, Recorded]]:
    recorded = Recorded()
    label = {"value": "start"}

    async def keep(response: httpx.Response) -> None:
        await response.aread()
        recorded.responses.append((label["value"], response))

    client = AuthClient(
        transport=httpx.ASGITransport(app=leak_app), base_url="http://testserver",
        headers={"User-Agent": CHROME_MAC}, event_hooks={"response": [keep]},
    )
    client.label = label  # type: ignore[attr-defined]
    async with client:
        yield client, recorded


async def _step(client: AuthClient, name: str) -> None:
    client.label["value"] = name  # type: ignore[attr-defined]


async def _run_flow(client: AuthClient, recorded: Recorded, sink: SmtpSink) -> None:
    for password in (PASSWORD_1, PASSWORD_2, PASSWORD_3, WRONG_PASSWORD, WEAK_PASSWORD):
        recorded.secret("password", password)

    await _step(client, "weak-register")
    weak = await client.post(f"{AUTH}/register", json={
        "email": EMAIL, "password": WEAK_PASSWORD, "name": "Lea Check",
        "organization_name": "Leak Co"})
    assert weak.status_code == 422

    await _step(client, "register")
    registered = await client.post(f"{AUTH}/register", json={
        "email": EMAIL, "password": PASSWORD_1, "name": "Lea Check",
        "organization_name": "Leak Co"})
    assert registered.status_code == 201, registered.text
    recorded.one_time.add(("register", "set-cookie"))
    org_id = registered.json()["organization_id"]
    recorded.secret("session", client.session_token)
    recorded.secret("csrf", client.cookies.get("brain_csrf"))

    await _step(client, "verify")
    verify_token = token_from(sink, EMAIL, "verify_email")
    recorded.secret("verify token", verify_token)
    assert (await client.post(f"{AUTH}/verify", json={"token": verify_token})).status_code == 200

    await _step(client, "logout")
    assert (await client.post_csrf(f"{AUTH}/logout")).status_code == 204

    await _step(client, "failed-login")
    failed = await client.post(f"{AUTH}/login", json={"email": EMAIL,
                                                      "password": WRONG_PASSWORD})
    assert failed.status_code == 401

    await _step(client, "login")
    assert (await client.post(f"{AUTH}/login", json={
        "email": EMAIL, "password": PASSWORD_1})).status_code == 200
    recorded.one_time.add(("login", "set-cookie"))
    recorded.secret("session", client.session_token)
    recorded.secret("csrf", client.cookies.get("brain_csrf"))

    await _step(client, "reset-request")
    assert (await client.post(f"{AUTH}/reset/request", json={"email": EMAIL})).status_code == 202
    reset_token = token_from(sink, EMAIL, "reset_password")
    recorded.secret("reset token", reset_token)

    await _step(client, "reset")
    assert (await client.post(f"{AUTH}/reset", json={
        "token": reset_token, "new_password": PASSWORD_2})).status_code == 204

    await _step(client, "login-after-reset")
    assert (await client.post(f"{AUTH}/login", json={
        "email": EMAIL, "password": PASSWORD_2})).status_code == 200
    recorded.one_time.add(("login-after-reset", "set-cookie"))
    recorded.secret("session", client.session_token)
    recorded.secret("csrf", client.cookies.get("brain_csrf"))

    await _step(client, "change-password")
    changed = await client.post_csrf(f"{AUTH}/password", json={
        "current_password": PASSWORD_2, "new_password": PASSWORD_3})
    assert changed.status_code == 204, changed.text

    await _step(client, "create-api-key")
    created = await client.post_csrf(f"/api/v1/organizations/{org_id}/api-keys",
                                     json={"name": "leak check", "role": "viewer"})
    assert created.status_code == 201, created.text
    recorded.one_time.add(("create-api-key", "api_key"))
    recorded.secret("api key", created.json()["api_key"])

    await _step(client, "use-api-key")
    used = await client.get(f"/api/v1/organizations/{org_id}",
                            headers={"Authorization": f"Bearer {created.json()['api_key']}"})
    assert used.status_code == 200

    await _step(client, "reads")
    assert (await client.get(f"{AUTH}/me")).status_code == 200
    assert (await client.get(f"{AUTH}/sessions")).status_code == 200
    assert (await client.get(f"/api/v1/organizations/{org_id}/api-keys")).status_code == 200


def _response_texts(recorded: Recorded) -> list[tuple[str, str]]:
    texts: list[tuple[str, str]] = []
    for label, response in recorded.responses:
        where = f"{label}: {response.request.method} {response.request.url.path}"
        for name, value in response.headers.multi_items():
            if (label, name.lower()) in recorded.one_time:
                continue
            texts.append((f"{where} header {name}", value))
        body = response.text
        if (label, "api_key") in recorded.one_time:
            payload = response.json()
            payload.pop("api_key", None)
            body = str(payload)
        texts.append((f"{where} body", body))
    return texts


def _log_texts(caplog: pytest.LogCaptureFixture) -> list[tuple[str, str]]:
    texts = []
    for record in caplog.records:
        parts = [record.getMessage(), repr(record.args), str(record.exc_text or "")]
        texts.append((f"log {record.name}:{record.levelname}", "\n".join(parts)))
    return texts


async def _table_texts(db: AsyncSession) -> list[tuple[str, str]]:
    texts = []
    for table in Base.metadata.sorted_tables:
        rows = (await db.execute(select(table))).all()
        texts.append((f"table {table.name}", "\n".join(repr(tuple(r)) for r in rows)))
    return texts


async def test_no_secret_in_responses_logs_or_tables(
    recorded_client: tuple[AuthClient, Recorded], sink: SmtpSink,
    debug_logs: pytest.LogCaptureFixture, db: AsyncSession,
) -> None:
    client, recorded = recorded_client
    await _run_flow(client, recorded, sink)

    loggers = {record.name for record in debug_logs.records}
    # The capture really saw the application and SQL logs (statements with parameters).
    assert any(name.startswith("sqlalchemy.engine") for name in loggers), loggers
    assert any(name.startswith("brain") for name in loggers), loggers
    assert len(recorded.responses) >= 15

    haystacks = _response_texts(recorded) + _log_texts(debug_logs) + await _table_texts(db)
    leaks = [
        f"{name} found in {where}"
        for where, text in haystacks
        for name, secret in recorded.secrets.items()
        if secret in text
    ]
    assert not leaks, "\n".join(leaks[:50])

    # The one-time displays did carry the secrets (so the scan looked for real values).
    cookies = " ".join(
        value for label, response in recorded.responses
        for name, value in response.headers.multi_items()
        if (label, name.lower()) in recorded.one_time
    )
    assert all(secret in cookies for name, secret in recorded.secrets.items()
               if name.startswith(("session", "csrf")))
