"""OAuth 2.0 authorization code flow with PKCE (RFC 6749, RFC 7636) and token refresh.

Start: `new_authorization` makes a random `state` and PKCE verifier; the state is stored hashed
and bound to the user's session (`OAuthState.session_binding`), the verifier encrypted. The
callback must present the same state from the same session before `exchange_code` trades
the code (plus verifier) for tokens. Tokens are refreshed shortly before they expire
(`needs_refresh`); a refused refresh is a `ConnectorError(expired_token)` that the engine turns
into `needs_reauth`.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import httpx

from brain.integrations.base import (
    ConnectorError,
    ConnectorErrorKind,
    Credentials,
    OAuthSpec,
    Spec,
)

REFRESH_MARGIN = timedelta(minutes=5)
STATE_TTL = timedelta(minutes=15)


@dataclass(frozen=True)
class OAuthClient:
    """Brain's registered app at the provider."""

    client_id: str
    client_secret: str


@dataclass(frozen=True)
class Authorization:
    """A started authorization: the URL to send the user to, and what the callback needs."""

    url: str
    state: str
    code_verifier: str


def hash_state(state: str) -> str:
    return hashlib.sha256(state.encode()).hexdigest()


def pkce_challenge(verifier: str) -> str:
    """S256 code challenge of a verifier."""
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def new_authorization(
    spec: Spec, client: OAuthClient, *, redirect_uri: str, extra_scopes: tuple[str, ...] = ()
) -> Authorization:
    """The provider's authorize URL with a fresh state (and PKCE challenge when supported)."""
    oauth = _oauth(spec)
    state = secrets.token_urlsafe(32)
    verifier = secrets.token_urlsafe(64)
    params: dict[str, str] = {
        "response_type": "code",
        "client_id": client.client_id,
        "redirect_uri": redirect_uri,
        "state": state,
        **oauth.authorize_params,
    }
    scopes = [*spec.scopes, *extra_scopes]
    if scopes:
        params["scope"] = oauth.scope_separator.join(scopes)
    if oauth.pkce:
        params["code_challenge"] = pkce_challenge(verifier)
        params["code_challenge_method"] = "S256"
    separator = "&" if "?" in oauth.authorize_url else "?"
    return Authorization(
        url=f"{oauth.authorize_url}{separator}{urlencode(params)}",
        state=state,
        code_verifier=verifier,
    )


def _oauth(spec: Spec) -> OAuthSpec:
    if spec.oauth is None:
        raise ValueError(f"provider {spec.id} does not use OAuth")
    return spec.oauth


def credentials_from_token_response(
    body: dict[str, Any], *, now: datetime, previous: Credentials | None = None
) -> Credentials:
    """Credentials from a token endpoint's JSON (keeping the old refresh token if none new)."""
    access = body.get("access_token")
    if not access:
        raise ConnectorError(
            ConnectorErrorKind.invalid_credentials, "the token endpoint returned no access token"
        )
    expires_in = body.get("expires_in")
    scope = body.get("scope")
    scopes = (
        [s for s in str(scope).replace(",", " ").split() if s]
        if scope
        else (previous.scopes if previous else [])
    )
    return Credentials(
        access_token=str(access),
        refresh_token=str(body.get("refresh_token") or (previous.refresh_token if previous else "")
                          ) or None,
        expires_at=now + timedelta(seconds=int(expires_in)) if expires_in else None,
        scopes=scopes,
        extra=previous.extra if previous else {},
    )


async def _token_request(
    spec: Spec, form: dict[str, str], transport: httpx.AsyncBaseTransport | None
) -> dict[str, Any]:
    oauth = _oauth(spec)
    async with httpx.AsyncClient(transport=transport, timeout=httpx.Timeout(20.0)) as client:
        try:
            response = await client.post(
                oauth.token_url, data=form, headers={"Accept": "application/json"}
            )
        except httpx.HTTPError as exc:
            raise ConnectorError(
                ConnectorErrorKind.provider_unavailable,
                f"token endpoint unreachable: {type(exc).__name__}",
                provider=spec.id,
            ) from exc
    try:
        body: dict[str, Any] = response.json()
    except ValueError:
        body = {}
    if response.status_code >= 500:
        raise ConnectorError(
            ConnectorErrorKind.provider_unavailable,
            f"token endpoint answered {response.status_code}",
            provider=spec.id,
            status_code=response.status_code,
        )
    if response.status_code >= 400 or "error" in body:
        error = body.get("error")
        code = error if isinstance(error, str) else "invalid_grant"
        raise ConnectorError(
            ConnectorErrorKind.expired_token,
            str(body.get("error_description") or code),
            provider=spec.id,
            status_code=response.status_code,
            provider_code=code,
        )
    return body


async def exchange_code(
    spec: Spec,
    client: OAuthClient,
    *,
    code: str,
    code_verifier: str,
    redirect_uri: str,
    now: datetime,
    transport: httpx.AsyncBaseTransport | None = None,
) -> Credentials:
    """Trade an authorization code (and the PKCE verifier) for tokens."""
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": redirect_uri,
        "client_id": client.client_id,
        "client_secret": client.client_secret,
    }
    if _oauth(spec).pkce:
        form["code_verifier"] = code_verifier
    body = await _token_request(spec, form, transport)
    return credentials_from_token_response(body, now=now)


def needs_refresh(credentials: Credentials, now: datetime) -> bool:
    """True when the access token expires within `REFRESH_MARGIN` and can be refreshed."""
    return (
        credentials.expires_at is not None
        and credentials.expires_at - REFRESH_MARGIN <= now
    )


async def refresh(
    spec: Spec,
    client: OAuthClient,
    credentials: Credentials,
    *,
    now: datetime,
    transport: httpx.AsyncBaseTransport | None = None,
) -> Credentials:
    """New credentials from the refresh token; `ConnectorError(expired_token)` if refused."""
    if not credentials.refresh_token:
        raise ConnectorError(
            ConnectorErrorKind.expired_token,
            "the access token expired and there is no refresh token",
            provider=spec.id,
        )
    body = await _token_request(
        spec,
        {
            "grant_type": "refresh_token",
            "refresh_token": credentials.refresh_token,
            "client_id": client.client_id,
            "client_secret": client.client_secret,
        },
        transport,
    )
    return credentials_from_token_response(body, now=now, previous=credentials)


async def revoke(
    spec: Spec, token: str, *, transport: httpx.AsyncBaseTransport | None = None
) -> bool:
    """Best-effort token revocation at the provider (RFC 7009 form POST); True when accepted.

    Disconnecting must not fail because the provider is down, so errors are swallowed."""
    if spec.oauth is None or spec.oauth.revoke_url is None:
        return False
    try:
        async with httpx.AsyncClient(transport=transport, timeout=httpx.Timeout(10.0)) as client:
            response = await client.post(spec.oauth.revoke_url, data={"token": token})
    except httpx.HTTPError:
        return False
    return response.status_code < 400
