"""Fixtures of the auth tests: the app built with a frozen clock and the SMTP email backend
pointed at a real SMTP sink (aiosmtpd on loopback), so every email the flows send is received
and its token taken from the link."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime

import httpx
import pytest
import pytest_asyncio
from fastapi import FastAPI

from brain.app import create_app
from brain.core.clock import FrozenClock
from brain.core.jobs import InlineDispatcher
from brain.core.runtime import Runtime
from brain.settings import Settings
from tests.identity.helpers import CHROME_MAC, AuthClient
from tests.smtp_sink import SmtpSink

START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


@pytest.fixture
def frozen_clock() -> FrozenClock:
    return FrozenClock(START)


@pytest.fixture
def sink() -> Iterator[SmtpSink]:
    """A real SMTP server on 127.0.0.1 that keeps what it receives."""
    with SmtpSink() as smtp:
        yield smtp


@pytest.fixture
def auth_overrides() -> dict[str, object]:
    """Settings a test module changes (override this fixture)."""
    return {}


@pytest.fixture
def auth_settings(
    settings: Settings, sink: SmtpSink, auth_overrides: dict[str, object]
) -> Settings:
    return settings.model_copy(
        update={"email_backend": "smtp", "smtp_url": sink.url, **auth_overrides}
    )


@pytest.fixture
def auth_runtime(
    auth_settings: Settings, runtime: Runtime, frozen_clock: FrozenClock
) -> Runtime:
    """The test database and cache, the SMTP settings, and the frozen clock."""
    return Runtime(
        settings=auth_settings,
        engine=runtime.engine,
        session_factory=runtime.session_factory,
        cache=runtime.cache,
        owns_engine=False,
        clock=frozen_clock,
    )


@pytest.fixture
def auth_app(auth_settings: Settings, auth_runtime: Runtime) -> FastAPI:
    return create_app(auth_settings, runtime=auth_runtime,
                      dispatcher=InlineDispatcher(auth_runtime))


@pytest.fixture
def make_client(auth_app: FastAPI) -> AuthClientFactory:
    return AuthClientFactory(auth_app)


class AuthClientFactory:
    """New browser-like clients (each with its own cookie jar) on the app."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app

    def __call__(self, user_agent: str = CHROME_MAC, ip: str = "127.0.0.1") -> AuthClient:
        transport = httpx.ASGITransport(app=self.app, client=(ip, 50000))
        return AuthClient(
            transport=transport, base_url="http://testserver",
            headers={"User-Agent": user_agent},
        )


@pytest_asyncio.fixture
async def browser(make_client: AuthClientFactory) -> AsyncIterator[AuthClient]:
    """A browser-like client (Chrome on macOS) with a cookie jar."""
    async with make_client() as client:
        yield client
