"""Every warehouse route: 401 without credentials, 403 for a viewer's writes, 404 across tenants."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.factories import Tenant
from tests.warehouse.helpers import assert_problem, metric_row


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    body: Any = None
    upload: bool = False

    @property
    def is_write(self) -> bool:
        return self.method != "GET"

    @property
    def has_object_id(self) -> bool:
        return self.path.endswith("}")

    def url(self, ids: dict[str, str]) -> str:
        return "/api/v1/organizations/{org_id}".format(**ids) + self.path.format(**ids)

    def body_for(self, ids: dict[str, str]) -> Any:
        if callable(self.body):
            return self.body(ids)
        return self.body


def _collection(path: str, object_id: str, create: Any, patch: Any) -> list[Route]:
    item = f"{path}/{{{object_id}}}"
    return [
        Route("GET", path),
        Route("POST", path, create),
        Route("GET", item),
        Route("PATCH", item, patch),
        Route("DELETE", item),
    ]


ROUTES: list[Route] = [
    *_collection(
        "/channels", "channel_id", {"name": "New channel", "platform": "google"}, {"name": "N"}
    ),
    *_collection(
        "/campaigns",
        "campaign_id",
        lambda ids: {"name": "New campaign", "channel_id": ids["channel_id"]},
        {"objective": "sales"},
    ),
    *_collection(
        "/ad-sets",
        "ad_set_id",
        lambda ids: {"name": "New ad set", "campaign_id": ids["campaign_id"]},
        {"name": "Renamed"},
    ),
    *_collection(
        "/creatives",
        "creative_id",
        lambda ids: {"name": "New creative", "campaign_id": ids["campaign_id"], "format": "image"},
        {"cta": "Shop now"},
    ),
    *_collection(
        "/metrics/daily",
        "metric_id",
        lambda ids: metric_row(ids["channel_id"], "2024-05-05"),
        {"clicks": 7},
    ),
    Route("GET", "/metrics/series"),
    Route(
        "POST",
        "/metrics/daily:batch",
        lambda ids: {"rows": [metric_row(ids["channel_id"], "2024-05-06")]},
    ),
    *_collection(
        "/customers", "customer_id", {"external_id": "new-customer"}, {"email": "a@b.example"}
    ),
    *_collection(
        "/orders",
        "order_id",
        lambda ids: {
            "external_id": "new-order",
            "customer_id": ids["customer_id"],
            "order_date": "2024-05-05",
            "revenue": 10,
        },
        {"revenue": 11},
    ),
    Route("GET", "/imports"),
    Route("POST", "/imports", upload=True),
    Route("GET", "/imports/{import_id}"),
]

CSV = b"order_id,customer_id,order_date,revenue\no-9,c-9,2024-05-05,3\n"


async def call(
    client: httpx.AsyncClient, route: Route, ids: dict[str, str], headers: dict[str, str]
) -> httpx.Response:
    if route.upload:
        return await client.post(
            route.url(ids),
            data={"kind": "orders"},
            files={"file": ("o.csv", CSV, "text/csv")},
            headers=headers,
        )
    body = route.body_for(ids)
    return await client.request(
        route.method, route.url(ids), json=body, headers=headers
    ) if body is not None else await client.request(route.method, route.url(ids), headers=headers)


async def test_route_table_covers_every_warehouse_operation(client: httpx.AsyncClient) -> None:
    """The table above lists each warehouse operation of the OpenAPI spec exactly once."""
    spec = (await client.get("/api/v1/openapi.json")).json()
    prefix = "/api/v1/organizations/{org_id}"
    collections = {
        "channels", "campaigns", "ad-sets", "creatives", "metrics", "customers", "orders",
        "imports",
    }
    documented = {
        (method.upper(), path.removeprefix(prefix))
        for path, item in spec["paths"].items()
        for method in item
        if path.startswith(prefix + "/")
        and path.removeprefix(prefix + "/").split("/")[0].split(":")[0] in collections
    }
    listed = {(route.method, route.path) for route in ROUTES}
    assert documented == listed
    assert len(listed) == len(ROUTES)


async def test_every_route_needs_credentials(
    client: httpx.AsyncClient, catalog: dict[str, str]
) -> None:
    for route in ROUTES:
        response = await call(client, route, catalog, {})
        assert response.status_code == 401, (route, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
        bad_key = await call(client, route, catalog, {"Authorization": "Bearer brn_nope"})
        assert bad_key.status_code == 401, (route, bad_key.text)


async def test_viewer_reads_but_cannot_write(
    client: httpx.AsyncClient, tenant: Tenant, catalog: dict[str, str]
) -> None:
    for route in ROUTES:
        response = await call(client, route, catalog, tenant.viewer)
        if route.is_write:
            problem = assert_problem(response, 403)
            assert problem["type"].endswith("/forbidden"), route
        else:
            assert response.status_code == 200, (route, response.text)


async def test_other_tenants_objects_are_not_found(
    client: httpx.AsyncClient,
    tenant: Tenant,
    catalog: dict[str, str],
    other_catalog: dict[str, str],
) -> None:
    """Tenant A's key on tenant B's object ids (under A's org) and on B's org id: 404."""
    for route in ROUTES:
        mixed = {**other_catalog, "org_id": catalog["org_id"]}
        if route.has_object_id:
            response = await call(client, route, mixed, tenant.admin)
            assert_problem(response, 404)
        on_other_org = await call(client, route, other_catalog, tenant.admin)
        assert_problem(on_other_org, 404)


async def test_other_tenants_objects_cannot_be_referenced(
    client: httpx.AsyncClient,
    tenant: Tenant,
    catalog: dict[str, str],
    other_catalog: dict[str, str],
) -> None:
    """Ids of tenant B in tenant A's create bodies are a 422 naming the field."""
    cases = [
        ("/campaigns", {"name": "x", "channel_id": other_catalog["channel_id"]}, "channel_id"),
        ("/ad-sets", {"name": "x", "campaign_id": other_catalog["campaign_id"]}, "campaign_id"),
        (
            "/creatives",
            {"name": "x", "campaign_id": other_catalog["campaign_id"], "format": "text"},
            "campaign_id",
        ),
        ("/metrics/daily", metric_row(other_catalog["channel_id"]), "channel_id"),
        (
            "/customers",
            {"external_id": "x", "acquisition_channel_id": other_catalog["channel_id"]},
            "acquisition_channel_id",
        ),
        (
            "/orders",
            {
                "external_id": "x",
                "customer_id": other_catalog["customer_id"],
                "order_date": "2024-01-01",
                "revenue": 1,
            },
            "customer_id",
        ),
    ]
    for path, body, field in cases:
        response = await client.post(tenant.path(path), json=body, headers=tenant.analyst)
        problem = assert_problem(response, 422)
        assert ["body", field] in [error["loc"] for error in problem["errors"]], (path, problem)


@pytest.mark.parametrize("role", ["analyst", "admin"])
async def test_analyst_and_admin_may_write(
    client: httpx.AsyncClient, tenant: Tenant, role: str
) -> None:
    headers = tenant.analyst if role == "analyst" else tenant.admin
    response = await client.post(
        tenant.path("/channels"), json={"name": f"By {role}", "platform": "tiktok"},
        headers=headers,
    )
    assert response.status_code == 201, response.text
