"""Idempotency-Key on POST (IETF httpapi draft): replay, payload mismatch, in-flight conflict,
scoping to credential and route, what is never stored, key syntax and expiry."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from brain.core.idempotency import IdempotencyRecord
from brain.core.models import utcnow
from brain.identity.models import ApiKey
from tests.factories import Tenant
from tests.platform.helpers import (
    add_test_route,
    assert_problem,
    describe,
    http_client,
    raw_headers,
    system_view,
)

KEY = "create-etl-key-0001"


async def _create(
    api: httpx.AsyncClient, tenant: Tenant, body: dict[str, Any], key: str = KEY,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    return await api.post(
        tenant.path("/api-keys"), json=body,
        headers={**(headers or tenant.admin), "Idempotency-Key": key},
    )


async def _key_count(db: AsyncSession, tenant: Tenant) -> int:
    count = await (await system_view(db)).scalar(
        select(func.count()).select_from(ApiKey).where(ApiKey.organization_id == tenant.id)
    )
    return int(count or 0)


async def _records(db: AsyncSession, key: str) -> list[IdempotencyRecord]:
    await system_view(db)
    return list((await db.scalars(select(IdempotencyRecord).where(
        IdempotencyRecord.key == key))).all())


async def test_same_key_same_payload_replays(
    api: httpx.AsyncClient, tenant: Tenant, db: AsyncSession
) -> None:
    before = await _key_count(db, tenant)
    first = await _create(api, tenant, {"name": "ETL", "role": "analyst"})
    assert first.status_code == 201, describe(first)
    assert "idempotent-replayed" not in first.headers
    second = await _create(api, tenant, {"name": "ETL", "role": "analyst"})
    assert second.status_code == 201
    assert second.headers["idempotent-replayed"] == "true"
    assert second.content == first.content
    assert second.headers["location"] == first.headers["location"]
    assert second.headers["content-type"] == first.headers["content-type"]
    assert await _key_count(db, tenant) == before + 1
    records = await _records(db, KEY)
    assert len(records) == 1
    assert records[0].completed


async def test_same_key_different_payload_is_422(api: httpx.AsyncClient, tenant: Tenant) -> None:
    assert (await _create(api, tenant, {"name": "ETL"})).status_code == 201
    for body in ({"name": "Other"}, {"name": "ETL", "role": "admin"}):
        response = await _create(api, tenant, body)
        assert_problem(response, 422, "idempotency-key-reused")
    query = await api.post(tenant.path("/api-keys?x=1"), json={"name": "ETL"},
                           headers={**tenant.admin, "Idempotency-Key": KEY})
    assert_problem(query, 422, "idempotency-key-reused")


async def test_in_flight_is_409(api: httpx.AsyncClient, tenant: Tenant, db: AsyncSession) -> None:
    assert (await _create(api, tenant, {"name": "ETL"})).status_code == 201
    # Pretend the first request is still being processed.
    await db.execute(update(IdempotencyRecord).where(IdempotencyRecord.key == KEY)
                     .values(completed=False, response_status=None, response_body=None))
    await db.commit()
    response = await _create(api, tenant, {"name": "ETL"})
    assert_problem(response, 409, "idempotency-in-flight")
    assert "idempotent-replayed" not in response.headers


async def test_keys_are_scoped_to_the_credential(
    api: httpx.AsyncClient, tenant: Tenant, other_tenant: Tenant, db: AsyncSession
) -> None:
    second_admin = await api.post(tenant.path("/api-keys"), json={"name": "2nd", "role": "admin"},
                                  headers=tenant.admin)
    other_headers = {"Authorization": f"Bearer {second_admin.json()['api_key']}"}
    first = await _create(api, tenant, {"name": "ETL"})
    count = await _key_count(db, tenant)
    other = await _create(api, tenant, {"name": "ETL"}, headers=other_headers)
    assert other.status_code == 201
    assert "idempotent-replayed" not in other.headers
    assert other.json()["id"] != first.json()["id"]
    assert await _key_count(db, tenant) == count + 1
    # Another tenant using the same key gets its own result too.
    theirs = await _create(api, other_tenant, {"name": "ETL"}, headers=other_tenant.admin)
    assert theirs.status_code == 201
    assert "idempotent-replayed" not in theirs.headers


async def test_keys_are_scoped_to_the_route(app: FastAPI, tenant: Tenant) -> None:
    calls: list[dict[str, Any]] = []

    async def echo(body: dict[str, Any]) -> dict[str, Any]:
        calls.append(body)
        return {"echo": body, "n": len(calls)}

    add_test_route(app, "/api/v1/test-echo", echo, methods=["POST"])
    async with http_client(app) as api:
        created = await _create(api, tenant, {"name": "ETL"})
        assert created.status_code == 201
        headers = {**tenant.admin, "Idempotency-Key": KEY}
        first = await api.post("/api/v1/test-echo", json={"other": 1}, headers=headers)
        assert first.status_code == 200, describe(first)
        assert "idempotent-replayed" not in first.headers
        again = await api.post("/api/v1/test-echo", json={"other": 1}, headers=headers)
        assert again.headers.get("idempotent-replayed") == "true"
        assert again.json() == first.json()
    assert len(calls) == 1


async def test_server_errors_are_not_stored(app: FastAPI, tenant: Tenant, db: AsyncSession) -> None:
    attempts: list[int] = []

    async def flaky(body: dict[str, Any]) -> dict[str, int]:
        attempts.append(1)
        if len(attempts) == 1:
            raise RuntimeError("transient")
        return {"attempt": len(attempts)}

    add_test_route(app, "/api/v1/test-flaky", flaky, methods=["POST"])
    headers = {**tenant.admin, "Idempotency-Key": "flaky-1"}
    async with http_client(app, raise_app_exceptions=False) as api:
        failed = await api.post("/api/v1/test-flaky", json={}, headers=headers)
        assert failed.status_code == 500
        assert await _records(db, "flaky-1") == []
        retried = await api.post("/api/v1/test-flaky", json={}, headers=headers)
        assert retried.status_code == 200
        assert retried.json() == {"attempt": 2}
        assert "idempotent-replayed" not in retried.headers


async def test_unauthorized_responses_are_not_stored(
    api: httpx.AsyncClient, tenant: Tenant, db: AsyncSession
) -> None:
    bad = {"Authorization": "Bearer brn_invalid"}
    response = await _create(api, tenant, {"name": "ETL"}, key="auth-1", headers=bad)
    assert_problem(response, 401)
    assert await _records(db, "auth-1") == []
    again = await _create(api, tenant, {"name": "ETL"}, key="auth-1", headers=bad)
    assert_problem(again, 401)
    assert "idempotent-replayed" not in again.headers


@pytest.mark.parametrize(
    "key",
    ["k" * 256, "clé".encode(), "", "tab\there", "new\x7fline"],
    ids=["256-chars", "non-ascii", "empty", "tab", "del"],
)
async def test_invalid_keys_are_400(
    api: httpx.AsyncClient, tenant: Tenant, db: AsyncSession, key: str | bytes
) -> None:
    before = await _key_count(db, tenant)
    response = await api.post(tenant.path("/api-keys"), json={"name": "ETL"},
                              headers=raw_headers(tenant.admin, idempotency_key=key))
    assert_problem(response, 400, "invalid-idempotency-key")
    assert await _key_count(db, tenant) == before


async def test_longest_valid_key(api: httpx.AsyncClient, tenant: Tenant) -> None:
    response = await _create(api, tenant, {"name": "ETL"}, key="k" * 255)
    assert response.status_code == 201


async def test_expired_records_are_not_replayed(
    api: httpx.AsyncClient, tenant: Tenant, db: AsyncSession
) -> None:
    first = await _create(api, tenant, {"name": "ETL"})
    await db.execute(update(IdempotencyRecord).where(IdempotencyRecord.key == KEY)
                     .values(created_at=utcnow() - timedelta(hours=24, minutes=1)))
    await db.commit()
    count = await _key_count(db, tenant)
    second = await _create(api, tenant, {"name": "ETL"})
    assert second.status_code == 201
    assert "idempotent-replayed" not in second.headers
    assert second.json()["id"] != first.json()["id"]
    assert await _key_count(db, tenant) == count + 1
    # And the new response is the one now kept.
    third = await _create(api, tenant, {"name": "ETL"})
    assert third.headers["idempotent-replayed"] == "true"
    assert third.json()["id"] == second.json()["id"]


async def test_without_a_key_every_post_executes(
    api: httpx.AsyncClient, tenant: Tenant, db: AsyncSession
) -> None:
    before = await _key_count(db, tenant)
    for _ in range(2):
        response = await api.post(tenant.path("/api-keys"), json={"name": "ETL"},
                                  headers=tenant.admin)
        assert response.status_code == 201
    assert await _key_count(db, tenant) == before + 2
