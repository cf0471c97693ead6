"""OAuth 2.0 + PKCE connect flow, state bound to the session, encrypted tokens, refresh
failure → needs_reauth with the admins notified."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from sqlalchemy import select

from brain.core.db import BYPASS_INFO_KEY
from brain.core.models import utcnow
from brain.core.runtime import Runtime
from brain.integrations.base import Credentials
from brain.integrations.engine import SyncEngine
from brain.integrations.models import Connection, SyncRun, open_credentials, seal_credentials
from brain.integrations.oauth import pkce_challenge
from tests.factories import Tenant, make_member_session
from tests.integrations.helpers import RecordingDispatcher, TokenEndpoint, queue_sync


async def test_authorization_code_flow_with_pkce(
    oauth_app: tuple[httpx.AsyncClient, Any], oauth_runtime: Runtime, tenant: Tenant,
    session_factory: Any,
) -> None:
    http, app = oauth_app
    admin = await make_member_session(session_factory, tenant.id, "admin")
    started = await http.post(tenant.path("/connections"), headers=admin,
                              json={"provider": "meta_ads",
                                    "config": {"ad_account_ids": ["act_42"]}})
    assert started.status_code == 201, started.text
    body = started.json()
    assert body["status"] == "pending"
    url = urlsplit(body["next_step"]["authorization_url"])
    assert f"{url.scheme}://{url.netloc}{url.path}" == "https://www.facebook.com/v21.0/dialog/oauth"
    query = {k: v[0] for k, v in parse_qs(url.query).items()}
    assert query["client_id"] == "meta-app"
    assert query["response_type"] == "code"
    assert query["scope"] == "ads_read"
    assert query["code_challenge_method"] == "S256"
    assert query["redirect_uri"].endswith("/api/v1/integrations/meta_ads/callback")
    state = query["state"]

    # Another user's session cannot complete it: the browser lands on the connections page
    # with the problem's type, an API client gets the problem itself.
    intruder = await make_member_session(session_factory, tenant.id, "admin")
    wrong = await http.get("/api/v1/integrations/meta_ads/callback", headers=intruder,
                           params={"state": state, "code": "abc"})
    assert wrong.status_code == 303
    assert wrong.headers["location"] == "/connections?error=invalid-token"
    assert wrong.headers["cache-control"] == "no-store"
    wrong_api = await http.get("/api/v1/integrations/meta_ads/callback",
                               headers={**intruder, "Accept": "application/json"},
                               params={"state": state, "code": "abc"})
    assert wrong_api.status_code == 400
    assert wrong_api.json()["type"] == "/api/v1/problems/invalid-token"

    token = TokenEndpoint(200, {"access_token": "EAAB-fresh", "token_type": "bearer",
                                "expires_in": 5183944, "refresh_token": "r-1"})
    app.state.integrations_oauth_transport = httpx.MockTransport(token)
    done = await http.get("/api/v1/integrations/meta_ads/callback",
                          headers={**admin, "Accept": "text/html,application/xhtml+xml,"
                                                      "application/xml;q=0.9,*/*;q=0.8"},
                          params={"state": state, "code": "the-code"})
    assert done.status_code == 303, done.text
    connection_id = body["id"]
    assert done.headers["location"] == f"/connections/{connection_id}?connected=1"
    assert not done.content
    [form] = token.forms
    assert form["grant_type"] == ["authorization_code"]
    assert form["code"] == ["the-code"]
    assert pkce_challenge(form["code_verifier"][0]) == query["code_challenge"]

    async with oauth_runtime.session_factory() as session:
        session.info[BYPASS_INFO_KEY] = True
        connection = await session.get(Connection, uuid.UUID(connection_id))
        assert connection is not None
        assert connection.credentials_encrypted is not None
        assert "EAAB-fresh" not in connection.credentials_encrypted
        assert open_credentials(oauth_runtime.keys, connection).access_token == "EAAB-fresh"
        # Bound to the row: the same ciphertext on another connection does not open.
        other = Connection(id=uuid.uuid4(), organization_id=tenant.id, provider="meta_ads",
                           name="x", credentials_encrypted=connection.credentials_encrypted)
        with pytest.raises(Exception, match="cannot decrypt"):
            open_credentials(oauth_runtime.keys, other)

    replay = await http.get("/api/v1/integrations/meta_ads/callback", headers=admin,
                            params={"state": state, "code": "the-code"})
    assert replay.headers["location"] == "/connections?error=invalid-token"  # single use


async def _start(http: httpx.AsyncClient, tenant: Tenant, headers: dict[str, str]) -> tuple[
        str, str]:
    started = await http.post(tenant.path("/connections"), headers=headers,
                              json={"provider": "meta_ads",
                                    "config": {"ad_account_ids": ["act_42"]}})
    assert started.status_code == 201, started.text
    url = urlsplit(started.json()["next_step"]["authorization_url"])
    return started.json()["id"], parse_qs(url.query)["state"][0]


async def test_the_callback_ends_in_the_web_app_on_every_outcome(
    oauth_app: tuple[httpx.AsyncClient, Any], tenant: Tenant, session_factory: Any,
) -> None:
    http, app = oauth_app
    callback = "/api/v1/integrations/meta_ads/callback"
    admin = await make_member_session(session_factory, tenant.id, "admin")
    as_api = {**admin, "Accept": "application/json"}

    # The user declined at the provider: back to the (still pending) connection.
    connection_id, state = await _start(http, tenant, admin)
    declined = await http.get(callback, headers=admin,
                              params={"state": state, "error": "access_denied"})
    assert declined.status_code == 303
    assert declined.headers["location"] == (
        f"/connections/{connection_id}?error=authorization-refused")
    pending = await http.get(tenant.path(f"/connections/{connection_id}"), headers=admin)
    assert pending.json()["status"] == "pending"
    assert "access_denied" in pending.json()["last_error"]

    # The provider refuses the code: nothing stored, the state stays usable for a retry.
    connection_id, state = await _start(http, tenant, admin)
    app.state.integrations_oauth_transport = httpx.MockTransport(
        TokenEndpoint(400, {"error": "invalid_grant"}))
    refused = await http.get(callback, headers=admin, params={"state": state, "code": "c"})
    assert refused.headers["location"] == "/connections?error=provider-error"
    refused_api = await http.get(callback, headers=as_api, params={"state": state, "code": "c"})
    assert refused_api.status_code == 502
    assert refused_api.json()["type"] == "/api/v1/problems/provider-error"

    # No session (it expired meanwhile), no state: still a page, never a JSON document.
    anonymous = await http.get(callback, params={"state": state, "code": "c"})
    assert anonymous.status_code == 303
    assert anonymous.headers["location"] == "/connections?error=unauthorized"
    assert (await http.get(callback, headers=as_api,
                           params={"state": state, "code": "c"})).status_code == 502
    assert (await http.get(callback, headers={"Accept": "application/json"},
                           params={"state": state})).status_code == 401
    missing = await http.get(callback, headers=admin)
    assert missing.headers["location"] == "/connections?error=validation-error"
    assert (await http.get(callback, headers=as_api)).status_code == 422
    unknown = await http.get("/api/v1/integrations/nope/callback", headers=admin,
                             params={"state": state, "code": "c"})
    assert unknown.headers["location"] == "/connections?error=validation-error"

    # JSON callers still get the connection.
    connection_id, state = await _start(http, tenant, admin)
    app.state.integrations_oauth_transport = httpx.MockTransport(
        TokenEndpoint(200, {"access_token": "EAAB-2", "token_type": "bearer"}))
    done = await http.get(callback, headers=as_api, params={"state": state, "code": "c"})
    assert done.status_code == 200, done.text
    assert done.json() == {"connection_id": connection_id, "organization_id": str(tenant.id),
                           "status": "active"}


async def test_refresh_failure_marks_needs_reauth_and_notifies(
    oauth_runtime: Runtime, tenant: Tenant, session_factory: Any
) -> None:
    await make_member_session(session_factory, tenant.id, "admin")
    async with oauth_runtime.session_factory() as session:
        session.info[BYPASS_INFO_KEY] = True
        connection = Connection(id=uuid.uuid4(), organization_id=tenant.id,
                                provider="meta_ads", name="Meta", status="active",
                                sandbox=False, config={"ad_account_ids": ["act_42"]},
                                granted_scopes=[], disabled_streams=[])
        seal_credentials(oauth_runtime.keys, connection, Credentials(
            access_token="old", refresh_token="r-1", expires_at=utcnow() - timedelta(hours=1)))
        session.add(connection)
        await session.commit()
    run = await queue_sync(oauth_runtime, connection)
    refused = TokenEndpoint(400, {"error": "invalid_grant",
                                  "error_description": "Token has been revoked."})
    recorder = RecordingDispatcher()
    result = await SyncEngine(oauth_runtime, dispatcher=recorder,
                              oauth_transport=httpx.MockTransport(refused)).run(
        sync_run_id=run.id, organization_id=tenant.id)
    assert result.status == "failed"
    assert refused.forms[0]["grant_type"] == ["refresh_token"]
    async with oauth_runtime.session_factory() as session:
        session.info[BYPASS_INFO_KEY] = True
        stored = await session.get(Connection, connection.id, populate_existing=True)
        assert stored is not None
        assert stored.status == "needs_reauth"
        failed = await session.get(SyncRun, run.id, populate_existing=True)
        assert failed is not None
        assert failed.error_kind == "expired_token"
        from brain.webhooks.models import WebhookEvent

        types = set((await session.scalars(select(WebhookEvent.event_type).where(
            WebhookEvent.organization_id == tenant.id))).all())
        assert {"connection.needs_reauth", "sync.failed"} <= types
    emails = [kwargs for name, kwargs in recorder.sent if name == "email.send"]
    assert emails
    assert emails[0]["template"] == "notification"


async def test_delete_revokes_the_token_at_the_provider(
    oauth_app: tuple[httpx.AsyncClient, Any], oauth_runtime: Runtime, tenant: Tenant
) -> None:
    http, app = oauth_app
    async with oauth_runtime.session_factory() as session:
        session.info[BYPASS_INFO_KEY] = True
        connection = Connection(id=uuid.uuid4(), organization_id=tenant.id,
                                provider="google_ads", name="Google", status="active",
                                sandbox=False, config={"customer_ids": ["1234567890"]},
                                granted_scopes=[], disabled_streams=[])
        seal_credentials(oauth_runtime.keys, connection,
                         Credentials(access_token="ya29.a", refresh_token="1//refresh"))
        session.add(connection)
        await session.commit()
    revoked: list[httpx.Request] = []

    def provider(request: httpx.Request) -> httpx.Response:
        revoked.append(request)
        return httpx.Response(200)

    app.state.integrations_oauth_transport = httpx.MockTransport(provider)
    response = await http.delete(tenant.path(f"/connections/{connection.id}"),
                                 headers=tenant.admin)
    assert response.status_code == 204
    [request] = revoked
    assert str(request.url) == "https://oauth2.googleapis.com/revoke"
    assert parse_qs(request.content.decode()) == {"token": ["1//refresh"]}
