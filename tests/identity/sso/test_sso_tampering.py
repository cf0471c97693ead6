"""Attacks on the callback with the real provider in the loop: a changed nonce, and ID tokens
altered on their way from the token endpoint (our outbound HTTP goes through a transport
that rewrites the token response)."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

import httpx
from fastapi import FastAPI
from joserfc import jwt
from joserfc.jwk import OctKey, RSAKey
from sqlalchemy.ext.asyncio import AsyncSession

from brain.core.runtime import Runtime
from brain.identity.external_login import PendingLogin, pending_key
from tests.identity.sso.conftest import SSO_CLIENT, SsoOrg
from tests.identity.sso.flows import (
    assert_signed_in,
    audit_events,
    authorization_params,
    error_of,
    start,
    user_by_email,
)
from tests.identity.sso.provider import IdpBrowser, OidcProvider

IdTokenRewrite = Callable[[str], str]


class TamperingTransport(httpx.AsyncBaseTransport):
    """The real network, except that the token endpoint's `id_token` is rewritten."""

    def __init__(self, rewrite: IdTokenRewrite) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.rewrite = rewrite
        self.rewritten = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        if request.method != "POST" or not request.url.path.endswith("/token"):
            return response
        body = json.loads(await response.aread())
        if "id_token" in body:
            body["id_token"] = self.rewrite(body["id_token"])
            self.rewritten += 1
        headers = [(k, v) for k, v in response.headers.items()
                   if k.lower() not in ("content-length", "content-encoding")]
        return httpx.Response(response.status_code, headers=headers, json=body)

    async def aclose(self) -> None:
        await self.inner.aclose()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _pad(segment: str) -> str:
    return segment + "=" * (-len(segment) % 4)


def _parts(token: str) -> tuple[dict[str, Any], dict[str, Any], str]:
    header, payload, signature = token.split(".")
    return (json.loads(base64.urlsafe_b64decode(_pad(header))),
            json.loads(base64.urlsafe_b64decode(_pad(payload))), signature)


def change_email(token: str) -> str:
    """Swap the email in the payload, keeping the provider's signature."""
    header, _payload, signature = token.split(".")
    claims = _parts(token)[1]
    claims["email"] = "bob@acme.test"
    return f"{header}.{_b64(json.dumps(claims).encode())}.{signature}"


def unsigned(token: str) -> str:
    """The same claims with `alg: none` and no signature."""
    _, claims, _ = _parts(token)
    header = _b64(json.dumps({"alg": "none"}).encode())
    return f"{header}.{_b64(json.dumps(claims).encode())}."


def resigned_with_foreign_key(token: str) -> str:
    """The same claims and `kid`, signed with a key the provider never published."""
    header, claims, _ = _parts(token)
    key = RSAKey.generate_key(2048, private=True)
    return jwt.encode({"alg": "RS256", "kid": header["kid"]}, claims, key)


def unknown_kid(token: str) -> str:
    _, claims, _ = _parts(token)
    key = RSAKey.generate_key(2048, private=True)
    return jwt.encode({"alg": "RS256", "kid": "rotated-key"}, claims, key)


def hmac_with_client_secret(token: str) -> str:
    """Algorithm confusion: HS256 keyed with the (known to the client) secret."""
    _, claims, _ = _parts(token)
    key = OctKey.import_key(SSO_CLIENT["client_secret"])
    return jwt.encode({"alg": "HS256"}, claims, key, algorithms=["HS256"])


def truncated(token: str) -> str:
    return token[: len(token) // 2]


async def _callback_with(
    rewrite: IdTokenRewrite, *, app: FastAPI, web: httpx.AsyncClient, idp: IdpBrowser,
    org: SsoOrg,
) -> tuple[httpx.Response, TamperingTransport]:
    transport = TamperingTransport(rewrite)
    app.state.oidc_transport = transport
    try:
        authorization_url = await start(web, org.login_path)
        callback = await idp.authorize(authorization_url, user="alice")
        return await web.get(callback), transport
    finally:
        await transport.aclose()


async def test_the_untouched_flow_passes_through_the_transport(
    sso_app: FastAPI, web: httpx.AsyncClient, idp: IdpBrowser, acme: SsoOrg
) -> None:
    response, transport = await _callback_with(lambda t: t, app=sso_app, web=web, idp=idp,
                                               org=acme)
    assert transport.rewritten == 1
    assert_signed_in(response)


async def test_tampered_id_tokens_are_refused(
    sso_app: FastAPI, web: httpx.AsyncClient, idp: IdpBrowser, acme: SsoOrg, db: AsyncSession
) -> None:
    attacks: list[IdTokenRewrite] = [
        change_email, unsigned, resigned_with_foreign_key, unknown_kid,
        hmac_with_client_secret, truncated,
    ]
    for attack in attacks:
        web.cookies.clear()
        response, transport = await _callback_with(attack, app=sso_app, web=web, idp=idp,
                                                   org=acme)
        assert transport.rewritten == 1, attack.__name__
        assert error_of(response) == "invalid-id-token", (attack.__name__, response.headers)
    assert await user_by_email(db, "alice@acme.test") is None
    assert await user_by_email(db, "bob@acme.test") is None
    events = await audit_events(db, "auth.sso.login")
    assert [e.details["reason"] for e in events] == ["invalid-id-token"] * len(attacks)
    assert all(e.outcome == "failure" for e in events)


async def test_a_wrong_nonce_is_refused(
    web: httpx.AsyncClient, idp: IdpBrowser, acme: SsoOrg, sso_runtime: Runtime
) -> None:
    """The ID token must carry the nonce of this browser's login (replayed tokens do not)."""
    authorization_url = await start(web, acme.login_path)
    state = authorization_params(authorization_url)["state"]
    key = pending_key(state)
    raw = await sso_runtime.cache.get(key)
    assert raw is not None
    pending = PendingLogin.from_json(raw)
    forged = PendingLogin(**{**json.loads(pending.to_json()), "nonce": "n" * 43})
    await sso_runtime.cache.set(key, forged.to_json(), 600)
    callback = await idp.authorize(authorization_url, user="alice")
    assert error_of(await web.get(callback)) == "invalid-id-token"


async def test_a_wrong_code_verifier_fails_the_exchange(
    web: httpx.AsyncClient, idp: IdpBrowser, acme: SsoOrg, sso_runtime: Runtime,
    oidc_provider: OidcProvider,
) -> None:
    """PKCE: the provider refuses the code without the verifier that matches the challenge."""
    authorization_url = await start(web, acme.login_path)
    key = pending_key(authorization_params(authorization_url)["state"])
    raw = await sso_runtime.cache.get(key)
    assert raw is not None
    forged = {**json.loads(raw), "code_verifier": "v" * 64}
    await sso_runtime.cache.set(key, json.dumps(forged).encode(), 600)
    callback = await idp.authorize(authorization_url, user="alice")
    assert error_of(await web.get(callback)) == "token-exchange-failed"


async def test_a_replayed_code_fails_the_exchange(
    web: httpx.AsyncClient, idp: IdpBrowser, acme: SsoOrg
) -> None:
    """A code from one login, pasted into another login's callback, is refused by the
    provider (it was issued for another PKCE challenge)."""
    first = await idp.authorize(await start(web, acme.login_path), user="alice")
    second = await idp.authorize(await start(web, acme.login_path), user="alice")
    code = authorization_params(first)["code"]
    spliced = second.replace(f"code={authorization_params(second)['code']}", f"code={code}")
    assert error_of(await web.get(spliced)) == "token-exchange-failed"
