"""Request guards: 413 for bodies over the limit (declared or streamed), 415 for media types
other than JSON and multipart, and the per-credential rate limit (429)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from brain.core.jobs import InlineDispatcher
from brain.core.runtime import Runtime
from brain.identity.models import ApiKey
from tests.factories import Tenant
from tests.platform.helpers import (
    assert_problem,
    describe,
    http_client,
    system_view,
    variant_app,
)

LIMIT = 1024


@pytest.fixture
def small_app(runtime: Runtime, dispatcher: InlineDispatcher) -> FastAPI:
    return variant_app(runtime, dispatcher, max_json_body_bytes=LIMIT)


def _json_of_size(size: int) -> bytes:
    """A valid API-key body of exactly `size` bytes."""
    head, tail = b'{"name": "big", "role": "viewer", "pad": "', b'"}'
    return head + b"x" * (size - len(head) - len(tail)) + tail


async def _chunks(body: bytes, size: int = 256) -> AsyncIterator[bytes]:
    for start in range(0, len(body), size):
        yield body[start:start + size]


async def _key_count(db: AsyncSession, tenant: Tenant) -> int:
    return int(await (await system_view(db)).scalar(select(func.count()).select_from(ApiKey).where(
        ApiKey.organization_id == tenant.id)) or 0)


@pytest.mark.parametrize("idempotency", [False, True])
async def test_declared_length_over_the_limit_is_413(
    small_app: FastAPI, tenant: Tenant, idempotency: bool
) -> None:
    headers = {**tenant.admin, "Content-Type": "application/json"}
    if idempotency:
        headers["Idempotency-Key"] = "big-1"
    async with http_client(small_app) as api:
        response = await api.post(tenant.path("/api-keys"), content=_json_of_size(LIMIT + 1),
                                  headers=headers)
    body = assert_problem(response, 413, "payload-too-large")
    assert str(LIMIT) in body["detail"]


@pytest.mark.parametrize("idempotency", [False, True])
async def test_streamed_body_over_the_limit_is_413(
    small_app: FastAPI, tenant: Tenant, db: AsyncSession, idempotency: bool
) -> None:
    headers = {**tenant.admin, "Content-Type": "application/json"}
    if idempotency:
        headers["Idempotency-Key"] = "big-2"
    before = await _key_count(db, tenant)
    async with http_client(small_app) as api:
        request = api.build_request("POST", tenant.path("/api-keys"),
                                    content=_chunks(_json_of_size(4 * LIMIT)), headers=headers)
        assert "content-length" not in request.headers
        assert request.headers["transfer-encoding"] == "chunked"
        response = await api.send(request)
    assert_problem(response, 413, "payload-too-large")
    assert await _key_count(db, tenant) == before


async def test_streamed_body_under_the_limit_is_accepted(
    small_app: FastAPI, tenant: Tenant
) -> None:
    body = b'{"name": "streamed"}'
    async with http_client(small_app) as api:
        response = await api.post(tenant.path("/api-keys"), content=_chunks(body, 4),
                                  headers={**tenant.admin, "Content-Type": "application/json"})
    assert response.status_code == 201, describe(response)


async def test_body_at_the_limit_passes_the_guard(small_app: FastAPI, tenant: Tenant) -> None:
    async with http_client(small_app) as api:
        response = await api.post(tenant.path("/api-keys"), content=_json_of_size(LIMIT),
                                  headers={**tenant.admin, "Content-Type": "application/json"})
    # Under the limit the body reaches validation: `pad` is not a field.
    body = assert_problem(response, 422)
    assert ["body", "pad"] in [e["loc"] for e in body["errors"]]


async def test_413_comes_before_authentication(small_app: FastAPI, tenant: Tenant) -> None:
    async with http_client(small_app) as api:
        response = await api.post(tenant.path("/api-keys"), content=_json_of_size(LIMIT + 1),
                                  headers={"Content-Type": "application/json"})
    assert_problem(response, 413)


async def test_invalid_content_length_is_400(api: httpx.AsyncClient, tenant: Tenant) -> None:
    request = api.build_request("POST", tenant.path("/api-keys"), content=b'{"name": "x"}',
                                headers={**tenant.admin, "Content-Type": "application/json"})
    request.headers["Content-Length"] = "twelve"
    response = await api.send(request)
    assert_problem(response, 400)


@pytest.mark.parametrize(
    ("content_type", "content"),
    [
        ("text/plain", b"name=ETL"),
        ("application/xml", b"<key><name>ETL</name></key>"),
        ("text/xml", b"<key/>"),
        ("application/x-www-form-urlencoded", b"name=ETL"),
        ("application/jsonx", b'{"name": "ETL"}'),
        (None, b'{"name": "ETL"}'),
    ],
)
async def test_other_media_types_are_415(
    api: httpx.AsyncClient, tenant: Tenant, content_type: str | None, content: bytes
) -> None:
    headers = dict(tenant.admin)
    if content_type:
        headers["Content-Type"] = content_type
    request = api.build_request("POST", tenant.path("/api-keys"), content=content,
                                headers=headers)
    if content_type is None:
        request.headers.pop("Content-Type", None)
    response = await api.send(request)
    assert_problem(response, 415, "unsupported-media-type")
    assert "application/json" in response.headers["accept-post"]
    patch = await api.patch(tenant.path(), content=content,
                            headers={**headers, "Content-Type": content_type or ""})
    assert_problem(patch, 415)


@pytest.mark.parametrize(
    "content_type",
    ["application/json", "application/json; charset=utf-8", "Application/JSON",
     "application/merge-patch+json"],
)
async def test_json_media_types_are_accepted(
    api: httpx.AsyncClient, tenant: Tenant, content_type: str
) -> None:
    response = await api.patch(tenant.path(), content=b'{"name": "Media"}',
                               headers={**tenant.admin, "Content-Type": content_type})
    assert response.status_code == 200, describe(response)


async def test_rate_limit_is_429_with_headers(
    runtime: Runtime, dispatcher: InlineDispatcher, tenant: Tenant
) -> None:
    app = variant_app(runtime, dispatcher, rate_limit_per_minute=3)
    statuses: list[int] = []
    limited: httpx.Response | None = None
    async with http_client(app) as api:
        # Up to 3 per minute; a minute boundary mid-test resets the window at most once.
        for _ in range(7):
            response = await api.get(tenant.path(), headers=tenant.viewer)
            statuses.append(response.status_code)
            if response.status_code == 429:
                limited = response
                break
        assert limited is not None, statuses
        assert set(statuses[:-1]) == {200}
        assert len(statuses) >= 4
        assert_problem(limited, 429, "rate-limited")
        retry_after = int(limited.headers["retry-after"])
        assert 1 <= retry_after <= 60
        assert limited.headers["ratelimit-limit"] == "3"
        assert limited.headers["ratelimit-remaining"] == "0"
        assert 1 <= int(limited.headers["ratelimit-reset"]) <= 60
        # The limit is per credential: another key of the same tenant is not limited.
        assert (await api.get(tenant.path(), headers=tenant.admin)).status_code == 200
