"""Cursor pagination, on the API key list: pages, `Link` headers, stable order, signed cursors
bound to their sort and filters, limits and the sort allow-list."""

from __future__ import annotations

import base64
import uuid
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import orjson
import pytest

from tests.factories import Tenant
from tests.platform.helpers import assert_problem, describe

LINK_PREFIX = "<"


async def _add_keys(api: httpx.AsyncClient, tenant: Tenant, names: list[str]) -> None:
    for name in names:
        response = await api.post(tenant.path("/api-keys"), json={"name": name},
                                  headers=tenant.admin)
        assert response.status_code == 201, describe(response)


async def _walk(
    api: httpx.AsyncClient, tenant: Tenant, query: str = "limit=1"
) -> tuple[list[dict[str, Any]], list[httpx.Response]]:
    """Follow `Link: rel=next` from the first page to the last."""
    url: str | None = tenant.path(f"/api-keys?{query}")
    items: list[dict[str, Any]] = []
    pages: list[httpx.Response] = []
    while url is not None:
        response = await api.get(url, headers=tenant.admin)
        assert response.status_code == 200, describe(response)
        page = response.json()
        assert set(page) == {"data", "next_cursor", "has_more"}
        pages.append(response)
        items.extend(page["data"])
        link = response.headers.get("link")
        if page["has_more"]:
            assert page["next_cursor"], "has_more without a cursor"
            assert link is not None
            assert link.endswith('>; rel="next"'), link
            url = link[len(LINK_PREFIX):link.index(">")]
            assert parse_qs(urlsplit(url).query)["cursor"] == [page["next_cursor"]]
        else:
            assert page["next_cursor"] is None
            assert link is None
            url = None
        assert len(pages) < 50, "pagination does not end"
    return items, pages


async def test_limit_one_walks_every_key_in_stable_order(
    api: httpx.AsyncClient, tenant: Tenant
) -> None:
    await _add_keys(api, tenant, ["zeta", "alpha", "mid"])
    items, pages = await _walk(api, tenant)
    assert len(items) == 6  # three role keys from the factory + three new
    assert all(len(p.json()["data"]) == 1 for p in pages)
    ids = [i["id"] for i in items]
    assert len(set(ids)) == len(ids), "an item appeared twice"
    everything = await api.get(tenant.path("/api-keys?limit=200"), headers=tenant.admin)
    assert [i["id"] for i in everything.json()["data"]] == ids
    assert everything.json()["has_more"] is False
    order = [(i["created_at"], i["id"]) for i in items]
    assert order == sorted(order), "not ordered by (created_at, id)"
    again, _ = await _walk(api, tenant, "limit=4")
    assert [i["id"] for i in again] == ids


async def test_default_limit_and_page_sizes(api: httpx.AsyncClient, tenant: Tenant) -> None:
    response = await api.get(tenant.path("/api-keys"), headers=tenant.admin)
    assert len(response.json()["data"]) == 3
    items, pages = await _walk(api, tenant, "limit=2")
    assert [len(p.json()["data"]) for p in pages] == [2, 1]
    assert len(items) == 3


@pytest.mark.parametrize(
    ("sort", "key", "reverse"),
    [("-created_at", "created_at", True), ("name", "name", False), ("-name", "name", True)],
)
async def test_sorts_in_the_allow_list(
    api: httpx.AsyncClient, tenant: Tenant, sort: str, key: str, reverse: bool
) -> None:
    await _add_keys(api, tenant, ["bravo", "alpha", "charlie"])
    items, _ = await _walk(api, tenant, f"limit=2&sort={sort}")
    values = [(i[key], i["id"]) for i in items]
    assert values == sorted(values, reverse=reverse)
    assert len(items) == 6


@pytest.mark.parametrize("sort", ["role", "token_hash", "prefix", "-organization_id"])
async def test_sort_outside_the_allow_list_is_422(
    api: httpx.AsyncClient, tenant: Tenant, sort: str
) -> None:
    response = await api.get(tenant.path(f"/api-keys?sort={sort}"), headers=tenant.admin)
    body = assert_problem(response, 422, "validation-error")
    assert body["errors"][0]["loc"] == ["query", "sort"]


@pytest.mark.parametrize("limit", ["0", "201", "-1", "1.5"])
async def test_limit_out_of_range_is_422(
    api: httpx.AsyncClient, tenant: Tenant, limit: str
) -> None:
    response = await api.get(tenant.path(f"/api-keys?limit={limit}"), headers=tenant.admin)
    assert_problem(response, 422, "validation-error")


async def _first_cursor(api: httpx.AsyncClient, tenant: Tenant, query: str = "limit=1") -> str:
    response = await api.get(tenant.path(f"/api-keys?{query}"), headers=tenant.admin)
    cursor = response.json()["next_cursor"]
    assert isinstance(cursor, str)
    return cursor


def _forge(cursor: str, change: dict[str, Any]) -> str:
    """Re-encode the cursor's payload with `change`, keeping the old signature."""
    body, signature = cursor.split(".", 1)
    payload = orjson.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    payload.update(change)
    forged = base64.urlsafe_b64encode(orjson.dumps(payload)).decode().rstrip("=")
    return f"{forged}.{signature}"


async def test_tampered_cursors_are_400(api: httpx.AsyncClient, tenant: Tenant) -> None:
    cursor = await _first_cursor(api, tenant)
    body, signature = cursor.split(".", 1)
    flipped = signature[:-1] + ("A" if signature[-1] != "A" else "B")
    tampered = [
        f"{body}.{flipped}",
        _forge(cursor, {"k": ["1970-01-01T00:00:00+00:00", str(uuid.UUID(int=0))]}),
        "not-a-cursor",
        "....",
        body,
        "%%%",
        "x" * 1024,
    ]
    for bad in tampered:
        response = await api.get(tenant.path("/api-keys"), params={"cursor": bad},
                                 headers=tenant.admin)
        problem = assert_problem(response, 400, "invalid-cursor")
        assert bad not in problem["detail"]


async def test_cursor_reused_with_other_sort_or_filters_is_400(
    api: httpx.AsyncClient, tenant: Tenant
) -> None:
    cursor = await _first_cursor(api, tenant)
    for change in ({"sort": "-created_at"}, {"sort": "name"}, {"role": "admin"}, {"name": "x"}):
        response = await api.get(tenant.path("/api-keys"), params={**change, "cursor": cursor},
                                 headers=tenant.admin)
        assert_problem(response, 400, "invalid-cursor")
    # Naming the default sort explicitly is the same order, so the cursor still fits.
    response = await api.get(tenant.path("/api-keys"),
                             params={"sort": "created_at", "cursor": cursor}, headers=tenant.admin)
    assert response.status_code == 200, describe(response)
    # The same sort and filters with another page size is fine.
    response = await api.get(tenant.path("/api-keys"), params={"cursor": cursor, "limit": 5},
                             headers=tenant.admin)
    assert response.status_code == 200, describe(response)
    assert len(response.json()["data"]) == 2


async def test_cursor_of_another_tenant_shows_nothing_of_it(
    api: httpx.AsyncClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    cursor = await _first_cursor(api, other_tenant)
    response = await api.get(tenant.path("/api-keys"), params={"cursor": cursor},
                             headers=tenant.admin)
    if response.status_code == 200:
        other_keys = await api.get(other_tenant.path("/api-keys?limit=200"),
                                   headers=other_tenant.admin)
        other_ids = {i["id"] for i in other_keys.json()["data"]}
        assert not other_ids & {i["id"] for i in response.json()["data"]}
    else:
        assert_problem(response, 400, "invalid-cursor")


async def test_items_added_between_pages_appear_once(
    api: httpx.AsyncClient, tenant: Tenant
) -> None:
    """Keyset cursors survive writes: a key created between pages comes last, nothing repeats."""
    first = await api.get(tenant.path("/api-keys?limit=1"), headers=tenant.admin)
    cursor = first.json()["next_cursor"]
    key_id = first.json()["data"][0]["id"]
    await _add_keys(api, tenant, ["late"])
    response = await api.get(tenant.path("/api-keys"), params={"cursor": cursor, "limit": 200},
                             headers=tenant.admin)
    rest = response.json()["data"]
    assert key_id not in [i["id"] for i in rest]
    assert len(rest) == 3
    assert rest[-1]["name"] == "late"
