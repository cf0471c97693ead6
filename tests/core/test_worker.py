"""The embedded Celery worker really runs jobs sent through the in-memory broker."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from brain.core import pacing
from brain.core.db import system_session
from brain.core.idempotency import IdempotencyRecord
from brain.core.jobs import JOB_REGISTRY, CeleryDispatcher, JobBuffer
from brain.core.migrate import upgrade
from brain.core.models import utcnow
from brain.core.runtime import Runtime
from brain.settings import Settings
from brain.worker import EmbeddedWorker


def _count(runtime: Runtime) -> int:
    async def count() -> int:
        async with system_session(runtime.session_factory) as session:
            return int(await session.scalar(select(func.count(IdempotencyRecord.id))) or 0)

    return asyncio.run(count())


def test_embedded_worker_runs_buffered_job_after_flush(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'worker.db'}",
        var_dir=tmp_path,
        secret_key="x" * 40,
        _env_file=None,  # type: ignore[call-arg]
    )
    upgrade(settings)

    async def arrange() -> None:
        runtime = Runtime.create(settings)
        async with system_session(runtime.session_factory) as session:
            session.add(IdempotencyRecord(scope_hash="s" * 64, key="old", fingerprint="f",
                                          created_at=utcnow() - timedelta(days=3)))
            session.add(IdempotencyRecord(scope_hash="s" * 64, key="new", fingerprint="f"))
        await runtime.close()

    asyncio.run(arrange())
    paced: list[bool] = []

    async def probe(runtime: Runtime) -> None:
        paced.append(pacing.is_paced())

    # Jobs on the worker's thread give way to the API's requests (core/pacing.py).
    monkeypatch.setitem(JOB_REGISTRY, "tests.pacing_probe", probe)
    worker = EmbeddedWorker(settings)
    worker.start()
    try:
        buffer = JobBuffer()
        buffer.enqueue("maintenance.purge_idempotency_records")
        buffer.enqueue("tests.pacing_probe")
        asyncio.run(buffer.flush(CeleryDispatcher()))
        runtime = Runtime.create(settings)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and _count(runtime) != 1:
            time.sleep(0.2)
        assert _count(runtime) == 1
        while time.monotonic() < deadline and not paced:
            time.sleep(0.05)
        assert paced == [True]
        assert not pacing.is_paced()  # the test's own thread is not
    finally:
        worker.stop()


def test_discarded_buffer_sends_nothing() -> None:
    buffer = JobBuffer()
    buffer.enqueue("maintenance.purge_idempotency_records")
    buffer.discard()
    assert buffer.pending == []


def test_every_scheduled_task_is_a_registered_job() -> None:
    from brain.core.jobs import JOB_REGISTRY, load_job_modules
    from brain.worker import BEAT_SCHEDULE

    load_job_modules()
    missing = [e["task"] for e in BEAT_SCHEDULE.values() if e["task"] not in JOB_REGISTRY]
    assert not missing, f"beat schedules tasks no module defines: {missing}"


def test_a_starting_worker_freezes_its_start_up_heap() -> None:
    import gc

    from celery.signals import worker_init

    gc.unfreeze()
    assert gc.get_freeze_count() == 0
    try:
        worker_init.send(sender=None)
        # Everything the process had allocated is out of the collector's sight.
        assert gc.get_freeze_count() > 1000
    finally:
        gc.unfreeze()
