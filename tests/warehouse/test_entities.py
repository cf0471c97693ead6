"""Channels, campaigns, ad sets and creatives: CRUD, validation, conflicts, filters, deletes."""

from __future__ import annotations

import httpx
import pytest

from tests.factories import Tenant
from tests.warehouse.helpers import (
    all_pages,
    assert_problem,
    make_ad_set,
    make_campaign,
    make_channel,
    make_creative,
    make_customer,
    make_metric,
)


async def test_channel_crud(client: httpx.AsyncClient, tenant: Tenant) -> None:
    response = await client.post(
        tenant.path("/channels"),
        json={"name": "  Meta Ads  ", "platform": "meta", "external_account_id": "act_1"},
        headers=tenant.analyst,
    )
    assert response.status_code == 201, response.text
    channel = response.json()
    assert channel["name"] == "Meta Ads"
    assert channel["platform"] == "meta"
    assert channel["external_account_id"] == "act_1"
    assert channel["created_at"].endswith("Z")
    assert response.headers["location"] == tenant.path(f"/channels/{channel['id']}")

    read = await client.get(response.headers["location"], headers=tenant.viewer)
    assert read.status_code == 200
    assert read.json() == channel
    etag = read.headers["etag"]
    assert response.headers["etag"] == etag

    patched = await client.patch(
        tenant.path(f"/channels/{channel['id']}"),
        json={"name": "Meta", "external_account_id": None},
        headers={**tenant.analyst, "If-Match": etag},
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["name"] == "Meta"
    assert patched.json()["external_account_id"] is None
    assert patched.json()["platform"] == "meta"
    new_etag = patched.headers["etag"]
    assert new_etag != etag
    assert (await client.get(response.headers["location"], headers=tenant.viewer)).headers[
        "etag"
    ] == new_etag

    listed = await client.get(tenant.path("/channels"), headers=tenant.viewer)
    assert [c["id"] for c in listed.json()["data"]] == [channel["id"]]

    deleted = await client.delete(
        tenant.path(f"/channels/{channel['id']}"), headers=tenant.analyst
    )
    assert deleted.status_code == 204
    assert_problem(await client.get(response.headers["location"], headers=tenant.viewer), 404)
    assert (await client.get(tenant.path("/channels"), headers=tenant.viewer)).json()["data"] == []
    assert_problem(
        await client.delete(tenant.path(f"/channels/{channel['id']}"), headers=tenant.analyst), 404
    )


async def test_if_match_stale_is_412(client: httpx.AsyncClient, tenant: Tenant) -> None:
    channel = await make_channel(client, tenant)
    path = tenant.path(f"/channels/{channel['id']}")
    old_etag = (await client.get(path, headers=tenant.viewer)).headers["etag"]
    await client.patch(path, json={"name": "Changed"}, headers=tenant.analyst)
    stale = {**tenant.analyst, "If-Match": old_etag}
    problem = assert_problem(await client.patch(path, json={"name": "Again"}, headers=stale), 412)
    assert problem["type"].endswith("/precondition-failed")
    assert_problem(await client.delete(path, headers=stale), 412)
    assert (await client.get(path, headers=tenant.viewer)).json()["name"] == "Changed"
    current = (await client.get(path, headers=tenant.viewer)).headers["etag"]
    ok = await client.delete(path, headers={**tenant.analyst, "If-Match": current})
    assert ok.status_code == 204


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        ({"platform": "meta"}, ["body", "name"]),
        ({"name": "X", "platform": "myspace"}, ["body", "platform"]),
        ({"name": "X", "platform": "meta", "owner": "me"}, ["body", "owner"]),
        ({"name": "<b>bold</b>", "platform": "meta"}, ["body", "name"]),
        ({"name": "x" * 201, "platform": "meta"}, ["body", "name"]),
        ({"name": "   ", "platform": "meta"}, ["body", "name"]),
        ({"name": "two\nlines", "platform": "meta"}, ["body", "name"]),
    ],
)
async def test_channel_validation(
    client: httpx.AsyncClient, tenant: Tenant, body: dict[str, str], loc: list[str]
) -> None:
    response = await client.post(tenant.path("/channels"), json=body, headers=tenant.analyst)
    problem = assert_problem(response, 422)
    assert loc in [error["loc"] for error in problem["errors"]]
    assert all("message" in error for error in problem["errors"])


async def test_patch_rejects_null_for_required_fields(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    channel = await make_channel(client, tenant)
    path = tenant.path(f"/channels/{channel['id']}")
    problem = assert_problem(
        await client.patch(path, json={"name": None}, headers=tenant.analyst), 422
    )
    assert problem["errors"][0]["loc"] == ["body", "name"]
    assert_problem(await client.patch(path, json={"id": "x"}, headers=tenant.analyst), 422)
    unchanged = await client.patch(path, json={}, headers=tenant.analyst)
    assert unchanged.status_code == 200
    assert unchanged.json()["name"] == channel["name"]


async def test_unique_names_conflict(client: httpx.AsyncClient, tenant: Tenant) -> None:
    meta = await make_channel(client, tenant, "Meta")
    google = await make_channel(client, tenant, "Google", "google")
    duplicate = await client.post(
        tenant.path("/channels"), json={"name": "Meta", "platform": "meta"}, headers=tenant.analyst
    )
    assert assert_problem(duplicate, 409)["type"].endswith("/conflict")
    rename = await client.patch(
        tenant.path(f"/channels/{google['id']}"), json={"name": "Meta"}, headers=tenant.analyst
    )
    assert_problem(rename, 409)

    await make_campaign(client, tenant, meta["id"], "Launch")
    await make_campaign(client, tenant, google["id"], "Launch")  # same name, other channel
    again = await client.post(
        tenant.path("/campaigns"),
        json={"name": "Launch", "channel_id": meta["id"]},
        headers=tenant.analyst,
    )
    assert_problem(again, 409)

    # A deleted channel's name is free again.
    await client.delete(tenant.path(f"/channels/{meta['id']}"), headers=tenant.analyst)
    await make_channel(client, tenant, "Meta")


async def test_channel_filter_sort_and_pagination(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    names = ["Echo", "Alpha", "Delta", "Bravo", "Charlie"]
    for index, name in enumerate(names):
        await make_channel(client, tenant, name, "meta" if index % 2 == 0 else "google")

    by_creation = await all_pages(client, tenant, "/channels", {"limit": 2})
    assert [c["name"] for c in by_creation] == names
    by_name = await all_pages(client, tenant, "/channels", {"limit": 2, "sort": "name"})
    assert [c["name"] for c in by_name] == sorted(names)
    by_name_desc = await all_pages(client, tenant, "/channels", {"limit": 3, "sort": "-name"})
    assert [c["name"] for c in by_name_desc] == sorted(names, reverse=True)
    meta_only = await all_pages(client, tenant, "/channels", {"platform": "meta", "limit": 1})
    assert [c["name"] for c in meta_only] == ["Echo", "Delta", "Charlie"]

    first = await client.get(tenant.path("/channels"), params={"limit": 2}, headers=tenant.viewer)
    assert 'rel="next"' in first.headers["link"]
    assert first.json()["has_more"] is True

    bad_sort = await client.get(
        tenant.path("/channels"), params={"sort": "platform"}, headers=tenant.viewer
    )
    assert assert_problem(bad_sort, 422)["errors"][0]["loc"] == ["query", "sort"]
    assert_problem(
        await client.get(tenant.path("/channels"), params={"limit": 201}, headers=tenant.viewer),
        422,
    )
    assert_problem(
        await client.get(
            tenant.path("/channels"), params={"platform": "myspace"}, headers=tenant.viewer
        ),
        422,
    )
    forged = await client.get(
        tenant.path("/channels"), params={"cursor": "abc.def"}, headers=tenant.viewer
    )
    assert_problem(forged, 400)
    other_filter = await client.get(
        tenant.path("/channels"),
        params={"cursor": first.json()["next_cursor"], "platform": "google"},
        headers=tenant.viewer,
    )
    assert_problem(other_filter, 400)


async def test_campaigns_and_ad_sets(client: httpx.AsyncClient, tenant: Tenant) -> None:
    meta = await make_channel(client, tenant, "Meta")
    google = await make_channel(client, tenant, "Google", "google")
    spring = await make_campaign(client, tenant, meta["id"], "Spring")
    await make_campaign(client, tenant, google["id"], "Search")
    assert spring["channel_id"] == meta["id"]
    assert spring["objective"] is None

    listed = await all_pages(client, tenant, "/campaigns", {"channel_id": meta["id"]})
    assert [c["name"] for c in listed] == ["Spring"]

    patched = await client.patch(
        tenant.path(f"/campaigns/{spring['id']}"),
        json={"objective": "conversions"},
        headers=tenant.analyst,
    )
    assert patched.json()["objective"] == "conversions"
    moved = await client.patch(
        tenant.path(f"/campaigns/{spring['id']}"),
        json={"channel_id": google["id"]},
        headers=tenant.analyst,
    )
    assert_problem(moved, 422)  # a campaign cannot change channel

    ad_set = await make_ad_set(client, tenant, spring["id"], "Broad")
    assert ad_set["campaign_id"] == spring["id"]
    assert_problem(
        await client.post(
            tenant.path("/ad-sets"),
            json={"name": "Broad", "campaign_id": spring["id"]},
            headers=tenant.analyst,
        ),
        409,
    )
    listed_sets = await all_pages(client, tenant, "/ad-sets", {"campaign_id": spring["id"]})
    assert [a["id"] for a in listed_sets] == [ad_set["id"]]
    missing = await client.post(
        tenant.path("/ad-sets"),
        json={"name": "X", "campaign_id": "00000000-0000-0000-0000-000000000000"},
        headers=tenant.analyst,
    )
    assert assert_problem(missing, 422)["errors"][0]["loc"] == ["body", "campaign_id"]


async def test_creatives_and_their_consistency(client: httpx.AsyncClient, tenant: Tenant) -> None:
    channel = await make_channel(client, tenant)
    spring = await make_campaign(client, tenant, channel["id"], "Spring")
    summer = await make_campaign(client, tenant, channel["id"], "Summer")
    spring_set = await make_ad_set(client, tenant, spring["id"], "Spring set")
    summer_set = await make_ad_set(client, tenant, summer["id"], "Summer set")

    creative = await make_creative(
        client,
        tenant,
        spring["id"],
        "Hero",
        ad_set_id=spring_set["id"],
        copy_length=90,
        cta="Shop now",
        launched_on="2024-02-01",
    )
    assert creative["format"] == "video"
    assert creative["launched_on"] == "2024-02-01"
    assert creative["ad_set_id"] == spring_set["id"]

    wrong_set = await client.post(
        tenant.path("/creatives"),
        json={
            "name": "Other",
            "campaign_id": spring["id"],
            "ad_set_id": summer_set["id"],
            "format": "image",
        },
        headers=tenant.analyst,
    )
    problem = assert_problem(wrong_set, 422)
    assert problem["errors"][0]["loc"] == ["body", "ad_set_id"]

    move = await client.patch(
        tenant.path(f"/creatives/{creative['id']}"),
        json={"ad_set_id": summer_set["id"]},
        headers=tenant.analyst,
    )
    assert assert_problem(move, 422)["errors"][0]["loc"] == ["body", "ad_set_id"]
    detach = await client.patch(
        tenant.path(f"/creatives/{creative['id']}"),
        json={"ad_set_id": None, "format": "carousel"},
        headers=tenant.analyst,
    )
    assert detach.status_code == 200
    assert detach.json()["ad_set_id"] is None
    assert detach.json()["format"] == "carousel"

    for body, loc in [
        ({"name": "Y", "campaign_id": spring["id"], "format": "hologram"}, ["body", "format"]),
        ({"name": "Y", "campaign_id": spring["id"], "format": "text", "copy_length": -1},
         ["body", "copy_length"]),
        ({"name": "Y", "campaign_id": spring["id"], "format": "text",
          "launched_on": "1999-12-31"}, ["body", "launched_on"]),
    ]:
        response = await client.post(tenant.path("/creatives"), json=body, headers=tenant.analyst)
        assert loc in [e["loc"] for e in assert_problem(response, 422)["errors"]]

    await make_creative(client, tenant, summer["id"], "Hero", ad_set_id=summer_set["id"])
    by_campaign = await all_pages(client, tenant, "/creatives", {"campaign_id": spring["id"]})
    assert [c["id"] for c in by_campaign] == [creative["id"]]
    by_set = await all_pages(client, tenant, "/creatives", {"ad_set_id": summer_set["id"]})
    assert [c["campaign_id"] for c in by_set] == [summer["id"]]


async def test_deleting_a_channel_hides_its_children(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    doomed = await make_channel(client, tenant, "Doomed")
    kept = await make_channel(client, tenant, "Kept", "google")
    campaign = await make_campaign(client, tenant, doomed["id"])
    ad_set = await make_ad_set(client, tenant, campaign["id"])
    creative = await make_creative(client, tenant, campaign["id"], ad_set_id=ad_set["id"])
    await make_metric(
        client, tenant, doomed["id"], campaign_id=campaign["id"], creative_id=creative["id"]
    )
    await make_metric(client, tenant, doomed["id"])
    kept_metric = await make_metric(client, tenant, kept["id"])
    customer = await make_customer(client, tenant, acquisition_channel_id=doomed["id"])

    response = await client.delete(tenant.path(f"/channels/{doomed['id']}"), headers=tenant.admin)
    assert response.status_code == 204

    for path in (
        f"/campaigns/{campaign['id']}",
        f"/ad-sets/{ad_set['id']}",
        f"/creatives/{creative['id']}",
    ):
        assert_problem(await client.get(tenant.path(path), headers=tenant.viewer), 404)
    assert await all_pages(client, tenant, "/campaigns", {}) == []
    assert await all_pages(client, tenant, "/ad-sets", {}) == []
    assert await all_pages(client, tenant, "/creatives", {}) == []
    metrics = await all_pages(client, tenant, "/metrics/daily", {})
    assert [m["id"] for m in metrics] == [kept_metric["id"]]
    # Customers keep their attribution to the (deleted) channel.
    still = await client.get(tenant.path(f"/customers/{customer['id']}"), headers=tenant.viewer)
    assert still.json()["acquisition_channel_id"] == doomed["id"]
    # A deleted channel can no longer be referenced.
    reuse = await client.post(
        tenant.path("/campaigns"),
        json={"name": "Late", "channel_id": doomed["id"]},
        headers=tenant.analyst,
    )
    assert assert_problem(reuse, 422)["errors"][0]["loc"] == ["body", "channel_id"]


async def test_deleting_campaigns_ad_sets_and_creatives(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    channel = await make_channel(client, tenant)
    campaign = await make_campaign(client, tenant, channel["id"], "Old")
    other = await make_campaign(client, tenant, channel["id"], "New")
    ad_set = await make_ad_set(client, tenant, other["id"])
    creative = await make_creative(client, tenant, other["id"], ad_set_id=ad_set["id"])
    await make_creative(client, tenant, campaign["id"], "Old creative")
    await make_metric(client, tenant, channel["id"], campaign_id=campaign["id"])
    creative_metric = await make_metric(
        client, tenant, channel["id"], campaign_id=other["id"], creative_id=creative["id"]
    )

    assert (
        await client.delete(tenant.path(f"/campaigns/{campaign['id']}"), headers=tenant.analyst)
    ).status_code == 204
    assert [c["id"] for c in await all_pages(client, tenant, "/creatives", {})] == [
        creative["id"]
    ]
    assert [m["id"] for m in await all_pages(client, tenant, "/metrics/daily", {})] == [
        creative_metric["id"]
    ]

    assert (
        await client.delete(tenant.path(f"/ad-sets/{ad_set['id']}"), headers=tenant.analyst)
    ).status_code == 204
    detached = await client.get(tenant.path(f"/creatives/{creative['id']}"), headers=tenant.viewer)
    assert detached.json()["ad_set_id"] is None

    assert (
        await client.delete(tenant.path(f"/creatives/{creative['id']}"), headers=tenant.analyst)
    ).status_code == 204
    assert await all_pages(client, tenant, "/metrics/daily", {}) == []
