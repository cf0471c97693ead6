"""The runs API: 202 on start, one run per tenant at a time (409 with the active run's id),
status and history, stale runs, and the enqueue hook for the scheduler and syncs."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
import pytest_asyncio
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from brain.brain_modules.runs.models import BrainRun, RunTrigger
from brain.brain_modules.runs.service import RUN_JOB, enqueue_brain_run
from brain.core.jobs import JobBuffer
from brain.core.models import utcnow
from brain.core.runtime import Runtime
from tests.factories import Tenant
from tests.platform.helpers import assert_problem, http_client, variant_app


class RecordingDispatcher:
    """Keeps the jobs instead of running them, so a run stays queued."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, dict[str, Any]]] = []

    async def dispatch(self, name: str, kwargs: dict[str, Any]) -> None:
        self.sent.append((name, kwargs))


@pytest.fixture
def recorder() -> RecordingDispatcher:
    return RecordingDispatcher()


@pytest_asyncio.fixture
async def api(runtime: Runtime, recorder: RecordingDispatcher) -> AsyncIterator[httpx.AsyncClient]:
    async with http_client(variant_app(runtime, recorder)) as client:
        yield client


async def test_start_run_is_202_and_enqueues_the_pipeline(
    api: httpx.AsyncClient, tenant: Tenant, recorder: RecordingDispatcher
) -> None:
    response = await api.post(tenant.path("/brain/runs"), headers=tenant.analyst)
    assert response.status_code == 202, response.text
    body = response.json()
    assert body["status"] == "queued"
    assert set(body) == {"id", "status"}
    assert response.headers["location"].endswith(f"/brain/runs/{body['id']}")
    assert recorder.sent == [(RUN_JOB, {"run_id": body["id"], "organization_id": str(tenant.id)})]

    run = (await api.get(tenant.path(f"/brain/runs/{body['id']}"), headers=tenant.viewer)).json()
    assert run["status"] == "queued"
    assert run["trigger"] == "manual"
    assert list(run["modules"]) == ["features", "memory", "oracle", "curiosity", "face"]
    assert all(m["status"] == "pending" and m["progress"] == 0 for m in run["modules"].values())
    assert run["started_at"] is None
    assert run["error"] is None


async def test_second_run_while_one_is_active_is_409_with_its_id(
    api: httpx.AsyncClient, tenant: Tenant, other_tenant: Tenant, recorder: RecordingDispatcher
) -> None:
    first = (await api.post(tenant.path("/brain/runs"), headers=tenant.analyst)).json()
    second = await api.post(tenant.path("/brain/runs"), headers=tenant.admin)
    problem = assert_problem(second, 409)
    assert problem["run_id"] == first["id"]
    assert problem["run_url"].endswith(first["id"])
    assert len(recorder.sent) == 1
    # Another tenant is not blocked.
    other = await api.post(other_tenant.path("/brain/runs"), headers=other_tenant.analyst)
    assert other.status_code == 202


async def test_viewer_cannot_start_a_run(api: httpx.AsyncClient, tenant: Tenant) -> None:
    assert_problem(await api.post(tenant.path("/brain/runs"), headers=tenant.viewer), 403)


async def test_the_database_allows_one_active_run_per_tenant(
    db: AsyncSession, tenant: Tenant
) -> None:
    db.add(BrainRun(organization_id=tenant.id, status="running", trigger="manual", modules={}))
    await db.flush()
    async with db.begin_nested() as savepoint:
        db.add(BrainRun(organization_id=tenant.id, status="queued", trigger="sync",
                        modules={}))
        with pytest.raises(IntegrityError):
            await db.flush()
        await savepoint.rollback()
    # Finished runs do not hold the slot.
    db.add(BrainRun(organization_id=tenant.id, status="failed", trigger="manual", modules={}))
    db.add(BrainRun(organization_id=tenant.id, status="succeeded", trigger="manual",
                    modules={}))
    await db.flush()


async def test_a_stale_run_no_longer_blocks(
    api: httpx.AsyncClient, db: AsyncSession, tenant: Tenant
) -> None:
    stale = BrainRun(organization_id=tenant.id, status="running", trigger="schedule",
                     modules={}, started_at=utcnow() - timedelta(hours=3))
    db.add(stale)
    await db.commit()
    response = await api.post(tenant.path("/brain/runs"), headers=tenant.analyst)
    assert response.status_code == 202, response.text
    old = (await api.get(tenant.path(f"/brain/runs/{stale.id}"), headers=tenant.viewer)).json()
    assert old["status"] == "failed"
    assert "did not finish within 60 minutes" in old["error"]


async def test_history_is_paginated_newest_first(
    api: httpx.AsyncClient, db: AsyncSession, tenant: Tenant
) -> None:
    for _ in range(3):
        db.add(BrainRun(organization_id=tenant.id, status="succeeded", trigger="schedule",
                        modules={}, finished_at=utcnow()))
    await db.commit()
    page = (await api.get(tenant.path("/brain/runs?limit=2"), headers=tenant.viewer)).json()
    assert len(page["data"]) == 2
    assert page["has_more"] is True
    rest = (await api.get(tenant.path(f"/brain/runs?limit=2&cursor={page['next_cursor']}"),
                          headers=tenant.viewer)).json()
    assert len(rest["data"]) == 1
    stamps = [r["created_at"] for r in page["data"] + rest["data"]]
    assert stamps == sorted(stamps, reverse=True)
    assert len({r["id"] for r in page["data"] + rest["data"]}) == 3
    failed = (await api.get(tenant.path("/brain/runs?status=failed"),
                            headers=tenant.viewer)).json()
    assert failed["data"] == []


async def test_unknown_run_is_404(api: httpx.AsyncClient, tenant: Tenant) -> None:
    missing = await api.get(tenant.path(f"/brain/runs/{uuid.uuid4()}"), headers=tenant.viewer)
    assert_problem(missing, 404)


async def test_enqueue_reuses_the_active_run(db: AsyncSession, tenant: Tenant) -> None:
    jobs = JobBuffer()
    first = await enqueue_brain_run(db, tenant.id, RunTrigger.sync, jobs=jobs)
    again = await enqueue_brain_run(db, tenant.id, "schedule", jobs=jobs)
    assert again.id == first.id
    assert first.trigger == "sync"
    assert jobs.pending == [(RUN_JOB, {"run_id": str(first.id),
                                       "organization_id": str(tenant.id)})]
    count = await db.scalar(select(func.count()).select_from(BrainRun)
                            .where(BrainRun.organization_id == tenant.id))
    assert count == 1


async def test_enqueue_without_a_buffer_sends_the_job_after_commit(
    session_factory: Any, tenant: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    import asyncio

    from brain.brain_modules.runs import service

    sent: list[tuple[str, dict[str, Any]]] = []

    class FakeCelery:
        async def dispatch(self, name: str, kwargs: dict[str, Any]) -> None:
            sent.append((name, kwargs))

    monkeypatch.setattr(service, "CeleryDispatcher", FakeCelery)
    from brain.core.db import set_tenant

    async with session_factory() as session:
        await set_tenant(session, tenant.id)  # as the sync job's tenant session is
        run = await enqueue_brain_run(session, tenant.id, "sync")
        await asyncio.sleep(0)
        assert sent == []  # nothing before the commit
        await session.commit()
    for _ in range(5):
        await asyncio.sleep(0)
    assert sent == [(RUN_JOB, {"run_id": str(run.id), "organization_id": str(tenant.id)})]


async def test_daily_schedule_queues_one_run_per_organization(
    runtime: Runtime, db: AsyncSession, tenant: Tenant, other_tenant: Tenant,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import brain.core.jobs as jobs_module
    from brain.brain_modules.runs.tasks import schedule_daily_runs

    sent: list[tuple[str, dict[str, Any]]] = []

    class FakeCelery:
        async def dispatch(self, name: str, kwargs: dict[str, Any]) -> None:
            sent.append((name, kwargs))

    monkeypatch.setattr(jobs_module, "CeleryDispatcher", FakeCelery)
    busy = BrainRun(organization_id=other_tenant.id, status="running", trigger="manual",
                    modules={}, started_at=utcnow())
    db.add(busy)
    await db.commit()
    await schedule_daily_runs(runtime)
    runs = (await db.scalars(select(BrainRun).where(
        BrainRun.organization_id.in_([tenant.id, other_tenant.id])))).all()
    by_org = {r.organization_id: r for r in runs}
    assert len(runs) == 2
    assert by_org[tenant.id].trigger == "schedule"
    assert by_org[other_tenant.id].id == busy.id  # not queued twice
    assert (RUN_JOB, {"run_id": str(by_org[tenant.id].id),
                      "organization_id": str(tenant.id)}) in sent
    assert all(kwargs["organization_id"] != str(other_tenant.id) for _, kwargs in sent)
