"""Re-authorizing a connection: OAuth (a new PKCE flow the callback completes), API keys
(checked with the provider before they replace the old key), sandbox connections (at once);
security, audit, idempotency and no integration slot used."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import orjson
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from brain.audit.models import AuditEvent
from brain.core.db import BYPASS_INFO_KEY
from brain.core.runtime import Runtime
from brain.integrations.base import Credentials
from brain.integrations.engine import SyncEngine
from brain.integrations.models import (
    Connection,
    OAuthState,
    SyncKind,
    open_credentials,
    seal_credentials,
)
from brain.integrations.oauth import pkce_challenge
from tests.factories import Tenant, make_member_session, make_tenant, put_on_plan
from tests.integrations.helpers import RecordingDispatcher, TokenEndpoint, queue_sync

CALLBACK = "/api/v1/integrations/meta_ads/callback"


async def stored_connection(
    runtime: Runtime, tenant: Tenant, provider: str, credentials: Credentials, *,
    config: dict[str, Any] | None = None, status: str = "needs_reauth",
) -> Connection:
    """A real (not sandbox) connection whose authorization broke."""
    async with runtime.session_factory() as session:
        session.info[BYPASS_INFO_KEY] = True
        connection = Connection(id=uuid.uuid4(), organization_id=tenant.id, provider=provider,
                                name=provider, status=status, sandbox=False,
                                config=config or {}, granted_scopes=[], disabled_streams=[],
                                schedule_minutes=1440,
                                last_error="the token was revoked")
        seal_credentials(runtime.keys, connection, credentials)
        session.add(connection)
        await session.commit()
    return connection


async def reload(runtime: Runtime, connection_id: uuid.UUID) -> Connection:
    async with runtime.session_factory() as session:
        session.info[BYPASS_INFO_KEY] = True
        found = await session.get(Connection, connection_id, populate_existing=True)
        assert found is not None
        return found


async def audit_actions(db: AsyncSession, tenant: Tenant, target: uuid.UUID) -> list[str]:
    rows = await db.scalars(select(AuditEvent.action).where(
        AuditEvent.organization_id == tenant.id, AuditEvent.target_id == str(target))
        .order_by(AuditEvent.created_at, AuditEvent.id))
    return list(rows.all())


# --- OAuth ---------------------------------------------------------------------------------


async def test_oauth_needs_reauth_to_active_through_a_new_pkce_flow(
    oauth_app: tuple[httpx.AsyncClient, Any], oauth_runtime: Runtime, tenant: Tenant,
    session_factory: Any, db: AsyncSession,
) -> None:
    http, app = oauth_app
    admin = await make_member_session(session_factory, tenant.id, "admin")
    connection = await stored_connection(
        oauth_runtime, tenant, "meta_ads", Credentials(access_token="EAAB-revoked"),
        config={"ad_account_ids": ["act_42"]})
    path = tenant.path(f"/connections/{connection.id}/reauthorize")

    started = await http.post(path, headers=admin, json={})
    assert started.status_code == 200, started.text
    body = started.json()
    assert body["id"] == str(connection.id)
    assert body["status"] == "needs_reauth"  # until the callback completes it
    assert body["next_step"]["type"] == "oauth_redirect"
    url = urlsplit(body["next_step"]["authorization_url"])
    assert f"{url.scheme}://{url.netloc}{url.path}" == "https://www.facebook.com/v21.0/dialog/oauth"
    query = {k: v[0] for k, v in parse_qs(url.query).items()}
    assert query["client_id"] == "meta-app"
    assert query["code_challenge_method"] == "S256"
    assert query["redirect_uri"].endswith("/api/v1/integrations/meta_ads/callback")
    # The old token stays until the new one arrives.
    assert open_credentials(oauth_runtime.keys, await reload(oauth_runtime, connection.id)) \
        .access_token == "EAAB-revoked"

    # Bound to the session that started it.
    intruder = await make_member_session(session_factory, tenant.id, "admin")
    wrong = await http.get(CALLBACK, headers={**intruder, "Accept": "application/json"},
                           params={"state": query["state"], "code": "abc"})
    assert wrong.status_code == 400

    token = TokenEndpoint(200, {"access_token": "EAAB-renewed", "token_type": "bearer",
                                "expires_in": 5183944})
    app.state.integrations_oauth_transport = httpx.MockTransport(token)
    done = await http.get(CALLBACK, headers=admin,
                          params={"state": query["state"], "code": "the-code"})
    assert done.status_code == 303, done.text
    assert done.headers["location"] == f"/connections/{connection.id}?connected=1"
    [form] = token.forms
    assert pkce_challenge(form["code_verifier"][0]) == query["code_challenge"]

    renewed = await reload(oauth_runtime, connection.id)
    assert renewed.status == "active"
    assert renewed.last_error is None
    assert renewed.credentials_encrypted is not None
    assert "EAAB-renewed" not in renewed.credentials_encrypted
    assert open_credentials(oauth_runtime.keys, renewed).access_token == "EAAB-renewed"
    assert await audit_actions(db, tenant, connection.id) == [
        "connection.reauthorization_started", "connection.reauthorized"]

    # A later sync calls the provider with the new token.
    seen: list[str] = []

    def meta(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers.get("authorization", ""))
        return httpx.Response(200, json={"data": [], "paging": {"cursors": {}}})

    yesterday = date.today() - timedelta(days=1)
    run = await queue_sync(oauth_runtime, renewed, mode=SyncKind.delta, start=yesterday,
                           end=yesterday)
    result = await SyncEngine(oauth_runtime, dispatcher=RecordingDispatcher(),
                              transport_factory=lambda *_: httpx.MockTransport(meta),
                              request_brain_run=False).run(
        sync_run_id=run.id, organization_id=tenant.id)
    assert result.status == "succeeded", result.error
    assert seen
    assert set(seen) == {"Bearer EAAB-renewed"}


async def test_only_the_newest_authorization_completes_and_idempotency_replays(
    oauth_app: tuple[httpx.AsyncClient, Any], oauth_runtime: Runtime, tenant: Tenant,
    session_factory: Any, db: AsyncSession,
) -> None:
    http, app = oauth_app
    admin = await make_member_session(session_factory, tenant.id, "admin")
    connection = await stored_connection(
        oauth_runtime, tenant, "meta_ads", Credentials(access_token="EAAB-old"),
        config={"ad_account_ids": ["act_42"]})
    path = tenant.path(f"/connections/{connection.id}/reauthorize")

    def state_of(response: httpx.Response) -> str:
        assert response.status_code == 200, response.text
        url = response.json()["next_step"]["authorization_url"]
        return parse_qs(urlsplit(url).query)["state"][0]

    first = state_of(await http.post(path, headers=admin, json={}))
    keyed = {**admin, "Idempotency-Key": "reauth-1"}
    second = await http.post(path, headers=keyed, json={})
    replay = await http.post(path, headers=keyed, json={})
    assert replay.json() == second.json()  # the same flow, not a third one
    states = await db.scalar(select(func.count()).select_from(OAuthState).where(
        OAuthState.connection_id == connection.id))
    assert states == 1
    app.state.integrations_oauth_transport = httpx.MockTransport(
        TokenEndpoint(200, {"access_token": "EAAB-new"}))
    stale = await http.get(CALLBACK, headers={**admin, "Accept": "application/json"},
                           params={"state": first, "code": "c"})
    assert stale.status_code == 400
    assert stale.json()["type"] == "/api/v1/problems/invalid-token"
    done = await http.get(CALLBACK, headers={**admin, "Accept": "application/json"},
                          params={"state": state_of(second), "code": "c"})
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "active"


async def test_a_connection_deleted_during_its_reauthorization_stays_deleted(
    oauth_app: tuple[httpx.AsyncClient, Any], oauth_runtime: Runtime, tenant: Tenant,
    session_factory: Any,
) -> None:
    http, app = oauth_app
    admin = await make_member_session(session_factory, tenant.id, "admin")
    connection = await stored_connection(
        oauth_runtime, tenant, "meta_ads", Credentials(access_token="EAAB-old"),
        config={"ad_account_ids": ["act_42"]})
    started = await http.post(tenant.path(f"/connections/{connection.id}/reauthorize"),
                              headers=admin, json={})
    state = parse_qs(urlsplit(started.json()["next_step"]["authorization_url"]).query)["state"]
    app.state.integrations_oauth_transport = httpx.MockTransport(
        TokenEndpoint(200, {"access_token": "EAAB-new"}))
    deleted = await http.delete(tenant.path(f"/connections/{connection.id}"), headers=admin)
    assert deleted.status_code == 204
    late = await http.get(CALLBACK, headers={**admin, "Accept": "application/json"},
                          params={"state": state[0], "code": "c"})
    assert late.status_code == 400
    gone = await reload(oauth_runtime, connection.id)
    assert (gone.status, gone.credentials_encrypted) == ("revoked", None)


async def test_oauth_reauthorization_refuses_credentials_and_needs_an_app(
    client: httpx.AsyncClient, oauth_app: tuple[httpx.AsyncClient, Any],
    oauth_runtime: Runtime, tenant: Tenant,
) -> None:
    http, _ = oauth_app
    connection = await stored_connection(
        oauth_runtime, tenant, "meta_ads", Credentials(access_token="EAAB-old"),
        config={"ad_account_ids": ["act_42"]})
    path = tenant.path(f"/connections/{connection.id}/reauthorize")
    keyed = await http.post(path, headers=tenant.admin,
                            json={"credentials": {"api_key": "nope"}})
    assert keyed.status_code == 422
    assert keyed.json()["errors"][0]["loc"] == ["body", "credentials"]
    # The default test server has no OAuth app for Meta.
    no_app = await client.post(path, headers=tenant.admin, json={})
    assert no_app.status_code == 422
    assert "No OAuth app" in no_app.json()["detail"]


# --- API keys -------------------------------------------------------------------------------

HUBSPOT_INVALID = {
    "status": "error",
    "message": "Authentication credentials not found. This API supports OAuth 2.0 "
               "authentication and you can find more details at https://developers.hubspot.com",
    "correlationId": "4e5ac2ec-1b44-4ddd-8fd9-b3f5cd6ad1f9",
    "category": "INVALID_AUTHENTICATION",
}


class HubSpotApi:
    """HubSpot's CRM objects endpoints accepting one private-app token."""

    def __init__(self, good_token: str) -> None:
        self.good = good_token
        self.seen: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        auth = request.headers.get("authorization", "")
        self.seen.append(auth)
        if auth != f"Bearer {self.good}":
            return httpx.Response(401, json=HUBSPOT_INVALID)
        return httpx.Response(200, json={"results": [], "paging": {}})


async def test_api_key_is_checked_before_it_replaces_the_old_one(
    oauth_app: tuple[httpx.AsyncClient, Any], oauth_runtime: Runtime, tenant: Tenant,
    db: AsyncSession,
) -> None:
    http, app = oauth_app
    connection = await stored_connection(oauth_runtime, tenant, "hubspot",
                                         Credentials(api_key="pat-na1-old"))
    path = tenant.path(f"/connections/{connection.id}/reauthorize")
    hubspot = HubSpotApi("pat-na1-new")
    app.state.integrations_provider_transport = httpx.MockTransport(hubspot)

    refused = await http.post(path, headers=tenant.admin,
                              json={"credentials": {"api_key": "pat-na1-wrong"}})
    assert refused.status_code == 422, refused.text
    problem = refused.json()
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert "credentials" in problem["detail"]
    assert "Authentication credentials not found" in problem["detail"]
    assert problem["errors"][0]["loc"] == ["body", "credentials"]
    assert problem["checks"][0] == {"name": "credentials", "ok": False,
                                    "detail": HUBSPOT_INVALID["message"]}
    assert hubspot.seen == ["Bearer pat-na1-wrong"]
    kept = await reload(oauth_runtime, connection.id)
    assert kept.status == "needs_reauth"
    assert open_credentials(oauth_runtime.keys, kept).api_key == "pat-na1-old"

    missing = await http.post(path, headers=tenant.admin, json={})
    assert missing.status_code == 422
    assert missing.json()["errors"][0]["loc"] == ["body", "credentials", "api_key"]
    unknown = await http.post(path, headers=tenant.admin,
                              json={"credentials": {"api_key": "x"}, "provider": "hubspot"})
    assert unknown.status_code == 422  # extra="forbid"

    accepted = await http.post(path, headers=tenant.admin,
                               json={"credentials": {"api_key": "pat-na1-new"},
                                     "config": {"import_won_deals": False}})
    assert accepted.status_code == 200, accepted.text
    body = accepted.json()
    assert body["status"] == "active"
    assert body["last_error"] is None
    assert body["next_step"] == {"type": "ready", "authorization_url": None, "fields": []}
    assert body["config"] == {"import_won_deals": False}
    assert "pat-na1-new" not in accepted.text
    renewed = await reload(oauth_runtime, connection.id)
    assert "pat-na1-new" not in (renewed.credentials_encrypted or "")
    assert open_credentials(oauth_runtime.keys, renewed).api_key == "pat-na1-new"
    assert await audit_actions(db, tenant, connection.id) == ["connection.reauthorized"]
    [event] = (await db.scalars(select(AuditEvent).where(
        AuditEvent.target_id == str(connection.id)))).all()
    assert event.details == {"provider": "hubspot", "auth": "api_key"}
    assert "pat-na1" not in orjson.dumps(event.details).decode()


# --- sandbox --------------------------------------------------------------------------------


async def test_sandbox_connection_is_reauthorized_at_once(
    client: httpx.AsyncClient, runtime: Runtime, tenant: Tenant, db: AsyncSession,
) -> None:
    created = await client.post(
        tenant.path("/connections"), headers=tenant.admin,
        json={"provider": "tiktok_ads", "sandbox": True,
              "config": {"sandbox": {"days": 30, "fault_rate": 0.0, "rate_limit_every": 0}}})
    assert created.status_code == 201, created.text
    connection_id = uuid.UUID(created.json()["id"])
    async with runtime.session_factory() as session:
        session.info[BYPASS_INFO_KEY] = True
        broken = await session.get(Connection, connection_id)
        assert broken is not None
        broken.status = "needs_reauth"
        seal_credentials(runtime.keys, broken, Credentials(access_token="garbage"))
        await session.commit()
    path = tenant.path(f"/connections/{connection_id}")
    failing = await client.post(f"{path}/test", headers=tenant.admin)
    assert failing.json()["ok"] is False

    with_key = await client.post(f"{path}/reauthorize", headers=tenant.admin,
                                 json={"credentials": {"api_key": "x"}})
    assert with_key.status_code == 422
    response = await client.post(f"{path}/reauthorize", headers=tenant.admin, json={})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "active"
    assert body["next_step"]["type"] == "ready"
    tested = await client.post(f"{path}/test", headers=tenant.admin)
    assert tested.json()["ok"] is True, tested.json()
    assert await audit_actions(db, tenant, connection_id) == ["connection.reauthorized"]


# --- security, slots ------------------------------------------------------------------------


async def test_reauthorize_security(
    client: httpx.AsyncClient, runtime: Runtime, tenant: Tenant, session_factory: Any,
) -> None:
    connection = await stored_connection(runtime, tenant, "hubspot",
                                         Credentials(api_key="pat-old"))
    path = tenant.path(f"/connections/{connection.id}/reauthorize")
    body = {"credentials": {"api_key": "pat-new"}}
    anonymous = await client.post(path, json=body)
    assert anonymous.status_code == 401
    viewer = await client.post(path, headers=tenant.viewer, json=body)
    assert viewer.status_code == 403
    assert viewer.json()["required_permission"] == "integrations:write"
    other = await make_tenant(session_factory, "Other tenant")
    across = await client.post(other.path(f"/connections/{connection.id}/reauthorize"),
                               headers=other.admin, json=body)
    assert across.status_code == 404
    theirs = await client.post(path, headers=other.admin, json=body)
    assert theirs.status_code == 404
    missing = await client.post(tenant.path(f"/connections/{uuid.uuid4()}/reauthorize"),
                                headers=tenant.admin, json=body)
    assert missing.status_code == 404
    # A deleted (revoked) connection is gone, as for every other route.
    deleted = await client.delete(tenant.path(f"/connections/{connection.id}"),
                                  headers=tenant.admin)
    assert deleted.status_code == 204
    gone = await client.post(path, headers=tenant.admin, json=body)
    assert gone.status_code == 404
    assert open_credentials(runtime.keys, await reload(runtime, connection.id)).api_key is None


async def test_reauthorizing_uses_no_integration_slot(
    client: httpx.AsyncClient, runtime: Runtime, tenant: Tenant, session_factory: Any,
) -> None:
    await put_on_plan(session_factory, tenant.id, "starter")  # two integrations
    sandbox = {"sandbox": {"days": 30, "fault_rate": 0.0, "rate_limit_every": 0}}
    ids = []
    for provider in ("tiktok_ads", "google_ads"):
        created = await client.post(tenant.path("/connections"), headers=tenant.admin,
                                    json={"provider": provider, "sandbox": True,
                                          "config": sandbox})
        assert created.status_code == 201, created.text
        ids.append(created.json()["id"])
    full = await client.post(tenant.path("/connections"), headers=tenant.admin,
                             json={"provider": "meta_ads", "sandbox": True, "config": sandbox})
    assert full.status_code == 403
    again = await client.post(tenant.path(f"/connections/{ids[0]}/reauthorize"),
                              headers=tenant.admin, json={})
    assert again.status_code == 200, again.text
