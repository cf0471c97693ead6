"""Social login for individuals ("Continue with Google / Microsoft / GitHub"), configured for the
whole platform. Google and Microsoft are OpenID providers (same client as organization SSO);
GitHub is OAuth 2.0 plus its REST API for the verified primary email."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit

from brain.audit.service import request_origin
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
from brain.identity.sso import sso_enforced_for_email
from brain.identity.sso_login import (
    CallbackParams,
    FlowContext,
    check_authorization_response,
    email_verified_claim,
    oidc_profile,
)
from brain.settings import Settings

logger = logging.getLogger("brain.identity.social")

ACTION = "auth.social.login"
GITHUB_SCOPE = "read:user user:email"
GITHUB_API_VERSION = "2022-11-28"
# Microsoft's tenant of personal accounts, whose email addresses Microsoft has verified.
MICROSOFT_CONSUMER_TENANT = "9188040d-6c67-4c5b-b112-36a304b66dad"


class SocialProvider(StrEnum):
    google = "google"
    microsoft = "microsoft"
    github = "github"


@dataclass(frozen=True, slots=True)
class SocialConfig:
    provider: SocialProvider
    client_id: str
    client_secret: str
    issuer: str | None  # OpenID providers
    authorize_url: str | None = None  # GitHub
    token_url: str | None = None
    api_url: str | None = None


def social_config(settings: Settings, provider: SocialProvider) -> SocialConfig | None:
    """The platform's registration at `provider`, or None when it is not offered."""
    if provider is SocialProvider.google:
        client_id, secret = settings.social_google_client_id, settings.social_google_client_secret
        if client_id and secret:
            return SocialConfig(provider, client_id, secret, settings.social_google_issuer)
    elif provider is SocialProvider.microsoft:
        client_id = settings.social_microsoft_client_id
        secret = settings.social_microsoft_client_secret
        if client_id and secret:
            return SocialConfig(provider, client_id, secret, settings.social_microsoft_issuer)
    else:
        client_id, secret = settings.social_github_client_id, settings.social_github_client_secret
        if client_id and secret:
            return SocialConfig(
                provider, client_id, secret, None,
                authorize_url=settings.social_github_authorize_url,
                token_url=settings.social_github_token_url,
                api_url=settings.social_github_api_url.rstrip("/"),
            )
    return None


def enabled_providers(settings: Settings) -> list[SocialProvider]:
    return [p for p in SocialProvider if social_config(settings, p) is not None]


def social_login_path(provider: SocialProvider) -> str:
    return f"/api/v1/auth/social/{provider.value}/login"


def social_redirect_uri(settings: Settings, provider: SocialProvider) -> str:
    return f"{settings.public_url.rstrip('/')}/api/v1/auth/social/{provider.value}/callback"


def _client(config: SocialConfig, settings: Settings) -> oidc.ClientConfig:
    if config.provider is SocialProvider.github:
        return oidc.ClientConfig(
            client_id=config.client_id, client_secret=config.client_secret,
            redirect_uri=social_redirect_uri(settings, config.provider), scope=GITHUB_SCOPE,
            token_auth_method="client_secret_post",  # noqa: S106 - a method name
        )
    return oidc.ClientConfig(
        client_id=config.client_id, client_secret=config.client_secret,
        redirect_uri=social_redirect_uri(settings, config.provider),
    )


def _accepted_template(issuer: str) -> str | None:
    """Microsoft's common/organizations/consumers metadata announces a `{tenantid}` issuer."""
    for alias in ("/common/", "/organizations/", "/consumers/"):
        if alias in issuer:
            return issuer.replace(alias, "/{tenantid}/")
    return None


async def _metadata(config: SocialConfig, flow: FlowContext) -> oidc.ProviderMetadata:
    assert config.issuer is not None
    return await oidc.discover(
        config.issuer, options=flow.http, cache=flow.cache,
        accept_issuer=_accepted_template(config.issuer),
    )


def _configured(settings: Settings, provider: SocialProvider) -> SocialConfig:
    config = social_config(settings, provider)
    if config is None:
        raise LoginFailure("social-not-configured", f"{provider.value} login is not offered")
    return config


async def begin_social_login(
    flow: FlowContext, *, provider: SocialProvider, next_path: str | None, binding: str
) -> str:
    """The provider's authorization URL (the pending login is saved)."""
    config = _configured(flow.settings, provider)
    client = _client(config, flow.settings)
    issuer: str | None = None
    if config.issuer is None:
        assert config.authorize_url is not None
        authorization = oidc.authorization_request(config.authorize_url, client, with_nonce=False)
    else:
        try:
            metadata = await _metadata(config, flow)
        except oidc.OidcError as exc:
            raise LoginFailure("social-unavailable", exc.reason) from exc
        issuer = metadata.issuer
        authorization = oidc.authorization_request(metadata.authorization_endpoint, client)
    await save_pending(
        flow.cache,
        authorization.state,
        PendingLogin(
            kind="social", target=provider.value, nonce=authorization.nonce,
            code_verifier=authorization.code_verifier, next_path=safe_next(next_path),
            binding_hash=binding_hash(binding), redirect_uri=client.redirect_uri,
            issuer=issuer,
        ),
    )
    return authorization.url


def microsoft_email_verified(claims: dict[str, Any]) -> bool | None:
    """Entra ID lets tenant admins set any email: only `email_verified`, `xms_edov` (domain
    owner verified) or a personal Microsoft account vouch for it."""
    stated = email_verified_claim(claims)
    if stated is not None:
        return stated
    if claims.get("xms_edov") in (True, "true", "1", 1):
        return True
    if claims.get("tid") == MICROSOFT_CONSUMER_TENANT:
        return True
    return None


async def github_profile(
    config: SocialConfig, access_token: str, *, http: oidc.HttpOptions
) -> ExternalProfile:
    """The GitHub user (GET /user) and their primary, verified email (GET /user/emails)."""
    assert config.api_url is not None
    assert config.authorize_url is not None
    headers = {
        "Authorization": f"Bearer {access_token}",
        "Accept": "application/vnd.github+json",
        "X-GitHub-Api-Version": GITHUB_API_VERSION,
    }
    async with http.client() as client:
        user = await oidc.fetch_json(client, f"{config.api_url}/user", http, headers=headers,
                                     what="github user")
        emails = await oidc.fetch_json(client, f"{config.api_url}/user/emails", http,
                                       headers=headers, what="github emails")
    if not isinstance(user, dict) or not isinstance(user.get("id"), int):
        raise oidc.OidcError("provider-error", "github user: unexpected shape")
    if not isinstance(emails, list):
        raise oidc.OidcError("provider-error", "github emails: unexpected shape")
    primary = next(
        (e for e in emails if isinstance(e, dict) and e.get("primary") is True), None
    )
    email = normalize_email(primary.get("email")) if primary else None
    verified = primary.get("verified") is True if primary else None
    origin = urlsplit(config.authorize_url)
    name = user.get("name") or user.get("login")
    return ExternalProfile(
        issuer=f"{origin.scheme}://{origin.netloc}",
        subject=str(user["id"]),
        email=email,
        email_verified=verified,
        name=name if isinstance(name, str) else None,
        claims={"login": user.get("login")},
    )


async def _profile(
    flow: FlowContext, config: SocialConfig, params: CallbackParams, pending: PendingLogin
) -> ExternalProfile:
    client = _client(config, flow.settings)
    if config.provider is SocialProvider.github:
        if params.error:
            code = "access-denied" if params.error == "access_denied" else "provider-error"
            raise LoginFailure(code, f"the provider answered {params.error[:60]!r}")
        if not params.code or len(params.code) > 2048:
            raise LoginFailure("provider-error", "no authorization code")
        assert config.token_url is not None
        tokens = await oidc.exchange_code(
            config.token_url, client, code=params.code, code_verifier=pending.code_verifier,
            auth_method="client_secret_post", options=flow.http,
        )
        if tokens.access_token is None:
            raise oidc.OidcError("token-exchange-failed", "no access token")
        return await github_profile(config, tokens.access_token, http=flow.http)
    metadata = await _metadata(config, flow)
    if pending.issuer is not None and metadata.issuer != pending.issuer:
        raise LoginFailure("invalid-issuer", "the provider's issuer changed during login")
    code = check_authorization_response(params, pending, metadata)
    profile = await oidc_profile(flow, metadata=metadata, client=client, code=code,
                                 pending=pending)
    if config.provider is SocialProvider.microsoft:
        verified = microsoft_email_verified(profile.claims)
        return ExternalProfile(
            issuer=profile.issuer, subject=profile.subject, email=profile.email,
            email_verified=verified, name=profile.name, claims=profile.claims,
        )
    return profile


async def complete_social_login(
    flow: FlowContext, *, provider: SocialProvider, params: CallbackParams,
    binding: str | None,
) -> LoginResult:
    """The provider's redirect back: sign the person in, linking or creating their account
    (or LoginFailure, audited)."""
    await set_system_mode(flow.db, True)
    try:
        pending = await take_pending(flow.cache, params.state, binding, kind="social")
        if pending.target != provider.value:
            raise LoginFailure("invalid-state", "the state belongs to another provider")
        config = _configured(flow.settings, provider)
        profile = await _profile(flow, config, params, pending)
        return await _sign_in(flow, provider=provider, profile=profile, pending=pending)
    except oidc.OidcError as exc:
        converted = LoginFailure(exc.code, exc.reason)
        await _audit_failure(flow, provider, converted)
        raise converted from exc
    except LoginFailure as failure:
        await _audit_failure(flow, provider, failure)
        raise


async def _sign_in(
    flow: FlowContext, *, provider: SocialProvider, profile: ExternalProfile,
    pending: PendingLogin,
) -> LoginResult:
    if profile.email:
        enforcing = await sso_enforced_for_email(flow.db, profile.email)
        await set_system_mode(flow.db, True)
        if enforcing is not None:
            raise LoginFailure("sso-required", "the email's organization requires SSO",
                               organization_id=enforcing.organization_id)
    async with flow.db.begin_nested():
        user, how = await resolve_user(
            flow.db, flow.cache, profile=profile, source=f"social:{provider.value}",
            email_is_verified=profile.email_verified is True, clock=flow.clock,
        )
        challenge, methods = await _second_factor(flow, user)
        token = None
        if challenge is None:
            token = await open_session(flow.db, user=user, clock=flow.clock,
                                       request=flow.request, method="social")
    await audit_login(
        flow.db, clock=flow.clock, request=flow.request, action=ACTION, outcome="success",
        organization_id=None, user_id=user.id,
        details={"provider": provider.value, "account": how,
                 "mfa_required": challenge is not None},
    )
    return LoginResult(user_id=user.id, session_token=token, mfa_challenge=challenge,
                       mfa_methods=methods, next_path=pending.next_path)


async def _second_factor(flow: FlowContext, user: User) -> tuple[str | None, tuple[str, ...]]:
    """A login challenge and the factors that can answer it when the user has MFA: a social
    account must not bypass it."""
    from brain.identity.mfa import create_login_challenge, mfa_methods

    methods = tuple(await mfa_methods(flow.db, user.id))
    if not methods:
        return None, ()
    ip, agent = request_origin(flow.request)
    challenge = await create_login_challenge(flow.db, user=user, clock=flow.clock, ip=ip,
                                             user_agent=agent)
    await set_system_mode(flow.db, True)
    return challenge, methods


async def _audit_failure(
    flow: FlowContext, provider: SocialProvider, failure: LoginFailure
) -> None:
    logger.info("social login failed: %s (%s)", failure.code, failure.reason)
    await audit_login(
        flow.db, clock=flow.clock, request=flow.request, action=ACTION, outcome="failure",
        organization_id=failure.organization_id, user_id=failure.user_id,
        details={"provider": provider.value, "reason": failure.code, "detail": failure.reason},
    )

