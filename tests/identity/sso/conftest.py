"""Fixtures of the SSO tests: a real OpenID provider on loopback (one per test run), the app
configured to use it for organization SSO and as the stand-in for Google and Microsoft, a
browser at our API and one at the provider, and an organization with a connection."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import pytest_asyncio
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from brain.app import create_app
from brain.core.clock import FrozenClock
from brain.core.jobs import InlineDispatcher
from brain.core.runtime import Runtime
from brain.organizations.models import Organization
from brain.settings import Settings
from tests.factories import Tenant, make_tenant, put_on_plan
from tests.identity.sso.provider import (
    INSTALL_HINT,
    IdpBrowser,
    OidcProvider,
    ProviderUnavailable,
    start_provider,
)

PUBLIC_URL = "http://127.0.0.1:8000"
SSO_CALLBACK = f"{PUBLIC_URL}/api/v1/auth/sso/callback"
SSO_CLIENT = {"client_id": "brain-sso", "client_secret": "sso-client-secret-0123456789"}
GOOGLE_CLIENT = {"client_id": "brain-google", "client_secret": "google-client-secret-0123456"}
MICROSOFT_CLIENT = {"client_id": "brain-microsoft",
                    "client_secret": "microsoft-client-secret-0123"}
STRICT_CLIENT = {"client_id": "brain-sso-strict", "client_secret": "strict-client-secret-0123"}
CONTOSO_TENANT = "6f1b2c3d-0000-4000-8000-00000000c0de"

# Provider accounts (the id is the `sub`, and what the test browser logs in as).
USERS: dict[str, dict[str, Any]] = {
    "alice": {"email": "alice@acme.test", "email_verified": True, "name": "Alice Adams",
              "groups": ["engineering"]},
    "bob": {"email": "bob@acme.test", "email_verified": True, "name": "Bob Brown",
            "groups": ["engineering", "brain-admins"]},
    "erin": {"email": "erin@acme.test", "email_verified": True, "name": "Erin Ellis",
             "groups": ["founders"]},
    "frank": {"email": "frank@acme.test", "name": "Frank Fox"},
    "dave": {"email": "dave@acme.test", "email_verified": False, "name": "Dave Doe"},
    "carol": {"email": "carol@other.test", "email_verified": True, "name": "Carol Cruz"},
    "nomail": {"name": "No Mail"},
    "pat": {"email": "pat@example.org", "email_verified": True, "name": "Pat Park"},
    "uma": {"email": "uma@example.org", "email_verified": False, "name": "Uma Ueda"},
    "max": {"email": "max@contoso.test", "name": "Max Meyer", "tid": CONTOSO_TENANT,
            "xms_edov": True},
    "nia": {"email": "nia@contoso.test", "name": "Nia Nash", "tid": CONTOSO_TENANT},
}


@pytest_asyncio.fixture
async def tenant(session_factory: async_sessionmaker[AsyncSession]) -> Tenant:
    """The organization of the SSO tests, on the Enterprise plan: enforcing SSO is an
    Enterprise feature (elsewhere the test organization is on the trial)."""
    made = await make_tenant(session_factory, "Tenant A")
    await put_on_plan(session_factory, made.id, "enterprise")
    return made


def provider_config() -> dict[str, Any]:
    social = f"{PUBLIC_URL}/api/v1/auth/social"
    return {
        "clients": [
            {**SSO_CLIENT, "redirect_uris": [SSO_CALLBACK]},
            {**GOOGLE_CLIENT, "redirect_uris": [f"{social}/google/callback"]},
            {**MICROSOFT_CLIENT, "redirect_uris": [f"{social}/microsoft/callback"]},
        ],
        "users": USERS,
        "claims": {
            "openid": ["sub"],
            "email": ["email", "email_verified"],
            "profile": ["name", "groups", "tid", "xms_edov"],
        },
    }


def strict_provider_config() -> dict[str, Any]:
    """A provider whose ID tokens carry no profile claims (UserInfo has them) and whose token
    endpoint takes only client_secret_post."""
    return {
        "clients": [{**STRICT_CLIENT, "redirect_uris": [SSO_CALLBACK],
                     "token_endpoint_auth_method": "client_secret_post"}],
        "users": {"alice": USERS["alice"]},
        "conformIdTokenClaims": True,
        "clientAuthMethods": ["client_secret_post"],
    }


def _start(config: dict[str, Any], factory: pytest.TempPathFactory, name: str) -> OidcProvider:
    try:
        return start_provider(config, factory.mktemp(name))
    except ProviderUnavailable as exc:
        pytest.skip(f"{exc}: the SSO tests need Node.js 20+ and `{INSTALL_HINT}`")


@pytest.fixture(scope="session")
def oidc_provider(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OidcProvider]:
    provider = _start(provider_config(), tmp_path_factory, "oidc")
    yield provider
    provider.stop()


@pytest.fixture(scope="session")
def strict_provider(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OidcProvider]:
    provider = _start(strict_provider_config(), tmp_path_factory, "oidc-strict")
    yield provider
    provider.stop()


@pytest.fixture
def sso_clock() -> FrozenClock:
    """The app's clock, at the real time (the provider signs tokens with its own clock)."""
    return FrozenClock(datetime.now(UTC))


@pytest.fixture
def sso_overrides() -> dict[str, Any]:
    """Settings a test changes (override this fixture)."""
    return {}


@pytest.fixture
def sso_settings(
    settings: Settings, oidc_provider: OidcProvider, sso_overrides: dict[str, Any]
) -> Settings:
    return settings.model_copy(
        update={
            "public_url": PUBLIC_URL,
            "social_google_client_id": GOOGLE_CLIENT["client_id"],
            "social_google_client_secret": GOOGLE_CLIENT["client_secret"],
            "social_google_issuer": oidc_provider.issuer,
            "social_microsoft_client_id": MICROSOFT_CLIENT["client_id"],
            "social_microsoft_client_secret": MICROSOFT_CLIENT["client_secret"],
            "social_microsoft_issuer": oidc_provider.issuer,
            **sso_overrides,
        }
    )


@pytest.fixture
def sso_runtime(sso_settings: Settings, runtime: Runtime, sso_clock: FrozenClock) -> Runtime:
    return Runtime(
        settings=sso_settings,
        engine=runtime.engine,
        session_factory=runtime.session_factory,
        cache=runtime.cache,
        owns_engine=False,
        clock=sso_clock,
        keyring=runtime.keys,
    )


@pytest.fixture
def sso_app(sso_settings: Settings, sso_runtime: Runtime) -> FastAPI:
    return create_app(sso_settings, runtime=sso_runtime,
                      dispatcher=InlineDispatcher(sso_runtime))


def web_client(app: FastAPI) -> httpx.AsyncClient:
    """A browser at our API (its own cookie jar), addressed by the public URL."""
    transport = httpx.ASGITransport(app=app, client=("198.51.100.20", 50000))
    return httpx.AsyncClient(transport=transport, base_url=PUBLIC_URL,
                             headers={"User-Agent": "Mozilla/5.0 (SSO test)"})


@pytest_asyncio.fixture
async def web(sso_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with web_client(sso_app) as client:
        yield client


@pytest_asyncio.fixture
async def idp() -> AsyncIterator[IdpBrowser]:
    browser = IdpBrowser()
    yield browser
    await browser.close()


@dataclass
class SsoOrg:
    """An organization with an SSO connection to the test provider."""

    tenant: Tenant
    slug: str
    connection: dict[str, Any]

    @property
    def id(self) -> uuid.UUID:
        return self.tenant.id

    @property
    def login_path(self) -> str:
        return f"/api/v1/auth/sso/{self.slug}/login"


def connection_body(provider: OidcProvider, **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "issuer": provider.issuer,
        "client_id": SSO_CLIENT["client_id"],
        "client_secret": SSO_CLIENT["client_secret"],
        "allowed_domains": ["acme.test"],
        "default_role": "viewer",
        "role_claim": "groups",
        "role_mapping": {"engineering": "analyst", "brain-admins": "admin",
                         "founders": "owner"},
    }
    body.update(changes)
    return body


async def configure_sso(
    web: httpx.AsyncClient, db: AsyncSession, tenant: Tenant, body: dict[str, Any]
) -> SsoOrg:
    response = await web.put(tenant.path("/sso"), json=body, headers=tenant.admin)
    assert response.status_code in (200, 201), response.text
    slug = await db.scalar(select(Organization.slug).where(Organization.id == tenant.id))
    assert slug is not None
    return SsoOrg(tenant=tenant, slug=slug, connection=response.json())


@pytest_asyncio.fixture
async def acme(
    web: httpx.AsyncClient, db: AsyncSession, tenant: Tenant, oidc_provider: OidcProvider
) -> SsoOrg:
    return await configure_sso(web, db, tenant, connection_body(oidc_provider))
