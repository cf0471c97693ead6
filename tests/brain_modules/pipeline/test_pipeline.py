"""The pipeline end to end: a seeded tenant's run stores every module's output with its model
version; short or odd data gives explanations, never a crash; a failing module fails the run
with a clear error and keeps what came before."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from brain.brain_modules import data as data_module
from brain.brain_modules.contracts import BrainData
from brain.brain_modules.data import from_simulation, truncate
from brain.brain_modules.runs.models import BrainAction, BrainModuleOutput
from brain.demo.seed import write_simulation
from brain.demo.simulator import simulate
from brain.organizations.models import Organization
from tests.brain_modules.pipeline.builders import brain_data, one_channel
from tests.factories import Tenant

TODAY = date(2026, 11, 25)
MODULES = ["features", "memory", "oracle", "curiosity", "face"]


async def _run(client: httpx.AsyncClient, tenant: Tenant) -> dict[str, Any]:
    """Start a run (the inline dispatcher executes it after the request commits)."""
    started = await client.post(tenant.path("/brain/runs"), headers=tenant.analyst)
    assert started.status_code == 202, started.text
    run = await client.get(tenant.path(f"/brain/runs/{started.json()['id']}"),
                           headers=tenant.viewer)
    return dict(run.json())


async def _outputs(db: AsyncSession, run_id: str) -> dict[str, BrainModuleOutput]:
    rows = (await db.scalars(select(BrainModuleOutput).where(
        BrainModuleOutput.run_id == uuid.UUID(run_id)))).all()
    return {r.module: r for r in rows}


async def test_a_seeded_tenant_runs_every_module_and_stores_each_answer(
    client: httpx.AsyncClient, db: AsyncSession, tenant: Tenant
) -> None:
    org = await db.get(Organization, tenant.id)
    assert org is not None
    org.demo_vertical = "beauty"
    await write_simulation(db, tenant.id, simulate("beauty", days=120, seed=3, today=TODAY))
    await db.commit()

    run = await _run(client, tenant)
    assert run["status"] == "succeeded", run
    assert run["error"] is None
    assert list(run["modules"]) == MODULES
    for name, module in run["modules"].items():
        assert module["status"] == "succeeded", (name, module)
        assert module["progress"] == 1.0
        assert module["seconds"] >= 0
        assert module["model_version"]
    assert run["modules"]["oracle"]["model_version"].startswith("oracle-fatigue")
    assert run["data_as_of"] == "2026-11-24"

    outputs = await _outputs(db, run["id"])
    assert set(outputs) == set(MODULES)
    assert outputs["features"].output["days"] == 120
    assert outputs["memory"].model_version == run["modules"]["memory"]["model_version"]
    assert outputs["oracle"].output["creatives"]
    actions = (await db.scalars(select(BrainAction).where(
        BrainAction.organization_id == tenant.id))).all()
    assert len(actions) == len(outputs["curiosity"].output["actions"])
    assert all(str(a.run_id) == run["id"] for a in actions)

    face = (await client.get(tenant.path("/face"), headers=tenant.viewer)).json()
    assert face["state"] == "ready"
    assert face["run_id"] == run["id"]
    assert len(face["narrative_sentences"]) == 3

    # The model is now the registry's champion: the next run loads it from there.
    again = await _run(client, tenant)
    assert again["status"] == "succeeded"
    assert again["modules"]["oracle"]["model_version"] == \
        run["modules"]["oracle"]["model_version"]


def _sim_data(days: int) -> Callable[[], BrainData]:
    full = from_simulation(simulate("beauty", days=60, seed=5, today=TODAY))
    return lambda: truncate(full, days)


EDGE_CASES: dict[str, Callable[[], BrainData]] = {
    "0 days": _sim_data(0),
    "1 day": _sim_data(1),
    "13 days": _sim_data(13),
    "one channel": lambda: one_channel(brain_data(60)),
    "zero spend": lambda: brain_data(60, spend_scale=0.0),
    "zero revenue": lambda: brain_data(60, revenue_scale=0.0),
}


@pytest.mark.parametrize("case", list(EDGE_CASES))
async def test_too_little_or_odd_data_is_explained_not_a_crash(
    client: httpx.AsyncClient, tenant: Tenant, monkeypatch: pytest.MonkeyPatch, case: str
) -> None:
    data = EDGE_CASES[case]()
    data.organization_id = tenant.id

    async def fake_load(session: AsyncSession, organization_id: Any, **_: Any) -> BrainData:
        return data

    monkeypatch.setattr(data_module, "load_brain_data", fake_load)
    run = await _run(client, tenant)
    assert run["status"] == "succeeded", run
    notes = [n for m in run["modules"].values() for n in m["notes"]]
    memory = (await client.get(tenant.path("/memory/channels"), headers=tenant.viewer)).json()
    face = (await client.get(tenant.path("/face"), headers=tenant.viewer)).json()
    if case in ("0 days", "1 day", "13 days"):
        # Too short for the marketing-mix model: no ROI number, a reason instead.
        assert all(c["incremental_roi"] is None for c in memory["data"])
        assert all(c["incremental_roi_reason"] for c in memory["data"])
        assert notes
    if case == "0 days":
        assert face["state"] == "empty"
        assert "no marketing data" in face["explanation"]
    else:
        assert face["state"] == "ready"
        assert len(face["narrative_sentences"]) == 3
    if case == "zero spend":
        assert all(c["roas"] is None for c in memory["data"])
        assert any("No spend" in n for n in notes)
    if case == "zero revenue":
        assert any("zero" in (c["incremental_roi_reason"] or "") for c in memory["data"])
    if case == "13 days":
        oracle = (await client.get(tenant.path("/oracle/creatives"), headers=tenant.viewer))
        methods = {c["method"] for c in oracle.json()["data"]}
        reasons = [c["reason"] for c in oracle.json()["data"] if c["reason"]]
        assert "insufficient_data" in methods
        assert any("14 days" in r for r in reasons)


async def test_a_failing_module_fails_the_run_and_keeps_earlier_outputs(
    client: httpx.AsyncClient, db: AsyncSession, tenant: Tenant,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import brain.brain_modules.oracle as oracle_module

    data = brain_data(60, tenant.id)

    async def fake_load(session: AsyncSession, organization_id: Any, **_: Any) -> BrainData:
        return data

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("feature matrix has the wrong shape")

    monkeypatch.setattr(data_module, "load_brain_data", fake_load)
    monkeypatch.setattr(oracle_module, "run_oracle", broken)
    run = await _run(client, tenant)
    assert run["status"] == "failed"
    assert run["error"] == "ORACLE failed: RuntimeError: feature matrix has the wrong shape"
    states = {name: m["status"] for name, m in run["modules"].items()}
    assert states == {"features": "succeeded", "memory": "succeeded", "oracle": "failed",
                      "curiosity": "skipped", "face": "skipped"}
    assert run["modules"]["oracle"]["error"] == run["error"]
    assert set(await _outputs(db, run["id"])) == {"features", "memory"}
    # Not a succeeded run: FACE still has nothing to show, and a new run may start.
    face = (await client.get(tenant.path("/face"), headers=tenant.viewer)).json()
    assert face["state"] == "empty"
    monkeypatch.undo()
    monkeypatch.setattr(data_module, "load_brain_data", fake_load)
    assert (await _run(client, tenant))["status"] == "succeeded"


def _locked() -> Exception:
    import sqlite3

    from sqlalchemy.exc import OperationalError

    return OperationalError("UPDATE brain_runs …", {}, sqlite3.OperationalError(
        "database is locked"))


async def test_a_progress_write_that_meets_a_locked_database_is_tried_again(
    client: httpx.AsyncClient, tenant: Tenant, monkeypatch: pytest.MonkeyPatch,
) -> None:
    from brain.brain_modules import pipeline

    data = brain_data(60, tenant.id)

    async def fake_load(session: AsyncSession, organization_id: Any, **_: Any) -> BrainData:
        return data

    monkeypatch.setattr(data_module, "load_brain_data", fake_load)
    monkeypatch.setattr(pipeline, "BOOKKEEPING_RETRIES", (0.0, 0.0, 0.0))
    real = pipeline.Pipeline._update_once
    failures = {"left": 2}

    async def flaky(self: Any, change: Any) -> Any:
        if failures["left"]:
            failures["left"] -= 1
            raise _locked()
        return await real(self, change)

    monkeypatch.setattr(pipeline.Pipeline, "_update_once", flaky)
    run = await _run(client, tenant)
    assert failures["left"] == 0
    assert run["status"] == "succeeded"


async def test_a_run_whose_bookkeeping_keeps_failing_ends_failed_not_running(
    client: httpx.AsyncClient, db: AsyncSession, tenant: Tenant,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from brain.brain_modules import pipeline

    data = brain_data(60, tenant.id)

    async def fake_load(session: AsyncSession, organization_id: Any, **_: Any) -> BrainData:
        return data

    monkeypatch.setattr(data_module, "load_brain_data", fake_load)
    monkeypatch.setattr(pipeline, "BOOKKEEPING_RETRIES", (0.0,))

    async def always_locked(self: Any, name: str, result: Any, seconds: float) -> None:
        if name == "memory":
            raise _locked()
        await real(self, name, result, seconds)

    real = pipeline.Pipeline._record_output
    monkeypatch.setattr(pipeline.Pipeline, "_record_output", always_locked)
    run = await _run(client, tenant)
    assert run["status"] == "failed"
    assert run["error"].startswith("The run could not record its progress: OperationalError")
    states = {name: m["status"] for name, m in run["modules"].items()}
    assert states == {"features": "succeeded", "memory": "failed", "oracle": "skipped",
                      "curiosity": "skipped", "face": "skipped"}
    assert set(await _outputs(db, run["id"])) == {"features"}


async def test_training_the_fatigue_model_is_metered_to_the_tenant_whose_run_needed_it(
    client: httpx.AsyncClient, db: AsyncSession, tenant: Tenant,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from brain.brain_modules.oracle import model as oracle_model
    from brain.finops.models import UsageDaily

    await write_simulation(db, tenant.id, simulate("beauty", days=60, seed=3, today=TODAY))
    await db.commit()
    # As in a fresh process: the default model is not trained yet, so this run trains it.
    monkeypatch.setattr(oracle_model, "default_fatigue_model_ready", lambda: False)
    run = await _run(client, tenant)
    assert run["status"] == "succeeded", run
    rows = (await db.scalars(select(UsageDaily).where(
        UsageDaily.organization_id == tenant.id, UsageDaily.meter == "training_seconds"))).all()
    assert len(rows) == 1
    assert rows[0].amount > 0
    assert rows[0].dimension == oracle_model.MODEL_NAME
