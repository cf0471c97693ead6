"""Organization single sign-on (OpenID Connect): the per-organization connection, its test
checklist, and which organizations enforce it."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request

from brain.audit.service import record_audit
from brain.core.auth import AuthContext
from brain.core.clock import Clock
from brain.core.crypto import DecryptionError, Keyring
from brain.core.db import set_system_mode
from brain.core.errors import Conflict, ProblemError
from brain.core.tenancy import TenantRepository
from brain.identity import oidc
from brain.identity.schemas_sso import (
    CheckStatus,
    SsoCheck,
    SsoConnectionRead,
    SsoConnectionWrite,
    SsoTestResult,
)
from brain.organizations.models import Organization, SsoConnection
from brain.settings import Settings

SSO_CALLBACK_PATH = "/api/v1/auth/sso/callback"


def email_domain(email: str) -> str:
    return email.rsplit("@", 1)[-1].strip().lower()


async def sso_enforced_for_email(session: AsyncSession, email: str) -> SsoConnection | None:
    """The enforcing SSO connection whose allowed domains include the email's, if any."""
    domain = email_domain(email)
    await set_system_mode(session, True)
    try:
        connections = (
            await session.scalars(
                select(SsoConnection)
                .join(Organization, Organization.id == SsoConnection.organization_id)
                .where(
                    SsoConnection.enforced.is_(True),
                    SsoConnection.enabled.is_(True),
                    Organization.deleted_at.is_(None),
                )
            )
        ).all()
    finally:
        await set_system_mode(session, False)
    for connection in connections:
        if domain in {d.lower() for d in connection.allowed_domains}:
            return connection
    return None


async def sso_connection_for_email(
    session: AsyncSession, email: str
) -> tuple[SsoConnection, Organization] | None:
    """The enabled SSO connection (and its organization) whose allowed domains include the
    email's, if any (a domain belongs to at most one enabled connection)."""
    domain = email_domain(email)
    if not domain:
        return None
    await set_system_mode(session, True)
    try:
        rows = (
            await session.execute(
                select(SsoConnection, Organization)
                .join(Organization, Organization.id == SsoConnection.organization_id)
                .where(SsoConnection.enabled.is_(True), Organization.deleted_at.is_(None))
                .order_by(SsoConnection.created_at, SsoConnection.id)
            )
        ).all()
    finally:
        await set_system_mode(session, False)
    for connection, organization in rows:
        if domain in {d.lower() for d in connection.allowed_domains}:
            return connection, organization
    return None


def sso_redirect_uri(settings: Settings) -> str:
    """The redirect URI every organization registers at its provider."""
    return settings.public_url.rstrip("/") + SSO_CALLBACK_PATH


def sso_login_path(slug: str) -> str:
    return f"/api/v1/auth/sso/{slug}/login"


def secret_context(organization_id: uuid.UUID) -> str:
    return f"sso_connections:{organization_id}"


class SsoConnectionRepository(TenantRepository[SsoConnection]):
    model = SsoConnection
    label = "SSO connection"


def connection_read(
    connection: SsoConnection, organization: Organization, settings: Settings
) -> SsoConnectionRead:
    return SsoConnectionRead(
        id=connection.id,
        created_at=connection.created_at,
        updated_at=connection.updated_at,
        issuer=connection.issuer,
        client_id=connection.client_id,
        has_client_secret=bool(connection.client_secret_encrypted),
        allowed_domains=list(connection.allowed_domains),
        default_role=connection.default_role,
        role_claim=connection.role_claim,
        role_mapping=dict(connection.role_mapping),
        enforced=connection.enforced,
        enabled=connection.enabled,
        redirect_uri=sso_redirect_uri(settings),
        login_url=sso_login_path(organization.slug),
    )


async def get_connection(session: AsyncSession, auth: AuthContext) -> SsoConnection | None:
    repo = SsoConnectionRepository(session, auth)
    result: SsoConnection | None = await session.scalar(repo.select())
    return result


async def domains_claimed_elsewhere(
    session: AsyncSession, organization_id: uuid.UUID, domains: list[str]
) -> list[str]:
    """Which of `domains` another organization's enabled connection already claims.

    A domain belongs to one organization: otherwise a second tenant could provision, or
    (enforced) lock out, the first one's users."""
    wanted = set(domains)
    await set_system_mode(session, True)
    try:
        rows = (
            await session.execute(
                select(SsoConnection.organization_id, SsoConnection.allowed_domains)
                .join(Organization, Organization.id == SsoConnection.organization_id)
                .where(SsoConnection.enabled.is_(True), Organization.deleted_at.is_(None))
            )
        ).all()
    finally:
        await set_system_mode(session, False)
    taken: set[str] = set()
    for other_org, other_domains in rows:
        if other_org != organization_id:
            taken |= wanted & {d.lower() for d in other_domains}
    return sorted(taken)


_AUDITED_FIELDS = (
    "issuer", "client_id", "allowed_domains", "default_role", "role_claim", "role_mapping",
    "enforced", "enabled",
)


async def put_connection(
    session: AsyncSession,
    *,
    auth: AuthContext,
    body: SsoConnectionWrite,
    keys: Keyring,
    clock: Clock,
    request: Request,
) -> tuple[SsoConnection, bool]:
    """Create or replace the organization's connection; returns it and whether it is new."""
    connection = await get_connection(session, auth)
    created = connection is None
    if body.enabled:
        taken = await domains_claimed_elsewhere(session, auth.organization_id,
                                                body.allowed_domains)
        if taken:
            raise Conflict(
                f"Another organization already uses SSO for: {', '.join(taken)}."
            )
    secret = body.client_secret.get_secret_value() if body.client_secret else None
    if connection is None:
        if secret is None:
            raise ProblemError(
                422, "A client secret is needed to create the connection.",
                errors=[{"loc": ["body", "client_secret"], "message": "Field required"}],
            )
        connection = SsoConnectionRepository(session, auth).add(
            SsoConnection(client_secret_encrypted="")
        )
    before: dict[str, Any] = {f: getattr(connection, f, None) for f in _AUDITED_FIELDS}
    values = body.model_dump(exclude={"client_secret"}, mode="json")
    for name, value in values.items():
        setattr(connection, name, value)
    if secret is not None:
        connection.client_secret_encrypted = keys.encrypt(
            secret, context=secret_context(auth.organization_id)
        )
    connection.updated_at = clock.now()
    if created:
        connection.created_at = connection.updated_at
    await session.flush()
    changed = [f for f in _AUDITED_FIELDS if created or before[f] != getattr(connection, f)]
    await record_audit(
        session, clock=clock, action="sso.connection.create" if created else
        "sso.connection.update", actor=auth, target_type="sso_connection",
        target_id=connection.id, request=request,
        details={"changed": changed, "client_secret_changed": secret is not None,
                 "enforced": connection.enforced, "enabled": connection.enabled},
    )
    return connection, created


async def delete_connection(
    session: AsyncSession,
    *,
    auth: AuthContext,
    connection: SsoConnection,
    clock: Clock,
    request: Request,
) -> None:
    connection_id = connection.id
    await SsoConnectionRepository(session, auth).soft_delete(connection)
    await record_audit(
        session, clock=clock, action="sso.connection.delete", actor=auth,
        target_type="sso_connection", target_id=connection_id, request=request,
    )


def decrypt_client_secret(connection: SsoConnection, keys: Keyring) -> str:
    return keys.decrypt(
        connection.client_secret_encrypted, context=secret_context(connection.organization_id)
    )


class _Checklist:
    def __init__(self) -> None:
        self.checks: list[SsoCheck] = []

    def add(self, name: str, status: CheckStatus, detail: str) -> None:
        self.checks.append(SsoCheck(name=name, status=status, detail=detail))


async def check_connection(
    connection: SsoConnection, *, keys: Keyring, options: oidc.HttpOptions, settings: Settings
) -> SsoTestResult:
    """Fetch the provider's discovery document and keys and say what works, item by item.
    A broken or unreachable provider is a failed check, never an error."""
    result = _Checklist()
    url = oidc.discovery_url(connection.issuer)
    try:
        decrypt_client_secret(connection, keys)
        result.add("client_secret", "pass", "The stored client secret can be decrypted.")
    except DecryptionError:
        result.add("client_secret", "fail", "The stored client secret cannot be decrypted; "
                   "set it again.")
    metadata = await _check_discovery(result, connection.issuer, url, options)
    if metadata is not None:
        await _check_keys(result, metadata, options)
    else:
        result.add("jwks", "skip", "Needs the discovery document.")
    return SsoTestResult(
        ok=all(c.status != "fail" for c in result.checks),
        issuer=connection.issuer,
        redirect_uri=sso_redirect_uri(settings),
        checks=result.checks,
    )


async def _check_discovery(
    result: _Checklist, issuer: str, url: str, options: oidc.HttpOptions
) -> oidc.ProviderMetadata | None:
    try:
        async with options.client() as client:
            document = await oidc.fetch_json(client, url, options, what="discovery")
    except oidc.OidcError as exc:
        result.add("discovery", "fail", f"{url}: {exc.reason.removeprefix('discovery: ')}")
        return None
    if not isinstance(document, dict):
        result.add("discovery", "fail", f"{url}: not a JSON object")
        return None
    try:
        metadata = oidc.ProviderMetadata.from_document(document)
    except ValueError as exc:
        result.add("discovery", "fail", f"{url}: {exc}")
        return None
    result.add("discovery", "pass", f"Fetched {url}.")
    if oidc.same_issuer(issuer, metadata.issuer):
        result.add("issuer", "pass", "The document's issuer is the configured one.")
    else:
        result.add("issuer", "fail", f"The document names the issuer {metadata.issuer!r}.")
    endpoints = [metadata.authorization_endpoint, metadata.token_endpoint, metadata.jwks_uri]
    try:
        for endpoint in endpoints:
            await oidc.check_url(endpoint, options)
        result.add("endpoints", "pass", "Authorization, token and JWKS endpoints are usable.")
    except oidc.OidcError as exc:
        result.add("endpoints", "fail", exc.reason)
    if not metadata.response_types or "code" in metadata.response_types:
        result.add("code_flow", "pass", "The authorization code flow is supported.")
    else:
        result.add("code_flow", "fail", "response_types_supported lacks 'code'.")
    if "S256" in metadata.code_challenge_methods:
        result.add("pkce", "pass", "PKCE with S256 is supported.")
    else:
        result.add("pkce", "warn", "PKCE S256 is not advertised; it is sent anyway.")
    usable_algs = [a for a in metadata.id_token_signing_algs if a in oidc.SIGNING_ALGORITHMS]
    if usable_algs:
        result.add("id_token_signing", "pass", f"ID tokens signed with {', '.join(usable_algs)}.")
    else:
        result.add("id_token_signing", "fail", "No supported asymmetric signing algorithm.")
    if {"client_secret_basic", "client_secret_post"} & set(metadata.token_endpoint_auth_methods):
        result.add("client_authentication", "pass",
                   f"The token endpoint accepts {metadata.token_auth_method}.")
    else:
        result.add("client_authentication", "fail",
                   "Neither client_secret_basic nor client_secret_post is supported.")
    if not metadata.scopes:
        result.add("scopes", "skip", "scopes_supported is not published.")
    elif {"openid", "email"} <= set(metadata.scopes):
        result.add("scopes", "pass", "The openid, email and profile scopes can be asked for.")
    else:
        result.add("scopes", "warn", "scopes_supported lacks openid or email.")
    return metadata


async def _check_keys(
    result: _Checklist, metadata: oidc.ProviderMetadata, options: oidc.HttpOptions
) -> None:
    try:
        keys = await oidc.fetch_jwks(metadata.jwks_uri, options=options, cache=None)
    except oidc.OidcError as exc:
        result.add("jwks", "fail", exc.reason)
        return
    count = len(keys.keys)
    if count:
        result.add("jwks", "pass", f"{count} signing key(s) published.")
    else:
        result.add("jwks", "fail", "The JWK set has no signing key.")
