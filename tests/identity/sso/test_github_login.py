"""GitHub social login: OAuth 2.0 (not OpenID Connect) plus its REST API for the verified
primary email. GitHub cannot run here, so a contract test pins the requests we send and the
response shapes from GitHub's documentation ("Authorizing OAuth apps", "REST API endpoints
for users" and "for emails": GET /user, GET /user/emails)."""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from brain.identity import oidc
from brain.identity.models import User
from brain.identity.social import SocialConfig, SocialProvider, github_profile
from tests.identity.sso.conftest import PUBLIC_URL
from tests.identity.sso.flows import (
    assert_signed_in,
    audit_events,
    authorization_params,
    error_of,
    identities,
    memberships,
    start,
    user_by_email,
)

GITHUB = "/api/v1/auth/social/github/login"
CALLBACK = f"{PUBLIC_URL}/api/v1/auth/social/github/callback"
CLIENT_ID = "Iv1.8a61f9b3a7aba766"
CLIENT_SECRET = "github-client-secret-0123456789abcdef"
ACCESS_TOKEN = "gho_16C7e42F292c6912E7710c838347Ae178B4a"

# Shapes from GitHub's documentation (the example responses, trimmed to what we read).
TOKEN_RESPONSE = {"access_token": ACCESS_TOKEN, "scope": "read:user,user:email",
                  "token_type": "bearer"}
USER_RESPONSE = {"login": "octocat", "id": 1, "node_id": "MDQ6VXNlcjE=",
                 "name": "monalisa octocat", "company": "GitHub", "email": None,
                 "type": "User", "site_admin": False}
EMAILS_RESPONSE = [{"email": "octocat@github.com", "verified": True, "primary": True,
                    "visibility": "public"}]


class FakeGitHub:
    """github.com and api.github.com as an httpx transport, recording what it is sent."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []
        self.token: tuple[int, Any] = (200, TOKEN_RESPONSE)
        self.user: tuple[int, Any] = (200, USER_RESPONSE)
        self.emails: tuple[int, Any] = (200, EMAILS_RESPONSE)

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        url = str(request.url).split("?")[0]
        routes = {
            ("POST", "https://github.com/login/oauth/access_token"): self.token,
            ("GET", "https://api.github.com/user"): self.user,
            ("GET", "https://api.github.com/user/emails"): self.emails,
        }
        status, body = routes.get((request.method, url), (404, {"message": "Not Found"}))
        return httpx.Response(status, json=body)


@pytest.fixture
def sso_overrides() -> dict[str, Any]:
    return {"social_github_client_id": CLIENT_ID, "social_github_client_secret": CLIENT_SECRET}


@pytest.fixture
def github(sso_app: FastAPI) -> FakeGitHub:
    fake = FakeGitHub()
    sso_app.state.oidc_transport = httpx.MockTransport(fake.handler)
    return fake


async def _callback(web: httpx.AsyncClient, **extra: str) -> httpx.Response:
    authorize_url = await start(web, GITHUB, next="/start")
    state = authorization_params(authorize_url)["state"]
    return await web.get(CALLBACK, params={"code": "e72e16c7e42f292c6912", "state": state,
                                           **extra})


async def test_the_authorization_request(web: httpx.AsyncClient, github: FakeGitHub) -> None:
    url = await start(web, GITHUB)
    assert url.startswith("https://github.com/login/oauth/authorize?")
    params = authorization_params(url)
    assert params["client_id"] == CLIENT_ID
    assert params["redirect_uri"] == CALLBACK
    assert params["scope"] == "read:user user:email"
    assert params["code_challenge_method"] == "S256"
    assert params["response_type"] == "code"
    assert len(params["state"]) >= 43
    assert "nonce" not in params  # OAuth 2.0, no ID token
    assert github.requests == []  # no discovery for GitHub


async def test_the_requests_sent_to_github(web: httpx.AsyncClient, github: FakeGitHub) -> None:
    authorize_url = await start(web, GITHUB)
    params = authorization_params(authorize_url)
    response = await web.get(CALLBACK, params={"code": "e72e16c7e42f292c6912",
                                               "state": params["state"]})
    assert_signed_in(response)
    token, user, emails = github.requests
    assert (token.method, str(token.url)) == ("POST",
                                              "https://github.com/login/oauth/access_token")
    assert token.headers["accept"] == "application/json"
    assert token.headers["content-type"].startswith("application/x-www-form-urlencoded")
    form = {k: v[0] for k, v in parse_qs(token.content.decode()).items()}
    verifier = form.pop("code_verifier")
    assert form == {"grant_type": "authorization_code", "code": "e72e16c7e42f292c6912",
                    "redirect_uri": CALLBACK, "client_id": CLIENT_ID,
                    "client_secret": CLIENT_SECRET}
    digest = hashlib.sha256(verifier.encode()).digest()
    assert base64.urlsafe_b64encode(digest).rstrip(b"=").decode() == params["code_challenge"]
    for request, path in ((user, "/user"), (emails, "/user/emails")):
        assert (request.method, str(request.url)) == ("GET", f"https://api.github.com{path}")
        assert request.headers["authorization"] == f"Bearer {ACCESS_TOKEN}"
        assert request.headers["accept"] == "application/vnd.github+json"
        assert request.headers["x-github-api-version"] == "2022-11-28"
        assert request.headers["user-agent"]  # GitHub rejects requests without one


async def test_a_verified_primary_email_signs_in(
    web: httpx.AsyncClient, github: FakeGitHub, db: AsyncSession
) -> None:
    assert_signed_in(await _callback(web), "/start")
    user = await user_by_email(db, "octocat@github.com")
    assert user is not None
    assert user.name == "monalisa octocat"
    assert await memberships(db, user.id) == []
    [link] = await identities(db, user.id)
    assert (link.issuer, link.subject, link.source) == ("https://github.com", "1",
                                                        "social:github")
    [event] = await audit_events(db, "auth.social.login")
    assert event.details["provider"] == "github"


async def test_an_existing_account_is_linked(
    web: httpx.AsyncClient, github: FakeGitHub, db: AsyncSession
) -> None:
    octocat = User(email="octocat@github.com", name="Mona",
                   email_verified_at=datetime.now(UTC))
    db.add(octocat)
    await db.commit()
    assert_signed_in(await _callback(web), "/start")
    [link] = await identities(db, octocat.id)
    assert link.subject == "1"


@pytest.mark.parametrize(
    ("emails", "error"),
    [
        ([{"email": "octocat@github.com", "verified": False, "primary": True,
           "visibility": "private"}], "email-not-verified"),
        ([{"email": "octocat@github.com", "verified": True, "primary": False,
           "visibility": None}], "email-missing"),
        ([], "email-missing"),
        ({"message": "Requires authentication"}, "provider-error"),
    ],
)
async def test_without_a_verified_primary_email(
    web: httpx.AsyncClient, github: FakeGitHub, db: AsyncSession, emails: Any, error: str
) -> None:
    """Only the primary email, and only when GitHub has verified it."""
    github.emails = (200, emails)
    assert error_of(await _callback(web)) == error
    assert await user_by_email(db, "octocat@github.com") is None


async def test_a_secondary_verified_email_does_not_link(
    web: httpx.AsyncClient, github: FakeGitHub, db: AsyncSession
) -> None:
    other = User(email="mona@example.org", name="Mona", email_verified_at=datetime.now(UTC))
    db.add(other)
    await db.commit()
    github.emails = (200, [
        {"email": "octocat@github.com", "verified": False, "primary": True,
         "visibility": "private"},
        {"email": "mona@example.org", "verified": True, "primary": False, "visibility": None},
    ])
    assert error_of(await _callback(web)) == "email-not-verified"
    assert await identities(db, other.id) == []


@pytest.mark.parametrize(
    ("token", "user", "error"),
    [
        ((200, {"error": "bad_verification_code",
                "error_description": "The code passed is incorrect or expired."}), None,
         "token-exchange-failed"),
        ((500, {"message": "boom"}), None, "token-exchange-failed"),
        ((200, {"token_type": "bearer"}), None, "token-exchange-failed"),
        (None, (401, {"message": "Bad credentials"}), "provider-unavailable"),
        (None, (200, {"login": "octocat", "id": "1"}), "provider-error"),
    ],
)
async def test_github_failures_are_redirects(
    web: httpx.AsyncClient, github: FakeGitHub, db: AsyncSession,
    token: tuple[int, Any] | None, user: tuple[int, Any] | None, error: str,
) -> None:
    if token is not None:
        github.token = token
    if user is not None:
        github.user = user
    assert error_of(await _callback(web)) == error
    [event] = await audit_events(db, "auth.social.login")
    assert (event.outcome, event.details["reason"]) == ("failure", error)
    assert ACCESS_TOKEN not in str(event.details)


async def test_a_refusal_at_github(web: httpx.AsyncClient, github: FakeGitHub) -> None:
    response = await _callback(web, error="access_denied")
    assert error_of(response) == "access-denied"


async def test_the_documented_shapes_are_what_we_parse() -> None:
    """The contract on its own: GitHub's documented example responses → the profile."""
    fake = FakeGitHub()
    config = SocialConfig(
        SocialProvider.github, CLIENT_ID, CLIENT_SECRET, None,
        authorize_url="https://github.com/login/oauth/authorize",
        token_url="https://github.com/login/oauth/access_token",
        api_url="https://api.github.com",
    )
    profile = await github_profile(
        config, ACCESS_TOKEN, http=oidc.HttpOptions(transport=httpx.MockTransport(fake.handler))
    )
    assert (profile.issuer, profile.subject, profile.email, profile.email_verified,
            profile.name) == ("https://github.com", "1", "octocat@github.com", True,
                              "monalisa octocat")
