"""The OpenID Connect client on its own: ID token claim checks (OpenID Connect Core §3.1.3.7)
with keys we control, discovery parsing and the fetch guards."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import ECKey, RSAKey

from brain.core.cache import MemoryCache
from brain.identity import oidc

ISSUER = "https://idp.example"
CLIENT_ID = "brain-client"
NONCE = "n-0123456789abcdefghijklmnopqrstuvwxyz01234"
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
RSA = RSAKey.generate_key(2048, parameters={"kid": "rsa-1", "use": "sig"}, private=True)
EC = ECKey.generate_key("P-256", parameters={"kid": "ec-1", "use": "sig"}, private=True)


def metadata(**changes: Any) -> oidc.ProviderMetadata:
    document = {
        "issuer": ISSUER,
        "authorization_endpoint": f"{ISSUER}/authorize",
        "token_endpoint": f"{ISSUER}/token",
        "jwks_uri": f"{ISSUER}/jwks",
        "id_token_signing_alg_values_supported": ["RS256", "ES256"],
        **changes,
    }
    return oidc.ProviderMetadata.from_document(document)


class Jwks:
    """A provider's JWKS endpoint whose keys a test can rotate."""

    def __init__(self) -> None:
        self.keys = [RSA.as_dict(private=False), EC.as_dict(private=False)]
        self.fetches = 0

    def handler(self, request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/jwks"
        self.fetches += 1
        return httpx.Response(200, json={"keys": self.keys})


def claims(**changes: Any) -> dict[str, Any]:
    now = int(NOW.timestamp())
    base: dict[str, Any] = {
        "iss": ISSUER, "sub": "user-1", "aud": CLIENT_ID, "iat": now, "exp": now + 300,
        "nonce": NONCE, "email": "a@acme.test", "email_verified": True,
    }
    base.update(changes)
    return {k: v for k, v in base.items() if v is not None}


def sign(payload: dict[str, Any], key: RSAKey | ECKey = RSA, alg: str = "RS256") -> str:
    return jwt.encode({"alg": alg, "kid": key.kid}, payload, key)


async def validate(token: str, jwks: Jwks | None = None, *, now: datetime = NOW,
                   meta: oidc.ProviderMetadata | None = None,
                   cache: MemoryCache | None = None) -> dict[str, Any]:
    jwks = jwks or Jwks()
    options = oidc.HttpOptions(transport=httpx.MockTransport(jwks.handler))
    return await oidc.validate_id_token(
        token, metadata=meta or metadata(), client_id=CLIENT_ID, nonce=NONCE, now=now,
        options=options, cache=cache if cache is not None else MemoryCache(),
    )


async def test_a_valid_token() -> None:
    assert (await validate(sign(claims())))["sub"] == "user-1"
    assert (await validate(sign(claims(), EC, "ES256")))["email"] == "a@acme.test"


@pytest.mark.parametrize(
    ("changes", "why"),
    [
        ({"iss": "https://other.example"}, "another issuer"),
        ({"iss": None}, "no issuer"),
        ({"aud": "someone-else"}, "another audience"),
        ({"aud": ["someone-else", "third"]}, "not among the audiences"),
        ({"aud": [CLIENT_ID, "third"]}, "several audiences without azp"),
        ({"aud": [CLIENT_ID, "third"], "azp": "third"}, "azp is another client"),
        ({"azp": "third"}, "azp is another client"),
        ({"sub": None}, "no subject"),
        ({"exp": None}, "no expiry"),
        ({"iat": None}, "no issue time"),
        ({"exp": int(NOW.timestamp()) - 61}, "expired beyond the leeway"),
        ({"iat": int(NOW.timestamp()) + 61}, "issued in the future"),
        ({"nbf": int(NOW.timestamp()) + 600}, "not valid yet"),
        ({"nonce": None}, "no nonce"),
        ({"nonce": "another-nonce"}, "another nonce"),
    ],
)
async def test_claims_that_are_refused(changes: dict[str, Any], why: str) -> None:
    with pytest.raises(oidc.OidcError) as failure:
        await validate(sign(claims(**changes)))
    assert failure.value.code == "invalid-id-token", why


async def test_several_audiences_with_our_azp_are_accepted() -> None:
    token = sign(claims(aud=[CLIENT_ID, "api"], azp=CLIENT_ID))
    assert (await validate(token))["azp"] == CLIENT_ID


async def test_leeway_of_a_minute() -> None:
    token = sign(claims(exp=int(NOW.timestamp()) - 30))
    assert await validate(token)
    with pytest.raises(oidc.OidcError):
        await validate(token, now=NOW + timedelta(seconds=31))


async def test_algorithms_outside_the_allow_list() -> None:
    only_es = metadata(id_token_signing_alg_values_supported=["ES256"])
    with pytest.raises(oidc.OidcError, match="signature"):
        await validate(sign(claims()), meta=only_es)
    none_only = metadata(id_token_signing_alg_values_supported=["none", "HS256"])
    # Nothing usable announced: RS256 only, never `none` or HS256.
    assert await validate(sign(claims()), meta=none_only)


async def test_key_rotation_refetches_the_jwks_once() -> None:
    jwks = Jwks()
    cache = MemoryCache()
    assert await validate(sign(claims()), jwks, cache=cache)
    assert jwks.fetches == 1
    rotated = RSAKey.generate_key(2048, parameters={"kid": "rsa-2", "use": "sig"}, private=True)
    jwks.keys.append(rotated.as_dict(private=False))
    assert await validate(sign(claims(), rotated), jwks, cache=cache)
    assert jwks.fetches == 2
    # An unknown kid again within the minute: no second refetch, refused.
    stranger = RSAKey.generate_key(2048, parameters={"kid": "rsa-x"}, private=True)
    with pytest.raises(oidc.OidcError):
        await validate(sign(claims(), stranger), jwks, cache=cache)
    assert jwks.fetches == 2


async def test_microsoft_tenant_issuer_template() -> None:
    tenant = "6f1b2c3d-0000-4000-8000-00000000c0de"
    template = metadata(issuer="https://login.microsoftonline.com/{tenantid}/v2.0")
    token = sign(claims(iss=f"https://login.microsoftonline.com/{tenant}/v2.0", tid=tenant))
    assert (await validate(token, meta=template))["tid"] == tenant
    forged = sign(claims(iss="https://login.microsoftonline.com/other/v2.0", tid=tenant))
    with pytest.raises(oidc.OidcError):
        await validate(forged, meta=template)


def test_discovery_defaults_and_required_members() -> None:
    parsed = metadata()
    assert parsed.token_auth_method == "client_secret_basic"
    assert parsed.token_endpoint_auth_methods == ("client_secret_basic",)
    post_only = metadata(token_endpoint_auth_methods_supported=["client_secret_post"])
    assert post_only.token_auth_method == "client_secret_post"
    with pytest.raises(ValueError, match="jwks_uri"):
        oidc.ProviderMetadata.from_document({"issuer": ISSUER, "authorization_endpoint": "x",
                                             "token_endpoint": "y"})


async def test_discovery_must_name_the_configured_issuer() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/.well-known/openid-configuration"
        return httpx.Response(200, json={
            "issuer": "https://impostor.example", "authorization_endpoint": "a",
            "token_endpoint": "t", "jwks_uri": "j"})

    options = oidc.HttpOptions(transport=httpx.MockTransport(handler))
    with pytest.raises(oidc.OidcError, match="issuer"):
        await oidc.discover(ISSUER + "/", options=options, cache=None)


async def test_fetches_are_bounded() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=b"[" + b"1," * 400_000 + b"1]")

    options = oidc.HttpOptions(transport=httpx.MockTransport(handler))
    with pytest.raises(oidc.OidcError, match="too large"):
        await oidc.discover(ISSUER, options=options, cache=None)


async def test_production_refuses_private_and_plain_http_addresses() -> None:
    guarded = oidc.HttpOptions(allow_private=False)
    for url in ("http://idp.example/", "https://127.0.0.1/", "https://10.1.2.3/x",
                "https://[::1]/", "https://169.254.169.254/latest", "ftp://idp.example/"):
        with pytest.raises(oidc.OidcError):
            await oidc.check_url(url, guarded)
    await oidc.check_url("https://127.0.0.1/", oidc.HttpOptions(allow_private=True))


def test_authorization_request_parameters() -> None:
    config = oidc.ClientConfig(client_id="c", client_secret="s",
                               redirect_uri="https://brain.example/cb")
    request = oidc.authorization_request("https://idp.example/authorize?tenant=x", config,
                                         login_hint="a@b.example")
    url = httpx.URL(request.url)
    params = dict(url.params)
    assert params["tenant"] == "x"
    assert params["state"] == request.state
    assert params["nonce"] == request.nonce
    assert params["code_challenge_method"] == "S256"
    assert 43 <= len(request.code_verifier) <= 128
    assert request.code_verifier not in request.url
    without_nonce = oidc.authorization_request("https://gh.example/authorize", config,
                                               with_nonce=False)
    assert "nonce" not in dict(httpx.URL(without_nonce.url).params)
