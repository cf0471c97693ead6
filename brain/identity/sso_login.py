"""Signing in through an organization's identity provider: the authorization request, the
callback (code exchange, ID token checks, domain check), and the member it signs in."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request

from brain.core.cache import Cache
from brain.core.clock import Clock
from brain.core.crypto import DecryptionError, Keyring
from brain.core.db import set_system_mode
from brain.identity import oidc
from brain.identity.external_login import (
    ExternalProfile,
    LoginFailure,
    LoginResult,
    PendingLogin,
    audit_login,
    binding_hash,
    normalize_email,
    open_session,
    resolve_user,
    safe_next,
    save_pending,
    take_pending,
)
from brain.identity.models import User
from brain.identity.sso import decrypt_client_secret, sso_redirect_uri
from brain.organizations.models import Membership, Organization, SsoConnection
from brain.organizations.permissions import Role
from brain.settings import Settings

logger = logging.getLogger("brain.identity.sso")

ACTION = "auth.sso.login"
_ROLE_RANK = {Role.owner: 4, Role.admin: 3, Role.analyst: 2, Role.viewer: 1}


@dataclass(frozen=True, slots=True)
class CallbackParams:
    """The authorization response (RFC 6749 §4.1.2, RFC 9207 `iss`)."""

    code: str | None
    state: str | None
    error: str | None
    iss: str | None


@dataclass(frozen=True, slots=True)
class FlowContext:
    """Per-request collaborators of a login flow."""

    db: AsyncSession
    cache: Cache
    clock: Clock
    keys: Keyring
    settings: Settings
    http: oidc.HttpOptions
    request: Request


async def _connection_by_slug(
    db: AsyncSession, slug: str
) -> tuple[Organization, SsoConnection] | None:
    row = (
        await db.execute(
            select(Organization, SsoConnection)
            .join(SsoConnection, SsoConnection.organization_id == Organization.id)
            .where(Organization.slug == slug, Organization.deleted_at.is_(None))
        )
    ).first()
    return (row[0], row[1]) if row is not None else None


async def _connection_by_org(
    db: AsyncSession, organization_id: uuid.UUID
) -> tuple[Organization, SsoConnection] | None:
    row = (
        await db.execute(
            select(Organization, SsoConnection)
            .join(SsoConnection, SsoConnection.organization_id == Organization.id)
            .where(Organization.id == organization_id, Organization.deleted_at.is_(None))
        )
    ).first()
    return (row[0], row[1]) if row is not None else None


def _client(connection: SsoConnection, keys: Keyring, settings: Settings) -> oidc.ClientConfig:
    try:
        secret = decrypt_client_secret(connection, keys)
    except DecryptionError as exc:
        raise LoginFailure("sso-misconfigured", "the client secret cannot be decrypted",
                           organization_id=connection.organization_id) from exc
    return oidc.ClientConfig(
        client_id=connection.client_id, client_secret=secret,
        redirect_uri=sso_redirect_uri(settings),
    )


async def begin_sso_login(
    flow: FlowContext,
    *,
    slug: str,
    email_hint: str | None,
    next_path: str | None,
    binding: str,
) -> str:
    """The provider's authorization URL for the organization `slug` (pending login saved)."""
    await set_system_mode(flow.db, True)
    found = await _connection_by_slug(flow.db, slug[:80])
    if found is None or not found[1].enabled:
        # No audit: an unknown slug is nobody's event (and would let anyone fill the trail).
        raise LoginFailure("sso-not-configured", "no enabled SSO connection")
    organization, connection = found
    try:
        client = _client(connection, flow.keys, flow.settings)
        metadata = await oidc.discover(connection.issuer, options=flow.http, cache=flow.cache)
    except oidc.OidcError as exc:
        failure = LoginFailure("sso-unavailable", exc.reason, organization_id=organization.id)
        await _audit_failure(flow, failure)
        raise failure from exc
    except LoginFailure as failure:
        await _audit_failure(flow, failure)
        raise
    hint = normalize_email(email_hint)
    authorization = oidc.authorization_request(
        metadata.authorization_endpoint, client, login_hint=hint
    )
    await save_pending(
        flow.cache,
        authorization.state,
        PendingLogin(
            kind="sso", target=str(organization.id), nonce=authorization.nonce,
            code_verifier=authorization.code_verifier, next_path=safe_next(next_path),
            binding_hash=binding_hash(binding), redirect_uri=client.redirect_uri,
            issuer=metadata.issuer,
        ),
    )
    return authorization.url


def check_authorization_response(
    params: CallbackParams, pending: PendingLogin, metadata: oidc.ProviderMetadata
) -> str:
    """The code, once the provider reported no error and (RFC 9207) is the expected one."""
    if params.iss is not None and params.iss != metadata.issuer:
        raise LoginFailure("invalid-issuer", "the response comes from another issuer")
    if params.iss is None and metadata.iss_parameter_supported:
        raise LoginFailure("invalid-issuer", "the response lacks the iss parameter")
    if params.error:
        code = "access-denied" if params.error == "access_denied" else "provider-error"
        raise LoginFailure(code, f"the provider answered {params.error[:60]!r}")
    if not params.code or len(params.code) > 2048:
        raise LoginFailure("provider-error", "no authorization code")
    return params.code


def email_verified_claim(claims: dict[str, Any]) -> bool | None:
    value = claims.get("email_verified")
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        # Some providers send the boolean as a string.
        return value.lower() == "true"
    return None


async def oidc_profile(
    flow: FlowContext,
    *,
    metadata: oidc.ProviderMetadata,
    client: oidc.ClientConfig,
    code: str,
    pending: PendingLogin,
) -> ExternalProfile:
    """Exchange the code, validate the ID token, complete it from UserInfo when it has no email."""
    tokens = await oidc.exchange_code(
        metadata.token_endpoint, client, code=code, code_verifier=pending.code_verifier,
        auth_method=client.token_auth_method or metadata.token_auth_method, options=flow.http,
    )
    if tokens.id_token is None:
        raise oidc.OidcError("invalid-id-token", "the token response has no ID token")
    claims = await oidc.validate_id_token(
        tokens.id_token, metadata=metadata, client_id=client.client_id, nonce=pending.nonce,
        now=flow.clock.now(), options=flow.http, cache=flow.cache,
    )
    if claims.get("email") is None and metadata.userinfo_endpoint and tokens.access_token:
        userinfo = await oidc.fetch_userinfo(
            metadata.userinfo_endpoint, tokens.access_token, options=flow.http
        )
        claims = oidc.merge_userinfo(claims, userinfo)
    name = claims.get("name")
    return ExternalProfile(
        issuer=str(claims["iss"]),
        subject=str(claims["sub"]),
        email=normalize_email(claims.get("email")),
        email_verified=email_verified_claim(claims),
        name=name if isinstance(name, str) else None,
        claims=claims,
    )


def mapped_role(connection: SsoConnection, claims: dict[str, Any]) -> Role | None:
    """The most privileged role the connection's mapping gives the claim's values, if any."""
    if not connection.role_claim or not connection.role_mapping:
        return None
    value = claims.get(connection.role_claim)
    values = [value] if isinstance(value, str) else value if isinstance(value, list) else []
    roles = [
        Role(connection.role_mapping[v]) for v in values
        if isinstance(v, str) and v in connection.role_mapping
    ]
    return max(roles, key=lambda r: _ROLE_RANK[r]) if roles else None


async def ensure_membership(
    db: AsyncSession, *, user: User, connection: SsoConnection, claims: dict[str, Any]
) -> tuple[str, str]:
    """The user's membership in the connection's organization: created with the mapped (or
    default) role, or brought in line with the mapping. Returns (role, what happened)."""
    mapped = mapped_role(connection, claims)
    membership = await db.scalar(
        select(Membership).where(
            Membership.organization_id == connection.organization_id,
            Membership.user_id == user.id,
        )
    )
    if membership is None:
        role = mapped or Role(connection.default_role)
        if role is Role.owner and mapped is None:
            role = Role.viewer
        db.add(Membership(organization_id=connection.organization_id, user_id=user.id,
                          role=role.value))
        await db.flush()
        return role.value, "created"
    if (
        mapped is not None
        and membership.custom_role_id is None
        and membership.role != Role.owner.value
        and membership.role != mapped.value
    ):
        # The provider is the source of truth for mapped roles; owners are managed in Brain.
        membership.role = mapped.value
        await db.flush()
        return mapped.value, "role-changed"
    return membership.role, "kept"


async def complete_sso_login(
    flow: FlowContext, *, params: CallbackParams, binding: str | None
) -> LoginResult:
    """The provider's redirect back: verify everything, sign the member in (or LoginFailure,
    audited)."""
    await set_system_mode(flow.db, True)
    try:
        pending = await take_pending(flow.cache, params.state, binding, kind="sso")
    except LoginFailure as failure:
        await _audit_failure(flow, failure)
        raise
    organization_id = uuid.UUID(pending.target)
    try:
        return await _complete(flow, params=params, pending=pending,
                               organization_id=organization_id)
    except LoginFailure as failure:
        failure.organization_id = failure.organization_id or organization_id
        await _audit_failure(flow, failure)
        raise
    except oidc.OidcError as exc:
        converted = LoginFailure(exc.code, exc.reason, organization_id=organization_id)
        await _audit_failure(flow, converted)
        raise converted from exc


async def _complete(
    flow: FlowContext, *, params: CallbackParams, pending: PendingLogin,
    organization_id: uuid.UUID,
) -> LoginResult:
    found = await _connection_by_org(flow.db, organization_id)
    if found is None or not found[1].enabled:
        raise LoginFailure("sso-not-configured", "the connection was removed or disabled")
    organization, connection = found
    client = _client(connection, flow.keys, flow.settings)
    metadata = await oidc.discover(connection.issuer, options=flow.http, cache=flow.cache)
    if pending.issuer is not None and metadata.issuer != pending.issuer:
        raise LoginFailure("invalid-issuer", "the connection's issuer changed during login")
    code = check_authorization_response(params, pending, metadata)
    profile = await oidc_profile(flow, metadata=metadata, client=client, code=code,
                                 pending=pending)
    if profile.email_verified is False:
        raise LoginFailure("email-not-verified", "the provider says the email is unverified")
    if profile.email is None:
        raise LoginFailure("email-missing", "the provider shared no email address")
    allowed = {d.lower() for d in connection.allowed_domains}
    if profile.email_domain not in allowed:
        raise LoginFailure("domain-not-allowed", f"{profile.email_domain} is not allowed")
    async with flow.db.begin_nested():
        user, how = await resolve_user(
            flow.db, flow.cache, profile=profile, source=f"sso:{organization.id}",
            # The organization vouches for its own domains (email_verified absent is fine).
            email_is_verified=True, clock=flow.clock,
            link_requires_membership_of=organization.id,
        )
        role, membership = await ensure_membership(
            flow.db, user=user, connection=connection, claims=profile.claims
        )
        if user.default_organization_id is None:
            user.default_organization_id = organization.id
        token = await open_session(flow.db, user=user, clock=flow.clock, request=flow.request,
                                   method="sso")
    await audit_login(
        flow.db, clock=flow.clock, request=flow.request, action=ACTION, outcome="success",
        organization_id=organization.id, user_id=user.id,
        details={"issuer": profile.issuer, "account": how, "membership": membership,
                 "role": role},
    )
    return LoginResult(user_id=user.id, session_token=token, next_path=pending.next_path,
                       organization_id=organization.id)


async def _audit_failure(flow: FlowContext, failure: LoginFailure) -> None:
    logger.info("sso login failed: %s (%s)", failure.code, failure.reason)
    await audit_login(
        flow.db, clock=flow.clock, request=flow.request, action=ACTION, outcome="failure",
        organization_id=failure.organization_id, user_id=failure.user_id,
        details={"reason": failure.code, "detail": failure.reason},
    )
