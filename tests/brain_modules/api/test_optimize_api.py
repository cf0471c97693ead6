"""The budget what-if: reallocating a daily budget with MEMORY's response curves."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from tests.brain_modules.api.stored import store_finished_run
from tests.brain_modules.pipeline.builders import META
from tests.factories import Tenant
from tests.platform.helpers import assert_problem


async def test_optimize_needs_a_run_and_the_brain_permission(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    url = tenant.path("/curiosity/optimize")
    assert_problem(await client.post(url, headers=tenant.viewer, json={}), 403)
    assert_problem(await client.post(url, headers=tenant.analyst, json={}), 409)


async def test_optimize_reallocates_within_limits(
    client: httpx.AsyncClient, db: AsyncSession, tenant: Tenant
) -> None:
    run = await store_finished_run(db, tenant.id)
    url = tenant.path("/curiosity/optimize")
    response = await client.post(url, headers=tenant.analyst,
                                 json={"total_budget": 1600, "max_change": 0.3})
    assert response.status_code == 200, response.text
    body = response.json()
    rows = {r["name"]: r for r in body["allocation"]}
    assert rows["Meta"]["current"] == 1000.0
    assert rows["Meta"]["recommended"] == pytest.approx(1100.0, abs=1.0)
    assert rows["TikTok"]["recommended"] == 500.0  # no response curve: kept
    assert any("TikTok" in n for n in body["notes"])
    assert body["modelled_daily_revenue_recommended"] >= body["modelled_daily_revenue_current"]
    assert body["modelled_return_28d_usd"] == pytest.approx(
        28 * (body["modelled_daily_revenue_recommended"]
              - body["modelled_daily_revenue_current"]), abs=1.0)
    assert body["source"]["run_id"] == str(run.id)

    fixed = await client.post(url, headers=tenant.analyst, json={"keep_fixed": [str(META)]})
    assert fixed.json()["modelled_return_28d_usd"] == 0
    assert any("no response curve" in n.lower() for n in fixed.json()["notes"])
    for bad in ({"total_budget": -5}, {"max_change": 2}, {"keep_fixed": ["x"]}, {"x": 1}):
        assert_problem(await client.post(url, headers=tenant.analyst, json=bad), 422)
