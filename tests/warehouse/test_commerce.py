"""Customers and orders: CRUD, uniqueness, references, filters."""

from __future__ import annotations

import httpx

from tests.factories import Tenant
from tests.warehouse.helpers import (
    all_pages,
    assert_problem,
    make_channel,
    make_customer,
    make_order,
)


async def test_customer_crud(client: httpx.AsyncClient, tenant: Tenant) -> None:
    channel = await make_channel(client, tenant)
    response = await client.post(
        tenant.path("/customers"),
        json={
            "external_id": "shop-42",
            "email": "Ada@Example.COM",
            "first_order_on": "2024-01-05",
            "acquisition_channel_id": channel["id"],
        },
        headers=tenant.analyst,
    )
    assert response.status_code == 201, response.text
    customer = response.json()
    assert customer["email"] == "ada@example.com"
    assert customer["first_order_on"] == "2024-01-05"
    path = tenant.path(f"/customers/{customer['id']}")
    assert response.headers["location"] == path
    assert (await client.get(path, headers=tenant.viewer)).json() == customer

    duplicate = await client.post(
        tenant.path("/customers"), json={"external_id": "shop-42"}, headers=tenant.analyst
    )
    assert_problem(duplicate, 409)
    bad_email = await client.post(
        tenant.path("/customers"),
        json={"external_id": "shop-43", "email": "not an email"},
        headers=tenant.analyst,
    )
    assert assert_problem(bad_email, 422)["errors"][0]["loc"] == ["body", "email"]

    etag = (await client.get(path, headers=tenant.viewer)).headers["etag"]
    patched = await client.patch(
        path,
        json={"email": None, "acquisition_channel_id": None},
        headers={**tenant.analyst, "If-Match": etag},
    )
    assert patched.status_code == 200
    assert patched.json()["email"] is None
    assert patched.json()["acquisition_channel_id"] is None
    assert_problem(
        await client.patch(path, json={"external_id": None}, headers=tenant.analyst), 422
    )
    other = await make_customer(client, tenant, "shop-44")
    clash = await client.patch(
        tenant.path(f"/customers/{other['id']}"),
        json={"external_id": "shop-42"},
        headers=tenant.analyst,
    )
    assert_problem(clash, 409)

    assert (await client.delete(path, headers=tenant.analyst)).status_code == 204
    assert_problem(await client.get(path, headers=tenant.viewer), 404)
    # The external id can be used again once the customer is deleted.
    await make_customer(client, tenant, "shop-42")


async def test_customer_filter_and_sort(client: httpx.AsyncClient, tenant: Tenant) -> None:
    meta = await make_channel(client, tenant, "Meta")
    google = await make_channel(client, tenant, "Google", "google")
    for index in range(5):
        channel = meta if index % 2 == 0 else google
        await make_customer(
            client,
            tenant,
            f"c-{4 - index}",
            acquisition_channel_id=channel["id"],
            first_order_on=f"2024-01-0{index + 1}",
        )
    from_meta = await all_pages(
        client, tenant, "/customers", {"acquisition_channel_id": meta["id"], "limit": 1}
    )
    assert [c["external_id"] for c in from_meta] == ["c-4", "c-2", "c-0"]
    by_external_id = await all_pages(
        client, tenant, "/customers", {"sort": "external_id", "limit": 2}
    )
    assert [c["external_id"] for c in by_external_id] == ["c-0", "c-1", "c-2", "c-3", "c-4"]
    by_first_order = await all_pages(client, tenant, "/customers", {"sort": "-first_order_on"})
    assert next(c["first_order_on"] for c in by_first_order) == "2024-01-05"


async def test_order_crud_and_references(client: httpx.AsyncClient, tenant: Tenant) -> None:
    channel = await make_channel(client, tenant)
    customer = await make_customer(client, tenant)
    order = await make_order(client, tenant, customer["id"], channel_id=channel["id"])
    assert order["revenue"] == 42.5
    assert order["channel_id"] == channel["id"]
    path = tenant.path(f"/orders/{order['id']}")
    assert (await client.get(path, headers=tenant.viewer)).json() == order

    assert_problem(
        await client.post(
            tenant.path("/orders"),
            json={
                "external_id": "order-1",
                "customer_id": customer["id"],
                "order_date": "2024-03-02",
                "revenue": 1,
            },
            headers=tenant.analyst,
        ),
        409,
    )
    for body, loc in [
        ({"external_id": "o2", "customer_id": customer["id"], "order_date": "2024-03-02",
          "revenue": -1}, ["body", "revenue"]),
        ({"external_id": "o2", "customer_id": customer["id"], "order_date": "2024-03-02"},
         ["body", "revenue"]),
        ({"external_id": "o2", "customer_id": channel["id"], "order_date": "2024-03-02",
          "revenue": 1}, ["body", "customer_id"]),
        ({"external_id": "o2", "customer_id": customer["id"], "order_date": "2024-03-02",
          "revenue": 1, "channel_id": customer["id"]}, ["body", "channel_id"]),
    ]:
        response = await client.post(tenant.path("/orders"), json=body, headers=tenant.analyst)
        assert loc in [e["loc"] for e in assert_problem(response, 422)["errors"]], body

    etag = (await client.get(path, headers=tenant.viewer)).headers["etag"]
    patched = await client.patch(
        path, json={"revenue": 50, "channel_id": None}, headers={**tenant.analyst, "If-Match": etag}
    )
    assert patched.json()["revenue"] == 50
    assert patched.json()["channel_id"] is None
    stale = await client.patch(
        path, json={"revenue": 51}, headers={**tenant.analyst, "If-Match": etag}
    )
    assert_problem(stale, 412)
    assert (await client.delete(path, headers=tenant.analyst)).status_code == 204
    assert_problem(await client.get(path, headers=tenant.viewer), 404)


async def test_order_filters_and_customer_delete(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    channel = await make_channel(client, tenant)
    ada = await make_customer(client, tenant, "ada")
    bob = await make_customer(client, tenant, "bob")
    for day in range(1, 7):
        owner = ada if day % 2 else bob
        await make_order(
            client,
            tenant,
            owner["id"],
            external_id=f"o-{day}",
            order_date=f"2024-06-0{day}",
            revenue=day,
            **({"channel_id": channel["id"]} if day <= 2 else {}),
        )
    everything = await all_pages(client, tenant, "/orders", {"limit": 4})
    assert [o["order_date"] for o in everything] == [f"2024-06-0{d}" for d in range(1, 7)]
    newest = await all_pages(client, tenant, "/orders", {"sort": "-order_date", "limit": 5})
    assert newest[0]["external_id"] == "o-6"
    window = await all_pages(
        client, tenant, "/orders", {"date_from": "2024-06-02", "date_to": "2024-06-04"}
    )
    assert [o["external_id"] for o in window] == ["o-2", "o-3", "o-4"]
    of_ada = await all_pages(client, tenant, "/orders", {"customer_id": ada["id"]})
    assert [o["external_id"] for o in of_ada] == ["o-1", "o-3", "o-5"]
    of_channel = await all_pages(client, tenant, "/orders", {"channel_id": channel["id"]})
    assert [o["external_id"] for o in of_channel] == ["o-1", "o-2"]
    backwards = await client.get(
        tenant.path("/orders"),
        params={"date_from": "2024-06-04", "date_to": "2024-06-02"},
        headers=tenant.viewer,
    )
    assert_problem(backwards, 422)

    assert (
        await client.delete(tenant.path(f"/customers/{ada['id']}"), headers=tenant.analyst)
    ).status_code == 204
    remaining = await all_pages(client, tenant, "/orders", {})
    assert [o["external_id"] for o in remaining] == ["o-2", "o-4", "o-6"]
    late = await client.post(
        tenant.path("/orders"),
        json={
            "external_id": "o-9",
            "customer_id": ada["id"],
            "order_date": "2024-06-09",
            "revenue": 9,
        },
        headers=tenant.analyst,
    )
    assert assert_problem(late, 422)["errors"][0]["loc"] == ["body", "customer_id"]
