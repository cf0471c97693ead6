"""THE test: `kill -9` the worker in the middle of a sandbox backfill, several times at random
points; after it resumes, the warehouse equals a clean run's, row for row.

Runs against its own migrated database (a file SQLite database, or a fresh PostgreSQL
database when BRAIN_TEST_DATABASE_URL is set) because worker subprocesses must see committed
data; the lease lives 1 s so a killed worker's successor takes over quickly.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

from brain.core.db import BYPASS_INFO_KEY
from brain.core.runtime import Runtime
from brain.integrations.engine import SyncEngine
from brain.integrations.models import SyncRun, SyncStatus
from brain.organizations.service import create_organization
from brain.settings import PROJECT_ROOT, Settings
from tests.conftest import migrated_database
from tests.integrations.helpers import (
    RecordingDispatcher,
    queue_sync,
    sandbox_connection,
    warehouse_snapshot,
)

KILLS = 4
SANDBOX = {"days": 150, "fault_rate": 0.03, "rate_limit_every": 13, "page_size_cap": 40}


async def _organization(runtime: Runtime, name: str) -> uuid.UUID:
    async with runtime.session_factory() as session:
        session.info[BYPASS_INFO_KEY] = True
        org = await create_organization(session, name=name)
        await session.commit()
        return org.id


async def _progress(runtime: Runtime, run_id: uuid.UUID) -> tuple[str, int]:
    async with runtime.session_factory() as session:
        session.info[BYPASS_INFO_KEY] = True
        run = await session.get(SyncRun, run_id)
        assert run is not None
        return run.status, run.rows_read


async def _snapshot(runtime: Runtime, org: uuid.UUID) -> list[tuple[object, ...]]:
    async with runtime.session_factory() as session:
        session.info[BYPASS_INFO_KEY] = True
        return await warehouse_snapshot(session, org)


def _worker(env: dict[str, str], run_id: uuid.UUID, org: uuid.UUID) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.integrations.sync_worker", str(run_id), str(org)],
        env=env, cwd=str(PROJECT_ROOT), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )


def test_kill_9_mid_backfill_resumes_to_identical_data(tmp_path: Path) -> None:
    # Synchronous on purpose: migrating runs its own event loop.
    with migrated_database(tmp_path, "kill") as base_settings:
        # Commit at every checkpoint, so kills land between many small transactions.
        settings = base_settings.model_copy(update={"integrations_sync_lease_seconds": 1,
                                                    "integrations_sync_batch_rows": 1})
        asyncio.run(_scenario(settings))


async def _scenario(settings: Settings) -> None:
    runtime = Runtime.create(settings)
    try:
        clean_org = await _organization(runtime, "Clean run")
        killed_org = await _organization(runtime, "Killed run")
        providers = ("meta_ads", "google_ads", "tiktok_ads")
        # The clean run, in-process and uninterrupted.
        for provider in providers:
            clean = await sandbox_connection(runtime, clean_org, provider, **SANDBOX)
            clean_run = await queue_sync(runtime, clean)
            result = await SyncEngine(runtime, dispatcher=RecordingDispatcher()).run(
                sync_run_id=clean_run.id, organization_id=clean_org
            )
            assert result.status == "succeeded", result.error
        expected = await _snapshot(runtime, clean_org)
        assert len(expected) > 1000

        env = {
            **os.environ,
            "BRAIN_DATABASE_URL": settings.database_url,
            "BRAIN_SECRET_KEY": settings.secret_key,
            "BRAIN_VAR_DIR": str(settings.var_dir),
            "BRAIN_INTEGRATIONS_SYNC_LEASE_SECONDS": "1",
            "BRAIN_INTEGRATIONS_SYNC_BATCH_ROWS": "1",
            "BRAIN_ENCRYPTION_KEYS": settings.encryption_keys,
        }
        rng = random.Random()
        kills_mid_run = 0
        for provider in providers:
            connection = await sandbox_connection(runtime, killed_org, provider, **SANDBOX)
            run = await queue_sync(runtime, connection)
            for _ in range(KILLS):
                _, before = await _progress(runtime, run.id)
                target = before + rng.randint(1, 80)
                process = _worker(env, run.id, killed_org)
                deadline = time.monotonic() + 60
                while process.poll() is None and time.monotonic() < deadline:
                    status, rows = await _progress(runtime, run.id)
                    if rows >= target or status in (SyncStatus.succeeded, SyncStatus.failed):
                        break
                    await asyncio.sleep(0.01)
                await asyncio.sleep(rng.uniform(0, 0.05))
                if process.poll() is None:
                    os.kill(process.pid, signal.SIGKILL)
                    process.wait()
                    status, _ = await _progress(runtime, run.id)
                    kills_mid_run += status == SyncStatus.running
                else:
                    process.communicate()
            final = _worker(env, run.id, killed_org)
            out, err = final.communicate(timeout=300)
            assert final.returncode == 0, (out.decode(), err.decode()[-3000:])
            status, _ = await _progress(runtime, run.id)
            assert status == SyncStatus.succeeded
        assert kills_mid_run >= KILLS, "the worker was not killed mid-run often enough"
        assert await _snapshot(runtime, killed_org) == expected
    finally:
        await runtime.close()
