"""The OpenID Connect / OAuth 2.0 client shared by organization SSO and social login:
discovery, JWKS, the authorization request (state, nonce, PKCE S256), the code exchange and
ID token validation (OpenID Connect Core 1.0 §3.1.3.7)."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import ipaddress
import logging
import secrets
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import authlib.deprecate  # type: ignore[import-untyped]
import httpx
import orjson
from joserfc import jwt
from joserfc.errors import InvalidKeyIdError, JoseError
from joserfc.jwk import KeySet

from brain.core.cache import Cache

with warnings.catch_warnings():
    # Authlib warns that it falls back to `httpx` when `httpx2` is not installed (the same
    # client API); its own module turns that warning on, so it is turned off after it.
    warnings.simplefilter("ignore", authlib.deprecate.AuthlibDeprecationWarning)
    from authlib.integrations.httpx_client import (  # type: ignore[import-untyped]
        AsyncOAuth2Client,
        OAuthError,
    )
    from authlib.oauth2.rfc6749.parameters import (  # type: ignore[import-untyped]
        prepare_grant_uri,
    )
    from authlib.oauth2.rfc7636 import (  # type: ignore[import-untyped]
        create_s256_code_challenge,
    )

logger = logging.getLogger("brain.identity.oidc")

SCOPE = "openid email profile"
# Asymmetric algorithms only: no `none`, and no HS* (which would use the client secret).
SIGNING_ALGORITHMS = (
    "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA",
)
CLOCK_LEEWAY_SECONDS = 60
DISCOVERY_TTL_SECONDS = 3600
JWKS_TTL_SECONDS = 3600
# An unknown `kid` refetches the JWKS (key rotation), at most this often per JWKS URL.
JWKS_REFRESH_SECONDS = 60
MAX_DOCUMENT_BYTES = 512 * 1024
HTTP_TIMEOUT_SECONDS = 10.0
USER_AGENT = "Brain-OIDC/1"


class OidcError(Exception):
    """A step of the flow failed; `code` is the stable error the browser is sent to."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(f"{code}: {reason}")
        self.code = code
        self.reason = reason


@dataclass(frozen=True, slots=True)
class HttpOptions:
    """How this process talks to identity providers."""

    # Tests swap in a transport (a MockTransport, or one that tampers with responses).
    transport: httpx.AsyncBaseTransport | None = None
    # Production refuses plain http and private, loopback or link-local addresses (SSRF).
    allow_private: bool = True
    timeout: float = HTTP_TIMEOUT_SECONDS

    def client(self, **kwargs: Any) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            transport=self.transport, timeout=self.timeout, follow_redirects=False,
            headers={"User-Agent": USER_AGENT}, **kwargs,
        )


@dataclass(frozen=True, slots=True)
class ProviderMetadata:
    """The parts of an OpenID Provider's discovery document this client uses."""

    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    userinfo_endpoint: str | None = None
    token_endpoint_auth_methods: tuple[str, ...] = ("client_secret_basic",)
    id_token_signing_algs: tuple[str, ...] = ("RS256",)
    code_challenge_methods: tuple[str, ...] = ()
    response_types: tuple[str, ...] = ("code",)
    scopes: tuple[str, ...] = ()
    iss_parameter_supported: bool = False

    @property
    def token_auth_method(self) -> str:
        """`client_secret_basic` unless the provider supports only `client_secret_post`."""
        if "client_secret_basic" in self.token_endpoint_auth_methods:
            return "client_secret_basic"
        if "client_secret_post" in self.token_endpoint_auth_methods:
            return "client_secret_post"
        return "client_secret_basic"

    def to_json(self) -> bytes:
        return orjson.dumps(
            {
                "issuer": self.issuer,
                "authorization_endpoint": self.authorization_endpoint,
                "token_endpoint": self.token_endpoint,
                "jwks_uri": self.jwks_uri,
                "userinfo_endpoint": self.userinfo_endpoint,
                "token_endpoint_auth_methods_supported": list(self.token_endpoint_auth_methods),
                "id_token_signing_alg_values_supported": list(self.id_token_signing_algs),
                "code_challenge_methods_supported": list(self.code_challenge_methods),
                "response_types_supported": list(self.response_types),
                "scopes_supported": list(self.scopes),
                "authorization_response_iss_parameter_supported": self.iss_parameter_supported,
            }
        )

    @classmethod
    def from_document(cls, document: Mapping[str, Any]) -> ProviderMetadata:
        """Parse a discovery document (ValueError if a required member is missing)."""

        def text(name: str, *, required: bool = True) -> str | None:
            value = document.get(name)
            if value is None and not required:
                return None
            if not isinstance(value, str) or not value:
                raise ValueError(f"'{name}' is missing")
            return value

        def strings(name: str, default: tuple[str, ...]) -> tuple[str, ...]:
            value = document.get(name)
            if not isinstance(value, list):
                return default
            return tuple(str(v) for v in value if isinstance(v, str))

        return cls(
            issuer=str(text("issuer")),
            authorization_endpoint=str(text("authorization_endpoint")),
            token_endpoint=str(text("token_endpoint")),
            jwks_uri=str(text("jwks_uri")),
            userinfo_endpoint=text("userinfo_endpoint", required=False),
            # Discovery §3: the default when absent is client_secret_basic.
            token_endpoint_auth_methods=strings(
                "token_endpoint_auth_methods_supported", ("client_secret_basic",)
            ),
            id_token_signing_algs=strings("id_token_signing_alg_values_supported", ("RS256",)),
            code_challenge_methods=strings("code_challenge_methods_supported", ()),
            response_types=strings("response_types_supported", ()),
            scopes=strings("scopes_supported", ()),
            iss_parameter_supported=document.get(
                "authorization_response_iss_parameter_supported"
            ) is True,
        )


@dataclass(frozen=True, slots=True)
class ClientConfig:
    """Our registration at one provider."""

    client_id: str
    client_secret: str
    redirect_uri: str
    scope: str = SCOPE
    # Overrides the discovery-based choice (GitHub wants client_secret_post).
    token_auth_method: str | None = None


@dataclass(frozen=True, slots=True)
class AuthorizationRequest:
    """What the login start sends the browser to, and what the callback must remember."""

    url: str
    state: str
    nonce: str
    code_verifier: str


@dataclass(frozen=True, slots=True)
class TokenResponse:
    access_token: str | None
    id_token: str | None
    raw: dict[str, Any] = field(repr=False)


def issuer_key(issuer: str) -> str:
    return hashlib.sha256(issuer.encode()).hexdigest()[:32]


def discovery_url(issuer: str) -> str:
    """OpenID Connect Discovery §4: the issuer without a trailing slash, then the path."""
    return issuer.rstrip("/") + "/.well-known/openid-configuration"


def same_issuer(configured: str, announced: str) -> bool:
    return configured.rstrip("/") == announced.rstrip("/")


async def check_url(url: str, options: HttpOptions) -> None:
    """Refuse URLs this process must not fetch (production: https to public addresses only)."""
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise OidcError("provider-unavailable", "not an http(s) URL")
    if options.allow_private:
        return
    if parts.scheme != "https":
        raise OidcError("provider-unavailable", "the provider must use https")
    host = parts.hostname
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, parts.port or 443)
    except OSError as exc:
        raise OidcError("provider-unavailable", "the provider's host does not resolve") from exc
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if not address.is_global:
            raise OidcError("provider-unavailable", "the provider's host is not public")


async def fetch_json(
    client: httpx.AsyncClient,
    url: str,
    options: HttpOptions,
    *,
    headers: Mapping[str, str] | None = None,
    what: str,
) -> Any:
    """GET a JSON document of bounded size; OidcError("provider-unavailable") on any failure."""
    await check_url(url, options)
    try:
        async with client.stream("GET", url, headers=dict(headers or {})) as response:
            if response.status_code != 200:
                raise OidcError("provider-unavailable", f"{what}: HTTP {response.status_code}")
            body = bytearray()
            async for chunk in response.aiter_bytes():
                body += chunk
                if len(body) > MAX_DOCUMENT_BYTES:
                    raise OidcError("provider-unavailable", f"{what}: response too large")
    except httpx.HTTPError as exc:
        raise OidcError(
            "provider-unavailable", f"{what}: {exc.__class__.__name__}"
        ) from exc
    try:
        return orjson.loads(bytes(body))
    except orjson.JSONDecodeError as exc:
        raise OidcError("provider-unavailable", f"{what}: not JSON") from exc


async def discover(
    issuer: str,
    *,
    options: HttpOptions,
    cache: Cache | None,
    accept_issuer: str | None = None,
) -> ProviderMetadata:
    """The provider's metadata (cached); its `issuer` must be the configured one.

    `accept_issuer` is an announced issuer that is accepted besides the configured one (the
    `{tenantid}` template of Microsoft's multi-tenant endpoint)."""
    key = f"oidc:discovery:{issuer_key(issuer)}"
    if cache is not None and (raw := await cache.get(key)) is not None:
        return ProviderMetadata.from_document(orjson.loads(raw))
    async with options.client() as client:
        document = await fetch_json(client, discovery_url(issuer), options, what="discovery")
    if not isinstance(document, dict):
        raise OidcError("provider-unavailable", "discovery: not a JSON object")
    try:
        metadata = ProviderMetadata.from_document(document)
    except ValueError as exc:
        raise OidcError("provider-unavailable", f"discovery: {exc}") from exc
    if not same_issuer(issuer, metadata.issuer) and metadata.issuer != accept_issuer:
        raise OidcError("provider-unavailable", "discovery: the issuer does not match")
    if cache is not None:
        await cache.set(key, metadata.to_json(), DISCOVERY_TTL_SECONDS)
    return metadata


def _parse_jwks(document: Any) -> KeySet:
    if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
        raise OidcError("provider-unavailable", "jwks: not a JWK set")
    usable = [
        k for k in document["keys"]
        if isinstance(k, dict) and k.get("use", "sig") == "sig" and k.get("kty") != "oct"
    ]
    try:
        return KeySet.import_key_set({"keys": usable})
    except (JoseError, ValueError, TypeError, KeyError) as exc:
        raise OidcError("provider-unavailable", "jwks: unreadable keys") from exc


async def fetch_jwks(
    jwks_uri: str, *, options: HttpOptions, cache: Cache | None, refresh: bool = False
) -> KeySet:
    """The provider's public signing keys (cached; `refresh` refetches them)."""
    key = f"oidc:jwks:{issuer_key(jwks_uri)}"
    if cache is not None and not refresh and (raw := await cache.get(key)) is not None:
        return _parse_jwks(orjson.loads(raw))
    async with options.client() as client:
        document = await fetch_json(client, jwks_uri, options, what="jwks")
    keys = _parse_jwks(document)
    if cache is not None:
        await cache.set(key, orjson.dumps(document), JWKS_TTL_SECONDS)
    return keys


def oauth_client(
    config: ClientConfig, options: HttpOptions, *, auth_method: str
) -> AsyncOAuth2Client:
    return AsyncOAuth2Client(
        client_id=config.client_id,
        client_secret=config.client_secret,
        token_endpoint_auth_method=auth_method,
        scope=config.scope,
        redirect_uri=config.redirect_uri,
        code_challenge_method="S256",
        transport=options.transport,
        timeout=options.timeout,
        headers={"User-Agent": USER_AGENT},
    )


def authorization_request(
    authorization_endpoint: str,
    config: ClientConfig,
    *,
    login_hint: str | None = None,
    with_nonce: bool = True,
) -> AuthorizationRequest:
    """The authorization URL (response_type=code, state, nonce, PKCE S256)."""
    state = secrets.token_urlsafe(32)
    nonce = secrets.token_urlsafe(32)
    verifier = secrets.token_urlsafe(64)  # RFC 7636 §4.1: 43-128 unreserved characters
    params: dict[str, str] = {
        "redirect_uri": config.redirect_uri,
        "scope": config.scope,
        "code_challenge": create_s256_code_challenge(verifier),
        "code_challenge_method": "S256",
    }
    if with_nonce:
        params["nonce"] = nonce
    if login_hint:
        params["login_hint"] = login_hint
    url = prepare_grant_uri(
        authorization_endpoint, client_id=config.client_id, response_type="code", state=state,
        **params,
    )
    return AuthorizationRequest(url=str(url), state=state, nonce=nonce, code_verifier=verifier)


async def exchange_code(
    token_endpoint: str,
    config: ClientConfig,
    *,
    code: str,
    code_verifier: str,
    auth_method: str,
    options: HttpOptions,
) -> TokenResponse:
    """Trade the authorization code (and the PKCE verifier) for tokens."""
    await check_url(token_endpoint, options)
    client = oauth_client(config, options, auth_method=auth_method)
    try:
        async with client:
            token = await client.fetch_token(
                token_endpoint, grant_type="authorization_code", code=code,
                code_verifier=code_verifier,
            )
    except OAuthError as exc:
        raise OidcError("token-exchange-failed", f"token endpoint: {str(exc.error)[:60]}") from exc
    except (httpx.HTTPError, ValueError, TypeError) as exc:
        raise OidcError(
            "token-exchange-failed", f"token endpoint: {exc.__class__.__name__}"
        ) from exc
    raw = dict(token)
    access_token = raw.get("access_token")
    id_token = raw.get("id_token")
    return TokenResponse(
        access_token=access_token if isinstance(access_token, str) else None,
        id_token=id_token if isinstance(id_token, str) else None,
        raw=raw,
    )


def _claims_registry(
    *, issuer: str, client_id: str, now: datetime, leeway: int
) -> jwt.JWTClaimsRegistry:
    return jwt.JWTClaimsRegistry(
        now=int(now.timestamp()),
        leeway=leeway,
        iss={"essential": True, "value": issuer},
        sub={"essential": True},
        aud={"essential": True, "value": client_id},
        exp={"essential": True},
        iat={"essential": True},
    )


async def validate_id_token(
    id_token: str,
    *,
    metadata: ProviderMetadata,
    client_id: str,
    nonce: str,
    now: datetime,
    options: HttpOptions,
    cache: Cache | None,
    leeway: int = CLOCK_LEEWAY_SECONDS,
) -> dict[str, Any]:
    """The ID token's claims once its signature (JWKS), iss, aud/azp, exp, iat and nonce hold.

    Raises OidcError("invalid-id-token") otherwise."""
    algorithms = [a for a in metadata.id_token_signing_algs if a in SIGNING_ALGORITHMS] or [
        "RS256"
    ]
    keys = await fetch_jwks(metadata.jwks_uri, options=options, cache=cache)
    try:
        try:
            token = jwt.decode(id_token, keys, algorithms=algorithms)
        except InvalidKeyIdError:
            # The provider may have rotated its keys: refetch once (rate-limited).
            if cache is not None and await cache.incr(
                f"oidc:jwks-refresh:{issuer_key(metadata.jwks_uri)}", JWKS_REFRESH_SECONDS
            ) > 1:
                raise
            keys = await fetch_jwks(metadata.jwks_uri, options=options, cache=cache,
                                    refresh=True)
            token = jwt.decode(id_token, keys, algorithms=algorithms)
    except JoseError as exc:
        raise OidcError("invalid-id-token", f"signature: {exc.error}") from exc
    except (ValueError, TypeError) as exc:
        raise OidcError("invalid-id-token", "unreadable token") from exc
    claims: dict[str, Any] = dict(token.claims)
    expected_issuer = metadata.issuer
    if "{tenantid}" in expected_issuer:
        # Microsoft's multi-tenant metadata: the issuer carries the user's tenant id.
        expected_issuer = expected_issuer.replace("{tenantid}", str(claims.get("tid", "")))
    registry = _claims_registry(issuer=expected_issuer, client_id=client_id, now=now,
                                leeway=leeway)
    try:
        registry.validate(claims)
    except JoseError as exc:
        raise OidcError("invalid-id-token", f"claims: {exc.error} {exc.description or ''}"
                        .strip()) from exc
    audience = claims["aud"]
    if isinstance(audience, list) and len(audience) > 1 and claims.get("azp") != client_id:
        raise OidcError("invalid-id-token", "claims: azp is not this client")
    if "azp" in claims and claims["azp"] != client_id:
        raise OidcError("invalid-id-token", "claims: azp is not this client")
    token_nonce = claims.get("nonce")
    if not isinstance(token_nonce, str) or not hmac.compare_digest(
        token_nonce.encode(), nonce.encode()
    ):
        raise OidcError("invalid-id-token", "claims: the nonce does not match")
    return claims


async def fetch_userinfo(
    userinfo_endpoint: str, access_token: str, *, options: HttpOptions
) -> dict[str, Any]:
    """Claims from the UserInfo endpoint (for providers that keep the ID token minimal)."""
    async with options.client() as client:
        document = await fetch_json(
            client, userinfo_endpoint, options, what="userinfo",
            headers={"Authorization": f"Bearer {access_token}", "Accept": "application/json"},
        )
    if not isinstance(document, dict):
        raise OidcError("provider-error", "userinfo: not a JSON object")
    return document


def merge_userinfo(claims: dict[str, Any], userinfo: Mapping[str, Any]) -> dict[str, Any]:
    """ID token claims completed by UserInfo; Core §5.3.2: its `sub` must be the token's."""
    if userinfo.get("sub") != claims.get("sub"):
        raise OidcError("invalid-id-token", "userinfo: the subject differs from the ID token")
    merged = dict(userinfo)
    merged.update({k: v for k, v in claims.items() if v is not None})
    return merged
