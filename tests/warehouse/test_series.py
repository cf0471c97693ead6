"""The daily series per channel: each channel summed at the coarsest level it has rows for
(never two levels), the window ending on the latest day with data, and bad windows refused."""

from __future__ import annotations

from typing import Any

import httpx

from tests.factories import Tenant
from tests.warehouse.helpers import (
    assert_problem,
    make_campaign,
    make_channel,
    make_creative,
    metric_row,
)


async def _batch(client: httpx.AsyncClient, tenant: Tenant, rows: list[dict[str, Any]]) -> None:
    response = await client.post(tenant.path("/metrics/daily:batch"), json={"rows": rows},
                                 headers=tenant.analyst)
    assert response.status_code == 200, response.text


async def test_each_channel_is_summed_at_one_level(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    meta = await make_channel(client, tenant, "Meta")
    spring = await make_campaign(client, tenant, meta["id"], "Spring")
    hero = await make_creative(client, tenant, spring["id"], "Hero")
    promo = await make_creative(client, tenant, spring["id"], "Promo")
    ga4 = await make_channel(client, tenant, "GA4", "ga4")
    ga4_campaign = await make_campaign(client, tenant, ga4["id"], "(organic)")
    tiktok = await make_channel(client, tenant, "TikTok", "tiktok")
    rows = []
    for day in ("2024-03-01", "2024-03-02"):
        # Meta reports per creative only: its totals are the creatives' sums.
        rows.append(metric_row(meta["id"], day, campaign_id=spring["id"],
                               creative_id=hero["id"], spend=10.0, revenue=30.0))
        rows.append(metric_row(meta["id"], day, campaign_id=spring["id"],
                               creative_id=promo["id"], spend=5.0, revenue=5.0))
        # GA4 reports per campaign (sessions and revenue, no spend).
        rows.append(metric_row(ga4["id"], day, campaign_id=ga4_campaign["id"], spend=0.0,
                               revenue=100.0))
        # TikTok has its own channel rows and campaign rows: the channel rows win.
        rows.append(metric_row(tiktok["id"], day, spend=7.0, revenue=14.0, clicks=3))
    tiktok_campaign = await make_campaign(client, tenant, tiktok["id"], "Sparks")
    rows.append(metric_row(tiktok["id"], "2024-03-02", campaign_id=tiktok_campaign["id"],
                           spend=999.0, revenue=999.0))
    await _batch(client, tenant, rows)

    response = await client.get(tenant.path("/metrics/series"), params={"days": 7},
                                headers=tenant.viewer)
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["date_from"], body["date_to"]) == ("2024-02-25", "2024-03-02")
    grains = {c["name"]: c["grain"] for c in body["channels"]}
    assert grains == {"Meta": "creative", "GA4": "campaign", "TikTok": "channel"}
    names = {c["id"]: c["name"] for c in body["channels"]}
    by_key = {(p["date"], names[p["channel_id"]]): p for p in body["data"]}
    assert len(by_key) == 6
    assert by_key[("2024-03-02", "Meta")]["spend"] == 15.0
    assert by_key[("2024-03-02", "Meta")]["revenue"] == 35.0
    assert by_key[("2024-03-02", "Meta")]["impressions"] == 2000
    assert by_key[("2024-03-02", "GA4")]["revenue"] == 100.0
    assert by_key[("2024-03-02", "TikTok")]["spend"] == 7.0
    assert by_key[("2024-03-02", "TikTok")]["clicks"] == 3
    assert [p["date"] for p in body["data"]] == sorted(p["date"] for p in body["data"])


async def test_an_explicit_window_and_an_empty_tenant(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    empty = await client.get(tenant.path("/metrics/series"), headers=tenant.viewer)
    assert empty.status_code == 200
    assert empty.json() == {"date_from": None, "date_to": None, "channels": [], "data": []}
    meta = await make_channel(client, tenant, "Meta")
    await _batch(client, tenant, [metric_row(meta["id"], day)
                                  for day in ("2024-03-01", "2024-03-05", "2024-03-09")])
    window = await client.get(tenant.path("/metrics/series"), headers=tenant.viewer,
                              params={"date_from": "2024-03-02", "date_to": "2024-03-08"})
    assert [p["date"] for p in window.json()["data"]] == ["2024-03-05"]


async def test_bad_windows_are_problems(client: httpx.AsyncClient, tenant: Tenant) -> None:
    path = tenant.path("/metrics/series")
    assert_problem(await client.get(path, headers=tenant.viewer,
                                    params={"date_from": "2024-03-09", "date_to": "2024-03-01"}),
                   422)
    assert_problem(await client.get(path, headers=tenant.viewer,
                                    params={"date_from": "2020-01-01", "date_to": "2024-03-01"}),
                   422)
    assert_problem(await client.get(path, headers=tenant.viewer, params={"days": 0}), 422)
    assert_problem(await client.get(path), 401)


async def test_another_tenants_rows_are_not_summed(
    client: httpx.AsyncClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    theirs = await make_channel(client, other_tenant, "Theirs")
    await _batch(client, other_tenant, [metric_row(theirs["id"])])
    mine = await client.get(tenant.path("/metrics/series"), headers=tenant.viewer)
    assert mine.json()["data"] == []
    assert_problem(await client.get(other_tenant.path("/metrics/series"),
                                    headers=tenant.viewer), 404)
