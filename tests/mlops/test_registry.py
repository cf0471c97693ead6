"""The model registry: versions with safe artifacts, aliases per tenant or global, evaluations,
and the two read routes (global rows visible to every tenant, tenant rows only to theirs)."""

from __future__ import annotations

import uuid

import numpy as np
import pytest
from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncSession

from brain.mlops.artifacts import ArtifactError, json_artifact, load_artifact, skops_artifact
from brain.mlops.registry import (
    get_alias,
    load_version_artifact,
    record_evaluation,
    register_version,
    set_alias,
)
from tests.factories import Tenant


async def test_versions_aliases_and_artifacts(db: AsyncSession, tenant: Tenant) -> None:
    v1 = await register_version(db, model_name="memory-mmm", module="memory",
                                params={"decay": 0.3}, feature_set=["spend", "revenue"],
                                artifact=json_artifact({"beta": [1.0, 2.0]}))
    v2 = await register_version(db, model_name="memory-mmm", module="memory")
    assert (v1.version, v2.version) == (1, 2)
    assert v1.artifact_sha256 is not None
    assert len(v1.artifact_sha256) == 64
    assert await load_version_artifact(db, v1) == {"beta": [1.0, 2.0]}
    assert await load_version_artifact(db, v2) is None

    await set_alias(db, v1)
    assert (await get_alias(db, "memory-mmm", organization_id=tenant.id)) is v1
    await set_alias(db, v2, organization_id=tenant.id)
    assert (await get_alias(db, "memory-mmm", organization_id=tenant.id)) is v2
    assert (await get_alias(db, "memory-mmm")) is v1
    await set_alias(db, v2)  # moving the global alias keeps one row
    assert (await get_alias(db, "memory-mmm")) is v2
    assert await get_alias(db, "unknown") is None

    own = await register_version(db, model_name="memory-mmm", module="memory",
                                 organization_id=tenant.id)
    with pytest.raises(ValueError, match="another organization"):
        await set_alias(db, own, organization_id=uuid.uuid4())


def test_artifacts_are_checked() -> None:
    art = json_artifact({"a": 1})
    assert load_artifact("json", art.data, art.sha256) == {"a": 1}
    with pytest.raises(ArtifactError):
        load_artifact("json", art.data + b" ", art.sha256)
    with pytest.raises(ArtifactError):
        load_artifact("pickle", art.data, art.sha256)
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression().fit(np.array([[0.0], [1.0], [2.0], [3.0]]), [0, 0, 1, 1])
    sk = skops_artifact(model)
    loaded = load_artifact("skops", sk.data, sk.sha256)
    assert loaded.predict(np.array([[3.0]])).tolist() == [1]


async def test_routes_show_global_and_own_models(
    client: AsyncClient, db: AsyncSession, tenant: Tenant, other_tenant: Tenant
) -> None:
    glob = await register_version(db, model_name="oracle-fatigue", module="oracle")
    await set_alias(db, glob)
    await record_evaluation(db, model_name="oracle-fatigue", module="oracle",
                            dataset="simulator:beauty:seed=1", metrics={"auc_7d": 0.9},
                            targets={"auc_7d": 0.85}, passed=True, version=glob)
    own = await register_version(db, model_name="memory-mmm", module="memory",
                                 organization_id=tenant.id)
    await set_alias(db, own, organization_id=tenant.id)
    await record_evaluation(db, model_name="memory-mmm", module="memory", dataset="tenant",
                            metrics={"mape": 0.05}, organization_id=tenant.id, version=own)
    await db.commit()

    page = (await client.get(tenant.path("/models"), headers=tenant.viewer)).json()
    by_name = {m["name"]: m for m in page["data"]}
    assert by_name["oracle-fatigue"]["scope"] == "global"
    assert by_name["oracle-fatigue"]["champion_version"] == 1
    assert by_name["memory-mmm"]["scope"] == "organization"
    assert by_name["memory-mmm"]["latest_version"] == 1

    other = (await client.get(other_tenant.path("/models"), headers=other_tenant.viewer)).json()
    assert [m["name"] for m in other["data"]] == ["oracle-fatigue"]

    mmm_id = by_name["memory-mmm"]["id"]
    evals = (await client.get(tenant.path(f"/models/{mmm_id}/evaluations"),
                              headers=tenant.viewer)).json()
    assert evals["data"][0]["metrics"] == {"mape": 0.05}
    assert evals["data"][0]["version"] == 1
    hidden = await client.get(other_tenant.path(f"/models/{mmm_id}/evaluations"),
                              headers=other_tenant.viewer)
    assert hidden.status_code == 404
    oracle_id = by_name["oracle-fatigue"]["id"]
    shared = (await client.get(other_tenant.path(f"/models/{oracle_id}/evaluations"),
                               headers=other_tenant.viewer)).json()
    assert shared["data"][0]["passed"] is True
    assert shared["data"][0]["scope"] == "global"

    limited = await client.get(tenant.path("/models?limit=1"), headers=tenant.viewer)
    assert limited.json()["has_more"] is True
    assert "Link" in limited.headers
