"""The connect-flow and sync API: catalogue, sandbox connect, test, patch, syncs, delete."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from brain.core.jobs import InlineDispatcher
from brain.integrations.models import Connection, SyncRun
from brain.warehouse.models import Channel, DailyMetric
from tests.factories import Tenant

SMALL_SANDBOX = {"sandbox": {"days": 30, "fault_rate": 0.0, "rate_limit_every": 0}}


async def connect(client: httpx.AsyncClient, tenant: Tenant, provider: str) -> dict[str, Any]:
    response = await client.post(
        tenant.path("/connections"), headers=tenant.admin,
        json={"provider": provider, "sandbox": True, "config": SMALL_SANDBOX},
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


async def test_catalogue_lists_the_providers(client: httpx.AsyncClient, tenant: Tenant) -> None:
    response = await client.get("/api/v1/integrations/providers", headers=tenant.viewer)
    assert response.status_code == 200
    data = response.json()["data"]
    ours = {p["id"]: p for p in data}
    assert [p["id"] for p in data] == [
        "ga4", "hubspot", "salesforce", "meta_ads", "google_ads", "tiktok_ads", "shopify"
    ]
    assert ours["meta_ads"]["auth"] == "oauth2"
    assert ours["tiktok_ads"]["auth"] == "api_key"
    assert all(p["sandbox"] is True for p in data)
    assert ours["meta_ads"]["streams"][0]["primary_key"] == ["date", "ad_id"]


async def test_sandbox_connection_is_ready_and_syncs(
    client: httpx.AsyncClient, tenant: Tenant, dispatcher: InlineDispatcher, db: Any
) -> None:
    created = await connect(client, tenant, "meta_ads")
    assert created["status"] == "active"
    assert created["sandbox"] is True
    assert created["next_step"]["type"] == "ready"
    assert created["config"]["ad_account_ids"]
    assert "credentials_encrypted" not in created
    path = tenant.path(f"/connections/{created['id']}")

    tested = await client.post(f"{path}/test", headers=tenant.admin)
    assert tested.status_code == 200, tested.text
    result = tested.json()
    assert result["ok"] is True, result
    assert {c["name"] for c in result["checks"]} >= {"credentials", "scopes", "sample read"}

    queued = await client.post(f"{path}/syncs", headers=tenant.admin,
                               json={"mode": "backfill"})
    assert queued.status_code == 202, queued.text
    sync = queued.json()
    assert sync["status"] == "queued"
    assert ("integrations.run_sync", {"sync_run_id": sync["id"],
                                      "organization_id": str(tenant.id)}) in dispatcher.sent
    fetched = await client.get(f"{path}/syncs/{sync['id']}", headers=tenant.viewer)
    assert fetched.status_code == 200
    body = fetched.json()
    assert body["status"] == "succeeded", body
    assert body["rows_read"] > 0
    assert body["streams"]["ads_insights"]["rows_written"] == body["rows_written"]
    assert body["duration_seconds"] is not None
    listed = await client.get(f"{path}/syncs", headers=tenant.viewer)
    assert [s["id"] for s in listed.json()["data"]] == [sync["id"]]
    metrics = await db.scalar(select(func.count()).select_from(DailyMetric).where(
        DailyMetric.organization_id == tenant.id))
    assert metrics == body["rows_written"]


async def test_patch_streams_and_schedule_with_etag(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    created = await connect(client, tenant, "tiktok_ads")
    path = tenant.path(f"/connections/{created['id']}")
    current = await client.get(path, headers=tenant.viewer)
    etag = current.headers["etag"]
    patched = await client.patch(
        path, headers={**tenant.admin, "If-Match": etag},
        json={"streams": {"ad_daily_report": False}, "schedule_minutes": 60},
    )
    assert patched.status_code == 200, patched.text
    body = patched.json()
    assert body["streams"] == [{"name": "ad_daily_report", "enabled": False}]
    assert body["schedule_minutes"] == 60
    stale = await client.patch(path, headers={**tenant.admin, "If-Match": etag},
                               json={"name": "x"})
    assert stale.status_code == 412
    unknown = await client.patch(path, headers=tenant.admin, json={"streams": {"nope": True}})
    assert unknown.status_code == 422


async def test_second_sync_while_one_is_queued_is_a_conflict(
    client: httpx.AsyncClient, tenant: Tenant, db: Any
) -> None:
    created = await connect(client, tenant, "google_ads")
    db.add(SyncRun(organization_id=tenant.id, connection_id=uuid.UUID(created["id"]),
                   mode="delta", status="running", start_date=date(2026, 1, 1),
                   end_date=date(2026, 1, 2), streams={}))
    await db.flush()
    response = await client.post(tenant.path(f"/connections/{created['id']}/syncs"),
                                 headers=tenant.admin, json={"mode": "delta"})
    assert response.status_code == 409
    assert response.headers["content-type"].startswith("application/problem+json")


async def test_bad_sync_range_and_unknown_provider_are_422(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    created = await connect(client, tenant, "meta_ads")
    response = await client.post(
        tenant.path(f"/connections/{created['id']}/syncs"), headers=tenant.admin,
        json={"mode": "backfill", "start_date": "2026-02-01", "end_date": "2026-01-01"},
    )
    assert response.status_code == 422
    response = await client.post(tenant.path("/connections"), headers=tenant.admin,
                                 json={"provider": "myspace", "sandbox": True})
    assert response.status_code == 422


async def test_oauth_provider_without_app_is_422_and_api_key_provider_asks_for_key(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    response = await client.post(tenant.path("/connections"), headers=tenant.admin,
                                 json={"provider": "meta_ads"})
    assert response.status_code == 422
    response = await client.post(tenant.path("/connections"), headers=tenant.admin,
                                 json={"provider": "tiktok_ads",
                                       "config": {"advertiser_ids": ["7000"]}})
    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "pending"
    assert body["next_step"] == {"type": "api_key", "authorization_url": None,
                                 "fields": ["api_key"]}
    path = tenant.path(f"/connections/{body['id']}")
    keyed = await client.patch(path, headers=tenant.admin,
                               json={"credentials": {"api_key": "tt-secret-token"}})
    assert keyed.status_code == 200
    assert keyed.json()["status"] == "active"
    assert "tt-secret-token" not in keyed.text


async def test_delete_keeps_or_purges_data(
    client: httpx.AsyncClient, tenant: Tenant, db: Any
) -> None:
    kept = await connect(client, tenant, "tiktok_ads")
    await client.post(tenant.path(f"/connections/{kept['id']}/syncs"), headers=tenant.admin,
                      json={"mode": "backfill"})
    purged = await connect(client, tenant, "meta_ads")
    await client.post(tenant.path(f"/connections/{purged['id']}/syncs"), headers=tenant.admin,
                      json={"mode": "backfill"})
    assert (await client.delete(tenant.path(f"/connections/{kept['id']}"),
                                headers=tenant.admin)).status_code == 204
    assert (await client.delete(tenant.path(f"/connections/{purged['id']}"),
                                headers=tenant.admin,
                                params={"purge_data": "true"})).status_code == 204
    platforms = set((await db.scalars(select(Channel.platform).where(
        Channel.organization_id == tenant.id, Channel.deleted_at.is_(None)))).all())
    assert platforms == {"tiktok"}
    gone = await client.get(tenant.path(f"/connections/{kept['id']}"), headers=tenant.admin)
    assert gone.status_code == 404
    revoked = await db.get(Connection, uuid.UUID(purged["id"]))
    assert revoked.credentials_encrypted is None


async def test_viewer_cannot_connect(client: httpx.AsyncClient, tenant: Tenant) -> None:
    response = await client.post(tenant.path("/connections"), headers=tenant.viewer,
                                 json={"provider": "meta_ads", "sandbox": True})
    assert response.status_code == 403


@pytest.mark.parametrize("provider", ["meta_ads", "google_ads", "tiktok_ads"])
async def test_sandbox_connection_test_passes_every_check(
    client: httpx.AsyncClient, tenant: Tenant, provider: str
) -> None:
    created = await connect(client, tenant, provider)
    tested = await client.post(tenant.path(f"/connections/{created['id']}/test"),
                               headers=tenant.admin)
    assert tested.status_code == 200
    result = tested.json()
    assert result["ok"] is True, result
    assert result["missing_scopes"] == []
    assert all(check["ok"] for check in result["checks"])
    assert result["sample_records"] > 0


async def test_catalogue_needs_a_credential(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/integrations/providers")
    assert response.status_code == 401
