"""Daily metrics: natural-key upserts, the all-or-nothing batch, filters, updates, deletes."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

import httpx
import pytest

from brain.warehouse.models import daily_metric_id
from tests.factories import Tenant
from tests.warehouse.helpers import (
    all_pages,
    assert_problem,
    make_campaign,
    make_channel,
    make_creative,
    metric_row,
)


@pytest.fixture
async def chain(client: httpx.AsyncClient, tenant: Tenant) -> dict[str, str]:
    """A channel with a campaign and a creative, plus a second channel and campaign."""
    channel = await make_channel(client, tenant, "Meta")
    campaign = await make_campaign(client, tenant, channel["id"], "Spring")
    creative = await make_creative(client, tenant, campaign["id"], "Hero")
    other_channel = await make_channel(client, tenant, "Google", "google")
    other_campaign = await make_campaign(client, tenant, other_channel["id"], "Search")
    other_creative = await make_creative(client, tenant, other_campaign["id"], "Text ad")
    return {
        "channel": channel["id"],
        "campaign": campaign["id"],
        "creative": creative["id"],
        "other_channel": other_channel["id"],
        "other_campaign": other_campaign["id"],
        "other_creative": other_creative["id"],
    }


async def batch(
    client: httpx.AsyncClient, tenant: Tenant, rows: list[dict[str, Any]]
) -> httpx.Response:
    return await client.post(
        tenant.path("/metrics/daily:batch"), json={"rows": rows}, headers=tenant.analyst
    )


async def test_single_upsert_by_natural_key(
    client: httpx.AsyncClient, tenant: Tenant, chain: dict[str, str]
) -> None:
    row = metric_row(
        chain["channel"],
        campaign_id=chain["campaign"],
        creative_id=chain["creative"],
        frequency=1.7,
        video_views=300,
    )
    first = await client.post(tenant.path("/metrics/daily"), json=row, headers=tenant.analyst)
    assert first.status_code == 201, first.text
    metric = first.json()
    expected_id = daily_metric_id(
        tenant.id,
        date(2024, 3, 1),
        uuid.UUID(chain["channel"]),
        uuid.UUID(chain["campaign"]),
        uuid.UUID(chain["creative"]),
    )
    assert metric["id"] == str(expected_id)
    assert metric["grain"] == "creative"
    assert metric["spend"] == 12.5
    assert metric["frequency"] == 1.7
    assert metric["video_views"] == 300
    assert first.headers["location"] == tenant.path(f"/metrics/daily/{metric['id']}")

    second = await client.post(
        tenant.path("/metrics/daily"),
        json={**row, "clicks": 99, "spend": 20.25},
        headers=tenant.analyst,
    )
    assert second.status_code == 200, second.text
    assert second.json()["id"] == metric["id"]
    assert second.json()["clicks"] == 99
    assert second.json()["spend"] == 20.25
    assert second.json()["created_at"] == metric["created_at"]
    assert len(await all_pages(client, tenant, "/metrics/daily", {})) == 1

    channel_row = await client.post(
        tenant.path("/metrics/daily"), json=metric_row(chain["channel"]), headers=tenant.analyst
    )
    assert channel_row.status_code == 201
    assert channel_row.json()["grain"] == "channel"
    assert channel_row.json()["id"] != metric["id"]


@pytest.mark.parametrize(
    ("extra", "loc", "message"),
    [
        ({"campaign_id": "other_campaign"}, "campaign_id", "another channel"),
        (
            {"campaign_id": "campaign", "creative_id": "other_creative"},
            "creative_id",
            "another campaign",
        ),
        ({"creative_id": "creative"}, "creative_id", "campaign_id"),
        ({"campaign_id": "missing"}, "campaign_id", "No such campaign"),
    ],
)
async def test_single_upsert_checks_the_chain(
    client: httpx.AsyncClient,
    tenant: Tenant,
    chain: dict[str, str],
    extra: dict[str, str],
    loc: str,
    message: str,
) -> None:
    ids = {**chain, "missing": str(uuid.uuid4())}
    row = metric_row(chain["channel"], **{k: ids[v] for k, v in extra.items()})
    response = await client.post(tenant.path("/metrics/daily"), json=row, headers=tenant.analyst)
    problem = assert_problem(response, 422)
    assert problem["errors"][0]["loc"] == ["body", loc]
    assert message in problem["errors"][0]["message"]
    assert await all_pages(client, tenant, "/metrics/daily", {}) == []


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"clicks": -1}, "clicks"),
        ({"impressions": 10**13}, "impressions"),
        ({"spend": "lots"}, "spend"),
        ({"frequency": 1001}, "frequency"),
        ({"date": "1999-12-31"}, "date"),
        ({"date": "2101-01-01"}, "date"),
        ({"date": "not a date"}, "date"),
        ({"channel_id": "not-a-uuid"}, "channel_id"),
        ({"colour": "red"}, "colour"),
    ],
)
async def test_metric_validation(
    client: httpx.AsyncClient,
    tenant: Tenant,
    chain: dict[str, str],
    change: dict[str, Any],
    field: str,
) -> None:
    row = {**metric_row(chain["channel"]), **change}
    problem = assert_problem(
        await client.post(tenant.path("/metrics/daily"), json=row, headers=tenant.analyst), 422
    )
    assert ["body", field] in [e["loc"] for e in problem["errors"]]


async def test_batch_writes_all_rows(
    client: httpx.AsyncClient, tenant: Tenant, chain: dict[str, str]
) -> None:
    rows = [
        metric_row(chain["channel"], "2024-03-01"),
        metric_row(chain["channel"], "2024-03-01", campaign_id=chain["campaign"]),
        metric_row(
            chain["channel"],
            "2024-03-01",
            campaign_id=chain["campaign"],
            creative_id=chain["creative"],
            frequency=2.5,
            video_views=10,
        ),
        metric_row(chain["other_channel"], "2024-03-02", campaign_id=chain["other_campaign"]),
    ]
    response = await batch(client, tenant, rows)
    assert response.status_code == 200, response.text
    assert response.json() == {"upserted": 4}
    stored = await all_pages(client, tenant, "/metrics/daily", {})
    assert len(stored) == 4
    assert sorted(m["grain"] for m in stored) == ["campaign", "campaign", "channel", "creative"]
    creative_row = next(m for m in stored if m["grain"] == "creative")
    assert creative_row["frequency"] == 2.5
    assert creative_row["video_views"] == 10
    assert creative_row["id"] == str(
        daily_metric_id(
            tenant.id,
            date(2024, 3, 1),
            uuid.UUID(chain["channel"]),
            uuid.UUID(chain["campaign"]),
            uuid.UUID(chain["creative"]),
        )
    )

    # The same keys again: updated in place, nothing added.
    again = await batch(client, tenant, [{**row, "clicks": 1} for row in rows])
    assert again.json() == {"upserted": 4}
    stored_again = await all_pages(client, tenant, "/metrics/daily", {})
    assert {m["id"] for m in stored_again} == {m["id"] for m in stored}
    assert {m["clicks"] for m in stored_again} == {1}


async def test_batch_repeated_key_last_row_wins(
    client: httpx.AsyncClient, tenant: Tenant, chain: dict[str, str]
) -> None:
    rows = [
        metric_row(chain["channel"], clicks=1),
        metric_row(chain["channel"], clicks=2),
        metric_row(chain["channel"], clicks=3),
    ]
    response = await batch(client, tenant, rows)
    assert response.json() == {"upserted": 1}
    stored = await all_pages(client, tenant, "/metrics/daily", {})
    assert [m["clicks"] for m in stored] == [3]


async def test_batch_schema_error_writes_nothing(
    client: httpx.AsyncClient, tenant: Tenant, chain: dict[str, str]
) -> None:
    rows = [metric_row(chain["channel"], f"2024-03-0{day}") for day in range(1, 6)]
    rows[3]["clicks"] = -5
    del rows[4]["revenue"]
    problem = assert_problem(await batch(client, tenant, rows), 422)
    locs = [error["loc"] for error in problem["errors"]]
    assert ["body", "rows", 3, "clicks"] in locs
    assert ["body", "rows", 4, "revenue"] in locs
    assert all(error["message"] for error in problem["errors"])
    assert await all_pages(client, tenant, "/metrics/daily", {}) == []


async def test_batch_reference_error_writes_nothing(
    client: httpx.AsyncClient,
    tenant: Tenant,
    other_tenant: Tenant,
    chain: dict[str, str],
) -> None:
    foreign = await make_channel(client, other_tenant, "Theirs")
    rows = [metric_row(chain["channel"], f"2024-04-{day:02d}") for day in range(1, 8)]
    rows[2]["channel_id"] = foreign["id"]
    rows[5]["campaign_id"] = chain["other_campaign"]
    rows[6].update(campaign_id=chain["campaign"], creative_id=chain["other_creative"])
    problem = assert_problem(await batch(client, tenant, rows), 422)
    assert [error["loc"] for error in problem["errors"]] == [
        ["body", "rows", 2, "channel_id"],
        ["body", "rows", 5, "campaign_id"],
        ["body", "rows", 6, "creative_id"],
    ]
    assert "nothing was written" in problem["detail"]
    assert await all_pages(client, tenant, "/metrics/daily", {}) == []
    assert await all_pages(client, other_tenant, "/metrics/daily", {}) == []


async def test_batch_size_limits(
    client: httpx.AsyncClient, tenant: Tenant, chain: dict[str, str]
) -> None:
    empty = assert_problem(await batch(client, tenant, []), 422)
    assert empty["errors"][0]["loc"] == ["body", "rows"]
    row = metric_row(chain["channel"])
    too_many = assert_problem(await batch(client, tenant, [row] * 10_001), 422)
    assert too_many["errors"][0]["loc"] == ["body", "rows"]
    not_json = await client.post(
        tenant.path("/metrics/daily:batch"),
        content=b"{not json",
        headers={**tenant.analyst, "Content-Type": "application/json"},
    )
    assert assert_problem(not_json, 422)["errors"][0]["loc"][0] == "body"
    unknown = assert_problem(
        await client.post(
            tenant.path("/metrics/daily:batch"),
            json={"rows": [row], "mode": "replace"},
            headers=tenant.analyst,
        ),
        422,
    )
    assert unknown["errors"] == [{"loc": ["body", "mode"], "message": "Unknown field."}]


async def test_batch_of_ten_thousand_rows(
    client: httpx.AsyncClient, tenant: Tenant, chain: dict[str, str]
) -> None:
    start = date(2020, 1, 1)
    rows = [
        metric_row(
            chain["channel"],
            (start + timedelta(days=index // 2)).isoformat(),
            **({"campaign_id": chain["campaign"]} if index % 2 else {}),
            impressions=index,
        )
        for index in range(10_000)
    ]
    response = await batch(client, tenant, rows)
    assert response.status_code == 200, response.text
    assert response.json() == {"upserted": 10_000}
    page = await client.get(
        tenant.path("/metrics/daily"),
        params={"date_from": "2020-01-01", "date_to": "2020-01-01"},
        headers=tenant.viewer,
    )
    assert sorted(m["impressions"] for m in page.json()["data"]) == [0, 1]
    bad = [dict(row) for row in rows]
    bad[9_999]["channel_id"] = str(uuid.uuid4())
    bad[0]["impressions"] = 123_456
    problem = assert_problem(await batch(client, tenant, bad), 422)
    assert problem["errors"][0]["loc"] == ["body", "rows", 9_999, "channel_id"]
    first_day = await client.get(
        tenant.path("/metrics/daily"),
        params={"date_to": "2020-01-01", "grain": "channel"},
        headers=tenant.viewer,
    )
    assert [m["impressions"] for m in first_day.json()["data"]] == [0]


async def test_metric_filters_and_pagination(
    client: httpx.AsyncClient, tenant: Tenant, chain: dict[str, str]
) -> None:
    rows = []
    for day in range(1, 6):
        when = f"2024-05-{day:02d}"
        rows.append(metric_row(chain["channel"], when))
        rows.append(metric_row(chain["channel"], when, campaign_id=chain["campaign"]))
        rows.append(
            metric_row(
                chain["channel"], when, campaign_id=chain["campaign"], creative_id=chain["creative"]
            )
        )
        rows.append(metric_row(chain["other_channel"], when))
    assert (await batch(client, tenant, rows)).status_code == 200

    everything = await all_pages(client, tenant, "/metrics/daily", {"limit": 3})
    assert len(everything) == 20
    assert [m["date"] for m in everything] == sorted(m["date"] for m in everything)
    newest_first = await all_pages(client, tenant, "/metrics/daily", {"limit": 7, "sort": "-date"})
    assert [m["date"] for m in newest_first] == sorted(
        (m["date"] for m in everything), reverse=True
    )
    assert len({m["id"] for m in newest_first}) == 20

    window = await all_pages(
        client, tenant, "/metrics/daily", {"date_from": "2024-05-02", "date_to": "2024-05-03"}
    )
    assert {m["date"] for m in window} == {"2024-05-02", "2024-05-03"}
    assert len(window) == 8
    by_channel = await all_pages(client, tenant, "/metrics/daily", {"channel_id": chain["channel"]})
    assert len(by_channel) == 15
    by_campaign = await all_pages(
        client, tenant, "/metrics/daily", {"campaign_id": chain["campaign"]}
    )
    assert len(by_campaign) == 10
    by_creative = await all_pages(
        client, tenant, "/metrics/daily", {"creative_id": chain["creative"]}
    )
    assert len(by_creative) == 5
    for grain, count in (("channel", 10), ("campaign", 5), ("creative", 5)):
        rows_of_grain = await all_pages(client, tenant, "/metrics/daily", {"grain": grain})
        assert len(rows_of_grain) == count
        assert {m["grain"] for m in rows_of_grain} == {grain}
    channel_grain_for_one = await all_pages(
        client,
        tenant,
        "/metrics/daily",
        {"grain": "channel", "channel_id": chain["channel"], "date_from": "2024-05-05"},
    )
    assert len(channel_grain_for_one) == 1

    backwards = await client.get(
        tenant.path("/metrics/daily"),
        params={"date_from": "2024-05-03", "date_to": "2024-05-02"},
        headers=tenant.viewer,
    )
    assert assert_problem(backwards, 422)["errors"][0]["loc"] == ["query", "date_from"]
    assert_problem(
        await client.get(
            tenant.path("/metrics/daily"), params={"grain": "ad"}, headers=tenant.viewer
        ),
        422,
    )
    assert_problem(
        await client.get(
            tenant.path("/metrics/daily"), params={"sort": "spend"}, headers=tenant.viewer
        ),
        422,
    )


async def test_metric_patch_and_delete(
    client: httpx.AsyncClient, tenant: Tenant, chain: dict[str, str]
) -> None:
    created = await client.post(
        tenant.path("/metrics/daily"), json=metric_row(chain["channel"]), headers=tenant.analyst
    )
    metric = created.json()
    path = tenant.path(f"/metrics/daily/{metric['id']}")
    etag = (await client.get(path, headers=tenant.viewer)).headers["etag"]
    patched = await client.patch(
        path,
        json={"revenue": 100.0, "frequency": None},
        headers={**tenant.analyst, "If-Match": etag},
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["revenue"] == 100.0
    assert patched.headers["etag"] != etag
    assert_problem(
        await client.patch(path, json={"revenue": 1}, headers={**tenant.analyst, "If-Match": etag}),
        412,
    )
    assert_problem(
        await client.patch(path, json={"date": "2024-01-01"}, headers=tenant.analyst), 422
    )
    assert_problem(await client.patch(path, json={"clicks": None}, headers=tenant.analyst), 422)

    assert (await client.delete(path, headers=tenant.analyst)).status_code == 204
    assert_problem(await client.get(path, headers=tenant.viewer), 404)
    recreated = await client.post(
        tenant.path("/metrics/daily"), json=metric_row(chain["channel"]), headers=tenant.analyst
    )
    assert recreated.status_code == 201
    assert recreated.json()["id"] == metric["id"]
