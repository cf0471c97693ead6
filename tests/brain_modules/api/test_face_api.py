"""FACE, ORACLE and MEMORY reads of a stored run: the contract shapes, the empty state before
any run, caching with stale-while-revalidate, and eviction when an action is decided."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from brain.brain_modules.face.cache import face_key
from brain.core.runtime import Runtime
from tests.brain_modules.api.stored import store_finished_run
from tests.factories import Tenant
from tests.platform.helpers import assert_problem


async def test_face_before_any_run_is_an_explained_empty_state(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    response = await client.get(tenant.path("/face"), headers=tenant.viewer)
    assert response.status_code == 200
    body = response.json()
    assert body["state"] == "empty"
    assert "No brain run has succeeded" in body["explanation"]
    assert body["actions"] == []
    assert body["kpis"] == []
    assert body["data_as_of"] is None


async def test_face_summary_contract(
    client: httpx.AsyncClient, db: AsyncSession, tenant: Tenant
) -> None:
    run = await store_finished_run(db, tenant.id)
    response = await client.get(tenant.path("/face?persona=director&period=28d"),
                                headers=tenant.viewer)
    assert response.status_code == 200, response.text
    assert "stale-while-revalidate=300" in response.headers["cache-control"]
    assert "max-age=60" in response.headers["cache-control"]
    body = response.json()
    assert {"kpis", "risk_level", "narrative", "cards", "actions", "leaderboard", "alerts",
            "data_as_of"} <= set(body)
    assert body["state"] == "ready"
    assert body["run_id"] == str(run.id)
    assert [k["key"] for k in body["kpis"]] == ["mer", "blended_roas", "ltv_roas", "risk"]
    assert body["risk_level"] == "red"
    assert len(body["actions"]) == 3
    assert body["actions"][0]["type"] == "shift_budget"
    assert len(body["narrative_sentences"]) == 3
    assert body["narrative"].startswith("Last 28 days:")
    assert "Do first: shift $50 a day from TikTok to Meta" in body["narrative"]
    assert set(body["cards"]) == {"memory", "oracle", "curiosity"}
    assert body["data_as_of"] == run.data_as_of


async def test_face_is_cached_and_evicted_when_an_action_is_decided(
    client: httpx.AsyncClient, db: AsyncSession, tenant: Tenant, runtime: Runtime
) -> None:
    await store_finished_run(db, tenant.id)
    url = tenant.path("/face?persona=cmo&period=7d")
    first = (await client.get(url, headers=tenant.viewer)).json()
    key = face_key(tenant.id, "cmo", "7d")
    assert await runtime.cache.get(key) is not None
    top = first["actions"][0]["id"]
    assert (await client.post(tenant.path(f"/actions/{top}/reject"),
                              headers=tenant.analyst)).status_code == 200
    assert await runtime.cache.get(key) is None
    second = (await client.get(url, headers=tenant.viewer)).json()
    assert top not in [a["id"] for a in second["actions"]]
    assert second["actions"][0]["type"] == "refresh_creative"
    assert "refresh creative" in second["narrative_sentences"][2]


@pytest.mark.parametrize("query", ["persona=ceo", "period=1y", "period=7"])
async def test_face_rejects_unknown_persona_or_period(
    client: httpx.AsyncClient, tenant: Tenant, query: str
) -> None:
    assert_problem(await client.get(tenant.path(f"/face?{query}"), headers=tenant.viewer), 422)


async def test_oracle_reads_the_stored_run(
    client: httpx.AsyncClient, db: AsyncSession, tenant: Tenant
) -> None:
    missing = await client.get(tenant.path("/oracle/creatives"), headers=tenant.viewer)
    assert "No brain run has succeeded" in assert_problem(missing, 409)["detail"]
    run = await store_finished_run(db, tenant.id)
    creatives = (await client.get(tenant.path("/oracle/creatives"),
                                  headers=tenant.viewer)).json()
    assert creatives["source"]["run_id"] == str(run.id)
    assert creatives["source"]["model_version"] == "oracle-test-1"
    first, second = creatives["data"]
    assert first["name"] == "C12"
    assert first["fatigue_probability_7d"] == 0.91
    assert first["recommended_refresh_date"] == "2026-10-02"
    assert second["method"] == "insufficient_data"
    assert second["reason"] == "ORACLE needs 14 days of history for creative C7"
    channels = (await client.get(tenant.path("/oracle/channels"), headers=tenant.viewer)).json()
    assert channels["risk_level"] == "red"
    assert channels["data"][0]["decay_severity"] == "high"
    drift = (await client.get(tenant.path("/oracle/ltv-drift"), headers=tenant.viewer)).json()
    assert [d["drift"] for d in drift["data"]] == [-0.10, -0.125]


async def test_memory_reads_the_stored_run(
    client: httpx.AsyncClient, db: AsyncSession, tenant: Tenant
) -> None:
    run = await store_finished_run(db, tenant.id)
    channels = (await client.get(tenant.path("/memory/channels"), headers=tenant.viewer)).json()
    assert channels["source"] == {"run_id": str(run.id), "computed": "stored",
                                  "model_version": "memory-test-1",
                                  "data_as_of": run.data_as_of}
    meta, tiktok = channels["data"]
    assert meta["incremental_roi"] == {"estimate": 2.1, "ci_low": 1.8, "ci_high": 2.4}
    assert meta["response_curve"]["beta"] == 9000.0
    assert tiktok["incremental_roi"] is None
    assert "fewer than 14 days" in tiktok["incremental_roi_reason"]
    summary = (await client.get(tenant.path("/memory/summary"), headers=tenant.viewer)).json()
    assert summary["totals"]["cpa"] is None
    cohorts = (await client.get(tenant.path("/memory/cohorts"), headers=tenant.viewer)).json()
    assert cohorts["data"][0]["ltv90"] == 128.0
    creatives = (await client.get(tenant.path("/memory/creatives?limit=1"),
                                  headers=tenant.viewer)).json()
    assert len(creatives["data"]) == 1
    bad = await client.get(tenant.path("/memory/channels?date_from=2026-02-01&date_to=2026-01-01"),
                           headers=tenant.viewer)
    assert_problem(bad, 422)


async def test_a_new_run_replaces_a_cached_summary_even_without_eviction(
    client: httpx.AsyncClient, db: AsyncSession, tenant: Tenant
) -> None:
    first_run = await store_finished_run(db, tenant.id)
    url = tenant.path("/face?persona=vp_growth&period=7d")
    assert (await client.get(url, headers=tenant.viewer)).json()["run_id"] == str(first_run.id)
    # A worker in another process finished a run; its eviction did not reach this cache.
    second_run = await store_finished_run(db, tenant.id)
    assert (await client.get(url, headers=tenant.viewer)).json()["run_id"] == str(second_run.id)


async def test_a_past_runs_outputs_can_be_read_back(
    client: httpx.AsyncClient, db: AsyncSession, tenant: Tenant
) -> None:
    run = await store_finished_run(db, tenant.id)
    url = tenant.path(f"/brain/runs/{run.id}/outputs")
    every = (await client.get(url, headers=tenant.viewer)).json()
    assert [o["module"] for o in every["data"]] == ["memory", "oracle", "curiosity", "face"]
    oracle = (await client.get(f"{url}?module=oracle", headers=tenant.viewer)).json()["data"]
    assert oracle[0]["model_version"] == "oracle-test-1"
    assert oracle[0]["output"]["risk_level"] == "red"
    assert_problem(await client.get(f"{url}?module=eyes", headers=tenant.viewer), 422)
